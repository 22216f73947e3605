"""The "Tagging" tab: tag the library with your own labels (zero-shot), preview, save, export.

Two background jobs, both cancellable :class:`~clipdesk.gui.workers.JobWorker` s:

1. *Score* (read-only): label vectors for the chosen model, then every photo of the scope scored
   against them (:func:`clipdesk.core.tagging.compute_scores`); the panel keeps the
   :class:`~clipdesk.core.tagging.TagScores`.
2. *Save*: :func:`clipdesk.core.tagging.apply_tags` with the rule the sliders describe (automatic
   tags replaced, manual ones kept), through the one writer.

Between the two, the sliders (minimum probability, minimum cosine, both/either, at most n tags)
re-derive the tags from the kept scores with the pure :meth:`TagScores.counts`, so the preview
column follows them live without encoding anything. Clicking a tag shows its photos in the grid:
the preview's photos while scores are kept for that label, else the photos with the saved tag.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
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
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from clipdesk.core.errors import ClipdeskError
from clipdesk.core.tagging import TaggingReport, TagRule, TagScores
from clipdesk.core.types import Root
from clipdesk.gui.panels.jobbar import JobBar
from clipdesk.gui.panels.label_editor import LabelSetEditor
from clipdesk.gui.panels.layout import inputs_and_results
from clipdesk.gui.panels.tag_widgets import (
    COL_PREVIEW,
    ScopeCombo,
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


@dataclass(frozen=True)
class TagFacts:
    """What the library says, read in the background: models with vectors, roots, saved tags."""

    model_counts: dict[str, int]
    roots: tuple[Root, ...]
    labels: dict[str, int]


class TaggingPanel(QWidget):
    """Label editor, scoring job, live rule preview, saving, tag list and a grid."""

    scoresReady = Signal()  # a scoring job finished: ``scores`` is set
    tagsSaved = Signal(object)  # TaggingReport of a save job
    jobFailed = Signal(str)
    factsRefreshed = Signal()  # models, folders and saved tags were re-read
    gridUpdated = Signal()  # the grid shows a tag's photos
    exported = Signal(int)  # rows written by an export
    findSimilarRequested = Signal(int)

    def __init__(self, context: AppContext, parent: QWidget | None = None, *,
                 thumbnails: ThumbnailLoader | None = None) -> None:
        super().__init__(parent)
        self.context = context
        self.scores: TagScores | None = None
        self.saved_counts: dict[str, int] = {}
        self.last_report: TaggingReport | None = None
        self.last_error = ""
        self.shown_label: str | None = None
        self._worker: JobWorker[Any] | None = None
        self._grid_seq = 0

        self.editor = LabelSetEditor(self)
        self.model_combo = QComboBox(self)
        self.model_combo.setToolTip(self.tr("Photos are scored with the vectors of this model"))
        self.scope_combo = ScopeCombo(self)
        self.score_button = QPushButton(self.tr("Score photos"), self)
        self.score_button.setDefault(True)
        self.jobs = JobBar(self)

        self.rule_editor = TagRuleEditor(self)
        self.save_button = QPushButton(self.tr("Save tags"), self)
        self.save_button.setToolTip(self.tr(
            "Replace the automatic tags of the scored photos; tags set by hand are kept"))
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
        self.export_button.clicked.connect(lambda: self.export_csv())
        self.refresh_button.clicked.connect(self.refresh_facts)
        self.rule_editor.changed.connect(self.update_preview)
        self.tag_table.cellClicked.connect(self._on_cell_clicked)
        context.libraryChanged.connect(self.refresh_facts)
        self.update_preview()
        self._sync_buttons()
        self.refresh_facts()

    def _build_layout(self) -> None:
        run_box = QGroupBox(self.tr("Labels"), self)
        form = QFormLayout()
        form.addRow(self.tr("Model:"), self.model_combo)
        form.addRow(self.tr("Photos:"), self.scope_combo)
        run_layout = QVBoxLayout(run_box)
        run_layout.addWidget(self.editor, 1)
        run_layout.addLayout(form)
        run_layout.addWidget(self.score_button)

        rule_box = QGroupBox(self.tr("When does a label become a tag?"), self)
        rule = QVBoxLayout(rule_box)
        rule.addWidget(self.rule_editor)
        rule.addWidget(self.preview_label)
        rule.addWidget(self.save_button)

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
            return TagFacts(counts, tuple(library.roots()), library.labels())

        self.context.run_task(facts, self._apply_facts, self._on_facts_failed)

    def _on_facts_failed(self, message: str) -> None:
        self.jobs.set_message(message)
        self.factsRefreshed.emit()

    def _apply_facts(self, facts: TagFacts) -> None:
        current = self.model_combo.currentData() or self.context.current_model_id()
        self.model_combo.clear()
        for model_id in sorted(facts.model_counts, key=lambda m: -facts.model_counts[m]):
            text = self.tr("%1 (%2 photos)").replace("%1", self.context.model_name(model_id))
            self.model_combo.addItem(text.replace("%2", str(facts.model_counts[model_id])),
                                     model_id)
        index = self.model_combo.findData(current)
        self.model_combo.setCurrentIndex(max(0, index))
        self.scope_combo.set_roots(facts.roots)
        self.saved_counts = dict(facts.labels)
        self._fill_table()
        self._sync_buttons()
        self.factsRefreshed.emit()

    # -- scope ---------------------------------------------------------------------------------

    def set_folder(self, folder: Path | None) -> None:
        """Tag only the photos under ``folder`` (None: the whole library)."""
        self.scope_combo.set_folder(folder)

    def scope(self) -> tuple[tuple[int, ...] | None, Path | None]:
        """``(root_ids, folder)`` of the chosen photos."""
        return self.scope_combo.scope()

    # -- scoring -------------------------------------------------------------------------------

    def model_id(self) -> str:
        data = self.model_combo.currentData()
        return str(data) if data else self.context.current_model_id()

    def score_photos(self) -> bool:
        """Start the scoring job for the editor's labels; False when it cannot start."""
        if self.jobs.is_running():
            return False
        try:
            label_set = self.editor.label_set()
        except ClipdeskError as exc:
            self._fail(str(exc))
            return False
        model_id = self.model_id()
        root_ids, folder = self.scope()
        engine = self.context.engine

        def job(token: CancelToken, progress: ProgressCallback) -> TagScores:
            return engine.score_tags(label_set, model_id, folder=folder, root_ids=root_ids,
                                     token=token, progress=progress)

        worker: JobWorker[TagScores] = JobWorker(job, name="tag scores", parent=self)
        worker.finished.connect(self._on_scored)
        self._start(worker, self.tr("Loading the model and encoding the labels…"))
        return True

    def _on_scored(self, scores: TagScores) -> None:
        self.scores = scores
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

    def update_preview(self) -> None:
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
        """Store the previewed tags as automatic tags (a background job through the writer)."""
        if self.scores is None or self.jobs.is_running():
            return False
        scores, rule, engine = self.scores, self.rule(), self.context.engine

        def job(token: CancelToken, progress: ProgressCallback) -> TaggingReport:
            return engine.save_tags(scores, rule, token=token, progress=progress)

        worker: JobWorker[TaggingReport] = JobWorker(job, name="save tags", parent=self)
        worker.finished.connect(self._on_saved)
        self._start(worker, self.tr("Saving tags…"))
        return True

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

