"""The tag filter above the results: the chosen tag and its count stay readable."""

from __future__ import annotations

from PySide6.QtWidgets import QComboBox, QHBoxLayout, QWidget
from pytestqt.qtbot import QtBot

from clipdesk.gui.panels.filters import FilterBar


def test_the_chosen_tag_is_never_cut_off(qtbot: QtBot) -> None:
    window = QWidget()
    qtbot.addWidget(window)
    bar = FilterBar(window)
    wide = QComboBox(window)  # a neighbour that wants a lot of room
    wide.addItem("x" * 120)
    layout = QHBoxLayout(window)
    layout.addWidget(wide)
    layout.addWidget(bar, 1)
    bar.set_labels({"红色": 47, "sunset beach": 12, "a" * 300: 3})
    bar.set_tag("红色")
    window.resize(700, 60)
    window.show()
    qtbot.waitExposed(window)
    combo = bar.tag_combo
    assert combo.currentText() == "红色 (47)"
    assert readable_width(combo) >= combo.fontMetrics().horizontalAdvance("红色 (47)") + 20
    # a very long label is elided in its middle, its count kept; its tooltip tells it whole
    long_row = combo.findData("a" * 300)
    assert combo.itemText(long_row).endswith("(3)") and "…" in combo.itemText(long_row)
    assert combo.itemData(long_row, 3) == "a" * 300  # Qt.ToolTipRole
    bar.set_tag("sunset beach")  # the least any layout gives it: the text and the arrow
    assert readable_width(combo) >= combo.fontMetrics().horizontalAdvance("sunset beach (12)") + 20
    assert combo.sizeHint().width() < 300  # not as wide as the longest label asks


def readable_width(combo: QComboBox) -> int:
    return max(combo.minimumWidth(), combo.minimumSizeHint().width())
