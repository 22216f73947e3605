"""The result views of the evaluation panel, all drawn from a kept result (no re-encoding).

* :class:`ClassResultsView`: text→image per class at a threshold (slider), macro/micro rows,
  the suggested best-F1 threshold, a PR curve and a precision/recall-vs-threshold plot of the
  selected class; the threshold is kept per model, "union" and "rrf" use the models' own.
* :class:`ZeroShotView`: argmax classification accuracy, per class numbers, confusion matrix
  (cells shaded by their share of the true class, light to dark, with a readable text colour).

Every number cell has a tooltip with its row, column and value. A suggested threshold that
:func:`~clipdesk.core.evaluation.suggest_threshold` refuses is not offered: the view says why
and disables "Use as default search threshold".
* :func:`fill_comparison` / :func:`fill_captions`: the model comparison tables.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from PySide6.QtCore import QCoreApplication, Qt, Signal
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDoubleSpinBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QSlider,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from clipdesk.core.evaluation import (
    DEFAULT_THRESHOLD,
    PRF,
    REFUSED_LANGUAGE,
    REFUSED_NEGATIVE,
    REFUSED_NO_HITS,
    CaptionComparison,
    ClassComparison,
    ClassEvaluation,
    Suggestion,
    suggestions,
)
from clipdesk.gui.language_warning import language_name
from clipdesk.gui.panels.charts import PRChart, ThresholdChart

translate = QCoreApplication.translate
SLIDER_SCALE = 1000  # the slider moves in thousandths of cosine similarity
TH_MIN, TH_MAX = -0.2, 1.0
SWEEP_STEPS = 101
Cell = str | float | int | None
# the confusion matrix's shades: a share of 0 is LIGHT, a share of 1 is DARK (a blue ramp)
LIGHT, DARK = (247, 251, 255), (8, 48, 107)


def cell_text(value: Cell) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.3f}"
    return str(value)


def fill_table(table: QTableWidget, headers: Sequence[str], rows: Sequence[Sequence[Cell]],
               vertical: Sequence[str] | None = None) -> None:
    """Replace ``table``'s content; numbers are shown with 3 decimals and kept raw under
    ``Qt.UserRole``."""
    table.clear()
    table.setColumnCount(len(headers))
    table.setRowCount(len(rows))
    table.setHorizontalHeaderLabels(list(headers))
    if vertical is not None:
        table.setVerticalHeaderLabels(list(vertical))
        table.verticalHeader().show()
    for r, row in enumerate(rows):
        row_name = vertical[r] if vertical is not None and r < len(vertical) else (
            str(row[0]) if row and isinstance(row[0], str) else "")
        for c, value in enumerate(row):
            item = QTableWidgetItem(cell_text(value))
            item.setData(Qt.ItemDataRole.UserRole, value)
            if not isinstance(value, str):
                item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                if value is not None and c < len(headers):
                    full = f"{value:.4f}" if isinstance(value, float) else str(value)
                    item.setToolTip(" · ".join(x for x in (row_name, f"{headers[c]}: {full}")
                                               if x))
            elif c == 0:
                item.setToolTip(value)
            table.setItem(r, c, item)
    table.resizeColumnsToContents()


def shade(share: float) -> tuple[QColor, QColor]:
    """``(background, text)`` of a cell holding ``share`` (0 to 1): light to dark, with black
    or white text, whichever reads better on it."""
    t = min(1.0, max(0.0, float(share)))
    rgb = [round(a + (b - a) * t) for a, b in zip(LIGHT, DARK, strict=True)]
    luminance = (0.2126 * rgb[0] + 0.7152 * rgb[1] + 0.0722 * rgb[2]) / 255
    text = QColor(Qt.GlobalColor.black) if luminance > 0.5 else QColor(Qt.GlobalColor.white)
    return QColor(*rgb), text


def fill_confusion(table: QTableWidget, labels: Sequence[str], confusion: np.ndarray) -> None:
    """The confusion matrix (rows: true label, columns: predicted), each cell shaded by its
    share of the row (of the images of that true label), with a tooltip in words."""
    counts = np.asarray(confusion, dtype=np.int64)
    fill_table(table, list(labels), [[int(v) for v in row] for row in counts],
               vertical=list(labels))
    totals = counts.sum(axis=1)
    for r, truth in enumerate(labels):
        for c, predicted in enumerate(labels):
            item = table.item(r, c)
            if item is None:
                continue
            share = counts[r, c] / totals[r] if totals[r] else 0.0
            background, text = shade(share)
            item.setBackground(QBrush(background))
            item.setForeground(QBrush(text))
            item.setTextAlignment(Qt.AlignmentFlag.AlignCenter)
            item.setToolTip(translate(
                "EvaluationTables", "True: %1 · predicted: %2 · %3 images (%4 % of %1)").replace(
                "%1", truth).replace("%2", predicted).replace("%3", str(int(counts[r, c])))
                .replace("%4", f"{100 * share:.1f}"))


def make_table(parent: QWidget) -> QTableWidget:
    table = QTableWidget(parent)
    table.verticalHeader().setDefaultSectionSize(table.fontMetrics().height() + 8)
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
    table.verticalHeader().hide()
    return table


def table_values(table: QTableWidget) -> list[list[Any]]:
    """The raw values of every cell (for tests and scripts)."""
    return [[_value(table.item(r, c)) for c in range(table.columnCount())]
            for r in range(table.rowCount())]


def _value(item: QTableWidgetItem | None) -> Any:
    return item.data(Qt.ItemDataRole.UserRole) if item is not None else None


def prf_table_rows(prf: PRF, extra: Sequence[Sequence[Cell]] | None = None
                   ) -> list[list[Cell]]:
    """Rows ``class, precision, recall, F1, support, TP, FP, FN, *extra`` plus macro/micro."""
    rows: list[list[Cell]] = []
    for i, name in enumerate(prf.labels):
        r = prf.row(i)
        rows.append([name, r["precision"], r["recall"], r["f1"], r["support"], r["tp"], r["fp"],
                     r["fn"], *(extra[i] if extra is not None else ())])
    width = len(rows[0]) if rows else 8
    for name, avg in ((translate("EvaluationTables", "macro average"), prf.macro),
                      (translate("EvaluationTables", "micro average"), prf.micro)):
        total: list[Cell] = [name, avg.precision, avg.recall, avg.f1, int(prf.support.sum())]
        rows.append(total + [None] * (width - 5))
    return rows


def refusal_text(suggestion: Suggestion, name: str) -> str:
    """Why ``suggestion`` is not offered, in one sentence of the UI's language ("" when it
    is)."""
    th = f"{suggestion.threshold:.3f}"
    if suggestion.refused == REFUSED_LANGUAGE:
        return translate("EvaluationTables",
                         "No threshold is suggested: %1 does not read %2, so its scores for "
                         "these class names mean little.").replace("%1", name).replace(
            "%2", language_name(suggestion.language))
    if suggestion.refused == REFUSED_NO_HITS:
        return translate("EvaluationTables",
                         "No threshold is suggested: at its best (%1) not one picture is found "
                         "in its own class, so the number means nothing.").replace("%1", th)
    if suggestion.refused == REFUSED_NEGATIVE:
        return translate("EvaluationTables",
                         "No threshold is suggested: the best one, %1, is below zero, where "
                         "nearly every picture matches; this model does not tell these classes "
                         "apart.").replace("%1", th)
    return ""


def prf_headers() -> list[str]:
    return [translate("EvaluationTables", "Class"), translate("EvaluationTables", "Precision"),
            translate("EvaluationTables", "Recall"), translate("EvaluationTables", "F1"),
            translate("EvaluationTables", "Support"), translate("EvaluationTables", "TP"),
            translate("EvaluationTables", "FP"), translate("EvaluationTables", "FN")]


class ClassResultsView(QWidget):
    """Per-class text→image numbers at a threshold, with the charts of one class."""

    thresholdChanged = Signal(float)
    defaultThresholdRequested = Signal(float)
    tableUpdated = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.result: ClassComparison | None = None
        self.thresholds: dict[str, float] = {}
        self.suggestions: dict[str, Suggestion] = {}
        self.names: dict[str, str] = {}
        self.chart_class = 0
        self._sweeps: dict[str, tuple[np.ndarray, ...]] = {}
        self.row_combo = QComboBox(self)
        self.row_combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.slider = QSlider(Qt.Orientation.Horizontal, self)
        self.slider.setRange(round(TH_MIN * SLIDER_SCALE), round(TH_MAX * SLIDER_SCALE))
        self.spin = QDoubleSpinBox(self)
        self.spin.setRange(TH_MIN, TH_MAX)
        self.spin.setDecimals(3)
        self.spin.setSingleStep(0.005)
        self.suggested_label = QLabel(self)
        self.suggested_label.setTextFormat(Qt.TextFormat.PlainText)
        self.suggested_label.setWordWrap(True)
        self.use_suggested_button = QPushButton(self.tr("Use suggestion"), self)
        self.default_button = QPushButton(self.tr("Use as default search threshold"), self)
        self.table = make_table(self)
        self.pr_chart = PRChart(self)
        self.th_chart = ThresholdChart(self)

        top = QHBoxLayout()
        top.addWidget(QLabel(self.tr("Rows of:"), self))
        top.addWidget(self.row_combo)
        top.addSpacing(12)
        top.addWidget(QLabel(self.tr("Threshold:"), self))
        top.addWidget(self.slider, 1)
        top.addWidget(self.spin)
        suggestion = QHBoxLayout()
        suggestion.addWidget(self.suggested_label, 1)
        suggestion.addWidget(self.use_suggested_button)
        suggestion.addWidget(self.default_button)
        charts = QSplitter(Qt.Orientation.Horizontal, self)
        charts.setChildrenCollapsible(False)
        charts.addWidget(self.pr_chart.view)
        charts.addWidget(self.th_chart.view)
        self.table.setMinimumHeight(self.table.verticalHeader().defaultSectionSize() * 3)
        # the charts take what the table leaves: at least their readable minimum, and the
        # larger share of a tall window
        self.splitter = split = QSplitter(Qt.Orientation.Vertical, self)
        split.setChildrenCollapsible(False)
        split.addWidget(self.table)
        split.addWidget(charts)
        split.setStretchFactor(0, 2)
        split.setStretchFactor(1, 3)
        split.setSizes([200, 300])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(top)
        layout.addLayout(suggestion)
        layout.addWidget(split, 1)

        self.row_combo.currentIndexChanged.connect(self._on_row_changed)
        self.slider.valueChanged.connect(lambda v: self.set_threshold(v / SLIDER_SCALE))
        self.spin.valueChanged.connect(self.set_threshold)
        self.table.cellClicked.connect(lambda row, _col: self.show_class(row))
        self.use_suggested_button.clicked.connect(self._use_suggestion)
        self.default_button.clicked.connect(self._request_default)

    # -- content -------------------------------------------------------------------------------

    def set_result(self, result: ClassComparison, thresholds: Mapping[str, float] | None = None,
                   names: Mapping[str, str] | None = None,
                   not_read: Mapping[str, str] | None = None) -> None:
        """Show ``result``; ``not_read`` (model id -> language) names the models that do not
        read the class names: their suggested threshold is not offered."""
        self.result = result
        self.suggestions = suggestions(result, not_read)
        self.names = dict(names or {})
        self._sweeps.clear()
        self.thresholds = result.thresholds_for(thresholds or DEFAULT_THRESHOLD)
        self.chart_class = 0
        self.row_combo.blockSignals(True)
        self.row_combo.clear()
        for model_id in result.model_ids:
            self.row_combo.addItem((names or {}).get(model_id, model_id), model_id)
        if len(result.model_ids) > 1:
            self.row_combo.addItem(self.tr("union (a hit for any model)"), "union")
            self.row_combo.addItem(self.tr("rank fusion (rrf)"), "rrf")
        self.row_combo.setCurrentIndex(0)
        self.row_combo.blockSignals(False)
        self._on_row_changed()

    def row_name(self) -> str:
        return str(self.row_combo.currentData() or "")

    def evaluation(self) -> ClassEvaluation | None:
        """The selected model's evaluation (None for "union" and "rrf")."""
        if self.result is None:
            return None
        return next((e for e in self.result.evaluations if e.model_id == self.row_name()), None)

    def threshold(self) -> float:
        evaluation = self.evaluation()
        if evaluation is not None:
            return self.thresholds[evaluation.model_id]
        return float(np.mean(list(self.thresholds.values()))) if self.thresholds else 0.0

    def set_threshold(self, value: float) -> None:
        """The threshold of the selected model (of every model for "union"/"rrf")."""
        value = round(float(value), 3)
        evaluation = self.evaluation()
        for model_id in self.thresholds:
            if evaluation is None or model_id == evaluation.model_id:
                self.thresholds[model_id] = value
        self._sync_controls(value)
        self.update_table()
        self.thresholdChanged.emit(value)

    def _sync_controls(self, value: float) -> None:
        for widget in (self.slider, self.spin):
            widget.blockSignals(True)
        self.slider.setValue(round(value * SLIDER_SCALE))
        self.spin.setValue(value)
        for widget in (self.slider, self.spin):
            widget.blockSignals(False)

    def _on_row_changed(self) -> None:
        if self.result is None:
            return
        self._sync_controls(self.threshold())
        evaluation = self.evaluation()
        suggestion = self.suggestion()
        offered = suggestion is not None and suggestion.offered
        self.use_suggested_button.setEnabled(offered)
        self.default_button.setEnabled(offered)
        if suggestion is not None and offered:
            self.suggested_label.setText(self.tr(
                "Suggested threshold (best macro F1): %1").replace(
                "%1", f"{suggestion.threshold:.3f}"))
        elif suggestion is not None and evaluation is not None:
            self.suggested_label.setText(refusal_text(
                suggestion, self.names.get(evaluation.model_id, evaluation.model_id)))
        else:
            self.suggested_label.setText(self.tr(
                "Union and rank fusion use each model's own threshold."))
        self.update_table()

    def suggestion(self) -> Suggestion | None:
        """The selected model's suggested threshold (None for "union" and "rrf")."""
        evaluation = self.evaluation()
        return self.suggestions.get(evaluation.model_id) if evaluation is not None else None

    def current_prf(self) -> PRF | None:
        """The numbers the table shows now."""
        if self.result is None:
            return None
        evaluation = self.evaluation()
        if evaluation is not None:
            return evaluation.text_to_image(self.thresholds[evaluation.model_id])
        row = next(r for r in self.result.table(self.thresholds) if r.name == self.row_name())
        return row.prf

    def update_table(self) -> None:
        prf = self.current_prf()
        if prf is None or self.result is None:
            return
        evaluation = self.evaluation()
        extra: list[list[Cell]] | None = None
        headers = prf_headers()
        if evaluation is not None:
            best = evaluation.best_thresholds()
            extra = [[curve.average_precision, best[i][0], best[i][1]]
                     for i, curve in enumerate(evaluation.curves)]
            headers += [self.tr("AP"), self.tr("Best-F1 threshold"), self.tr("Best F1")]
        fill_table(self.table, headers, prf_table_rows(prf, extra))
        self.show_class(self.chart_class)
        self.tableUpdated.emit()

    # -- charts --------------------------------------------------------------------------------

    def show_class(self, index: int) -> None:
        """Plot class ``index`` of the selected model (rows past the classes are ignored)."""
        if self.result is None or not 0 <= index < len(self.result.classes):
            return
        self.chart_class = index
        evaluation = self.evaluation()
        if evaluation is None:
            self.pr_chart.clear()
            self.th_chart.clear()
            return
        name = self.result.classes[index]
        curve = evaluation.curves[index]
        self.pr_chart.set_curve(curve.recall, curve.precision, name)
        grid, precision, recall, f1 = self._sweep(evaluation)
        self.th_chart.set_sweep(grid, precision[:, index], recall[:, index], f1[:, index], name,
                                probability=evaluation.scale.is_probability)
        th = self.thresholds[evaluation.model_id]
        prf = evaluation.text_to_image(th)
        self.pr_chart.set_marker(float(prf.recall[index]), float(prf.precision[index]))
        self.th_chart.set_marker(th)

    def _sweep(self, evaluation: ClassEvaluation) -> tuple[np.ndarray, ...]:
        found = self._sweeps.get(evaluation.model_id)
        if found is None:
            grid = evaluation.threshold_grid(SWEEP_STEPS)
            found = (grid, *evaluation.sweep(grid))
            self._sweeps[evaluation.model_id] = found
        return found

    def _use_suggestion(self) -> None:
        suggestion = self.suggestion()
        if suggestion is not None and suggestion.offered:
            self.set_threshold(suggestion.threshold)

    def _request_default(self) -> None:
        suggestion = self.suggestion()
        if suggestion is not None and suggestion.offered:
            self.defaultThresholdRequested.emit(round(suggestion.threshold, 3))


class ZeroShotView(QWidget):
    """Argmax over the labels: accuracy, per class precision/recall, confusion matrix."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model_combo = QComboBox(self)
        self.model_combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.accuracy_label = QLabel(self)
        self.accuracy_label.setTextFormat(Qt.TextFormat.PlainText)
        self.table = make_table(self)
        self.confusion = make_table(self)
        self.confusion.setToolTip(self.tr("Rows: true label; columns: predicted label"))
        self.result: ClassComparison | None = None
        top = QHBoxLayout()
        top.addWidget(QLabel(self.tr("Model:"), self))
        top.addWidget(self.model_combo)
        top.addWidget(self.accuracy_label, 1)
        split = QSplitter(Qt.Orientation.Vertical, self)
        split.addWidget(self.table)
        box = QWidget(self)
        box_layout = QVBoxLayout(box)
        box_layout.setContentsMargins(0, 0, 0, 0)
        box_layout.addWidget(QLabel(self.tr("Confusion matrix (rows: true, columns: predicted)"),
                                    box))
        box_layout.addWidget(self.confusion, 1)
        split.addWidget(box)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(top)
        layout.addWidget(split, 1)
        self.model_combo.currentIndexChanged.connect(self.update_view)

    def set_result(self, result: ClassComparison, names: Mapping[str, str] | None = None) -> None:
        self.result = result
        self.model_combo.blockSignals(True)
        self.model_combo.clear()
        for model_id in result.model_ids:
            self.model_combo.addItem((names or {}).get(model_id, model_id), model_id)
        self.model_combo.blockSignals(False)
        self.update_view()

    def update_view(self) -> None:
        if self.result is None or not self.result.evaluations:
            return
        index = max(0, self.model_combo.currentIndex())
        report = self.result.evaluations[index].classification
        text = self.tr("Accuracy: %1 % of %2 images").replace(
            "%1", f"{100 * report.accuracy:.1f}").replace("%2", str(len(report.truth)))
        if report.excluded:
            text += " · " + self.tr("%1 with several labels left out").replace(
                "%1", str(report.excluded))
        self.accuracy_label.setText(text)
        fill_table(self.table, prf_headers(), prf_table_rows(report.per_class))
        fill_confusion(self.confusion, list(report.labels), report.confusion)


def fill_comparison(table: QTableWidget, result: ClassComparison,
                    thresholds: Mapping[str, float], names: Mapping[str, str]) -> None:
    """One row per model, plus union and rank fusion: macro and micro numbers, mAP."""
    headers = [
        translate("EvaluationTables", "Model"),
        translate("EvaluationTables", "Threshold"),
        translate("EvaluationTables", "Macro precision"),
        translate("EvaluationTables", "Macro recall"),
        translate("EvaluationTables", "Macro F1"),
        translate("EvaluationTables", "Micro precision"),
        translate("EvaluationTables", "Micro recall"),
        translate("EvaluationTables", "Micro F1"),
        translate("EvaluationTables", "mAP"),
    ]
    rows: list[list[Cell]] = []
    for row in result.table(thresholds):
        macro, micro = row.prf.macro, row.prf.micro
        ap = float(row.average_precision.mean()) if row.average_precision is not None else None
        rows.append([names.get(row.name, row.name), row.threshold, macro.precision, macro.recall,
                     macro.f1, micro.precision, micro.recall, micro.f1, ap])
    fill_table(table, headers, rows)


def fill_captions(table: QTableWidget, result: CaptionComparison, names: Mapping[str, str]
                  ) -> None:
    """Caption retrieval: Recall@1/5/10, MRR and nDCG@10 both ways, one row per model."""
    headers = [translate("EvaluationTables", "Model")]
    ways = (translate("EvaluationTables", "text→image"),
            translate("EvaluationTables", "image→text"))
    for way in ways:
        headers += [f"{way} R@1", f"{way} R@5", f"{way} R@10", f"{way} MRR", f"{way} nDCG@10"]
    headers.append(translate("EvaluationTables", "Queries"))
    rows: list[list[Cell]] = []
    for name, t2i, i2t in result.table():
        row: list[Cell] = [names.get(name, name)]
        for scores in (t2i, i2t):
            row += [scores.recall_at[1], scores.recall_at[5], scores.recall_at[10], scores.mrr,
                    scores.ndcg_at_10]
        row.append(t2i.queries)
        rows.append(row)
    fill_table(table, headers, rows)
