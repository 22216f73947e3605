"""Tags a vision-language model confirmed: before tags are saved, the VLM looks at each photo a
label would tag and answers whether the photo shows the label's words; the rejected tags are
dropped (the photo may then fall to "others"; the next label does not take the place).

Answers are cached per photo content and question like a search's, so a second run (another
threshold, another rule) asks only about the pairs it has not seen.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from clipdesk.core.jobs import CancelToken, ProgressCallback, no_progress
from clipdesk.core.rerank.recheck import CONFIRMED, Item, Judge, recheck_all
from clipdesk.core.tagging import TagRule, TagScores

if TYPE_CHECKING:
    from clipdesk.core.rerank.answers import AnswerCache
    from clipdesk.core.store import Library


@dataclass(frozen=True)
class TagCheckReport:
    checked: int  # (photo, label) pairs looked at, from the cache or not
    asked: int  # of those, asked in this run
    rejected: int  # tags the VLM rejected
    seconds: float


def confirm_tags(
    library: Library,
    judge: Judge,
    scores: TagScores,
    rule: TagRule,
    words: Mapping[str, str],
    *,
    cache: AnswerCache | None = None,
    batch_size: int | None = None,
    token: CancelToken | None = None,
    progress: ProgressCallback = no_progress,
) -> tuple[TagScores, TagCheckReport]:
    """``scores`` whose :meth:`~TagScores.mask` keeps only the tags under ``rule`` that
    ``judge`` confirms; ``words`` gives each label the words asked about (its prompt or name)."""
    mask = dataclasses.replace(scores, confirmed=None).mask(rule)
    confirmed = np.ones(mask.shape, dtype=bool)
    columns = [j for j in range(len(scores.labels)) if j != scores.others_index]
    total = int(sum(mask[:, j].sum() for j in columns))
    photos = library.photos([int(i) for i in scores.file_ids[mask.any(axis=1)]])
    row_of = {int(f): r for r, f in enumerate(scores.file_ids)}
    asks = [(words.get(scores.labels[j], scores.labels[j]),
             [Item(int(f), photos[int(f)].path, photos[int(f)].content_hash or "")
              for f in scores.file_ids[mask[:, j]]
              if int(f) in photos and photos[int(f)].content_hash]) for j in columns]
    reports = recheck_all(judge, asks, cache=cache, batch_size=batch_size, token=token,
                          progress=progress)
    for j, report in zip(columns, reports, strict=True):
        for file_id, p in report.answers.items():
            confirmed[row_of[file_id], j] = p >= CONFIRMED
    rejected = int((mask & ~confirmed).sum())
    return (dataclasses.replace(scores, confirmed=confirmed),
            TagCheckReport(total, sum(r.asked for r in reports), rejected,
                           sum(r.seconds for r in reports)))
