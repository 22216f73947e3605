"""The "Evaluation" tab: how well does each model find each class, and which model to use?

Choose a dataset (a folder of class folders, or a caption JSONL file), one or more usable models
and a template set, and run the evaluation as a cancellable background job
(:func:`clipdesk.core.evaluation.evaluate`, into the separate evaluation store, so the pictures
never show up in searches). The result keeps its score matrices: the threshold slider, the
tables and the charts are re-derived from it without encoding anything again. Exports (CSV,
JSON, Markdown) go through :func:`clipdesk.core.evaluation.report_dict`, so they hold the very
numbers the CLI prints for the same inputs and thresholds.

The models chosen start from the model choice every panel shares (:meth:`AppContext.search_mode`:
"auto" checks the indexed model that reads the class names, "A+B" both); ticking models by hand
keeps them. Before a run each chosen model is checked against the class names (or captions):
a model that does not read their language stops the run once, with a warning line and a fix
(use the indexed model that reads them, or open the model choice), or "Evaluate anyway".
After a run the form folds into one summary line ("Change…" opens it again), so the results
and charts get the width of the panel.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QAction
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
    QMenu,
    QPushButton,
    QTabWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from clipdesk.core.descriptions.cupl import load_descriptions
from clipdesk.core.errors import ClipdeskError
from clipdesk.core.evaluation import (
    DEFAULT_THRESHOLD,
    ClassComparison,
    dataset_texts,
    language_mismatches,
    models_not_reading,
)
from clipdesk.core.languages import LanguageMismatch
from clipdesk.gui.language_warning import language_warning
from clipdesk.gui.panels.eval_check import CheckedView, fill_described
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


@dataclass(frozen=True)
class LanguageWarnings:
    """What the job returns instead of a run when chosen models do not read the texts."""

    mismatches: tuple[LanguageMismatch, ...]


def mode_models(mode: str, auto_model: str) -> list[str]:
    """The models a search mode stands for: ``"A+B"`` both, ``"auto"`` ``auto_model``, else the
    mode itself (a model id)."""
    if mode == "auto":
        return [auto_model]
    return [m.strip() for m in mode.split("+") if m.strip()]


class EvaluationPanel(QWidget):
    """Dataset, models and templates; the job; tables, charts and exports of the result."""

    evaluationFinished = Signal(object)  # EvaluationRun
    jobFailed = Signal(str)
    exported = Signal(str)  # the file written
    defaultThresholdSet = Signal(float)
    languageWarnings = Signal(object)  # list[LanguageMismatch]: the run did not start
    modelsFollowed = Signal(object)  # list[str]: the models the shared model choice checked

    def __init__(self, context: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.context = context
        self.run: EvaluationRun | None = None
        self.last_error = ""
        self.mismatches: list[LanguageMismatch] = []
        self._worker: JobWorker[Any] | None = None
        self._models_touched = False  # ticked by hand: the shared model choice no longer applies
        self._syncing = False
        self._mode_request = 0

        self.dataset_edit = QLineEdit(self)
        self.dataset_edit.setPlaceholderText(self.tr(
            "A folder of class folders, or a caption file (.jsonl)"))
        self.folder_button = QPushButton(self.tr("Class folders…"), self)
        self.captions_button = QPushButton(self.tr("Caption file…"), self)
        self.models_list = QListWidget(self)
        self.models_list.setMaximumHeight(120)
        self.chosen_label = QLabel(self)
        self.chosen_label.setTextFormat(Qt.TextFormat.PlainText)
        self.chosen_label.setWordWrap(True)
        self.templates = TemplateChooser(self)
        self.descriptions_edit = QLineEdit(self)
        self.descriptions_edit.setPlaceholderText(self.tr("optional: CuPL JSON"))
        self.descriptions_edit.setToolTip(self.tr(
            "Class descriptions written by a language model (CuPL's JSON, e.g. exported from "
            "the tagging panel): the classes are scored with them and compared with templates "
            "only"))
        self.descriptions_button = QPushButton(self.tr("Browse…"), self)
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
        self.form_button = QPushButton(self.tr("Change…"), self)
        self.form_button.setToolTip(self.tr("Show the dataset, models and templates again"))
        self.warnings_box = QWidget(self)
        self.warnings_layout = QVBoxLayout(self.warnings_box)
        self.warnings_layout.setContentsMargins(0, 0, 0, 0)
        self.anyway_button = QPushButton(self.tr("Evaluate anyway"), self.warnings_box)
        self.warnings_box.hide()

        self.class_view = ClassResultsView(self)
        self.zero_shot_view = ZeroShotView(self)
        self.image_view = ImageToImageView(self)
        self.comparison_table = make_table(self)
        self.described_table = make_table(self)
        self.check_view = CheckedView(context, self)
        self.captions_table = make_table(self)
        self.result_tabs = QTabWidget(self)
        self.result_tabs.addTab(self.class_view, self.tr("Per class"))
        self.result_tabs.addTab(self.zero_shot_view, self.tr("Zero-shot classification"))
        self.result_tabs.addTab(self.image_view, self.tr("Image→image"))
        self.result_tabs.addTab(self.comparison_table, self.tr("Model comparison"))
        self.result_tabs.addTab(self.described_table, self.tr("Templates vs descriptions"))
        self.result_tabs.addTab(self.check_view, self.tr("Checked by a VLM"))
        self.result_tabs.addTab(self.captions_table, self.tr("Caption retrieval"))
        self.export_actions = {
            "csv": QAction(self.tr("Export CSV…"), self),
            "json": QAction(self.tr("Export JSON…"), self),
            "md": QAction(self.tr("Markdown report…"), self),
        }
        self.export_button = QToolButton(self)
        self.export_button.setText(self.tr("Export"))
        self.export_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.export_button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        export_menu = QMenu(self.export_button)
        for action in self.export_actions.values():
            export_menu.addAction(action)
        self.export_button.setMenu(export_menu)

        self._build_layout()
        self.folder_button.clicked.connect(self.choose_folder)
        self.descriptions_button.clicked.connect(self.choose_descriptions)
        self.captions_button.clicked.connect(self.choose_captions)
        self.run_button.clicked.connect(lambda: self.start())
        self.anyway_button.clicked.connect(lambda: self.start(anyway=True))
        self.form_button.clicked.connect(self.toggle_form)
        for kind, action in self.export_actions.items():
            action.triggered.connect(lambda _checked=False, k=kind: self.export(k))
        self.class_view.thresholdChanged.connect(lambda _v: self._refresh_comparison())
        self.class_view.thresholdChanged.connect(
            lambda _v: self.image_view.set_thresholds(self.class_view.thresholds))
        self.class_view.defaultThresholdRequested.connect(self.set_default_threshold)
        self.models_list.itemChanged.connect(self._on_model_ticked)
        self.dataset_edit.editingFinished.connect(self.follow_search_mode)
        context.currentModelChanged.connect(lambda _m: self.refresh_models())
        context.searchModeChanged.connect(lambda _m: self.follow_search_mode(reset=True))
        self.refresh_models()
        self._show_kind(None)
        self._sync_buttons()
        self.follow_search_mode()

    def _build_layout(self) -> None:
        inputs = QGroupBox(self.tr("Evaluate models"), self)
        dataset_buttons = QHBoxLayout()
        dataset_buttons.addWidget(self.folder_button)
        dataset_buttons.addWidget(self.captions_button)
        dataset_buttons.addStretch(1)
        others = QFormLayout()
        described = QHBoxLayout()
        described.addWidget(self.descriptions_edit, 1)
        described.addWidget(self.descriptions_button)
        others.addRow(self.tr("Descriptions:"), described)
        others.addRow(self.tr("\"Others\" label:"), self.others_combo)
        column = QVBoxLayout(inputs)
        for title, widget in ((self.tr("Dataset:"), self.dataset_edit),
                              (self.tr("Models:"), self.models_list),
                              (self.tr("Templates:"), self.templates)):
            column.addWidget(QLabel(title, inputs))
            column.addWidget(widget)
            if widget is self.dataset_edit:
                column.addLayout(dataset_buttons)
            if widget is self.models_list:
                column.addWidget(self.chosen_label)
        column.addLayout(others)
        column.addWidget(self.run_button)
        column.addStretch(1)

        anyway_row = QHBoxLayout()
        anyway_row.addStretch(1)
        anyway_row.addWidget(self.anyway_button)
        self.warnings_layout.addLayout(anyway_row)

        exports = QHBoxLayout()
        exports.addWidget(self.summary, 1)
        exports.addWidget(self.form_button)
        exports.addWidget(self.export_button)
        results = QWidget(self)
        results_layout = QVBoxLayout(results)
        results_layout.setContentsMargins(0, 0, 0, 0)
        results_layout.addWidget(self.warnings_box)
        results_layout.addLayout(exports)
        results_layout.addWidget(self.result_tabs, 1)

        self.splitter = inputs_and_results(self, inputs, results, self.jobs, sizes=(340, 900),
                                           results_stretch=3)
        form = self.splitter.widget(0)
        assert form is not None
        self.form: QWidget = form

    # -- the form: folded into the summary line after a run --------------------------------------

    def form_collapsed(self) -> bool:
        return self.form.isHidden()

    def collapse_form(self) -> None:
        """Fold the inputs away: the summary line says what was evaluated, "Change…" opens
        them again, and the results get the panel's width."""
        self.form.hide()
        self.form_button.setText(self.tr("Change…"))
        self.form_button.setToolTip(self.tr("Show the dataset, models and templates again"))
        self._sync_buttons()

    def expand_form(self) -> None:
        self.form.show()
        self.form_button.setText(self.tr("Hide the inputs"))
        self.form_button.setToolTip(self.tr("Give the results the whole width"))
        self._sync_buttons()

    def toggle_form(self) -> None:
        if self.form_collapsed():
            self.expand_form()
            self.dataset_edit.setFocus()
        else:
            self.collapse_form()

    # -- inputs --------------------------------------------------------------------------------

    def refresh_models(self) -> None:
        """List the models whose weights are here; the checked ones stay checked."""
        checked = set(self.checked_models()) or {self.context.current_model_id()}
        self._syncing = True
        try:
            self.models_list.clear()
            for info in self.context.usable_models():
                item = QListWidgetItem(info.display_name, self.models_list)
                item.setData(Qt.ItemDataRole.UserRole, info.model_id)
                item.setToolTip(info.model_id)
                item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
                item.setCheckState(Qt.CheckState.Checked if info.model_id in checked
                                   else Qt.CheckState.Unchecked)
        finally:
            self._syncing = False
        self._show_chosen()

    def checked_models(self) -> list[str]:
        items = (self.models_list.item(i) for i in range(self.models_list.count()))
        return [str(it.data(Qt.ItemDataRole.UserRole)) for it in items
                if it.checkState() == Qt.CheckState.Checked]

    def set_models(self, model_ids: Sequence[str]) -> None:
        """Check exactly ``model_ids`` (a choice of the person's: the shared model choice no
        longer changes it)."""
        self._models_touched = True
        self._check(model_ids)

    def _check(self, model_ids: Sequence[str]) -> None:
        self._syncing = True
        try:
            for i in range(self.models_list.count()):
                item = self.models_list.item(i)
                wanted = item.data(Qt.ItemDataRole.UserRole) in model_ids
                item.setCheckState(Qt.CheckState.Checked if wanted else Qt.CheckState.Unchecked)
        finally:
            self._syncing = False
        self._show_chosen()

    def _on_model_ticked(self, _item: QListWidgetItem) -> None:
        if not self._syncing:
            self._models_touched = True
            self._show_chosen()

    def follows_search_mode(self) -> bool:
        """Whether the checked models are the shared model choice's (nobody ticked by hand)."""
        return not self._models_touched

    def _show_chosen(self) -> None:
        names = ", ".join(self.context.model_name(m) for m in self.checked_models())
        if not names:
            text = self.tr("No model chosen.")
        elif self.follows_search_mode():
            text = self.tr("Chosen: %1, as the model choice of every panel (%2) says.").replace(
                "%1", names).replace("%2", self._mode_text(self.context.search_mode()))
        else:
            text = self.tr("Chosen: %1").replace("%1", names)
        self.chosen_label.setText(text)

    def _mode_text(self, mode: str) -> str:
        if mode == "auto":
            return self.tr("automatic, by language")
        return " + ".join(self.context.model_name(m) for m in mode_models(mode, ""))

    def follow_search_mode(self, reset: bool = False) -> None:
        """Check the models of the shared model choice for this dataset (in the background:
        "auto" asks the library which indexed model reads the class names), unless models were
        ticked by hand (``reset``: the shared choice changed, follow it again)."""
        if reset:
            self._models_touched = False
        if self._models_touched:
            return
        mode = self.context.search_mode()
        text = self.dataset_edit.text().strip()
        path = Path(text).expanduser() if text else None
        engine = self.context.engine
        fallback = self.context.current_model_id()
        self._mode_request += 1
        request = self._mode_request

        def models() -> list[str]:
            texts: list[str] = []
            if path is not None:
                try:
                    texts = dataset_texts(path)
                except ClipdeskError:
                    texts = []
            auto = fallback
            if mode == "auto":
                try:
                    auto = engine.model_for(texts, "auto")
                except ClipdeskError:  # nothing indexed yet: the current model
                    auto = fallback
            return mode_models(mode, auto)

        self.context.run_task(models, lambda ids: self._follow(request, ids))

    def _follow(self, request: int, model_ids: list[str]) -> None:
        if request != self._mode_request or self._models_touched:
            return  # a newer request, or the person ticked models meanwhile
        usable = {str(self.models_list.item(i).data(Qt.ItemDataRole.UserRole))
                  for i in range(self.models_list.count())}
        wanted = [m for m in model_ids if m in usable]
        if not wanted and self.context.current_model_id() in usable:
            wanted = [self.context.current_model_id()]
        self._check(wanted)
        self.modelsFollowed.emit(wanted)

    def set_dataset(self, path: Path) -> None:
        self.dataset_edit.setText(str(path))
        self.follow_search_mode()

    def choose_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, self.tr("Choose a folder of class folders"))
        if folder:
            self.set_dataset(Path(folder))

    def choose_descriptions(self) -> None:
        name, _ = QFileDialog.getOpenFileName(self, self.tr("Class descriptions"), "",
                                              self.tr("CuPL JSON (*.json)"))
        if name:
            self.descriptions_edit.setText(name)

    def choose_captions(self) -> None:
        name, _ = QFileDialog.getOpenFileName(self, self.tr("Choose a caption file"), "",
                                              self.tr("Caption files (*.jsonl *.json)"))
        if name:
            self.set_dataset(Path(name))

    # -- language warnings ---------------------------------------------------------------------

    def mismatch_text(self, mismatch: LanguageMismatch) -> str:
        """The warning line of ``mismatch``, as every panel phrases it."""
        return language_warning(mismatch, self.context.model_name)

    def show_warnings(self, mismatches: Sequence[LanguageMismatch]) -> None:
        """One line per mismatch with its fix button, above the results."""
        self.clear_warnings()
        self.mismatches = list(mismatches)
        for mismatch in self.mismatches:
            row = QWidget(self.warnings_box)
            row.setObjectName("languageWarning")
            line = QHBoxLayout(row)
            line.setContentsMargins(0, 0, 0, 0)
            label = QLabel("⚠ " + self.mismatch_text(mismatch), row)
            label.setTextFormat(Qt.TextFormat.PlainText)
            label.setWordWrap(True)
            line.addWidget(label, 1)
            if mismatch.readers and mismatch.fix:
                button = QPushButton(self.tr("Use %1 instead").replace(
                    "%1", self.context.model_name(mismatch.fix)), row)
                button.clicked.connect(lambda _c=False, m=mismatch: self.fix_mismatch(m))
            else:
                button = QPushButton(self.tr("Choose a model…"), row)
                button.clicked.connect(lambda _c=False, m=mismatch: self.open_model_choice(m))
            line.addWidget(button)
            self.warnings_layout.insertWidget(self.warnings_layout.count() - 1, row)
        self.warnings_box.setVisible(bool(self.mismatches))

    def warning_rows(self) -> list[QWidget]:
        return [w for w in self.warnings_box.findChildren(QWidget, "languageWarning")
                if w.parent() is self.warnings_box]

    def warning_button(self, index: int) -> QPushButton:
        """The fix button of the ``index``-th warning line."""
        return self.warning_rows()[index].findChildren(QPushButton)[0]

    def clear_warnings(self) -> None:
        for row in self.warning_rows():
            self.warnings_layout.removeWidget(row)
            row.setParent(None)
            row.deleteLater()
        self.mismatches = []
        self.warnings_box.hide()

    def fix_mismatch(self, mismatch: LanguageMismatch) -> None:
        """Evaluate ``mismatch.fix`` (an indexed model that reads the texts) instead of the
        model that does not read them."""
        fix = mismatch.fix
        if fix is None:
            return
        chosen = [fix if m == mismatch.model_id else m for m in self.checked_models()]
        self.set_models(list(dict.fromkeys(chosen)))
        self.show_warnings([m for m in self.mismatches if m is not mismatch])
        if self.form_collapsed():
            self.expand_form()
        self.jobs.set_message(self.tr("%1 is chosen instead of %2. Press Evaluate.").replace(
            "%1", self.context.model_name(fix)).replace(
            "%2", self.context.model_name(mismatch.model_id)))

    def open_model_choice(self, mismatch: LanguageMismatch | None = None) -> QWidget:
        """The model choice (Models > Model setup), with the model that would read the texts
        selected."""
        from clipdesk.gui.dialogs.model_setup import ModelSetupDialog

        dialog = ModelSetupDialog(self.context, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        if mismatch is not None and mismatch.fix is not None:
            dialog.select_model(mismatch.fix)
        dialog.modelReady.connect(lambda _m: self.refresh_models())
        dialog.open()
        return dialog

    # -- the job -------------------------------------------------------------------------------

    def start(self, anyway: bool = False) -> bool:
        """Start the evaluation of the chosen inputs; False (and a message) when it cannot.

        Chosen models that do not read the class names (or captions) stop it first, with
        their warnings (:attr:`languageWarnings`), unless ``anyway``."""
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
            described = self.descriptions_edit.text().strip()
            descriptions = load_descriptions(Path(described).expanduser()) if described \
                else None
        except ClipdeskError as exc:
            self._fail(str(exc))
            return False
        path = Path(text).expanduser()
        others = {OTHERS_YES: True, OTHERS_NO: False}.get(str(self.others_combo.currentData()))
        engine = self.context.engine
        if not anyway:
            self.clear_warnings()

        def job(token: CancelToken, progress: ProgressCallback
                ) -> EvaluationRun | LanguageWarnings:
            if not anyway and path.exists():
                try:
                    texts = dataset_texts(path)
                except ClipdeskError:
                    texts = []  # the evaluation says what is wrong with the dataset
                found = language_mismatches(engine, texts, models)
                if found:
                    return LanguageWarnings(tuple(found))
            return engine.evaluate(path, models, templates=templates, others=others,
                                   descriptions=descriptions, token=token, progress=progress)

        worker: JobWorker[EvaluationRun | LanguageWarnings] = JobWorker(
            job, name="evaluate", parent=self)
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

    def _on_finished(self, value: EvaluationRun | LanguageWarnings) -> None:
        if isinstance(value, LanguageWarnings):
            self.show_warnings(value.mismatches)
            self.jobs.set_message(self.tr(
                "Not evaluated: a chosen model does not read the class names' language (see "
                "above)."))
            self.languageWarnings.emit(list(value.mismatches))
            return
        self.show_run(value)
        self.jobs.set_message(self.tr("Evaluation finished."))
        self.evaluationFinished.emit(value)

    # -- showing a result ----------------------------------------------------------------------

    def names(self) -> dict[str, str]:
        if self.run is None:
            return {}
        return {m: self.context.model_name(m) for m in self.run.result.model_ids}

    def show_run(self, run: EvaluationRun) -> None:
        """Show ``run``'s result (public so that a result computed elsewhere can be shown), and
        fold the form into the summary line."""
        self.run = run
        result, names = run.result, self.names()
        if isinstance(result, ClassComparison):
            first = result.evaluations[0]
            text = self.tr("%1: %2 images in %3 classes, %4 negatives").replace(
                "%1", run.name).replace("%2", str(len(first.images))).replace(
                "%3", str(len(result.classes))).replace("%4", str(int(first.negatives.sum())))
            not_read = models_not_reading(self.context.engine.registry.get, result.classes,
                                          result.model_ids)
            self.class_view.set_result(result, None, names, not_read)
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
        text += " · " + ", ".join(names.get(m, m) for m in result.model_ids)
        skipped = result.evaluations[0].skipped
        if skipped:
            text += " · " + self.tr("%1 pictures could not be read").replace(
                "%1", str(len(skipped)))
        self.summary.setText(text)
        self.summary.setToolTip(text)
        self.collapse_form()

    def _refresh_comparison(self) -> None:
        if self.run is not None and isinstance(self.run.result, ClassComparison):
            fill_comparison(self.comparison_table, self.run.result, self.class_view.thresholds,
                            self.names())
            if self.run.plain is not None:
                fill_described(self.described_table, self.run.plain, self.run.result,
                               self.class_view.thresholds, self.names())
            self.check_view.set_result(self.run.result, self.class_view.thresholds,
                                       self.names())

    def _show_kind(self, kind: str | None) -> None:
        tabs = self.result_tabs
        for widget in (self.class_view, self.zero_shot_view, self.image_view,
                       self.comparison_table, self.check_view):
            tabs.setTabVisible(tabs.indexOf(widget), kind != "captions")
        tabs.setTabVisible(tabs.indexOf(self.captions_table), kind == "captions")
        described = kind == "classes" and self.run is not None and self.run.plain is not None
        tabs.setTabVisible(tabs.indexOf(self.described_table), described)
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
        info_of = self.context.engine.registry.get

        def write() -> str:
            from clipdesk.core.evaluation import report_dict, write_csv, write_json, write_markdown

            not_read = models_not_reading(info_of, run.result.classes, run.result.model_ids) \
                if isinstance(run.result, ClassComparison) else {}
            report = report_dict(run.result, thresholds or DEFAULT_THRESHOLD, dataset=run.name,
                                 not_read=not_read)
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
        self.anyway_button.setEnabled(not busy)
        self.form_button.setVisible(self.run is not None or self.form_collapsed())
        self.export_button.setEnabled(self.run is not None)

    def shutdown(self) -> None:
        """Cancel a running evaluation or check (the window is closing)."""
        stop_job(self._worker, STOP_TIMEOUT_MS)
        self.check_view.shutdown()
