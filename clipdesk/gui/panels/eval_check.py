"""The evaluation's "Checked by a VLM" tab: the seed study's table.

A vision-language model looks at every hit of every model at its threshold; the table shows, per
class, precision, recall and F1 for CLIP alone and for CLIP + the check, for each model and for
their union, side by side, and the cost (photos checked, seconds). The check runs as a
cancellable job; on a CPU the button says how long it will take first.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from clipdesk.core.evaluation.results import UNION
from clipdesk.core.jobs import CancelToken, ProgressCallback
from clipdesk.core.types import Progress, Stage
from clipdesk.gui.indexing import progress_text
from clipdesk.gui.panels.check_bar import VlmPicker, cpu_seconds
from clipdesk.gui.panels.eval_views import Cell, fill_table, make_table
from clipdesk.gui.workers import JobWorker, start_job, stop_job

if TYPE_CHECKING:
    from clipdesk.core.evaluation import ClassComparison
    from clipdesk.core.evaluation.checked import CheckedComparison
    from clipdesk.gui.context import AppContext


class CheckedView(QWidget):
    """Check an evaluation's hits with a VLM and compare before and after."""

    checkFinished = Signal(object)  # CheckedComparison

    def __init__(self, context: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.context = context
        self.picker = VlmPicker(context, self)
        self.check_button = QPushButton(self.tr("Check the hits"), self)
        self.check_button.setToolTip(self.tr(
            "The model looks at every photo each model finds at its threshold and answers "
            "whether it shows the class; its answers are kept, so a second check is free."))
        self.cancel_button = QPushButton(self.tr("Cancel"), self)
        self.cancel_button.hide()
        self.status = QLabel(self)
        self.status.setTextFormat(Qt.TextFormat.PlainText)
        self.status.setWordWrap(True)
        self.summary_table = make_table(self)
        self.class_table = make_table(self)
        row = QHBoxLayout()
        row.addWidget(QLabel(self.tr("Check with"), self))
        row.addWidget(self.picker, 1)
        row.addWidget(self.check_button)
        row.addWidget(self.cancel_button)
        layout = QVBoxLayout(self)
        layout.addLayout(row)
        layout.addWidget(self.status)
        layout.addWidget(self.summary_table)
        layout.addWidget(self.class_table, 1)
        self.result: ClassComparison | None = None
        self.thresholds: dict[str, float] = {}
        self.names: dict[str, str] = {}
        self.checked: CheckedComparison | None = None
        self._job: JobWorker[Any] | None = None
        self.check_button.clicked.connect(self.start)
        self.cancel_button.clicked.connect(self.cancel)
        self._sync()

    def set_result(self, result: ClassComparison | None, thresholds: Mapping[str, float],
                   names: Mapping[str, str]) -> None:
        """A new evaluation (or new thresholds): the earlier check no longer applies."""
        self.result, self.thresholds, self.names = result, dict(thresholds), dict(names)
        self.checked = None
        self.summary_table.clear()
        self.summary_table.setRowCount(0)
        self.class_table.clear()
        self.class_table.setRowCount(0)
        if result is not None:
            hits = sum(int((e.scores >= self.thresholds.get(e.model_id, 0.25)).sum())
                       for e in result.evaluations)
            self.status.setText(self._estimate(hits))
        self._sync()

    def _estimate(self, pairs: int) -> str:
        from clipdesk.gui.indexing import format_duration

        spec = self.picker.spec()
        seconds = None if spec is None else cpu_seconds(self.context, spec, pairs)
        if seconds is None:
            return ""
        return self.tr("Up to %1 photo-class pairs to check; no GPU: about %2 the first "
                       "time.").replace("%1", str(pairs)).replace("%2", format_duration(seconds))

    def start(self) -> None:
        spec, result = self.picker.spec(), self.result
        if spec is None or result is None or self._job is not None:
            return
        engine, thresholds = self.context.engine, dict(self.thresholds)

        def job(token: CancelToken, progress: ProgressCallback) -> CheckedComparison:
            return engine.check_evaluation(result, thresholds, spec, download=True,
                                           token=token, progress=progress)

        worker: JobWorker[Any] = JobWorker(job, name="evaluation check", min_interval=0.25,
                                           parent=self)
        worker.progress.connect(self._on_progress)
        worker.finished.connect(self._on_finished)
        worker.failed.connect(self.status.setText)
        worker.cancelled.connect(lambda: self.status.setText(self.tr("Check cancelled.")))
        worker.done.connect(self._on_done)
        self._job = worker
        self.status.setText(self.tr("Loading the model…"))
        self._sync()
        start_job(worker)

    def cancel(self) -> None:
        if self._job is not None:
            self._job.cancel()

    def shutdown(self) -> None:
        stop_job(self._job)

    def _on_progress(self, p: object) -> None:
        if isinstance(p, Progress) and p.stage is Stage.CHECKING:
            self.status.setText(self.tr("Checking %1 of %2 photo-class pairs…").replace(
                "%1", str(p.done)).replace("%2", str(p.total)))
        elif isinstance(p, Progress) and p.stage is Stage.DOWNLOADING and p.total:
            self.status.setText(progress_text(p))

    def _on_done(self) -> None:
        self._job = None
        self._sync()

    def _on_finished(self, checked: object) -> None:
        self.show_checked(checked)  # type: ignore[arg-type]
        self.checkFinished.emit(checked)

    def show_checked(self, checked: CheckedComparison) -> None:
        self.checked = checked
        self.status.setText(self.tr(
            "%1 looked at %2 photo-class pairs (%3 more from earlier answers) in %4 s. A hit "
            "stays when it answers yes (p ≥ 0.5).").replace("%1", self._name(checked.checker))
            .replace("%2", str(checked.asked)).replace("%3", str(checked.cached))
            .replace("%4", f"{checked.seconds:.1f}"))
        before, after = self.tr("CLIP"), self.tr("checked")
        headers = [self.tr("Model")] + [f"{m} ({w})" for w in (before, after)
                                        for m in ("P", "R", "F1")]
        rows: list[list[Cell]] = []
        for row in checked.rows:
            b, a = row.before.macro, row.after.macro
            rows.append([self._name(row.name), b.precision, b.recall, b.f1, a.precision,
                         a.recall, a.f1])
        fill_table(self.summary_table, headers, rows)
        _fit_height(self.summary_table)
        classes = checked.rows[0].before.labels
        headers = [self.tr("Class")]
        for row in checked.rows:
            name = self._name(row.name)
            headers += [f"{name} F1", f"{name} F1 ({after})"]
        per_class: list[list[Cell]] = []
        for c, cls in enumerate(classes):
            line: list[Cell] = [cls]
            for row in checked.rows:
                line += [float(row.before.f1[c]), float(row.after.f1[c])]
            per_class.append(line)
        fill_table(self.class_table, headers, per_class)

    def _name(self, model_id: str) -> str:
        if model_id == UNION:
            return self.tr("union")
        if model_id in self.names:
            return self.names[model_id]
        spec = model_id.removeprefix("vlm:")
        return Path(spec).name if Path(spec).is_absolute() else spec  # a folder: its name

    def _sync(self) -> None:
        busy = self._job is not None
        self.check_button.setEnabled(not busy and self.result is not None)
        self.cancel_button.setVisible(busy)
        self.picker.setEnabled(not busy)


def _fit_height(table: Any) -> None:
    """As tall as its rows (a few: a model or two and the union), no taller."""
    height = table.horizontalHeader().height() + 2 * table.frameWidth()
    height += sum(table.rowHeight(r) for r in range(table.rowCount()))
    table.setFixedHeight(height + 2)


def fill_described(table: Any, plain: ClassComparison, described: ClassComparison,
                   thresholds: Mapping[str, float], names: Mapping[str, str]) -> None:
    """Templates only against templates with descriptions: per model and class, AP and F1 at
    the threshold; a first row per model with the zero-shot accuracy."""
    from PySide6.QtCore import QCoreApplication

    from clipdesk.core.evaluation.described import compare_descriptions

    translate = QCoreApplication.translate
    headers = [translate("EvaluationTables", "Model"), translate("EvaluationTables", "Class"),
               translate("EvaluationTables", "AP, templates"),
               translate("EvaluationTables", "AP, with descriptions"),
               translate("EvaluationTables", "F1, templates"),
               translate("EvaluationTables", "F1, with descriptions")]
    rows: list[list[Cell]] = []
    for model, block in compare_descriptions(plain, described, thresholds).items():
        name = names.get(model, model)
        acc = block["accuracy"]
        rows.append([name, translate("EvaluationTables", "zero-shot accuracy"), acc[0], acc[1],
                     None, None])
        for cls, r in block["per_class"].items():
            rows.append([name, cls, r["ap"][0], r["ap"][1], r["f1"][0], r["f1"][1]])
    fill_table(table, headers, rows)
