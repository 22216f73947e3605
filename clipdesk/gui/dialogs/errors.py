"""Errors shown to the person: one plain sentence in a dialog, never a traceback.

Unexpected exceptions reaching the event loop are logged with their traceback (the log file) and
shown as a generic sentence; a ClipdeskError shows its own message.
"""

from __future__ import annotations

import html
import logging
import sys
from collections.abc import Callable
from types import TracebackType

from PySide6.QtCore import QCoreApplication, Qt
from PySide6.QtWidgets import QApplication, QMessageBox, QWidget

from clipdesk.gui.workers import describe_error

log = logging.getLogger(__name__)

# set to False by tests that must never block on a modal dialog
dialogs_enabled = True
_last_shown: list[str] = []  # the messages shown, newest last (for tests and the log)


def plain_tooltip(text: str) -> str:
    """A tooltip that shows ``text`` literally (tooltips would otherwise guess rich text)."""
    return "<qt>" + html.escape(text).replace("\n", "<br>") + "</qt>"


def show_error(parent: QWidget | None, message: str, title: str | None = None) -> None:
    """A modal error dialog with ``message`` as plain text."""
    _last_shown.append(message)
    del _last_shown[:-20]
    log.info("error shown: %s", message)
    if not dialogs_enabled:
        return
    box = QMessageBox(parent)
    box.setIcon(QMessageBox.Icon.Warning)
    box.setWindowTitle(title or QCoreApplication.translate("clipdesk", "clipdesk"))
    box.setTextFormat(Qt.TextFormat.PlainText)
    box.setText(message)
    box.setStandardButtons(QMessageBox.StandardButton.Ok)
    box.exec()


def show_exception(parent: QWidget | None, exc: BaseException) -> None:
    show_error(parent, describe_error(exc))


def last_errors() -> list[str]:
    return list(_last_shown)


ExceptHook = Callable[[type[BaseException], BaseException, TracebackType | None], None]


def install_excepthook() -> ExceptHook:
    """Route uncaught exceptions (including those in slots) to the log and a plain dialog.

    Returns the previous hook."""
    previous = sys.excepthook

    def hook(kind: type[BaseException], exc: BaseException, tb: TracebackType | None) -> None:
        if issubclass(kind, KeyboardInterrupt):
            QApplication.quit()
            return
        log.error("unexpected error", exc_info=(kind, exc, tb))
        parent = QApplication.activeWindow()
        try:
            show_exception(parent, exc)
        except Exception:  # never let the hook itself fail
            log.exception("could not show the error dialog")

    sys.excepthook = hook
    return previous
