"""One window per data folder: a second launch hands its folders to the first and exits."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

from PySide6.QtCore import QSettings
from pytestqt.qtbot import QtBot

from clipdesk.gui.context import AppContext
from clipdesk.gui.instance import SingleInstance, server_name
from clipdesk.gui.mainwindow import MainWindow
from tests.conftest import REPO_ROOT
from tests.core.fakes import make_photos

TIMEOUT_MS = 120_000


def test_names_are_per_data_folder(tmp_path: Path) -> None:
    assert server_name(tmp_path / "a") == server_name(tmp_path / "a")
    assert server_name(tmp_path / "a") != server_name(tmp_path / "b")


def test_a_second_instance_hands_over_its_paths(qtbot: QtBot, tmp_path: Path) -> None:
    first = SingleInstance(tmp_path / "data")
    assert not first.hand_over([])  # nobody there yet
    assert first.listen()
    second = SingleInstance(tmp_path / "data")
    with qtbot.waitSignal(first.pathsReceived, timeout=10_000) as blocker:
        assert second.hand_over(["/photos/海边", "/photos/b"])
    assert blocker.args[0] == ["/photos/海边", "/photos/b"]
    assert not SingleInstance(tmp_path / "other").hand_over([])
    first.close()
    stale = SingleInstance(tmp_path / "data")  # e.g. after a crash: the old name is free again
    assert not stale.hand_over([]) and stale.listen()
    stale.close()


def test_a_second_launch_gets_its_folder_indexed_by_the_first_window(
    qtbot: QtBot, app_context: AppContext, tmp_path: Path
) -> None:
    paths = app_context.engine.paths
    window = MainWindow(app_context, QSettings(str(tmp_path / "w.ini"), QSettings.Format.IniFormat))
    qtbot.addWidget(window)
    window.show()
    instance = SingleInstance(paths.root)
    assert instance.listen()
    instance.pathsReceived.connect(window.receive_paths)
    folder = tmp_path / "from the second launch"
    make_photos(folder, 5)
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "PYTHONPATH": str(REPO_ROOT)}
    started = time.monotonic()
    with qtbot.waitSignal(window.controller.finished, timeout=TIMEOUT_MS) as blocker:
        second = subprocess.Popen(
            [sys.executable, "-c", "import sys; from clipdesk.app import run; "
             "sys.exit(run(sys.argv))", "--data-dir", str(paths.root), str(folder)],
            env=env, cwd=REPO_ROOT, stderr=subprocess.PIPE, text=True)
        while second.poll() is None and time.monotonic() - started < 60:
            qtbot.wait(50)  # the first window's event loop takes the hand-over
        assert second.returncode == 0, second.stderr.read() if second.stderr else ""
    assert blocker.args[0].embedded == 5
    with app_context.engine.library() as lib:
        assert [r.path for r in lib.roots()] == [folder.resolve()]
    instance.close()
    window.close()
