"""Paints one result: thumbnail (or a placeholder), tag chips, score badge, file name, selection.

Every item has the same size (``sizeHint`` ignores the data), so the view can lay out 10 000 items
without asking each one. Text is drawn with ``QPainter.drawText``, which never interprets markup:
a file named ``<b>x</b>.jpg`` shows those characters.
"""

from __future__ import annotations

from PySide6.QtCore import (
    QModelIndex,
    QPersistentModelIndex,
    QPointF,
    QRect,
    QRectF,
    QSize,
    Qt,
)
from PySide6.QtGui import QColor, QFont, QFontMetrics, QPainter, QPalette, QPen, QPixmap
from PySide6.QtWidgets import QStyle, QStyledItemDelegate, QStyleOptionViewItem, QWidget

from clipdesk.gui.results.model import ResultRole

AnyIndex = QModelIndex | QPersistentModelIndex

DEFAULT_ICON_SIZE = 160
MARGIN = 6
MAX_CHIPS = 3  # tag chips drawn on a thumbnail at most (a "+N" chip tells of the others)
CHIP_MIN_WIDTH = 28  # a chip narrower than this is not drawn
CHIP_GAP = 3


class ResultDelegate(QStyledItemDelegate):
    """A uniform thumbnail cell: ``icon_size`` square picture area plus one line of text."""

    def __init__(
        self,
        parent: QWidget | None = None,
        *,
        icon_size: int = DEFAULT_ICON_SIZE,
        show_score: bool = True,
        show_name: bool = True,
        show_tags: bool = True,
    ) -> None:
        super().__init__(parent)
        self._icon_size = icon_size
        self.show_score = show_score
        self.show_name = show_name
        self.show_tags = show_tags
        self._metrics: tuple[QFont, QFontMetrics] | None = None
        self._chip_font: tuple[QFont, QFont, QFontMetrics] | None = None

    @property
    def icon_size(self) -> int:
        return self._icon_size

    def set_icon_size(self, size: int) -> None:
        self._icon_size = max(32, int(size))
        self.sizeHintChanged.emit(QModelIndex())

    def cell_size(self, metrics: QFontMetrics) -> QSize:
        text = metrics.height() + MARGIN if self.show_name else 0
        return QSize(self._icon_size + 2 * MARGIN, self._icon_size + 2 * MARGIN + text)

    def sizeHint(self, option: QStyleOptionViewItem, index: AnyIndex) -> QSize:
        return self.cell_size(option.fontMetrics)

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: AnyIndex) -> None:
        rect: QRect = option.rect
        palette: QPalette = option.palette
        state: QStyle.StateFlag = option.state
        selected = bool(state & QStyle.StateFlag.State_Selected)
        painter.save()
        try:
            painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
            painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, True)
            self._paint_background(painter, rect, palette, selected, state)
            picture = QRect(rect.x() + MARGIN, rect.y() + MARGIN, self._icon_size, self._icon_size)
            pixmap = index.data(Qt.ItemDataRole.DecorationRole)
            if isinstance(pixmap, QPixmap) and not pixmap.isNull():
                _draw_fitted(painter, pixmap, picture)
            else:
                failed = bool(index.data(ResultRole.THUMB_FAILED))
                self._paint_placeholder(painter, picture, palette, failed)
            tags = index.data(ResultRole.TAGS)
            if self.show_tags and tags:
                self._paint_tags(painter, picture, tuple(str(t) for t in tags))
            score = index.data(ResultRole.SCORE)
            if self.show_score and isinstance(score, float):
                self._paint_score(painter, picture, palette, score)
            if self.show_name:
                text_rect = QRect(
                    rect.x() + MARGIN,
                    picture.bottom() + MARGIN // 2,
                    rect.width() - 2 * MARGIN,
                    option.fontMetrics.height() + MARGIN // 2,
                )
                name = str(index.data(Qt.ItemDataRole.DisplayRole) or "")
                role = QPalette.ColorRole.HighlightedText if selected else QPalette.ColorRole.Text
                painter.setPen(palette.color(role))
                elided = option.fontMetrics.elidedText(
                    name, Qt.TextElideMode.ElideMiddle, text_rect.width()
                )
                painter.drawText(text_rect, Qt.AlignmentFlag.AlignCenter, elided)
        finally:
            painter.restore()

    def _paint_background(
        self,
        painter: QPainter,
        rect: QRect,
        palette: QPalette,
        selected: bool,
        state: QStyle.StateFlag,
    ) -> None:
        cell = QRectF(rect).adjusted(1.5, 1.5, -1.5, -1.5)
        if selected:
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(palette.color(QPalette.ColorRole.Highlight))
            painter.drawRoundedRect(cell, 6, 6)
        elif state & QStyle.StateFlag.State_MouseOver:
            painter.setPen(Qt.PenStyle.NoPen)
            hover = QColor(palette.color(QPalette.ColorRole.Highlight))
            hover.setAlpha(50)
            painter.setBrush(hover)
            painter.drawRoundedRect(cell, 6, 6)
        if state & QStyle.StateFlag.State_HasFocus:
            pen = QPen(palette.color(QPalette.ColorRole.Highlight).darker(130))
            pen.setWidthF(1.5)
            painter.setPen(pen)
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawRoundedRect(cell, 6, 6)

    def _paint_placeholder(
        self, painter: QPainter, picture: QRect, palette: QPalette, failed: bool
    ) -> None:
        shade = QColor(palette.color(QPalette.ColorRole.Mid))
        shade.setAlpha(60 if not failed else 110)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(shade)
        inner = QRectF(picture).adjusted(8, 8, -8, -8)
        painter.drawRoundedRect(inner, 4, 4)
        if failed:  # a crossed box: this file cannot be shown
            pen = QPen(palette.color(QPalette.ColorRole.Mid))
            pen.setWidthF(2.0)
            painter.setPen(pen)
            middle = inner.center()
            d = min(inner.width(), inner.height()) / 6
            painter.drawLine(middle + QPointF(-d, -d), middle + QPointF(d, d))
            painter.drawLine(middle + QPointF(-d, d), middle + QPointF(d, -d))

    def _badge_metrics(self, painter: QPainter) -> QFontMetrics:
        font = painter.font()
        if self._metrics is None or self._metrics[0] != font:
            self._metrics = (font, QFontMetrics(font))
        return self._metrics[1]

    def _paint_score(
        self, painter: QPainter, picture: QRect, palette: QPalette, score: float
    ) -> None:
        text = f"{score:.3f}"
        metrics = self._badge_metrics(painter)
        width = metrics.horizontalAdvance(text) + 8
        height = metrics.height() + 2
        badge = QRectF(picture.right() - width - 2, picture.bottom() - height - 2, width, height)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QColor(0, 0, 0, 150))
        painter.drawRoundedRect(badge, 4, 4)
        painter.setPen(QColor(255, 255, 255))
        painter.drawText(badge, Qt.AlignmentFlag.AlignCenter, text)

    def _chip_metrics(self, painter: QPainter) -> tuple[QFont, QFontMetrics]:
        base = painter.font()
        if self._chip_font is None or self._chip_font[0] != base:
            small = QFont(base)
            if base.pointSizeF() > 0:
                small.setPointSizeF(max(6.0, base.pointSizeF() * 0.85))
            else:
                small.setPixelSize(max(8, round(base.pixelSize() * 0.85)))
            self._chip_font = (base, small, QFontMetrics(small))
        return self._chip_font[1], self._chip_font[2]

    def _paint_tags(self, painter: QPainter, picture: QRect, tags: tuple[str, ...]) -> None:
        font, metrics = self._chip_metrics(painter)
        chips = tag_chips(tags, QRectF(picture).adjusted(3, 3, -3, -3), metrics)
        if not chips:
            return
        painter.save()
        painter.setFont(font)
        for rect, text in chips:
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(QColor(20, 60, 120, 190))
            painter.drawRoundedRect(rect, 4, 4)
            painter.setPen(QColor(255, 255, 255))
            painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, text)
        painter.restore()


def tag_chips(
    tags: tuple[str, ...], area: QRectF, metrics: QFontMetrics, max_chips: int = MAX_CHIPS
) -> list[tuple[QRectF, str]]:
    """Where the chips of ``tags`` go: one row from the top left of ``area``, each label elided
    to fit, at most ``max_chips``, then a "+N" chip for the rest when there is room."""
    height = metrics.height() + 2
    pad = 8
    chips: list[tuple[QRectF, str]] = []
    x, right = area.left(), area.right()
    cap = max(CHIP_MIN_WIDTH, area.width() / 2)  # a long label leaves room for others
    shown = tags[:max_chips]
    hidden = len(tags) - len(shown)
    for i, label in enumerate(shown):
        rest = len(tags) - i - 1  # a "+N" chip may have to follow this one
        reserve = metrics.horizontalAdvance(f"+{rest}") + pad + CHIP_GAP if rest else 0
        room = min(right - x - reserve, cap)
        if room < CHIP_MIN_WIDTH:
            hidden = len(tags) - i  # no room for this one: count it in the "+N" chip
            break
        text = metrics.elidedText(label, Qt.TextElideMode.ElideRight, int(room - pad))
        width = min(room, metrics.horizontalAdvance(text) + pad)
        chips.append((QRectF(x, area.top(), width, height), text))
        x += width + CHIP_GAP
    if hidden:
        more = f"+{hidden}"
        width = metrics.horizontalAdvance(more) + pad
        if x + width <= right:
            chips.append((QRectF(x, area.top(), width, height), more))
    return chips


def _draw_fitted(painter: QPainter, pixmap: QPixmap, box: QRect) -> None:
    """Draw ``pixmap`` centred in ``box``, scaled to fit with its aspect kept."""
    ratio = pixmap.devicePixelRatio() or 1.0
    width, height = pixmap.width() / ratio, pixmap.height() / ratio
    if width <= 0 or height <= 0:
        return
    scale = min(box.width() / width, box.height() / height)
    w, h = width * scale, height * scale
    target = QRectF(box.x() + (box.width() - w) / 2, box.y() + (box.height() - h) / 2, w, h)
    painter.drawPixmap(target, pixmap, QRectF(pixmap.rect()))
