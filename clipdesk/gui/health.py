"""Library > Check library and Restore from backup, and the offer to restore when the library
file turns out to be damaged.

The checks and the restore run in background tasks (a large library takes seconds); indexing is
stopped before a restore, and the shared reader is reopened after it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QInputDialog, QMessageBox, QWidget

from clipdesk.core.store.backup import Backup
from clipdesk.gui.context import AppContext
from clipdesk.gui.dialogs import errors
from clipdesk.gui.names import shown

log = logging.getLogger(__name__)


class LibraryHealth(QObject):
    """The window's library checks; ``stop_indexing()`` must end any writing job."""

    def __init__(self, context: AppContext, window: QWidget,
                 stop_indexing: Callable[[], bool]) -> None:
        super().__init__(window)
        self.context = context
        self.window = window
        self.stop_indexing = stop_indexing
        self.ask: Callable[[str, str], bool] = self._ask  # replaced by tests
        self.choose: Callable[[list[Backup]], Backup | None] = self._choose
        self._offering = False
        self._restoring = False  # damage met by reads of the file being replaced is old news
        context.libraryDamaged.connect(self.offer_restore)

    # -- checking --------------------------------------------------------------------------------

    def check(self) -> None:
        """Run SQLite's integrity check in the background and say what it found."""
        engine = self.context.engine
        paths = engine.paths

        def run() -> list[str]:
            return engine.check(full=True)

        def done(problems: list[str]) -> None:
            if not problems:
                self._inform(self.tr("The library is sound: %1 passed SQLite's integrity "
                                     "check.").replace("%1", shown(paths.database)))
            else:
                self.offer_restore(self.tr("The library file %1 is damaged (%2).").replace(
                    "%1", shown(paths.database)).replace("%2", problems[0]))

        self.context.run_task(run, done, lambda message: errors.show_error(self.window, message))

    # -- restoring -------------------------------------------------------------------------------

    def offer_restore(self, message: str) -> None:
        """Say the library is damaged and offer the newest backup (once at a time)."""
        if self._offering or self._restoring:
            return
        self._offering = True
        try:
            listed = self.context.engine.backups()
            if not listed:
                errors.show_error(self.window, message + " " + self.tr(
                    "There is no backup to restore."))
                return
            question = message + "\n\n" + self.tr(
                "Restore the backup of %1? Photos indexed after it will be indexed again; the "
                "damaged file is kept beside it.").replace("%1", _when(listed[0]))
            if self.ask(self.tr("The library is damaged"), question):
                self._restore(None)
        finally:
            self._offering = False

    def restore(self) -> None:
        """Library > Restore from backup: pick a backup, confirm, restore."""
        listed = self.context.engine.backups()
        if not listed:
            errors.show_error(self.window, self.tr("There is no backup of the library yet; one "
                                                   "is made each day the library changes."))
            return
        chosen = self.choose(listed)
        if chosen is None:
            return
        question = self.tr("Replace the library with the backup of %1? Photos indexed after it "
                           "will be indexed again; the current file is kept beside it.").replace(
            "%1", _when(chosen))
        if self.ask(self.tr("Restore from backup"), question):
            self._restore(chosen.path)

    def _restore(self, path: Path | None) -> None:
        if not self.stop_indexing():
            errors.show_error(self.window, self.tr("Indexing did not stop; try again in a "
                                                   "moment."))
            return
        engine = self.context.engine
        self._restoring = True

        def done(chosen: Backup) -> None:
            self._restoring = False
            self._inform(self.tr("The library was restored from the backup of %1.").replace(
                "%1", _when(chosen)))

        def failed(message: str) -> None:
            self._restoring = False
            errors.show_error(self.window, message)

        self.context.run_task(lambda: engine.restore(path), done, failed)

    # -- dialogs ---------------------------------------------------------------------------------

    def _ask(self, title: str, question: str) -> bool:
        if not errors.dialogs_enabled:
            return False
        answer = QMessageBox.question(self.window, title, question)
        return answer == QMessageBox.StandardButton.Yes

    def _choose(self, listed: list[Backup]) -> Backup | None:
        items = [f"{_when(b)} · {self._reason(b.reason)} · {b.size / 1e6:,.1f} MB"
                 for b in listed]
        item, ok = QInputDialog.getItem(self.window, self.tr("Restore from backup"),
                                        self.tr("Backup:"), items, 0, False)
        return listed[items.index(item)] if ok and item in items else None

    def _reason(self, reason: str) -> str:
        if reason == "daily":
            return self.tr("daily")
        if reason == "manual":
            return self.tr("made by hand")
        return self.tr("before an upgrade")

    def _inform(self, message: str) -> None:
        log.info("%s", message)
        statusbar = getattr(self.window, "statusBar", None)
        if callable(statusbar):
            statusbar().showMessage(message, 10_000)


def _when(chosen: Backup) -> str:
    return f"{chosen.taken_at:%Y-%m-%d %H:%M}"
