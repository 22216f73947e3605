"""The writer stage: commits finished batches in a thread of its own, in order.

The encoder hands batch n to the writer and goes on with batch n+1 while the writer stores batch
n's thumbnails, rows and vectors; at most ``depth`` batches wait, so a slow disk slows the
pipeline down instead of filling memory. The first error (a full disk, say) stops the writer:
later batches are dropped, not half-written, and the error is raised to the pipeline at its next
:meth:`BatchWriter.submit` or at :meth:`BatchWriter.finish`.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable
from typing import Generic, TypeVar

log = logging.getLogger(__name__)

T = TypeVar("T")
_WAIT_S = 0.1


class BatchWriter(Generic[T]):
    """Runs ``commit(batch)`` for each submitted batch, one at a time, in submission order."""

    def __init__(self, commit: Callable[[list[T]], None], *, depth: int = 2) -> None:
        self._commit = commit
        self._queue: queue.Queue[list[T] | None] = queue.Queue(maxsize=max(1, depth))
        self._error: BaseException | None = None
        self._finished = False
        self.committed = 0  # items committed so far
        self._thread = threading.Thread(target=self._run, name="clipdesk-writer", daemon=True)
        self._thread.start()

    @property
    def error(self) -> BaseException | None:
        return self._error

    def submit(self, batch: list[T]) -> None:
        """Queue ``batch`` (waits while ``depth`` batches wait). Raises the writer's error."""
        self._raise()
        if not batch:
            return
        while True:
            try:
                self._queue.put(batch, timeout=_WAIT_S)
                return
            except queue.Full:
                self._raise()

    def finish(self, *, raise_error: bool = True) -> None:
        """Commit what is queued, then stop the thread; raises the writer's error if asked."""
        if not self._finished:
            self._finished = True
            while self._thread.is_alive():
                try:
                    self._queue.put(None, timeout=_WAIT_S)
                    break
                except queue.Full:
                    continue
            self._thread.join()
        if raise_error:
            self._raise()

    def _raise(self) -> None:
        if self._error is not None:
            raise self._error

    def _run(self) -> None:
        while True:
            batch = self._queue.get()
            if batch is None:
                return
            if self._error is not None:
                continue  # nothing after a failed batch is written
            try:
                self._commit(batch)
                self.committed += len(batch)
            except BaseException as exc:
                log.debug("the writer stopped", exc_info=True)
                self._error = exc
