"""Evaluation charts: axes that read right."""

from __future__ import annotations

from PySide6.QtCharts import QValueAxis
from pytestqt.qtbot import QtBot

from clipdesk.gui.panels.charts import PRChart


def test_probability_axes_tick_at_exactly_0_0_2_to_1(qtbot: QtBot) -> None:
    """The precision axis runs to 1.05 so that a line at 1.0 stays visible; its ticks are
    still 0, 0.2, … 1.0 (evenly spread ticks sat at 0.21, 0.42, … and 1.05 read as 1.1)."""
    chart = PRChart()
    for axis in (chart.x_axis, chart.y_axis):
        assert axis.tickType() == QValueAxis.TickType.TicksDynamic
        assert axis.tickAnchor() == 0.0 and axis.tickInterval() == 0.2
        assert axis.labelFormat() == "%.1f"
    assert (chart.y_axis.min(), chart.y_axis.max()) == (0.0, 1.05)
