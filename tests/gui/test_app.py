"""Start-up: the window paints before torch is imported; logging; uncaught errors; i18n choice."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QLocale

from clipdesk import app as app_module
from clipdesk.gui.dialogs import errors
from clipdesk.gui.i18n import resolve_language
from clipdesk.paths import DataPaths

REPO = Path(__file__).resolve().parents[2]

STARTUP_PROBE = r"""
import json, sys, time
from PySide6.QtCore import QEvent, QObject, QEventLoop
HEAVY = ("torch", "open_clip", "cn_clip", "faiss")
def heavy():
    return [m for m in HEAVY if m in sys.modules]

from clipdesk.app import ClipdeskApp
app = ClipdeskApp(["clipdesk", "--data-dir", sys.argv[1], "--lang", "en"])
painted = []
class Probe(QObject):
    def eventFilter(self, obj, event):
        if event.type() == QEvent.Type.Paint and not painted:
            painted.append(heavy())
        return False
probe = Probe()
app.window.installEventFilter(probe)
app.show()
at_show = heavy()
app.start_background_after_first_paint()
deadline = time.monotonic() + 120
model = app.context.current_model_id()
while time.monotonic() < deadline:
    app.qapp.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 50)
    if app.context.encoder_state(model)[0] in ("ready", "error", "missing"):
        break
# the state changes in the loader thread; the label follows through a queued signal
settle = time.monotonic() + 10
while time.monotonic() < settle and "loading" in app.window.device_label.text().lower():
    app.qapp.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 50)
app.qapp.processEvents()
print(json.dumps({
    "at_show": at_show, "at_first_paint": painted[0] if painted else None,
    "visible": app.window.isVisible(), "title": app.window.windowTitle(),
    "state": app.context.encoder_state(model), "device_label": app.window.device_label.text(),
    "torch_after": "torch" in sys.modules, "desktop": app.qapp.desktopFileName(),
    "icon": not app.window.windowIcon().isNull(),
}))
app.window.close()
app.shutdown()
"""


@pytest.mark.slow  # a fresh interpreter imports torch: 10-25 s on a busy 2-core machine
def test_window_appears_before_torch_is_imported(gui_engine: Any, data_paths: DataPaths) -> None:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "PYTHONPATH": str(REPO),
           "XDG_CONFIG_HOME": str(data_paths.root / "config")}  # QSettings stay in the test
    result = subprocess.run([sys.executable, "-c", STARTUP_PROBE, str(data_paths.root)],
                            capture_output=True, text=True, timeout=300, env=env, cwd=REPO)
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout.strip().splitlines()[-1])
    assert out["visible"] and out["title"] == "clipdesk"
    assert out["at_show"] == [] and out["at_first_paint"] == []  # nothing heavy yet
    assert out["state"] == ["ready", "cpu"] and out["device_label"] == "ready on CPU"
    assert out["torch_after"]  # the model did load, in the background
    assert out["desktop"] == "io.github.clipdesk.Clipdesk" and out["icon"]
    log_text = (data_paths.log_dir / app_module.LOG_FILE).read_text(encoding="utf-8")
    assert "clipdesk 0." in log_text and "loading user:tiny-open-clip" in log_text


def test_log_file_and_plain_errors(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                   qapp: Any) -> None:
    paths = DataPaths(tmp_path / "data").ensure()
    root = logging.getLogger()
    before = list(root.handlers)
    log_file = app_module.setup_logging(paths)
    app_module.setup_logging(paths)  # idempotent: one file handler, not two
    try:
        ours = [h for h in root.handlers if h in app_module._log_handlers]
        assert len(ours) == 2 and len(app_module._log_handlers) == 2
        previous = errors.install_excepthook()
        try:
            try:
                raise KeyError("secret internals")
            except KeyError as exc:
                sys.excepthook(type(exc), exc, exc.__traceback__)
        finally:
            sys.excepthook = previous
        shown = errors.last_errors()[-1]
        assert shown == "Something went wrong. The details were written to the log file."
        for handler in ours:
            handler.flush()
        text = log_file.read_text(encoding="utf-8")
        assert "Traceback" in text and "secret internals" in text
    finally:
        for handler in list(root.handlers):
            if handler not in before:
                root.removeHandler(handler)
                handler.close()


def test_language_choice() -> None:
    assert resolve_language("system", QLocale("zh_CN")) == "zh_CN"
    assert resolve_language("system", QLocale("zh_TW")) == "zh_CN"
    assert resolve_language("system", QLocale("de_DE")) == "en"
    assert resolve_language("en") == "en" and resolve_language("zh_CN") == "zh_CN"
    assert resolve_language("fr") == "en"


def test_command_line() -> None:
    args = app_module.parse_args(["--data-dir", "/tmp/x", "--lang", "zh_CN", "-platform", "xcb"])
    assert (args.data_dir, args.lang) == ("/tmp/x", "zh_CN")


def test_a_missing_x11_library_is_a_sentence_not_a_qt_abort(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import ctypes.util

    from clipdesk import app

    monkeypatch.setattr(sys, "platform", "linux")
    monkeypatch.delenv("QT_QPA_PLATFORM", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    monkeypatch.setenv("DISPLAY", ":0")
    real = ctypes.util.find_library
    monkeypatch.setattr(ctypes.util, "find_library",
                        lambda name: None if name == "xcb-cursor" else real(name) or "lib")
    assert app.missing_platform_libraries() == ["libxcb-cursor0"]
    monkeypatch.setattr(app.QApplication, "instance", staticmethod(lambda: None))
    assert app.run(["clipdesk"]) == 1
    err = capsys.readouterr().err
    assert "libxcb-cursor0" in err and "sudo apt install libxcb-cursor0" in err
    monkeypatch.setenv("QT_QPA_PLATFORM", "offscreen")  # another platform needs none of them
    assert app.missing_platform_libraries() == []


def test_restart_now_starts_clipdesk_again_on_the_same_data_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, qapp: Any,
) -> None:
    """A new language offers "Restart now": the window closes, this instance stops answering
    (the new one must not hand its start over to it), and `python -m clipdesk` starts again."""
    started: list[tuple[str, list[str]]] = []
    monkeypatch.setattr(app_module, "start_detached",
                        lambda program, arguments: started.append((program, arguments)) or True)
    data = tmp_path / "data"
    app = app_module.ClipdeskApp(["clipdesk", "--data-dir", str(data), "--lang", "en"])
    quits: list[int] = []
    monkeypatch.setattr(app.qapp, "quit", lambda: quits.append(1))
    try:
        app.show()
        asked: list[int] = []
        app.window.ask_restart = lambda: asked.append(1) or True
        app.window._on_settings_saved(["thumbnail_size"])  # nothing that needs a restart
        assert asked == [] and started == []
        app.window._on_settings_saved(["ui_language"])
        assert asked == [1] and quits == [1] and not app.window.isVisible()
        assert started == [(sys.executable, ["-m", "clipdesk", "--data-dir", str(data)])]
        assert app.instance._server is None
    finally:
        app.shutdown()


def test_the_restart_command_runs() -> None:
    program, arguments = app_module.restart_command(None)
    done = subprocess.run([program, *arguments, "--help"], capture_output=True, text=True,
                          timeout=120, cwd=REPO)
    assert done.returncode == 0 and "--data-dir" in done.stdout
