"""The layout the tagging and evaluation panels share: inputs | results, a job bar below."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFrame, QScrollArea, QSplitter, QVBoxLayout, QWidget


def inputs_and_results(
    panel: QWidget, inputs: QWidget, results: QWidget, footer: QWidget, *,
    sizes: tuple[int, int], results_stretch: int,
) -> QSplitter:
    """Lay ``panel`` out: ``inputs`` on the left (scrollable, which keeps the window's minimum
    size small), ``results`` on the right, ``footer`` (the job bar) underneath."""
    scroll = QScrollArea(panel)
    scroll.setWidget(inputs)
    scroll.setWidgetResizable(True)
    scroll.setFrameShape(QFrame.Shape.NoFrame)
    split = QSplitter(Qt.Orientation.Horizontal, panel)
    split.addWidget(scroll)
    split.addWidget(results)
    split.setStretchFactor(1, results_stretch)
    split.setSizes(list(sizes))
    layout = QVBoxLayout(panel)
    layout.addWidget(split, 1)
    layout.addWidget(footer)
    return split
