"""Evaluation metrics agree with scikit-learn and with brute-force implementations written here."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from clipdesk.core.evaluation.metrics import (
    best_shared_threshold,
    classify,
    pr_curve,
    prf_at,
    relevant_ranks,
    retrieval_metrics,
    threshold_sweep,
)
from clipdesk.core.evaluation.results import (
    CaptionComparison,
    CaptionEvaluation,
    ClassComparison,
    ClassEvaluation,
)
from clipdesk.core.search import reciprocal_rank_fusion

sk = pytest.importorskip("sklearn.metrics")

N, C = 120, 5
LABELS = tuple(f"class{c}" for c in range(C))


@pytest.fixture
def data() -> tuple[np.ndarray, np.ndarray]:
    """Scores that carry some signal, and multi-label truth (every class has positives)."""
    rng = np.random.default_rng(7)
    truth = rng.random((N, C)) < 0.25
    truth[np.arange(C), np.arange(C)] = True
    scores = (0.18 + 0.08 * truth + 0.05 * rng.standard_normal((N, C))).astype(np.float32)
    return scores, truth


@pytest.mark.parametrize("threshold", [0.15, 0.2, 0.25, 0.3, 0.5])
def test_prf_at_threshold_matches_sklearn(
    data: tuple[np.ndarray, np.ndarray], threshold: float
) -> None:
    scores, truth = data
    prf = prf_at(scores, truth, threshold, LABELS)
    y_pred = scores.astype(np.float64) >= threshold
    p, r, f, s = sk.precision_recall_fscore_support(truth, y_pred, average=None,
                                                    zero_division=0)
    np.testing.assert_allclose(prf.precision, p)
    np.testing.assert_allclose(prf.recall, r)
    np.testing.assert_allclose(prf.f1, f)
    np.testing.assert_array_equal(prf.support, s)
    for average, ours in (("macro", prf.macro), ("micro", prf.micro)):
        p, r, f, _ = sk.precision_recall_fscore_support(truth, y_pred, average=average,
                                                        zero_division=0)
        assert (ours.precision, ours.recall, ours.f1) == pytest.approx((p, r, f))
    for c in range(C):  # one class at a time, as a binary problem
        assert prf.precision[c] == pytest.approx(
            sk.precision_score(truth[:, c], y_pred[:, c], zero_division=0))
        assert prf.recall[c] == pytest.approx(sk.recall_score(truth[:, c], y_pred[:, c]))


def test_per_class_thresholds(data: tuple[np.ndarray, np.ndarray]) -> None:
    scores, truth = data
    th = np.array([0.2, 0.22, 0.24, 0.26, 0.28])
    prf = prf_at(scores, truth, th, LABELS)
    for c in range(C):
        assert prf.f1[c] == pytest.approx(sk.f1_score(truth[:, c], scores[:, c] >= th[c]))


def test_pr_curve_and_average_precision_match_sklearn(
    data: tuple[np.ndarray, np.ndarray]
) -> None:
    scores, truth = data
    scores = np.round(scores, 2)  # ties, too
    for c in range(C):
        ours = pr_curve(scores[:, c], truth[:, c])
        p, r, t = sk.precision_recall_curve(truth[:, c], scores[:, c].astype(np.float64))
        np.testing.assert_allclose(ours.precision, p)
        np.testing.assert_allclose(ours.recall, r)
        np.testing.assert_allclose(ours.thresholds, t)
        assert ours.average_precision == pytest.approx(
            sk.average_precision_score(truth[:, c], scores[:, c]))
        best_t, best_f1 = ours.best_f1()
        f1s = [sk.f1_score(truth[:, c], scores[:, c] >= x) for x in t]
        assert best_f1 == pytest.approx(max(f1s))
        assert sk.f1_score(truth[:, c], scores[:, c] >= best_t) == pytest.approx(best_f1)


def test_threshold_sweep_equals_prf_at_each_threshold(
    data: tuple[np.ndarray, np.ndarray]
) -> None:
    scores, truth = data
    grid = np.linspace(0.0, 0.45, 31)
    p, r, f = threshold_sweep(scores, truth, grid)
    for i, t in enumerate(grid):
        prf = prf_at(scores, truth, t, LABELS)
        np.testing.assert_allclose(p[i], prf.precision)
        np.testing.assert_allclose(r[i], prf.recall)
        np.testing.assert_allclose(f[i], prf.f1)
    t, macro = best_shared_threshold(scores, truth)
    assert macro == pytest.approx(prf_at(scores, truth, t, LABELS).macro.f1)
    assert macro >= f.mean(axis=1).max() - 0.02  # a quantile grid is close to the best


def test_zero_shot_classification_matches_sklearn() -> None:
    rng = np.random.default_rng(3)
    labels = ("cat", "dog", "car", "others")
    truth = rng.integers(0, 4, 200)
    scores = rng.standard_normal((200, 4)) + 1.5 * np.eye(4)[truth]
    report = classify(scores, truth, labels)
    predicted = scores.argmax(1)
    np.testing.assert_array_equal(report.confusion,
                                  sk.confusion_matrix(truth, predicted, labels=range(4)))
    assert report.accuracy == pytest.approx(sk.accuracy_score(truth, predicted))
    p, r, f, s = sk.precision_recall_fscore_support(truth, predicted, labels=range(4),
                                                    zero_division=0)
    np.testing.assert_allclose(report.per_class.precision, p)
    np.testing.assert_allclose(report.per_class.recall, r)
    np.testing.assert_allclose(report.per_class.f1, f)
    np.testing.assert_array_equal(report.per_class.support, s)


# -- ranked retrieval against a brute force written independently --------------------------------


def brute_force(sim: np.ndarray, relevant: np.ndarray) -> dict[str, float]:
    recall = {1: 0, 5: 0, 10: 0}
    rr, ndcg, n = 0.0, 0.0, 0
    for q in range(sim.shape[0]):
        items = sorted(range(sim.shape[1]), key=lambda j: (-float(sim[q, j]), j))
        positions = [pos + 1 for pos, j in enumerate(items) if relevant[q, j]]
        if not positions:
            continue
        n += 1
        for k in recall:
            recall[k] += positions[0] <= k
        rr += 1.0 / positions[0]
        dcg = sum(1.0 / math.log2(p + 1) for p in positions if p <= 10)
        ideal = sum(1.0 / math.log2(i + 2) for i in range(min(len(positions), 10)))
        ndcg += dcg / ideal
    return {"r1": recall[1] / n, "r5": recall[5] / n, "r10": recall[10] / n, "mrr": rr / n,
            "ndcg": ndcg / n}


def caption_world(seed: int = 11) -> tuple[np.ndarray, np.ndarray]:
    """60 images with 3 captions each: (similarity (180, 60), relevance)."""
    rng = np.random.default_rng(seed)
    images = rng.standard_normal((60, 16))
    owner = np.repeat(np.arange(60), 3)
    texts = images[owner] + 1.3 * rng.standard_normal((180, 16))
    sim = texts @ images.T / 16
    return sim.astype(np.float32), np.eye(60, dtype=bool)[owner]


def test_recall_mrr_ndcg_match_brute_force_both_ways() -> None:
    sim, rel = caption_world()
    for s, r in ((sim, rel), (sim.T, rel.T)):  # text→image (1 relevant), image→text (3)
        ours = retrieval_metrics(s, r)
        ref = brute_force(s, r)
        assert ours.recall_at == pytest.approx({1: ref["r1"], 5: ref["r5"], 10: ref["r10"]})
        assert ours.mrr == pytest.approx(ref["mrr"])
        assert ours.ndcg_at_10 == pytest.approx(ref["ndcg"])
        assert ours.queries == s.shape[0]
        assert 0 < ours.recall_at[1] < ours.recall_at[10] < 1


def test_relevant_ranks_in_chunks() -> None:
    sim, rel = caption_world(5)
    from clipdesk.core.evaluation import metrics

    whole = relevant_ranks(sim, rel)
    old = metrics.RANK_CHUNK
    metrics.RANK_CHUNK = 7
    try:
        chunked = relevant_ranks(sim, rel)
    finally:
        metrics.RANK_CHUNK = old
    assert all(np.array_equal(a, b) for a, b in zip(whole, chunked, strict=True))


def test_caption_comparison_union_and_fusion() -> None:
    sim_a, rel = caption_world(1)
    sim_b = sim_a + np.random.default_rng(2).standard_normal(sim_a.shape).astype(np.float32) / 8
    images = tuple(Path(f"{i}.jpg") for i in range(60))
    queries = tuple(str(i) for i in range(180))
    a = CaptionEvaluation("a", queries, images, rel, sim_a)
    b = CaptionEvaluation("b", queries, images, rel, sim_b)
    rows = {name: (t2i, i2t) for name, t2i, i2t in CaptionComparison((a, b)).table()}
    assert list(rows) == ["a", "b", "union", "rrf"]
    first_a = np.array([r[0] for r in relevant_ranks(sim_a, rel)])
    first_b = np.array([r[0] for r in relevant_ranks(sim_b, rel)])
    for k in (1, 5, 10):
        either = np.mean((first_a <= k) | (first_b <= k))
        assert rows["union"][0].recall_at[k] == pytest.approx(either)
    # rank fusion: the search's own function over each model's top 100 (= all 60 here)
    fused = np.zeros(sim_a.shape)
    for q in range(len(queries)):
        rankings = [sorted(((j, float(s[q, j])) for j in range(60)), key=lambda x: -x[1])
                    for s in (sim_a, sim_b)]
        for j, score in reciprocal_rank_fusion(rankings):
            fused[q, j] = score
    assert rows["rrf"][0] == retrieval_metrics(fused, rel)


# -- class evaluations ---------------------------------------------------------------------------


def class_eval(model: str, scores: np.ndarray, truth: np.ndarray, seed: int = 0,
               negatives: np.ndarray | None = None) -> ClassEvaluation:
    n = len(scores)
    rng = np.random.default_rng(seed)
    vectors = rng.standard_normal((n, 8)) + 2 * truth[:, :1] @ np.ones((1, 8))
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    return ClassEvaluation(
        model, LABELS, tuple(Path(f"{i}.jpg") for i in range(n)), truth,
        np.zeros(n, bool) if negatives is None else negatives, scores,
        vectors.astype(np.float32), 100.0)


def test_class_comparison_union_and_rank_fusion(data: tuple[np.ndarray, np.ndarray]) -> None:
    scores, truth = data
    other = scores + np.random.default_rng(9).standard_normal(scores.shape).astype(
        np.float32) * 0.03
    a, b = class_eval("a", scores, truth), class_eval("b", other, truth)
    comparison = ClassComparison((a, b))
    rows = {r.name: r for r in comparison.table({"a": 0.24, "b": 0.26})}
    assert list(rows) == ["a", "b", "union", "rrf"]
    assert rows["a"].threshold == 0.24 and rows["union"].threshold is None
    union_pred = (scores >= 0.24) | (other >= 0.26)
    p, r, _, _ = sk.precision_recall_fscore_support(truth, union_pred, average=None,
                                                    zero_division=0)
    np.testing.assert_allclose(rows["union"].prf.precision, p)
    np.testing.assert_allclose(rows["union"].prf.recall, r)
    assert np.all(rows["union"].prf.recall >= rows["a"].prf.recall)
    for c in range(C):
        rankings = [sorted(((i, float(s[i, c])) for i in range(N)), key=lambda x: -x[1])
                    for s in (scores, other)]
        expected = dict(reciprocal_rank_fusion(rankings))
        np.testing.assert_allclose(comparison.fused_scores()[:, c],
                                   [expected[i] for i in range(N)])
        depth = round(((scores[:, c] >= 0.24).sum() + (other[:, c] >= 0.26).sum()) / 2)
        assert rows["rrf"].prf.tp[c] + rows["rrf"].prf.fp[c] == depth
        assert rows["a"].average_precision is not None
        assert rows["a"].average_precision[c] == pytest.approx(
            sk.average_precision_score(truth[:, c], scores[:, c]))
    assert len(ClassComparison((a,)).table(0.25)) == 1


def test_image_to_image_matches_brute_force(data: tuple[np.ndarray, np.ndarray]) -> None:
    scores, truth = data
    negatives = np.zeros(N, bool)
    negatives[-20:] = True
    truth = truth.copy()
    truth[-20:] = False
    e = class_eval("a", scores, truth, seed=4, negatives=negatives)
    sims = e.image_vectors.astype(np.float64) @ e.image_vectors.T.astype(np.float64)
    from clipdesk.core.evaluation import results

    for with_negatives in (False, True):
        gallery = truth.any(1) | (negatives if with_negatives else False)
        for threshold in (0.0, 0.3):
            tp = np.zeros(C, int)
            fp = np.zeros(C, int)
            fn = np.zeros(C, int)
            for c in range(C):
                for q in np.flatnonzero(truth[:, c]):
                    for j in range(N):
                        if j == q or not gallery[j]:
                            continue
                        hit, pos = sims[q, j] >= threshold, truth[j, c]
                        tp[c] += hit and pos
                        fp[c] += hit and not pos
                        fn[c] += pos and not hit
            old = results.SIM_BLOCK
            results.SIM_BLOCK = 17  # several blocks
            try:
                prf = e.image_to_image(threshold, with_negatives=with_negatives)
            finally:
                results.SIM_BLOCK = old
            np.testing.assert_array_equal(prf.tp, tp)
            np.testing.assert_array_equal(prf.fp, fp)
            np.testing.assert_array_equal(prf.fn, fn)
    with_neg = e.image_to_image(0.0, with_negatives=True)
    without = e.image_to_image(0.0)
    assert np.all(with_neg.fp >= without.fp) and np.all(with_neg.tp == without.tp)


def test_classification_of_a_class_evaluation_with_others() -> None:
    truth = np.zeros((6, 2), bool)
    truth[0, 0] = truth[1, 0] = truth[2, 1] = True
    truth[3] = True  # two labels: left out of the argmax classification
    negatives = np.array([False] * 4 + [True] * 2)
    scores = np.array([[0.3, 0.1], [0.1, 0.3], [0.1, 0.3], [0.3, 0.3], [0.2, 0.1], [0.1, 0.1]],
                      np.float32)
    e = ClassEvaluation("m", ("a", "b"), tuple(Path(f"{i}") for i in range(6)), truth,
                        negatives, scores, np.eye(6, 4, dtype=np.float32), 100.0,
                        others_label="others",
                        others_scores=np.array([0, 0, 0, 0, 0.15, 0.2], np.float32))
    report = e.classification
    assert report.labels == ("a", "b", "others") and report.excluded == 1
    assert report.truth.tolist() == [0, 0, 1, 2, 2]
    assert report.predicted.tolist() == [0, 1, 1, 0, 2]
    assert report.accuracy == pytest.approx(3 / 5)
    np.testing.assert_allclose(e.probabilities().sum(1), 1.0, rtol=1e-5)
