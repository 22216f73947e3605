"""The application context every window, panel and dialog gets: the engine plus shared signals.

The :class:`~clipdesk.core.engine.Engine` does the work (its jobs, its shared reader, its one
serialized writer); the context adds what the GUI needs around it: model loading in the
background (state reported through :attr:`AppContext.encoderStateChanged`), a small thread pool
for short tasks (a search, a count) whose callbacks run on the GUI thread, and the engine's
change notifications as the :attr:`AppContext.libraryChanged` signal. Nothing here imports
torch: models load in worker threads.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from PySide6.QtCore import QCoreApplication, QObject, QThreadPool, Signal, Slot

from clipdesk.core.errors import ClipdeskError, StoreCorrupt
from clipdesk.core.jobs import CancelToken
from clipdesk.gui.workers import JobWorker, describe_error, start_job, stop_job

if TYPE_CHECKING:
    from clipdesk.core.engine import Engine
    from clipdesk.core.models.base import Encoder, ModelInfo
    from clipdesk.core.store import Library

log = logging.getLogger(__name__)

T = TypeVar("T")

# encoder states (the second value of encoderStateChanged / first of encoder_state)
IDLE = "idle"  # weights are here, the model is not loaded (nobody asked yet)
LOADING = "loading"
READY = "ready"  # detail: the device it runs on ("cuda", "mps", "cpu")
ERROR = "error"  # detail: one plain sentence
MISSING = "missing"  # detail: one plain sentence saying what to download or import


def device_label(device: str) -> str:
    """The device an encoder runs on, in words for the status bar."""
    if device == "cuda":
        return QCoreApplication.translate("clipdesk", "GPU")
    if device == "mps":
        return QCoreApplication.translate("clipdesk", "Apple GPU")
    return QCoreApplication.translate("clipdesk", "CPU")


class AppContext(QObject):
    """The engine and what the GUI shares around it. Lives in the GUI thread."""

    libraryChanged = Signal()  # roots/photos/vectors changed: refresh counts, re-run searches
    libraryDamaged = Signal(str)  # the database file is damaged (the sentence): offer a restore
    currentModelChanged = Signal(str)  # the model used for indexing and default search
    searchModeChanged = Signal(str)  # which model(s) answer in every panel (see search_mode)
    encoderStateChanged = Signal(str, str)  # (model_id, state), see the constants above

    _taskDone = Signal(object, object)  # (callback, value), emitted from pool threads

    def __init__(self, engine: Engine, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.engine = engine
        self._states: dict[str, tuple[str, str]] = {}
        self._loaders: dict[str, JobWorker[Any]] = {}
        self._pool = QThreadPool(self)
        self._pool.setMaxThreadCount(2)
        self._closed = False
        self._taskDone.connect(self._deliver)
        engine.store.add_listener(self._on_engine_change)

    # -- models --------------------------------------------------------------------------------

    def current_model_id(self) -> str:
        return self.engine.settings.model_id

    def set_current_model(self, model_id: str) -> None:
        """Make ``model_id`` the model that indexes and searches; saved in the settings.

        Vectors of other models stay in the library; the new model starts loading."""
        if model_id != self.engine.settings.model_id:
            self.engine.settings.model_id = model_id
            self._save_settings()
            self.currentModelChanged.emit(model_id)
        self.request_encoder(model_id)

    def search_mode(self) -> str:
        """Which model(s) answer in every panel (search, tagging, evaluation's default):
        ``"auto"`` (the indexed model that reads the text's language), a model id, or
        ``"A+B"`` (the union of two). One choice shared by all panels; saved in the settings."""
        return self.engine.settings.search_mode

    def set_search_mode(self, mode: str) -> None:
        if mode == self.engine.settings.search_mode:
            return
        self.engine.settings.search_mode = mode
        self._save_settings()
        self.searchModeChanged.emit(mode)

    def _save_settings(self) -> None:
        try:
            self.engine.save_settings()
        except OSError as exc:  # a read-only data folder: the choice holds for this session
            log.warning("could not save the settings: %s", exc)

    def model_info(self, model_id: str) -> ModelInfo | None:
        try:
            return self.engine.model_info(model_id)
        except ClipdeskError:
            return None

    def model_name(self, model_id: str) -> str:
        info = self.model_info(model_id)
        return info.display_name if info is not None else model_id

    def usable_models(self) -> list[ModelInfo]:
        """Models whose weights are on this computer (cheap: file checks only)."""
        registry = self.engine.registry
        return [info for info in registry.all() if registry.is_available(info)]

    def encoder_state(self, model_id: str) -> tuple[str, str]:
        """``(state, detail)``: detail is the device when ready, else a plain sentence or ""."""
        encoder = self.engine.loaded_encoders().get(model_id)
        if encoder is not None:
            return READY, encoder.device
        known = self._states.get(model_id)
        if known is not None:
            return known
        try:
            info = self.engine.model_info(model_id)
        except ClipdeskError as exc:
            return ERROR, str(exc)
        if not self.engine.registry.is_available(info):
            from clipdesk.core.models.weights import missing_message

            return MISSING, missing_message(info, self.engine.paths)
        return IDLE, ""

    def encoder_if_ready(self, model_id: str) -> Encoder | None:
        return self.engine.loaded_encoders().get(model_id)

    def request_encoder(self, model_id: str) -> None:
        """Load ``model_id`` in the background unless it is loaded, loading or missing."""
        if self._closed:
            return
        state, detail = self.encoder_state(model_id)
        if state in (READY, LOADING):
            return
        if state == MISSING:
            self._set_state(model_id, MISSING, detail, remember=False)
            return
        worker: JobWorker[Encoder] = JobWorker(
            lambda token, _progress: self.load_encoder(model_id, token),
            name=f"load {model_id}", parent=self)
        worker.finished.connect(
            lambda encoder: self._set_state(model_id, READY, encoder.device, remember=False))
        worker.failed.connect(lambda message: self._set_state(model_id, ERROR, message))
        worker.cancelled.connect(lambda: self._forget_state(model_id))
        worker.done.connect(lambda: self._loaders.pop(model_id, None))
        self._loaders[model_id] = worker
        self._set_state(model_id, LOADING, "")
        start_job(worker)

    def forget_encoder_state(self, model_id: str) -> None:
        """Forget a remembered error or missing state (e.g. after weights were imported)."""
        self._forget_state(model_id)

    def load_encoder(self, model_id: str, token: CancelToken | None = None) -> Encoder:
        """Blocking, from any thread but the GUI's: the loaded encoder (loads it once)."""
        return self.engine.encoder(model_id, token=token)

    def _set_state(self, model_id: str, state: str, detail: str, *, remember: bool = True
                   ) -> None:
        if remember:
            self._states[model_id] = (state, detail)
        else:
            self._states.pop(model_id, None)
        self.encoderStateChanged.emit(model_id, state)

    def _forget_state(self, model_id: str) -> None:
        if self._states.pop(model_id, None) is not None:
            state, _ = self.encoder_state(model_id)
            self.encoderStateChanged.emit(model_id, state)

    # -- library -------------------------------------------------------------------------------

    def library(self) -> Library:
        """The engine's shared read-only library (thread-safe; call it from tasks, not the GUI
        thread, the first time: opening creates or upgrades the database)."""
        return self.engine.reader()

    def notify_library_changed(self) -> None:
        self.libraryChanged.emit()

    def _on_engine_change(self) -> None:
        """A writing job of the engine ended (called in its thread; the signal is queued to
        the GUI thread's receivers)."""
        if self._closed:
            return
        try:
            self.libraryChanged.emit()
        except RuntimeError:  # the context is being deleted
            log.debug("library change after the context went")

    def report_damage(self, exc: BaseException) -> None:
        """From any thread: when ``exc`` says the library file is damaged, tell the window
        (once per damage: the shared reader is closed so that it is not used again)."""
        if isinstance(exc, StoreCorrupt):
            self.close_library()
            self.libraryDamaged.emit(str(exc))

    def close_library(self) -> None:
        """Close the shared reader; the next :meth:`library` call opens the file again."""
        self.engine.store.close_reader()

    # -- short background tasks ----------------------------------------------------------------

    def run_task(
        self,
        fn: Callable[[], T],
        on_done: Callable[[T], None],
        on_error: Callable[[str], None] | None = None,
    ) -> None:
        """Run ``fn`` on the context's thread pool; ``on_done(result)`` or ``on_error(message)``
        is then called on the GUI thread. A ClipdeskError gives its own sentence; any other
        exception is logged with its traceback and gives a generic sentence."""
        if self._closed:
            return
        self._pool.start(functools.partial(self._run_task, fn, on_done, on_error))

    def _run_task(self, fn: Callable[[], Any], on_done: Callable[[Any], None],
                  on_error: Callable[[str], None] | None) -> None:
        try:
            value = fn()
        except ClipdeskError as exc:
            log.info("task failed: %s", exc)
            self.report_damage(exc)
            if on_error is not None:
                self._taskDone.emit(on_error, describe_error(exc))
        except Exception as exc:
            log.exception("task failed unexpectedly")
            if on_error is not None:
                self._taskDone.emit(on_error, describe_error(exc))
        else:
            self._taskDone.emit(on_done, value)

    @Slot(object, object)
    def _deliver(self, callback: Callable[[Any], None], value: Any) -> None:
        if self._closed:
            return
        try:
            callback(value)
        except RuntimeError as exc:  # the widget that asked was closed meanwhile
            if "already deleted" not in str(exc):
                raise
            log.debug("task result dropped: %s", exc)

    def wait_for_tasks(self, timeout_ms: int = 5_000) -> bool:
        return bool(self._pool.waitForDone(timeout_ms))

    # -- shutdown ------------------------------------------------------------------------------

    def shutdown(self, timeout_ms: int = 10_000) -> None:
        """Stop background work (cancel model loads, wait for tasks) and close the library."""
        self._closed = True
        for worker in list(self._loaders.values()):
            stop_job(worker, timeout_ms)
        self._pool.clear()
        if not self._pool.waitForDone(timeout_ms):
            log.warning("background tasks did not finish within %d ms", timeout_ms)
        self.engine.store.remove_listener(self._on_engine_change)
        self.close_library()
