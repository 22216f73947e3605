"""One small call off the GUI thread, its result handed back on the GUI thread.

For widgets that have no :class:`~clipdesk.gui.context.AppContext` at hand (the preview dialog, the
view's "copy image"). The callback is dropped when ``owner`` is gone by the time it finishes.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from typing import Any, TypeVar

import shiboken6
from PySide6.QtCore import QObject, QRunnable, Qt, QThreadPool, QTimer, Signal, Slot

log = logging.getLogger(__name__)

T = TypeVar("T")


class _Relay(QObject):
    """Lives in the GUI thread; ``ready`` is connected to its own slot, so the callback runs
    there (with PySide6, a plain function connected to a signal runs in the emitting thread).

    It has no Qt parent: were it a child of ``owner``, closing the owner could delete it in the
    GUI thread while a pool thread emits on it -- a crash. It is kept alive in ``_live`` until
    its result is delivered, and let go a turn of the event loop later (never inside its own
    slot); ``owner`` is only checked for being alive."""

    ready = Signal(object)

    def __init__(self, callback: Callable[[Any], None], owner: QObject) -> None:
        super().__init__()
        self._callback = callback
        self._owner = owner
        self.ready.connect(self._deliver, Qt.ConnectionType.QueuedConnection)
        _live.add(self)

    @Slot(object)
    def _deliver(self, value: object) -> None:
        QTimer.singleShot(0, functools.partial(_live.discard, self))
        if shiboken6.isValid(self._owner):
            self._callback(value)


_live: set[_Relay] = set()  # relays waiting for their call (kept from the GUI thread only)


class _Call(QRunnable):
    def __init__(self, fn: Callable[[], Any], relay: _Relay) -> None:
        super().__init__()
        self._fn = fn
        self._relay: _Relay | None = relay

    def run(self) -> None:
        try:
            value = self._fn()
        except Exception:
            log.exception("background call failed")
            value = None
        relay, self._relay = self._relay, None  # the GUI thread holds the last reference
        if relay is not None:
            relay.ready.emit(value)


def run_in_pool(
    fn: Callable[[], T],
    on_done: Callable[[T | None], None],
    owner: QObject,
    pool: QThreadPool | None = None,
) -> None:
    """Run ``fn`` in ``pool`` (default: the global pool); ``on_done(result)`` on the GUI thread,
    with None when ``fn`` raised (logged). Nothing is called if ``owner`` was deleted."""
    relay = _Relay(on_done, owner)
    (pool or QThreadPool.globalInstance()).start(_Call(fn, relay))
