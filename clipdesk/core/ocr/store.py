"""The words read in photos, kept per photo content in ``text.sqlite3`` beside the library.

Each photo's content hash has one reading: the lines found, each with its box (four corners as
fractions of the picture's width and height, so a preview of any size can draw them) and the
recognizer's confidence; or "no text"; or a failure with its reason (not tried again until the
photo's bytes change). A moved or renamed photo keeps its reading, and copies share one.

The normalized text of each photo (:func:`~clipdesk.core.ocr.match.normalize`) is in an FTS5
table with the ``trigram`` tokenizer, which finds substrings in any script: Chinese without word
breaks as well as English. It is derived data (see :mod:`clipdesk.core.sidecar`): a damaged file
is set aside and the text read again.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import Enum
from pathlib import Path

from clipdesk.core.ocr.match import (
    MIN_SCORE,
    WordQuery,
    escape_like,
    fts_query,
    like_parts,
    normalize,
    score,
)
from clipdesk.core.sidecar import open_sidecar

FILENAME = "text.sqlite3"
CHUNK = 500
SCHEMA = """
CREATE TABLE IF NOT EXISTS readings (
    id INTEGER PRIMARY KEY,
    content_hash TEXT NOT NULL UNIQUE,
    state TEXT NOT NULL CHECK (state IN ('text', 'none', 'failed')),
    reason TEXT,
    reader TEXT NOT NULL,
    read_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS lines (
    reading_id INTEGER NOT NULL REFERENCES readings (id) ON DELETE CASCADE,
    n INTEGER NOT NULL,
    text TEXT NOT NULL,
    confidence REAL NOT NULL,
    box TEXT NOT NULL,
    PRIMARY KEY (reading_id, n)
) WITHOUT ROWID;
CREATE VIRTUAL TABLE IF NOT EXISTS words USING fts5(text, tokenize = 'trigram');
"""


class ReadState(str, Enum):
    TEXT = "text"
    NONE = "none"  # read, and no text found
    FAILED = "failed"  # could not be read (``reason``)


@dataclass(frozen=True)
class TextLine:
    """One line of text found in a photo."""

    text: str
    confidence: float
    box: tuple[float, ...]  # x0, y0, x1, y1, x2, y2, x3, y3 as fractions of width, height

    def matches(self, query: WordQuery) -> bool:
        """Whether this line holds a part of ``query`` (to highlight it)."""
        line = normalize(self.text)
        return any(p in line for p in query.phrases) or any(
            score(WordQuery(words=(w,)), line) >= MIN_SCORE for w in query.words)


@dataclass(frozen=True)
class Reading:
    """What reading one photo found."""

    state: ReadState
    lines: tuple[TextLine, ...] = ()
    reason: str | None = None

    @property
    def text(self) -> str:
        return "\n".join(line.text for line in self.lines)


@dataclass(frozen=True)
class TextCounts:
    read: int  # photo contents read
    with_text: int
    failed: int


class TextStore:
    """Thread-safe: one connection, used under a lock."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()
        self._db = open_sidecar(self.path, SCHEMA, "the text read in photos")

    def close(self) -> None:
        with self._lock:
            self._db.close()

    # -- writing -------------------------------------------------------------------------------

    def put(self, readings: Iterable[tuple[str, Reading]], reader: str) -> None:
        """Store ``(content hash, reading)`` pairs in one transaction (a reading replaces the
        one before)."""
        now = time.time()
        with self._lock, self._db:
            for digest, reading in readings:
                old = self._db.execute("SELECT id FROM readings WHERE content_hash = ?",
                                       (digest,)).fetchone()
                if old is not None:
                    self._delete(int(old[0]))
                cur = self._db.execute(
                    "INSERT INTO readings (content_hash, state, reason, reader, read_at) "
                    "VALUES (?, ?, ?, ?, ?)",
                    (digest, reading.state.value, reading.reason, reader, now))
                rid = int(cur.lastrowid or 0)
                self._db.executemany(
                    "INSERT INTO lines VALUES (?, ?, ?, ?, ?)",
                    [(rid, n, line.text, float(line.confidence),
                      json.dumps([round(v, 5) for v in line.box]))
                     for n, line in enumerate(reading.lines)])
                if reading.lines:
                    self._db.execute("INSERT INTO words (rowid, text) VALUES (?, ?)",
                                     (rid, "\n".join(normalize(li.text) for li in reading.lines)))

    def _delete(self, reading_id: int) -> None:
        self._db.execute("DELETE FROM words WHERE rowid = ?", (reading_id,))
        self._db.execute("DELETE FROM lines WHERE reading_id = ?", (reading_id,))
        self._db.execute("DELETE FROM readings WHERE id = ?", (reading_id,))

    def forget(self, hashes: Iterable[str]) -> int:
        """Drop the readings of ``hashes`` (photos no longer in the library); how many."""
        wanted = sorted(set(hashes))
        gone = 0
        with self._lock, self._db:
            for i in range(0, len(wanted), CHUNK):
                part = wanted[i:i + CHUNK]
                marks = ",".join("?" * len(part))
                for (rid,) in self._db.execute(
                        f"SELECT id FROM readings WHERE content_hash IN ({marks})", part
                ).fetchall():
                    self._delete(int(rid))
                    gone += 1
        return gone

    # -- reading -------------------------------------------------------------------------------

    def known(self, hashes: Sequence[str]) -> set[str]:
        """The hashes among ``hashes`` that were read (with any outcome)."""
        out: set[str] = set()
        with self._lock:
            for i in range(0, len(hashes), CHUNK):
                part = list(hashes[i:i + CHUNK])
                marks = ",".join("?" * len(part))
                out.update(str(h) for (h,) in self._db.execute(
                    f"SELECT content_hash FROM readings WHERE content_hash IN ({marks})", part))
        return out

    def hashes(self, after: str = "", limit: int = CHUNK) -> list[str]:
        """The stored hashes in order, ``limit`` at a time after ``after`` (to walk them all)."""
        with self._lock:
            return [str(h) for (h,) in self._db.execute(
                "SELECT content_hash FROM readings WHERE content_hash > ? "
                "ORDER BY content_hash LIMIT ?", (after, limit))]

    def reading(self, content_hash: str) -> Reading | None:
        with self._lock:
            row = self._db.execute(
                "SELECT id, state, reason FROM readings WHERE content_hash = ?",
                (content_hash,)).fetchone()
            if row is None:
                return None
            lines = tuple(
                TextLine(str(t), float(c), tuple(float(v) for v in json.loads(b)))
                for t, c, b in self._db.execute(
                    "SELECT text, confidence, box FROM lines WHERE reading_id = ? ORDER BY n",
                    (int(row[0]),)))
        return Reading(ReadState(row[1]), lines, row[2])

    def counts(self) -> TextCounts:
        with self._lock:
            found = dict(self._db.execute(
                "SELECT state, count(*) FROM readings GROUP BY state").fetchall())
        return TextCounts(read=sum(int(n) for n in found.values()),
                          with_text=int(found.get("text", 0)),
                          failed=int(found.get("failed", 0)))

    def failures(self) -> dict[str, str]:
        """``{content hash: reason}`` of the photos that could not be read."""
        with self._lock:
            return {str(h): str(r or "") for h, r in self._db.execute(
                "SELECT content_hash, reason FROM readings WHERE state = 'failed'")}

    def find(self, query: WordQuery) -> list[tuple[str, float]]:
        """``(content hash, score)`` of the photos whose text matches ``query``, best first
        (then by hash, so the order is stable)."""
        if not query:
            return []
        candidates: dict[int, tuple[str, str]] = {}
        expression = fts_query(query)
        shorts = like_parts(query)
        with self._lock:
            if expression is not None:
                for rid, digest, text in self._db.execute(
                        "SELECT words.rowid, readings.content_hash, words.text FROM words "
                        "JOIN readings ON readings.id = words.rowid WHERE words MATCH ?",
                        (expression,)):
                    candidates[int(rid)] = (str(digest), str(text))
            if shorts:
                where = " OR ".join(["words.text LIKE ? ESCAPE '\\'"] * len(shorts))
                for rid, digest, text in self._db.execute(
                        "SELECT words.rowid, readings.content_hash, words.text FROM words "
                        f"JOIN readings ON readings.id = words.rowid WHERE {where}",
                        [f"%{escape_like(p)}%" for p in shorts]):
                    candidates[int(rid)] = (str(digest), str(text))
        scored = [(digest, score(query, text)) for digest, text in candidates.values()]
        return sorted(((d, s) for d, s in scored if s >= MIN_SCORE),
                      key=lambda ds: (-ds[1], ds[0]))
