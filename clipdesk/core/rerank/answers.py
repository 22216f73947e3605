"""The VLM's answers, kept per (photo content, question, model): a second look costs nothing.

A small SQLite file of its own in the data folder (``rechecks.sqlite3``, 0600): a cache, so it
is never backed up, and a damaged one is set aside and started again rather than refused. A photo
is known by its content hash, so a moved or renamed photo keeps its answers and an edited one is
asked again.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Iterable, Mapping
from pathlib import Path

from clipdesk.core.sidecar import open_sidecar

FILENAME = "rechecks.sqlite3"
CHUNK = 500
SCHEMA = """
CREATE TABLE IF NOT EXISTS answers (
    content_hash TEXT NOT NULL,
    question TEXT NOT NULL,
    model TEXT NOT NULL,
    p_yes REAL NOT NULL,
    answered_at REAL NOT NULL,
    PRIMARY KEY (content_hash, question, model)
) WITHOUT ROWID;
"""


class AnswerCache:
    """Thread-safe; one connection, used under a lock."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()
        self._db = self._open()

    def _open(self) -> sqlite3.Connection:
        return open_sidecar(self.path, SCHEMA, "the VLM answer cache")

    def get(self, hashes: Iterable[str], question: str, model: str) -> dict[str, float]:
        """``{content hash: p(yes)}`` for the hashes answered before."""
        wanted = sorted(set(hashes))
        out: dict[str, float] = {}
        with self._lock:
            for i in range(0, len(wanted), CHUNK):
                part = wanted[i:i + CHUNK]
                marks = ",".join("?" * len(part))
                for h, p in self._db.execute(
                        f"SELECT content_hash, p_yes FROM answers WHERE question = ? AND "
                        f"model = ? AND content_hash IN ({marks})", [question, model, *part]):
                    out[str(h)] = float(p)
        return out

    def put(self, answers: Mapping[str, float], question: str, model: str) -> None:
        now = time.time()
        with self._lock:
            self._db.executemany(
                "INSERT OR REPLACE INTO answers VALUES (?, ?, ?, ?, ?)",
                [(h, question, model, float(p), now) for h, p in answers.items()])
            self._db.commit()

    def count(self) -> int:
        with self._lock:
            return int(self._db.execute("SELECT count(*) FROM answers").fetchone()[0])

    def close(self) -> None:
        with self._lock:
            self._db.close()
