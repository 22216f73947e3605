"""A search's hits checked by a VLM: what the engine's ``check_hits`` runs."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from clipdesk.core.jobs import CancelToken, ProgressCallback, no_progress
from clipdesk.core.rerank.recheck import CONFIRMED, CheckReport, Item, Judge, Mode, apply, recheck
from clipdesk.core.types import SearchHit

if TYPE_CHECKING:
    from clipdesk.core.rerank.answers import AnswerCache
    from clipdesk.core.store import Library

DEFAULT_TOP = 50


@dataclass(frozen=True)
class CheckedHits:
    """The hits after the check. ``answers``: p(yes) per checked file id."""

    hits: tuple[SearchHit, ...]
    answers: dict[int, float]
    report: CheckReport
    mode: Mode
    model_id: str
    top: int


def check_hits(
    library: Library,
    judge: Judge,
    hits: Sequence[SearchHit],
    query: str,
    *,
    cache: AnswerCache | None = None,
    top: int = DEFAULT_TOP,
    mode: Mode | str = Mode.RERANK,
    weight: float = 0.5,
    confirmed: float = CONFIRMED,
    batch_size: int | None = None,
    token: CancelToken | None = None,
    progress: ProgressCallback = no_progress,
) -> CheckedHits:
    """Check the first ``top`` hits; re-rank or blend them (the unchecked rest follows in
    CLIP's order), or keep only the confirmed ones of them (a filter shows only what was
    checked)."""
    mode = Mode(mode)
    head, tail = list(hits[:max(0, top)]), list(hits[max(0, top):])
    photos = library.photos([h.file_id for h in head])
    items = [Item(h.file_id, photos[h.file_id].path, photos[h.file_id].content_hash or "")
             for h in head if h.file_id in photos and photos[h.file_id].content_hash]
    report = recheck(judge, items, query, cache=cache, batch_size=batch_size, token=token,
                     progress=progress)
    checked = apply(head, report.answers, mode, confirmed=confirmed, weight=weight)
    if mode is not Mode.FILTER:
        checked += [replace(h, rank=len(checked) + i) for i, h in enumerate(tail, start=1)]
    return CheckedHits(tuple(checked), report.answers, report, mode, judge.model_id, len(head))
