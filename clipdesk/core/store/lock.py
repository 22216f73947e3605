"""The one-writer lock of a data folder: an OS-level lock on ``writer.lock``.

The lock is ``fcntl.flock`` on POSIX and ``msvcrt.locking`` on Windows, held on an open file for
as long as the writer lives. The operating system drops it when the process ends in any way
(crash, ``kill -9``, power button), so a lock left by a dead process is never "stale": the next
writer simply gets it. The file holds the pid of the holder, only for the refusal message.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sys
from pathlib import Path
from typing import IO

from clipdesk.core.errors import StoreLocked

log = logging.getLogger(__name__)

# Windows locks a byte range that readers of the pid must not touch: one byte far past the end.
_WIN_LOCK_OFFSET = 1 << 30


def _try_lock(fp: IO[bytes]) -> bool:
    if sys.platform == "win32":
        import msvcrt

        fp.seek(_WIN_LOCK_OFFSET)
        try:
            msvcrt.locking(fp.fileno(), msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True
    import fcntl

    try:
        fcntl.flock(fp.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:  # BlockingIOError (EWOULDBLOCK) when someone else holds it
        return False
    return True


def _unlock(fp: IO[bytes]) -> None:
    if sys.platform == "win32":
        import msvcrt

        fp.seek(_WIN_LOCK_OFFSET)
        msvcrt.locking(fp.fileno(), msvcrt.LK_UNLCK, 1)
        return
    import fcntl

    fcntl.flock(fp.fileno(), fcntl.LOCK_UN)


def read_holder_pid(path: Path) -> int | None:
    """The pid written in the lock file, if any (only meaningful while someone holds it)."""
    try:
        text = path.read_bytes()[:32].decode("ascii", "ignore").strip()
        return int(text) if text else None
    except (OSError, ValueError):
        return None


class WriterLock:
    """Exclusive, non-blocking writer lock on ``path``; use as a context manager or
    :meth:`acquire`/:meth:`release`. Raises :class:`StoreLocked` when another process (or another
    writer in this process) holds it."""

    def __init__(self, path: Path, data_dir: Path | None = None) -> None:
        self.path = path
        self._data_dir = data_dir or path.parent
        self._fp: IO[bytes] | None = None

    @property
    def held(self) -> bool:
        return self._fp is not None

    def acquire(self) -> WriterLock:
        if self._fp is not None:
            return self
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        fp = os.fdopen(fd, "r+b", buffering=0)
        if not _try_lock(fp):
            fp.close()
            pid = read_holder_pid(self.path)
            who = f"Another clipdesk process (pid {pid})" if pid else "Another clipdesk process"
            raise StoreLocked(
                f"{who} is already writing to the data folder {self._data_dir}; wait for it to "
                f"finish or close it, then try again."
            )
        try:
            fp.seek(0)
            fp.write(str(os.getpid()).encode("ascii") + b"\n")
            fp.truncate()
            os.fsync(fp.fileno())
        except OSError:
            log.debug("could not write the pid into %s", self.path, exc_info=True)
        self._fp = fp
        return self

    def release(self) -> None:
        fp, self._fp = self._fp, None
        if fp is None:
            return
        try:
            with contextlib.suppress(OSError):
                fp.seek(0)
                fp.truncate()
            _unlock(fp)
        except OSError:
            log.debug("unlocking %s failed; closing releases it", self.path, exc_info=True)
        finally:
            fp.close()

    def __enter__(self) -> WriterLock:
        return self.acquire()

    def __exit__(self, *exc: object) -> None:
        self.release()

    def __del__(self) -> None:  # pragma: no cover - last resort; the OS releases it anyway
        with contextlib.suppress(Exception):
            self.release()
