"""The per-model FAISS cache of one library: load if intact, catch up or rebuild, publish.

A cache file is used only when its ``vector_cache`` row's SHA-256, count and dimension match the
file (checked by :func:`.vectors.read_index_file` before FAISS parses a byte). A file (or an
index held in memory) of an *older* generation is brought up to date cheaply when vectors were
only added since -- embedding row ids only grow and vectors are never updated in place, so "rows
with an id above the largest one it holds" are exactly the additions, and the count tells whether
anything was removed. Anything else -- no file, a flipped byte, a truncated file, removals --
means a full rebuild from SQLite. A new index is then published: file first (temp, fsync,
rename), row last. Publishing needs the writer lock; a reader borrows it when it is free and
otherwise keeps its index in memory only.

Indexes handed out are never modified afterwards (a catch-up works on a copy), so searches may
run on them from any thread while the library changes.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from clipdesk.core.errors import StoreError, StoreLocked
from clipdesk.core.store import vectors as vector_files
from clipdesk.core.store.database import Database
from clipdesk.core.store.lock import WriterLock
from clipdesk.core.store.queries import CHUNK
from clipdesk.core.store.schema import EmbeddingRow, FileRow, ModelRow, VectorCacheRow
from clipdesk.paths import DataPaths

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class _Held:
    generation: int
    index: Any
    max_row: int  # the largest embeddings.id the index holds
    count: int


# vectors of files marked missing stay in SQLite but are not searched
_PRESENT = FileRow.missing_since.is_(None)


def _add_rows(index: Any, session: Session, model_id: str, dim: int, after: int) -> int:
    """Add the model's vectors with row id > ``after`` (streamed); returns the largest row id."""
    result = session.execute(
        select(EmbeddingRow.id, EmbeddingRow.file_id, EmbeddingRow.vector)
        .join(FileRow, FileRow.id == EmbeddingRow.file_id)
        .where(EmbeddingRow.model_id == model_id, EmbeddingRow.id > after, _PRESENT)
        .order_by(EmbeddingRow.id))
    top = after
    for part in result.partitions(CHUNK * 20):
        ids = np.fromiter((p[1] for p in part), dtype=np.int64, count=len(part))
        matrix = np.frombuffer(b"".join(p[2] for p in part), dtype="<f4")
        index.add_with_ids(matrix.reshape(len(part), dim).astype(np.float32), ids)
        top = int(part[-1][0])
    return top


class VectorCache:
    def __init__(self, db: Database, paths: DataPaths, writable: Callable[[], bool]) -> None:
        self._db = db
        self._paths = paths
        self._writable = writable
        self._held: dict[str, _Held] = {}
        self._lock = threading.Lock()

    def clear(self) -> None:
        with self._lock:
            self._held.clear()

    def index(self, model_id: str) -> Any:
        """The model's current index, kept in memory until its generation changes."""
        with self._lock:
            held = self._current(model_id, self._held.get(model_id))
            self._held[model_id] = held
            return held.index

    def refresh(self, model_ids: Iterable[str]) -> None:
        """Publish a current file for each model whose file is missing or stale. An existing
        current file is not re-read here: whoever loads it verifies it then. Nothing new is
        kept in memory."""
        for model_id in model_ids:
            with self._lock:
                generation, _, record = self._state(model_id)
                if (record is not None and record.generation == generation
                        and (self._paths.vector_dir / record.filename).is_file()):
                    continue
                held = self._held.get(model_id)
                fresh = self._current(model_id, held)
                if held is not None:
                    self._held[model_id] = fresh

    def build(self, model_id: str) -> _Held:
        """A complete index from SQLite (one snapshot, streamed in chunks)."""
        with self._db.read() as s:
            model = s.get(ModelRow, model_id)
            if model is None:
                raise StoreError(f"No photos are indexed with {model_id} yet.")
            index = vector_files.new_index(model.dim)
            top = _add_rows(index, s, model_id, model.dim, after=0)
            return _Held(model.generation, index, top, int(index.ntotal))

    # -- internals -----------------------------------------------------------------------------

    def _state(self, model_id: str) -> tuple[int, int, VectorCacheRow | None]:
        with self._db.read() as s:
            model = s.get(ModelRow, model_id)
            if model is None:
                raise StoreError(f"No photos are indexed with {model_id} yet.")
            return model.generation, model.dim, s.get(VectorCacheRow, model_id)

    def _current(self, model_id: str, held: _Held | None) -> _Held:
        generation, dim, record = self._state(model_id)
        if held is not None and held.generation == generation:
            return held
        base, shared = held, True
        if base is None and record is not None:
            loaded = vector_files.read_index_file(
                self._paths.vector_dir / record.filename,
                checksum=record.checksum, count=record.count, dim=dim)
            if loaded is not None:
                base, shared = _Held(record.generation, loaded, record.max_row, record.count), False
                if base.generation == generation:
                    return base
        fresh = self._catch_up(model_id, base, copy=shared) if base is not None else None
        if fresh is None:
            fresh = self.build(model_id)
        self._publish(model_id, fresh)
        return fresh

    def _catch_up(self, model_id: str, base: _Held, *, copy: bool) -> _Held | None:
        """``base`` plus what was added since, or None when something was removed meanwhile
        (or so much was added that a rebuild is as cheap)."""
        import faiss

        with self._db.read() as s:
            model = s.get(ModelRow, model_id)
            if model is None:
                raise StoreError(f"No photos are indexed with {model_id} yet.")
            present = (select(func.count()).select_from(EmbeddingRow)
                       .join(FileRow, FileRow.id == EmbeddingRow.file_id)
                       .where(EmbeddingRow.model_id == model_id, _PRESENT))
            count = int(s.scalar(present) or 0)
            added = int(s.scalar(present.where(EmbeddingRow.id > base.max_row)) or 0)
            if base.count + added != count or base.index.d != model.dim or added > count // 2:
                return None
            index = faiss.clone_index(base.index) if copy else base.index
            top = _add_rows(index, s, model_id, model.dim, after=base.max_row)
            log.debug("vector cache of %s caught up: +%d", model_id, added)
            return _Held(model.generation, index, top, count)

    def _publish(self, model_id: str, held: _Held) -> bool:
        """Write the file, then record it; False (logged, never raised) when that is not
        possible now -- it is only a cache."""
        borrowed: WriterLock | None = None
        if not self._writable():
            try:
                borrowed = WriterLock(self._paths.lock_file, self._paths.root).acquire()
            except StoreLocked:
                return False
        try:
            filename = vector_files.cache_filename(model_id)
            checksum = vector_files.write_index_file(held.index,
                                                     self._paths.vector_dir / filename)
            with self._db.write() as s:
                current = s.get(ModelRow, model_id)
                if current is None or current.generation != held.generation:
                    return False  # changed meanwhile: the next load catches up again
                record = s.get(VectorCacheRow, model_id)
                if record is None:
                    record = VectorCacheRow(model_id=model_id)
                    s.add(record)
                record.generation = held.generation
                record.checksum = checksum
                record.count = held.count
                record.max_row = held.max_row
                record.filename = filename
                record.written_at = datetime.now()
            return True
        except Exception as exc:
            log.warning("could not save the vector cache of %s (%s); it stays in memory",
                        model_id, exc)
            return False
        finally:
            if borrowed is not None:
                borrowed.release()
