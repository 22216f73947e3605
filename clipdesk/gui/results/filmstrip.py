"""The loupe's filmstrip: one row of the results' thumbnails, the photo shown framed.

The strip lists the same results as the grid the loupe was opened from, in the same order, with
the grid's thumbnails (one :class:`ThumbnailLoader`: nothing is decoded twice). Only the items
painted ask for their thumbnail, so 10 000 results cost nothing more than the few in view. A
click jumps to that photo (``rowClicked``); the keyboard stays with the loupe (arrow keys go to
the neighbouring photos), so the strip takes no focus.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import (
    QAbstractListModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QRect,
    QRectF,
    QSize,
    Qt,
    Signal,
    Slot,
)
from PySide6.QtGui import QColor, QPainter, QPalette, QPen, QPixmap, QWheelEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QListView,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QWidget,
)

from clipdesk.gui.results.thumbs import ThumbnailLoader, ThumbRequest

AnyIndex = QModelIndex | QPersistentModelIndex

STRIP_ICON = 64  # the thumbnails' side in the strip (logical pixels)
STRIP_MARGIN = 4


class FilmstripModel(QAbstractListModel):
    """Rows of (thumbnail request or None); thumbnails through ``Qt.DecorationRole``."""

    def __init__(
        self,
        thumbs: Sequence[ThumbRequest | None],
        names: Sequence[str],
        loader: ThumbnailLoader | None,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._thumbs = tuple(thumbs)
        self._names = tuple(names)
        self._loader = loader
        self._rows_by_key: dict[str, list[int]] = {}
        for row, thumb in enumerate(self._thumbs):
            if thumb is not None:
                self._rows_by_key.setdefault(thumb.key, []).append(row)
        if loader is not None:
            loader.thumbnailReady.connect(self._on_thumbnail_ready)

    def rowCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._thumbs)

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._thumbs):
            return None
        if role == Qt.ItemDataRole.DecorationRole:
            thumb = self._thumbs[index.row()]
            if thumb is None or self._loader is None:
                return None
            return self._loader.pixmap(thumb)
        if role == Qt.ItemDataRole.ToolTipRole:
            return self._names[index.row()] if index.row() < len(self._names) else None
        return None

    def flags(self, index: AnyIndex) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable

    @Slot(str)
    def _on_thumbnail_ready(self, key: str) -> None:
        for row in self._rows_by_key.get(key, ()):
            index = self.index(row, 0)
            self.dataChanged.emit(index, index, [Qt.ItemDataRole.DecorationRole])


class _StripDelegate(QStyledItemDelegate):
    """A thumbnail fitted in a square; the photo shown gets a highlight-coloured frame."""

    def sizeHint(self, option: QStyleOptionViewItem, index: AnyIndex) -> QSize:
        side = STRIP_ICON + 2 * STRIP_MARGIN
        return QSize(side, side)

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: AnyIndex) -> None:
        rect: QRect = option.rect
        palette: QPalette = option.palette
        state: QStyle.StateFlag = option.state
        painter.save()
        try:
            painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
            painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, True)
            box = rect.adjusted(STRIP_MARGIN, STRIP_MARGIN, -STRIP_MARGIN, -STRIP_MARGIN)
            pixmap = index.data(Qt.ItemDataRole.DecorationRole)
            if isinstance(pixmap, QPixmap) and not pixmap.isNull():
                size = pixmap.deviceIndependentSize().toSize()
                size.scale(box.size(), Qt.AspectRatioMode.KeepAspectRatio)
                target = QRect(0, 0, size.width(), size.height())
                target.moveCenter(box.center())
                painter.drawPixmap(target, pixmap)
            else:
                shade = QColor(palette.color(QPalette.ColorRole.Mid))
                shade.setAlpha(90)
                painter.fillRect(box, shade)
            if state & QStyle.StateFlag.State_Selected:
                pen = QPen(palette.color(QPalette.ColorRole.Highlight))
                pen.setWidthF(3.0)
                painter.setPen(pen)
                painter.setBrush(Qt.BrushStyle.NoBrush)
                painter.drawRoundedRect(QRectF(rect).adjusted(1.5, 1.5, -1.5, -1.5), 4, 4)
        finally:
            painter.restore()


class Filmstrip(QListView):
    """A single row of thumbnails; ``rowClicked(row)`` when one is clicked."""

    rowClicked = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setItemDelegate(_StripDelegate(self))
        self.setViewMode(QListView.ViewMode.ListMode)
        self.setFlow(QListView.Flow.LeftToRight)
        self.setWrapping(False)
        self.setUniformItemSizes(True)
        self.setMovement(QListView.Movement.Static)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setHorizontalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAsNeeded)
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # arrow keys belong to the loupe
        self.setFrameShape(QListView.Shape.NoFrame)
        side = STRIP_ICON + 2 * STRIP_MARGIN
        bar = self.style().pixelMetric(QStyle.PixelMetric.PM_ScrollBarExtent)
        self.setFixedHeight(side + bar + 4)
        self.clicked.connect(lambda index: self.rowClicked.emit(index.row()))

    def show_row(self, row: int) -> None:
        """Frame ``row`` and scroll it to the middle of the strip."""
        model = self.model()
        if model is None or not 0 <= row < model.rowCount():
            return
        index = model.index(row, 0)
        self.selectionModel().setCurrentIndex(
            index, self.selectionModel().SelectionFlag.ClearAndSelect
        )
        self.scrollTo(index, QAbstractItemView.ScrollHint.PositionAtCenter)

    def wheelEvent(self, event: QWheelEvent) -> None:
        """A mouse wheel scrolls the strip sideways."""
        bar = self.horizontalScrollBar()
        delta = event.angleDelta()
        step = delta.x() if abs(delta.x()) > abs(delta.y()) else delta.y()
        bar.setValue(bar.value() - step)
        event.accept()

