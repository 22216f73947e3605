"""The per-model vector cache of one library: a published base index plus what changed since.

SQLite is the truth. A model's *base* index is built from it (exact below
:data:`.ann.ANN_MIN` vectors, approximate above, with its recall measured), written as a file
(temp, fsync, rename) and recorded in ``vector_cache`` with the last ``vector_changes`` entry it
reflects. The file is used only when its checksum, count and dimension match the record
(checked by :func:`.vectors.read_index_file` as FAISS reads it); otherwise the base is
rebuilt.

Triggers log every change to which vectors are searchable (a vector added, replaced or deleted,
a file going missing or coming back). Bringing a base up to date therefore costs what changed:
the files logged since the base are tombstones for it, and their current vectors form a small
exact delta (:class:`.segments.VectorIndex`). Nothing is rewritten for a small change, so ten
changed photos refresh in milliseconds, even for a million-photo library. :meth:`refresh` (run
by the indexing job, in the background) builds and publishes a new base once the delta passes
:func:`merge_limit` or the library crosses the size at which the kind of index changes, and
prunes the log entries every base holds; meanwhile searches use the old base and its delta.

A view handed out is never modified, so searches may run on it from any thread.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

import numpy as np
from sqlalchemy import delete, func, or_, select, text, update
from sqlalchemy.orm import Session

from clipdesk.core.errors import StoreError, StoreLocked
from clipdesk.core.store import ann
from clipdesk.core.store import vectors as vector_files
from clipdesk.core.store.database import Database
from clipdesk.core.store.lock import WriterLock
from clipdesk.core.store.queries import CHUNK, chunks
from clipdesk.core.store.records import SearchIndexInfo
from clipdesk.core.store.schema import (
    EmbeddingRow,
    FileRow,
    ModelRow,
    VectorCacheRow,
    VectorChangeRow,
)
from clipdesk.core.store.segments import VectorIndex
from clipdesk.paths import DataPaths

log = logging.getLogger(__name__)

# vectors of files marked missing stay in SQLite but are not searched
_PRESENT = FileRow.missing_since.is_(None)


LOG_KEPT = 200_000  # log entries a stale base may hold back from pruning before it is forgotten


def merge_limit(count: int) -> int:
    """Changes a base carries as tombstones and delta before :meth:`VectorCache.refresh`
    publishes a new one: a twentieth of the library, at least 1,000 and at most 20,000 (an
    exact delta of 20,000 costs a few milliseconds per search)."""
    return max(1_000, min(count // 20, 20_000))


@dataclass(frozen=True)
class _Held:
    generation: int  # the model's generation the view is current with
    view: VectorIndex
    base_seq: int  # the last vector_changes entry its base reflects (the file's change_seq)
    info: SearchIndexInfo  # what the base is (for status)


def _last_change(s: Session) -> int:
    """The last change logged, pruned or not (AUTOINCREMENT keeps it in sqlite_sequence; the
    largest row left says nothing once every row was pruned)."""
    return int(s.scalar(text(
        "SELECT seq FROM sqlite_sequence WHERE name = 'vector_changes'")) or 0)


def _stream(s: Session, model_id: str, dim: int,
            file_ids: Iterable[int] | None = None) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """(file ids, float32 vectors) chunks of the model's searchable vectors (of ``file_ids``
    only when given)."""
    query = (select(EmbeddingRow.file_id, EmbeddingRow.vector)
             .join(FileRow, FileRow.id == EmbeddingRow.file_id)
             .where(EmbeddingRow.model_id == model_id, _PRESENT))
    parts: Iterable[Any]
    if file_ids is None:
        parts = s.execute(query.order_by(EmbeddingRow.id)).partitions(CHUNK * 20)
    else:
        parts = (s.execute(query.where(EmbeddingRow.file_id.in_(part))).all()
                 for part in chunks(sorted(file_ids)))
    for part in parts:
        if not part:
            continue
        ids = np.fromiter((p[0] for p in part), dtype=np.int64, count=len(part))
        matrix = np.frombuffer(b"".join(p[1] for p in part), dtype="<f4")
        yield ids, np.ascontiguousarray(matrix.reshape(len(part), dim), dtype=np.float32)


def _exact(dim: int, parts: Iterable[tuple[np.ndarray, np.ndarray]]) -> Any:
    index = vector_files.new_index(dim)
    for ids, matrix in parts:
        index.add_with_ids(matrix, ids)
    return index


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

    def index(self, model_id: str) -> VectorIndex:
        """The model's current view, kept in memory until its generation changes."""
        with self._lock:
            held = self._current(model_id, self._held.get(model_id))
            self._held[model_id] = held
            return held.view

    def info(self, model_id: str) -> SearchIndexInfo | None:
        """What the model's published base is, without loading it; None when there is none."""
        with self._db.read() as s:
            record = s.get(VectorCacheRow, model_id)
            if record is None:
                return None
            model = s.get(ModelRow, model_id)
            if model is not None and record.generation == model.generation:
                return _info(record)
            pending = len(self._changed(s, model_id, record.change_seq))
            return replace(_info(record), pending_changes=pending)

    def refresh(self, model_ids: Iterable[str]) -> None:
        """Publish a new base for each model whose file is missing, of the wrong kind for the
        library's size, or behind by more than :func:`merge_limit` changes. Smaller changes
        are left to the log (nothing is rewritten). The build runs without blocking searches,
        which keep using the old base meanwhile."""
        for model_id in model_ids:
            if not self._needs_base(model_id):
                continue
            fresh = self.build(model_id)
            if self._publish(model_id, fresh):
                with self._lock:
                    if model_id in self._held:
                        self._held[model_id] = fresh  # the next search catches up from it

    def build(self, model_id: str, *, approximate: bool = True) -> _Held:
        """A complete base from SQLite (one snapshot, streamed in chunks): approximate when
        asked, the model has at least :data:`.ann.ANN_MIN` vectors and the recall check
        passes. Searches build exact bases only (no k-means in a search's path); the indexing
        job's :meth:`refresh` replaces them."""
        with self._db.read() as s:
            model = s.get(ModelRow, model_id)
            if model is None:
                raise StoreError(f"No photos are indexed with {model_id} yet.")
            seq = _last_change(s)
            measured: ann.Recall | None = None
            # vector_count (kept by triggers) counts missing files too: only then are the
            # searchable ones listed
            present = (self._present_ids(s, model_id)
                       if approximate and model.vector_count >= ann.ANN_MIN else None)
            if present is not None and len(present) >= ann.ANN_MIN:
                index, measured = ann.build_ivf(len(present), model.dim,
                                                self._training(s, model_id, model.dim, present),
                                                _stream(s, model_id, model.dim))
                if measured.good:
                    info = SearchIndexInfo("ivf", int(index.ntotal), measured.nlist,
                                           measured.nprobe, measured.image, measured.text)
                    return _Held(model.generation, VectorIndex(index, nprobe=measured.nprobe),
                                 seq, info)
                log.warning("approximate search of %s reaches recall@10 %.3f / %.3f only; "
                            "searching it exactly", model_id, measured.image, measured.text)
            index = _exact(model.dim, _stream(s, model_id, model.dim))
            info = SearchIndexInfo("exact", int(index.ntotal), None, None,
                                   measured.image if measured else None,
                                   measured.text if measured else None)
            return _Held(model.generation, VectorIndex(index), seq, info)

    # -- internals -----------------------------------------------------------------------------

    @staticmethod
    def _present_ids(s: Session, model_id: str) -> np.ndarray:
        """The file ids of the model's searchable vectors."""
        return np.fromiter(s.scalars(
            select(EmbeddingRow.file_id).join(FileRow, FileRow.id == EmbeddingRow.file_id)
            .where(EmbeddingRow.model_id == model_id, _PRESENT)), dtype=np.int64)

    @staticmethod
    def _training(s: Session, model_id: str, dim: int, present: np.ndarray) -> np.ndarray:
        """An evenly spread sample of the model's vectors to train the groups on."""
        size = ann.training_size(ann.nlist_for(len(present)), len(present))
        picked = present[np.linspace(0, len(present) - 1, num=size).astype(np.int64)]
        return np.concatenate([m for _, m in _stream(s, model_id, dim, picked.tolist())])

    def _needs_base(self, model_id: str) -> bool:
        with self._db.read() as s:
            model = s.get(ModelRow, model_id)
            if model is None:
                raise StoreError(f"No photos are indexed with {model_id} yet.")
            record = s.get(VectorCacheRow, model_id)
            if record is None or not (self._paths.vector_dir / record.filename).is_file():
                return True
            # the base's count stands for the library's: within the merge limit the two
            # differ too little to change the kind of index (counting a million rows would
            # cost a third of a second on every indexing run)
            count = record.count
            changed = (0 if record.generation == model.generation
                       else len(self._changed(s, model_id, record.change_seq)))
        wrong_kind = (record.kind == "ivf") != (count >= ann.ANN_MIN)
        if wrong_kind and record.kind == "exact" and record.recall_image is not None:
            wrong_kind = changed > 0  # measured too low before: retry only after changes
        return wrong_kind or changed > merge_limit(count)

    @staticmethod
    def _changed(s: Session, model_id: str, after: int) -> list[int]:
        return list(s.scalars(
            select(VectorChangeRow.file_id).distinct()
            .where(VectorChangeRow.seq > after,
                   or_(VectorChangeRow.model_id == model_id,
                       VectorChangeRow.model_id.is_(None)))))

    def _current(self, model_id: str, held: _Held | None) -> _Held:
        with self._db.read() as s:  # one snapshot: the record, the log and the vectors agree
            model = s.get(ModelRow, model_id)
            if model is None:
                raise StoreError(f"No photos are indexed with {model_id} yet.")
            if held is not None and held.generation == model.generation:
                return held
            record = s.get(VectorCacheRow, model_id)
            if record is not None and (held is None or record.change_seq > held.base_seq):
                # a newer base was published (the log it replaces may be pruned): load it
                loaded = vector_files.read_index_file(
                    self._paths.vector_dir / record.filename,
                    checksum=record.checksum, count=record.count, dim=model.dim,
                    size=record.file_size)
                held = None if loaded is None else _Held(
                    record.generation, VectorIndex(loaded, nprobe=record.nprobe),
                    record.change_seq, _info(record))
            if held is not None and held.generation == model.generation:
                return held
            fresh = self._catch_up(s, model, held) if held is not None else None
        if fresh is None:
            fresh = self.build(model_id, approximate=False)
            self._publish(model_id, fresh)
        return fresh

    def _catch_up(self, s: Session, model: ModelRow, base: _Held) -> _Held | None:
        """``base`` with the changes logged since it was built, or None when they are so many
        that a rebuild is as cheap."""
        if base.view.d != model.dim:
            return None
        changed = self._changed(s, model.model_id, base.base_seq)
        size = int(base.view.base.ntotal)
        if len(changed) > max(size // 2, merge_limit(size)):
            return None
        delta = _exact(model.dim, _stream(s, model.model_id, model.dim, changed))
        view = base.view.with_changes(np.asarray(changed, dtype=np.int64), delta)
        log.debug("vector cache of %s: %d changes on its base", model.model_id, len(changed))
        return replace(base, generation=model.generation, view=view)

    def _publish(self, model_id: str, held: _Held) -> bool:
        """Write the base's file, then record it and prune the log entries every base holds;
        False (logged, never raised) when that is not possible now -- it is only a cache."""
        borrowed: WriterLock | None = None
        if not self._writable():
            try:
                borrowed = WriterLock(self._paths.lock_file, self._paths.root).acquire()
            except StoreLocked:
                return False
        try:
            filename = vector_files.cache_filename(model_id)
            checksum, size = vector_files.write_index_file(held.view.base,
                                                           self._paths.vector_dir / filename)
            with self._db.write() as s:
                current = s.get(ModelRow, model_id)
                record = s.get(VectorCacheRow, model_id)
                if current is None or (record is not None
                                       and record.change_seq > held.base_seq):
                    return False  # a newer base was published meanwhile
                if record is None:
                    record = VectorCacheRow(model_id=model_id)
                    s.add(record)
                info = held.info
                record.generation = held.generation
                record.checksum = checksum
                record.file_size = size
                record.count = int(held.view.base.ntotal)
                record.max_row = 0  # unused since schema 5 (the change log replaced it)
                record.filename = filename
                record.written_at = datetime.now()
                record.change_seq = held.base_seq
                record.kind = info.kind
                record.nlist = info.nlist
                record.nprobe = info.nprobe
                record.recall_image = info.recall_image
                record.recall_text = info.recall_text
                s.flush()
                _prune_log(s, model_id, held.base_seq)
            return True
        except Exception as exc:
            log.warning("could not save the vector cache of %s (%s); it stays in memory",
                        model_id, exc)
            return False
        finally:
            if borrowed is not None:
                borrowed.release()


def _prune_log(s: Session, published: str, seq: int) -> None:
    """Drop the log entries every recorded base holds, so that the log stays about as long as
    the changes not yet published. A base whose model has not changed since it was written
    holds every entry so far (the other models' changes are not its own); a base so far behind
    that it would keep more than :data:`LOG_KEPT` entries is forgotten (rebuilt from SQLite
    when next used)."""
    s.execute(update(VectorCacheRow)
              .where(VectorCacheRow.model_id != published,
                     VectorCacheRow.generation == select(ModelRow.generation).where(
                         ModelRow.model_id == VectorCacheRow.model_id).scalar_subquery())
              .values(change_seq=seq))
    s.execute(delete(VectorCacheRow).where(VectorCacheRow.change_seq < seq - LOG_KEPT))
    oldest = s.scalar(select(func.min(VectorCacheRow.change_seq)))
    if oldest is not None:
        s.execute(delete(VectorChangeRow).where(VectorChangeRow.seq <= oldest))


def _info(record: VectorCacheRow) -> SearchIndexInfo:
    return SearchIndexInfo(record.kind, record.count, record.nlist, record.nprobe,
                           record.recall_image, record.recall_text)
