"""Paints one result: thumbnail (or a placeholder), tag chips, score badge, stack badge, file name
(and, on demand, its folder), selection and the focus frame of the current item.

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

from clipdesk.core.rerank.recheck import CONFIRMED
from clipdesk.gui.results.model import ResultRole

AnyIndex = QModelIndex | QPersistentModelIndex

DEFAULT_ICON_SIZE = 160
MARGIN = 6
STACK_OFFSET = 4  # how far the "card behind" of a closed stack shows
FOCUS_WIDTH = 2.0  # the frame of the current item while the grid has the keyboard focus
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
        show_folder: bool = False,
    ) -> None:
        super().__init__(parent)
        self._icon_size = icon_size
        self.show_score = show_score
        self.show_name = show_name
        self.show_tags = show_tags
        self._show_folder = show_folder
        self._metrics: tuple[QFont, QFontMetrics] | None = None
        self._chip_font: tuple[QFont, QFont, QFontMetrics] | None = None

    @property
    def icon_size(self) -> int:
        return self._icon_size

    def set_icon_size(self, size: int) -> None:
        self._icon_size = max(32, int(size))
        self.sizeHintChanged.emit(QModelIndex())

    @property
    def show_folder(self) -> bool:
        """Whether each item shows its folder (elided in the middle) under its name."""
        return self._show_folder

    def set_show_folder(self, on: bool) -> None:
        self._show_folder = bool(on)
        self.sizeHintChanged.emit(QModelIndex())

    def _text_lines(self) -> int:
        return int(self.show_name) + int(self._show_folder)

    def cell_size(self, metrics: QFontMetrics) -> QSize:
        lines = self._text_lines()
        text = lines * metrics.height() + MARGIN if lines else 0
        return QSize(self._icon_size + 2 * MARGIN, self._icon_size + 2 * MARGIN + text)

    def picture_rect(self, cell: QRect) -> QRect:
        return QRect(cell.x() + MARGIN, cell.y() + MARGIN, self._icon_size, self._icon_size)

    def stack_badge_rect(self, cell: QRect, size: int, metrics: QFontMetrics) -> QRectF:
        """Where the "×N" badge of a stack of ``size`` photos is drawn in the item at ``cell``
        (the view's font metrics); the view opens and closes stacks on a click there."""
        text = stack_badge_text(size)
        picture = self.picture_rect(cell)
        width = metrics.horizontalAdvance(text) + 10
        height = metrics.height() + 2
        return QRectF(picture.right() - width - 2, picture.top() + 3, width, height)

    def sizeHint(self, option: QStyleOptionViewItem, index: AnyIndex) -> QSize:
        return self.cell_size(option.fontMetrics)

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: AnyIndex) -> None:
        rect: QRect = option.rect
        palette: QPalette = option.palette
        state: QStyle.StateFlag = option.state
        selected = bool(state & QStyle.StateFlag.State_Selected)
        size = index.data(ResultRole.STACK_SIZE)
        stack = size if isinstance(size, int) else 1
        opened = bool(index.data(ResultRole.STACK_OPEN))
        inside = index.data(ResultRole.STACK_HEAD) is not None
        painter.save()
        try:
            painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
            painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, True)
            self._paint_background(painter, rect, palette, selected, state, opened or inside)
            picture = self.picture_rect(rect)
            pixmap = index.data(Qt.ItemDataRole.DecorationRole)
            if isinstance(pixmap, QPixmap) and not pixmap.isNull():
                target = _fitted(pixmap, picture)
                if stack > 1 and not opened:
                    _paint_card_behind(painter, target, palette)
                painter.drawPixmap(target, pixmap, QRectF(pixmap.rect()))
            else:
                failed = bool(index.data(ResultRole.THUMB_FAILED))
                self._paint_placeholder(painter, picture, palette, failed)
            tags = index.data(ResultRole.TAGS)
            if self.show_tags and tags:
                reserve = 0.0  # the stack badge keeps its corner
                if stack > 1:
                    badge = self.stack_badge_rect(rect, stack, self._badge_metrics(painter))
                    reserve = badge.width() + 4
                self._paint_tags(painter, picture, tuple(str(t) for t in tags), reserve)
            score = index.data(ResultRole.SCORE)
            if self.show_score and isinstance(score, float):
                self._paint_score(painter, picture, palette, score)
            answer = index.data(ResultRole.CHECK)
            if isinstance(answer, float):
                self._paint_check(painter, picture, answer)
            words = index.data(ResultRole.WORDS)
            if words:
                self._paint_words(painter, picture, str(words[0].text),
                                  above_check=isinstance(answer, float))
            if stack > 1:
                self._paint_stack_badge(painter, rect, palette, stack, opened)
            self._paint_texts(painter, option, index, picture, selected)
        finally:
            painter.restore()

    def _paint_texts(
        self,
        painter: QPainter,
        option: QStyleOptionViewItem,
        index: AnyIndex,
        picture: QRect,
        selected: bool,
    ) -> None:
        rect: QRect = option.rect
        palette: QPalette = option.palette
        metrics: QFontMetrics = option.fontMetrics
        line = metrics.height()
        top = picture.bottom() + MARGIN // 2
        width = rect.width() - 2 * MARGIN
        role = QPalette.ColorRole.HighlightedText if selected else QPalette.ColorRole.Text
        if self.show_name:
            text_rect = QRect(rect.x() + MARGIN, top, width, line + MARGIN // 2)
            name = str(index.data(Qt.ItemDataRole.DisplayRole) or "")
            painter.setPen(palette.color(role))
            elided = metrics.elidedText(name, Qt.TextElideMode.ElideMiddle, text_rect.width())
            painter.drawText(text_rect, Qt.AlignmentFlag.AlignCenter, elided)
            top += line
        if self._show_folder:
            folder_rect = QRect(rect.x() + MARGIN, top, width, line + MARGIN // 2)
            folder = str(index.data(ResultRole.FOLDER) or "")
            colour = QColor(palette.color(role))
            if not selected:
                colour = palette.color(QPalette.ColorRole.PlaceholderText)
            painter.setPen(colour)
            elided = metrics.elidedText(folder, Qt.TextElideMode.ElideMiddle, width)
            painter.drawText(folder_rect, Qt.AlignmentFlag.AlignCenter, elided)

    def _paint_background(
        self,
        painter: QPainter,
        rect: QRect,
        palette: QPalette,
        selected: bool,
        state: QStyle.StateFlag,
        in_open_stack: bool = False,
    ) -> None:
        cell = QRectF(rect).adjusted(1.5, 1.5, -1.5, -1.5)
        if in_open_stack and not selected:  # the photos of an open stack share a tint
            tint = QColor(palette.color(QPalette.ColorRole.Highlight))
            tint.setAlpha(28)
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(tint)
            painter.drawRoundedRect(cell, 6, 6)
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
        if state & QStyle.StateFlag.State_HasFocus:  # the current item, the grid has focus
            frame = QRectF(rect).adjusted(1, 1, -1, -1)  # 2 px inside the cell
            pen = QPen(palette.color(QPalette.ColorRole.Highlight))
            pen.setWidthF(FOCUS_WIDTH)
            painter.setPen(pen)
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawRoundedRect(frame, 6, 6)
            if selected:  # on a highlighted cell: an inner line that contrasts with it
                inner = QPen(palette.color(QPalette.ColorRole.HighlightedText))
                inner.setWidthF(1.0)
                painter.setPen(inner)
                painter.drawRoundedRect(frame.adjusted(2, 2, -2, -2), 5, 5)

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

    def _paint_check(self, painter: QPainter, picture: QRect, answer: float) -> None:
        """A VLM's verdict at the picture's bottom left: ✓ (green) or ✗ (red) and p(yes)."""
        confirmed = answer >= CONFIRMED
        text = f"{'✓' if confirmed else '✗'} {answer:.2f}"
        metrics = self._badge_metrics(painter)
        width = metrics.horizontalAdvance(text) + 8
        height = metrics.height() + 2
        badge = QRectF(picture.left() + 2, picture.bottom() - height - 2, width, height)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QColor(30, 130, 60, 210) if confirmed else QColor(170, 40, 40, 210))
        painter.drawRoundedRect(badge, 4, 4)
        painter.setPen(QColor(255, 255, 255))
        painter.drawText(badge, Qt.AlignmentFlag.AlignCenter, text)

    def _paint_words(self, painter: QPainter, picture: QRect, line: str, *,
                     above_check: bool = False) -> None:
        """The words were read in this photo: the line that holds them on an amber badge at
        the picture's bottom left (above a VLM's verdict when there is one), leaving the
        score's corner free."""
        metrics = self._badge_metrics(painter)
        room = max(picture.width() * 0.62, 24.0)
        text = metrics.elidedText(f"T  {line}", Qt.TextElideMode.ElideRight, int(room) - 8)
        width = metrics.horizontalAdvance(text) + 8
        height = metrics.height() + 2
        bottom = picture.bottom() - 2 - (height + 2 if above_check else 0)
        badge = QRectF(picture.left() + 2, bottom - height, width, height)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QColor(200, 130, 0, 225))
        painter.drawRoundedRect(badge, 4, 4)
        painter.setPen(QColor(255, 255, 255))
        painter.drawText(badge, Qt.AlignmentFlag.AlignCenter, text)

    def _paint_stack_badge(
        self, painter: QPainter, cell: QRect, palette: QPalette, size: int, opened: bool
    ) -> None:
        metrics = self._badge_metrics(painter)
        badge = self.stack_badge_rect(cell, size, metrics)
        if opened:  # an open stack's badge closes it: shown "pressed", in the highlight colour
            painter.setPen(QPen(palette.color(QPalette.ColorRole.HighlightedText), 1.0))
            painter.setBrush(palette.color(QPalette.ColorRole.Highlight))
        else:
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(QColor(0, 0, 0, 170))
        painter.drawRoundedRect(badge, badge.height() / 2, badge.height() / 2)
        painter.setPen(
            palette.color(QPalette.ColorRole.HighlightedText) if opened else QColor(255, 255, 255)
        )
        painter.drawText(badge, Qt.AlignmentFlag.AlignCenter, stack_badge_text(size))

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

    def _paint_tags(
        self, painter: QPainter, picture: QRect, tags: tuple[str, ...], reserve: float = 0.0
    ) -> None:
        font, metrics = self._chip_metrics(painter)
        chips = tag_chips(tags, QRectF(picture).adjusted(3, 3, -3 - reserve, -3), metrics)
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


def stack_badge_text(size: int) -> str:
    """The badge of a stack of ``size`` photos: "×3"."""
    return f"\u00d7{size}"


def _fitted(pixmap: QPixmap, box: QRect) -> QRectF:
    """Where ``pixmap`` goes: centred in ``box``, scaled to fit with its aspect kept (thumbnails
    are made at one size and drawn at whatever size the grid shows)."""
    ratio = pixmap.devicePixelRatio() or 1.0
    width, height = pixmap.width() / ratio, pixmap.height() / ratio
    if width <= 0 or height <= 0:
        return QRectF()
    scale = min(box.width() / width, box.height() / height)
    w, h = width * scale, height * scale
    return QRectF(box.x() + (box.width() - w) / 2, box.y() + (box.height() - h) / 2, w, h)


def _paint_card_behind(painter: QPainter, picture: QRectF, palette: QPalette) -> None:
    """A second picture peeking out behind the first: "there are more like this"."""
    card = picture.translated(STACK_OFFSET, -STACK_OFFSET)
    fill = QColor(palette.color(QPalette.ColorRole.Mid))
    fill.setAlpha(150)
    painter.setPen(QPen(palette.color(QPalette.ColorRole.Base), 1.0))
    painter.setBrush(fill)
    painter.drawRect(card)
