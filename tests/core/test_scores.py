"""Scores mean what they say: SigLIP's probability (``sigmoid(scale · cosine + bias)``, the
model's own), CLIP's cosine; thresholds, the live count, tagging and evaluation use each model's
scale, and the index still searches cosines.

The SigLIP model is a tiny random ``SiglipModel`` saved with ``save_pretrained``; its scale and
bias are read from transformers independently of clipdesk.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from clipdesk.core.engine import Engine
from clipdesk.core.evaluation.report import report_dict, to_markdown
from clipdesk.core.evaluation.results import ClassEvaluation
from clipdesk.core.labels import LabelSet
from clipdesk.core.models import ModelRegistry
from clipdesk.core.scores import COSINE, SIGMOID_KIND, ScoreScale, scale_of
from clipdesk.core.search import Query
from clipdesk.core.tagging import TagRule, score_matrix
from clipdesk.paths import DataPaths

TEXT = "a dog on the city street"


def test_the_scale_and_its_inverse() -> None:
    scale = ScoreScale(SIGMOID_KIND, 10.0, -2.0)
    assert scale.is_probability and scale.name == "probability"
    cos = np.linspace(-1, 1, 41, dtype=np.float32)
    probs = scale.score(cos)
    assert probs.dtype == np.float32 and np.all(np.diff(probs) > 0)
    np.testing.assert_allclose(probs, 1 / (1 + np.exp(-(10 * cos.astype(np.float64) - 2))),
                               rtol=1e-6)
    for c in (-0.5, 0.0, 0.2, 0.3):
        assert scale.cosine(scale.score(c)) == pytest.approx(c, abs=1e-9)
    assert scale.cosine(0.0) < -1 and scale.cosine(1.0) > 1  # never infinite
    assert COSINE.score(0.3) == 0.3 and COSINE.cosine(0.3) == 0.3 and COSINE.name == "cosine"
    assert scale_of(object()) is COSINE


@pytest.fixture
def siglip_engine(tiny_hf_folders: dict[str, Path], data_paths: DataPaths, coco_mini: Path,
                  tmp_path: Path) -> tuple[Engine, str, ScoreScale]:
    import transformers

    info = ModelRegistry(data_paths).import_model(tiny_hf_folders["siglip"], copy=False)
    reference = transformers.SiglipModel.from_pretrained(tiny_hf_folders["siglip"],
                                                         local_files_only=True)
    scale = ScoreScale(SIGMOID_KIND, float(reference.logit_scale.detach().exp()),
                       float(reference.logit_bias.detach()))
    folder = tmp_path / "photos"
    folder.mkdir()
    for p in sorted((coco_mini / "images").glob("*.jpg"))[:16]:
        shutil.copy(p, folder / p.name)
    engine = Engine(data_paths)
    engine.index([folder], model_id=info.model_id)
    return engine, info.model_id, scale


def test_siglip_searches_on_its_own_probability(
        siglip_engine: tuple[Engine, str, ScoreScale]) -> None:
    engine, model_id, scale = siglip_engine
    try:
        ours = scale_of(engine.encoder(model_id))
        assert ours.is_probability and ours.scale == pytest.approx(scale.scale)
        assert ours.bias == pytest.approx(scale.bias)
        library = engine.reader()
        ids = library.file_ids()
        query = engine.encoder(model_id).encode_texts([TEXT])[0]
        cos = library.vectors(model_id, ids) @ query
        probs = 1 / (1 + np.exp(-(scale.scale * cos.astype(np.float64) + scale.bias)))
        result = engine.search(Query(text=TEXT, top_k=16), model_id)
        assert result.scale.is_probability
        order = np.argsort(-probs, kind="stable")
        assert [h.file_id for h in result.hits] == ids[order].tolist()
        np.testing.assert_allclose([h.score for h in result.hits], probs[order], rtol=1e-4,
                                   atol=1e-6)
        # a threshold on the probability: the results and the live count agree with it
        threshold = float(np.median(probs))
        kept = engine.search(Query(text=TEXT, top_k=16, threshold=threshold), model_id)
        expected = int((probs >= threshold - 1e-6).sum())
        assert abs(len(kept.hits) - expected) <= 1 and all(h.score >= threshold - 1e-5
                                                           for h in kept.hits)
        plan = engine.plan(Query(text=TEXT, top_k=16), model_id)
        assert abs(engine.count(plan, threshold)[model_id] - expected) <= 1
        # a photo against photos is a cosine, whatever the model
        similar = engine.search(Query(image_file_id=int(ids[0]), top_k=3), model_id)
        assert not similar.scale.is_probability
        assert similar.hits[0].score == pytest.approx(1.0, abs=1e-3)
    finally:
        engine.close()


def test_siglip_tags_each_label_on_its_own_probability(
        siglip_engine: tuple[Engine, str, ScoreScale]) -> None:
    engine, model_id, scale = siglip_engine
    try:
        labels = LabelSet.build(["dog", "cat", "food"], templates="plain")
        scores = engine.score_tags(labels, model_id)
        vectors = engine.encoder(model_id).encode_texts(["dog", "cat", "food"])
        stored = engine.reader().vectors(model_id, scores.file_ids)
        cos = stored @ vectors.T
        np.testing.assert_allclose(scores.cosines, cos, atol=1e-5)
        np.testing.assert_allclose(scores.probabilities, scale.score(cos.astype(np.float32)),
                                   rtol=1e-4, atol=1e-6)
        # each label alone: the rows are not a softmax (they need not sum to one)
        assert not np.allclose(scores.probabilities.sum(axis=1), 1.0)
        rule = TagRule(min_prob=float(np.median(scores.probabilities)))
        assert scores.mask(rule).sum() == (scores.probabilities >= rule.min_prob).sum()
    finally:
        engine.close()


def test_clip_tagging_keeps_the_softmax() -> None:
    rng = np.random.default_rng(0)
    images = rng.normal(size=(5, 8)).astype(np.float32)
    labels = rng.normal(size=(3, 8)).astype(np.float32)
    _, probs = score_matrix(images, labels, 100.0)
    np.testing.assert_allclose(probs.sum(axis=1), 1.0, rtol=1e-5)


def test_the_evaluation_states_the_scale_of_each_model() -> None:
    truth = np.array([[True, False], [False, True], [True, False]])
    common = dict(classes=("a", "b"), images=(Path("1"), Path("2"), Path("3")), truth=truth,
                  negatives=np.zeros(3, dtype=bool), image_vectors=np.eye(3, dtype=np.float32),
                  logit_scale=100.0)
    siglip = ClassEvaluation(model_id="hf:siglip", scores=np.array(
        [[0.9, 0.1], [0.2, 0.7], [0.6, 0.3]], dtype=np.float32),
        scale=ScoreScale(SIGMOID_KIND, 10.0, -5.0), **common)  # type: ignore[arg-type]
    clip = ClassEvaluation(model_id="clip", scores=np.array(
        [[0.3, 0.1], [0.1, 0.28], [0.26, 0.2]], dtype=np.float32), **common)  # type: ignore[arg-type]
    np.testing.assert_array_equal(siglip.probabilities(), siglip.scores)
    np.testing.assert_allclose(clip.probabilities().sum(axis=1), 1.0, rtol=1e-5)
    from clipdesk.core.evaluation.results import ClassComparison

    report = report_dict(ClassComparison((siglip, clip)), {"hf:siglip": 0.5, "clip": 0.25})
    assert report["score_scale"] == {"hf:siglip": "probability", "clip": "cosine"}
    assert "Thresholds of hf:siglip are its own probability" in to_markdown(report)
