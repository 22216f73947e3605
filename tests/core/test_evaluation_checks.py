"""The checks around an evaluation: the texts of a dataset, which models do not read them, and
when a suggested threshold must not be offered (and what the reports say instead)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from clipdesk.core import evaluation as ev
from clipdesk.core.errors import UnknownModel
from clipdesk.core.models.base import Backend, ModelInfo

LABELS = ("红色", "蓝色")


def info(model_id: str, *languages: str) -> ModelInfo:
    return ModelInfo(model_id=model_id, backend=Backend.OPEN_CLIP, arch="toy",
                     display_name=model_id.upper(), languages=frozenset(languages), embed_dim=4,
                     image_size=32)


MODELS = {m.model_id: m for m in (info("en", "en"), info("zh", "zh"))}


def info_of(model_id: str) -> ModelInfo:
    if model_id not in MODELS:
        raise UnknownModel(model_id)
    return MODELS[model_id]


def evaluation(scores: list[list[float]], truth: list[list[bool]], model: str = "m"
               ) -> ev.ClassEvaluation:
    s = np.asarray(scores, np.float32)
    n = len(s)
    return ev.ClassEvaluation(model, LABELS, tuple(Path(f"{i}.jpg") for i in range(n)),
                              np.asarray(truth, bool), np.zeros(n, bool), s,
                              np.eye(n, 4, dtype=np.float32), 100.0)


GOOD = evaluation([[0.3, 0.1], [0.32, 0.12], [0.1, 0.31], [0.12, 0.29]],
                  [[True, False], [True, False], [False, True], [False, True]])
# every score below zero and the truth reversed: the best macro F1 takes everything
NEGATIVE = evaluation([[-0.30, -0.20], [-0.31, -0.21], [-0.2, -0.4], [-0.21, -0.41]],
                      [[True, False], [True, False], [False, True], [False, True]])
# no positives at all: no threshold finds a true positive
NO_HITS = evaluation([[0.3, 0.1], [0.1, 0.3]], [[False, False], [False, False]])


def test_dataset_texts_are_the_class_folders_or_the_captions(tmp_path: Path) -> None:
    for name in ("红色", "蓝色", "其他", ".hidden"):
        (tmp_path / "classes" / name).mkdir(parents=True)
    (tmp_path / "classes" / "notes.txt").write_text("x")
    assert ev.dataset_texts(tmp_path / "classes") == ["红色", "蓝色"]  # no negatives folder
    assert ev.dataset_texts(tmp_path / "classes", negatives=None) == ["其他", "红色", "蓝色"]
    (tmp_path / "a.jpg").write_bytes(b"x")
    captions = tmp_path / "captions.jsonl"
    captions.write_text(json.dumps({"query": "海边的狗", "positive": "a.jpg"}) + "\n",
                        encoding="utf-8")
    assert ev.dataset_texts(captions) == ["海边的狗"]
    with pytest.raises(ev.DatasetError):
        ev.dataset_texts(tmp_path / "nope", kind="classes")


def test_models_not_reading_the_class_names() -> None:
    assert ev.models_not_reading(info_of, LABELS, ["en", "zh", "unknown"]) == {"en": "zh"}
    # a model with its own (English) labels reads them
    assert ev.models_not_reading(info_of, LABELS, ["en"], {"en": ["red", "blue"]}) == {}
    assert ev.models_not_reading(info_of, ["red"], ["zh"]) == {"zh": "en"}


def test_label_file_texts(tmp_path: Path) -> None:
    path = tmp_path / "labels.txt"
    path.write_text("红色 = red | crimson\n蓝色 = blue\n", encoding="utf-8")
    assert ev.label_file_texts(path) == ["red", "crimson", "blue"]


def test_a_sound_suggestion_is_offered() -> None:
    suggestion = ev.suggest_threshold(GOOD)
    assert suggestion.offered and suggestion.refused is None and suggestion.sentence() == ""
    assert suggestion.threshold == pytest.approx(GOOD.suggested_threshold)
    assert suggestion.threshold > 0


def test_a_model_that_does_not_read_the_names_gets_no_suggestion() -> None:
    suggestion = ev.suggest_threshold(GOOD, "zh")
    assert not suggestion.offered and suggestion.refused == ev.REFUSED_LANGUAGE
    assert suggestion.sentence(str.upper) == (
        "No threshold is suggested: M does not read Chinese, so its scores for these class "
        "names mean little.")


def test_a_negative_suggestion_is_refused() -> None:
    assert NEGATIVE.suggested_threshold < 0
    suggestion = ev.suggest_threshold(NEGATIVE)
    assert suggestion.refused == ev.REFUSED_NEGATIVE
    assert f"{NEGATIVE.suggested_threshold:.3f}" in suggestion.sentence()
    assert "below zero" in suggestion.sentence()


def test_a_suggestion_without_a_true_positive_is_refused() -> None:
    assert int(NO_HITS.text_to_image(NO_HITS.suggested_threshold).tp.sum()) == 0
    suggestion = ev.suggest_threshold(NO_HITS)
    assert suggestion.refused == ev.REFUSED_NO_HITS
    assert "not one picture is found" in suggestion.sentence()


def test_reports_give_the_sentence_instead_of_the_number() -> None:
    result = ev.ClassComparison((GOOD, evaluation(
        [[0.3, 0.1], [0.32, 0.12], [0.1, 0.31], [0.12, 0.29]],
        [[True, False], [True, False], [False, True], [False, True]], model="en")))
    assert ev.suggestions(result, {"en": "zh"})["en"].refused == ev.REFUSED_LANGUAGE
    report = ev.report_dict(result, 0.2, not_read={"en": "zh"})
    assert report["suggested_threshold"]["m"] == pytest.approx(GOOD.suggested_threshold)
    assert report["suggested_threshold"]["en"] is None
    sentence = report["suggestion_refused"]["en"]
    assert sentence.startswith("No threshold is suggested: en does not read Chinese")
    markdown = ev.to_markdown(report)
    assert f"en: {sentence}" in markdown
    assert "Suggested default threshold (best macro F1): m " in markdown
    assert [r for r in ev.csv_rows(report) if r[4] == "suggested_threshold"] == [
        ("m", "text_to_image", "", "", "suggested_threshold",
         pytest.approx(GOOD.suggested_threshold))]
    plain = ev.report_dict(result, 0.2)
    assert plain["suggestion_refused"] == {} and None not in plain["suggested_threshold"].values()
