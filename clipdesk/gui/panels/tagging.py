"""The "Tagging" tab: tag the library with your own labels (zero-shot), preview, save, export.

Two background jobs, both cancellable :class:`~clipdesk.gui.workers.JobWorker` s:

1. *Score* (read-only): label vectors for the chosen model, then every photo of the scope scored
   against them (:func:`clipdesk.core.tagging.compute_scores`); the panel keeps the
   :class:`~clipdesk.core.tagging.TagScores`.
2. *Save*: :func:`clipdesk.core.tagging.apply_tags` with the rule the sliders describe (automatic
   tags replaced, manual ones kept), through the one writer.

The model follows the one model choice every panel shares (:meth:`AppContext.search_mode`):
"Automatic" scores with the indexed model that reads the labels' language (the panel says which),
a model id with that model; choosing here changes it everywhere. As labels are edited, and again
when scores come back, a model that does not read the labels' language is named with a
one-click fix: "Use <model>" (an indexed model that reads them) or "Index with <model>…"
(:attr:`TaggingPanel.indexWithRequested`, for the window to start that indexing).

Saving asks first, with the photos each label tags and the earlier automatic tags replaced;
every save is journaled in the library, so "Undo" (Ctrl+Z in the panel, Edit ▸ Undo tag save)
puts back exactly the automatic tags it replaced, also after a restart.

Between the two, the sliders (minimum probability, minimum cosine, both/either, at most n tags)
re-derive the tags from the kept scores with the pure :meth:`TagScores.counts`, so the preview
column follows them live without encoding anything. Clicking a tag shows its photos in the grid:
the preview's photos while scores are kept for that label, else the photos with the saved tag.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QFileDialog,
    QFormLayout,
    QFrame,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from clipdesk.core.errors import ClipdeskError
from clipdesk.core.labels import LabelSet
from clipdesk.core.languages import LanguageMismatch
from clipdesk.core.store.records import TagChange
from clipdesk.core.tagging import SavePlan, TaggingReport, TagRule, TagScores
from clipdesk.core.types import Root
from clipdesk.gui.dialogs import errors
from clipdesk.gui.dialogs.tag_manager import change_text
from clipdesk.gui.language_warning import language_name, language_warning
from clipdesk.gui.panels.describe import choose_writer, cpu_estimate, describe_job
from clipdesk.gui.panels.jobbar import JobBar
from clipdesk.gui.panels.label_editor import LabelSetEditor, label_texts
from clipdesk.gui.panels.layout import inputs_and_results
from clipdesk.gui.panels.tag_check_row import TagCheckRow
from clipdesk.gui.panels.tag_widgets import (
    COL_PREVIEW,
    ScopeCombo,
    TagModelCombo,
    TagPhotos,
    TagRuleEditor,
    TagTable,
    preview_photos,
    saved_photos,
)
from clipdesk.gui.results.model import ResultsModel
from clipdesk.gui.results.thumbs import ThumbnailLoader
from clipdesk.gui.results.view import ResultsView
from clipdesk.gui.workers import JobWorker, start_job, stop_job

if TYPE_CHECKING:
    from clipdesk.core.jobs import CancelToken, ProgressCallback
    from clipdesk.gui.context import AppContext

log = logging.getLogger(__name__)

STOP_TIMEOUT_MS = 10_000
CHECK_DELAY_MS = 300  # the language check waits for typing to pause


@dataclass(frozen=True)
class TagFacts:
    """What the library says, read in the background: models with vectors, roots, saved tags."""

    model_counts: dict[str, int]
    roots: tuple[Root, ...]
    labels: dict[str, int]
    last_change: TagChange | None = None  # what "Undo" would undo


@dataclass(frozen=True)
class ModelCheck:
    """Which model scores the labels under the shared mode, and whether it reads them."""

    texts: tuple[str, ...]
    mode: str
    model_id: str
    mismatch: LanguageMismatch | None


class TaggingPanel(QWidget):
    """Label editor, scoring job, live rule preview, saving, tag list and a grid."""

    scoresReady = Signal()  # a scoring job finished: ``scores`` is set
    tagsChecked = Signal()  # a VLM check finished: ``scores`` keeps only confirmed tags
    labelsDescribed = Signal()  # a language model's descriptions are in the editor
    tagsSaved = Signal(object)  # TaggingReport of a save job
    jobFailed = Signal(str)
    factsRefreshed = Signal()  # models, folders and saved tags were re-read
    gridUpdated = Signal()  # the grid shows a tag's photos
    exported = Signal(int)  # rows written by an export
    findSimilarRequested = Signal(int)
    modelChecked = Signal()  # the model for the labels (and its language) was checked
    undone = Signal(object)  # TagChange undone (None: there was nothing to undo)
    indexWithRequested = Signal(str)  # "Index with <model>…": index the photos with this model

    def __init__(self, context: AppContext, parent: QWidget | None = None, *,
                 thumbnails: ThumbnailLoader | None = None) -> None:
        super().__init__(parent)
        self.context = context
        self.scores: TagScores | None = None
        self.saved_counts: dict[str, int] = {}
        self.last_report: TaggingReport | None = None
        self.last_error = ""
        self.shown_label: str | None = None
        self.last_check: ModelCheck | None = None
        self.last_change: TagChange | None = None
        self.mismatch: LanguageMismatch | None = None  # shown in the language warning
        self._worker: JobWorker[Any] | None = None
        self._grid_seq = 0
        self._check_seq = 0
        # replaced in tests: (title, question) -> yes?
        self.ask: Callable[[str, str], bool] = self._ask

        self.editor = LabelSetEditor(self)
        self.model_combo = TagModelCombo(self)
        self.model_combo.setToolTip(self.tr(
            "Photos are scored with the vectors of this model; the same choice as in the search "
            "panels"))
        self.model_note = QLabel(self)
        self.model_note.setTextFormat(Qt.TextFormat.PlainText)
        self.model_note.setWordWrap(True)
        self.model_note.setEnabled(False)  # dimmed: a note, not content
        self.model_note.hide()
        self.language_box = QFrame(self)
        self.language_box.setFrameShape(QFrame.Shape.StyledPanel)
        self.language_label = QLabel(self.language_box)
        self.language_label.setTextFormat(Qt.TextFormat.PlainText)
        self.language_label.setWordWrap(True)
        self.fix_button = QPushButton(self.language_box)
        box_layout = QVBoxLayout(self.language_box)
        box_layout.setContentsMargins(6, 6, 6, 6)
        box_layout.addWidget(self.language_label)
        box_layout.addWidget(self.fix_button, 0, Qt.AlignmentFlag.AlignLeft)
        self.language_box.hide()
        self._check_timer = QTimer(self)
        self._check_timer.setSingleShot(True)
        self._check_timer.setInterval(CHECK_DELAY_MS)
        self._check_timer.timeout.connect(self.check_model)
        self.scope_combo = ScopeCombo(self)
        self.score_button = QPushButton(self.tr("Score photos"), self)
        self.score_button.setDefault(True)
        self.jobs = JobBar(self)

        self.rule_editor = TagRuleEditor(self)
        self.tag_check = TagCheckRow(context, self)
        self.plain_scores: TagScores | None = None  # the scores before a VLM check
        self.checked_rule: TagRule | None = None  # the rule the check was made under
        self.scored_labels: LabelSet | None = None
        self.save_button = QPushButton(self.tr("Save tags"), self)
        self.save_button.setToolTip(self.tr(
            "Replace the automatic tags of the scored photos; tags set by hand are kept"))
        self.undo_button = QPushButton(self.tr("Undo"), self)
        self.undo_button.setToolTip(self.tr("Nothing to undo"))
        self.undo_shortcut = QShortcut(QKeySequence(QKeySequence.StandardKey.Undo), self)
        self.undo_shortcut.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        self.undo_shortcut.activated.connect(self.undo_last_save)
        self.preview_label = QLabel(self)
        self.preview_label.setTextFormat(Qt.TextFormat.PlainText)
        self.preview_label.setWordWrap(True)

        self.tag_table = TagTable(self)
        self.export_button = QPushButton(self.tr("Export CSV…"), self)
        self.refresh_button = QPushButton(self.tr("Refresh"), self)

        self.loader = thumbnails or ThumbnailLoader(context.engine.thumbnails(), parent=self)
        self.results = ResultsModel(self.loader, self)
        self.view = ResultsView(self)
        self.view.setModel(self.results)
        self.view.set_empty_message(self.tr("Click a tag to see its photos."))
        self.view.findSimilarRequested.connect(self.findSimilarRequested)
        self.grid_label = QLabel(self)
        self.grid_label.setTextFormat(Qt.TextFormat.PlainText)

        self._build_layout()
        self.score_button.clicked.connect(self.score_photos)
        self.save_button.clicked.connect(self.save_tags)
        self.undo_button.clicked.connect(self.undo_last_save)
        self.model_combo.activated.connect(self._on_mode_chosen)
        self.fix_button.clicked.connect(self._on_fix_clicked)
        self.editor.changed.connect(self.schedule_check)
        context.searchModeChanged.connect(self._on_shared_mode)
        self.export_button.clicked.connect(lambda: self.export_csv())
        self.refresh_button.clicked.connect(self.refresh_facts)
        self.rule_editor.changed.connect(self.update_preview)
        self.tag_check.checkRequested.connect(self.check_tags)
        self.editor.describeRequested.connect(lambda: self.describe_labels())
        self.tag_check.toggled.connect(lambda _on: self._drop_check())
        self.tag_table.cellClicked.connect(self._on_cell_clicked)
        context.libraryChanged.connect(self.refresh_facts)
        self.update_preview()
        self._sync_buttons()
        self.refresh_facts()

    def _build_layout(self) -> None:
        run_box = QGroupBox(self.tr("Labels"), self)
        form = QFormLayout()
        form.addRow(self.tr("Model:"), self.model_combo)
        form.addRow("", self.model_note)
        form.addRow(self.tr("Photos:"), self.scope_combo)
        run_layout = QVBoxLayout(run_box)
        run_layout.addWidget(self.editor, 1)
        run_layout.addLayout(form)
        run_layout.addWidget(self.language_box)
        run_layout.addWidget(self.score_button)

        rule_box = QGroupBox(self.tr("When does a label become a tag?"), self)
        rule = QVBoxLayout(rule_box)
        rule.addWidget(self.rule_editor)
        rule.addWidget(self.tag_check)
        rule.addWidget(self.preview_label)
        save_row = QHBoxLayout()
        save_row.addWidget(self.save_button, 1)
        save_row.addWidget(self.undo_button)
        rule.addLayout(save_row)

        left = QWidget(self)
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        left_layout.addWidget(run_box, 1)
        left_layout.addWidget(rule_box)

        tags_area = QWidget(self)
        tags_layout = QVBoxLayout(tags_area)
        tags_layout.setContentsMargins(0, 0, 0, 0)
        tags_layout.addWidget(self.tag_table, 1)
        buttons = QHBoxLayout()
        buttons.addWidget(self.refresh_button)
        buttons.addStretch(1)
        buttons.addWidget(self.export_button)
        tags_layout.addLayout(buttons)

        grid_area = QWidget(self)
        grid_layout = QVBoxLayout(grid_area)
        grid_layout.setContentsMargins(0, 0, 0, 0)
        grid_layout.addWidget(self.grid_label)
        grid_layout.addWidget(self.view, 1)

        right = QSplitter(Qt.Orientation.Vertical, self)
        right.addWidget(tags_area)
        right.addWidget(grid_area)
        right.setStretchFactor(1, 2)
        inputs_and_results(self, left, right, self.jobs, sizes=(360, 800), results_stretch=2)

    # -- library facts -------------------------------------------------------------------------

    def refresh_facts(self) -> None:
        """Re-read indexed models, folders and saved tag counts (in the background)."""

        def facts() -> TagFacts:
            library = self.context.library()
            counts = {m: n for m, n in library.model_counts().items() if n > 0}
            return TagFacts(counts, tuple(library.roots()), library.labels(),
                            library.last_tag_change())

        self.context.run_task(facts, self._apply_facts, self._on_facts_failed)

    def _on_facts_failed(self, message: str) -> None:
        self.jobs.set_message(message)
        self.factsRefreshed.emit()

    def _apply_facts(self, facts: TagFacts) -> None:
        self.model_combo.set_models(facts.model_counts, self.context.model_name,
                                    self.context.search_mode())
        self.scope_combo.set_roots(facts.roots)
        self.saved_counts = dict(facts.labels)
        self.last_change = facts.last_change
        self._fill_table()
        self._sync_buttons()
        self.check_model()
        self.factsRefreshed.emit()

    # -- the model and its language ----------------------------------------------------------

    def mode(self) -> str:
        """The shared model choice as the combo shows it (``"auto"``, a model id, ``"A+B"``)."""
        return self.model_combo.mode()

    def _on_mode_chosen(self, _index: int) -> None:
        self.context.set_search_mode(self.model_combo.mode())  # every panel follows
        self.check_model()

    def _on_shared_mode(self, mode: str) -> None:
        if mode != self.model_combo.mode():  # chosen in another panel, or by a fix
            self.model_combo.set_mode(mode, self.context.model_name)
        self.check_model()

    def schedule_check(self) -> None:
        self._check_seq += 1  # a check still running answers for labels that changed since
        self._check_timer.start()

    def check_model(self) -> None:
        """Find the model that scores the editor's labels under the shared mode and whether
        it reads their language (in the background); ``modelChecked`` follows."""
        self._check_timer.stop()
        self._check_seq += 1
        seq = self._check_seq
        texts = tuple(label_texts(self.editor.labels_text()))
        mode = self.mode()
        engine = self.context.engine

        def check() -> ModelCheck | None:
            if not engine.reader().model_counts():
                return None  # nothing indexed: the panel says so when scoring
            probe = texts or ("photo",)
            model_id = engine.model_for(probe, mode)
            mismatch = engine.language_check(texts, model_id) if texts else None
            return ModelCheck(texts, mode, model_id, mismatch)

        self.context.run_task(check, lambda found: self._apply_check(seq, found),
                              lambda _message: self._apply_check(seq, None))

    def _apply_check(self, seq: int, found: ModelCheck | None) -> None:
        if seq != self._check_seq:
            return
        self.last_check = found
        if found is None:
            self.model_note.hide()
            self._show_mismatch(None)
        else:
            if found.mode == found.model_id:
                self.model_note.hide()
            else:
                self._show_model_note(found)
            self._show_mismatch(found.mismatch)
        self.modelChecked.emit()

    def _show_model_note(self, found: ModelCheck) -> None:
        name = self.context.model_name(found.model_id)
        info = self.context.model_info(found.model_id)
        from clipdesk.core.languages import text_language

        language = text_language(found.texts)
        if found.texts and info is not None and info.speaks(language):
            text = self.tr("Scored with: %1, it reads %2").replace("%1", name).replace(
                "%2", language_name(language))
        else:
            text = self.tr("Scored with: %1").replace("%1", name)
        self.model_note.setText(text)
        self.model_note.show()

    def _show_mismatch(self, mismatch: LanguageMismatch | None) -> None:
        self.mismatch = mismatch
        if mismatch is None:
            self.language_box.hide()
            return
        name = self.context.model_name
        text = language_warning(mismatch, name)  # worded as in the other panels
        if mismatch.readers:
            self.fix_button.setText(self.tr("Use %1").replace("%1", name(mismatch.readers[0])))
            self.fix_button.show()
        elif mismatch.installable:
            self.fix_button.setText(self.tr("Index with %1…").replace(
                "%1", name(mismatch.installable[0])))
            self.fix_button.show()
        else:
            self.fix_button.hide()
        self.language_label.setText(text)
        self.language_box.show()

    def _on_fix_clicked(self) -> None:
        mismatch = self.mismatch
        if mismatch is None or mismatch.fix is None:
            return
        if mismatch.readers:
            self.context.set_search_mode(mismatch.fix)  # searchModeChanged re-checks
        else:
            self.indexWithRequested.emit(mismatch.fix)

    # -- scope ---------------------------------------------------------------------------------

    def set_folder(self, folder: Path | None) -> None:
        """Tag only the photos under ``folder`` (None: the whole library)."""
        self.scope_combo.set_folder(folder)

    def scope(self) -> tuple[tuple[int, ...] | None, Path | None]:
        """``(root_ids, folder)`` of the chosen photos."""
        return self.scope_combo.scope()

    # -- scoring -------------------------------------------------------------------------------

    def model_id(self) -> str | None:
        """The model that scores the labels as last checked (None: not known yet)."""
        return self.last_check.model_id if self.last_check is not None else None

    def score_photos(self) -> bool:
        """Start the scoring job for the editor's labels; False when it cannot start."""
        if self.jobs.is_running():
            return False
        try:
            label_set = self.editor.label_set()
        except ClipdeskError as exc:
            self._fail(str(exc))
            return False
        mode = self.mode()
        root_ids, folder = self.scope()
        engine = self.context.engine

        self.scored_labels = label_set

        def job(token: CancelToken, progress: ProgressCallback
                ) -> tuple[TagScores, LanguageMismatch | None]:
            model_id, mismatch = engine.tag_model(label_set, mode)
            return engine.score_tags(label_set, model_id, folder=folder, root_ids=root_ids,
                                     token=token, progress=progress), mismatch

        worker: JobWorker[tuple[TagScores, LanguageMismatch | None]] = JobWorker(
            job, name="tag scores", parent=self)
        worker.finished.connect(self._on_scored)
        self._start(worker, self.tr("Loading the model and encoding the labels…"))
        return True

    def _on_scored(self, result: tuple[TagScores, LanguageMismatch | None]) -> None:
        scores, mismatch = result
        self.scores = self.plain_scores = scores
        self.checked_rule = None
        self.tag_check.set_status("")
        self._show_mismatch(mismatch)  # the labels as scored, whatever was typed since
        if scores.missing:
            text = self.tr("%1 photos scored; %2 have no vectors of this model yet.")
            text = text.replace("%2", str(scores.missing))
        else:
            text = self.tr("%1 photos scored.")
        self.jobs.set_message(text.replace("%1", str(len(scores.file_ids))))
        self.update_preview()
        self.scoresReady.emit()

    # -- rule and preview ----------------------------------------------------------------------

    def rule(self) -> TagRule:
        """The rule the sliders describe."""
        return self.rule_editor.rule()

    def set_rule(self, min_prob: float | None, min_cos: float | None) -> None:
        self.rule_editor.set_rule(min_prob, min_cos)

    def preview_counts(self) -> dict[str, int]:
        """Photos per label under the current rule (empty before scoring)."""
        return self.scores.counts(self.rule()) if self.scores is not None else {}

    # -- descriptions by a language model (CuPL) ------------------------------------------------

    def describe_labels(self, spec: str | None = None) -> bool:
        """Let a language model write descriptions of the editor's labels (asks which, unless
        ``spec`` says); they are put into the label lines to keep or edit."""
        names = self.editor.label_names()
        if not names:
            self._fail(self.tr("Write the labels first, one per line."))
            return False
        if self.jobs.is_running():
            return False
        spec = spec or choose_writer(self, self.context)
        if spec is None:
            return False
        worker = describe_job(self.context, names, spec, self)
        worker.finished.connect(self._on_described)
        self._start(worker, self.tr("A language model writes descriptions…")
                    + cpu_estimate(self.context, spec, 4 * len(names), writer=True))
        return True

    def _on_described(self, found: dict[str, list[str]]) -> None:
        self.editor.add_descriptions(found)
        self.jobs.set_message(self.tr("%1 descriptions written: keep, edit or delete them, then "
                                      "score again.").replace(
            "%1", str(sum(len(v) for v in found.values()))))
        self.labelsDescribed.emit()

    # -- the VLM check -------------------------------------------------------------------------

    def check_tags(self) -> bool:
        """Let the chosen VLM confirm the tags the rule gives (a background job); the preview
        then counts only the confirmed ones. False when it cannot start."""
        spec = self.tag_check.picker.spec()
        if (self.plain_scores is None or self.scored_labels is None or spec is None
                or self.jobs.is_running()):
            return False
        scores, rule, labels = self.plain_scores, self.rule(), self.scored_labels
        engine = self.context.engine

        def job(token: CancelToken, progress: ProgressCallback) -> tuple[TagScores, Any]:
            return engine.confirm_tags(scores, rule, labels, spec, download=True, token=token,
                                       progress=progress)

        worker: JobWorker[tuple[TagScores, Any]] = JobWorker(job, name="tag check",
                                                             parent=self)
        worker.finished.connect(lambda result: self._on_checked(rule, result))
        pairs = int(scores.mask(rule).sum())
        self._start(worker, self.tr("A vision-language model checks the tags…")
                    + cpu_estimate(self.context, spec, pairs))
        return True

    def _on_checked(self, rule: TagRule, result: tuple[TagScores, Any]) -> None:
        scores, report = result
        self.scores, self.checked_rule = scores, rule
        self.tag_check.set_status(self.tr("It rejected %1 of %2 tags (%3 photos looked at, "
                                          "%4 s).").replace("%1", str(report.rejected))
                                  .replace("%2", str(report.checked))
                                  .replace("%3", str(report.asked))
                                  .replace("%4", f"{report.seconds:.1f}"))
        self.update_preview()
        self.tagsChecked.emit()

    def _drop_check(self) -> None:
        """Back to the scores as they were (the check is off, or its rule no longer holds)."""
        if self.checked_rule is not None:
            self.scores, self.checked_rule = self.plain_scores, None
            self.update_preview()

    def update_preview(self) -> None:
        if self.checked_rule is not None and self.checked_rule != self.rule():
            self.scores, self.checked_rule = self.plain_scores, None
            self.tag_check.set_status(self.tr("The rule changed: check again."))
        if self.scores is None:
            self.preview_label.setText(self.tr("Score photos to preview their tags."))
        else:
            tagged = int(self.scores.mask(self.rule()).any(axis=1).sum())
            self.preview_label.setText(self.tr("%1 of %2 photos get at least one tag.").replace(
                "%1", str(tagged)).replace("%2", str(len(self.scores.file_ids))))
        self._fill_table()
        if self.shown_label is not None and self._preview_has(self.shown_label):
            self.show_tag(self.shown_label)

    def _fill_table(self) -> None:
        self.tag_table.fill(self.preview_counts(), self.saved_counts, self.shown_label)

    def table_counts(self, column: int = COL_PREVIEW) -> dict[str, int | None]:
        """``{label: count}`` as the tag list shows it (for tests and scripts)."""
        return self.tag_table.counts(column)

    # -- saving --------------------------------------------------------------------------------

    def save_tags(self) -> bool:
        """Store the previewed tags as automatic tags, once the person confirmed what that
        writes and replaces (counted in the background first); then a background job through
        the writer. False when nothing can be saved now."""
        if self.scores is None or self.jobs.is_running():
            return False
        scores, rule, engine = self.scores, self.rule(), self.context.engine
        self.save_button.setEnabled(False)

        def confirm(plan: SavePlan) -> None:
            self._sync_buttons()
            if self.ask(self.tr("Save tags"), self.save_question(plan)):
                self._start_save(scores, rule)
            else:
                self.jobs.set_message(self.tr("Nothing was saved."))

        def failed(message: str) -> None:
            self._sync_buttons()
            self._fail(message)

        self.context.run_task(lambda: engine.plan_tag_save(scores, rule), confirm, failed)
        return True

    def save_question(self, plan: SavePlan) -> str:
        """"Tag 1,593 photos “蓝色”…?" with every label's count and what is replaced."""
        lines = [self.tr("Tag %1 photos “%2”").replace("%1", f"{n:,}").replace("%2", label)
                 for label, n in plan.counts.items() if n]
        if lines:  # the list and its question mark come from the translation (「？」 in Chinese)
            text = self.tr("%1?", "a list of 'Tag n photos “label”' lines as one question"
                           ).replace("%1", self.tr(",\n").join(lines))
        else:
            text = self.tr("No photo gets any of these tags under this rule. Save anyway?")
        text += "\n\n" + self.tr("%1 photos are scored: their automatic tags of these labels "
                                  "are replaced.").replace("%1", f"{plan.photos:,}")
        if plan.replaced_total:
            text += " " + self.tr("(%1 earlier automatic tags of these labels are replaced.)"
                                  ).replace("%1", f"{plan.replaced_total:,}")
        text += "\n" + self.tr("Tags you set yourself are kept. Undo puts back what was there.")
        return text

    def _ask(self, title: str, question: str) -> bool:
        if not errors.dialogs_enabled:
            return False
        answer = QMessageBox.question(self, title, question)
        return answer == QMessageBox.StandardButton.Yes

    def _start_save(self, scores: TagScores, rule: TagRule) -> None:
        if self.jobs.is_running():
            return
        engine = self.context.engine

        def job(token: CancelToken, progress: ProgressCallback) -> TaggingReport:
            return engine.save_tags(scores, rule, token=token, progress=progress)

        worker: JobWorker[TaggingReport] = JobWorker(job, name="save tags", parent=self)
        worker.finished.connect(self._on_saved)
        self._start(worker, self.tr("Saving tags…"))

    # -- undo ----------------------------------------------------------------------------------

    def undo_last_save(self) -> bool:
        """Undo the newest tag change (this panel's last save, or a rename, merge or delete
        made since) in a background job; ``undone`` follows. False when a job runs."""
        if self.jobs.is_running():
            return False
        engine = self.context.engine

        def job(token: CancelToken, progress: ProgressCallback) -> TagChange | None:
            return engine.undo_tag_save(token=token, progress=progress)

        worker: JobWorker[TagChange | None] = JobWorker(job, name="undo tags", parent=self)
        worker.finished.connect(self._on_undone)
        self._start(worker, self.tr("Undoing…"))
        return True

    def _on_undone(self, change: TagChange | None) -> None:
        if change is None:
            self.jobs.set_message(self.tr("There is no tag change to undo."))
        else:
            self.jobs.set_message(self.tr("Undone: %1. The tags of %2 photos are as they were "
                                          "before.").replace("%1", change_text(change)).replace(
                "%2", f"{change.photos:,}"))
        self.undone.emit(change)

    def _on_saved(self, report: TaggingReport) -> None:
        self.last_report = report
        if report.cancelled:
            text = self.tr("Cancelled: the tags of %1 photos were saved.")
        else:
            text = self.tr("Tags saved for %1 photos.")
        self.jobs.set_message(text.replace("%1", str(report.written)))
        self.tagsSaved.emit(report)

    # -- jobs ----------------------------------------------------------------------------------

    def _start(self, worker: JobWorker[Any], text: str) -> None:
        self._worker = worker
        self.last_error = ""
        worker.failed.connect(self._fail)
        worker.cancelled.connect(lambda: self.jobs.set_message(self.tr("Cancelled.")))
        worker.done.connect(self._on_job_done)
        self.jobs.follow(worker, text)
        self._sync_buttons()
        start_job(worker)

    def _on_job_done(self) -> None:
        self._worker = None
        self._sync_buttons()

    def _fail(self, message: str) -> None:
        self.last_error = message
        self.jobs.set_message(message)
        self.jobFailed.emit(message)

    def cancel(self) -> None:
        self.jobs.cancel()

    def _sync_buttons(self) -> None:
        busy = self._worker is not None
        self.score_button.setEnabled(not busy)
        self.save_button.setEnabled(not busy and self.scores is not None)
        self.export_button.setEnabled(not busy)
        change = self.last_change
        self.undo_button.setEnabled(not busy and change is not None)
        self.undo_button.setToolTip(
            self.tr("Undo %1").replace("%1", change_text(change)) if change is not None
            else self.tr("Nothing to undo"))

    # -- grid ----------------------------------------------------------------------------------

    def _preview_has(self, label: str) -> bool:
        return self.scores is not None and label in self.scores.labels

    def _on_cell_clicked(self, row: int, _column: int) -> None:
        label = self.tag_table.label_at(row)
        if label is not None:
            self.show_tag(label)

    def show_tag(self, label: str) -> None:
        """Show the photos of ``label`` in the grid: the preview's while scores are kept for it
        (best cosine first), else those with the saved tag."""
        self.shown_label = label
        self._grid_seq += 1
        seq = self._grid_seq
        library = self.context.library
        if self.scores is not None and self._preview_has(label):
            lookup = preview_photos(self.scores, self.rule(), label)

            def fetch() -> TagPhotos:
                return lookup(library())
        else:
            def fetch() -> TagPhotos:
                return saved_photos(library(), label)

        self.context.run_task(fetch, lambda found: self._show_photos(seq, found),
                              lambda message: self._grid_failed(seq, message))

    def _show_photos(self, seq: int, found: TagPhotos) -> None:
        if seq != self._grid_seq:
            return
        self.results.set_results(found.hits, found.photos, found.tags)
        if found.preview:
            text = self.tr("Preview: %1 photos would be tagged “%2”")
        else:
            text = self.tr("%1 photos tagged “%2”")
        self.grid_label.setText(text.replace("%1", str(len(found.hits))).replace(
            "%2", found.label))
        self.view.set_empty_message(self.tr("No photo has this tag."))
        self.gridUpdated.emit()

    def _grid_failed(self, seq: int, message: str) -> None:
        if seq == self._grid_seq:
            self.results.clear()
            self.view.set_empty_message(message)
            self.gridUpdated.emit()

    # -- export --------------------------------------------------------------------------------

    def export_csv(self, path: Path | None = None) -> None:
        """Write the saved tags (automatic and manual) of every photo as CSV; asks for a file
        when ``path`` is None. ``exported(rows)`` follows."""
        if path is None:
            name, _ = QFileDialog.getSaveFileName(
                self, self.tr("Export tags"), "tags.csv", self.tr("CSV files (*.csv)"))
            if not name:
                return
            path = Path(name)
        target = path
        library = self.context.library

        def write() -> int:
            from clipdesk.core.tagging import export_tags_csv

            try:
                return export_tags_csv(library(), target)
            except OSError as exc:
                raise ClipdeskError(f"Cannot write {target}: {exc.strerror or exc}") from exc

        self.context.run_task(write, self._on_exported, self._fail)

    def _on_exported(self, rows: int) -> None:
        self.jobs.set_message(self.tr("%1 tags exported.").replace("%1", str(rows)))
        self.exported.emit(rows)

    # -- shutdown ------------------------------------------------------------------------------

    def shutdown(self) -> None:
        """Cancel a running job and stop loading thumbnails (the window is closing)."""
        stop_job(self._worker, STOP_TIMEOUT_MS)
        self.loader.shutdown()

