"""A clearly visible focus ring: a 2 px highlight-coloured frame around the focused control.

Qt's Fusion style marks a focused button by a faint outline that is easy to miss. A
:class:`FocusRing` is a transparent overlay on one window that draws a frame around whichever
button, field, box or tab bar of that window has the keyboard focus, once the focus moved by
keyboard (Tab, a shortcut), as native toolkits do; mouse clicks do not light it up. It takes no
mouse events and changes no widget's style.
"""

from __future__ import annotations

import shiboken6
from PySide6.QtCore import QEvent, QObject, QRect, QRectF, Qt
from PySide6.QtGui import QPainter, QPaintEvent, QPalette, QPen
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractSlider,
    QAbstractSpinBox,
    QApplication,
    QComboBox,
    QLineEdit,
    QTabBar,
    QWidget,
)

RING_WIDTH = 2.0
RING_GAP = 1  # between the control and the ring
RINGED = (QAbstractButton, QLineEdit, QComboBox, QAbstractSpinBox, QAbstractSlider, QTabBar)


class FocusRing(QWidget):
    """Draws the focus ring for the controls of ``window`` (a top-level widget)."""

    def __init__(self, window: QWidget) -> None:
        super().__init__(window)
        self.setObjectName("focus-ring")
        self.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents, True)
        self.setAttribute(Qt.WidgetAttribute.WA_NoSystemBackground, True)
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self._target: QWidget | None = None
        window.installEventFilter(self)
        self.setGeometry(window.rect())
        app = QApplication.instance()
        if isinstance(app, QApplication):
            app.focusChanged.connect(self._on_focus_changed)
        self.hide()

    def target(self) -> QWidget | None:
        """The control the ring is drawn around now (None: no ring)."""
        return self._target if self._target is not None and self.isVisible() else None

    def _on_focus_changed(self, _old: QWidget | None, new: QWidget | None) -> None:
        if not shiboken6.isValid(self):
            return
        window = self.parentWidget()
        if window is None:
            return
        show = (
            new is not None
            and isinstance(new, RINGED)
            and new.window() is window
            and window.testAttribute(Qt.WidgetAttribute.WA_KeyboardFocusChange)
        )
        if self._target is not None and shiboken6.isValid(self._target):
            self._target.removeEventFilter(self)
        self._target = new if show else None
        if self._target is None:
            self.hide()
            return
        self._target.installEventFilter(self)  # follow it when it moves or hides
        self._place()

    def _place(self) -> None:
        target = self._target
        window = self.parentWidget()
        if target is None or window is None or not shiboken6.isValid(target):
            self.hide()
            return
        if not target.isVisible():
            self.hide()
            return
        self.setGeometry(window.rect())
        self.raise_()
        self.show()
        self.update()

    def ring_rect(self) -> QRect:
        """Where the ring is drawn, in the window's coordinates."""
        target = self._target
        window = self.parentWidget()
        if target is None or window is None or not shiboken6.isValid(target):
            return QRect()
        top_left = target.mapTo(window, target.rect().topLeft())
        box = QRect(top_left, target.size())
        margin = RING_GAP + int(RING_WIDTH)
        return box.adjusted(-margin, -margin, margin, margin)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        kind = event.type()
        window = self.parentWidget()
        if window is not None and watched is window and kind == QEvent.Type.Resize:
            self.setGeometry(window.rect())
        elif watched is self._target and kind in (
            QEvent.Type.Move, QEvent.Type.Resize, QEvent.Type.Show, QEvent.Type.Hide
        ):
            self._place()
        return False

    def paintEvent(self, event: QPaintEvent) -> None:
        box = self.ring_rect()
        if box.isNull():
            return
        painter = QPainter(self)
        try:
            painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
            pen = QPen(self.palette().color(QPalette.ColorGroup.Active,
                                            QPalette.ColorRole.Highlight))
            pen.setWidthF(RING_WIDTH)
            painter.setPen(pen)
            painter.setBrush(Qt.BrushStyle.NoBrush)
            half = RING_WIDTH / 2
            painter.drawRoundedRect(QRectF(box).adjusted(half, half, -half, -half), 4, 4)
        finally:
            painter.end()
