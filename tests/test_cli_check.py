"""``clipdesk-cli search --check-with``: a tiny random LLaVA (a real forward pass) looks at the
top hits; the answers come back with the hits, a second run asks nothing, and the modes re-rank,
filter and blend."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from clipdesk.cli import EXIT_ERROR
from clipdesk.core.models.base import ModelInfo
from clipdesk.paths import DataPaths
from tests.cli_run import run, run_json
from tests.fixtures.tiny_vlm_models import build_tiny_vlm


@pytest.fixture(scope="module")
def llava(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_tiny_vlm(tmp_path_factory.mktemp("llava") / "tiny-llava", "llava", seed=5)


def _indexed(capsys: pytest.CaptureFixture[str], data_paths: DataPaths, model: ModelInfo,
             coco_mini: Path, folder: Path, n: int) -> tuple[str, str]:
    """``n`` coco-mini photos indexed with ``model``; returns the --data-dir arguments."""
    folder.mkdir()
    for src in sorted((coco_mini / "images").glob("*.jpg"))[:n]:
        shutil.copy(src, folder / src.name)
    data = ("--data-dir", str(data_paths.root))
    run_json(capsys, *data, "index", str(folder), "--model", model.model_id)
    return data


def test_search_checked_by_a_vlm(capsys: pytest.CaptureFixture[str], data_paths: DataPaths,
                                 tiny_open_clip: ModelInfo, coco_mini: Path, tmp_path: Path,
                                 llava: Path) -> None:
    data = _indexed(capsys, data_paths, tiny_open_clip, coco_mini, tmp_path / "photos", 10)
    plain = run_json(capsys, *data, "search", "a dog", "--top-k", "10")
    checked = run_json(capsys, *data, "search", "a dog", "--top-k", "10", "--check-with",
                       str(llava), "--check-top", "6")
    check = checked["check"]
    assert check["checked"] == 6 and check["asked"] == 6 and check["cached"] == 0
    assert check["mode"] == "rerank" and check["model"].endswith("tiny-llava")
    top6 = {h["file_id"] for h in plain["hits"][:6]}
    answered = [h for h in checked["hits"] if "p_yes" in h]
    assert {h["file_id"] for h in answered} == top6
    # re-ranked by the answer; the unchecked rest follows in CLIP's order
    assert [h["p_yes"] for h in checked["hits"][:6]] == sorted(
        (h["p_yes"] for h in answered), reverse=True)
    assert [h["file_id"] for h in checked["hits"][6:]] == [
        h["file_id"] for h in plain["hits"][6:]]
    again = run_json(capsys, *data, "search", "a dog", "--top-k", "10", "--check-with",
                     str(llava), "--check-top", "6", "--check-mode", "filter")
    assert again["check"]["asked"] == 0 and again["check"]["cached"] == 6
    assert all(h["p_yes"] >= 0.5 for h in again["hits"])
    assert len(again["hits"]) == sum(h["p_yes"] >= 0.5 for h in answered)
    code, out, err = run(capsys, *data, "search", "a dog", "--check-with", str(llava),
                         "--check-top", "3")
    assert code == 0 and "on the CPU" in err and "yes 0." in out


def test_check_errors_are_one_line(capsys: pytest.CaptureFixture[str], data_paths: DataPaths,
                                   tiny_open_clip: ModelInfo, tmp_path: Path) -> None:
    data = ("--data-dir", str(data_paths.root))
    code, _, err = run(capsys, *data, "search", "--image", str(tmp_path / "x.jpg"),
                       "--check-with", "vlm:nope")
    assert code == EXIT_ERROR and "No such photo" in err
    code, _, err = run(capsys, *data, "models", "download", "vlm:nope")
    assert code == EXIT_ERROR and "no vision-language model 'vlm:nope'" in err
    listed = {m["id"]: m for m in run_json(capsys, *data, "models", "list")}
    assert listed["vlm:HuggingFaceTB/SmolVLM-256M-Instruct"]["kind"] == "vlm"
    assert not listed["vlm:HuggingFaceTB/SmolVLM-256M-Instruct"]["available"]


def test_eval_checked_by_a_vlm(capsys: pytest.CaptureFixture[str], data_paths: DataPaths,
                               tiny_open_clip: ModelInfo, tiny_cn_clip: ModelInfo,
                               coco_mini: Path, tmp_path: Path, llava: Path) -> None:
    """Two models and their union, before and after the check, and the cost; the numbers agree
    with the evaluation's own (before) and with the answers (after)."""
    from tests.fixtures.eval_data import make_coco_classes

    data = ("--data-dir", str(data_paths.root))
    dataset = make_coco_classes(coco_mini, tmp_path / "classes", {"dog": "狗", "car": "汽车"},
                                negatives=2)
    models = f"{tiny_open_clip.model_id},{tiny_cn_clip.model_id}"
    report = run_json(capsys, *data, "eval", str(dataset), "--models", models, "--threshold",
                      "0", "--check-with", str(llava))
    checked = report["checked"]
    assert list(checked["rows"]) == [tiny_open_clip.model_id, tiny_cn_clip.model_id, "union"]
    for model in (tiny_open_clip.model_id, tiny_cn_clip.model_id, "union"):
        before = checked["rows"][model]["before"]["per_class"]
        for cls, row in report["text_to_image"][model]["per_class"].items():
            assert before[cls]["precision"] == pytest.approx(row["precision"])
            assert before[cls]["recall"] == pytest.approx(row["recall"])
        after = checked["rows"][model]["after"]["per_class"]
        # a check only removes hits: recall cannot rise
        assert all(after[c]["recall"] <= before[c]["recall"] + 1e-9 for c in before)
    assert checked["asked"] > 0 and checked["cached"] == 0
    code, out, _ = run(capsys, *data, "eval", str(dataset), "--models", models, "--threshold",
                       "0", "--check-with", str(llava))
    assert code == 0 and "## Checked by" in out and "F1 checked" in out
    assert f"({checked['asked']} more from earlier answers)" in out


def test_tag_keeps_only_confirmed_tags(capsys: pytest.CaptureFixture[str],
                                       data_paths: DataPaths, tiny_open_clip: ModelInfo,
                                       coco_mini: Path, tmp_path: Path, llava: Path) -> None:
    data = _indexed(capsys, data_paths, tiny_open_clip, coco_mini, tmp_path / "photos", 6)
    plain = run_json(capsys, *data, "tag", "dog", "cat", "--min-prob", "0")
    checked = run_json(capsys, *data, "tag", "dog", "cat", "--min-prob", "0", "--check-with",
                       str(llava))
    check = checked["check"]
    assert check["checked"] == sum(plain["counts"].values()) == 12
    assert sum(checked["counts"].values()) == check["checked"] - check["rejected"]
    again = run_json(capsys, *data, "tag", "dog", "cat", "--min-prob", "0", "--check-with",
                     str(llava))
    assert again["check"]["asked"] == 0 and again["counts"] == checked["counts"]
