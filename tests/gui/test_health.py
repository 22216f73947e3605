"""Library > Check library / Restore from backup, and the offer to restore a damaged library."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSettings
from pytestqt.qtbot import QtBot

from clipdesk.core.store import backup
from clipdesk.gui.context import AppContext
from clipdesk.gui.mainwindow import MainWindow
from tests.core.store.test_backup import damage_page, fill, page_of

TIMEOUT_MS = 60_000


def make_window(qtbot: QtBot, context: AppContext, tmp_path: Path) -> MainWindow:
    window = MainWindow(context, QSettings(str(tmp_path / "w.ini"), QSettings.Format.IniFormat))
    qtbot.addWidget(window)
    window.show()
    return window


def test_check_says_a_sound_library_is_sound(qtbot: QtBot, app_context: AppContext,
                                             tmp_path: Path) -> None:
    fill(app_context.engine.paths, 50)
    window = make_window(qtbot, app_context, tmp_path)
    window.health.check()
    qtbot.waitUntil(lambda: "is sound" in window.statusBar().currentMessage(),
                    timeout=TIMEOUT_MS)
    window.close()


def test_a_damaged_library_is_offered_its_backup_and_restored(
    qtbot: QtBot, app_context: AppContext, tmp_path: Path
) -> None:
    paths = app_context.engine.paths
    fill(paths, 3000)
    assert len(backup.list_backups(paths)) == 1
    window = make_window(qtbot, app_context, tmp_path)
    questions: list[str] = []

    def ask(title: str, question: str) -> bool:
        questions.append(question)
        return True

    window.health.ask = ask
    damage_page(paths.database, page_of(paths.database, "files", nth=2))
    window.health.check()
    qtbot.waitUntil(lambda: "restored from the backup" in window.statusBar().currentMessage(),
                    timeout=TIMEOUT_MS)
    assert "is damaged" in questions[0] and "Restore the backup of" in questions[0]
    assert not backup.check_file(paths.database, full=True)
    with app_context.engine.library() as lib:
        assert lib.stats().photos == 3000
    window.close()


def test_damage_met_by_a_background_read_offers_the_restore(
    qtbot: QtBot, app_context: AppContext, tmp_path: Path
) -> None:
    paths = app_context.engine.paths
    fill(paths, 3000)
    window = make_window(qtbot, app_context, tmp_path)
    offers: list[str] = []
    window.health.ask = lambda title, question: offers.append(question) or False
    damage_page(paths.database, page_of(paths.database, "files", nth=2))
    app_context.close_library()  # its page cache may still hold the page as it was

    def read_everything() -> None:
        lib = app_context.library()
        for file_id in lib.file_ids():
            lib.photos([file_id])

    app_context.run_task(read_everything, lambda _: None, lambda _: None)
    qtbot.waitUntil(lambda: bool(offers), timeout=TIMEOUT_MS)
    assert "is damaged" in offers[0]
    window.close()
