"""Indexing from the GUI: a controller running :meth:`Engine.index` in a JobWorker, and its
progress bar.

Requests (add folders, re-scan, remove a root, forget missing photos) arriving while a job runs
stop that job between batches (nothing committed is lost) and start one job doing both the
interrupted work and the new request; the new job only embeds what is still missing. A job
that finds another clipdesk writing waits its turn (shown as "Waiting for …"). Closing cancels,
quits and waits with a timeout.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QObject, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QProgressBar, QPushButton, QWidget

from clipdesk.core.errors import StoreCorrupt
from clipdesk.core.jobs import CancelToken, ProgressCallback
from clipdesk.core.store.queries import normalize_path
from clipdesk.core.types import IndexReport, Progress, Root, Stage
from clipdesk.gui.context import AppContext
from clipdesk.gui.workers import JobWorker, start_job, stop_job

log = logging.getLogger(__name__)

LIBRARY_CHANGED_INTERVAL_S = 1.0  # during embedding, tell the panels at most this often


def _within(path: Path, folder: Path) -> bool:
    return path == folder or folder in path.parents


def format_duration(seconds: float) -> str:
    """A rough, translated duration: "40 s", "3 min", "1 h 5 min"."""
    s = max(0, round(seconds))
    translate = QCoreApplication.translate
    if s < 60:
        return translate("clipdesk", "%1 s").replace("%1", str(s))
    minutes = round(s / 60)
    if minutes < 60:
        return translate("clipdesk", "%1 min").replace("%1", str(minutes))
    return translate("clipdesk", "%1 h %2 min").replace("%1", str(minutes // 60)).replace(
        "%2", str(minutes % 60))


@dataclass(frozen=True)
class IndexRequest:
    """What a job does: remove roots, then add/re-scan ``paths`` (or every root) with
    ``model_id`` (set when the job starts: the current model then)."""

    paths: tuple[Path, ...] = ()
    remove: tuple[Root, ...] = ()
    rescan_all: bool = False
    purge: bool = False  # forget the files marked missing (the person said so)
    model_id: str = ""

    def merged(self, later: IndexRequest) -> IndexRequest:
        removed = [r.path for r in later.remove]
        paths = [p for p in (*self.paths, *later.paths)
                 if not any(_within(p, gone) for gone in removed)]
        return IndexRequest(
            paths=tuple(dict.fromkeys(paths)),
            remove=tuple({r.id: r for r in (*self.remove, *later.remove)}.values()),
            rescan_all=self.rescan_all or later.rescan_all,
            purge=self.purge or later.purge,
        )  # no model: a restarted job indexes with the model current when it starts

    @property
    def empty(self) -> bool:
        return not (self.paths or self.remove or self.rescan_all or self.purge)

    @property
    def indexes(self) -> bool:
        return bool(self.paths or self.rescan_all)


@dataclass
class _Running:
    request: IndexRequest
    worker: JobWorker[IndexReport | None]
    restart: bool = False  # cancelled to be merged with a newer request
    completed: bool = False  # the job returned; only its thread is still ending
    user_cancelled: bool = False
    last_notify: float = 0.0
    stage: Stage | None = None
    touched: list[Path] = field(default_factory=list)


class IndexingController(QObject):
    """Runs indexing jobs one at a time. Signals are delivered on the GUI thread."""

    started = Signal()
    progressed = Signal(object)  # Progress
    finished = Signal(object)  # IndexReport (report.cancelled when stopped) or None (removals)
    failed = Signal(str)
    runningChanged = Signal(bool)
    pausedChanged = Signal(bool)

    def __init__(self, context: AppContext, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.context = context
        self._running: _Running | None = None
        self._pending = IndexRequest()
        self._last: IndexRequest | None = None  # what the last stopped job was doing
        self._closing = False
        self.last_report: IndexReport | None = None

    # -- requests ------------------------------------------------------------------------------

    def add_folders(self, paths: Sequence[str | Path]) -> None:
        """Add folders as library roots and index them (existing roots are re-scanned)."""
        folders = tuple(normalize_path(Path(p).expanduser()) for p in paths)
        if folders:
            self._enqueue(IndexRequest(paths=folders))

    def rescan(self, root: Root | None = None) -> None:
        """Re-scan one root, or every root with ``None``; only new or changed files are read."""
        if root is None:
            self._enqueue(IndexRequest(rescan_all=True))
        else:
            self._enqueue(IndexRequest(paths=(root.path,)))

    def remove_root(self, root: Root) -> None:
        """Forget a root (its photos and vectors; the folder itself is untouched)."""
        self._enqueue(IndexRequest(remove=(root,)))

    def purge_missing(self) -> None:
        """Forget the photos marked missing, with their vectors and tags (asked by the
        person: the window confirms first)."""
        self._enqueue(IndexRequest(purge=True))

    def resume_last(self) -> None:
        """Start again what the last cancelled job was doing (it continues where it stopped)."""
        if self._last is not None:
            self._enqueue(self._last)

    def can_resume(self) -> bool:
        return self._last is not None

    def _enqueue(self, request: IndexRequest) -> None:
        if self._closing:
            return
        self._pending = self._pending.merged(request)
        running = self._running
        if running is not None:
            if not running.restart and not running.completed:
                running.restart = True
                running.worker.cancel()  # stops between batches; then _on_done starts the rest
            return
        self._start_pending()

    # -- control -------------------------------------------------------------------------------

    def is_running(self) -> bool:
        return self._running is not None

    def is_paused(self) -> bool:
        return self._running is not None and self._running.worker.paused

    def pause(self) -> None:
        if self._running is not None and not self._running.worker.paused:
            self._running.worker.pause()
            self.pausedChanged.emit(True)

    def resume(self) -> None:
        if self._running is not None and self._running.worker.paused:
            self._running.worker.resume()
            self.pausedChanged.emit(False)

    def cancel(self) -> None:
        """Stop indexing after the current batch; what was indexed stays."""
        self._pending = IndexRequest()
        running = self._running
        if running is not None:
            running.user_cancelled = True
            running.restart = False
            running.worker.cancel()
            self.pausedChanged.emit(False)

    def active_paths(self) -> tuple[Path, ...] | None:
        """Folders the running job indexes; ``None`` when it indexes every root; () idle."""
        running = self._running
        if running is None or not running.request.indexes:
            return ()
        return None if running.request.rescan_all else running.request.paths

    def stop(self, timeout_ms: int = 15_000) -> bool:
        """Cancel the running job and wait for it to end (its writer lock released); later
        requests still run. True when no job is left running."""
        self._pending = IndexRequest()
        running = self._running
        if running is None:
            return True
        running.user_cancelled = True
        running.restart = False
        return stop_job(running.worker, timeout_ms)

    def shutdown(self, timeout_ms: int = 15_000) -> bool:
        """Close = cancel, quit, wait with a timeout. True when no job is left running."""
        self._closing = True
        self._pending = IndexRequest()
        running = self._running
        if running is None:
            return True
        running.user_cancelled = True
        return stop_job(running.worker, timeout_ms)

    # -- the job -------------------------------------------------------------------------------

    def _start_pending(self) -> None:
        request = self._pending
        self._pending = IndexRequest()
        if request.empty or self._closing:
            return
        if request.indexes:
            request = replace(request, model_id=self.context.current_model_id())
        context = self.context

        def job(token: CancelToken, progress: ProgressCallback) -> IndexReport | None:
            return run_request(context, request, token, progress)

        worker: JobWorker[IndexReport | None] = JobWorker(job, name="index", parent=self)
        running = _Running(request, worker)
        worker.progress.connect(lambda p: self._on_progress(running, p))
        worker.finished.connect(lambda report: self._on_finished(running, report))
        worker.failed.connect(lambda message: self._on_failed(running, message))
        worker.cancelled.connect(lambda: self._on_cancelled(running))
        worker.done.connect(lambda: self._on_done(running))
        self._running = running
        self._last = None
        start_job(worker)
        self.runningChanged.emit(True)
        self.started.emit()

    def _on_progress(self, running: _Running, p: Progress) -> None:
        if running.restart:
            return
        self.progressed.emit(p)
        now = time.monotonic()
        stage_changed = p.stage != running.stage
        running.stage = p.stage
        if stage_changed or (p.stage is Stage.EMBEDDING
                             and now - running.last_notify >= LIBRARY_CHANGED_INTERVAL_S):
            running.last_notify = now
            self.context.notify_library_changed()

    def _on_finished(self, running: _Running, report: IndexReport | None) -> None:
        running.completed = True
        if report is not None:
            self.last_report = report
            if report.cancelled and not running.restart and not self._closing:
                self._last = running.request
        if not running.restart:
            self.finished.emit(report)

    def _on_failed(self, running: _Running, message: str) -> None:
        running.completed = True
        running.restart = False
        self._pending = IndexRequest()
        self.failed.emit(message)

    def _on_cancelled(self, running: _Running) -> None:
        # cancelled before the indexer started (e.g. while the model loaded)
        if not running.restart and not self._closing:
            self._last = running.request
            self.finished.emit(None)

    def _on_done(self, running: _Running) -> None:
        if self._running is running:
            self._running = None
        if running.restart:
            self._pending = running.request.merged(self._pending)
        if not self._pending.empty and not self._closing:
            self._start_pending()
        if self._running is None:
            self.runningChanged.emit(False)


def run_request(context: AppContext, request: IndexRequest, token: CancelToken,
                progress: ProgressCallback) -> IndexReport | None:
    """Do ``request`` (in a worker thread): one call of :meth:`Engine.index`."""
    try:
        return context.engine.index(
            request.paths if not request.rescan_all else None, model_id=request.model_id,
            remove_roots=[root.id for root in request.remove], purge=request.purge,
            scan=request.indexes, token=token, progress=progress)
    except StoreCorrupt as exc:
        context.report_damage(exc)
        raise


class IndexProgressWidget(QWidget):
    """Progress bar with count, photos/s and ETA, pause/resume and cancel buttons."""

    def __init__(self, controller: IndexingController, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.controller = controller
        self.label = QLabel()
        self.bar = QProgressBar()
        self.bar.setTextVisible(False)
        self.bar.setMaximumHeight(14)
        self.pause_button = QPushButton(self.tr("Pause"))
        self.cancel_button = QPushButton(self.tr("Cancel"))
        self.resume_last_button = QPushButton(self.tr("Continue"))
        self.resume_last_button.setToolTip(self.tr("Index what is left; finished photos are "
                                                   "not read again."))
        self.pause_button.clicked.connect(self.toggle_pause)
        self.cancel_button.clicked.connect(controller.cancel)
        self.resume_last_button.clicked.connect(controller.resume_last)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(6, 2, 6, 2)
        layout.addWidget(self.label, 1)
        layout.addWidget(self.bar, 2)
        layout.addWidget(self.pause_button)
        layout.addWidget(self.cancel_button)
        layout.addWidget(self.resume_last_button)
        controller.started.connect(self._on_started)
        controller.progressed.connect(self.show_progress)
        controller.finished.connect(self._on_finished)
        controller.failed.connect(self._on_failed)
        controller.pausedChanged.connect(self._on_paused)
        self.hide()

    def toggle_pause(self) -> None:
        if self.controller.is_paused():
            self.controller.resume()
        else:
            self.controller.pause()

    def _on_started(self) -> None:
        self.label.setText(self.tr("Starting…"))
        self.bar.setRange(0, 0)
        self.pause_button.setText(self.tr("Pause"))
        self.pause_button.show()
        self.cancel_button.show()
        self.resume_last_button.hide()
        self.show()

    def _on_paused(self, paused: bool) -> None:
        self.pause_button.setText(self.tr("Resume") if paused else self.tr("Pause"))
        if paused:
            self.label.setText(self.tr("Paused"))

    def show_progress(self, p: Progress) -> None:
        self.label.setText(progress_text(p, paused=self.controller.is_paused()))
        if p.total > 0 and p.stage in (Stage.EMBEDDING, Stage.HASHING, Stage.READING):
            self.bar.setRange(0, p.total)
            self.bar.setValue(p.done)
        else:
            self.bar.setRange(0, 0)

    def _on_finished(self, report: IndexReport | None) -> None:
        self.pause_button.hide()
        self.cancel_button.hide()
        if report is not None and report.cancelled:
            self.label.setText(self.tr("Indexing stopped. What was indexed is kept."))
            self.bar.setRange(0, 1)
            self.bar.setValue(0)
            self.resume_last_button.setVisible(self.controller.can_resume())
            return
        self.hide()

    def _on_failed(self, message: str) -> None:
        self.hide()


def progress_text(p: Progress, *, paused: bool = False) -> str:
    """One line for a progress report; ``paused``: the job is paused (no rate, no time left:
    batches already under way still report while it pauses)."""
    translate = QCoreApplication.translate
    if paused:
        if p.stage is Stage.EMBEDDING and p.total:
            return translate("clipdesk", "Paused at %1 of %2").replace(
                "%1", f"{p.done:,}").replace("%2", f"{p.total:,}")
        return translate("clipdesk", "Paused")
    if p.stage is Stage.WAITING:
        if p.current:
            return translate("clipdesk", "Waiting for another clipdesk (process %1) to finish "
                             "writing to the library…").replace("%1", p.current)
        return translate("clipdesk", "Waiting for the job before it to finish…")
    if p.stage is Stage.SCANNING:
        return translate("clipdesk", "Looking for photos… %1 found").replace("%1", str(p.done))
    if p.stage is Stage.HASHING:
        return translate("clipdesk", "Checking changed files: %1 of %2").replace(
            "%1", str(p.done)).replace("%2", str(p.total))
    if p.stage is Stage.EMBEDDING:
        text = translate("clipdesk", "Indexing %1 of %2").replace("%1", f"{p.done:,}").replace(
            "%2", f"{p.total:,}")
        if p.rate > 0:
            text += " · " + translate("clipdesk", "%1 photos/s").replace("%1", f"{p.rate:.1f}")
        if p.eta_s is not None and p.done < p.total:
            text += " · " + translate("clipdesk", "about %1 left").replace(
                "%1", format_duration(p.eta_s))
        return text
    if p.stage is Stage.READING:
        text = translate("clipdesk", "Reading the text in photos: %1 of %2").replace(
            "%1", f"{p.done:,}").replace("%2", f"{p.total:,}")
        if p.eta_s is not None and p.done < p.total:
            text += " · " + translate("clipdesk", "about %1 left").replace(
                "%1", format_duration(p.eta_s))
        return text
    if p.stage is Stage.SAVING:
        return translate("clipdesk", "Saving the search index…")
    if p.stage is Stage.DOWNLOADING and p.total > 0:
        return translate("clipdesk", "Downloading the model… %1%").replace(
            "%1", str(round(100 * p.done / p.total)))
    if p.stage is Stage.CHECKING:
        return translate("clipdesk", "A vision-language model looks at %1 of %2…").replace(
            "%1", str(p.done)).replace("%2", str(p.total))
    if p.stage is Stage.DESCRIBING:
        return translate("clipdesk", "Writing descriptions: %1 of %2 labels").replace(
            "%1", str(p.done)).replace("%2", str(p.total))
    if p.stage is Stage.DUPLICATES:
        return translate("clipdesk", "Comparing photos: %1 of %2").replace(
            "%1", f"{p.done:,}").replace("%2", f"{p.total:,}")
    if p.stage is Stage.TRASHING:
        return translate("clipdesk", "Moving photos to the trash: %1 of %2").replace(
            "%1", f"{p.done:,}").replace("%2", f"{p.total:,}")
    if p.stage is Stage.DONE:
        return translate("clipdesk", "Done")
    return ""
