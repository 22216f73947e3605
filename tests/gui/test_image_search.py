"""The image search panel: drop, paste, find similar, combined words — real engine, tiny model."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent, QGuiApplication, QImage
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from clipdesk.gui.panels.image_search import ImageSearchPanel, image_source_from_mime
from clipdesk.gui.panels.search_base import Outcome
from clipdesk.gui.panels.text_search import TextSearchPanel
from clipdesk.gui.results.model import ResultRole


def make_panel(qtbot: QtBot, context: Any) -> ImageSearchPanel:
    panel = ImageSearchPanel(context)
    qtbot.addWidget(panel)
    panel.resize(900, 700)
    panel.show()
    # the tiny models' random vectors are all near-identical: one row per photo, unstacked
    panel.view.set_stacking(False)
    return panel


def first_photos(context: Any, n: int = 3) -> list[Path]:
    return sorted(context.photo_folder.glob("*.jpg"))[:n]


def top(panel: ImageSearchPanel) -> tuple[Path, float]:
    index = panel.results.index(0, 0)
    return panel.results.data(index, ResultRole.PATH), panel.results.data(index, ResultRole.SCORE)


def drop(panel: ImageSearchPanel, mime: QMimeData) -> tuple[bool, bool]:
    """A real drag-enter then drop on the panel; returns whether each was accepted."""
    pos = QPointF(panel.picture.geometry().center())
    actions = Qt.DropAction.CopyAction
    enter = QDragEnterEvent(
        pos.toPoint(), actions, mime, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier
    )
    QApplication.sendEvent(panel, enter)
    event = QDropEvent(
        pos, actions, mime, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier
    )
    QApplication.sendEvent(panel, event)
    return enter.isAccepted(), event.isAccepted()


def test_drop_file_url_finds_the_photo_first(qtbot: QtBot, indexed_context: Any) -> None:
    panel = make_panel(qtbot, indexed_context)
    try:
        assert "Drop a photo" in panel.view.empty_message
        photo = first_photos(indexed_context)[1]
        mime = QMimeData()
        mime.setUrls([QUrl.fromLocalFile(str(photo))])
        with qtbot.waitSignal(panel.searchFinished, timeout=20_000):
            assert drop(panel, mime) == (True, True)
        assert panel.last_outcome is not None and panel.last_outcome.outcome == Outcome.RESULTS
        assert panel.results.rowCount() == 20
        path, score = top(panel)
        assert path == photo
        assert score > 0.99
        assert panel.source_label.text() == str(photo)
        qtbot.waitUntil(
            lambda: panel.picture.pixmap() is not None and not panel.picture.pixmap().isNull(),
            timeout=5000,
        )
    finally:
        panel.shutdown()


def test_drop_from_a_browser(qtbot: QtBot, indexed_context: Any) -> None:
    panel = make_panel(qtbot, indexed_context)
    try:
        photo = first_photos(indexed_context)[2]
        # image data only (what a browser gives when the picture is dragged)
        mime = QMimeData()
        mime.setData("image/png", _png_bytes(QImage(str(photo))))
        with qtbot.waitSignal(panel.searchFinished, timeout=20_000):
            assert drop(panel, mime) == (True, True)
        assert panel.results.rowCount() == 20
        assert panel.source_label.text() == "Pasted picture"
        assert top(panel)[0] == photo
        # a web address only: refused with a sentence, nothing searched
        remote = QMimeData()
        remote.setUrls([QUrl("https://example.com/cat.jpg")])
        assert drop(panel, remote) == (True, True)
        assert "on this computer" in panel.notice_label.text()
        # nothing usable at all
        text = QMimeData()
        text.setText("hello")
        assert drop(panel, text) == (False, False)
    finally:
        panel.shutdown()


def test_paste_from_clipboard(qtbot: QtBot, indexed_context: Any) -> None:
    panel = make_panel(qtbot, indexed_context)
    try:
        photo = first_photos(indexed_context)[0]
        mime = QMimeData()
        mime.setUrls([QUrl.fromLocalFile(str(photo))])
        QGuiApplication.clipboard().setMimeData(mime)
        panel.view.setFocus()
        with qtbot.waitSignal(panel.searchFinished, timeout=20_000):
            qtbot.keyClick(panel.view, Qt.Key.Key_V, Qt.KeyboardModifier.ControlModifier)
        assert top(panel)[0] == photo
        # a picture (not a file) on the clipboard
        other = first_photos(indexed_context)[2]
        QGuiApplication.clipboard().setImage(QImage(str(other)))
        with qtbot.waitSignal(panel.searchFinished, timeout=20_000):
            assert panel.paste()
        assert top(panel)[0] == other
        QGuiApplication.clipboard().setText("no picture here")
        assert not panel.paste()
        assert "clipboard" in panel.notice_label.text()
    finally:
        panel.shutdown()


def test_find_similar_from_the_view(qtbot: QtBot, indexed_context: Any) -> None:
    text_panel = TextSearchPanel(indexed_context)
    qtbot.addWidget(text_panel)
    text_panel.view.set_stacking(False)  # the tiny model's random vectors: all near-identical
    image_panel = make_panel(qtbot, indexed_context)
    text_panel.findSimilarRequested.connect(image_panel.find_similar)  # as the main window does
    try:
        with qtbot.waitSignal(text_panel.searchFinished, timeout=20_000):
            text_panel.set_query_text("a red bus")
        index = text_panel.results.index(3, 0)
        file_id = text_panel.results.data(index, ResultRole.FILE_ID)
        path = text_panel.results.data(index, ResultRole.PATH)
        menu = text_panel.view.build_context_menu(index)
        with qtbot.waitSignal(image_panel.searchFinished, timeout=20_000):
            text_panel.view.context_action(menu, "find_similar").trigger()
        first = image_panel.results.index(0, 0)
        assert image_panel.results.data(first, ResultRole.FILE_ID) == file_id
        assert image_panel.results.data(first, ResultRole.SCORE) > 0.999  # its stored vector
        qtbot.waitUntil(lambda: image_panel.source_label.text() == str(path), timeout=5000)
        # combined with words: still answers, and the weight slider comes alive
        with qtbot.waitSignal(image_panel.searchFinished, timeout=20_000):
            image_panel.text_edit.setText("at night")
        assert image_panel.weight_slider.isEnabled()
        assert image_panel.results.rowCount() == 20
        assert image_panel.build_query().text == "at night"
        with qtbot.waitSignal(image_panel.searchFinished, timeout=20_000):
            image_panel.clear_query()
        assert image_panel.results.rowCount() == 0
    finally:
        text_panel.shutdown()
        image_panel.shutdown()


def test_image_source_from_mime(tmp_path: Path) -> None:
    photo = tmp_path / "a.jpg"
    QImage(4, 4, QImage.Format.Format_RGB32).save(str(photo))
    listing = QMimeData()
    listing.setUrls(
        [QUrl.fromLocalFile(str(tmp_path / "notes.txt")), QUrl.fromLocalFile(str(photo))]
    )
    assert image_source_from_mime(listing) == photo
    as_text = QMimeData()
    as_text.setText(QUrl.fromLocalFile(str(photo)).toString())
    assert image_source_from_mime(as_text) == photo
    assert image_source_from_mime(QMimeData()) is None


def _png_bytes(image: QImage) -> bytes:
    from PySide6.QtCore import QBuffer, QByteArray, QIODevice

    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    image.save(buffer, "PNG")
    buffer.close()
    return bytes(data.data())
