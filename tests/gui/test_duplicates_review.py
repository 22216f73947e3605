"""Library ▸ Find duplicates…: the groups of a real library (coco-mini photos with byte-for-byte
and half-size copies, indexed with the trained test model), the live count as the threshold
moves, and the ticked photos (only those) moved to a fake trash after the question."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from PIL import Image
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox
from pytestqt.qtbot import QtBot

from clipdesk.gui.dialogs import errors
from clipdesk.gui.panels.duplicate_photos import FILE_ID
from clipdesk.gui.panels.duplicates import DuplicatesDialog

# the groups each copy makes: three originals with an exact and a half-size copy
ORIGINALS = 3


@pytest.fixture
def dup_context(app_context: Any, coco_mini: Path, tmp_path: Path) -> Any:
    from tests.fixtures.train_test_models import import_test_models

    engine = app_context.engine
    model, _ = import_test_models(engine.paths)
    engine.settings.model_id = model.model_id
    folder = tmp_path / "photos"
    folder.mkdir()
    sources = sorted((coco_mini / "images").glob("*.jpg"))[:8]
    for src in sources:
        shutil.copy(src, folder / src.name)
    for src in sources[:ORIGINALS]:
        shutil.copy(src, folder / f"copy-{src.name}")
        with Image.open(src) as im:
            im.convert("RGB").resize((im.width // 2, im.height // 2)).save(
                folder / f"small-{src.name}", quality=85)
    engine.index([folder], model_id=model.model_id)
    app_context.photo_folder = folder
    return app_context


def _open(qtbot: QtBot, context: Any) -> DuplicatesDialog:
    dialog = DuplicatesDialog(context)
    qtbot.addWidget(dialog)
    with qtbot.waitSignal(dialog.scanned, timeout=60_000):
        dialog.show()
    return dialog


def _fake_trash(folder: Path) -> tuple[list[str], Callable[[str], None]]:
    folder.mkdir()
    received: list[str] = []

    def trash(path: str) -> None:
        received.append(path)
        shutil.move(path, folder / Path(path).name)

    return received, trash


def test_the_count_follows_the_threshold_from_one_scan(qtbot: QtBot, dup_context: Any) -> None:
    dialog = _open(qtbot, dup_context)
    scan = dialog.scan
    assert scan is not None
    calls: list[float] = []
    original = dup_context.engine.scan_duplicates
    dup_context.engine.scan_duplicates = lambda *a, **k: calls.append(1) or original(*a, **k)
    seen = {}
    for value in range(850, 1001, 5):  # the slider, step by step
        dialog.slider.setValue(value)
        t = value / 1000
        assert dialog.spin.value() == pytest.approx(t)
        assert dialog.count_label.text() == (
            f"{scan.count(t)} group" + ("" if scan.count(t) == 1 else "s"))
        seen[t] = scan.count(t)
    assert calls == []  # nothing searched again
    # at 1.0 only the byte-for-byte copies: three groups of two
    dialog.spin.setValue(1.0)
    dialog.rebuild()
    assert [len(g.file_ids) for g in dialog.groups] == [2] * ORIGINALS
    assert all(g.exact for g in dialog.groups)
    assert dialog.trash_button.text() == f"Move {ORIGINALS} photos to the trash…"
    assert "exact copies" in dialog.groups_list.item(0).text()
    # a little lower the half-size copies join their originals
    dialog.slider.setValue(990)
    qtbot.waitUntil(lambda: len(dialog.groups[0].file_ids) == 3 if dialog.groups else False)
    assert dialog.trash_button.text() == f"Move {2 * ORIGINALS} photos to the trash…"
    assert len(set(seen.values())) > 1  # the count did move with the slider


def test_only_the_ticked_photos_go_to_the_trash(qtbot: QtBot, dup_context: Any, tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    dialog = _open(qtbot, dup_context)
    dialog.spin.setValue(0.99)
    dialog.rebuild()
    received, trash = _fake_trash(tmp_path / "trash")
    dialog.trash = trash
    photos = dialog.scan.photos if dialog.scan else {}
    first = dialog.groups[0]
    tiles = dialog.photos_list
    assert tiles.count() == len(first.file_ids)
    best = tiles.item(0)
    assert best.data(FILE_ID) == first.best and "Keep" in best.text()
    assert not best.flags() & Qt.ItemFlag.ItemIsUserCheckable  # the one to keep stays
    w, h = photos[first.best].width, photos[first.best].height
    assert f"{w}×{h}" in best.text()
    assert all(tiles.item(r).checkState() == Qt.CheckState.Checked
               for r in range(1, tiles.count()))
    # the keyboard: to the second tile, Space unticks it
    tiles.setFocus()
    tiles.setCurrentRow(1)
    spared = int(tiles.item(1).data(FILE_ID))
    qtbot.keyClick(tiles, Qt.Key.Key_Space)
    assert tiles.item(1).checkState() == Qt.CheckState.Unchecked
    expected = [i for g in dialog.groups for i in g.others if i != spared]
    assert dialog.checked_ids() == expected
    assert dialog.trash_button.text() == f"Move {len(expected)} photos to the trash…"

    # "No" moves nothing
    monkeypatch.setattr(errors, "dialogs_enabled", True)
    asked: list[str] = []

    def answer(reply: QMessageBox.StandardButton) -> Callable[..., QMessageBox.StandardButton]:
        def question(parent: Any, title: str, text: str, *args: Any) -> Any:
            asked.append(text)
            return reply
        return question

    monkeypatch.setattr(QMessageBox, "question", answer(QMessageBox.StandardButton.No))
    assert not dialog.trash_checked() and received == []
    assert f"Move {len(expected)} photos" in asked[-1]
    monkeypatch.setattr(QMessageBox, "question", answer(QMessageBox.StandardButton.Yes))
    with qtbot.waitSignal(dialog.trashed, timeout=30_000) as moved:
        qtbot.mouseClick(dialog.trash_button, Qt.MouseButton.LeftButton)
    with qtbot.waitSignal(dialog.scanned, timeout=60_000):
        pass  # scanned again after the trash
    report = moved.args[0]
    assert sorted(report.moved) == sorted(expected) and report.ok
    assert sorted(received) == sorted(str(photos[i].path) for i in expected)
    assert photos[spared].path.exists() and all(photos[g.best].path.exists()
                                                for g in dialog.scan.groups(0.99) or [])
    # the moved photos left the library's groups; the spared one still has its group
    assert set(dialog.checked_ids()).isdisjoint(expected)
    assert any(spared in g.file_ids for g in dialog.groups)
    assert "moved to the trash" in dialog.job_bar.label.text()


def test_nothing_indexed_and_no_duplicates(qtbot: QtBot, app_context: Any,
                                           coco_photos: Any) -> None:
    dialog = _open(qtbot, app_context)
    assert dialog.scan is None and "Nothing is indexed yet" in dialog.message.text()
    assert not dialog.trash_button.isEnabled() and not dialog.slider.isEnabled()
    dialog.close()
    engine = app_context.engine
    engine.index([coco_photos(4)])  # four distinct photos (the tiny model)
    dialog = _open(qtbot, app_context)
    dialog.spin.setValue(1.0)
    dialog.rebuild()
    assert dialog.groups == [] and "No photos are this alike" in dialog.message.text()
    assert dialog.trash_button.text() == "Move 0 photos to the trash…"
    assert not dialog.trash_button.isEnabled()


def test_the_library_menu_opens_the_review(qtbot: QtBot, app_context: Any) -> None:
    from clipdesk.gui.mainwindow import MainWindow

    window = MainWindow(app_context)
    qtbot.addWidget(window)
    action = next(a for menu in window.menuBar().actions() if menu.menu()
                  for a in menu.menu().actions() if a.text() == "Find &duplicates…")
    action.trigger()
    dialog = window.findChild(DuplicatesDialog)
    assert dialog is not None
    qtbot.waitUntil(lambda: dialog.scan is None and "Nothing" in dialog.message.text(),
                    timeout=30_000)
    dialog.close()
