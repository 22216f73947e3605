"""QtCharts plots of the evaluation panel: one class's PR curve, and precision/recall/F1 against
the threshold with a marker at the current threshold.

The charts only draw arrays they are given (from :class:`~clipdesk.core.evaluation.PRCurve` and
``ClassEvaluation.sweep``); they compute nothing. Series are updated with ``replace`` (one
signal per series), so moving the threshold slider redraws only the marker.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from PySide6.QtCharts import QChart, QChartView, QLineSeries, QValueAxis
from PySide6.QtCore import QCoreApplication, QMargins, QPointF, Qt
from PySide6.QtGui import QPainter, QPen
from PySide6.QtWidgets import QWidget

translate = QCoreApplication.translate


def _points(xs: Sequence[float] | np.ndarray, ys: Sequence[float] | np.ndarray) -> list[QPointF]:
    return [QPointF(float(x), float(y)) for x, y in zip(xs, ys, strict=True)]


def _axis(title: str, lo: float, hi: float) -> QValueAxis:
    axis = QValueAxis()
    axis.setTitleText(title)
    axis.setRange(lo, hi)
    axis.setLabelFormat("%.2f")
    axis.setTickCount(6)
    return axis


def _chart(title: str) -> QChart:
    chart = QChart()
    chart.setTitle(title)
    chart.setMargins(QMargins(4, 4, 4, 4))
    chart.legend().setAlignment(Qt.AlignmentFlag.AlignBottom)
    return chart


def _view(chart: QChart, parent: QWidget | None) -> QChartView:
    view = QChartView(chart, parent)
    view.setRenderHint(QPainter.RenderHint.Antialiasing)
    view.setMinimumSize(200, 160)
    return view


class PRChart:
    """Precision against recall for one class, with the point at the current threshold."""

    def __init__(self, parent: QWidget | None = None) -> None:
        self.chart = _chart(translate("EvaluationCharts", "Precision-recall curve"))
        self.curve = QLineSeries()
        self.curve.setName(translate("EvaluationCharts", "precision at recall"))
        self.marker = QLineSeries()
        self.marker.setName(translate("EvaluationCharts", "at the threshold"))
        self.marker.setPointsVisible(True)
        pen = QPen(Qt.GlobalColor.red)
        pen.setWidth(2)
        self.marker.setPen(pen)
        self.x_axis = _axis(translate("EvaluationCharts", "Recall"), 0.0, 1.0)
        self.y_axis = _axis(translate("EvaluationCharts", "Precision"), 0.0, 1.05)
        self.chart.addAxis(self.x_axis, Qt.AlignmentFlag.AlignBottom)
        self.chart.addAxis(self.y_axis, Qt.AlignmentFlag.AlignLeft)
        for series in (self.curve, self.marker):
            self.chart.addSeries(series)
            series.attachAxis(self.x_axis)
            series.attachAxis(self.y_axis)
        self.view = _view(self.chart, parent)

    def set_curve(self, recall: np.ndarray, precision: np.ndarray, title: str = "") -> None:
        self.curve.replace(_points(recall, precision))
        self.chart.setTitle(translate("EvaluationCharts", "Precision-recall curve: %1").replace(
            "%1", title) if title else translate("EvaluationCharts", "Precision-recall curve"))

    def set_marker(self, recall: float, precision: float) -> None:
        self.marker.replace([QPointF(recall, precision)])

    def clear(self) -> None:
        self.curve.clear()
        self.marker.clear()


class ThresholdChart:
    """Precision, recall and F1 of one class against the threshold, with a vertical marker."""

    def __init__(self, parent: QWidget | None = None) -> None:
        self.chart = _chart(translate("EvaluationCharts", "Precision and recall by threshold"))
        self.precision = QLineSeries()
        self.precision.setName(translate("EvaluationCharts", "precision"))
        self.recall = QLineSeries()
        self.recall.setName(translate("EvaluationCharts", "recall"))
        self.f1 = QLineSeries()
        self.f1.setName(translate("EvaluationCharts", "F1"))
        self.marker = QLineSeries()
        self.marker.setName(translate("EvaluationCharts", "threshold"))
        pen = QPen(Qt.GlobalColor.gray)
        pen.setStyle(Qt.PenStyle.DashLine)
        self.marker.setPen(pen)
        self.x_axis = _axis(translate("EvaluationCharts", "Threshold (cosine)"), 0.0, 1.0)
        self.y_axis = _axis(translate("EvaluationCharts", "Value"), 0.0, 1.05)
        self.chart.addAxis(self.x_axis, Qt.AlignmentFlag.AlignBottom)
        self.chart.addAxis(self.y_axis, Qt.AlignmentFlag.AlignLeft)
        for series in self.series():
            self.chart.addSeries(series)
            series.attachAxis(self.x_axis)
            series.attachAxis(self.y_axis)
        self.view = _view(self.chart, parent)
        self._range = (0.0, 1.0)  # of the plotted thresholds

    def series(self) -> tuple[QLineSeries, ...]:
        return (self.precision, self.recall, self.f1, self.marker)

    def set_sweep(self, thresholds: np.ndarray, precision: np.ndarray, recall: np.ndarray,
                  f1: np.ndarray, title: str = "") -> None:
        if len(thresholds):
            lo, hi = float(thresholds[0]), float(thresholds[-1])
            if hi <= lo:
                hi = lo + 0.01
            self._range = (lo, hi)
            self.x_axis.setRange(lo, hi)
        self.precision.replace(_points(thresholds, precision))
        self.recall.replace(_points(thresholds, recall))
        self.f1.replace(_points(thresholds, f1))
        self.chart.setTitle(translate(
            "EvaluationCharts", "Precision and recall by threshold: %1").replace("%1", title)
            if title else translate("EvaluationCharts", "Precision and recall by threshold"))

    def set_marker(self, threshold: float) -> None:
        """Mark ``threshold``; the axis widens to show it when it lies beyond every score."""
        lo, hi = self._range
        pad = 0.02 * (hi - lo)
        self.x_axis.setRange(min(lo, threshold - pad), max(hi, threshold + pad))
        self.marker.replace([QPointF(threshold, 0.0), QPointF(threshold, 1.0)])

    def clear(self) -> None:
        for series in self.series():
            series.clear()
