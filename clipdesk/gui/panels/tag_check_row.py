"""The tagging panel's "keep only tags a VLM confirms" row.

With the box ticked, "Check" lets the chosen vision-language model look at every photo the rule
would tag and answer whether it shows the label; the rejected tags leave the preview (the counts
show it) and are not saved. A rule changed afterwards asks for the check again (answers are
kept, so that is quick for the pairs already seen).
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QCheckBox, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from clipdesk.gui.context import AppContext
from clipdesk.gui.panels.check_bar import VlmPicker


class TagCheckRow(QWidget):
    """The choice (on/off, which VLM), the Check button and what the check found."""

    checkRequested = Signal()
    toggled = Signal(bool)

    def __init__(self, context: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.enabled_box = QCheckBox(self.tr("Keep only tags a VLM confirms"), self)
        self.enabled_box.setToolTip(self.tr(
            "A vision-language model looks at each photo a label would tag and answers whether "
            "it shows the label; the tags it rejects are not saved."))
        self.picker = VlmPicker(context, self)
        self.check_button = QPushButton(self.tr("Check"), self)
        self.status = QLabel(self)
        self.status.setTextFormat(Qt.TextFormat.PlainText)
        self.status.setWordWrap(True)
        row = QHBoxLayout()
        row.addWidget(self.picker, 1)
        row.addWidget(self.check_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.enabled_box)
        layout.addLayout(row)
        layout.addWidget(self.status)
        self.enabled_box.toggled.connect(self._on_toggled)
        self.check_button.clicked.connect(self.checkRequested)
        self._on_toggled(False)

    def is_on(self) -> bool:
        return self.enabled_box.isChecked() and self.picker.spec() is not None

    def set_status(self, text: str) -> None:
        self.status.setText(text)

    def _on_toggled(self, on: bool) -> None:
        self.picker.setEnabled(on)
        self.check_button.setEnabled(on)
        if not on:
            self.status.setText("")
        self.toggled.emit(on)
