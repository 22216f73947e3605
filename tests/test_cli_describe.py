"""``clipdesk-cli describe`` (a tiny random instruct model writes CuPL descriptions), and
``tag``/``eval --descriptions`` using them; eval compares templates only with descriptions."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from clipdesk.cli import EXIT_ERROR
from clipdesk.core.models.base import ModelInfo
from clipdesk.paths import DataPaths
from tests.cli_run import run, run_json
from tests.fixtures.eval_data import make_coco_classes
from tests.fixtures.tiny_vlm_models import build_tiny_llm


@pytest.fixture(scope="module")
def llm(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_tiny_llm(tmp_path_factory.mktemp("llm") / "tiny-llm", seed=4)


def test_describe_then_evaluate_with_the_descriptions(
        capsys: pytest.CaptureFixture[str], data_paths: DataPaths, tiny_open_clip: ModelInfo,
        coco_mini: Path, tmp_path: Path, llm: Path) -> None:
    data = ("--data-dir", str(data_paths.root))
    printed = run_json(capsys, *data, "describe", "dog", "car", "--with", str(llm),
                       "--per-question", "1")
    assert list(printed) == ["dog", "car"] and all(printed.values())
    out = tmp_path / "cupl.json"
    code, said, _ = run(capsys, *data, "describe", "dog", "car", "--with", str(llm), "--out",
                        str(out), "--per-question", "1")
    assert code == 0 and "written to" in said
    assert json.loads(out.read_text(encoding="utf-8")) == printed  # the same seed
    # descriptions that matter on a random model: the class names themselves as sentences
    out.write_text(json.dumps({"狗": ["a dog", "dog dog"], "汽车": ["a car on a street"],
                               "horse": ["a horse"]}))
    dataset = make_coco_classes(coco_mini, tmp_path / "classes", {"dog": "狗", "car": "汽车"},
                                negatives=2)
    report = run_json(capsys, *data, "eval", str(dataset), "--models", tiny_open_clip.model_id,
                      "--descriptions", str(out))
    block = report["descriptions"][tiny_open_clip.model_id]
    assert set(block["per_class"]) == {"狗", "汽车"} and len(block["accuracy"]) == 2
    ap = {c: r["ap"] for c, r in block["per_class"].items()}
    # the with-descriptions side is the evaluation's own result
    for cls, row in report["text_to_image"][tiny_open_clip.model_id]["per_class"].items():
        assert row["average_precision"] == pytest.approx(ap[cls][1])
    assert any(a[0] != pytest.approx(a[1]) for a in ap.values())  # they changed the vectors
    code, md, err = run(capsys, *data, "eval", str(dataset), "--models",
                        tiny_open_clip.model_id, "--descriptions", str(out))
    assert "Templates only vs with descriptions" in md
    assert "descriptions of horse are not for any class" in err


def test_tag_with_descriptions_and_errors(capsys: pytest.CaptureFixture[str],
                                          data_paths: DataPaths, tmp_path: Path) -> None:
    data = ("--data-dir", str(data_paths.root))
    code, _, err = run(capsys, *data, "describe", "--with", "llm:nope")
    assert code == EXIT_ERROR and "Give labels" in err
    code, _, err = run(capsys, *data, "describe", "dog", "--with", "llm:nope")
    assert code == EXIT_ERROR and "no language model 'llm:nope'" in err
    code, _, err = run(capsys, *data, "describe", "dog", "--with",
                       "llm:Qwen/Qwen2.5-0.5B-Instruct")
    assert code == EXIT_ERROR and "not on this computer" in err
    bad = tmp_path / "bad.json"
    bad.write_text("[1, 2]")
    code, _, err = run(capsys, *data, "tag", "dog", "--descriptions", str(bad))
    assert code == EXIT_ERROR and "CuPL" in err
