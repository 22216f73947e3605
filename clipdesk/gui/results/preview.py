"""A larger look at one result: the picture, its path, size, dimensions, date, score and tags.

The picture is decoded off the GUI thread (the thumbnail shows meanwhile, when there is one).
Every piece of text is plain text: a file named ``<b>x</b>.jpg`` is shown as those characters.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

from PySide6.QtCore import QDate, QDateTime, QLocale, QSize, Qt, QTime, Signal
from PySide6.QtGui import QImage, QPixmap, QResizeEvent
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QPushButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from clipdesk.core.types import Photo
from clipdesk.gui.names import shown
from clipdesk.gui.results import actions
from clipdesk.gui.results.background import run_in_pool

log = logging.getLogger(__name__)

PREVIEW_SIDE = 1024  # decode no larger than needed for a shortest side of this (a screen's)


class PreviewDialog(QDialog):
    """Non-modal preview of one photo; ``findSimilarRequested(file_id)`` when asked."""

    findSimilarRequested = Signal(int)

    def __init__(
        self,
        path: Path,
        *,
        photo: Photo | None = None,
        score: float | None = None,
        file_id: int | None = None,
        thumbnail: QPixmap | None = None,
        tags: Sequence[str] = (),
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.path = Path(path)
        self.photo = photo
        self.file_id = file_id if file_id is not None else (photo.id if photo else None)
        self.setWindowTitle(self.tr("Preview"))
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose, True)
        self._source = QPixmap()

        self.image_label = QLabel(self)
        self.image_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.image_label.setMinimumSize(QSize(320, 240))
        self.image_label.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.image_label.setText(self.tr("Loading…"))
        self.image_label.setTextFormat(Qt.TextFormat.PlainText)

        form = QFormLayout()
        self.path_label = _plain(shown(self.path), self)
        self.path_label.setWordWrap(True)
        form.addRow(self.tr("Path:"), self.path_label)
        self.size_label = _plain(self._size_text(), self)
        form.addRow(self.tr("Size:"), self.size_label)
        self.dimensions_label = _plain(self._dimensions_text(), self)
        form.addRow(self.tr("Dimensions:"), self.dimensions_label)
        self.date_label = _plain(self._date_text(), self)
        form.addRow(self.tr("Date:"), self.date_label)
        self.score_label = _plain(f"{score:.4f}" if score is not None else "—", self)
        form.addRow(self.tr("Score:"), self.score_label)
        self.tags = tuple(tags)
        self.tags_label = _plain(", ".join(self.tags) if self.tags else "—", self)
        self.tags_label.setWordWrap(True)
        form.addRow(self.tr("Tags:"), self.tags_label)

        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.reject)
        open_button = QPushButton(self.tr("Open"), self)
        open_button.clicked.connect(lambda: actions.open_file(self.path))
        buttons.addButton(open_button, QDialogButtonBox.ButtonRole.ActionRole)
        folder_button = QPushButton(self.tr("Show in Folder"), self)
        folder_button.clicked.connect(lambda: actions.show_in_folder(self.path))
        buttons.addButton(folder_button, QDialogButtonBox.ButtonRole.ActionRole)
        if self.file_id is not None:
            similar = QPushButton(self.tr("Find Similar"), self)
            similar.clicked.connect(self._find_similar)
            buttons.addButton(similar, QDialogButtonBox.ButtonRole.ActionRole)

        layout = QVBoxLayout(self)
        layout.addWidget(self.image_label, 1)
        layout.addLayout(form)
        layout.addWidget(buttons)
        self.resize(900, 760)

        if thumbnail is not None and not thumbnail.isNull():
            self._set_pixmap(thumbnail)
        target = self.path
        run_in_pool(lambda: actions.load_qimage(target, PREVIEW_SIDE), self._on_loaded, self)

    # -- text ------------------------------------------------------------------------------------

    def _size_text(self) -> str:
        size = self.photo.size if self.photo is not None else _file_size(self.path)
        return QLocale().formattedDataSize(size) if size is not None else "—"

    def _dimensions_text(self) -> str:
        if self.photo is None or not self.photo.width or not self.photo.height:
            return "—"
        return f"{self.photo.width} × {self.photo.height}"

    def _date_text(self) -> str:
        when: datetime | None = None
        if self.photo is not None:
            when = self.photo.taken_at or datetime.fromtimestamp(self.photo.mtime_ns / 1e9)
        else:
            try:
                when = datetime.fromtimestamp(self.path.stat().st_mtime)
            except OSError:
                when = None
        if when is None:
            return "—"
        moment = QDateTime(
            QDate(when.year, when.month, when.day), QTime(when.hour, when.minute, when.second)
        )
        return QLocale().toString(moment, QLocale.FormatType.ShortFormat)

    # -- picture ---------------------------------------------------------------------------------

    def _on_loaded(self, image: QImage | None) -> None:
        if image is None or image.isNull():
            if self._source.isNull():
                self.image_label.setText(self.tr("This picture cannot be shown."))
            return
        if self.photo is None:
            self.dimensions_label.setText(f"{image.width()} × {image.height()}")
        self._set_pixmap(QPixmap.fromImage(image))

    def _set_pixmap(self, pixmap: QPixmap) -> None:
        self._source = pixmap
        self._rescale()

    def _rescale(self) -> None:
        if self._source.isNull():
            return
        ratio = self.devicePixelRatioF()
        box = self.image_label.contentsRect().size() * ratio
        scaled = self._source.scaled(
            box, Qt.AspectRatioMode.KeepAspectRatio, Qt.TransformationMode.SmoothTransformation
        )
        scaled.setDevicePixelRatio(ratio)
        self.image_label.setPixmap(scaled)

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._rescale()

    def _find_similar(self) -> None:
        if self.file_id is not None:
            self.findSimilarRequested.emit(self.file_id)


def _plain(text: str, parent: QWidget) -> QLabel:
    label = QLabel(parent)
    label.setTextFormat(Qt.TextFormat.PlainText)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    label.setText(text)
    return label


def _file_size(path: Path) -> int | None:
    try:
        return path.stat().st_size
    except OSError:
        return None
