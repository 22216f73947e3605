"""Delegate painting (HiDPI), the grid view with 10 000 results, context menu, preview."""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image
from PySide6.QtCore import QPoint, Qt, QUrl
from PySide6.QtGui import QGuiApplication, QImage, QPainter, QPixmap
from PySide6.QtWidgets import QLabel, QStyle, QStyleOptionViewItem
from pytestqt.qtbot import QtBot

from clipdesk.core.thumbnails import ThumbnailCache
from clipdesk.core.types import FileStatus, Photo, SearchHit
from clipdesk.gui.results import actions
from clipdesk.gui.results.delegate import ResultDelegate
from clipdesk.gui.results.model import ResultsModel
from clipdesk.gui.results.preview import PreviewDialog
from clipdesk.gui.results.thumbs import ThumbnailLoader
from clipdesk.gui.results.view import ResultsView


def photo_files(folder: Path, n: int) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    out = []
    for i in range(n):
        path = folder / f"photo{i}.jpg"
        Image.new("RGB", (160, 120), (40 * i % 256, 200, 90)).save(path)
        out.append(path)
    return out


@pytest.fixture
def grid(qtbot: QtBot, tmp_path: Path):  # -> tuple[ResultsView, ResultsModel, list[Path]]
    paths = photo_files(tmp_path / "photos", 4)
    loader = ThumbnailLoader(ThumbnailCache(tmp_path / "thumbs", size=128))
    model = ResultsModel(loader)
    hits = [SearchHit(i + 1, paths[i % 4], 1.0 - i / 10_000, i + 1) for i in range(10_000)]
    model.set_results(hits)
    view = ResultsView()
    qtbot.addWidget(view)
    view.setModel(model)
    view.resize(700, 500)
    view.show()
    qtbot.waitExposed(view)
    yield view, model, paths
    loader.shutdown()


@pytest.mark.parametrize("selected", [False, True])
def test_delegate_paints_at_device_pixel_ratio_2(qtbot: QtBot, tmp_path: Path, selected: bool):
    model = ResultsModel()
    model.set_results([SearchHit(7, tmp_path / "<b>x</b>.jpg", 0.321, 1)])
    delegate = ResultDelegate(icon_size=96)
    option = QStyleOptionViewItem()
    size = delegate.cell_size(option.fontMetrics)
    canvas = QImage(size * 2, QImage.Format.Format_ARGB32_Premultiplied)
    canvas.setDevicePixelRatio(2.0)
    canvas.fill(Qt.GlobalColor.white)
    option.rect = canvas.rect().adjusted(0, 0, -size.width(), -size.height())  # logical rect
    if selected:
        option.state |= QStyle.StateFlag.State_Selected
    painter = QPainter(canvas)
    delegate.paint(painter, option, model.index(0, 0))  # placeholder (no thumbnail)
    painter.end()
    assert delegate.sizeHint(option, model.index(0, 0)) == size
    # with a HiDPI pixmap in the decoration role
    pixmap = QPixmap(192, 128)
    pixmap.fill(Qt.GlobalColor.red)
    pixmap.setDevicePixelRatio(2.0)

    class WithPixmap(ResultsModel):
        def data(self, index, role=Qt.ItemDataRole.DisplayRole):  # type: ignore[no-untyped-def]
            if role == Qt.ItemDataRole.DecorationRole:
                return pixmap
            return super().data(index, role)

    pixmap_model = WithPixmap()
    pixmap_model.set_results(model.hits())
    painter = QPainter(canvas)
    delegate.paint(painter, option, pixmap_model.index(0, 0))
    painter.end()
    centre = canvas.pixelColor(canvas.width() // 4, canvas.height() // 4 - 8)
    assert centre.red() > 200 and centre.green() < 60  # the picture was drawn


def test_grid_with_ten_thousand_results(qtbot: QtBot, grid) -> None:
    view, model, _ = grid
    loader = model.thumbnail_loader
    assert view.uniformItemSizes()
    assert view.viewMode() == view.ViewMode.IconMode
    qtbot.waitUntil(lambda: len(loader) > 0 and loader.pending() == 0, timeout=10_000)
    first = view.visual_rect_of_row(0)
    assert first.isValid() and view.viewport().rect().intersects(first)
    qtbot.waitUntil(lambda: view.visual_rect_of_row(9_999).isValid())  # batched layout done
    view.scrollToBottom()
    qtbot.waitUntil(lambda: view.viewport().rect().intersects(view.visual_rect_of_row(9_999)))
    # what was painted was asked for: 4 distinct files here, all of them loaded
    qtbot.waitUntil(lambda: len(loader) == 4, timeout=10_000)


def test_empty_message(qtbot: QtBot) -> None:
    view = ResultsView()
    qtbot.addWidget(view)
    view.setModel(ResultsModel())
    view.set_empty_message("Nothing is indexed yet.")
    view.resize(300, 200)
    view.show()
    qtbot.waitExposed(view)
    assert view.empty_message == "Nothing is indexed yet."
    view.grab()  # paints the sentence without error


def test_context_menu_actions(qtbot: QtBot, grid, monkeypatch) -> None:
    view, model, paths = grid
    opened: list[str] = []
    monkeypatch.setattr(actions, "open_url", lambda url: opened.append(url.toLocalFile()) or True)
    monkeypatch.setattr(actions, "start_detached", lambda prog, args: True)
    monkeypatch.setattr(actions, "_freedesktop_show_items", lambda path: False)
    index = model.index(1, 0)
    menu = view.build_context_menu(index)
    assert menu is not None
    names = [a.objectName() for a in menu.actions() if a.objectName()]
    assert names == ["preview", "open", "show_in_folder", "copy_path", "copy_image", "find_similar",
                     "show_folders"]

    view.context_action(menu, "open").trigger()
    assert opened == [str(paths[1])]
    view.context_action(menu, "show_in_folder").trigger()
    assert opened[-1] == str(paths[1].parent)

    view.context_action(menu, "copy_path").trigger()
    mime = QGuiApplication.clipboard().mimeData()
    assert [u.toLocalFile() for u in mime.urls()] == [str(paths[1])]
    assert QGuiApplication.clipboard().text() == str(paths[1])

    view.context_action(menu, "copy_image").trigger()
    image = QGuiApplication.clipboard().image()
    assert (image.width(), image.height()) == (160, 120)

    with qtbot.waitSignal(view.findSimilarRequested) as blocker:
        view.context_action(menu, "find_similar").trigger()
    assert blocker.args == [2]

    # a selection of several: the menu acts on all of them
    view.selectionModel().select(model.index(0, 0), view.selectionModel().SelectionFlag.Select)
    view.selectionModel().select(model.index(2, 0), view.selectionModel().SelectionFlag.Select)
    menu = view.build_context_menu(model.index(2, 0))
    view.context_action(menu, "copy_path").trigger()
    urls = QGuiApplication.clipboard().mimeData().urls()
    assert [QUrl(u).toLocalFile() for u in urls] == [str(paths[0]), str(paths[2])]
    assert view.build_context_menu(model.index(-1, 0)) is None


def test_double_click_opens_preview(qtbot: QtBot, grid) -> None:
    view, _model, paths = grid
    centre = view.visual_rect_of_row(0).center()
    qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=centre)
    with qtbot.waitSignal(view.previewOpened) as blocker:
        qtbot.mouseDClick(view.viewport(), Qt.MouseButton.LeftButton, pos=centre)
    dialog = blocker.args[0]
    assert isinstance(dialog, PreviewDialog)  # a child of the view's window: closed with it
    assert dialog.path == paths[0]
    qtbot.waitUntil(
        lambda: (
            dialog.image_label.pixmap() is not None and not dialog.image_label.pixmap().isNull()
        ),
        timeout=5000,
    )
    with qtbot.waitSignal(view.findSimilarRequested) as similar:
        dialog.findSimilarRequested.emit(1)
    assert similar.args == [1]
    dialog.close()
    assert view.rect().contains(QPoint(1, 1))


def test_preview_shows_markup_names_literally(qtbot: QtBot, tmp_path: Path) -> None:
    path = tmp_path / "<b>x</b>.jpg"  # on POSIX: the file "b>.jpg" in a folder "<b>x<"
    path.parent.mkdir()
    Image.new("RGB", (64, 48), (10, 20, 30)).save(path, format="JPEG")
    photo = Photo(
        id=3,
        root_id=1,
        path=path,
        size=path.stat().st_size,
        mtime_ns=path.stat().st_mtime_ns,
        width=64,
        height=48,
        taken_at=None,
        status=FileStatus.OK,
    )
    dialog = PreviewDialog(path, photo=photo, score=0.25)
    qtbot.addWidget(dialog)
    dialog.show()
    assert dialog.path_label.text() == str(path)
    assert dialog.path_label.textFormat() == Qt.TextFormat.PlainText
    assert "<b>x</b>.jpg" in dialog.path_label.text()
    assert dialog.dimensions_label.text() == "64 × 48"
    assert dialog.score_label.text() == "0.2500"
    for label in dialog.findChildren(QLabel):
        assert label.textFormat() == Qt.TextFormat.PlainText or "<b>" not in label.text()
    qtbot.waitUntil(
        lambda: (
            dialog.image_label.pixmap() is not None and not dialog.image_label.pixmap().isNull()
        ),
        timeout=5000,
    )


def test_process_exits_cleanly_after_copying(tmp_path: Path) -> None:
    """PySide6 segfaults at exit while the clipboard owns a Python-made QMimeData; copying
    paths or an image must not make the process crash on its way out."""
    import os
    import subprocess
    import sys

    photo = photo_files(tmp_path, 1)[0]
    code = (
        "from pathlib import Path\n"
        "from PySide6.QtWidgets import QApplication\n"
        "app = QApplication([])\n"
        "from clipdesk.gui.results import actions\n"
        f"actions.copy_paths([Path({str(photo)!r})])\n"
        f"assert actions.copy_image(Path({str(photo)!r}))\n"
        "print('copied')\n"
    )
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            env=env, timeout=120)
    assert result.stdout.strip() == "copied", result.stderr
    assert result.returncode == 0, f"exit {result.returncode}: {result.stderr[-500:]}"
