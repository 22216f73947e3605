"""Asking a VLM about the top hits, and what its answers do to them.

:func:`recheck` asks a :class:`Judge` about each picture not answered before (in batches, with
progress and cancel between batches) and returns ``{file id: p(yes)}``; a picture that cannot be
read gets no answer (it is left as CLIP ranked it). :func:`apply` then re-ranks by the answer,
keeps only the confirmed ones, or blends the answer with the CLIP score.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

import numpy as np

from clipdesk.core.errors import ClipdeskError
from clipdesk.core.jobs import CancelToken, ProgressCallback, no_progress
from clipdesk.core.rerank.questions import question
from clipdesk.core.types import Progress, SearchHit, Stage

if TYPE_CHECKING:
    from PIL import Image

    from clipdesk.core.rerank.answers import AnswerCache

log = logging.getLogger(__name__)

CONFIRMED = 0.5  # p(yes) at which a photo counts as confirmed
CPU_BATCH = 4  # pictures per forward pass on a CPU (a cancel is noticed between batches)
GPU_BATCH = 16  # and on a GPU, where a batch costs little more than one picture


def batch_for(judge: object) -> int:
    """The batch size for ``judge``'s device."""
    return GPU_BATCH if getattr(judge, "device", "cpu") in ("cuda", "mps") else CPU_BATCH


class Judge(Protocol):
    """A loaded vision-language model that answers yes/no questions about pictures."""

    @property
    def model_id(self) -> str: ...

    def yes_probabilities(self, images: Sequence[Image.Image],
                          questions: Sequence[str]) -> np.ndarray: ...


@dataclass(frozen=True)
class Item:
    """A picture to check: its file id, where it is, and its content (the cache key)."""

    file_id: int
    path: Path
    content_hash: str


@dataclass(frozen=True)
class CheckReport:
    answers: dict[int, float]  # file id -> p(yes)
    asked: int  # pictures the model looked at (the others came from the cache)
    cached: int
    unreadable: tuple[Path, ...]
    seconds: float


class Mode(str, Enum):
    RERANK = "rerank"  # by the VLM's p(yes), CLIP's order breaking ties
    FILTER = "filter"  # only the confirmed ones, in CLIP's order
    BLEND = "blend"  # (1 - w) · CLIP score scaled to 0..1 over the hits + w · p(yes)


def recheck(
    judge: Judge,
    items: Sequence[Item],
    query: str,
    *,
    cache: AnswerCache | None = None,
    batch_size: int | None = None,
    load: Callable[[Path], Image.Image] | None = None,
    token: CancelToken | None = None,
    progress: ProgressCallback = no_progress,
) -> CheckReport:
    """Ask ``judge`` whether each item shows ``query``; answers from ``cache`` are not asked
    again, new ones are stored there as each batch finishes (a cancel keeps them). Batches are
    :func:`batch_for` the judge's device unless ``batch_size`` says."""
    if not query.strip():
        raise ClipdeskError("A VLM check needs words to check: the search has no text.")
    started = time.monotonic()
    ask = question(query)
    cached = cache.get((i.content_hash for i in items), ask, judge.model_id) if cache else {}
    todo = [i for i in items if i.content_hash not in cached]
    answers = {i.file_id: cached[i.content_hash] for i in items if i.content_hash in cached}
    unreadable: list[Path] = []
    load = load or _load
    done = len(items) - len(todo)
    progress(Progress(Stage.CHECKING, done, len(items)))
    batch_size = max(1, batch_size or batch_for(judge))
    for start in range(0, len(todo), batch_size):
        if token is not None:
            token.check()
        part, pictures = [], []
        for item in todo[start:start + batch_size]:
            try:
                pictures.append(load(item.path))
                part.append(item)
            except Exception as exc:  # a photo gone or damaged since indexing: no answer
                log.info("cannot check %s: %s", item.path, exc)
                unreadable.append(item.path)
        if part:
            probs = judge.yes_probabilities(pictures, [ask] * len(part))
            fresh = {i.content_hash: float(p) for i, p in zip(part, probs, strict=True)}
            if cache is not None:
                cache.put(fresh, ask, judge.model_id)
            answers.update({i.file_id: fresh[i.content_hash] for i in part})
        done += len(todo[start:start + batch_size])
        progress(Progress(Stage.CHECKING, done, len(items)))
    return CheckReport(answers, len(todo) - len(unreadable), len(items) - len(todo),
                       tuple(unreadable), time.monotonic() - started)


def recheck_all(
    judge: Judge,
    asks: Sequence[tuple[str, Sequence[Item]]],
    *,
    cache: AnswerCache | None = None,
    batch_size: int | None = None,
    token: CancelToken | None = None,
    progress: ProgressCallback = no_progress,
) -> list[CheckReport]:
    """:func:`recheck` for each ``(query, items)`` (a class or a label and its photos), the
    progress counted over all of them."""
    total = sum(len(items) for _, items in asks)
    reports: list[CheckReport] = []
    done = 0
    for query, items in asks:
        def step(p: Progress, base: int = done) -> None:
            progress(Progress(Stage.CHECKING, base + p.done, total))

        reports.append(recheck(judge, items, query, cache=cache, batch_size=batch_size,
                               token=token, progress=step))
        done += len(items)
    return reports


#: VLM image processors work at a few hundred pixels: decode no larger than this
LOAD_SIDE = 768


def _load(path: Path) -> Image.Image:
    from clipdesk.core.imaging import load_image_file

    return load_image_file(path, min_side=LOAD_SIDE).image


def apply(hits: Sequence[SearchHit], answers: dict[int, float], mode: Mode | str, *,
          confirmed: float = CONFIRMED, weight: float = 0.5) -> list[SearchHit]:
    """``hits`` as the answers make them (ranks renumbered from 1). Hits without an answer (not
    checked, or unreadable) keep CLIP's judgement: re-ranked below the answered ones, kept by a
    filter, and blended with CLIP's score alone."""
    mode = Mode(mode)
    if not 0.0 <= weight <= 1.0:
        raise ClipdeskError(f"The VLM's share of the blend is from 0 to 1, not {weight}.")
    hits = list(hits)
    if mode is Mode.FILTER:
        kept = [h for h in hits if answers.get(h.file_id, 1.0) >= confirmed]
    elif mode is Mode.RERANK:
        order = sorted(range(len(hits)), key=lambda i: (
            hits[i].file_id not in answers, -answers.get(hits[i].file_id, 0.0), i))
        kept = [hits[i] for i in order]
    else:
        scores = np.array([h.score for h in hits], dtype=np.float64)
        lo, hi = (float(scores.min()), float(scores.max())) if len(scores) else (0.0, 1.0)
        scaled = (scores - lo) / (hi - lo) if hi > lo else np.ones_like(scores)
        blended = [((1 - weight) * s + weight * answers[h.file_id]) if h.file_id in answers
                   else float(s) for h, s in zip(hits, scaled, strict=True)]
        order = sorted(range(len(hits)), key=lambda i: (-blended[i], i))
        kept = [replace(hits[i], score=float(blended[i])) for i in order]
    return [replace(h, rank=r) for r, h in enumerate(kept, start=1)]
