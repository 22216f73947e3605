"""The image→image tab of the evaluation panel: each class's images query the gallery, at the
threshold the per-class slider set for the chosen model, positives only and positives plus
negatives (:meth:`ClassEvaluation.image_to_image`).

Every query image is compared with every image (O(n²)), so the table follows the slider through
a short single-shot timer, and only while it is shown; a hidden, stale table is refilled when it
is shown again.
"""

from __future__ import annotations

from collections.abc import Mapping

from PySide6.QtCore import QCoreApplication, Qt, QTimer, Signal
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QVBoxLayout, QWidget

from clipdesk.core.evaluation import DEFAULT_THRESHOLD, ClassComparison, ClassEvaluation
from clipdesk.gui.panels.eval_views import Cell, fill_table, make_table

translate = QCoreApplication.translate
UPDATE_DELAY_MS = 150


class ImageToImageView(QWidget):
    """Per class precision/recall of image→image retrieval at the chosen model's threshold."""

    tableUpdated = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.result: ClassComparison | None = None
        self.thresholds: dict[str, float] = {}
        self._stale = False
        self.model_combo = QComboBox(self)
        self.model_combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.info_label = QLabel(self)
        self.info_label.setTextFormat(Qt.TextFormat.PlainText)
        self.info_label.setWordWrap(True)
        self.table = make_table(self)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(UPDATE_DELAY_MS)
        self._timer.timeout.connect(self._on_timer)

        top = QHBoxLayout()
        top.addWidget(QLabel(self.tr("Model:"), self))
        top.addWidget(self.model_combo)
        top.addWidget(self.info_label, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(top)
        layout.addWidget(self.table, 1)
        self.model_combo.currentIndexChanged.connect(lambda _i: self.update_table())

    def set_result(self, result: ClassComparison, thresholds: Mapping[str, float] | None = None,
                   names: Mapping[str, str] | None = None) -> None:
        self.result = result
        self.thresholds = result.thresholds_for(thresholds or DEFAULT_THRESHOLD)
        self.model_combo.blockSignals(True)
        self.model_combo.clear()
        for model_id in result.model_ids:
            self.model_combo.addItem((names or {}).get(model_id, model_id), model_id)
        self.model_combo.setCurrentIndex(0)
        self.model_combo.blockSignals(False)
        self.update_table()

    def set_thresholds(self, thresholds: Mapping[str, float]) -> None:
        """The models' thresholds moved (the slider): refill soon, if shown."""
        self.thresholds.update({m: float(t) for m, t in thresholds.items()})
        self._stale = True
        self._timer.start()

    def evaluation(self) -> ClassEvaluation | None:
        if self.result is None:
            return None
        model_id = self.model_combo.currentData()
        return next((e for e in self.result.evaluations if e.model_id == model_id), None)

    def threshold(self) -> float:
        evaluation = self.evaluation()
        if evaluation is None:
            return DEFAULT_THRESHOLD
        return self.thresholds.get(evaluation.model_id, DEFAULT_THRESHOLD)

    def update_table(self) -> None:
        """Refill the table now from the core's numbers."""
        self._timer.stop()
        self._stale = False
        evaluation = self.evaluation()
        if evaluation is None:
            return
        threshold = self.threshold()
        positives = evaluation.image_to_image(threshold)
        negatives = evaluation.image_to_image(threshold, with_negatives=True)
        rows: list[list[Cell]] = []
        for i, name in enumerate(evaluation.classes):
            rows.append([name, float(positives.precision[i]), float(positives.recall[i]),
                         float(negatives.precision[i]), float(negatives.recall[i])])
        macro_p, macro_n = positives.macro, negatives.macro
        rows.append([translate("EvaluationTables", "macro average"), macro_p.precision,
                     macro_p.recall, macro_n.precision, macro_n.recall])
        headers = [
            translate("EvaluationTables", "Class"),
            translate("EvaluationTables", "Precision"),
            translate("EvaluationTables", "Recall"),
            self.tr("Precision (with negatives)"),
            self.tr("Recall (with negatives)"),
        ]
        fill_table(self.table, headers, rows)
        text = self.tr("Each image of a class queries the other images; threshold %1.").replace(
            "%1", f"{threshold:.3f}")
        if not evaluation.negatives.any():
            text += " " + self.tr("This dataset has no negatives folder: both columns agree.")
        self.info_label.setText(text)
        self.tableUpdated.emit()

    def _on_timer(self) -> None:
        if self.isVisible():
            self.update_table()

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if self._stale:
            self.update_table()
