"""``clipdesk-cli duplicates``: the groups, and ``--trash`` that asks before it moves anything."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from clipdesk.cli import EXIT_ERROR, EXIT_OK
from clipdesk.core import trash
from clipdesk.paths import DataPaths
from tests.cli_run import run, run_json


def test_duplicates_and_trash(capsys: pytest.CaptureFixture[str], data_paths: DataPaths,
                              coco_mini: Path, tmp_path: Path,
                              monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.fixtures.train_test_models import import_test_models

    model, _ = import_test_models(data_paths)
    folder = tmp_path / "photos"
    folder.mkdir()
    sources = sorted((coco_mini / "images").glob("*.jpg"))[:6]
    for src in sources:
        shutil.copy(src, folder / src.name)
    for src in sources[:2]:
        shutil.copy(src, folder / f"copy of {src.name}")
    data = ("--data-dir", str(data_paths.root))
    run_json(capsys, *data, "index", str(folder), "--model", model.model_id)
    groups = run_json(capsys, *data, "duplicates", "--threshold", "0.99")
    assert len(groups) == 2 and all(g["exact"] and len(g["others"]) == 1 for g in groups)

    moved: list[str] = []
    bin_ = tmp_path / "trash"
    bin_.mkdir()

    def fake(path: str) -> None:
        moved.append(Path(path).name)
        shutil.move(path, bin_ / Path(path).name)

    monkeypatch.setattr(trash, "system_trash", fake)
    monkeypatch.setattr("sys.stdin.isatty", lambda: False)
    code, out, err = run(capsys, *data, "duplicates", "--threshold", "0.99", "--trash")
    assert code == EXIT_ERROR and "--yes" in err and moved == []  # never without asking
    monkeypatch.setattr("sys.stdin.isatty", lambda: True)
    monkeypatch.setattr("builtins.input", lambda prompt: "n")
    code, out, _ = run(capsys, *data, "duplicates", "--threshold", "0.99", "--trash")
    assert code == EXIT_OK and "nothing was moved" in out and moved == []
    monkeypatch.setattr("builtins.input", lambda prompt: "y")
    code, out, _ = run(capsys, *data, "duplicates", "--threshold", "0.99", "--trash")
    assert code == EXIT_OK and "2 photos moved to the trash" in out
    assert sorted(moved) == sorted(Path(g["others"][0]).name for g in groups)
    assert sorted(p.name for p in folder.iterdir()) == sorted(s.name for s in sources)
    assert run_json(capsys, *data, "duplicates", "--threshold", "0.99") == []
    status = run_json(capsys, *data, "status")
    assert status["missing"] == 2  # kept, hidden: put back and rescanned, they return
