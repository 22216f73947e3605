"""Evaluation end to end on coco-mini with the tiny random models: the real indexer embeds the
pictures into the evaluation store once, every number is in range, scores line up with the stored
vectors, and the exports parse back to the same numbers."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

from clipdesk.core import evaluation as ev
from clipdesk.core.engine import Engine
from clipdesk.core.jobs import Cancelled, CancelToken
from clipdesk.core.labels import Label, LabelError, LabelSet, label_vectors
from clipdesk.core.models.base import ModelInfo
from clipdesk.core.types import Progress, Stage
from clipdesk.paths import DataPaths
from tests.fixtures.eval_data import make_coco_captions, make_coco_classes
from tests.fixtures.tiny_models import TINY_CN_CLIP_ID, TINY_OPEN_CLIP_ID


@dataclass
class World:
    engine: Engine
    models: list[str]
    classes: Path
    captions: Path


@pytest.fixture(scope="module")
def world(
    tmp_path_factory: pytest.TempPathFactory, coco_mini: Path, _tiny_model_template: DataPaths
) -> World:
    from tests.conftest import _install_tiny

    base = tmp_path_factory.mktemp("evaluation")
    paths = DataPaths(base / "data").ensure()
    infos: list[ModelInfo] = [_install_tiny(_tiny_model_template, paths, m)
                              for m in (TINY_OPEN_CLIP_ID, TINY_CN_CLIP_ID)]
    return World(Engine(paths), [i.model_id for i in infos],
                 make_coco_classes(coco_mini, base / "classes"),
                 make_coco_captions(coco_mini, base / "captions"))


@pytest.fixture(scope="module")
def classes_result(world: World) -> ev.ClassComparison:
    dataset = ev.load_class_folders(world.classes)
    seen: list[Progress] = []
    with ev.open_evaluation_library(world.engine) as library:
        result = ev.evaluate_classes(world.engine, library, dataset, world.models,
                                     progress=seen.append)
    assert {p.stage for p in seen} >= {Stage.EMBEDDING, Stage.EVALUATING}
    return result


def test_class_folders_end_to_end(world: World, classes_result: ev.ClassComparison) -> None:
    assert classes_result.model_ids == tuple(world.models)
    assert classes_result.classes == ("car", "dog", "床", "披萨")
    first = classes_result.evaluations[0]
    counts = {c: len(list((world.classes / c).iterdir())) for c in first.classes}
    assert dict(zip(first.classes, first.truth.sum(0).tolist(), strict=True)) == counts
    assert first.negatives.sum() == 8 and first.others_label == "其他"
    assert first.skipped == ()
    for e in classes_result.evaluations:
        assert e.scores.shape == (len(e.images), 4) and np.all(np.abs(e.scores) <= 1.0001)
        for prf in (e.text_to_image(0.0), e.image_to_image(0.5),
                    e.image_to_image(0.5, with_negatives=True), e.classification.per_class):
            for values in (prf.precision, prf.recall, prf.f1):
                assert np.all((values >= 0) & (values <= 1))
        cls = e.classification
        assert cls.labels[-1] == "其他" and 0 <= cls.accuracy <= 1
        assert cls.confusion.sum() == len(e.images) - cls.excluded
        assert e.suggested_threshold == pytest.approx(e.suggested_threshold)
        assert len(e.curves) == 4 and all(0 <= c.average_precision <= 1 for c in e.curves)
    rows = classes_result.table(0.1)
    assert [r.name for r in rows] == [*world.models, "union", "rrf"]


def test_scores_line_up_with_stored_vectors(
    world: World, classes_result: ev.ClassComparison
) -> None:
    e = classes_result.evaluations[1]
    encoder = world.engine.encoder(e.model_id)
    labels = ev.class_label_set(ev.load_class_folders(world.classes))
    lv = label_vectors(encoder, labels)
    with ev.open_evaluation_library(world.engine, write=False) as library:
        for i in (0, 7, len(e.images) - 1):
            photo = library.photo_by_path(e.images[i])
            assert photo is not None
            stored = library.vectors(e.model_id, [photo.id])[0]
            np.testing.assert_allclose(e.scores[i], stored @ lv.vectors[:4].T, atol=1e-5)
            assert e.others_scores is not None
            assert e.others_scores[i] == pytest.approx(float(stored @ lv.vectors[4]), abs=1e-5)
    # the evaluation store is not the library a person searches
    with world.engine.library() as main:
        assert main.model_counts() == {}


def test_a_second_evaluation_embeds_nothing(
    world: World, classes_result: ev.ClassComparison, monkeypatch: pytest.MonkeyPatch
) -> None:
    for model_id in world.models:
        encoder = world.engine.encoder(model_id)
        monkeypatch.setattr(encoder, "encode_images",
                            lambda *a, **k: pytest.fail("a picture was embedded again"))
    dataset = ev.load_class_folders(world.classes)
    with ev.open_evaluation_library(world.engine, write=False) as library:  # no writer needed
        again = ev.evaluate_classes(world.engine, library, dataset, world.models)
    for a, b in zip(again.evaluations, classes_result.evaluations, strict=True):
        np.testing.assert_array_equal(a.scores, b.scores)


def test_labels_with_descriptions_and_wrong_labels(
    world: World, classes_result: ev.ClassComparison
) -> None:
    dataset = ev.load_class_folders(world.classes)
    described = LabelSet((Label("car", ("red car",)), Label("dog"), Label("床"), Label("披萨")),
                         templates=("{}",), others="其他")
    with ev.open_evaluation_library(world.engine, write=False) as library:
        result = ev.evaluate_classes(world.engine, library, dataset, world.models[:1],
                                     label_set=described)
        assert not np.array_equal(result.evaluations[0].scores,
                                  classes_result.evaluations[0].scores)
        # one label set per model: English prompts for the English model
        english = LabelSet((Label("car"), Label("dog"), Label("床", prompt="bed"),
                            Label("披萨", prompt="pizza")), others="其他")
        per_model = ev.evaluate_classes(world.engine, library, dataset, world.models,
                                        label_set={world.models[0]: english})
        assert not np.array_equal(per_model.evaluations[0].scores,
                                  classes_result.evaluations[0].scores)
        np.testing.assert_array_equal(per_model.evaluations[1].scores,
                                      classes_result.evaluations[1].scores)
        with pytest.raises(LabelError, match="missing: 披萨"):
            ev.evaluate_classes(world.engine, library, dataset, world.models[:1],
                                label_set=LabelSet.build(["car", "dog", "床", "cat"]))


def test_refusals_and_cancel(world: World, classes_result: ev.ClassComparison) -> None:
    dataset = ev.load_class_folders(world.classes)
    with world.engine.library() as main, pytest.raises(ev.EvaluationError, match="reading only"):
        ev.evaluate_classes(world.engine, main, dataset, world.models[:1])
    with ev.open_evaluation_library(world.engine, write=False) as library:
        with pytest.raises(ev.EvaluationError, match="at least one model"):
            ev.evaluate_classes(world.engine, library, dataset, [])
        token = CancelToken()
        token.cancel()
        with pytest.raises(Cancelled):
            ev.evaluate_classes(world.engine, library, dataset, world.models, token=token,
                                templates="zh-ensemble")


def test_captions_end_to_end(world: World) -> None:
    dataset = ev.load_captions(world.captions)
    with ev.open_evaluation_library(world.engine) as library:
        result = ev.evaluate(world.engine, library, dataset, world.models)
    assert isinstance(result, ev.CaptionComparison)
    e = result.evaluations[0]
    assert len(e.images) == 30 and len(e.queries) == len(dataset.queries) >= 150
    texts = world.engine.encoder(e.model_id).encode_texts([e.queries[3]])
    with ev.open_evaluation_library(world.engine, write=False) as library:
        photo = library.photo_by_path(e.images[5])
        assert photo is not None
        vec = library.vectors(e.model_id, [photo.id])[0]
    assert e.similarity[3, 5] == pytest.approx(float(texts[0] @ vec), abs=1e-5)
    rows = result.table()
    assert [r[0] for r in rows] == [*world.models, "union", "rrf"]
    for _, t2i, i2t in rows:
        for r in (t2i, i2t):
            assert 0 <= r.recall_at[1] <= r.recall_at[5] <= r.recall_at[10] <= 1
            assert 0 < r.mrr <= 1 and 0 < r.ndcg_at_10 <= 1
    assert rows[0][1].queries == len(e.queries) and rows[0][2].queries == 30


def test_exports_parse_back(world: World, classes_result: ev.ClassComparison,
                            tmp_path: Path) -> None:
    thresholds = dict(zip(world.models, (0.05, 0.1), strict=True))
    report = ev.report_dict(classes_result, thresholds, dataset="coco classes")
    path = tmp_path / "r.json"
    ev.write_json(report, path)
    assert json.loads(path.read_text("utf-8")) == json.loads(json.dumps(report))
    t2i = report["text_to_image"][world.models[0]]
    prf = classes_result.evaluations[0].text_to_image(0.05)
    assert t2i["macro"]["f1"] == pytest.approx(prf.macro.f1)
    assert t2i["per_class"]["床"]["recall"] == pytest.approx(float(prf.recall[2]))

    csv_path = tmp_path / "r.csv"
    ev.write_csv(report, csv_path)
    with csv_path.open(encoding="utf-8-sig", newline="") as fp:
        rows = list(csv.DictReader(fp))
    assert len(rows) == len(ev.csv_rows(report)) and tuple(rows[0]) == ev.report.CSV_COLUMNS
    lookup = {(r["model"], r["task"], r["class"], r["metric"]): float(r["value"]) for r in rows}
    assert lookup[(world.models[0], "text_to_image", "床", "recall")] == pytest.approx(
        float(prf.recall[2]))
    assert lookup[("union", "text_to_image", "*macro*", "precision")] == pytest.approx(
        report["text_to_image"]["union"]["macro"]["precision"])
    zs = classes_result.evaluations[1].classification
    assert lookup[(world.models[1], "zero_shot", "", "accuracy")] == pytest.approx(zs.accuracy)
    i2i = classes_result.evaluations[1].image_to_image(0.1, with_negatives=True)
    assert lookup[(world.models[1], "image_to_image_with_negatives", "dog", "precision")] == \
        pytest.approx(float(i2i.precision[1]))

    md = ev.to_markdown(report)
    assert md.startswith("# clipdesk evaluation: coco classes")
    for needle in (*world.models, "union", "rrf", "披萨", "Confusion matrix", "Image → image"):
        assert needle in md
    table_lines = [line for line in md.splitlines() if line.startswith("|")]
    assert all(line.endswith("|") for line in table_lines)
    header = next(line for line in table_lines if line.startswith("| class | support"))
    assert header.count("|") == 2 + 2 * 4 + 1  # class, support, P and R of 4 rows


def test_caption_exports(world: World) -> None:
    dataset = ev.load_captions(world.captions)
    with ev.open_evaluation_library(world.engine, write=False) as library:
        result = ev.evaluate_captions(world.engine, library, dataset, world.models[:1])
    report = ev.report_dict(result, dataset="captions")
    buffer = io.StringIO()
    ev.write_csv(report, buffer)
    rows = list(csv.DictReader(io.StringIO(buffer.getvalue())))
    got = {(r["task"], r["metric"]): float(r["value"]) for r in rows}
    t2i = result.evaluations[0].text_to_image
    assert got[("caption_text_to_image", "recall@5")] == pytest.approx(t2i.recall_at[5])
    assert got[("caption_image_to_text", "mrr")] == pytest.approx(
        result.evaluations[0].image_to_text.mrr)
    assert "R@10" in ev.to_markdown(report)
