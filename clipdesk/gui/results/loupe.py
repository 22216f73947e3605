"""The loupe's photo canvas: a picture fitted to the window, zoomed, and panned by dragging.

The canvas paints one picture at a scale (logical pixels per picture pixel; 1.0 is "100 %"),
centred on a point of the picture that dragging moves. It is given the best pixmap there is (a
thumbnail, then a screen-sized decode, then the full-resolution picture when zoomed in) and
always lays the picture out at its full, natural size, so a sharper pixmap arriving changes no
geometry. Only the visible part of the pixmap is drawn: panning a 50-megapixel photo stays cheap.

It asks for the full-resolution picture (``fullResolutionWanted``) when the zoom needs more pixels
than the pixmap it has; the dialog decodes it off the GUI thread. Marks (the boxes of words read
in the photo) are drawn over the picture, following zoom and pan.
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import QPointF, QRectF, QSize, QSizeF, Qt, Signal
from PySide6.QtGui import (
    QColor,
    QMouseEvent,
    QPainter,
    QPaintEvent,
    QPalette,
    QPen,
    QPixmap,
    QPolygonF,
    QResizeEvent,
    QWheelEvent,
)
from PySide6.QtWidgets import QSizePolicy, QWidget

ZOOM_STEP = 1.25  # one key press or wheel notch
MAX_SCALE = 8.0  # 800 %
MIN_SCALE = 0.02


class PhotoCanvas(QWidget):
    """Shows one picture fitted, or zoomed and panned. ``scale()``: logical px per picture px."""

    zoomChanged = Signal()  # the scale or the fit mode changed
    doubleClicked = Signal()
    fullResolutionWanted = Signal()  # the zoom needs more pixels than the pixmap has

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setMinimumSize(QSize(240, 180))
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setAutoFillBackground(True)
        self._pixmap = QPixmap()
        self._full = False  # the pixmap has the picture's full resolution
        self._natural = QSize()  # the picture's full size in pixels
        self._fit = True
        self._scale = 1.0
        self._centre = QPointF()  # the picture point shown at the canvas centre
        self._drag_from: QPointF | None = None
        self._message = ""
        self._asked_full = False
        self._marks: tuple[tuple[float, ...], ...] = ()

    # -- content ---------------------------------------------------------------------------------

    def pixmap(self) -> QPixmap:
        """The pixmap shown now (null while there is none)."""
        return self._pixmap

    def natural_size(self) -> QSize:
        return QSize(self._natural)

    def has_full_resolution(self) -> bool:
        return self._full

    def clear(self, message: str = "") -> None:
        """Show nothing but ``message`` (a new photo is on its way); back to "fit"."""
        self._pixmap = QPixmap()
        self._full = False
        self._natural = QSize()
        self._asked_full = False
        self._message = message
        self._fit = True
        self._apply_fit()
        self._refresh()

    def set_marks(self, boxes: Sequence[Sequence[float]]) -> None:
        """Boxes to draw over the picture, each four corners (x0, y0, ... x3, y3) as fractions
        of its width and height; empty: none."""
        self._marks = tuple(tuple(float(v) for v in box) for box in boxes if len(box) == 8)
        self._refresh()

    def marks(self) -> tuple[tuple[float, ...], ...]:
        return self._marks

    def set_message(self, message: str) -> None:
        """Text shown while there is no pixmap (loading, or the picture cannot be shown)."""
        self._message = message
        self._refresh()

    def set_pixmap(self, pixmap: QPixmap, natural: QSize | None = None, *, full: bool = False
                   ) -> None:
        """Show ``pixmap``, a picture whose full size is ``natural`` (default: the pixmap's).

        A pixmap no sharper than the one shown (a late thumbnail) is ignored; the zoom and
        position stay as they are."""
        if pixmap.isNull():
            return
        if pixmap.devicePixelRatio() != 1.0:  # drawn by its pixels; a copy, not the cached one
            pixmap = QPixmap(pixmap)
            pixmap.setDevicePixelRatio(1.0)
        if self._full and not full:
            return
        if not self._pixmap.isNull() and not full and pixmap.width() < self._pixmap.width():
            return
        if natural is not None and natural.isValid() and not natural.isEmpty():
            if self._natural.isValid() and natural != self._natural and not self._fit:
                # the true size differs from what was assumed: keep the same part in view
                factor = natural.width() / max(1, self._natural.width())
                self._centre *= factor
                self._scale /= factor
            self._natural = QSize(natural)
        elif not self._natural.isValid() or self._natural.isEmpty():
            self._natural = pixmap.size()
        self._pixmap = pixmap
        self._full = full
        self._message = ""
        if self._fit:
            self._apply_fit()
        else:
            self._clamp()
        self._refresh()

    # -- zoom ------------------------------------------------------------------------------------

    def scale(self) -> float:
        return self._scale

    def is_fit(self) -> bool:
        return self._fit

    def fit_scale(self) -> float:
        """The scale at which the whole picture fills the canvas (small photos are enlarged,
        as photo apps do; "100 %" shows their pixels)."""
        if not self._natural.isValid() or self._natural.isEmpty():
            return 1.0
        width, height = max(1, self.width()), max(1, self.height())
        return min(MAX_SCALE, width / self._natural.width(), height / self._natural.height())

    def fit(self) -> None:
        self._fit = True
        self._apply_fit()
        self._refresh()
        self.zoomChanged.emit()

    def set_scale(self, scale: float, anchor: QPointF | None = None) -> None:
        """Zoom to ``scale`` keeping the picture point under ``anchor`` (canvas coordinates;
        default: the centre) where it is."""
        lowest = min(MIN_SCALE, self.fit_scale())
        scale = max(lowest, min(MAX_SCALE, scale))
        centre = QPointF(self.width() / 2, self.height() / 2)
        at = anchor if anchor is not None else centre
        point = self._centre + (at - centre) / self._scale
        self._scale = scale
        self._fit = False
        self._centre = point - (at - centre) / scale
        self._clamp()
        self._refresh()
        self._want_full()
        self.zoomChanged.emit()

    def zoom_by(self, factor: float, anchor: QPointF | None = None) -> None:
        self.set_scale(self._scale * factor, anchor)

    def zoom_in(self) -> None:
        self.zoom_by(ZOOM_STEP)

    def zoom_out(self) -> None:
        self.zoom_by(1 / ZOOM_STEP)

    def actual_size(self) -> None:
        self.set_scale(1.0)

    def is_pannable(self) -> bool:
        """Whether the picture is larger than the canvas (dragging moves it)."""
        size = QSizeF(self._natural) * self._scale
        return size.width() > self.width() + 0.5 or size.height() > self.height() + 0.5

    def centre_point(self) -> QPointF:
        """The picture point at the canvas centre (picture pixels)."""
        return QPointF(self._centre)

    def pan_by(self, dx: float, dy: float) -> None:
        """Move the picture by (dx, dy) logical pixels, as a drag does."""
        self._centre -= QPointF(dx, dy) / self._scale
        self._clamp()
        self._refresh()

    def _apply_fit(self) -> None:
        self._scale = self.fit_scale()
        self._centre = QPointF(self._natural.width() / 2, self._natural.height() / 2)

    def _clamp(self) -> None:
        """Keep the picture covering the canvas where it is larger, centred where smaller."""
        half_w = self.width() / 2 / self._scale
        half_h = self.height() / 2 / self._scale
        nat_w, nat_h = self._natural.width(), self._natural.height()
        x, y = self._centre.x(), self._centre.y()
        x = nat_w / 2 if nat_w <= 2 * half_w else max(half_w, min(nat_w - half_w, x))
        y = nat_h / 2 if nat_h <= 2 * half_h else max(half_h, min(nat_h - half_h, y))
        self._centre = QPointF(x, y)

    def _want_full(self) -> None:
        if self._full or self._asked_full or self._pixmap.isNull() or not self._natural.isValid():
            return
        needed = self._scale * self.devicePixelRatioF() * self._natural.width()
        if needed > self._pixmap.width() * 1.05:
            self._asked_full = True
            self.fullResolutionWanted.emit()

    # -- painting --------------------------------------------------------------------------------

    def picture_rect(self) -> QRectF:
        """Where the whole picture lies, in canvas coordinates."""
        size = QSizeF(self._natural) * self._scale
        centre = QPointF(self.width() / 2, self.height() / 2)
        top_left = centre - self._centre * self._scale
        return QRectF(top_left, size)

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        try:
            if self._pixmap.isNull() or not self._natural.isValid():
                if self._message:
                    painter.setPen(self.palette().color(QPalette.ColorRole.PlaceholderText))
                    flags = int(Qt.AlignmentFlag.AlignCenter) | int(Qt.TextFlag.TextWordWrap)
                    painter.drawText(self.rect().adjusted(12, 12, -12, -12), flags, self._message)
                return
            target = self.picture_rect()
            visible = target.intersected(QRectF(self.rect()))
            if visible.isEmpty():
                return
            # the visible part only, mapped back into the pixmap's pixels
            px = self._pixmap.width() / self._natural.width()
            py = self._pixmap.height() / self._natural.height()
            source = QRectF(
                (visible.x() - target.x()) / self._scale * px,
                (visible.y() - target.y()) / self._scale * py,
                visible.width() / self._scale * px,
                visible.height() / self._scale * py,
            )
            # pixels blown up beyond 200 % stay crisp (a photo app's loupe); else smooth
            ratio = self._scale * self.devicePixelRatioF() / px
            painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, ratio < 2.0)
            painter.drawPixmap(visible, self._pixmap, source)
            self._paint_marks(painter, target)
        finally:
            painter.end()

    def _paint_marks(self, painter: QPainter, target: QRectF) -> None:
        if not self._marks:
            return
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        painter.setPen(QPen(QColor(255, 170, 0), 2.5))
        painter.setBrush(QColor(255, 170, 0, 45))
        for box in self._marks:
            painter.drawPolygon(QPolygonF([
                QPointF(target.x() + box[i] * target.width(),
                        target.y() + box[i + 1] * target.height()) for i in range(0, 8, 2)]))

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        if self._fit:
            self._apply_fit()
            self.zoomChanged.emit()
        else:
            self._clamp()

    # -- mouse -----------------------------------------------------------------------------------

    def wheelEvent(self, event: QWheelEvent) -> None:
        steps = event.angleDelta().y() / 120
        if not steps or self._pixmap.isNull():
            event.ignore()
            return
        self.zoom_by(ZOOM_STEP**steps, event.position())
        event.accept()

    def mousePressEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton and self.is_pannable():
            self._drag_from = event.position()
            self.setCursor(Qt.CursorShape.ClosedHandCursor)
            event.accept()
            return
        super().mousePressEvent(event)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        if self._drag_from is not None:
            delta = event.position() - self._drag_from
            self._drag_from = event.position()
            self.pan_by(delta.x(), delta.y())
            event.accept()
            return
        super().mouseMoveEvent(event)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        if self._drag_from is not None and event.button() == Qt.MouseButton.LeftButton:
            self._drag_from = None
            self._update_cursor()
            event.accept()
            return
        super().mouseReleaseEvent(event)

    def mouseDoubleClickEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton:
            self._drag_from = None
            self.doubleClicked.emit()
            event.accept()
            return
        super().mouseDoubleClickEvent(event)

    def _update_cursor(self) -> None:
        if self.is_pannable():
            self.setCursor(Qt.CursorShape.OpenHandCursor)
        else:
            self.unsetCursor()

    def _refresh(self) -> None:
        self._update_cursor()
        self.update()
