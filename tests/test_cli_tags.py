"""``clipdesk-cli tags`` (list, rename, merge, delete, undo) and what ``clipdesk-cli tag`` says:
the language warning, the model chosen by the search mode, and how to undo a run."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from clipdesk.cli import EXIT_ERROR, EXIT_OK
from clipdesk.core.models.base import ModelInfo
from clipdesk.core.store import Library
from clipdesk.paths import DataPaths
from tests.cli_run import run, run_json


def _index(capsys: pytest.CaptureFixture[str], data: tuple[str, ...], photos: Path,
           model_id: str) -> None:
    assert run(capsys, *data, "index", str(photos), "--model", model_id)[0] == EXIT_OK


@pytest.fixture
def photos(coco_mini: Path, tmp_path: Path) -> Path:
    folder = tmp_path / "photos"
    folder.mkdir()
    for src in sorted((coco_mini / "images").glob("*.jpg"))[:6]:
        shutil.copy(src, folder / src.name)
    return folder


def test_tag_warns_when_the_model_does_not_read_the_labels_and_says_how_to_undo(
    capsys: pytest.CaptureFixture[str], data_paths: DataPaths, tiny_open_clip: ModelInfo,
    tiny_cn_clip: ModelInfo, photos: Path,
) -> None:
    data = ("--data-dir", str(data_paths.root))
    _index(capsys, data, photos, tiny_open_clip.model_id)  # English only is indexed
    code, out, err = run(capsys, *data, "tag", "蓝色", "--min-prob", "0")
    assert code == EXIT_OK
    assert "warning:" in err and "does not read Chinese" in err
    assert f"Index your photos with {tiny_cn_clip.display_name}" in err  # could index with it
    assert "6 photos tagged" in out and "clipdesk-cli tags undo" in out
    printed = run_json(capsys, *data, "tag", "蓝色", "--min-prob", "0")
    assert "does not read Chinese" in printed["language_warning"]
    assert printed["change"] is not None and printed["replaced"] == 6
    code, _, err = run(capsys, *data, "tag", "blue", "--min-prob", "0")
    assert code == EXIT_OK and "warning" not in err  # English labels: it reads them

    # with the Chinese model indexed too, "auto" (the default) scores with it: no warning
    _index(capsys, data, photos, tiny_cn_clip.model_id)
    code, out, err = run(capsys, *data, "tag", "蓝色", "--min-prob", "0")
    assert code == EXIT_OK and "warning" not in err and tiny_cn_clip.model_id in out
    # "A+B": the one of the two that reads the labels
    both = f"{tiny_open_clip.model_id}+{tiny_cn_clip.model_id}"
    assert run_json(capsys, *data, "tag", "蓝色", "--model", both)["model"] == \
        tiny_cn_clip.model_id
    # the English model asked for by name: the warning names the indexed one that reads it
    code, _, err = run(capsys, *data, "tag", "蓝色", "--model", tiny_open_clip.model_id)
    assert code == EXIT_OK and f"Use {tiny_cn_clip.display_name}" in err

    # each run can be undone, newest first, back to no tags at all
    for _ in range(6):
        assert run_json(capsys, *data, "tags", "undo")["kind"] == "save"
    assert run_json(capsys, *data, "tags", "list") == []
    assert run_json(capsys, *data, "tags", "undo") is None
    code, out, _ = run(capsys, *data, "tags", "undo")
    assert code == EXIT_OK and "no tag change to undo" in out


def test_tags_list_rename_merge_delete_and_undo(
    capsys: pytest.CaptureFixture[str], data_paths: DataPaths, tiny_cn_clip: ModelInfo,
    photos: Path,
) -> None:
    data = ("--data-dir", str(data_paths.root))
    _index(capsys, data, photos, tiny_cn_clip.model_id)
    with Library.open(data_paths, write=True) as library:
        ids = [int(i) for i in library.file_ids()]
        library.set_tags(ids[0], ["蓝色", "sea"])
        library.set_tags(ids[1], ["blue"])
        library.replace_tags({ids[2]: {"蓝色": 0.3}, ids[3]: {"navy": 0.2}}, model_id="m")
    listed = run_json(capsys, *data, "tags", "list")
    assert listed == [{"label": "blue", "manual": 1, "automatic": 0},
                      {"label": "navy", "manual": 0, "automatic": 1},
                      {"label": "sea", "manual": 1, "automatic": 0},
                      {"label": "蓝色", "manual": 1, "automatic": 1}]
    code, out, _ = run(capsys, *data, "tags", "list")
    assert code == EXIT_OK and "蓝色" in out and "automatic" in out

    renamed = run_json(capsys, *data, "tags", "rename", "蓝色", "blue")
    assert renamed["kind"] == "rename" and renamed["photos"] == 2
    merged = run_json(capsys, *data, "tags", "merge", "blue", "navy", "colour")
    assert merged["labels"] == ["blue", "navy", "colour"]
    assert {t["label"]: t["manual"] + t["automatic"]
            for t in run_json(capsys, *data, "tags", "list")} == {"colour": 4, "sea": 1}

    # delete says what it would do, and does it with --yes
    code, out, _ = run(capsys, *data, "tags", "delete", "colour")
    assert code == EXIT_OK and "2 photos tagged by you and 2 automatically" in out
    assert "--yes" in out
    assert len(run_json(capsys, *data, "tags", "list")) == 2
    code, out, _ = run(capsys, *data, "tags", "delete", "colour", "--yes")
    assert code == EXIT_OK and "undo it with: clipdesk-cli tags undo" in out
    assert [t["label"] for t in run_json(capsys, *data, "tags", "list")] == ["sea"]

    code, out, _ = run(capsys, *data, "tags", "undo")
    assert code == EXIT_OK and "undone: deleting colour" in out
    run(capsys, *data, "tags", "undo")
    run(capsys, *data, "tags", "undo")
    assert run_json(capsys, *data, "tags", "list") == listed  # back where it started

    for argv, message in ((["tags", "delete", "nope", "--yes"], "No photo has the tag nope"),
                          (["tags", "rename", "nope", "x"], "No photo has the tag nope"),
                          (["tags", "merge", "x", "y", "z"], "No photo has any of the tags"),
                          (["tags", "rename", "sea", " "], "A tag needs a name")):
        code, _, err = run(capsys, *data, *argv)
        assert code == EXIT_ERROR and message in err, argv
        assert len(err.strip().splitlines()) == 1
