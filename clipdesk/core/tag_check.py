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
from clipdesk.core.rerank.recheck import CONFIRMED, Item, Judge, recheck
from clipdesk.core.tagging import TagRule, TagScores
from clipdesk.core.types import Progress, Stage

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
    done = asked = 0
    seconds = 0.0
    for j in columns:
        items = [Item(int(f), photos[int(f)].path, photos[int(f)].content_hash or "")
                 for f in scores.file_ids[mask[:, j]]
                 if int(f) in photos and photos[int(f)].content_hash]

        def step(p: Progress, base: int = done) -> None:
            progress(Progress(Stage.CHECKING, base + p.done, total))

        label = scores.labels[j]
        report = recheck(judge, items, words.get(label, label), cache=cache,
                         batch_size=batch_size, token=token, progress=step)
        for file_id, p in report.answers.items():
            confirmed[row_of[file_id], j] = p >= CONFIRMED
        done += int(mask[:, j].sum())
        asked += report.asked
        seconds += report.seconds
    rejected = int((mask & ~confirmed).sum())
    return (dataclasses.replace(scores, confirmed=confirmed),
            TagCheckReport(total, asked, rejected, seconds))
