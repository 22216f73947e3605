"""The loupe: photos by keyboard, zoom and pan, full window, filmstrip, back to the grid; and
"Show in Folder" when no file manager can show the folder."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from PIL import Image
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QGuiApplication, QWheelEvent
from PySide6.QtWidgets import QApplication, QMessageBox
from pytestqt.qtbot import QtBot

from clipdesk.core.thumbnails import ThumbnailCache
from clipdesk.core.types import SearchHit
from clipdesk.gui.results import actions
from clipdesk.gui.results.model import ResultsModel
from clipdesk.gui.results.preview import PreviewDialog
from clipdesk.gui.results.thumbs import ThumbnailLoader
from clipdesk.gui.results.view import ResultsView

PHOTOS = 8
BIG = (4200, 2800)  # decoded at half size for the screen: 100 % needs the full picture


def make_photos(folder: Path) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i in range(PHOTOS):
        path = folder / f"photo{i}.jpg"
        size = BIG if i == 3 else (320, 240)
        Image.new("RGB", size, (30 * i % 256, 120, 200 - 20 * i)).save(path, quality=80)
        paths.append(path)
    return paths


@pytest.fixture
def grid(qtbot: QtBot, tmp_path: Path) -> Iterator[tuple[ResultsView, list[Path]]]:
    paths = make_photos(tmp_path / "photos")
    loader = ThumbnailLoader(ThumbnailCache(tmp_path / "thumbs", size=128))
    model = ResultsModel(loader)
    model.set_results([SearchHit(i + 1, p, 0.9 - i / 100, i + 1) for i, p in enumerate(paths)])
    view = ResultsView()
    qtbot.addWidget(view)
    view.setModel(model)
    view.resize(700, 500)
    view.show()
    qtbot.waitExposed(view)
    yield view, paths
    loader.shutdown()


def open_loupe(qtbot: QtBot, view: ResultsView, row: int) -> PreviewDialog:
    model = view.model()
    view.setCurrentIndex(model.index(row, 0))
    with qtbot.waitSignal(view.previewOpened) as opened:
        qtbot.keyClick(view, Qt.Key.Key_Space)
    dialog = opened.args[0]
    assert isinstance(dialog, PreviewDialog)  # a child of the grid's window: closed with it
    qtbot.waitExposed(dialog)
    dialog.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is dialog)
    return dialog


def loaded(dialog: PreviewDialog) -> bool:
    return not dialog.canvas.pixmap().isNull() and dialog.canvas.natural_size().isValid()


def test_arrow_keys_move_between_photos_not_buttons(qtbot: QtBot, grid) -> None:
    view, paths = grid
    dialog = open_loupe(qtbot, view, 2)
    assert dialog.count() == PHOTOS and dialog.row == 2 and dialog.path == paths[2]
    dialog.open_button.setFocus()  # where the arrow keys used to move the focus along
    qtbot.keyClick(dialog.open_button, Qt.Key.Key_Right)
    assert dialog.row == 3 and dialog.path == paths[3]
    assert dialog.focusWidget() is dialog.open_button  # the focus stayed
    qtbot.keyClick(dialog.open_button, Qt.Key.Key_PageDown)
    assert dialog.row == 4
    qtbot.keyClick(dialog.canvas, Qt.Key.Key_Left)
    qtbot.keyClick(dialog.canvas, Qt.Key.Key_PageUp)
    assert dialog.row == 2
    assert dialog.path_label.text() == str(paths[2])
    assert dialog.score_label.text() == "0.8800"
    qtbot.keyClick(dialog.canvas, Qt.Key.Key_End)
    assert dialog.row == PHOTOS - 1
    qtbot.keyClick(dialog.canvas, Qt.Key.Key_Right)  # past the last one: stays there
    assert dialog.row == PHOTOS - 1 and not dialog.next_button.isEnabled()
    qtbot.keyClick(dialog.canvas, Qt.Key.Key_Home)
    assert dialog.row == 0 and not dialog.previous_button.isEnabled()
    # the photo came, decoded off the GUI thread (the thumbnail may show first)
    qtbot.waitUntil(lambda: dialog.canvas.natural_size().width() == 320, timeout=10_000)
    assert dialog.dimensions_label.text() == "320 × 240"
    dialog.close()


def test_zoom_keys_wheel_buttons_and_panning(qtbot: QtBot, grid) -> None:
    view, _paths = grid
    dialog = open_loupe(qtbot, view, 3)  # the big photo
    canvas = dialog.canvas
    qtbot.waitUntil(lambda: loaded(dialog) and canvas.natural_size().width() == BIG[0],
                    timeout=20_000)
    assert canvas.is_fit() and canvas.scale() < 0.5
    fit = canvas.scale()
    qtbot.keyClick(canvas, Qt.Key.Key_Plus)
    assert not canvas.is_fit() and canvas.scale() == pytest.approx(fit * 1.25)
    qtbot.keyClick(canvas, Qt.Key.Key_Minus)
    qtbot.keyClick(canvas, Qt.Key.Key_Minus)
    assert canvas.scale() == pytest.approx(fit / 1.25)
    qtbot.keyClick(canvas, Qt.Key.Key_0)
    assert canvas.is_fit() and canvas.scale() == pytest.approx(fit)
    assert dialog.fit_button.isChecked()

    # the wheel zooms about the pointer, with or without Ctrl
    for modifiers in (Qt.KeyboardModifier.NoModifier, Qt.KeyboardModifier.ControlModifier):
        before = canvas.scale()
        centre = QPointF(canvas.rect().center())
        wheel = QWheelEvent(centre, canvas.mapToGlobal(centre), QPoint(), QPoint(0, 120),
                            Qt.MouseButton.NoButton, modifiers, Qt.ScrollPhase.NoScrollPhase,
                            False)
        QApplication.sendEvent(canvas, wheel)
        assert canvas.scale() == pytest.approx(before * 1.25)

    # 100 %: the full-resolution picture is decoded (the screen one has half its pixels)
    dialog.actual_button.click()
    assert canvas.scale() == 1.0 and dialog.zoom_label.text() == "100 %"
    qtbot.waitUntil(canvas.has_full_resolution, timeout=20_000)
    assert canvas.pixmap().width() == BIG[0]

    # dragging pans the zoomed photo
    assert canvas.is_pannable()
    start = canvas.centre_point()
    middle = canvas.rect().center()
    qtbot.mousePress(canvas, Qt.MouseButton.LeftButton, pos=middle)
    qtbot.mouseMove(canvas, middle + QPoint(-60, -40))
    qtbot.mouseRelease(canvas, Qt.MouseButton.LeftButton, pos=middle + QPoint(-60, -40))
    moved = canvas.centre_point() - start
    assert moved.x() == pytest.approx(60) and moved.y() == pytest.approx(40)

    # the fit button goes back
    dialog.fit_button.click()
    assert canvas.is_fit() and not canvas.is_pannable()
    dialog.close()


def test_full_window_esc_and_grid_follows(qtbot: QtBot, grid) -> None:
    view, paths = grid
    dialog = open_loupe(qtbot, view, 1)
    qtbot.mouseDClick(dialog.canvas, Qt.MouseButton.LeftButton,
                      pos=dialog.canvas.rect().center())
    assert dialog.is_full_window() and not dialog.side_panel.isVisible()
    assert not dialog.filmstrip.isVisible()
    qtbot.keyClick(dialog.canvas, Qt.Key.Key_F)
    assert not dialog.is_full_window() and dialog.side_panel.isVisible()
    qtbot.keyClick(dialog.canvas, Qt.Key.Key_F11)
    assert dialog.is_full_window()
    qtbot.keyClick(dialog.canvas, Qt.Key.Key_Right)
    qtbot.keyClick(dialog.canvas, Qt.Key.Key_Right)
    assert dialog.row == 3
    # Esc leaves the full window first, then returns to the grid
    qtbot.keyClick(dialog.canvas, Qt.Key.Key_Escape)
    assert not dialog.is_full_window() and dialog.isVisible()
    with qtbot.waitSignal(dialog.returnedToGrid) as back:
        qtbot.keyClick(dialog.canvas, Qt.Key.Key_Escape)
    assert back.args == [4]
    assert view.currentIndex().row() == 3
    assert [i.row() for i in view.selectionModel().selectedIndexes()] == [3]
    assert view.selected_items()[0].path == paths[3]


def test_filmstrip_click_jumps(qtbot: QtBot, grid) -> None:
    view, paths = grid
    dialog = open_loupe(qtbot, view, 0)
    strip = dialog.filmstrip
    assert strip.isVisible() and strip.model().rowCount() == PHOTOS
    assert strip.currentIndex().row() == 0
    target = strip.visualRect(strip.model().index(5, 0))
    assert target.isValid()
    qtbot.mouseClick(strip.viewport(), Qt.MouseButton.LeftButton, pos=target.center())
    assert dialog.row == 5 and dialog.path == paths[5]
    assert strip.currentIndex().row() == 5
    qtbot.keyClick(dialog.canvas, Qt.Key.Key_Left)  # the strip follows the keys
    assert strip.currentIndex().row() == 4
    # its thumbnails come from the grid's loader
    qtbot.waitUntil(lambda: strip.model().index(4, 0).data(Qt.ItemDataRole.DecorationRole)
                    is not None, timeout=10_000)
    dialog.close()


def test_single_photo_preview_has_no_strip(qtbot: QtBot, tmp_path: Path) -> None:
    path = make_photos(tmp_path)[0]
    dialog = PreviewDialog(path, score=0.5)
    qtbot.addWidget(dialog)
    dialog.show()
    assert dialog.count() == 1 and not dialog.filmstrip.isVisible()
    assert not dialog.next_button.isEnabled()
    qtbot.waitUntil(lambda: loaded(dialog), timeout=10_000)
    assert dialog.dimensions_label.text() == "320 × 240"
    os.utime(path, (1436178180, 1436178180))  # 2015-07-06 10:23 UTC: no EXIF, the file's time
    dialog.date_label.setText(dialog._date_text())
    from datetime import datetime

    from clipdesk.gui.formats import moment_text

    assert dialog.date_label.text() == moment_text(datetime.fromtimestamp(1436178180))
    assert "2015" in dialog.date_label.text()  # a four-digit year, never "7/6/15"


def test_broken_photo_says_so(qtbot: QtBot, tmp_path: Path) -> None:
    path = tmp_path / "broken.jpg"
    path.write_bytes(b"not a photo")
    dialog = PreviewDialog(path)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitUntil(lambda: dialog.canvas._message == "This picture cannot be shown.",
                    timeout=10_000)


# -- Show in Folder -------------------------------------------------------------------------------


@pytest.fixture
def no_file_manager(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(actions, "open_url", lambda url: False)
    monkeypatch.setattr(actions, "start_detached", lambda program, arguments: False)
    monkeypatch.setattr(actions, "_freedesktop_show_items", lambda path: False)


def notices() -> list[QMessageBox]:
    return [w for w in QApplication.topLevelWidgets()
            if isinstance(w, QMessageBox) and w.objectName() == "folder_not_shown"
            and w.isVisible()]


def test_show_in_folder_failure_from_preview(qtbot: QtBot, grid, no_file_manager) -> None:
    view, paths = grid
    dialog = open_loupe(qtbot, view, 2)
    dialog.folder_button.click()
    qtbot.waitUntil(lambda: len(notices()) == 1)
    box = notices()[0]
    assert str(paths[2].parent) in box.text()
    assert box.text().count(".") <= 2  # one sentence (a path may hold a dot)
    assert QGuiApplication.clipboard().text() == str(paths[2].parent)
    box.close()
    dialog.close()


def test_show_in_folder_failure_from_grid_menu(qtbot: QtBot, grid, no_file_manager) -> None:
    view, paths = grid
    menu = view.build_context_menu(view.model().index(4, 0))
    assert menu is not None
    view.context_action(menu, "show_in_folder").trigger()
    qtbot.waitUntil(lambda: len(notices()) == 1)
    box = notices()[0]
    assert str(paths[4].parent) in box.text()
    assert QGuiApplication.clipboard().text() == str(paths[4].parent)
    box.close()


def test_show_in_folder_success_says_nothing(qtbot: QtBot, tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    opened: list[str] = []
    monkeypatch.setattr(actions, "_freedesktop_show_items", lambda path: False)
    monkeypatch.setattr(actions, "start_detached", lambda program, arguments: False)
    monkeypatch.setattr(actions, "open_url",
                        lambda url: opened.append(url.toLocalFile()) or True)
    assert actions.show_in_folder(tmp_path / "x.jpg")
    assert opened == [str(tmp_path)]
    assert notices() == []


def test_focus_ring_follows_tab_not_clicks(qtbot: QtBot, grid) -> None:
    view, _paths = grid
    dialog = open_loupe(qtbot, view, 0)
    ring = dialog.focus_ring
    assert ring.target() is None
    qtbot.mouseClick(dialog.close_button, Qt.MouseButton.RightButton)  # no focus change
    dialog.open_button.setFocus(Qt.FocusReason.MouseFocusReason)
    assert ring.target() is None  # a click does not light it up
    for _ in range(12):
        qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Tab)
        if ring.target() is not None:
            break
    target = ring.target()
    assert target is not None and target is QApplication.focusWidget()
    box = ring.ring_rect()
    assert box.contains(target.geometry().translated(target.parentWidget().mapTo(
        dialog, target.parentWidget().rect().topLeft())))
    image = ring.grab().toImage()  # the ring is drawn in the highlight colour
    highlight = dialog.palette().color(dialog.palette().ColorRole.Highlight)
    edge = image.pixelColor(box.center().x(), box.top() + 1)
    assert abs(edge.red() - highlight.red()) < 40 and abs(edge.blue() - highlight.blue()) < 40
    dialog.close()
