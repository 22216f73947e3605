"""Image search: find photos like a given one, optionally steered by words.

The query photo comes from a drop (a file from the file manager, or image data or a local file
URL from a browser), the clipboard (Ctrl+V), a file dialog, :meth:`ImageSearchPanel.set_query_image`
or :meth:`ImageSearchPanel.find_similar` (a library photo, by file id: its stored vector is used).
Words typed next to it are mixed in ("like this, but at night") with an adjustable weight.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QMimeData, QSize, Qt, QUrl, Signal
from PySide6.QtGui import (
    QDragEnterEvent,
    QDragMoveEvent,
    QDropEvent,
    QGuiApplication,
    QImage,
    QKeyEvent,
    QKeySequence,
    QPixmap,
    QShortcut,
)
from PySide6.QtWidgets import (
    QFileDialog,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSlider,
    QVBoxLayout,
    QWidget,
)

from clipdesk.core.imaging import is_supported, supported_suffixes
from clipdesk.core.search import Query
from clipdesk.gui.names import shown
from clipdesk.gui.panels.search_base import SearchPanel
from clipdesk.gui.results.actions import load_qimage
from clipdesk.gui.results.thumbs import ThumbnailLoader, qimage_to_pil

if TYPE_CHECKING:
    from PIL.Image import Image as PILImage

    from clipdesk.gui.context import AppContext

log = logging.getLogger(__name__)

QUERY_SIDE = 180  # the query picture's box, logical pixels
ImageSource = Path | QImage


def image_source_from_mime(mime: QMimeData) -> ImageSource | None:
    """The picture a drop or paste carries: a local image file first, else image data."""
    for url in mime.urls():
        if url.isLocalFile():
            path = Path(url.toLocalFile())
            if is_supported(path) and path.is_file():
                return path
    if mime.hasImage():
        image = mime.imageData()
        if isinstance(image, QImage) and not image.isNull():
            return image
    for fmt in mime.formats():
        if fmt.startswith("image/"):
            image = QImage.fromData(mime.data(fmt))
            if not image.isNull():
                return image
    if mime.hasText():  # some apps give a path (or a file URL) as plain text
        text = mime.text().strip()
        candidate = Path(QUrl(text).toLocalFile() if text.startswith("file:") else text)
        ok = "\n" not in text and candidate.is_absolute() and is_supported(candidate)
        if ok and candidate.is_file():
            return candidate
    return None


def _has_remote_image(mime: QMimeData) -> bool:
    return any(not u.isLocalFile() and u.scheme() in ("http", "https") for u in mime.urls())


class QueryImageLabel(QLabel):
    """Shows the query picture scaled into a fixed box (or a dashed "drop here" frame)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setFixedSize(QSize(QUERY_SIDE, QUERY_SIDE))
        self.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.setTextFormat(Qt.TextFormat.PlainText)
        self.setWordWrap(True)
        self.setStyleSheet("QLabel { border: 2px dashed palette(mid); border-radius: 6px; }")
        self.clear_picture()

    def clear_picture(self) -> None:
        self.clear()
        self.setText(self.tr("Drop a photo here"))

    def set_picture(self, image: QImage) -> None:
        if image.isNull():
            self.clear_picture()
            return
        ratio = self.devicePixelRatioF()
        side = round((QUERY_SIDE - 8) * ratio)
        scaled = image.scaled(
            side,
            side,
            Qt.AspectRatioMode.KeepAspectRatio,
            Qt.TransformationMode.SmoothTransformation,
        )
        pixmap = QPixmap.fromImage(scaled)
        pixmap.setDevicePixelRatio(ratio)
        self.setPixmap(pixmap)


class ImageSearchPanel(SearchPanel):
    """Query photo (+ optional words) over the shared search options and results grid."""

    queryImageChanged = Signal()

    def __init__(
        self,
        context: AppContext,
        parent: QWidget | None = None,
        *,
        thumbnails: ThumbnailLoader | None = None,
    ) -> None:
        super().__init__(context, parent, thumbnails=thumbnails)
        self._query_path: Path | None = None
        self._query_image: PILImage | None = None
        self._query_file_id: int | None = None
        self._picture_seq = 0
        self.setAcceptDrops(True)

        area = QWidget(self)
        self.picture = QueryImageLabel(area)
        self.source_label = QLabel(area)
        self.source_label.setTextFormat(Qt.TextFormat.PlainText)
        self.source_label.setWordWrap(True)
        self.open_button = QPushButton(self.tr("Open Photo…"), area)
        self.paste_button = QPushButton(self.tr("Paste"), area)
        self.paste_button.setToolTip(self.tr("Paste a picture or a photo file (Ctrl+V)"))
        self.clear_button = QPushButton(self.tr("Clear"), area)
        self.text_edit = QLineEdit(area)
        self.text_edit.setClearButtonEnabled(True)
        self.text_edit.setPlaceholderText(
            self.tr("Optional words to combine with it: at night, 下雪, …")
        )
        self.weight_slider = QSlider(Qt.Orientation.Horizontal, area)
        self.weight_slider.setRange(0, 100)
        self.weight_slider.setValue(50)
        self.weight_slider.setToolTip(self.tr("How much the photo counts against the words"))
        self.weight_slider.setEnabled(False)

        buttons = QHBoxLayout()
        for button in (self.open_button, self.paste_button, self.clear_button):
            buttons.addWidget(button)
        buttons.addStretch(1)
        words = QGridLayout()
        words.addWidget(QLabel(self.tr("Words:"), area), 0, 0)
        words.addWidget(self.text_edit, 0, 1, 1, 3)
        words.addWidget(QLabel(self.tr("Words"), area), 1, 1, Qt.AlignmentFlag.AlignRight)
        words.addWidget(self.weight_slider, 1, 2)
        words.addWidget(QLabel(self.tr("Photo"), area), 1, 3)
        side = QVBoxLayout()
        side.addLayout(buttons)
        side.addWidget(self.source_label)
        side.addLayout(words)
        side.addStretch(1)
        layout = QHBoxLayout(area)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.picture)
        layout.addLayout(side, 1)
        self._build_layout(area)

        self.open_button.clicked.connect(self.open_photo_dialog)
        self.paste_button.clicked.connect(self.paste)
        self.clear_button.clicked.connect(self.clear_query)
        self.text_edit.textChanged.connect(self._on_words)
        self.weight_slider.valueChanged.connect(lambda _v: self.schedule_search())
        paste = QShortcut(QKeySequence(QKeySequence.StandardKey.Paste), self)
        paste.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        paste.activated.connect(self.paste)

    # -- the query -------------------------------------------------------------------------------

    def has_query_image(self) -> bool:
        sources = (self._query_path, self._query_image, self._query_file_id)
        return any(x is not None for x in sources)

    def set_query_image(self, source: Path | str | QImage, *, search: bool = True) -> None:
        """Search with this photo (a file anywhere, or a picture in memory)."""
        self._query_file_id = None
        self._picture_seq += 1
        if isinstance(source, QImage):
            self._query_path = None
            self._query_image = qimage_to_pil(source)
            self.picture.set_picture(source)
            self.source_label.setText(self.tr("Pasted picture"))
        else:
            path = Path(source)
            self._query_path, self._query_image = path, None
            self.source_label.setText(shown(path))
            self._load_picture(path)
        self.queryImageChanged.emit()
        if search:
            self.search_now()

    def find_similar(self, file_id: int) -> None:
        """Search with a library photo (its stored vector; no decoding when it has one)."""
        self._query_path, self._query_image, self._query_file_id = None, None, int(file_id)
        self.source_label.setText("")
        self._picture_seq += 1
        seq = self._picture_seq

        def lookup() -> tuple[Path, QImage] | None:
            photo = self.context.library().photo(file_id)
            return None if photo is None else (photo.path, load_qimage(photo.path, QUERY_SIDE))

        def show(found: tuple[Path, QImage] | None) -> None:
            if seq == self._picture_seq and found is not None:
                self.source_label.setText(str(found[0]))
                self.picture.set_picture(found[1])

        self.context.run_task(lookup, show)
        self.queryImageChanged.emit()
        self.search_now()

    def clear_query(self) -> None:
        self._query_path = self._query_image = self._query_file_id = None
        self._picture_seq += 1
        self.picture.clear_picture()
        self.source_label.setText("")
        self.queryImageChanged.emit()
        self.search_now()

    def _load_picture(self, path: Path) -> None:
        seq = self._picture_seq

        def show(image: QImage) -> None:
            if seq == self._picture_seq:
                self.picture.set_picture(image)

        self.picture.clear()
        self.picture.setText(self.tr("Loading…"))
        self.context.run_task(lambda: load_qimage(path, QUERY_SIDE), show)

    def build_query(self) -> Query | None:
        if not self.has_query_image():
            return None
        return self._with_options(
            Query(
                text=self.text_edit.text().strip(),
                image=self._query_path if self._query_path is not None else self._query_image,
                image_file_id=self._query_file_id,
                image_weight=self.weight_slider.value() / 100.0,
            )
        )

    def idle_message(self) -> str:
        return self.tr("Drop a photo here, paste one (Ctrl+V) or open one to find photos like it.")

    def _on_words(self, text: str) -> None:
        self.weight_slider.setEnabled(bool(text.strip()))
        if self.has_query_image():
            self.schedule_search()

    # -- sources ---------------------------------------------------------------------------------

    def paste(self) -> bool:
        """Use the picture or photo file on the clipboard; False when it holds neither."""
        mime = QGuiApplication.clipboard().mimeData()
        source = image_source_from_mime(mime) if mime is not None else None
        if source is None:
            self._show_notice(self.tr("The clipboard holds no picture or photo file."))
            return False
        self.set_query_image(source)
        return True

    def open_photo_dialog(self) -> None:
        patterns = " ".join(f"*{s}" for s in sorted(supported_suffixes()))
        start = str(self._query_path.parent) if self._query_path is not None else ""
        name, _ = QFileDialog.getOpenFileName(
            self, self.tr("Open a Photo"), start, self.tr("Images (%1)").replace("%1", patterns)
        )
        if name:
            self.set_query_image(Path(name))

    def keyPressEvent(self, event: QKeyEvent) -> None:
        # the shortcut needs an active window; keys the children leave unused land here too
        if event.matches(QKeySequence.StandardKey.Paste):
            self.paste()
            event.accept()
            return
        super().keyPressEvent(event)

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        mime = event.mimeData()
        if image_source_from_mime(mime) is not None or _has_remote_image(mime):
            event.acceptProposedAction()
        else:
            event.ignore()

    def dragMoveEvent(self, event: QDragMoveEvent) -> None:
        event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:
        mime = event.mimeData()
        source = image_source_from_mime(mime)
        if source is None:
            if _has_remote_image(mime):
                self._show_notice(
                    self.tr(
                        "Only pictures on this computer can be used: save it first, or drag "
                        "the picture itself."
                    )
                )
                event.acceptProposedAction()
            else:
                event.ignore()
            return
        event.acceptProposedAction()
        self.set_query_image(source)
