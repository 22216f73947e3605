"""What a person can do with a result file: open it, show it in its folder, copy it.

Shared by the results view's context menu and the preview dialog. The functions that leave the
app (``open_url``, ``start_detached``) are module attributes, so tests can replace them.
"""

from __future__ import annotations

import atexit
import logging
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QMimeData, QProcess, Qt, QUrl
from PySide6.QtGui import QDesktopServices, QGuiApplication, QImage
from PySide6.QtWidgets import QApplication, QMessageBox, QWidget

from clipdesk.gui.names import file_url, shown
from clipdesk.gui.results.model import files_mime_data
from clipdesk.gui.results.thumbs import pil_to_qimage

log = logging.getLogger(__name__)

open_url: Callable[[QUrl], bool] = QDesktopServices.openUrl


def start_detached(program: str, arguments: list[str]) -> bool:
    ok, _pid = QProcess.startDetached(program, arguments)
    return bool(ok)


def open_file(path: Path) -> bool:
    """Open ``path`` with the system's default viewer."""
    return bool(open_url(file_url(path)))


def show_in_folder(path: Path, parent: QWidget | None = None) -> bool:
    """Show ``path`` selected in the system file manager (its folder where that is not possible).

    When nothing can show the folder, the person is told so (a message naming the folder) and
    the folder's path is put on the clipboard, so they can go there themselves; False then.
    """
    if _reveal(path):
        return True
    log.info("no file manager could show %s", path.parent)
    folder_not_shown(path.parent, parent)
    return False


def _reveal(path: Path) -> bool:
    native = str(path)
    if sys.platform == "win32" and start_detached("explorer.exe", ["/select,", native]):
        return True
    if sys.platform == "darwin" and start_detached("open", ["-R", native]):
        return True
    if sys.platform not in ("win32", "darwin") and _freedesktop_show_items(path):
        return True
    return bool(open_url(file_url(path.parent)))


def folder_not_shown(folder: Path, parent: QWidget | None = None) -> QMessageBox:
    """Say that ``folder`` could not be shown, with its path (also put on the clipboard).

    The message box is not modal (``open``), so nothing waits on it; it is returned for tests.
    """
    text = shown(folder)
    QGuiApplication.clipboard().setText(text)
    owner = parent.window() if parent is not None else QApplication.activeWindow()
    box = QMessageBox(owner)
    box.setIcon(QMessageBox.Icon.Information)
    box.setObjectName("folder_not_shown")
    box.setWindowTitle(QCoreApplication.translate("clipdesk", "Show in Folder"))
    box.setTextFormat(Qt.TextFormat.PlainText)
    box.setText(
        QCoreApplication.translate(
            "clipdesk",
            "No file manager could be opened to show this folder; its path is copied to the "
            "clipboard: %1",
        ).replace("%1", text)
    )
    box.setStandardButtons(QMessageBox.StandardButton.Ok)
    box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose, True)
    box.open()
    return box


def _freedesktop_show_items(path: Path) -> bool:
    """Ask the desktop's file manager (org.freedesktop.FileManager1) to select ``path``."""
    try:
        from PySide6.QtDBus import QDBusConnection, QDBusMessage
    except ImportError:
        return False
    bus = QDBusConnection.sessionBus()
    if not bus.isConnected():
        return False
    message = QDBusMessage.createMethodCall(
        "org.freedesktop.FileManager1",
        "/org/freedesktop/FileManager1",
        "org.freedesktop.FileManager1",
        "ShowItems",
    )
    message.setArguments([[file_url(path).toString(QUrl.ComponentFormattingOption.FullyEncoded)],
                          ""])
    reply = bus.call(message)
    return reply.type() != QDBusMessage.MessageType.ErrorMessage


def set_clipboard_mime(mime: QMimeData) -> None:
    """Hand ``mime`` to the clipboard, and take it back before the process ends.

    PySide6 (seen with 6.11) crashes at interpreter exit when the clipboard still owns a
    QMimeData made in Python; clearing our own clipboard content first avoids it. The cleanup is
    registered once, both on ``aboutToQuit`` (the app) and ``atexit`` (tests, scripts).
    """
    global _cleanup_registered
    QGuiApplication.clipboard().setMimeData(mime)
    if not _cleanup_registered:
        _cleanup_registered = True
        app = QGuiApplication.instance()
        if app is not None:
            app.aboutToQuit.connect(release_clipboard)
        atexit.register(release_clipboard)


def release_clipboard() -> None:
    """Clear the clipboard if it holds data this process put there (see set_clipboard_mime)."""
    if QGuiApplication.instance() is None:
        return
    clipboard = QGuiApplication.clipboard()
    if clipboard.ownsClipboard() or clipboard.mimeData() is not None:
        clipboard.clear()


_cleanup_registered = False


def copy_paths(paths: Sequence[Path]) -> None:
    """Put the files on the clipboard: as files for file managers, as text for editors."""
    set_clipboard_mime(files_mime_data(paths))


def load_qimage(path: Path, max_side: int | None = None) -> QImage:
    """The picture of ``path`` as an upright QImage (EXIF orientation applied), or a null image.

    ``max_side``: decode no larger than needed for that size. Safe to call from worker threads.
    """
    from clipdesk.core.imaging import ImageDecodeError, load_image_file

    try:
        loaded = load_image_file(path, min_side=max_side)
    except ImageDecodeError as exc:
        log.info("cannot load %s: %s", path, exc.reason)
        return QImage()
    return pil_to_qimage(loaded.image)


def copy_image(path: Path) -> bool:
    """Put the picture itself on the clipboard (plus the file, for apps that take files)."""
    image = load_qimage(path)
    if image.isNull():
        return False
    mime = files_mime_data([path])
    mime.setImageData(image)
    set_clipboard_mime(mime)
    return True
