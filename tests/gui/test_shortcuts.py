"""The main window's keys: Ctrl+F to the query box, Ctrl+1..4 to the tabs, Ctrl+, to Settings,
all listed in the menus."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings, Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from clipdesk.gui.context import AppContext
from clipdesk.gui.dialogs.settings import SettingsDialog
from clipdesk.gui.mainwindow import MainWindow

CTRL = Qt.KeyboardModifier.ControlModifier


@pytest.fixture
def window(qtbot: QtBot, app_context: AppContext, tmp_path: Path) -> Iterator[MainWindow]:
    win = MainWindow(app_context, QSettings(str(tmp_path / "w.ini"), QSettings.Format.IniFormat))
    qtbot.addWidget(win)
    win.show()
    qtbot.waitExposed(win)
    win.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is win)
    yield win
    win.close()


def menu_actions(window: MainWindow) -> list[QAction]:
    out: list[QAction] = []
    for top in window.menuBar().actions():
        menu = top.menu()
        if menu is not None:
            out.extend(a for a in menu.actions() if not a.isSeparator())
    return out


def test_ctrl_f_focuses_and_selects_the_query(qtbot: QtBot, window: MainWindow) -> None:
    panel = window.text_panel
    panel.query_edit.setText("sunset")
    panel.view.setFocus()
    qtbot.waitUntil(panel.view.hasFocus)
    qtbot.keyClick(panel.view, Qt.Key.Key_F, CTRL)
    assert panel.query_edit.hasFocus()
    assert panel.query_edit.selectedText() == "sunset"
    # typing now replaces the query instead of going into the grid
    qtbot.keyClicks(panel.query_edit, "dog")
    assert panel.query_edit.text() == "dog"

    # the image search: its words field
    qtbot.keyClick(panel.query_edit, Qt.Key.Key_2, CTRL)
    assert window.tabs.currentWidget() is window.image_panel
    window.image_panel.text_edit.setText("at night")
    window.image_panel.view.setFocus()
    qtbot.keyClick(window.image_panel.view, Qt.Key.Key_F, CTRL)
    assert window.image_panel.text_edit.hasFocus()
    assert window.image_panel.text_edit.selectedText() == "at night"

    # a tab without a query box: nothing to focus
    window.tabs.setCurrentWidget(window.tagging_panel)
    assert window.query_field() is None and not window.focus_query()


def test_ctrl_number_switches_tabs(qtbot: QtBot, window: MainWindow) -> None:
    assert window.tabs.count() == 4
    for key, index in ((Qt.Key.Key_3, 2), (Qt.Key.Key_4, 3), (Qt.Key.Key_2, 1),
                       (Qt.Key.Key_1, 0)):
        qtbot.keyClick(window.tabs, key, CTRL)
        assert window.tabs.currentIndex() == index


def test_ctrl_comma_opens_settings(qtbot: QtBot, window: MainWindow) -> None:
    def settings() -> list[SettingsDialog]:
        return [d for d in window.findChildren(SettingsDialog) if d.isVisible()]

    assert settings() == []
    qtbot.keyClick(window.tabs, Qt.Key.Key_Comma, CTRL)
    qtbot.waitUntil(lambda: len(settings()) == 1)
    settings()[0].reject()


def test_the_keys_are_in_the_menus(window: MainWindow) -> None:
    shortcuts = {a.text(): [k.toString() for k in a.shortcuts()] for a in menu_actions(window)}
    assert "Ctrl+," in shortcuts[window.settings_action.text()]
    preferences = QKeySequence(QKeySequence.StandardKey.Preferences)
    assert preferences.isEmpty() or preferences in window.settings_action.shortcuts()
    assert shortcuts[window.find_action.text()][0] == "Ctrl+F"
    tabs = [window.tabs.tabText(i) for i in range(window.tabs.count())]
    assert [shortcuts[t] for t in tabs] == [["Ctrl+1"], ["Ctrl+2"], ["Ctrl+3"], ["Ctrl+4"]]
