"""One small call off the GUI thread, its result handed back on the GUI thread.

For widgets that have no :class:`~clipdesk.gui.context.AppContext` at hand (the preview dialog, the
view's "copy image"). The callback is dropped when ``owner`` is gone by the time it finishes.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable
from typing import Any, TypeVar

from PySide6.QtCore import QObject, QRunnable, Qt, QThreadPool, Signal, Slot

log = logging.getLogger(__name__)

T = TypeVar("T")


class _Relay(QObject):
    """Lives in the GUI thread; ``ready`` is connected to its own slot, so the callback runs
    there (with PySide6, a plain function connected to a signal runs in the emitting thread)."""

    ready = Signal(object)

    def __init__(self, callback: Callable[[Any], None], owner: QObject) -> None:
        super().__init__(owner)
        self._callback = callback
        self.ready.connect(self._deliver, Qt.ConnectionType.QueuedConnection)

    @Slot(object)
    def _deliver(self, value: object) -> None:
        self.deleteLater()
        self._callback(value)


class _Call(QRunnable):
    def __init__(self, fn: Callable[[], Any], relay: _Relay) -> None:
        super().__init__()
        self._fn = fn
        self._relay = relay

    def run(self) -> None:
        try:
            value = self._fn()
        except Exception:
            log.exception("background call failed")
            value = None
        # RuntimeError: the owner (and with it the relay) was deleted meanwhile
        with contextlib.suppress(RuntimeError):
            self._relay.ready.emit(value)


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
