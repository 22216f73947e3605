"""The seed study's table: precision, recall and F1 per class at the threshold for CLIP alone and
for CLIP + a VLM check, for each model and for their union, with the check's cost.

Every (photo, class) pair that some model finds at its threshold is asked once — whether the photo
shows the class's words — whichever model found it (the answer does not depend on the model), and
the answers are cached like a search's. A hit stays a hit after the check when p(yes) ≥ 0.5; a
photo that could not be read keeps CLIP's verdict.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from clipdesk.core.evaluation.metrics import PRF, prf_from_hits
from clipdesk.core.evaluation.results import UNION, ClassComparison
from clipdesk.core.hashing import sha256_file
from clipdesk.core.jobs import CancelToken, ProgressCallback, no_progress
from clipdesk.core.rerank.recheck import CONFIRMED, Item, Judge, recheck_all

if TYPE_CHECKING:
    from clipdesk.core.rerank.answers import AnswerCache


@dataclass(frozen=True)
class CheckedRow:
    name: str  # a model id, or "union"
    before: PRF  # CLIP alone at the threshold
    after: PRF  # the hits the VLM confirmed


@dataclass(frozen=True, eq=False)
class CheckedComparison:
    rows: tuple[CheckedRow, ...]
    checker: str  # the VLM's id
    answers: np.ndarray  # float (n, C): p(yes), NaN where not asked
    asked: int  # pairs the VLM looked at in this run
    cached: int  # pairs answered before
    seconds: float


def check_comparison(
    result: ClassComparison,
    judge: Judge,
    thresholds: Mapping[str, float],
    *,
    class_texts: Sequence[str] | None = None,
    cache: AnswerCache | None = None,
    confirmed: float = CONFIRMED,
    batch_size: int | None = None,
    token: CancelToken | None = None,
    progress: ProgressCallback = no_progress,
) -> CheckedComparison:
    """Check the hits of every model of ``result`` at its threshold (``thresholds`` by model
    id) with ``judge``; ``class_texts`` are the words asked per class (default: the class
    names)."""
    texts = list(class_texts or result.classes)
    evaluations = result.evaluations
    truth = evaluations[0].truth
    images = evaluations[0].images
    hit_sets = {e.model_id: e.scores.astype(np.float64) >= thresholds[e.model_id]
                for e in evaluations}
    union = np.logical_or.reduce(list(hit_sets.values()))
    answers = np.full(union.shape, np.nan)
    hashes: dict[int, str] = {}
    asks = []
    for c, text in enumerate(texts):
        found = [int(i) for i in np.flatnonzero(union[:, c])]
        for i in found:
            if i not in hashes:
                hashes[i] = _hash(images[i])
        asks.append((text, [Item(i, images[i], hashes[i]) for i in found]))
    reports = recheck_all(judge, asks, cache=cache, batch_size=batch_size, token=token,
                          progress=progress)
    for c, report in enumerate(reports):
        for row, p_yes in report.answers.items():
            answers[row, c] = p_yes
    keep = np.where(np.isnan(answers), True, answers >= confirmed)
    rows_out = [CheckedRow(m, prf_from_hits(h, truth, result.classes),
                           prf_from_hits(h & keep, truth, result.classes))
                for m, h in hit_sets.items()]
    if len(evaluations) > 1:
        rows_out.append(CheckedRow(UNION, prf_from_hits(union, truth, result.classes),
                                   prf_from_hits(union & keep, truth, result.classes)))
    return CheckedComparison(tuple(rows_out), judge.model_id, answers,
                             sum(r.asked for r in reports), sum(r.cached for r in reports),
                             sum(r.seconds for r in reports))


def _hash(path: Path) -> str:
    """The photo's content hash, as the library keeps it (a file gone since: its path)."""
    try:
        return sha256_file(path)
    except OSError:
        return f"unreadable:{path}"


def checked_dict(checked: CheckedComparison) -> dict[str, Any]:
    """JSON-ready: per row, macro P/R/F1 and per class P/R/F1 before and after the check."""
    def block(prf: PRF) -> dict[str, Any]:
        macro = prf.macro
        return {"macro": {"precision": macro.precision, "recall": macro.recall,
                          "f1": macro.f1},
                "per_class": {c: {k: float(v) for k, v in prf.row(i).items()
                                  if k in ("precision", "recall", "f1", "support")}
                              for i, c in enumerate(prf.labels)}}

    return {"checker": checked.checker, "asked": checked.asked, "cached": checked.cached,
            "seconds": round(checked.seconds, 3),
            "rows": {r.name: {"before": block(r.before), "after": block(r.after)}
                     for r in checked.rows}}
