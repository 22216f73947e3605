"""The :class:`Library` facade: everything the rest of clipdesk asks of the store.

``Library.open(paths)`` is a reader: it takes no lock and every call runs in its own short
session (a consistent WAL snapshot), so the GUI and searches can read while an indexer writes.
``Library.open(paths, write=True)`` additionally holds the data folder's writer lock for its
lifetime; the methods that change anything refuse to run without it.

Vectors in SQLite are the truth. :meth:`Library.vector_index` returns a searchable view made
from the cache file only when the file's recorded checksum and count match, with the changes
logged since applied on top; anything else is rebuilt from SQLite and republished (by the
writer, or by a reader that can briefly take the writer lock). See :mod:`.cache`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime
from pathlib import Path

import numpy as np
from sqlalchemy import exists, func, select

from clipdesk.core.errors import StoreCorrupt, StoreError
from clipdesk.core.store import backup
from clipdesk.core.store import vectors as vector_files
from clipdesk.core.store.cache import VectorCache
from clipdesk.core.store.database import Database, corrupt_error
from clipdesk.core.store.lock import WriterLock
from clipdesk.core.store.queries import (
    CHUNK,
    chunks,
    date_condition,
    folder_conditions,
    is_within,
    normalize_path,
    photo_from_row,
    root_from_row,
)
from clipdesk.core.store.records import (
    LibraryStats,
    SearchIndexInfo,
    Tag,
    TagChange,
    TagCount,
    TagSource,
)
from clipdesk.core.store.schema import (
    EmbeddingRow,
    FileRow,
    ModelRow,
    RootRow,
    TagChangeRow,
    TagRow,
    UnreadableFolderRow,
)
from clipdesk.core.store.segments import VectorIndex
from clipdesk.core.store.writes import WriteOps, tag_change_of
from clipdesk.core.types import FileStatus, Photo, Root, RootState
from clipdesk.paths import DataPaths

log = logging.getLogger(__name__)


class Library(WriteOps):
    """One data folder's library. Use as a context manager, or call :meth:`close`."""

    def __init__(self, paths: DataPaths, db: Database, lock: WriterLock | None,
                 spaces: Callable[[], Mapping[str, str]] | None = None) -> None:
        self.paths = paths
        self.db = db
        self._lock = lock
        self._spaces = spaces
        self._cache = VectorCache(db, paths, lambda: self.writable)

    @classmethod
    def open(cls, paths: DataPaths, *, write: bool = False,
             spaces: Callable[[], Mapping[str, str]] | None = None) -> Library:
        """Open (creating or upgrading) the library of ``paths``.

        ``write=True`` takes the writer lock first and raises :class:`StoreLocked` (naming the
        holder's pid) when another process writes to this data folder. ``spaces`` gives
        ``{model id: image model id}`` for models that search another model's image vectors
        (the model registry's ``image_sharing``): every vector operation of such a model goes
        to its image model's vectors.
        """
        paths.ensure()
        lock = WriterLock(paths.lock_file, paths.root).acquire() if write else None
        try:
            _refuse_emptied_database(paths)
            db = Database(paths.database,
                          before_migration=lambda v: backup.take_backup(paths, f"before-v{v}"))
            if lock is not None:
                _daily_backup(paths, db)
        except BaseException:
            if lock is not None:
                lock.release()
            raise
        if lock is not None:
            vector_files.remove_temp_files(paths.vector_dir)
        return cls(paths, db, lock, spaces)

    @property
    def writable(self) -> bool:
        return self._lock is not None and self._lock.held

    def close(self) -> None:
        if self.writable:  # the day's backup, at the end of the first writing job of a library
            try:
                _daily_backup(self.paths, self.db)
            except Exception as exc:
                log.warning("no backup of the library was made: %s", exc)
        self._cache.clear()
        self.db.dispose()
        if self._lock is not None:
            self._lock.release()

    def __enter__(self) -> Library:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- roots ---------------------------------------------------------------------------------

    def roots(self) -> list[Root]:
        """Every root folder with its state and photo/skipped counts, by path."""
        with self.db.read() as s:
            gone = FileRow.missing_since.is_not(None)
            counts: dict[tuple[int, str], int] = {}
            for root_id, status, missing, n in s.execute(
                    select(FileRow.root_id, FileRow.status, gone, func.count())
                    .group_by(FileRow.root_id, FileRow.status, gone)):
                key = (root_id, "missing" if missing else status)
                counts[key] = counts.get(key, 0) + n
            rows = s.scalars(select(RootRow).order_by(RootRow.path)).all()
        return [root_from_row(r, counts.get((r.id, "ok"), 0), counts.get((r.id, "skipped"), 0),
                              counts.get((r.id, "missing"), 0)) for r in rows]

    def _plain_roots(self) -> list[Root]:
        """Roots without their counts (cheap: no scan of the files table)."""
        with self.db.read() as s:
            return [root_from_row(r) for r in s.scalars(select(RootRow).order_by(RootRow.path))]

    def root(self, root_id: int) -> Root | None:
        return next((r for r in self.roots() if r.id == root_id), None)

    def root_for_path(self, path: str | Path) -> Root | None:
        """The root whose folder contains ``path`` (or is it), if any (counts left at 0)."""
        target = normalize_path(path)
        inside = [r for r in self._plain_roots() if is_within(target, r.path)]
        return max(inside, key=lambda r: len(r.path.parts), default=None)

    # -- photos --------------------------------------------------------------------------------

    def photo(self, file_id: int) -> Photo | None:
        return self.photos([file_id]).get(int(file_id))

    def photos(self, ids: Iterable[int]) -> dict[int, Photo]:
        """Photos (any status) by file id; ids not in the library are left out."""
        wanted = sorted({int(i) for i in ids})
        out: dict[int, Photo] = {}
        with self.db.read() as s:
            for part in chunks(wanted):
                for row, root_path in s.execute(
                    select(FileRow, RootRow.path).join(RootRow, FileRow.root_id == RootRow.id)
                    .where(FileRow.id.in_(part))
                ):
                    out[row.id] = photo_from_row(row, root_path)
        return out

    def shared_hashes(self) -> dict[int, str]:
        """``{file id: content hash}`` of the present files whose content another present file
        has too (byte-for-byte copies), found by the hash index, not by reading every row."""
        present = (FileRow.missing_since.is_(None), FileRow.content_hash.is_not(None))
        with self.db.read() as s:
            twice = select(FileRow.content_hash).where(*present).group_by(
                FileRow.content_hash).having(func.count() > 1).subquery()
            return {int(i): str(h) for i, h in s.execute(
                select(FileRow.id, FileRow.content_hash).where(
                    *present, FileRow.content_hash.in_(select(twice.c.content_hash))))}

    def hashed_photos(self, after: int = 0, limit: int = 2000,
                      root_ids: Sequence[int] | None = None) -> list[tuple[int, Path, str]]:
        """``(file id, path, content hash)`` of the present, decoded photos under online roots,
        by id, ``limit`` at a time after ``after`` (to walk a library of any size)."""
        query = (select(FileRow.id, RootRow.path, FileRow.relpath, FileRow.content_hash)
                 .join(RootRow, FileRow.root_id == RootRow.id)
                 .where(FileRow.id > int(after), FileRow.status == FileStatus.OK.value,
                        FileRow.missing_since.is_(None), FileRow.content_hash.is_not(None),
                        RootRow.state == RootState.ONLINE.value))
        if root_ids is not None:
            query = query.where(FileRow.root_id.in_([int(r) for r in root_ids]))
        with self.db.read() as s:
            return [(int(i), Path(root) / rel, str(h)) for i, root, rel, h in s.execute(
                query.order_by(FileRow.id).limit(int(limit)))]

    def ids_by_hash(self, hashes: Iterable[str]) -> dict[str, list[int]]:
        """``{content hash: file ids}`` of the present, decoded photos with these contents."""
        wanted = sorted(set(hashes))
        out: dict[str, list[int]] = {}
        with self.db.read() as s:
            for part in chunks(wanted):
                for i, h in s.execute(select(FileRow.id, FileRow.content_hash).where(
                        FileRow.content_hash.in_(part), FileRow.status == FileStatus.OK.value,
                        FileRow.missing_since.is_(None)).order_by(FileRow.id)):
                    out.setdefault(str(h), []).append(int(i))
        return out

    def known_hashes(self, hashes: Iterable[str]) -> set[str]:
        """The hashes among ``hashes`` that some file of the library (even a missing one) has."""
        wanted = sorted(set(hashes))
        found: set[str] = set()
        with self.db.read() as s:
            for part in chunks(wanted):
                found.update(str(h) for h in s.scalars(
                    select(FileRow.content_hash).where(FileRow.content_hash.in_(part))))
        return found

    def photo_by_path(self, path: str | Path) -> Photo | None:
        target = normalize_path(path)
        root = self.root_for_path(target)
        if root is None or target == root.path:
            return None
        relpath = target.relative_to(root.path).as_posix()
        with self.db.read() as s:
            row = s.scalars(select(FileRow).where(
                FileRow.root_id == root.id, FileRow.relpath == relpath)).first()
            return photo_from_row(row, str(root.path)) if row is not None else None

    def file_ids(
        self,
        *,
        root_ids: Sequence[int] | None = None,
        folder: str | Path | None = None,
        date_from: datetime | None = None,
        date_to: datetime | None = None,
        tags: Sequence[str] | None = None,
    ) -> np.ndarray:
        """Sorted int64 ids of the photos (status ok, not missing) that pass every filter given.

        ``folder``: photos at any depth under it. Dates compare the EXIF date taken, or the
        file's modification time (local) when the photo has none; ``date_to`` is inclusive, and
        a ``date_to`` at exactly midnight means that whole day. ``tags``: photos carrying every
        one of these labels (automatic or manual).
        """
        query = select(FileRow.id).where(FileRow.status == FileStatus.OK.value,
                                         FileRow.missing_since.is_(None))
        if root_ids is not None:
            query = query.where(FileRow.root_id.in_([int(r) for r in root_ids]))
        if folder is not None:
            condition = folder_conditions(self._plain_roots(), normalize_path(folder))
            if condition is None:
                return np.zeros(0, dtype=np.int64)
            query = query.where(condition)
        if date_from is not None or date_to is not None:
            query = query.where(date_condition(date_from, date_to))
        for label in tags or ():
            query = query.where(exists().where(TagRow.file_id == FileRow.id,
                                               TagRow.label == label))
        with self.db.read() as s:
            ids = s.scalars(query.order_by(FileRow.id)).all()
        return np.asarray(ids, dtype=np.int64)

    def skipped_files(self) -> list[Photo]:
        """Files that could not be decoded, with ``skip_reason``, by path."""
        with self.db.read() as s:
            rows = s.execute(
                select(FileRow, RootRow.path).join(RootRow, FileRow.root_id == RootRow.id)
                .where(FileRow.status == FileStatus.SKIPPED.value,
                       FileRow.missing_since.is_(None))
                .order_by(RootRow.path, FileRow.relpath)
            ).all()
        return [photo_from_row(row, root_path) for row, root_path in rows]

    def unreadable_folders(self, root_id: int | None = None) -> list[Path]:
        """The folders the last scans of the online roots (or of ``root_id``) could not list,
        by path."""
        query = (select(RootRow.path, UnreadableFolderRow.relpath)
                 .join(RootRow, UnreadableFolderRow.root_id == RootRow.id)
                 .where(RootRow.state == RootState.ONLINE.value)
                 .order_by(RootRow.path, UnreadableFolderRow.relpath))
        if root_id is not None:
            query = query.where(RootRow.id == root_id)
        with self.db.read() as s:
            rows = s.execute(query).all()
        return [Path(root) / rel for root, rel in rows]

    def stats(self) -> LibraryStats:
        roots = self.roots()
        return LibraryStats(
            photos=sum(r.photo_count for r in roots),
            skipped=sum(r.skipped_count for r in roots),
            roots=roots,
            model_counts=self.model_counts(),
            missing=sum(r.missing_count for r in roots),
        )

    # -- vectors -------------------------------------------------------------------------------

    def model_counts(self) -> dict[str, int]:
        """Vectors per model id (every model that ever stored one; 0 once all were removed),
        kept by triggers: no million rows are counted. A model sharing another's image vectors
        counts them too."""
        with self.db.read() as s:
            counts = {m: int(n) for m, n in s.execute(
                select(ModelRow.model_id, ModelRow.vector_count)).all()}
        for model_id, space in self.spaces().items():
            if space in counts:
                counts.setdefault(model_id, counts[space])
        return counts

    def model_dim(self, model_id: str) -> int | None:
        model_id = self.space(model_id)
        with self.db.read() as s:
            row = s.get(ModelRow, model_id)
            return row.dim if row is not None else None

    def vectors(self, model_id: str, file_ids: Iterable[int]) -> np.ndarray:
        """float32 (n, dim): the vectors of the ids that have one under ``model_id``, in the
        order given; ids without a vector are left out (so n may be smaller)."""
        wanted = [int(i) for i in file_ids]
        found = self.vector_map(model_id, wanted)
        dim = self.model_dim(model_id) or 0
        rows = [found[i] for i in wanted if i in found]
        return np.stack(rows) if rows else np.zeros((0, dim), dtype=np.float32)

    def vector_map(self, model_id: str, file_ids: Iterable[int]) -> dict[int, np.ndarray]:
        """{file id: vector} for the ids that have a vector under ``model_id``."""
        model_id = self.space(model_id)
        out: dict[int, np.ndarray] = {}
        with self.db.read() as s:
            for part in chunks(sorted({int(i) for i in file_ids})):
                for file_id, blob in s.execute(
                    select(EmbeddingRow.file_id, EmbeddingRow.vector).where(
                        EmbeddingRow.model_id == model_id, EmbeddingRow.file_id.in_(part))
                ):
                    out[file_id] = np.frombuffer(blob, dtype="<f4").astype(np.float32)
        return out

    def all_vectors(self, model_id: str) -> tuple[np.ndarray, np.ndarray, int]:
        """``(ids, vectors, generation)`` of every searchable vector of ``model_id`` (files not
        marked missing), from one snapshot."""
        model_id = self.space(model_id)
        with self.db.read() as s:
            model = s.get(ModelRow, model_id)
            if model is None:
                raise StoreError(f"No photos are indexed with {model_id} yet.")
            present = (EmbeddingRow.model_id == model_id, FileRow.missing_since.is_(None))
            count = s.scalar(select(func.count()).select_from(EmbeddingRow).join(
                FileRow, FileRow.id == EmbeddingRow.file_id).where(*present)) or 0
            ids = np.empty(count, dtype=np.int64)
            matrix = np.empty((count, model.dim), dtype=np.float32)
            n = 0
            result = s.execute(
                select(EmbeddingRow.file_id, EmbeddingRow.vector)
                .join(FileRow, FileRow.id == EmbeddingRow.file_id)
                .where(*present).order_by(EmbeddingRow.file_id)
            )
            for part in result.partitions(CHUNK * 10):
                k = len(part)
                ids[n:n + k] = [p[0] for p in part]
                matrix[n:n + k] = np.frombuffer(b"".join(p[1] for p in part), dtype="<f4") \
                    .reshape(k, model.dim)
                n += k
            return ids[:n], matrix[:n], model.generation

    def vector_index(self, model_id: str) -> VectorIndex:
        """The searchable vectors of ``model_id`` (ids = file ids), current with SQLite: the
        published index when intact (exact, or approximate for a large library) with what
        changed since applied as tombstones and a small delta, rebuilt otherwise. Kept in
        memory until the model's generation changes; a view handed out is never modified, so
        it can be searched from any thread. Raises StoreError for a model that never had a
        vector."""
        return self._cache.index(self.space(model_id))

    def search_index_info(self, model_id: str) -> SearchIndexInfo | None:
        """How ``model_id`` is searched (exact or approximate, with its measured recall),
        read from the published index's record without loading it; None before there is
        one."""
        return self._cache.info(self.space(model_id))

    def refresh_vector_cache(self, model_id: str | None = None) -> None:
        """Publish a new index for ``model_id`` (default: every model) where the file is
        missing, of the wrong kind for the library's size, or behind by many changes (see
        :mod:`.cache`); smaller changes are carried in memory from the change log."""
        wanted = [model_id] if model_id is not None else list(self.model_counts())
        self._cache.refresh(dict.fromkeys(self.space(m) for m in wanted))

    # -- tags ----------------------------------------------------------------------------------

    def tags(self, file_ids: Iterable[int]) -> dict[int, list[Tag]]:
        """Tags per file id (files without tags are left out), best score first."""
        out: dict[int, list[Tag]] = {}
        with self.db.read() as s:
            for part in chunks(sorted({int(i) for i in file_ids})):
                for row in s.scalars(select(TagRow).where(TagRow.file_id.in_(part))):
                    out.setdefault(row.file_id, []).append(Tag(
                        row.file_id, row.label, TagSource(row.source), row.score, row.model_id))
        for tags in out.values():
            tags.sort(key=lambda t: (t.source != TagSource.MANUAL, -(t.score or 0.0), t.label))
        return out

    def labels(self) -> dict[str, int]:
        """Every tag label with the number of files carrying it."""
        with self.db.read() as s:
            return dict(s.execute(
                select(TagRow.label, func.count(func.distinct(TagRow.file_id)))
                .group_by(TagRow.label)).all())

    def tag_counts(self) -> list[TagCount]:
        """Every tag label with the photos carrying it set by hand and automatically, by
        label."""
        out: dict[str, dict[str, int]] = {}
        with self.db.read() as s:
            for label, source, n in s.execute(
                    select(TagRow.label, TagRow.source, func.count(func.distinct(TagRow.file_id)))
                    .group_by(TagRow.label, TagRow.source)):
                out.setdefault(label, {})[source] = int(n)
        return [TagCount(label, c.get(TagSource.MANUAL.value, 0), c.get(TagSource.AUTO.value, 0))
                for label, c in sorted(out.items(), key=lambda kv: (kv[0].casefold(), kv[0]))]

    def auto_tag_counts(self, labels: Iterable[str], file_ids: Iterable[int]) -> dict[str, int]:
        """Automatic tags per label among ``labels`` carried by ``file_ids`` (every label
        listed, zeros included): what saving tags of these labels for these photos replaces."""
        wanted = list(dict.fromkeys(labels))
        out = dict.fromkeys(wanted, 0)
        with self.db.read() as s:
            for part in chunks(sorted({int(i) for i in file_ids})):
                for label, n in s.execute(
                        select(TagRow.label, func.count()).where(
                            TagRow.source == TagSource.AUTO.value, TagRow.label.in_(wanted),
                            TagRow.file_id.in_(part)).group_by(TagRow.label)):
                    out[label] += int(n)
        return out

    def last_tag_change(self) -> TagChange | None:
        """The newest journaled tag change not undone yet: what
        :meth:`undo_last_tag_save` would undo (None: nothing)."""
        with self.db.read() as s:
            row = s.scalars(select(TagChangeRow).where(TagChangeRow.undone_at.is_(None))
                            .order_by(TagChangeRow.id.desc()).limit(1)).first()
            return tag_change_of(s, row) if row is not None else None


def _refuse_emptied_database(paths: DataPaths) -> None:
    """A 0-byte database beside the traces of a library is a damaged one: never start afresh
    over it (the next index would embed everything again)."""
    try:
        empty = paths.database.stat().st_size == 0
    except FileNotFoundError:
        return
    if empty and backup.library_traces(paths):
        raise corrupt_error(paths.database, "it is empty (0 bytes), but this data folder held "
                                            "a library")


def _daily_backup(paths: DataPaths, db: Database) -> None:
    """A writer opening the library checks it and backs it up once a day. A damaged library is
    refused (no more writing into it); a backup that cannot be made (a full disk) is logged."""
    if not backup.backup_due(paths):
        return
    with db.read() as session:
        if session.scalars(select(FileRow.id).limit(1)).first() is None:
            return  # nothing to lose yet
    try:
        backup.take_backup(paths, "daily")
    except StoreCorrupt:
        raise
    except (StoreError, OSError) as exc:
        log.warning("the daily backup of the library was not made: %s", exc)
