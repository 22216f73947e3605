"""The numbers of an evaluation, as pure numpy functions over score matrices.

Conventions: ``scores`` are cosine similarities, compared in float64; a prediction is
``score >= threshold``; a ratio whose denominator is 0 is 0 (scikit-learn's
``zero_division=0``). Per-class results are arrays in class order; macro averages are the plain
mean over classes (F1 included: the mean of per-class F1, as scikit-learn does), micro averages
pool the counts of every class.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

RANK_CHUNK = 512  # queries ranked at once (bounds memory to chunk x gallery)


def _ratio(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    num = np.asarray(num, dtype=np.float64)
    den = np.asarray(den, dtype=np.float64)
    out = np.zeros(np.broadcast(num, den).shape)
    np.divide(num, den, out=out, where=den > 0)
    return out


def _f1(precision: np.ndarray, recall: np.ndarray) -> np.ndarray:
    return _ratio(2 * precision * recall, precision + recall)


@dataclass(frozen=True)
class Averages:
    precision: float
    recall: float
    f1: float


@dataclass(frozen=True, eq=False)
class PRF:
    """Precision, recall and F1 per class from true/false positive and false negative counts."""

    labels: tuple[str, ...]
    tp: np.ndarray  # int64 (C,)
    fp: np.ndarray
    fn: np.ndarray

    @property
    def support(self) -> np.ndarray:
        return np.asarray(self.tp + self.fn)

    @property
    def precision(self) -> np.ndarray:
        return _ratio(self.tp, self.tp + self.fp)

    @property
    def recall(self) -> np.ndarray:
        return _ratio(self.tp, self.tp + self.fn)

    @property
    def f1(self) -> np.ndarray:
        return _f1(self.precision, self.recall)

    @property
    def macro(self) -> Averages:
        if not len(self.labels):
            return Averages(0.0, 0.0, 0.0)
        return Averages(float(self.precision.mean()), float(self.recall.mean()),
                        float(self.f1.mean()))

    @property
    def micro(self) -> Averages:
        tp, fp, fn = (np.asarray(x.sum()) for x in (self.tp, self.fp, self.fn))
        p, r = _ratio(tp, tp + fp), _ratio(tp, tp + fn)
        return Averages(float(p), float(r), float(_f1(p, r)))

    def row(self, i: int) -> dict[str, float | int]:
        """One class as plain numbers (for tables and exports)."""
        return {
            "precision": float(self.precision[i]), "recall": float(self.recall[i]),
            "f1": float(self.f1[i]), "support": int(self.support[i]), "tp": int(self.tp[i]),
            "fp": int(self.fp[i]), "fn": int(self.fn[i]),
        }


def prf_from_hits(hits: np.ndarray, truth: np.ndarray, labels: Sequence[str]) -> PRF:
    """PRF of boolean predictions ``hits`` against boolean ``truth``, both (n, C)."""
    h = np.asarray(hits, dtype=bool)
    t = np.asarray(truth, dtype=bool)
    return PRF(tuple(labels), (h & t).sum(0).astype(np.int64), (h & ~t).sum(0).astype(np.int64),
               (~h & t).sum(0).astype(np.int64))


def prf_at(
    scores: np.ndarray, truth: np.ndarray, threshold: float | np.ndarray, labels: Sequence[str]
) -> PRF:
    """PRF when everything scoring at least ``threshold`` (one, or one per class) is a hit."""
    th = np.asarray(threshold, dtype=np.float64)
    return prf_from_hits(np.asarray(scores, dtype=np.float64) >= th, truth, labels)


@dataclass(frozen=True, eq=False)
class PRCurve:
    """One class's precision-recall curve, in scikit-learn's ``precision_recall_curve`` form:
    ``thresholds`` ascending (every distinct score), ``precision``/``recall`` one longer, ending
    with the point (1, 0)."""

    precision: np.ndarray
    recall: np.ndarray
    thresholds: np.ndarray

    @property
    def average_precision(self) -> float:
        """Σ (R_n − R_{n−1}) P_n over the curve (scikit-learn's ``average_precision_score``)."""
        return float(-np.sum(np.diff(self.recall) * self.precision[:-1]))

    def best_f1(self) -> tuple[float, float]:
        """``(threshold, f1)`` of the point with the highest F1 (lowest threshold on ties)."""
        if not len(self.thresholds):
            return 0.0, 0.0
        f1 = _f1(self.precision[:-1], self.recall[:-1])
        i = int(np.argmax(f1))
        return float(self.thresholds[i]), float(f1[i])


def pr_curve(scores: np.ndarray, truth: np.ndarray) -> PRCurve:
    """The :class:`PRCurve` of 1-d ``scores`` against boolean ``truth``."""
    s = np.asarray(scores, dtype=np.float64)
    t = np.asarray(truth, dtype=bool)
    order = np.argsort(-s, kind="stable")
    s, t = s[order], t[order]
    # the last position of each distinct score, in descending order
    last = np.r_[np.flatnonzero(np.diff(s)), len(s) - 1] if len(s) else np.zeros(0, int)
    tps = np.cumsum(t)[last].astype(np.float64)
    predicted = (last + 1).astype(np.float64)
    precision = _ratio(tps, predicted)
    positives = float(t.sum())
    recall = tps / positives if positives else np.zeros_like(tps)
    return PRCurve(np.r_[precision[::-1], 1.0], np.r_[recall[::-1], 0.0], s[last][::-1])


def threshold_sweep(
    scores: np.ndarray, truth: np.ndarray, thresholds: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(precision, recall, f1)``, each (T, C): every class at every threshold, in
    O(C · n log n) (for precision/recall-vs-threshold plots and live sliders)."""
    s_all = np.asarray(scores, dtype=np.float64)
    t_all = np.asarray(truth, dtype=bool)
    th = np.asarray(thresholds, dtype=np.float64)
    n_c = s_all.shape[1]
    tp = np.zeros((len(th), n_c))
    predicted = np.zeros((len(th), n_c))
    positives = t_all.sum(0).astype(np.float64)
    for c in range(n_c):
        order = np.argsort(-s_all[:, c], kind="stable")
        s, t = s_all[order, c], t_all[order, c]
        cum = np.r_[0, np.cumsum(t)]
        k = np.searchsorted(-s, -th, side="right")  # how many scores are >= each threshold
        tp[:, c] = cum[k]
        predicted[:, c] = k
    precision = _ratio(tp, predicted)
    recall = _ratio(tp, np.broadcast_to(positives, tp.shape))
    return precision, recall, _f1(precision, recall)


def best_shared_threshold(
    scores: np.ndarray, truth: np.ndarray, candidates: int = 400
) -> tuple[float, float]:
    """``(threshold, macro F1)``: the one threshold for every class with the best macro F1,
    among ``candidates`` quantiles of the scores (a default search threshold to suggest)."""
    s = np.asarray(scores, dtype=np.float64)
    if s.size == 0:
        return 0.0, 0.0
    grid = np.unique(np.quantile(s, np.linspace(0.0, 1.0, candidates)))
    _, _, f1 = threshold_sweep(s, truth, grid)
    macro = f1.mean(axis=1)
    i = int(np.argmax(macro))
    return float(grid[i]), float(macro[i])


# -- zero-shot classification --------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class ClassificationReport:
    """Argmax classification: ``confusion[i, j]`` counts images of label i predicted as j."""

    labels: tuple[str, ...]
    truth: np.ndarray  # int (n,) index into labels
    predicted: np.ndarray  # int (n,)
    confusion: np.ndarray  # int64 (L, L)
    excluded: int = 0  # images left out (several labels, or none that can be predicted)

    @property
    def accuracy(self) -> float:
        n = len(self.truth)
        return float((self.truth == self.predicted).sum() / n) if n else 0.0

    @property
    def per_class(self) -> PRF:
        diag = np.diag(self.confusion).astype(np.int64)
        return PRF(self.labels, diag, self.confusion.sum(0) - diag, self.confusion.sum(1) - diag)


def classify(
    scores: np.ndarray, truth: np.ndarray, labels: Sequence[str], excluded: int = 0
) -> ClassificationReport:
    """Predict the argmax of each row of ``scores`` (n, L) and compare with ``truth`` (n,)."""
    s = np.asarray(scores, dtype=np.float64)
    t = np.asarray(truth, dtype=np.int64)
    k = len(labels)
    predicted = s.argmax(axis=1) if len(s) else np.zeros(0, dtype=np.int64)
    confusion = np.zeros((k, k), dtype=np.int64)
    np.add.at(confusion, (t, predicted), 1)
    return ClassificationReport(tuple(labels), t, predicted.astype(np.int64), confusion,
                                excluded)


# -- ranked retrieval -----------------------------------------------------------------------------


@dataclass(frozen=True)
class RetrievalScores:
    """Ranked retrieval quality over ``queries`` queries (each with at least one relevant item)."""

    recall_at: dict[int, float]  # share of queries with a relevant item in the top k
    mrr: float  # mean of 1 / rank of the first relevant item
    ndcg_at_10: float  # binary relevance
    queries: int


def relevant_ranks(similarity: np.ndarray, relevant: np.ndarray) -> list[np.ndarray]:
    """For each query (row), the sorted 1-based ranks of its relevant items when the gallery is
    ordered by descending similarity (ties: lower index first)."""
    sim = np.asarray(similarity, dtype=np.float64)
    rel = np.asarray(relevant, dtype=bool)
    out: list[np.ndarray] = []
    for start in range(0, len(sim), RANK_CHUNK):
        order = np.argsort(-sim[start:start + RANK_CHUNK], axis=1, kind="stable")
        hit = np.take_along_axis(rel[start:start + RANK_CHUNK], order, axis=1)
        out.extend(np.flatnonzero(row) + 1 for row in hit)
    return out


def per_query(ranks: Sequence[np.ndarray], ndcg_k: int = 10) -> tuple[np.ndarray, np.ndarray]:
    """``(first, ndcg)`` per query with a relevant item: the rank of its first relevant item
    and its nDCG@``ndcg_k`` (binary relevance), from :func:`relevant_ranks`."""
    kept = [np.asarray(r) for r in ranks if len(r)]
    discounts = 1.0 / np.log2(np.arange(2, ndcg_k + 2))
    first = np.array([r[0] for r in kept], dtype=np.float64)
    ndcg = np.array([discounts[r[r <= ndcg_k] - 1].sum() / discounts[: min(len(r), ndcg_k)].sum()
                     for r in kept], dtype=np.float64)
    return first, ndcg


def retrieval_from_per_query(
    first: np.ndarray, ndcg: np.ndarray, ks: Sequence[int] = (1, 5, 10)
) -> RetrievalScores:
    """Recall@k, MRR and mean nDCG from :func:`per_query` arrays."""
    if not len(first):
        return RetrievalScores(dict.fromkeys(ks, 0.0), 0.0, 0.0, 0)
    recall = {int(k): float((first <= k).mean()) for k in ks}
    return RetrievalScores(recall, float((1.0 / first).mean()), float(ndcg.mean()), len(first))


def retrieval_from_ranks(
    ranks: Sequence[np.ndarray], ks: Sequence[int] = (1, 5, 10), ndcg_k: int = 10
) -> RetrievalScores:
    """Recall@k, MRR and nDCG@``ndcg_k`` from :func:`relevant_ranks`; queries without a
    relevant item are left out."""
    return retrieval_from_per_query(*per_query(ranks, ndcg_k), ks)


def retrieval_metrics(
    similarity: np.ndarray, relevant: np.ndarray, ks: Sequence[int] = (1, 5, 10)
) -> RetrievalScores:
    """Recall@k, MRR and nDCG@10 of ranking each row's gallery by ``similarity``."""
    return retrieval_from_ranks(relevant_ranks(similarity, relevant), ks)
