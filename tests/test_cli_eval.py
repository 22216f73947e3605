"""``clipdesk-cli tag`` and ``clipdesk-cli eval`` in-process, with the tiny random models: the
CLI prints the same numbers as the core called directly."""

from __future__ import annotations

import csv
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from clipdesk.cli import EXIT_ERROR, EXIT_OK
from clipdesk.core import evaluation as ev
from clipdesk.core.engine import Engine
from clipdesk.core.labels import Label, LabelSet, label_vectors
from clipdesk.core.models.base import ModelInfo
from clipdesk.core.store import Library, TagSource
from clipdesk.core.tagging import TagRule, compute_scores
from clipdesk.paths import DataPaths
from tests.cli_run import run, run_json
from tests.fixtures.eval_data import make_coco_captions, make_coco_classes


def test_eval_classes_matches_the_core(
    capsys: pytest.CaptureFixture[str], data_paths: DataPaths, tiny_open_clip: ModelInfo,
    tiny_cn_clip: ModelInfo, coco_mini: Path, tmp_path: Path,
) -> None:
    dataset = make_coco_classes(coco_mini, tmp_path / "classes",
                                {"dog": "狗", "car": "car"}, negatives=4)
    models = [tiny_open_clip.model_id, tiny_cn_clip.model_id]
    data = ("--data-dir", str(data_paths.root))
    md, table = tmp_path / "report.md", tmp_path / "table.csv"
    printed = run_json(capsys, *data, "eval", str(dataset), "--models", ",".join(models),
                       "--threshold", "0.1,0.2", "--report", str(md), "--csv", str(table))
    assert printed["kind"] == "classes" and printed["classes"] == ["car", "狗"]
    assert printed["thresholds"] == dict(zip(models, (0.1, 0.2), strict=True))
    assert list(printed["text_to_image"]) == [*models, "union", "rrf"]
    for block in printed["text_to_image"].values():
        for row in block["per_class"].values():
            assert 0 <= row["precision"] <= 1 and 0 <= row["recall"] <= 1
    assert printed["negatives"] == 4

    engine = Engine(data_paths)
    with ev.open_evaluation_library(engine, write=False) as library:
        result = ev.evaluate(engine, library, ev.load_dataset(dataset), models)
    # the English model does not read "狗": its suggested threshold is refused, as in the core
    core = ev.report_dict(result, {models[0]: 0.1, models[1]: 0.2}, dataset=dataset.name,
                          not_read={models[0]: "zh"})
    assert printed == json.loads(json.dumps(core, ensure_ascii=False))
    assert printed["suggested_threshold"][models[0]] is None

    assert md.read_text("utf-8") == ev.to_markdown(core)
    with table.open(encoding="utf-8-sig", newline="") as fp:
        rows = list(csv.DictReader(fp))
    assert len(rows) == len(ev.csv_rows(core))
    # English prompts for the English model only (vectors reused: nothing is embedded again)
    labels = tmp_path / "english.txt"
    labels.write_text("狗 = dog\ncar\n", encoding="utf-8")
    own = run_json(capsys, *data, "eval", str(dataset), "--models", ",".join(models),
                   "--model-labels", f"{models[0]}={labels}")
    assert own["suggested_threshold"][models[1]] == printed["suggested_threshold"][models[1]]
    assert own["zero_shot"][models[0]] != printed["zero_shot"][models[0]]
    code, _, err = run(capsys, *data, "eval", str(dataset), "--models", models[0],
                       "--model-labels", f"nope={labels}")
    assert code == EXIT_ERROR and "--model-labels" in err
    # the default output is the Markdown report
    code, out, _ = run(capsys, *data, "eval", str(dataset), "--models", models[0])
    assert code == EXIT_OK and "| car |" in out and "Zero-shot classification" in out


def test_eval_warns_and_refuses_the_threshold_of_a_model_that_does_not_read_the_names(
    capsys: pytest.CaptureFixture[str], data_paths: DataPaths, tiny_open_clip: ModelInfo,
    tiny_cn_clip: ModelInfo, coco_mini: Path, tmp_path: Path,
) -> None:
    dataset = make_coco_classes(coco_mini, tmp_path / "classes", {"dog": "狗", "car": "车"},
                                negatives=2)
    model = tiny_open_clip.model_id  # reads English only
    data = ("--data-dir", str(data_paths.root))
    code, out, err = run(capsys, *data, "eval", str(dataset), "--models", model)
    assert code == EXIT_OK
    # before the run: the language check's sentence, with the fix, as a warning on stderr
    assert (f"warning: {model} does not read Chinese: its scores for this text mean little. "
            f"Index your photos with {tiny_cn_clip.model_id}, which reads Chinese.") in err
    # instead of the number: why no threshold is suggested
    sentence = (f"No threshold is suggested: {model} does not read Chinese, so its scores for "
                "these class names mean little.")
    assert f"{model}: {sentence}" in out
    assert "Suggested default threshold" not in out
    printed = run_json(capsys, *data, "eval", str(dataset), "--models", model)
    assert printed["suggested_threshold"] == {model: None}
    assert printed["suggestion_refused"] == {model: sentence}
    # a model that reads the names: no warning
    code, _, err = run(capsys, *data, "eval", str(dataset), "--models", tiny_cn_clip.model_id)
    assert code == EXIT_OK and "warning:" not in err
    # English prompts for the English model: it reads them, no warning either
    labels = tmp_path / "english.txt"
    labels.write_text("狗 = dog\n车 = car\n", encoding="utf-8")
    code, _, err = run(capsys, *data, "eval", str(dataset), "--models", model,
                       "--labels-file", str(labels))
    assert code == EXIT_OK and "warning:" not in err


def test_eval_captions(
    capsys: pytest.CaptureFixture[str], data_paths: DataPaths, tiny_open_clip: ModelInfo,
    coco_mini: Path, tmp_path: Path,
) -> None:
    captions = make_coco_captions(coco_mini, tmp_path / "captions", images=10)
    printed = run_json(capsys, "--data-dir", str(data_paths.root), "eval", str(captions),
                       "--models", tiny_open_clip.model_id, "--store", "library")
    assert printed["kind"] == "captions" and printed["images"] == 10
    row = printed["rows"][tiny_open_clip.model_id]
    for direction in ("text_to_image", "image_to_text"):
        r = row[direction]
        assert 0 <= r["recall_at"]["1"] <= r["recall_at"]["5"] <= r["recall_at"]["10"] <= 1
        assert 0 < r["mrr"] <= 1
    assert row["text_to_image"]["recall_at"]["10"] == 1.0  # 10 images: all in the top 10
    with Library.open(data_paths) as library:  # --store library: the main library was used
        assert library.model_counts() == {tiny_open_clip.model_id: 10}


def test_tag_stores_exports_and_filters(
    capsys: pytest.CaptureFixture[str], data_paths: DataPaths, tiny_cn_clip: ModelInfo,
    coco_mini: Path, tmp_path: Path,
) -> None:
    photos = tmp_path / "photos"
    photos.mkdir()
    for src in sorted((coco_mini / "images").glob("*.jpg"))[:12]:
        shutil.copy(src, photos / src.name)
    data = ("--data-dir", str(data_paths.root))
    assert run(capsys, *data, "index", str(photos), "--model", tiny_cn_clip.model_id)[0] == 0
    with Library.open(data_paths, write=True) as library:
        first = int(library.file_ids()[0])
        library.set_tags(first, ["我的最爱"])
    export = tmp_path / "tags.csv"
    printed = run_json(capsys, *data, "tag", "狗", "汽车|红色的汽车", "--others",
                       "--templates", "zh-ensemble", "--export", str(export))
    assert printed["model"] == tiny_cn_clip.model_id  # "auto": the model that reads Chinese
    assert printed["labels"] == ["狗", "汽车", "其他"]
    assert printed["written"] == 12 and printed["missing"] == 0 and not printed["cancelled"]

    engine = Engine(data_paths)
    label_set = LabelSet.build(["狗", Label("汽车", ("红色的汽车",))], templates="zh-ensemble",
                               others=True)
    with engine.library() as library:
        scores = compute_scores(library, label_vectors(engine.encoder(tiny_cn_clip.model_id),
                                                       label_set, cache=None))
        assert printed["counts"] == scores.counts(TagRule())
        tags = library.tags(library.file_ids())
    assert {t.label for t in tags[first] if t.source is TagSource.MANUAL} == {"我的最爱"}
    with export.open(encoding="utf-8-sig", newline="") as fp:
        rows = list(csv.DictReader(fp))
    assert sum(r["source"] == "auto" for r in rows) == sum(printed["counts"].values())
    assert sum(r["source"] == "manual" for r in rows) == 1

    # a second run with a rule that passes nothing: automatic tags become "others" only
    again = run_json(capsys, *data, "tag", "狗", "汽车", "--others", "--min-cos", "1.0")
    assert again["counts"] == {"狗": 0, "汽车": 0, "其他": 12} and again["tagged"] == 0
    found = run_json(capsys, *data, "search", "狗", "--tag", "其他", "--tag", "我的最爱")
    assert [h["file_id"] for h in found["hits"]] == [first]
    code, out, _ = run(capsys, *data, "tag", "狗", "--min-prob", "0.0")
    assert code == EXIT_OK and "12 photos tagged" in out and "replaced" not in out
    code, out, _ = run(capsys, *data, "tag", "狗", "--min-prob", "0.0")  # the same again
    assert "replaced 12 earlier automatic tags of these labels" in out

    # a run with other labels keeps the earlier runs' tags of 狗 and 其他
    with Library.open(data_paths) as library:
        before = {label: n for label, n in library.labels().items() if label != "海滩"}
    other = run_json(capsys, *data, "tag", "海滩", "--min-prob", "0.0")
    assert other["replaced"] == 0 and other["counts"] == {"海滩": 12}
    with Library.open(data_paths) as library:
        after = library.labels()
    assert after == {**before, "海滩": 12}


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["tag"], "Give labels"),
        (["tag", "cat", "--templates", "klingon"], "no template set"),
        (["tag", "cat"], "Nothing is indexed yet"),
        (["eval", "/no/such/dataset"], "No such dataset"),
        (["eval", ".", "--models", "a,b", "--threshold", "0.1,0.2,0.3"], "one per model"),
        (["eval", ".", "--threshold", "high"], "Not a threshold"),
    ],
)
def test_errors_are_one_clear_line(
    capsys: pytest.CaptureFixture[str], data_paths: DataPaths, argv: list[str], message: str
) -> None:
    code, _, err = run(capsys, "--data-dir", str(data_paths.root), *argv)
    assert code == EXIT_ERROR
    assert message in err and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1


@pytest.mark.parametrize(
    "module", ["clipdesk.cli_eval", "clipdesk.core.tagging", "clipdesk.core.evaluation"]
)
def test_importing_loads_no_torch_faiss_or_qt(module: str) -> None:
    code = (f"import sys, {module}; print(','.join(m for m in ('torch', 'faiss', 'PySide6', "
            f"'open_clip', 'cn_clip', 'sklearn') if m in sys.modules))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            timeout=120, cwd=Path(__file__).resolve().parents[1])
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == ""


def test_eval_compares_a_transformers_model_with_a_cn_clip_one(
    capsys: pytest.CaptureFixture[str], data_paths: DataPaths, tiny_cn_clip: ModelInfo,
    tiny_hf_folders: dict[str, Path], coco_mini: Path, tmp_path: Path,
) -> None:
    """The built-in ``hf:`` Chinese CLIP (its repository folder in place, as a download leaves
    it: here the tiny folder) against a cn_clip model, in one table."""
    data = ("--data-dir", str(data_paths.root))
    repo = data_paths.model_dir / "hf" / "OFA-Sys--chinese-clip-vit-base-patch16"
    shutil.copytree(tiny_hf_folders["chinese_clip"], repo)
    files = {p.name: None for p in repo.iterdir()}
    (repo / ".complete.json").write_text(json.dumps({"repo": "x", "files": files}))
    hf_id = "hf:OFA-Sys/chinese-clip-vit-base-patch16"
    listed = {m["id"]: m for m in run_json(capsys, *data, "models", "list")}
    assert listed[hf_id]["available"]
    models = [hf_id, tiny_cn_clip.model_id]
    dataset = make_coco_classes(coco_mini, tmp_path / "classes",
                                {"dog": "狗", "car": "汽车"}, negatives=4)
    printed = run_json(capsys, *data, "eval", str(dataset), "--models", ",".join(models))
    assert list(printed["text_to_image"]) == [*models, "union", "rrf"]
    for model in models:
        for row in printed["text_to_image"][model]["per_class"].values():
            assert 0 <= row["precision"] <= 1 and 0 <= row["recall"] <= 1
    code, out, _ = run(capsys, *data, "eval", str(dataset), "--models", ",".join(models))
    assert code == EXIT_OK and hf_id in out and tiny_cn_clip.model_id in out
