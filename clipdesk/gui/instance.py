"""One app per data folder: a second launch hands its folders and photos to the running window.

The first clipdesk window of a data folder listens on a local socket named after the folder (and
the user); a second launch for the same folder connects, sends its command-line paths as JSON,
and exits, so two windows never write to one library. A socket left by a crashed app is noticed
(nobody answers) and replaced.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from collections.abc import Sequence
from pathlib import Path

from PySide6.QtCore import QObject, Signal
from PySide6.QtNetwork import QLocalServer, QLocalSocket

log = logging.getLogger(__name__)

CONNECT_MS = 1_000
MAX_MESSAGE = 1 << 20


def server_name(data_dir: Path) -> str:
    """The socket name of ``data_dir``'s app: per folder and per user, short enough for any
    platform's limits."""
    key = f"{os.path.realpath(data_dir)}|{getattr(os, 'getuid', lambda: 0)()}"
    return "clipdesk-" + hashlib.sha256(key.encode("utf-8", "surrogateescape")).hexdigest()[:20]


class SingleInstance(QObject):
    """Claims ``data_dir`` for this process, or hands paths to the process that has it."""

    pathsReceived = Signal(object)  # list[str]: what a second launch asked to open

    def __init__(self, data_dir: Path, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.name = server_name(data_dir)
        self._server: QLocalServer | None = None
        self._finished: list[QLocalSocket] = []

    def hand_over(self, paths: Sequence[str]) -> bool:
        """When another app has this data folder: send it ``paths`` and return True."""
        # owned by Qt and deleted by its event loop: a socket Python frees while Qt still has
        # events queued for it crashes the next processEvents
        socket = QLocalSocket(self)
        try:
            socket.connectToServer(self.name)
            if not socket.waitForConnected(CONNECT_MS):
                return False
            socket.write(json.dumps({"paths": list(paths)}).encode("utf-8", "surrogateescape"))
            socket.flush()
            socket.waitForBytesWritten(CONNECT_MS)
            socket.disconnectFromServer()
            if socket.state() != QLocalSocket.LocalSocketState.UnconnectedState:
                socket.waitForDisconnected(CONNECT_MS)
        finally:
            socket.abort()
            socket.deleteLater()
        log.info("another clipdesk window has this data folder; handed it %d paths", len(paths))
        return True

    def listen(self) -> bool:
        """Become the app of this data folder (a stale socket of a crashed app is replaced)."""
        QLocalServer.removeServer(self.name)
        server = QLocalServer(self)
        server.setSocketOptions(QLocalServer.SocketOption.UserAccessOption)
        if not server.listen(self.name):
            log.warning("cannot listen on %s: %s", self.name, server.errorString())
            return False
        server.newConnection.connect(self._on_connection)
        self._server = server
        return True

    def close(self) -> None:
        if self._server is not None:
            self._server.close()
            self._server = None
        self._finished.clear()

    def _on_connection(self) -> None:
        """Take each waiting hand-over: a few bytes, sent at once by a process that then
        disconnects; read right here (no per-socket slots, whose teardown PySide handles
        badly while the socket's own signal is being delivered)."""
        assert self._server is not None
        while (socket := self._server.nextPendingConnection()) is not None:
            data = b""
            while len(data) <= MAX_MESSAGE:
                if socket.bytesAvailable() or socket.waitForReadyRead(CONNECT_MS):
                    data += bytes(socket.readAll().data())
                if socket.state() == QLocalSocket.LocalSocketState.UnconnectedState or (
                        not socket.bytesAvailable() and not socket.waitForReadyRead(50)):
                    data += bytes(socket.readAll().data())
                    break
            socket.abort()
            self._finished.append(socket)  # deleted with the server, never under a signal
            self._deliver(data)

    def _deliver(self, data: bytes) -> None:
        try:
            message = json.loads(data.decode("utf-8", "surrogateescape"))
            paths = [str(p) for p in message.get("paths", [])]
        except (ValueError, AttributeError, TypeError):
            log.warning("ignored a malformed message from a second clipdesk launch")
            return
        self.pathsReceived.emit(paths)
