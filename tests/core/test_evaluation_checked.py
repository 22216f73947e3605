"""The before/after-check table (the seed study's) with a VLM whose answers are known, against a
computation by hand; and its cost (a second run asks nothing)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from clipdesk.core.evaluation.checked import check_comparison, checked_dict
from clipdesk.core.evaluation.results import ClassComparison, ClassEvaluation
from clipdesk.core.rerank.answers import AnswerCache

CLASSES = ("red", "green")


class ColourJudge:
    """p(yes) = 0.9 when the question names the picture's colour, else 0.1."""

    model_id = "vlm:colours"

    def __init__(self) -> None:
        self.asked = 0

    def yes_probabilities(self, images: Sequence[Image.Image],
                          questions: Sequence[str]) -> np.ndarray:
        self.asked += len(images)
        out = []
        for im, q in zip(images, questions, strict=True):
            r, g, _ = im.getpixel((0, 0))
            colour = "red" if r > g else "green"
            out.append(0.9 if colour in q else 0.1)
        return np.array(out, dtype=np.float32)


def _setup(tmp_path: Path) -> tuple[ClassComparison, np.ndarray]:
    colours = ["red", "red", "green", "green", "red", "green"]
    images = []
    for i, c in enumerate(colours):
        path = tmp_path / f"{i}.png"
        Image.new("RGB", (8, 8), (200, 0, i) if c == "red" else (0, 200, i)).save(path)
        images.append(path)
    truth = np.array([[c == "red", c == "green"] for c in colours])
    rng = np.random.default_rng(1)
    evaluations = []
    for name in ("a", "b"):
        scores = rng.uniform(0, 1, size=truth.shape).astype(np.float32)
        evaluations.append(ClassEvaluation(
            model_id=name, classes=CLASSES, images=tuple(images), truth=truth,
            negatives=np.zeros(len(images), dtype=bool), scores=scores,
            image_vectors=np.eye(len(images), dtype=np.float32), logit_scale=100.0))
    return ClassComparison(tuple(evaluations)), truth


def _by_hand(hits: np.ndarray, truth: np.ndarray) -> list[tuple[int, int, int]]:
    out = []
    for c in range(truth.shape[1]):
        tp = sum(1 for i in range(len(truth)) if hits[i, c] and truth[i, c])
        fp = sum(1 for i in range(len(truth)) if hits[i, c] and not truth[i, c])
        fn = sum(1 for i in range(len(truth)) if not hits[i, c] and truth[i, c])
        out.append((tp, fp, fn))
    return out


def test_before_and_after_the_check(tmp_path: Path) -> None:
    result, truth = _setup(tmp_path)
    thresholds = {"a": 0.3, "b": 0.5}
    cache = AnswerCache(tmp_path / "rechecks.sqlite3")
    judge = ColourJudge()
    checked = check_comparison(result, judge, thresholds, cache=cache)
    confirmed = truth  # the judge is right about every photo's colour
    hits = {e.model_id: e.scores >= thresholds[e.model_id] for e in result.evaluations}
    union = hits["a"] | hits["b"]
    assert [r.name for r in checked.rows] == ["a", "b", "union"]
    for row in checked.rows:
        h = union if row.name == "union" else hits[row.name]
        before, after = _by_hand(h, truth), _by_hand(h & confirmed, truth)
        assert list(zip(row.before.tp, row.before.fp, row.before.fn, strict=True)) == before
        assert list(zip(row.after.tp, row.after.fp, row.after.fn, strict=True)) == after
        # a right VLM removes every false positive and keeps every true one
        assert row.after.fp.sum() == 0 and (row.after.tp == row.before.tp).all()
    assert checked.asked == judge.asked == int(union.sum()) and checked.cached == 0
    assert np.isnan(checked.answers[~union]).all() and not np.isnan(checked.answers[union]).any()
    again = check_comparison(result, judge, thresholds, cache=cache)
    assert again.asked == 0 and again.cached == int(union.sum()) and judge.asked == union.sum()
    data = checked_dict(checked)
    assert data["rows"]["union"]["after"]["macro"]["precision"] == pytest.approx(1.0)
    assert set(data["rows"]["a"]["before"]["per_class"]) == set(CLASSES)
