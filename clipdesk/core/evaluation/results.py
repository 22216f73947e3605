"""Evaluation results: plain frozen records that keep their score matrices.

Everything a panel shows is computed from the matrices kept here, in milliseconds, so a
threshold slider can move without encoding anything again:

* :class:`ClassEvaluation` — one model on a class-folder dataset: text→image precision/recall/F1
  at any threshold, PR curves, best-F1 thresholds, zero-shot classification, image→image;
* :class:`CaptionEvaluation` — one model on a caption file: Recall@K, MRR, nDCG@10 both ways;
* :class:`ClassComparison` / :class:`CaptionComparison` — several models side by side, plus
  "union" (a hit if any model has it above its own threshold) and rank fusion (reciprocal rank
  fusion of the models' rankings, as the search's ``"A+B"`` does).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import numpy as np

from clipdesk.core.evaluation.metrics import (
    PRF,
    ClassificationReport,
    PRCurve,
    RetrievalScores,
    best_shared_threshold,
    classify,
    per_query,
    pr_curve,
    prf_at,
    prf_from_hits,
    relevant_ranks,
    retrieval_from_per_query,
    retrieval_metrics,
    threshold_sweep,
)
from clipdesk.core.scores import COSINE, ScoreScale
from clipdesk.core.search import reciprocal_rank_fusion

DEFAULT_THRESHOLD = 0.25
SIM_BLOCK = 1024  # query images compared with the gallery at once (image→image)
CAPTION_FUSION_DEPTH = 100  # like the search's "A+B": each model's top 100 are fused


@dataclass(frozen=True, eq=False)
class ClassEvaluation:
    """One model on one class-folder dataset.

    ``scores[i, c]`` is the cosine of image i with the vector of class c's label (templates and
    descriptions averaged), or on a probability ``scale`` (SigLIP) the model's probability;
    ``others_scores`` the same with the "others" vector when the label set had one.
    ``image_vectors`` are kept for image→image (cosines there, whatever the model).
    """

    model_id: str
    classes: tuple[str, ...]
    images: tuple[Path, ...]
    truth: np.ndarray  # bool (n, C)
    negatives: np.ndarray  # bool (n,)
    scores: np.ndarray  # float32 (n, C)
    image_vectors: np.ndarray  # float32 (n, dim)
    logit_scale: float
    others_label: str | None = None
    others_scores: np.ndarray | None = None  # float32 (n,)
    skipped: tuple[Path, ...] = ()  # dataset pictures that could not be decoded (left out)
    scale: ScoreScale = COSINE  # what ``scores`` and the text thresholds are

    # -- text → image at a threshold ------------------------------------------------------------

    def text_to_image(self, threshold: float | Sequence[float] = DEFAULT_THRESHOLD) -> PRF:
        """Per class: every image whose score reaches ``threshold`` (one, or one per class) is
        retrieved for that class's label."""
        return prf_at(self.scores, self.truth, np.asarray(threshold), self.classes)

    @cached_property
    def curves(self) -> tuple[PRCurve, ...]:
        """The PR curve of each class (thresholds = every distinct score)."""
        return tuple(pr_curve(self.scores[:, c], self.truth[:, c])
                     for c in range(len(self.classes)))

    def best_thresholds(self) -> list[tuple[float, float]]:
        """``(threshold, F1)`` with the best F1, per class."""
        return [curve.best_f1() for curve in self.curves]

    @cached_property
    def suggested_threshold(self) -> float:
        """The one threshold with the best macro F1: a default search threshold to suggest."""
        return best_shared_threshold(self.scores, self.truth)[0]

    def sweep(self, thresholds: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Precision, recall and F1 per class at each threshold: arrays (T, C)."""
        return threshold_sweep(self.scores, self.truth, thresholds)

    def threshold_grid(self, steps: int = 101) -> np.ndarray:
        """Evenly spaced thresholds over the scores' range (for plots and sliders)."""
        if not self.scores.size:
            return np.zeros(0)
        lo, hi = float(self.scores.min()), float(self.scores.max())
        return np.linspace(lo, hi, steps)

    # -- zero-shot classification ---------------------------------------------------------------

    @property
    def label_names(self) -> tuple[str, ...]:
        """The labels of the classifier: the classes, then "others" when there is one."""
        return (*self.classes, self.others_label) if self.others_label else self.classes

    @cached_property
    def classification(self) -> ClassificationReport:
        """Argmax over the labels (including "others") for every image with exactly one true
        label: images of one class, and negatives when there is an "others" label."""
        all_scores = self.scores
        truth_idx = self.truth.argmax(axis=1)
        single = self.truth.sum(axis=1) == 1
        if self.others_label is not None and self.others_scores is not None:
            all_scores = np.column_stack([self.scores, self.others_scores])
            truth_idx = np.where(self.negatives, len(self.classes), truth_idx)
            single = single | self.negatives
        # the argmax of the probabilities is the argmax of the cosines (softmax is monotonic)
        return classify(all_scores[single], truth_idx[single], self.label_names,
                        excluded=int((~single).sum()))

    def probabilities(self) -> np.ndarray:
        """Softmax over the labels (with "others") at the model's logit scale, (n, L); on a
        probability scale, each label's own probability (the scores)."""
        from clipdesk.core.tagging import softmax

        cols = self.scores if self.others_scores is None else np.column_stack(
            [self.scores, self.others_scores])
        if self.scale.is_probability:
            return np.asarray(cols, dtype=np.float32)
        return softmax(self.logit_scale * cols, axis=1)

    # -- image → image --------------------------------------------------------------------------

    def image_to_image(self, threshold: float = DEFAULT_THRESHOLD, *,
                       with_negatives: bool = False) -> PRF:
        """Each image of class c queries the gallery (every other image of a class, plus the
        negatives when ``with_negatives``); gallery images scoring ≥ ``threshold`` are retrieved.
        Counts are summed over the class's queries."""
        labelled = np.asarray(self.truth.any(axis=1), dtype=bool)
        gallery = np.asarray(labelled | self.negatives if with_negatives else labelled)
        truth = self.truth.astype(np.float32)
        tp = np.zeros(len(self.classes))
        predicted = np.zeros(len(self.classes))
        vecs = self.image_vectors.astype(np.float32)
        for start in range(0, len(vecs), SIM_BLOCK):
            block = slice(start, start + SIM_BLOCK)
            sims = (vecs[block] @ vecs.T).astype(np.float64)
            rows = np.arange(sims.shape[0])
            sims[rows, rows + start] = -np.inf  # an image does not retrieve itself
            hits = ((sims >= threshold) & gallery[None, :]).astype(np.float32)
            tp += ((hits @ truth) * truth[block]).sum(axis=0)
            predicted += (hits.sum(axis=1, keepdims=True) * truth[block]).sum(axis=0)
        in_gallery = (self.truth & gallery[:, None]).sum(axis=0).astype(np.float64)
        members = self.truth.sum(axis=0).astype(np.float64)
        positives = members * in_gallery - (self.truth & gallery[:, None]).sum(axis=0)
        tp_i = tp.round().astype(np.int64)
        return PRF(self.classes, tp_i, predicted.round().astype(np.int64) - tp_i,
                   positives.round().astype(np.int64) - tp_i)


@dataclass(frozen=True, eq=False)
class CaptionEvaluation:
    """One model on a caption file: ``similarity[q, i]`` of query q with image i (float32,
    kept whole: 25,000 captions x 5,000 images take 500 MB)."""

    model_id: str
    queries: tuple[str, ...]
    images: tuple[Path, ...]
    relevance: np.ndarray  # bool (n_queries, n_images)
    similarity: np.ndarray  # float32 (n_queries, n_images)
    skipped: tuple[Path, ...] = ()

    @cached_property
    def text_to_image(self) -> RetrievalScores:
        return retrieval_metrics(self.similarity, self.relevance)

    @cached_property
    def image_to_text(self) -> RetrievalScores:
        return retrieval_metrics(self.similarity.T, self.relevance.T)


# -- comparisons ---------------------------------------------------------------------------------

UNION = "union"
FUSION = "rrf"


@dataclass(frozen=True, eq=False)
class ComparisonRow:
    """One row of a comparison table: a model, the union, or the rank fusion."""

    name: str  # model id, "union" or "rrf"
    threshold: float | None  # None for rows without their own threshold
    prf: PRF
    average_precision: np.ndarray | None  # per class (None: the union has no ranking)


@dataclass(frozen=True, eq=False)
class ClassComparison:
    """Several models' :class:`ClassEvaluation` of the same images (same order)."""

    evaluations: tuple[ClassEvaluation, ...]

    @property
    def model_ids(self) -> tuple[str, ...]:
        return tuple(e.model_id for e in self.evaluations)

    @property
    def classes(self) -> tuple[str, ...]:
        return self.evaluations[0].classes

    def thresholds_for(self, thresholds: float | Mapping[str, float]) -> dict[str, float]:
        if isinstance(thresholds, Mapping):
            return {m: float(thresholds.get(m, DEFAULT_THRESHOLD)) for m in self.model_ids}
        return dict.fromkeys(self.model_ids, float(thresholds))

    def table(self, thresholds: float | Mapping[str, float] = DEFAULT_THRESHOLD
              ) -> list[ComparisonRow]:
        """Text→image rows: each model at its threshold; with two or more models also
        ``union`` (a hit when any model scores it at or above its own threshold) and ``rrf``
        (each class's images ranked by reciprocal rank fusion of the models' rankings; the top
        n are hits, n being the models' mean hit count for that class at their thresholds)."""
        th = self.thresholds_for(thresholds)
        truth = self.evaluations[0].truth
        rows: list[ComparisonRow] = []
        hit_sets = []
        for e in self.evaluations:
            hits = e.scores.astype(np.float64) >= th[e.model_id]
            hit_sets.append(hits)
            ap = np.array([c.average_precision for c in e.curves])
            rows.append(ComparisonRow(e.model_id, th[e.model_id],
                                      prf_from_hits(hits, truth, self.classes), ap))
        if len(self.evaluations) < 2:
            return rows
        union = np.logical_or.reduce(hit_sets)
        rows.append(ComparisonRow(UNION, None, prf_from_hits(union, truth, self.classes), None))
        fused = self.fused_scores()
        depth = np.rint(np.mean([h.sum(axis=0) for h in hit_sets], axis=0)).astype(int)
        fused_hits = np.zeros_like(union)
        for c in range(len(self.classes)):
            order = np.argsort(-fused[:, c], kind="stable")[: depth[c]]
            fused_hits[order, c] = True
        ap = np.array([pr_curve(fused[:, c], truth[:, c]).average_precision
                       for c in range(len(self.classes))])
        rows.append(ComparisonRow(FUSION, None, prf_from_hits(fused_hits, truth, self.classes),
                                  ap))
        return rows

    @cached_property
    def _fused(self) -> np.ndarray:
        n, k = self.evaluations[0].scores.shape
        out = np.zeros((n, k))
        for c in range(k):
            rankings = [_ranking(e.scores[:, c]) for e in self.evaluations]
            for i, score in reciprocal_rank_fusion(rankings):
                out[i, c] = score
        return out

    def fused_scores(self) -> np.ndarray:
        """(n, C): each image's reciprocal-rank-fusion score per class (full rankings)."""
        return self._fused


@dataclass(frozen=True, eq=False)
class CaptionComparison:
    """Several models' :class:`CaptionEvaluation` of the same queries and images."""

    evaluations: tuple[CaptionEvaluation, ...]

    @property
    def model_ids(self) -> tuple[str, ...]:
        return tuple(e.model_id for e in self.evaluations)

    def table(self) -> list[tuple[str, RetrievalScores, RetrievalScores]]:
        """``(name, text→image, image→text)`` per model; with two or more models also
        ``union`` (per query the best first-relevant rank and the best nDCG of any model:
        Recall@K counts a hit when either model has one in its top K) and ``rrf`` (the
        models' top :data:`CAPTION_FUSION_DEPTH` fused)."""
        rows = [(e.model_id, e.text_to_image, e.image_to_text) for e in self.evaluations]
        if len(self.evaluations) < 2:
            return rows
        sims_t2i = [e.similarity for e in self.evaluations]
        sims_i2t = [e.similarity.T for e in self.evaluations]
        rel = self.evaluations[0].relevance
        rows.append((UNION, _union_scores(sims_t2i, rel), _union_scores(sims_i2t, rel.T)))
        rows.append((FUSION, _fused_scores(sims_t2i, rel), _fused_scores(sims_i2t, rel.T)))
        return rows


def _ranking(scores: np.ndarray, depth: int | None = None) -> list[tuple[int, float]]:
    order = np.argsort(-scores.astype(np.float64), kind="stable")[:depth]
    return [(int(i), float(scores[i])) for i in order]


def _union_scores(sims: Sequence[np.ndarray], relevant: np.ndarray) -> RetrievalScores:
    # per query: the best first-relevant rank of any model, and the best nDCG of any model
    parts = [per_query(relevant_ranks(s, relevant)) for s in sims]
    first = np.minimum.reduce([p[0] for p in parts])
    ndcg = np.maximum.reduce([p[1] for p in parts])
    return retrieval_from_per_query(first, ndcg)


def _fused_scores(sims: Sequence[np.ndarray], relevant: np.ndarray) -> RetrievalScores:
    n_items = relevant.shape[1]
    depth = min(CAPTION_FUSION_DEPTH, n_items)
    fused = np.zeros(relevant.shape)
    for q in range(len(relevant)):
        for i, score in reciprocal_rank_fusion([_ranking(s[q], depth) for s in sims]):
            fused[q, i] = score
    return retrieval_metrics(fused, relevant)
