"""Plain records the store hands out or takes in, besides the shared ones in ``core.types``."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import Enum

import numpy as np

from clipdesk.core.types import FileStatus, Root


class TagSource(str, Enum):
    AUTO = "auto"  # suggested by zero-shot tagging, with a score
    MANUAL = "manual"  # set by the person


@dataclass(frozen=True)
class Tag:
    file_id: int
    label: str
    source: TagSource
    score: float | None = None
    model_id: str | None = None


@dataclass(frozen=True)
class TagCount:
    """One tag label and the photos carrying it, per source (a photo counts once per source)."""

    label: str
    manual: int
    automatic: int

    @property
    def total(self) -> int:
        return self.manual + self.automatic


class TagChangeKind(str, Enum):
    """What a journaled tag change was (each one can be undone, newest first)."""

    SAVE = "save"  # automatic tags of a label set written by zero-shot tagging
    RENAME = "rename"
    MERGE = "merge"
    DELETE = "delete"


@dataclass(frozen=True)
class TagChange:
    """One journaled change of tags: ``labels`` it was about (for a rename or merge the old
    labels then the new one), when, how many photos and tags it touched; ``undone`` once
    undone. The journal keeps the tags before and after, so an undo puts back exactly what was
    there before (tags of other labels, and manual tags of a save, are never touched)."""

    id: int
    kind: TagChangeKind
    labels: tuple[str, ...]
    made_at: datetime
    photos: int
    before: int  # tags there before (what an undo puts back)
    after: int  # tags there after (what an undo removes)
    model_id: str | None = None
    undone: bool = False


@dataclass
class TagJournal:
    """Where a multi-batch tag write (a tagging save) journals what it replaces: the change is
    created by the first batch that is written (``change_id`` is then set), in its transaction;
    every batch adds its rows before and after in its own transaction."""

    kind: TagChangeKind
    labels: tuple[str, ...]
    model_id: str | None = None
    change_id: int | None = None


@dataclass(frozen=True)
class LibraryStats:
    photos: int  # files with status ok (and not missing)
    skipped: int  # files that could not be decoded
    roots: list[Root]
    model_counts: dict[str, int]  # vectors per model id
    missing: int = 0  # files no scan finds any more, kept until purged


@dataclass(frozen=True)
class MissingFiles:
    """What purging missing files would delete (or did): files and the tags set by hand."""

    files: int
    manual_tags: int


@dataclass(frozen=True)
class StoredFile:
    """What the store remembers about one file, as the scanner's diff needs it."""

    id: int
    root_id: int
    relpath: str  # POSIX separators, relative to the root
    size: int
    mtime_ns: int
    content_hash: str | None
    status: FileStatus
    missing: bool = False  # marked missing by an earlier scan


@dataclass(frozen=True)
class FileUpdate:
    """The outcome of processing one file, written by :meth:`Library.commit_batch`.

    ``file_id`` is None for a file that has no row yet. ``vector`` is this run's model's vector
    (None for a skipped file). ``content_changed`` drops every model's vectors of an existing row
    first (the picture is not the one they were computed from).
    """

    root_id: int
    relpath: str
    size: int
    mtime_ns: int
    status: FileStatus
    file_id: int | None = None
    content_hash: str | None = None
    width: int | None = None
    height: int | None = None
    taken_at: datetime | None = None
    skip_reason: str | None = None
    vector: np.ndarray | None = None
    content_changed: bool = False


@dataclass(frozen=True)
class FileMove:
    """A file found at a new place with the content of a row whose old place is gone."""

    file_id: int
    root_id: int
    relpath: str
    size: int
    mtime_ns: int


@dataclass(frozen=True)
class SearchIndexInfo:
    """How a model's photos are searched: exactly, or approximately (``"ivf"``: ``nprobe`` of
    ``nlist`` k-means groups scanned) with the recall@10 its self-check measured for image-like
    and text-like queries. An exact index may carry the recall an approximate one reached
    before it was found too low. ``pending_changes``: files changed since the published
    index, carried in memory until the next one."""

    kind: str  # "exact" or "ivf"
    count: int  # vectors in the published index
    nlist: int | None = None
    nprobe: int | None = None
    recall_image: float | None = None
    recall_text: float | None = None
    pending_changes: int = 0

    @property
    def approximate(self) -> bool:
        return self.kind == "ivf"
