"""QtCharts plots of the evaluation panel: one class's PR curve, and precision/recall/F1 against
the threshold with a marker at the current threshold.

The charts only draw arrays they are given (from :class:`~clipdesk.core.evaluation.PRCurve` and
``ClassEvaluation.sweep``); they compute nothing. Series are updated with ``replace`` (one
signal per series), so moving the threshold slider redraws only the marker.

They stay readable in a small window: few ticks with short labels, a small legend font, a
minimum size below which Qt would elide every label; hovering a curve shows the values of its
nearest point in a tooltip (:attr:`PRChart.last_tooltip`).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from PySide6.QtCharts import QChart, QChartView, QLineSeries, QValueAxis
from PySide6.QtCore import QCoreApplication, QMargins, QPointF, Qt
from PySide6.QtGui import QCursor, QFont, QPainter, QPen
from PySide6.QtWidgets import QSizePolicy, QToolTip, QWidget

translate = QCoreApplication.translate
MIN_CHART_WIDTH, MIN_CHART_HEIGHT = 200, 220  # below this QtCharts elides the tick labels


def _points(xs: Sequence[float] | np.ndarray, ys: Sequence[float] | np.ndarray) -> list[QPointF]:
    return [QPointF(float(x), float(y)) for x, y in zip(xs, ys, strict=True)]


def _small_font(points: float = -1.0) -> QFont:
    font = QFont()
    size = font.pointSizeF()
    if size > 0:
        font.setPointSizeF(max(6.0, size + points))
    return font


def _axis(title: str, lo: float, hi: float, label_format: str = "%.1f") -> QValueAxis:
    axis = QValueAxis()
    axis.setTitleText(title)
    axis.setTitleFont(_small_font())
    axis.setLabelsFont(_small_font())
    axis.setRange(lo, hi)
    axis.setLabelFormat(label_format)
    # ticks at 0, 0.2, … 1.0 exactly: the range runs a little past 1 so that a line at 1.0
    # stays visible, and evenly spread ticks would sit at 0.21, 0.42, … labelled 0.2, 0.4, …
    axis.setTickType(QValueAxis.TickType.TicksDynamic)
    axis.setTickAnchor(0.0)
    axis.setTickInterval(0.2)
    return axis


def _chart(title: str) -> QChart:
    chart = QChart()
    chart.setTitle(title)
    font = _small_font(0)
    font.setBold(True)
    chart.setTitleFont(font)
    chart.setMargins(QMargins(2, 2, 2, 2))
    chart.legend().setAlignment(Qt.AlignmentFlag.AlignBottom)
    chart.legend().setFont(_small_font())
    return chart


def _view(chart: QChart, parent: QWidget | None) -> QChartView:
    view = QChartView(chart, parent)
    view.setRenderHint(QPainter.RenderHint.Antialiasing)
    view.setMinimumSize(MIN_CHART_WIDTH, MIN_CHART_HEIGHT)
    view.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
    return view


def nice_step(span: float, ticks: int = 5) -> float:
    """A round tick interval (1, 2, 2.5 or 5 times a power of ten) giving about ``ticks``
    intervals over ``span``."""
    import math

    if span <= 0:
        return 0.1
    raw = span / ticks
    power = 10.0 ** math.floor(math.log10(raw))
    return next((m * power for m in (1.0, 2.0, 2.5, 5.0) if m * power >= raw), 10.0 * power)


def _round_ticks(axis: QValueAxis, lo: float, hi: float) -> None:
    """Ticks at round numbers (anchored at 0) over ``lo``..``hi``."""
    axis.setRange(lo, hi)
    axis.setTickType(QValueAxis.TickType.TicksDynamic)
    axis.setTickAnchor(0.0)
    axis.setTickInterval(nice_step(hi - lo))


def nearest(series: QLineSeries, x: float) -> QPointF | None:
    """The point of ``series`` whose x is closest to ``x`` (None when it has none)."""
    points = series.points()
    if not points:
        return None
    return min(points, key=lambda p: abs(p.x() - x))


def _show_tooltip(view: QChartView, text: str) -> None:
    if text and view.isVisible():
        QToolTip.showText(QCursor.pos(), text, view)
    else:
        QToolTip.hideText()


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
        self.last_tooltip = ""
        self.curve.hovered.connect(self.hover)
        self.marker.hovered.connect(self.hover)

    def hover(self, point: QPointF, state: bool) -> None:
        """The mouse is over the curve at ``point`` (in values): show the nearest point's
        recall and precision."""
        found = nearest(self.curve, point.x()) if state else None
        self.last_tooltip = translate(
            "EvaluationCharts", "Recall %1 · precision %2").replace(
            "%1", f"{found.x():.3f}").replace("%2", f"{found.y():.3f}") if found else ""
        _show_tooltip(self.view, self.last_tooltip)

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
        self.x_axis = _axis(translate("EvaluationCharts", "Threshold (cosine)"), 0.0, 1.0,
                            "%.2f")
        self.x_axis.setTickCount(5)
        self.y_axis = _axis(translate("EvaluationCharts", "Value"), 0.0, 1.05)
        self.chart.addAxis(self.x_axis, Qt.AlignmentFlag.AlignBottom)
        self.chart.addAxis(self.y_axis, Qt.AlignmentFlag.AlignLeft)
        for series in self.series():
            self.chart.addSeries(series)
            series.attachAxis(self.x_axis)
            series.attachAxis(self.y_axis)
        self.view = _view(self.chart, parent)
        self._range = (0.0, 1.0)  # of the plotted thresholds
        self.last_tooltip = ""
        for series in (self.precision, self.recall, self.f1):
            series.hovered.connect(self.hover)

    def hover(self, point: QPointF, state: bool) -> None:
        """The mouse is over a curve at ``point``: precision, recall and F1 at the nearest
        plotted threshold."""
        text = ""
        found = [nearest(s, point.x()) for s in (self.precision, self.recall, self.f1)]
        if state and all(p is not None for p in found):
            p, r, f = (q.y() for q in found if q is not None)
            x = found[0].x() if found[0] is not None else point.x()
            text = translate("EvaluationCharts",
                             "Threshold %1: precision %2 · recall %3 · F1 %4").replace(
                "%1", f"{x:.3f}").replace("%2", f"{p:.3f}").replace("%3", f"{r:.3f}").replace(
                "%4", f"{f:.3f}")
        self.last_tooltip = text
        _show_tooltip(self.view, text)

    def series(self) -> tuple[QLineSeries, ...]:
        return (self.precision, self.recall, self.f1, self.marker)

    def set_sweep(self, thresholds: np.ndarray, precision: np.ndarray, recall: np.ndarray,
                  f1: np.ndarray, title: str = "", *, probability: bool = False) -> None:
        """The curves over ``thresholds``: cosines, or the model's own probability (SigLIP)."""
        self.x_axis.setTitleText(
            translate("EvaluationCharts", "Threshold (probability)") if probability
            else translate("EvaluationCharts", "Threshold (cosine)"))
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
        _round_ticks(self.x_axis, min(lo, threshold - pad), max(hi, threshold + pad))
        self.marker.replace([QPointF(threshold, 0.0), QPointF(threshold, 1.0)])

    def clear(self) -> None:
        for series in self.series():
            series.clear()
