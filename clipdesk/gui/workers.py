"""Long jobs (indexing, downloads, model loading) on a QThread, cancellable through a token.

A :class:`JobWorker` is what the GUI holds and connects to: it lives in the GUI thread, so its
signals are always delivered there and any callable (bound method or lambda) may be connected.
The job itself runs in a private runner object moved to a :class:`QThread`; the runner never
touches widgets, and reports progress as plain :class:`~clipdesk.core.types.Progress` values, at
most one per ``min_interval`` seconds per stage (every stage change and the last step of a stage
always pass).

    worker = JobWorker(lambda token, progress: indexer.run(paths, token=token, progress=progress))
    worker.progress.connect(bar.show_progress)
    worker.finished.connect(on_report)
    thread = start_job(worker)
    ...
    stop_job(worker, timeout_ms=10_000)  # close = cancel, quit, wait with a timeout
"""

from __future__ import annotations

import functools
import logging
import time
from collections.abc import Callable
from typing import Any, Generic, TypeVar

from PySide6.QtCore import QCoreApplication, QObject, Qt, QThread, QTimer, Signal, Slot

from clipdesk.core.errors import ClipdeskError
from clipdesk.core.jobs import Cancelled, CancelToken
from clipdesk.core.types import Progress

log = logging.getLogger(__name__)

T = TypeVar("T")
JobFn = Callable[[CancelToken, Callable[[Progress], None]], T]

#: progress reports of one stage closer together than this are dropped (seconds)
MIN_PROGRESS_INTERVAL = 0.05


def generic_error_message() -> str:
    """The sentence shown for an unexpected error (its traceback goes to the log file)."""
    return QCoreApplication.translate(
        "clipdesk", "Something went wrong. The details were written to the log file.")


def describe_error(exc: BaseException) -> str:
    """One plain sentence for ``exc``: a ClipdeskError's own message, else a generic one."""
    if isinstance(exc, ClipdeskError):
        return str(exc) or generic_error_message()
    return generic_error_message()


class _Runner(QObject):
    """Runs the job function in the worker thread and reports through signals."""

    progressed = Signal(object)
    succeeded = Signal(object)
    errored = Signal(str)
    stopped = Signal()
    ended = Signal()

    def __init__(self, fn: JobFn[Any], token: CancelToken, name: str, min_interval: float
                 ) -> None:
        super().__init__()
        self._fn = fn
        self._token = token
        self._name = name
        self._min_interval = min_interval
        self._last_stage: object = None
        self._last_emit = 0.0

    def _report(self, p: Progress) -> None:
        now = time.monotonic()
        final = p.total > 0 and p.done >= p.total
        if (p.stage != self._last_stage or final
                or now - self._last_emit >= self._min_interval):
            self._last_stage = p.stage
            self._last_emit = now
            self.progressed.emit(p)

    @Slot()
    def run(self) -> None:
        try:
            result = self._fn(self._token, self._report)
        except Cancelled:
            log.info("job %s cancelled", self._name)
            self.stopped.emit()
        except ClipdeskError as exc:
            log.warning("job %s failed: %s", self._name, exc)
            self.errored.emit(describe_error(exc))
        except Exception as exc:
            log.exception("job %s failed unexpectedly", self._name)
            self.errored.emit(describe_error(exc))
        else:
            self.succeeded.emit(result)
        finally:
            self.ended.emit()


class JobWorker(QObject, Generic[T]):
    """A long job: ``fn(token, progress) -> result`` run on its own QThread by :func:`start_job`.

    Signals (delivered in the thread that created the worker, normally the GUI thread):
    ``progress(Progress)``, ``finished(result)``, ``failed(message)`` (one plain sentence; the
    traceback of an unexpected error is logged), ``cancelled()`` (the job raised ``Cancelled``).
    Exactly one of the last three is emitted, then ``done()``.
    """

    progress = Signal(object)
    finished = Signal(object)
    failed = Signal(str)
    cancelled = Signal()
    done = Signal()

    def __init__(self, fn: JobFn[T], *, name: str = "job",
                 min_interval: float = MIN_PROGRESS_INTERVAL,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.token = CancelToken()
        self.name = name
        self._runner: _Runner | None = _Runner(fn, self.token, name, min_interval)
        self._thread: QThread | None = None
        self._running = False
        self._runner.progressed.connect(self._on_progress)
        self._runner.succeeded.connect(self._on_succeeded)
        self._runner.errored.connect(self._on_errored)
        self._runner.stopped.connect(self._on_stopped)
        self._runner.ended.connect(self._on_ended)

    # -- control (thread-safe: they only touch the token) ---------------------------------------

    def cancel(self) -> None:
        self.token.cancel()

    def pause(self) -> None:
        self.token.pause()

    def resume(self) -> None:
        self.token.resume()

    @property
    def paused(self) -> bool:
        return self.token.paused

    def is_running(self) -> bool:
        return self._running

    @property
    def thread_(self) -> QThread | None:
        """The QThread the job runs on (``None`` before :func:`start_job`)."""
        return self._thread

    # -- relays, in this object's thread --------------------------------------------------------

    @Slot(object)
    def _on_progress(self, p: object) -> None:
        if self._running:
            self.progress.emit(p)

    @Slot(object)
    def _on_succeeded(self, result: object) -> None:
        self.finished.emit(result)

    @Slot(str)
    def _on_errored(self, message: str) -> None:
        self.failed.emit(message)

    @Slot()
    def _on_stopped(self) -> None:
        self.cancelled.emit()

    @Slot()
    def _on_ended(self) -> None:
        self._running = False
        self.done.emit()

    def _start(self) -> QThread:
        if self._runner is None or self._thread is not None:
            raise RuntimeError(f"job {self.name} was already started")
        thread = QThread()
        thread.setObjectName(f"clipdesk-{self.name}")
        runner = self._runner
        runner.moveToThread(thread)
        thread.started.connect(runner.run)
        # quit from the worker thread itself: a GUI thread blocked in wait() cannot relay it
        runner.ended.connect(thread.quit, Qt.ConnectionType.DirectConnection)
        thread.finished.connect(self._on_thread_finished)
        self._thread = thread
        self._running = True
        _live.add(self)
        thread.start()
        return thread

    @Slot()
    def _on_thread_finished(self) -> None:
        # let go of the worker (and with it, maybe, the last reference to its QThread) a turn
        # of the event loop later: a QThread freed inside the handler of its own ``finished``
        # signal crashed the app now and then (seen in the test suite)
        QTimer.singleShot(0, functools.partial(_live.discard, self))

    def wait(self, timeout_ms: int) -> bool:
        """Wait for the thread to end; True when it did (or never started)."""
        thread = self._thread
        if thread is None or thread.isFinished():
            return True
        finished = bool(thread.wait(max(0, int(timeout_ms))))
        if finished:
            _live.discard(self)
        return finished


# workers whose thread may still run: kept referenced so that neither the QThread nor the runner
# is garbage-collected while the job is alive
_live: set[JobWorker[Any]] = set()


def start_job(worker: JobWorker[Any]) -> QThread:
    """Move ``worker``'s job to a new QThread and start it; returns the thread."""
    return worker._start()


def stop_job(worker: JobWorker[Any] | None, timeout_ms: int = 10_000) -> bool:
    """Close = cancel, quit, wait with a timeout. True when the job's thread has ended."""
    if worker is None:
        return True
    worker.cancel()
    thread = worker.thread_
    if thread is not None:
        thread.quit()
    ended = worker.wait(timeout_ms)
    if not ended:
        log.warning("job %s did not stop within %d ms", worker.name, timeout_ms)
    return ended


def running_jobs() -> list[JobWorker[Any]]:
    """Jobs whose thread has not ended yet."""
    return [w for w in _live if w.thread_ is not None and not w.thread_.isFinished()]


def stop_all_jobs(timeout_ms: int = 10_000) -> bool:
    """Cancel every running job and wait for them (sharing ``timeout_ms``); True if all ended."""
    jobs = running_jobs()
    for job in jobs:
        job.cancel()
    deadline = time.monotonic() + timeout_ms / 1000
    ok = True
    for job in jobs:
        left = max(0, int((deadline - time.monotonic()) * 1000))
        ok = stop_job(job, left) and ok
    return ok
