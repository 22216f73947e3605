"""``clipdesk``: the desktop app's entry point.

The window is shown before any model library (torch, open_clip, cn_clip, faiss) is imported; the
current model then loads in a worker thread and the status bar shows its state. Logs go to a
rotating file in the data folder; an unexpected error shows one plain sentence, its traceback goes
to the log.
"""

from __future__ import annotations

import argparse
import io
import logging
import logging.handlers
import os
import signal
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QEvent, QObject, QProcess, QTimer
from PySide6.QtGui import QGuiApplication, QIcon
from PySide6.QtWidgets import QApplication, QWidget

from clipdesk import __version__
from clipdesk.core.display import PrintableFormatter
from clipdesk.core.engine import Engine
from clipdesk.core.errors import ClipdeskError
from clipdesk.gui.context import AppContext
from clipdesk.gui.dialogs.errors import install_excepthook, show_error
from clipdesk.gui.i18n import install_translators
from clipdesk.gui.instance import SingleInstance
from clipdesk.gui.mainwindow import MainWindow
from clipdesk.gui.workers import stop_all_jobs
from clipdesk.paths import DataPaths, create_private_file, make_private

log = logging.getLogger("clipdesk.app")

APP_ID = "io.github.clipdesk.Clipdesk"
ICON_FILE = Path(__file__).resolve().parent / "assets" / f"{APP_ID}.svg"
LOG_FILE = "clipdesk.log"
SHUTDOWN_TIMEOUT_MS = 15_000


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="clipdesk", description="Search your photos by meaning.")
    parser.add_argument("--data-dir", help="use this data folder (default: the platform's; "
                                           "or CLIPDESK_DATA_DIR)")
    parser.add_argument("--lang", choices=("system", "en", "zh_CN"),
                        help="user interface language for this run")
    parser.add_argument("--version", action="version", version=f"clipdesk {__version__}")
    parser.add_argument("paths", nargs="*", default=[],
                        help="folders to add and index, or a photo to search with")
    args, _qt_args = parser.parse_known_args(list(argv))
    return args


_log_handlers: list[logging.Handler] = []  # the handlers setup_logging installed


class _PrivateLogFile(logging.handlers.RotatingFileHandler):
    """A rotating log whose files are created 0600 (file names and queries are private)."""

    def _open(self) -> io.TextIOWrapper:
        create_private_file(Path(self.baseFilename))
        make_private(Path(self.baseFilename))
        return super()._open()


def setup_logging(paths: DataPaths, level: int = logging.INFO) -> Path:
    """Log to ``<data>/logs/clipdesk.log`` (rotating) and warnings to stderr; idempotent."""
    paths.log_dir.mkdir(parents=True, exist_ok=True)
    log_file = paths.log_dir / LOG_FILE
    root = logging.getLogger()
    while _log_handlers:
        old = _log_handlers.pop()
        root.removeHandler(old)
        old.close()
    file_handler = _PrivateLogFile(log_file, maxBytes=2_000_000, backupCount=3,
                                   encoding="utf-8", errors="backslashreplace")
    file_handler.setFormatter(PrintableFormatter(
        "%(asctime)s %(levelname)s %(threadName)s %(name)s: %(message)s"))
    file_handler.setLevel(level)
    console = logging.StreamHandler()
    console.setLevel(logging.WARNING)
    console.setFormatter(PrintableFormatter("clipdesk: %(levelname)s: %(message)s"))
    for handler in (file_handler, console):
        _log_handlers.append(handler)
        root.addHandler(handler)
    if root.level == logging.NOTSET or root.level > level:
        root.setLevel(level)
    return log_file


def app_icon() -> QIcon:
    return QIcon.fromTheme(APP_ID, QIcon(str(ICON_FILE)))


def configure_application(app: QApplication) -> None:
    app.setOrganizationName("clipdesk")
    app.setApplicationName("clipdesk")
    app.setApplicationVersion(__version__)
    QGuiApplication.setDesktopFileName(APP_ID)
    app.setWindowIcon(app_icon())


class AlreadyRunning(Exception):
    """Another clipdesk window has this data folder; the paths were handed to it."""


class ClipdeskApp:
    """The running app: QApplication, engine, context and window, in start-up order."""

    def __init__(self, argv: Sequence[str] | None = None) -> None:
        argv = list(sys.argv if argv is None else argv)
        self.args = parse_args(argv[1:])
        self.paths = DataPaths.resolve(self.args.data_dir)
        self.log_file = setup_logging(self.paths.ensure())
        log.info("clipdesk %s starting (data folder %s)", __version__, self.paths.root)
        existing = QApplication.instance()
        self.qapp = existing if isinstance(existing, QApplication) else QApplication(argv)
        configure_application(self.qapp)
        # one window per data folder: a second launch hands its paths over and ends here
        self.instance = SingleInstance(self.paths.root)
        if self.instance.hand_over(self.wanted_paths()):
            raise AlreadyRunning(self.paths.root)
        self.instance.listen()
        self.engine = Engine(self.paths)
        self.language = install_translators(
            self.qapp, self.args.lang or self.engine.settings.ui_language)
        self._previous_hook = install_excepthook()
        self.context = AppContext(self.engine)
        self.window = MainWindow(self.context)
        self.window.setWindowIcon(app_icon())
        self.instance.pathsReceived.connect(self.window.receive_paths)
        self.window.restartRequested.connect(self.restart)
        self._started = False
        self._first_paint: _FirstPaint | None = None

    def wanted_paths(self) -> list[str]:
        """The folders and photos named on the command line (Qt's own options may leave words
        there, e.g. "-platform offscreen": only real paths count)."""
        return [str(Path(p).resolve()) for p in self.args.paths if Path(p).exists()]

    def show(self) -> None:
        self.window.show()

    def start_background(self) -> None:
        """After the window is up: load the current model, or offer the model setup."""
        if self._started:
            return
        self._started = True
        # missing weights or a load error show in the status bar
        self.context.request_encoder(self.context.current_model_id())
        paths = [Path(p) for p in self.wanted_paths()]
        if paths:
            self.window.open_paths(paths)
        self.window.resume_unfinished()
        self.window.check_first_run()

    def start_background_after_first_paint(self, fallback_ms: int = 1_000) -> None:
        """Start the background work once the window has painted (or after ``fallback_ms``)."""
        self._first_paint = _FirstPaint(self.window, self.start_background)
        QTimer.singleShot(fallback_ms, self.start_background)

    def exec(self) -> int:
        _quit_on_sigint(self.window)
        return int(self.qapp.exec())

    def restart(self) -> bool:
        """Close the window (it asks first while indexing runs) and start clipdesk again, so
        that a new language or device takes effect. False when the person kept the window."""
        if not self.window.close():
            return False
        self.instance.close()  # the new window must not hand its start over to this one
        program, arguments = restart_command(self.args.data_dir)
        log.info("restarting: %s %s", program, " ".join(arguments))
        if not start_detached(program, arguments):
            log.error("clipdesk could not be started again (%s)", program)
        self.qapp.quit()
        return True

    def shutdown(self) -> bool:
        """Stop indexing, model loads and tasks; True when every thread ended in time."""
        self.window.controller.shutdown(SHUTDOWN_TIMEOUT_MS)
        self.context.shutdown(SHUTDOWN_TIMEOUT_MS)
        ended = stop_all_jobs(SHUTDOWN_TIMEOUT_MS)
        self.instance.close()
        sys.excepthook = self._previous_hook
        log.info("clipdesk stopped")
        return ended


def restart_command(data_dir: str | os.PathLike[str] | None) -> tuple[str, list[str]]:
    """The program and arguments that start this clipdesk again on the same data folder (the
    frozen app itself, or this Python with ``-m clipdesk``); the language comes from the
    settings, not from a ``--lang`` given before."""
    arguments = ["--data-dir", str(data_dir)] if data_dir else []
    if getattr(sys, "frozen", False):
        return sys.executable, arguments
    return sys.executable, ["-m", "clipdesk", *arguments]


def start_detached(program: str, arguments: list[str]) -> bool:
    ok, _pid = QProcess.startDetached(program, arguments)
    return bool(ok)


class _FirstPaint(QObject):
    """Calls ``callback`` (from the event loop) after the first paint of ``widget``."""

    def __init__(self, widget: QWidget, callback: Callable[[], None]) -> None:
        super().__init__(widget)
        self._widget = widget
        self._callback = callback
        widget.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self._widget and event.type() == QEvent.Type.Paint:
            self._widget.removeEventFilter(self)
            QTimer.singleShot(0, self._callback)
        return False


def _quit_on_sigint(window: MainWindow) -> None:
    """Ctrl+C or a TERM signal closes the window the normal way (cancelling indexing)."""
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: window.close_without_asking())
    timer = QTimer(window)
    timer.timeout.connect(lambda: None)  # lets Python run its signal handlers
    timer.start(250)


# Qt's xcb platform plugin aborts the process (no exception, no window) when one of these system
# libraries is missing; the package names are Debian/Ubuntu's
_XCB_LIBRARIES = {"xcb-cursor": "libxcb-cursor0", "xkbcommon-x11": "libxkbcommon-x11-0",
                  "xcb-icccm": "libxcb-icccm4", "xcb-keysyms": "libxcb-keysyms1"}


def missing_platform_libraries() -> list[str]:
    """The system packages Qt's X11 plugin needs and this computer lacks (Linux X11 only)."""
    import ctypes.util

    platform = os.environ.get("QT_QPA_PLATFORM", "")
    x11 = platform.startswith("xcb") or (not platform and bool(os.environ.get("DISPLAY"))
                                        and not os.environ.get("WAYLAND_DISPLAY"))
    if not sys.platform.startswith("linux") or not x11:
        return []
    return [package for library, package in _XCB_LIBRARIES.items()
            if ctypes.util.find_library(library) is None]


def run(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv if argv is None else argv)
    missing = missing_platform_libraries()
    if missing and QApplication.instance() is None:
        print(f"clipdesk: the window cannot open on X11 without these system packages: "
              f"{', '.join(missing)}. Install them (e.g. sudo apt install {' '.join(missing)}) "
              f"and start clipdesk again.", file=sys.stderr)
        return 1
    try:
        app = ClipdeskApp(argv)
    except AlreadyRunning as running:
        log.info("clipdesk already runs for %s: its window takes over", running)
        return 0
    except (ClipdeskError, OSError) as exc:
        log.error("clipdesk could not start: %s", exc)
        message = str(exc) if isinstance(exc, ClipdeskError) else QCoreApplication.translate(
            "clipdesk", "clipdesk could not start: %1").replace("%1", str(exc))
        if QApplication.instance() is None:
            QApplication(argv)
        show_error(None, message)
        return 1
    app.show()
    # the window paints before the model library is imported: the model loads afterwards
    app.start_background_after_first_paint()
    code = app.exec()
    if not app.shutdown():
        # a thread that cannot be stopped (a model still loading) must not crash the exit
        logging.shutdown()
        os._exit(code)
    return code


def main() -> None:
    sys.exit(run())


if __name__ == "__main__":
    main()
