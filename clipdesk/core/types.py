"""Plain, frozen records that cross module and thread boundaries."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import Enum
from pathlib import Path


class FileStatus(str, Enum):
    """What the store knows about one file."""

    OK = "ok"  # decoded; thumbnail and metadata stored
    SKIPPED = "skipped"  # could not be decoded; ``skip_reason`` says why


class RootState(str, Enum):
    """Whether a library root folder can be reached right now."""

    ONLINE = "online"
    OFFLINE = "offline"  # unmounted or deleted: its rows are kept, nothing is removed


class Stage(str, Enum):
    """Which phase a long job is in, for progress display."""

    DOWNLOADING = "downloading"  # model weights; done/total in MB
    WAITING = "waiting"  # queued behind another writer; current: its pid when known
    SCANNING = "scanning"
    HASHING = "hashing"
    EMBEDDING = "embedding"
    SAVING = "saving"
    TAGGING = "tagging"  # zero-shot tagging: photos scored or tags written
    EVALUATING = "evaluating"  # evaluation: texts encoded, scores computed
    CHECKING = "checking"  # a vision-language model re-checks hits: photos answered
    DESCRIBING = "describing"  # a language model writes label descriptions: labels done
    DUPLICATES = "duplicates"  # near-duplicate photos looked for: photos compared
    READING = "reading"  # the text in photos read (OCR): photos read
    TRASHING = "trashing"  # photos moved to the system trash: files done
    DONE = "done"


@dataclass(frozen=True)
class Progress:
    """One progress report of a long job, sent once per batch."""

    stage: Stage
    done: int
    total: int
    rate: float = 0.0  # items per second over the current stage
    eta_s: float | None = None  # seconds left, None while unknown
    current: str = ""  # the file being worked on, for display

    @property
    def fraction(self) -> float:
        return self.done / self.total if self.total else 0.0


@dataclass(frozen=True)
class Root:
    id: int
    path: Path
    state: RootState
    photo_count: int = 0
    skipped_count: int = 0
    missing_count: int = 0  # files no longer found (kept until purged)
    found_count: int | None = None  # files its last scan found (None: never scanned)
    pending_model: str | None = None  # the model whose indexing of it did not finish

    @property
    def unfinished(self) -> bool:
        return self.pending_model is not None


@dataclass(frozen=True)
class Photo:
    id: int
    root_id: int
    path: Path  # absolute
    size: int
    mtime_ns: int
    width: int | None
    height: int | None
    taken_at: datetime | None
    status: FileStatus
    skip_reason: str | None = None
    content_hash: str | None = None


@dataclass(frozen=True)
class SearchHit:
    """One ranked result: ``score`` is the cosine similarity (or fused score in union mode)."""

    file_id: int
    path: Path
    score: float
    rank: int  # 1-based


@dataclass(frozen=True)
class IndexReport:
    """What one indexing run did."""

    model_id: str
    new: int = 0
    changed: int = 0
    moved: int = 0
    unchanged: int = 0
    missing: int = 0  # files no longer found: kept, with their vectors and tags, until purged
    skipped: int = 0
    embedded: int = 0
    offline_roots: tuple[Path, ...] = ()
    unreadable_dirs: tuple[Path, ...] = ()
    cancelled: bool = False
    errors: tuple[tuple[Path, str], ...] = field(default=())
    gpu_decoded: int = 0  # of the embedded photos, how many the GPU decoded (JPEG)
    texts_read: int = 0  # photos whose text was read (OCR) in this run
    texts_found: int = 0  # ... of which showed text
    text_failures: tuple[tuple[Path, str], ...] = field(default=())  # could not be read
