"""Searching by the words read in photos from the window: the "Words in photos" choice, the
grid's badge, the preview's boxes, the setting, and the job line. Real OCR on coco-mini photos
with a Chinese and an English sign drawn on them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from clipdesk.core.ocr.reader import ocr_installed
from clipdesk.core.search import PhotoText
from clipdesk.core.types import Progress, Stage
from clipdesk.gui.dialogs.settings import SettingsDialog
from clipdesk.gui.indexing import progress_text
from clipdesk.gui.results.model import ResultRole
from clipdesk.gui.results.preview import PreviewDialog
from tests.gui.test_text_search import column, make_panel


def search(qtbot: QtBot, panel: Any, text: str) -> None:
    """Type ``text`` (set whole: QTest cannot type Chinese) and press Enter."""
    panel.query_edit.setText(text)
    with qtbot.waitSignal(panel.searchFinished, timeout=20_000):
        qtbot.keyClick(panel.query_edit, Qt.Key.Key_Return)

# never imported here: its OpenCV brings its own Qt, which must not meet PySide6 in one process
pytestmark = pytest.mark.skipif(not ocr_installed(), reason="rapidocr_onnxruntime is not installed")


@pytest.fixture
def read_context(app_context: Any, signs: dict[str, Path]) -> Any:  # -> AppContext
    engine = app_context.engine
    report = engine.index([signs["folder"]], read_text=True)
    assert report is not None and report.texts_read == 6
    app_context.load_encoder(engine.settings.model_id)
    return app_context


def test_words_in_photos_find_mark_and_show_them(qtbot: QtBot, read_context: Any,
                                                 signs: dict[str, Path]) -> None:
    panel = make_panel(qtbot, read_context)
    try:
        search(qtbot, panel, "发票")
        assert panel.results.rowCount() == 6  # words not looked for: the picture search
        assert all(not w for w in column(panel, ResultRole.WORDS))
        with qtbot.waitSignal(panel.searchFinished, timeout=20_000):
            panel.set_photo_text(PhotoText.ONLY)
        paths = column(panel, ResultRole.PATH)
        assert [Path(p).name for p in paths] == [signs["invoice"].name]
        words = column(panel, ResultRole.WORDS)[0]
        assert any("发票" in line.text for line in words)
        tooltip = panel.results.data(panel.results.index(0, 0), 3)  # ToolTipRole
        assert "Shows the words" in str(tooltip)
        with qtbot.waitSignal(panel.searchFinished, timeout=20_000):
            panel.set_photo_text(PhotoText.FUSE)
        assert panel.results.rowCount() == 6
        assert Path(column(panel, ResultRole.PATH)[0]).name == signs["invoice"].name
        assert [bool(w) for w in column(panel, ResultRole.WORDS)] == [True] + [False] * 5
        # the preview shows the lines and draws their boxes on the picture
        dialog = panel.view.open_preview(panel.view.model().index(0, 0))
        assert isinstance(dialog, PreviewDialog)
        assert "发票" in dialog.words_label.text() and dialog.words_label.isVisible()
        marks = dialog.canvas.marks()
        assert marks and all(0.0 <= v <= 1.0 for v in marks[0])
        assert min(marks[0][0::2]) < 0.3  # the sign is at the top left
        dialog.show_next()  # a photo without the words: no boxes, no words row
        assert dialog.canvas.marks() == () and not dialog.words_label.isVisible()
        dialog.close()
        # English, any case, exact phrase in quotes
        with qtbot.waitSignal(panel.searchFinished, timeout=20_000):
            panel.set_photo_text(PhotoText.ONLY)
        search(qtbot, panel, '"emergency exit"')
        assert [Path(p).name for p in column(panel, ResultRole.PATH)] == ["exit.jpg"]
        search(qtbot, panel, "sunset")
        assert panel.results.rowCount() == 0
    finally:
        panel.shutdown()


def test_before_any_reading_the_panel_says_how(qtbot: QtBot, indexed_context: Any) -> None:
    panel = make_panel(qtbot, indexed_context)
    try:
        panel.set_photo_text(PhotoText.ONLY)
        search(qtbot, panel, "发票")
        assert panel.results.rowCount() == 0
        assert "No text has been read" in panel.notice_label.text()
    finally:
        panel.shutdown()


def test_the_setting_and_the_job_line(qtbot: QtBot, app_context: Any) -> None:
    dialog = SettingsDialog(app_context)
    qtbot.addWidget(dialog)
    assert not dialog.read_text.isChecked()
    dialog.read_text.setChecked(True)
    assert dialog.apply() == ["read_text"] and app_context.engine.settings.read_text
    text = progress_text(Progress(Stage.READING, 120, 3000, rate=2.0, eta_s=1440.0))
    assert "Reading the text in photos: 120 of 3,000" in text and "left" in text
    assert progress_text(Progress(Stage.TRASHING, 2, 5)) == "Moving photos to the trash: 2 of 5"
