"""How every job of one data folder reaches its library: one shared reader, one writer at a time.

- The **reader** is opened once and kept (its FAISS indexes stay in memory between searches);
  it is thread-safe and takes no lock.
- **Writers are serialized**: inside this process by a lock, across processes by the data
  folder's writer lock. A job that finds the library being written waits its turn (it is
  *queued*, reporting :attr:`~clipdesk.core.types.Stage.WAITING` once, cancellable through its
  token) unless ``wait_s`` says how long to wait at most (``0``: refuse at once with
  :class:`~clipdesk.core.errors.StoreLocked`).
- After a writer closes, **listeners** are told the library changed (the GUI refreshes; the
  call comes from the job's thread).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import TypeVar

from clipdesk.core.errors import StoreLocked
from clipdesk.core.jobs import CancelToken, ProgressCallback, no_progress
from clipdesk.core.store.library import Library
from clipdesk.core.store.lock import read_holder_pid
from clipdesk.core.types import Progress, Stage
from clipdesk.paths import DataPaths

log = logging.getLogger(__name__)

T = TypeVar("T")

POLL_S = 0.2  # how often a queued writer tries again

Listener = Callable[[], None]


class LibraryAccess:
    """The library of one data folder as all of its jobs share it."""

    def __init__(self, paths: DataPaths, *, wait_s: float | None = None,
                 spaces: Callable[[], Mapping[str, str]] | None = None) -> None:
        self.paths = paths
        self.spaces = spaces  # see Library.open
        self.wait_s = wait_s  # None: a writer waits as long as it takes (cancel to stop)
        self._reader: Library | None = None
        self._reader_lock = threading.Lock()
        self._write_turn = threading.Lock()
        self._listeners: list[Listener] = []

    # -- reading -------------------------------------------------------------------------------

    def reader(self) -> Library:
        """The shared read-only library (opened on first use; creates or upgrades the file)."""
        with self._reader_lock:
            if self._reader is None:
                self._reader = Library.open(self.paths, spaces=self.spaces)
            return self._reader

    def close_reader(self) -> None:
        """Close the shared reader; the next :meth:`reader` opens the file again (after a
        restore, the file under that name is another one)."""
        with self._reader_lock:
            reader, self._reader = self._reader, None
        if reader is not None:
            reader.close()

    # -- writing -------------------------------------------------------------------------------

    @contextmanager
    def writer(self, token: CancelToken | None = None,
               progress: ProgressCallback | None = None) -> Iterator[Library]:
        """The writable library, once it is this job's turn; listeners hear of the change
        when it closes (even when the job failed half-way: what it committed is there)."""
        with self.turn(token, progress):
            library = self.when_free(
                lambda: Library.open(self.paths, write=True, spaces=self.spaces), token, progress)
            try:
                yield library
            finally:
                library.close()
                self.changed()

    @contextmanager
    def exclusive(self, token: CancelToken | None = None,
                  progress: ProgressCallback | None = None) -> Iterator[None]:
        """Nobody else uses the library file meanwhile (to replace it with a backup): this
        process's writing turn, the data folder's writer lock, and the shared reader closed
        with its reopening held back until the end. Listeners hear of the change after."""
        from clipdesk.core.store.lock import WriterLock

        with self.turn(token, progress):
            lock = self.when_free(
                lambda: WriterLock(self.paths.lock_file, self.paths.root).acquire(), token,
                progress)
            try:
                with self._reader_lock:
                    reader, self._reader = self._reader, None
                    if reader is not None:
                        reader.close()
                    yield
            finally:
                lock.release()
                self.changed()

    @contextmanager
    def turn(self, token: CancelToken | None = None,
             progress: ProgressCallback | None = None) -> Iterator[None]:
        """This process's writing turn (other threads' writing jobs wait for it to end)."""
        token = token or CancelToken()
        if not self._write_turn.acquire(blocking=False):
            (progress or no_progress)(Progress(Stage.WAITING, 0, 0))
            log.info("waiting for this window's other writing job to end")
            while not self._write_turn.acquire(timeout=POLL_S):
                token.check()
        try:
            yield
        finally:
            self._write_turn.release()

    def when_free(self, action: Callable[[], T], token: CancelToken | None = None,
                  progress: ProgressCallback | None = None) -> T:
        """``action()``, tried again while another process holds the writer lock
        (:class:`StoreLocked`) until ``wait_s`` runs out or ``token`` is cancelled."""
        token = token or CancelToken()
        deadline = None if self.wait_s is None else time.monotonic() + self.wait_s
        told = False
        while True:
            try:
                return action()
            except StoreLocked as exc:
                if deadline is not None and time.monotonic() >= deadline:
                    raise
                if not told:
                    told = True
                    pid = read_holder_pid(self.paths.lock_file)
                    log.info("queued: %s", exc)
                    (progress or no_progress)(Progress(Stage.WAITING, 0, 0,
                                                       current=str(pid or "")))
            token.check()
            time.sleep(POLL_S)

    # -- change notifications ------------------------------------------------------------------

    def add_listener(self, listener: Listener) -> None:
        self._listeners.append(listener)

    def remove_listener(self, listener: Listener) -> None:
        if listener in self._listeners:
            self._listeners.remove(listener)

    def changed(self) -> None:
        """Tell the listeners the library changed (a listener's error is logged, not raised)."""
        for listener in list(self._listeners):
            try:
                listener()
            except Exception:
                log.exception("a library listener failed")

    def close(self) -> None:
        self.close_reader()
