"""Small SQLite files of derived data beside the library (the VLM's answers, the text read in
photos): private (0600), in WAL mode, and never a reason to stop the app. A damaged one is set
aside as ``<name>.damaged-<time>`` and started again, since everything in it can be computed
again."""

from __future__ import annotations

import logging
import os
import sqlite3
import time
from pathlib import Path

log = logging.getLogger(__name__)


def open_sidecar(path: Path, schema: str, what: str) -> sqlite3.Connection:
    """A connection to ``path`` (usable from any thread, under the caller's lock) with
    ``schema`` (``CREATE ... IF NOT EXISTS`` statements) applied; ``what`` names it in logs."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_CREAT | os.O_RDWR, 0o600)
    os.close(fd)
    try:
        return _connect(path, schema)
    except sqlite3.DatabaseError as exc:
        damaged = path.with_name(f"{path.name}.damaged-{int(time.time())}")
        log.warning("%s %s is damaged (%s); setting it aside as %s and starting a new one",
                    what, path, exc, damaged.name)
        os.replace(path, damaged)
        for suffix in ("-wal", "-shm"):
            side = path.with_name(path.name + suffix)
            if side.exists():
                os.replace(side, damaged.with_name(damaged.name + suffix))
        return _connect(path, schema)


def _connect(path: Path, schema: str) -> sqlite3.Connection:
    db = sqlite3.connect(path, check_same_thread=False, timeout=30.0)
    try:
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA foreign_keys=ON")
        db.executescript(schema)
        db.commit()
        db.execute("SELECT count(*) FROM sqlite_master").fetchone()
    except BaseException:
        db.close()
        raise
    return db
