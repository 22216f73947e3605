"""The "Evaluation" tab: how well does each model find each class, and which model to use?

Choose a dataset (a folder of class folders, or a caption JSONL file), one or more usable models
and a template set, and run the evaluation as a cancellable background job
(:func:`clipdesk.core.evaluation.evaluate`, into the separate evaluation store, so the pictures
never show up in searches). The result keeps its score matrices: the threshold slider, the
tables and the charts are re-derived from it without encoding anything again. Exports (CSV,
JSON, Markdown) go through :func:`clipdesk.core.evaluation.report_dict`, so they hold the very
numbers the CLI prints for the same inputs and thresholds.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from clipdesk.core.errors import ClipdeskError
from clipdesk.core.evaluation import DEFAULT_THRESHOLD, ClassComparison
from clipdesk.gui.panels.eval_i2i import ImageToImageView
from clipdesk.gui.panels.eval_views import (
    ClassResultsView,
    ZeroShotView,
    fill_captions,
    fill_comparison,
    make_table,
)
from clipdesk.gui.panels.jobbar import JobBar
from clipdesk.gui.panels.label_editor import TemplateChooser
from clipdesk.gui.panels.layout import inputs_and_results
from clipdesk.gui.workers import JobWorker, start_job, stop_job

if TYPE_CHECKING:
    from clipdesk.core.engine import EvaluationRun
    from clipdesk.core.jobs import CancelToken, ProgressCallback
    from clipdesk.gui.context import AppContext

log = logging.getLogger(__name__)

STOP_TIMEOUT_MS = 10_000
OTHERS_AUTO, OTHERS_YES, OTHERS_NO = "auto", "yes", "no"
EXPORT_KINDS = ("csv", "json", "md")


class EvaluationPanel(QWidget):
    """Dataset, models and templates; the job; tables, charts and exports of the result."""

    evaluationFinished = Signal(object)  # EvaluationRun
    jobFailed = Signal(str)
    exported = Signal(str)  # the file written
    defaultThresholdSet = Signal(float)

    def __init__(self, context: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.context = context
        self.run: EvaluationRun | None = None
        self.last_error = ""
        self._worker: JobWorker[Any] | None = None

        self.dataset_edit = QLineEdit(self)
        self.dataset_edit.setPlaceholderText(self.tr(
            "A folder of class folders, or a caption file (.jsonl)"))
        self.folder_button = QPushButton(self.tr("Class folders…"), self)
        self.captions_button = QPushButton(self.tr("Caption file…"), self)
        self.models_list = QListWidget(self)
        self.models_list.setMaximumHeight(120)
        self.templates = TemplateChooser(self)
        self.others_combo = QComboBox(self)
        self.others_combo.addItem(self.tr("when there is a negatives folder"), OTHERS_AUTO)
        self.others_combo.addItem(self.tr("always"), OTHERS_YES)
        self.others_combo.addItem(self.tr("never"), OTHERS_NO)
        self.run_button = QPushButton(self.tr("Evaluate"), self)
        self.run_button.setDefault(True)
        self.jobs = JobBar(self)
        self.summary = QLabel(self)
        self.summary.setTextFormat(Qt.TextFormat.PlainText)
        self.summary.setWordWrap(True)

        self.class_view = ClassResultsView(self)
        self.zero_shot_view = ZeroShotView(self)
        self.image_view = ImageToImageView(self)
        self.comparison_table = make_table(self)
        self.captions_table = make_table(self)
        self.result_tabs = QTabWidget(self)
        self.result_tabs.addTab(self.class_view, self.tr("Per class"))
        self.result_tabs.addTab(self.zero_shot_view, self.tr("Zero-shot classification"))
        self.result_tabs.addTab(self.image_view, self.tr("Image→image"))
        self.result_tabs.addTab(self.comparison_table, self.tr("Model comparison"))
        self.result_tabs.addTab(self.captions_table, self.tr("Caption retrieval"))
        self.export_buttons = {
            "csv": QPushButton(self.tr("Export CSV…"), self),
            "json": QPushButton(self.tr("Export JSON…"), self),
            "md": QPushButton(self.tr("Markdown report…"), self),
        }

        self._build_layout()
        self.folder_button.clicked.connect(self.choose_folder)
        self.captions_button.clicked.connect(self.choose_captions)
        self.run_button.clicked.connect(self.start)
        for kind, button in self.export_buttons.items():
            button.clicked.connect(lambda _checked=False, k=kind: self.export(k))
        self.class_view.thresholdChanged.connect(lambda _v: self._refresh_comparison())
        self.class_view.thresholdChanged.connect(
            lambda _v: self.image_view.set_thresholds(self.class_view.thresholds))
        self.class_view.defaultThresholdRequested.connect(self.set_default_threshold)
        context.currentModelChanged.connect(lambda _m: self.refresh_models())
        self.refresh_models()
        self._show_kind(None)
        self._sync_buttons()

    def _build_layout(self) -> None:
        inputs = QGroupBox(self.tr("Evaluate models"), self)
        dataset_buttons = QHBoxLayout()
        dataset_buttons.addWidget(self.folder_button)
        dataset_buttons.addWidget(self.captions_button)
        dataset_buttons.addStretch(1)
        others = QFormLayout()
        others.addRow(self.tr("\"Others\" label:"), self.others_combo)
        column = QVBoxLayout(inputs)
        for title, widget in ((self.tr("Dataset:"), self.dataset_edit),
                              (self.tr("Models:"), self.models_list),
                              (self.tr("Templates:"), self.templates)):
            column.addWidget(QLabel(title, inputs))
            column.addWidget(widget)
            if widget is self.dataset_edit:
                column.addLayout(dataset_buttons)
        column.addLayout(others)
        column.addWidget(self.run_button)
        column.addStretch(1)

        exports = QHBoxLayout()
        exports.addWidget(self.summary, 1)
        for button in self.export_buttons.values():
            exports.addWidget(button)
        results = QWidget(self)
        results_layout = QVBoxLayout(results)
        results_layout.setContentsMargins(0, 0, 0, 0)
        results_layout.addLayout(exports)
        results_layout.addWidget(self.result_tabs, 1)

        inputs_and_results(self, inputs, results, self.jobs, sizes=(340, 900), results_stretch=3)

    # -- inputs --------------------------------------------------------------------------------

    def refresh_models(self) -> None:
        """List the models whose weights are here; the checked ones stay checked."""
        checked = set(self.checked_models()) or {self.context.current_model_id()}
        self.models_list.clear()
        for info in self.context.usable_models():
            item = QListWidgetItem(info.display_name, self.models_list)
            item.setData(Qt.ItemDataRole.UserRole, info.model_id)
            item.setToolTip(info.model_id)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Checked if info.model_id in checked
                               else Qt.CheckState.Unchecked)

    def checked_models(self) -> list[str]:
        items = (self.models_list.item(i) for i in range(self.models_list.count()))
        return [str(it.data(Qt.ItemDataRole.UserRole)) for it in items
                if it.checkState() == Qt.CheckState.Checked]

    def set_models(self, model_ids: list[str]) -> None:
        for i in range(self.models_list.count()):
            item = self.models_list.item(i)
            wanted = item.data(Qt.ItemDataRole.UserRole) in model_ids
            item.setCheckState(Qt.CheckState.Checked if wanted else Qt.CheckState.Unchecked)

    def set_dataset(self, path: Path) -> None:
        self.dataset_edit.setText(str(path))

    def choose_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, self.tr("Choose a folder of class folders"))
        if folder:
            self.set_dataset(Path(folder))

    def choose_captions(self) -> None:
        name, _ = QFileDialog.getOpenFileName(self, self.tr("Choose a caption file"), "",
                                              self.tr("Caption files (*.jsonl *.json)"))
        if name:
            self.set_dataset(Path(name))

    # -- the job -------------------------------------------------------------------------------

    def start(self) -> bool:
        """Start the evaluation of the chosen inputs; False (and a message) when it cannot."""
        if self._worker is not None:
            return False
        text = self.dataset_edit.text().strip()
        models = self.checked_models()
        try:
            if not text:
                raise ClipdeskError(self.tr("Choose a dataset first."))
            if not models:
                raise ClipdeskError(self.tr("Check at least one model."))
            templates = self.templates.value()
        except ClipdeskError as exc:
            self._fail(str(exc))
            return False
        path = Path(text).expanduser()
        others = {OTHERS_YES: True, OTHERS_NO: False}.get(str(self.others_combo.currentData()))
        engine = self.context.engine

        def job(token: CancelToken, progress: ProgressCallback) -> EvaluationRun:
            return engine.evaluate(path, models, templates=templates, others=others,
                                   token=token, progress=progress)

        worker: JobWorker[EvaluationRun] = JobWorker(job, name="evaluate", parent=self)
        worker.finished.connect(self._on_finished)
        worker.failed.connect(self._fail)
        worker.cancelled.connect(lambda: self.jobs.set_message(self.tr("Cancelled.")))
        worker.done.connect(self._on_done)
        self._worker = worker
        self.last_error = ""
        self.jobs.follow(worker, self.tr("Loading the models…"))
        self._sync_buttons()
        start_job(worker)
        return True

    def cancel(self) -> None:
        self.jobs.cancel()

    def _on_done(self) -> None:
        self._worker = None
        self._sync_buttons()

    def _fail(self, message: str) -> None:
        self.last_error = message
        self.jobs.set_message(message)
        self.jobFailed.emit(message)

    def _on_finished(self, run: EvaluationRun) -> None:
        self.show_run(run)
        self.jobs.set_message(self.tr("Evaluation finished."))
        self.evaluationFinished.emit(run)

    # -- showing a result ----------------------------------------------------------------------

    def names(self) -> dict[str, str]:
        if self.run is None:
            return {}
        return {m: self.context.model_name(m) for m in self.run.result.model_ids}

    def show_run(self, run: EvaluationRun) -> None:
        """Show ``run``'s result (public so that a result computed elsewhere can be shown)."""
        self.run = run
        result, names = run.result, self.names()
        if isinstance(result, ClassComparison):
            first = result.evaluations[0]
            text = self.tr("%1: %2 images in %3 classes, %4 negatives").replace(
                "%1", run.name).replace("%2", str(len(first.images))).replace(
                "%3", str(len(result.classes))).replace("%4", str(int(first.negatives.sum())))
            self.class_view.set_result(result, None, names)
            self.zero_shot_view.set_result(result, names)
            self.image_view.set_result(result, self.class_view.thresholds, names)
            self._refresh_comparison()
            self._show_kind("classes")
        else:
            first_caption = result.evaluations[0]
            text = self.tr("%1: %2 captions, %3 images").replace("%1", run.name).replace(
                "%2", str(len(first_caption.queries))).replace(
                "%3", str(len(first_caption.images)))
            fill_captions(self.captions_table, result, names)
            self._show_kind("captions")
        skipped = result.evaluations[0].skipped
        if skipped:
            text += " · " + self.tr("%1 pictures could not be read").replace(
                "%1", str(len(skipped)))
        self.summary.setText(text)
        self._sync_buttons()

    def _refresh_comparison(self) -> None:
        if self.run is not None and isinstance(self.run.result, ClassComparison):
            fill_comparison(self.comparison_table, self.run.result, self.class_view.thresholds,
                            self.names())

    def _show_kind(self, kind: str | None) -> None:
        tabs = self.result_tabs
        for widget in (self.class_view, self.zero_shot_view, self.image_view,
                       self.comparison_table):
            tabs.setTabVisible(tabs.indexOf(widget), kind != "captions")
        tabs.setTabVisible(tabs.indexOf(self.captions_table), kind == "captions")
        if kind == "captions":
            tabs.setCurrentWidget(self.captions_table)
        elif kind == "classes" and tabs.currentWidget() is self.captions_table:
            tabs.setCurrentWidget(self.class_view)

    def thresholds(self) -> dict[str, float]:
        """The threshold of each model, as the slider left them."""
        return dict(self.class_view.thresholds)

    def set_default_threshold(self, value: float) -> None:
        """Make ``value`` the default search threshold (saved in the settings)."""
        settings = self.context.engine.settings
        settings.search_threshold = float(value)
        try:
            self.context.engine.save_settings()
        except OSError as exc:
            log.warning("could not save the settings: %s", exc)
        self.jobs.set_message(self.tr("The default search threshold is now %1.").replace(
            "%1", f"{value:.3f}"))
        self.defaultThresholdSet.emit(float(value))

    # -- exports -------------------------------------------------------------------------------

    def export(self, kind: str, path: Path | None = None) -> None:
        """Write the result as ``kind`` ("csv", "json" or "md"); asks for a file when ``path``
        is None. ``exported(path)`` follows (in the background: image→image takes a moment)."""
        if self.run is None or kind not in EXPORT_KINDS:
            return
        if path is None:
            filters = {"csv": self.tr("CSV files (*.csv)"), "json": self.tr("JSON files (*.json)"),
                       "md": self.tr("Markdown files (*.md)")}
            name, _ = QFileDialog.getSaveFileName(self, self.tr("Export the evaluation"),
                                                  f"evaluation.{kind}", filters[kind])
            if not name:
                return
            path = Path(name)
        run, thresholds, target = self.run, self.thresholds(), path

        def write() -> str:
            from clipdesk.core.evaluation import report_dict, write_csv, write_json, write_markdown

            report = report_dict(run.result, thresholds or DEFAULT_THRESHOLD, dataset=run.name)
            writer = {"csv": write_csv, "json": write_json, "md": write_markdown}[kind]
            try:
                writer(report, target)
            except OSError as exc:
                raise ClipdeskError(f"Cannot write {target}: {exc.strerror or exc}") from exc
            return str(target)

        self.context.run_task(write, self._on_exported, self._fail)

    def _on_exported(self, path: str) -> None:
        self.jobs.set_message(self.tr("Written: %1").replace("%1", path))
        self.exported.emit(path)

    def _sync_buttons(self) -> None:
        busy = self._worker is not None
        self.run_button.setEnabled(not busy)
        for button in self.export_buttons.values():
            button.setEnabled(self.run is not None)

    def shutdown(self) -> None:
        """Cancel a running evaluation (the window is closing)."""
        stop_job(self._worker, STOP_TIMEOUT_MS)
