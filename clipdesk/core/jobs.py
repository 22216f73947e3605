"""Cancellation and progress plumbing for long jobs, shared by the CLI and the GUI workers."""

from __future__ import annotations

import threading
from collections.abc import Callable

from clipdesk.core.types import Progress

ProgressCallback = Callable[[Progress], None]


class Cancelled(Exception):
    """Raised inside a job when its token was cancelled; the job stops between batches."""


class CancelToken:
    """Thread-safe cancel and pause flag, checked by jobs between batches.

    ``check()`` raises :class:`Cancelled` once cancelled and blocks while paused, so a paused job
    holds no partial batch: what it committed stays committed.
    """

    def __init__(self) -> None:
        self._cancelled = threading.Event()
        self._running = threading.Event()
        self._running.set()

    def cancel(self) -> None:
        self._cancelled.set()
        self._running.set()  # wake a paused job so it can notice the cancel

    def pause(self) -> None:
        self._running.clear()

    def resume(self) -> None:
        self._running.set()

    @property
    def cancelled(self) -> bool:
        return self._cancelled.is_set()

    @property
    def paused(self) -> bool:
        return not self._running.is_set()

    def check(self) -> None:
        """Raise :class:`Cancelled` if cancelled; wait here while paused."""
        while not self._running.wait(0.1):
            pass
        if self._cancelled.is_set():
            raise Cancelled()


def no_progress(_: Progress) -> None:
    """A progress callback that ignores reports."""
