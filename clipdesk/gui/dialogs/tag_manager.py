"""Library ▸ Manage tags…: every tag with its photos (yours / automatic); rename, merge, delete,
show its photos, and undo the newest tag change.

Each change is one engine job through the library's one writer (a background
:class:`~clipdesk.gui.workers.JobWorker`) and is journaled, so "Undo" puts back exactly what was
there (the same journal as the tagging panel's "Undo" and ``clipdesk-cli tags undo``). A delete
asks first, with the number of photos that lose the tag. "Show photos" emits
:attr:`TagManagerDialog.showPhotosRequested`; the window runs a search filtered by that tag.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QCoreApplication, Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QHBoxLayout,
    QHeaderView,
    QInputDialog,
    QLabel,
    QMessageBox,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from clipdesk.core.store.records import TagChange, TagChangeKind, TagCount
from clipdesk.gui.dialogs import errors
from clipdesk.gui.workers import JobWorker, start_job, stop_job

if TYPE_CHECKING:
    from clipdesk.core.jobs import CancelToken, ProgressCallback
    from clipdesk.gui.context import AppContext

COL_TAG, COL_MANUAL, COL_AUTO = 0, 1, 2
STOP_TIMEOUT_MS = 10_000


def change_text(change: TagChange) -> str:
    """What a journaled tag change did, in a few words: "saving tags “蓝色”, “红色”"."""
    quoted = ", ".join(f"“{label}”" for label in change.labels)
    if change.kind is TagChangeKind.SAVE:
        return QCoreApplication.translate("TagChanges", "saving tags %1").replace("%1", quoted)
    if change.kind is TagChangeKind.RENAME:
        return QCoreApplication.translate("TagChanges", "renaming “%1” to “%2”").replace(
            "%1", change.labels[0]).replace("%2", change.labels[-1])
    if change.kind is TagChangeKind.MERGE:
        merged = ", ".join(f"“{label}”" for label in change.labels[:-1])
        return QCoreApplication.translate("TagChanges", "merging %1 into “%2”").replace(
            "%1", merged).replace("%2", change.labels[-1])
    return QCoreApplication.translate("TagChanges", "deleting %1").replace("%1", quoted)


class TagManagerDialog(QDialog):
    """The tags of the library and what can be done with them."""

    refreshed = Signal()  # the list was re-read
    changed = Signal(object)  # a TagChange done or undone (None: nothing to undo)
    failed = Signal(str)
    showPhotosRequested = Signal(str)  # search the photos carrying this tag

    def __init__(self, context: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.context = context
        self.setWindowTitle(self.tr("Manage tags"))
        self.counts: list[TagCount] = []
        self.last_change: TagChange | None = None
        self._worker: JobWorker[Any] | None = None
        # replaced in tests: (title, question) -> yes?; (title, prompt, text) -> text or None
        self.confirm: Callable[[str, str], bool] = self._confirm
        self.ask_text: Callable[[str, str, str], str | None] = self._ask_text

        self.table = QTableWidget(0, 3, self)
        self.table.setHorizontalHeaderLabels([self.tr("Tag"), self.tr("Yours"),
                                              self.tr("Automatic")])
        self.table.verticalHeader().hide()
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(COL_TAG, QHeaderView.ResizeMode.Stretch)
        for col in (COL_MANUAL, COL_AUTO):
            header.setSectionResizeMode(col, QHeaderView.ResizeMode.ResizeToContents)
        self.rename_button = QPushButton(self.tr("Rename…"), self)
        self.merge_button = QPushButton(self.tr("Merge…"), self)
        self.merge_button.setToolTip(self.tr("Make the selected tags one tag"))
        self.delete_button = QPushButton(self.tr("Delete…"), self)
        self.show_button = QPushButton(self.tr("Show photos"), self)
        self.undo_button = QPushButton(self.tr("Undo"), self)
        self.close_button = QPushButton(self.tr("Close"), self)
        self.status = QLabel(self)
        self.status.setTextFormat(Qt.TextFormat.PlainText)
        self.status.setWordWrap(True)

        side = QVBoxLayout()
        for button in (self.rename_button, self.merge_button, self.delete_button,
                       self.show_button):
            side.addWidget(button)
        side.addStretch(1)
        side.addWidget(self.undo_button)
        body = QHBoxLayout()
        body.addWidget(self.table, 1)
        body.addLayout(side)
        bottom = QHBoxLayout()
        bottom.addWidget(self.status, 1)
        bottom.addWidget(self.close_button)
        layout = QVBoxLayout(self)
        layout.addLayout(body, 1)
        layout.addLayout(bottom)
        self.resize(560, 460)

        self.rename_button.clicked.connect(self.rename_selected)
        self.merge_button.clicked.connect(self.merge_selected)
        self.delete_button.clicked.connect(self.delete_selected)
        self.show_button.clicked.connect(self.show_selected)
        self.undo_button.clicked.connect(self.undo)
        self.close_button.clicked.connect(self.close)
        self.table.itemSelectionChanged.connect(self._sync_buttons)
        self.table.itemDoubleClicked.connect(lambda _item: self.show_selected())
        context.libraryChanged.connect(self.refresh)
        self._sync_buttons()
        self.refresh()

    # -- the list ------------------------------------------------------------------------------

    def refresh(self) -> None:
        engine = self.context.engine

        def read() -> tuple[list[TagCount], TagChange | None]:
            return engine.tag_counts(), engine.last_tag_change()

        self.context.run_task(read, self._fill, self._fail)

    def _fill(self, found: tuple[list[TagCount], TagChange | None]) -> None:
        keep = set(self.selected_labels())
        self.counts, self.last_change = found
        self.table.setRowCount(len(self.counts))
        self.table.blockSignals(True)
        self.table.clearSelection()
        for row, count in enumerate(self.counts):
            self.table.setItem(row, COL_TAG, QTableWidgetItem(count.label))
            for col, value in ((COL_MANUAL, count.manual), (COL_AUTO, count.automatic)):
                cell = QTableWidgetItem(f"{value:,}" if value else "")
                cell.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                self.table.setItem(row, col, cell)
        for row, count in enumerate(self.counts):
            if count.label in keep:
                self.table.selectRow(row)
        self.table.blockSignals(False)
        if not self.counts:
            self.status.setText(self.tr("No photo has a tag yet."))
        self._sync_buttons()
        self.refreshed.emit()

    def labels(self) -> list[str]:
        return [c.label for c in self.counts]

    def selected_labels(self) -> list[str]:
        rows = sorted({index.row() for index in self.table.selectionModel().selectedRows()})
        return [self.counts[r].label for r in rows if r < len(self.counts)]

    def select(self, labels: list[str]) -> None:
        self.table.clearSelection()
        mode = self.table.selectionMode()
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.MultiSelection)
        for row, count in enumerate(self.counts):
            if count.label in labels:
                self.table.selectRow(row)
        self.table.setSelectionMode(mode)

    def _count(self, label: str) -> TagCount:
        return next((c for c in self.counts if c.label == label), TagCount(label, 0, 0))

    def _sync_buttons(self) -> None:
        busy = self._worker is not None
        n = len(self.selected_labels())
        self.rename_button.setEnabled(not busy and n == 1)
        self.merge_button.setEnabled(not busy and n >= 2)
        self.delete_button.setEnabled(not busy and n >= 1)
        self.show_button.setEnabled(n == 1)
        self.undo_button.setEnabled(not busy and self.last_change is not None)
        self.undo_button.setToolTip(
            self.tr("Undo %1").replace("%1", change_text(self.last_change))
            if self.last_change is not None else self.tr("Nothing to undo"))

    # -- actions -------------------------------------------------------------------------------

    def rename_selected(self) -> bool:
        labels = self.selected_labels()
        if len(labels) != 1:
            return False
        new = self.ask_text(self.tr("Rename tag"),
                            self.tr("New name of the tag “%1”:").replace("%1", labels[0]),
                            labels[0])
        if not new or not new.strip() or new.strip() == labels[0]:
            return False
        engine, old, name = self.context.engine, labels[0], new.strip()
        return self._run(lambda token, progress: engine.rename_tag(old, name, token=token,
                                                                   progress=progress))

    def merge_selected(self) -> bool:
        labels = self.selected_labels()
        if len(labels) < 2:
            return False
        into = self.ask_text(
            self.tr("Merge tags"),
            self.tr("Merge %1 into one tag named:").replace(
                "%1", ", ".join(f"“{label}”" for label in labels)),
            labels[0])
        if not into or not into.strip():
            return False
        engine, name = self.context.engine, into.strip()
        return self._run(lambda token, progress: engine.merge_tags(labels, name, token=token,
                                                                   progress=progress))

    def delete_selected(self) -> bool:
        labels = self.selected_labels()
        if not labels:
            return False
        counts = [self._count(label) for label in labels]
        lines = [self.tr("Delete the tag “%1” from %2 photos (%3 tagged by you, %4 "
                         "automatically)?").replace("%1", c.label).replace(
            "%2", f"{c.total:,}").replace("%3", f"{c.manual:,}").replace(
            "%4", f"{c.automatic:,}") for c in counts]
        question = "\n".join(lines) + "\n\n" + self.tr("Undo puts them back.")
        if not self.confirm(self.tr("Delete tags"), question):
            return False
        engine = self.context.engine

        def job(token: CancelToken, progress: ProgressCallback) -> TagChange | None:
            change = None
            for label in labels:
                token.check()
                change = engine.delete_tag(label, token=token, progress=progress)
            return change

        return self._run(job)

    def show_selected(self) -> bool:
        labels = self.selected_labels()
        if len(labels) != 1:
            return False
        self.showPhotosRequested.emit(labels[0])
        return True

    def undo(self) -> bool:
        engine = self.context.engine
        return self._run(lambda token, progress: engine.undo_tag_save(token=token,
                                                                      progress=progress),
                         undo=True)

    # -- jobs ----------------------------------------------------------------------------------

    def _run(self, fn: Callable[[CancelToken, ProgressCallback], TagChange | None], *,
             undo: bool = False) -> bool:
        if self._worker is not None:
            return False
        worker: JobWorker[TagChange | None] = JobWorker(fn, name="tags", parent=self)
        worker.finished.connect(lambda change: self._on_done(change, undo))
        worker.failed.connect(self._fail)
        worker.done.connect(self._on_worker_done)
        self._worker = worker
        self.status.setText(self.tr("Working…"))
        self._sync_buttons()
        start_job(worker)
        return True

    def _on_worker_done(self) -> None:
        self._worker = None
        self._sync_buttons()

    def _on_done(self, change: TagChange | None, undo: bool) -> None:
        if change is None:
            self.status.setText(self.tr("There is no tag change to undo."))
        elif undo:
            self.status.setText(self.tr("Undone: %1.").replace("%1", change_text(change)))
        else:
            self.status.setText(self.tr("Done: %1 (%2 photos). Undo puts it back.").replace(
                "%1", change_text(change)).replace("%2", f"{change.photos:,}"))
        self.changed.emit(change)
        self.refresh()

    def _fail(self, message: str) -> None:
        self.status.setText(message)
        self.failed.emit(message)

    # -- questions -----------------------------------------------------------------------------

    def _confirm(self, title: str, question: str) -> bool:
        if not errors.dialogs_enabled:
            return False
        answer = QMessageBox.question(self, title, question)
        return answer == QMessageBox.StandardButton.Yes

    def _ask_text(self, title: str, prompt: str, text: str) -> str | None:
        if not errors.dialogs_enabled:
            return None
        value, ok = QInputDialog.getText(self, title, prompt, text=text)
        return value if ok else None

    def done(self, result: int) -> None:
        stop_job(self._worker, STOP_TIMEOUT_MS)
        self.context.libraryChanged.disconnect(self.refresh)
        super().done(result)
