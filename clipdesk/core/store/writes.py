"""The library's writing side (the writer only): roots, moves, removals and per-batch commits.

Every method is one transaction. Whatever changes a model's set of vectors bumps that model's
generation in the same transaction, which is how the FAISS cache knows it is stale.
"""

from __future__ import annotations

import json
import os
from collections import defaultdict
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from sqlalchemy import delete, exists, func, insert, select, update
from sqlalchemy.orm import Session
from sqlalchemy.sql import ColumnElement

from clipdesk.core.errors import StoreError
from clipdesk.core.store.queries import chunks, is_within, normalize_path, root_from_row
from clipdesk.core.store.records import (
    FileMove,
    FileUpdate,
    MissingFiles,
    StoredFile,
    TagChange,
    TagChangeKind,
    TagJournal,
    TagSource,
)
from clipdesk.core.store.schema import (
    EmbeddingRow,
    FileRow,
    ModelRow,
    RootRow,
    TagChangeEntryRow,
    TagChangeRow,
    TagRow,
    UnreadableFolderRow,
)
from clipdesk.core.types import FileStatus, Root, RootState

if TYPE_CHECKING:
    from clipdesk.core.store.database import Database


def _bump(session: Session, model_ids: Iterable[str]) -> None:
    ids = sorted(set(model_ids))
    if ids:
        session.execute(update(ModelRow).where(ModelRow.model_id.in_(ids))
                        .values(generation=ModelRow.generation + 1))


def _models_of(session: Session, file_ids: Sequence[int]) -> set[str]:
    found: set[str] = set()
    for part in chunks(file_ids):
        found.update(session.scalars(select(EmbeddingRow.model_id).distinct()
                                     .where(EmbeddingRow.file_id.in_(part))))
    return found


def _move(session: Session, moves: Sequence[FileMove]) -> None:
    if not moves:
        return
    # two steps, so that files trading places never collide on (root, relpath) half-way
    # (a relative path never starts with "/", so the parking names are free)
    session.execute(update(FileRow), [{"id": m.file_id, "relpath": f"/moving/{m.file_id}"}
                                      for m in moves])
    session.execute(update(FileRow), [
        {"id": m.file_id, "root_id": m.root_id, "relpath": m.relpath, "size": m.size,
         "mtime_ns": m.mtime_ns, "missing_since": None} for m in moves])


def _row_values(u: FileUpdate, now: datetime) -> dict[str, Any]:
    return {
        "root_id": u.root_id, "relpath": u.relpath, "size": u.size, "mtime_ns": u.mtime_ns,
        "status": u.status.value, "skip_reason": u.skip_reason, "indexed_at": now,
        "content_hash": u.content_hash, "width": u.width, "height": u.height,
        "taken_at": u.taken_at,
    }


def _stored(row: FileRow) -> StoredFile:
    return StoredFile(row.id, row.root_id, row.relpath, row.size, row.mtime_ns,
                      row.content_hash, FileStatus(row.status), row.missing_since is not None)


def _set_missing(session: Session, ids: Sequence[int], since: datetime | None) -> None:
    """Mark rows missing (``since``) or found again (None); the models whose searchable set
    changes get a new generation. Rows already in that state are left as they are."""
    if not ids:
        return
    state = FileRow.missing_since.is_(None) if since is not None else \
        FileRow.missing_since.is_not(None)
    changed: list[int] = []
    for part in chunks([int(i) for i in ids]):
        changed += list(session.scalars(select(FileRow.id).where(FileRow.id.in_(part), state)))
    if not changed:
        return
    _bump(session, _models_of(session, changed))
    for part in chunks(changed):
        session.execute(update(FileRow).where(FileRow.id.in_(part))
                        .values(missing_since=since))


KEEP_TAG_CHANGES = 20  # journaled tag changes kept (older ones can no longer be undone)

_TagValues = dict[str, Any]  # a tags row as insert() takes it: file_id, label, source, ...


def _tag_values(row: TagRow) -> _TagValues:
    return {"file_id": row.file_id, "label": row.label, "source": row.source,
            "score": row.score, "model_id": row.model_id}


def _start_change(session: Session, kind: TagChangeKind, labels: Sequence[str],
                  model_id: str | None = None) -> int:
    """A new journaled change (the oldest beyond :data:`KEEP_TAG_CHANGES` are forgotten)."""
    row = TagChangeRow(kind=kind.value, labels=json.dumps(list(labels), ensure_ascii=False),
                       model_id=model_id, made_at=datetime.now())
    session.add(row)
    session.flush()
    old = list(session.scalars(select(TagChangeRow.id).order_by(TagChangeRow.id.desc())
                               .offset(KEEP_TAG_CHANGES)))
    for part in chunks(old):
        session.execute(delete(TagChangeRow).where(TagChangeRow.id.in_(part)))
    return int(row.id)


def _journal(session: Session, change_id: int, side: str, rows: Sequence[_TagValues]) -> None:
    if rows:
        session.execute(insert(TagChangeEntryRow),
                        [{**r, "change_id": change_id, "side": side} for r in rows])


def tag_change_of(session: Session, row: TagChangeRow) -> TagChange:
    """The :class:`TagChange` of a journal row, with its counts."""
    counts = dict(session.execute(
        select(TagChangeEntryRow.side, func.count()).where(TagChangeEntryRow.change_id == row.id)
        .group_by(TagChangeEntryRow.side)).all())
    photos = session.scalar(select(func.count(func.distinct(TagChangeEntryRow.file_id)))
                            .where(TagChangeEntryRow.change_id == row.id)) or 0
    return TagChange(int(row.id), TagChangeKind(row.kind), tuple(json.loads(row.labels)),
                     row.made_at, int(photos), int(counts.get("before", 0)),
                     int(counts.get("after", 0)), row.model_id, row.undone_at is not None)


def _clean_label(label: str) -> str:
    text = " ".join(label.split())
    if not text:
        raise StoreError("A tag needs a name.")
    return text


class WriteOps:
    """Mixed into :class:`~clipdesk.core.store.library.Library`."""

    db: Database
    _spaces: Callable[[], Mapping[str, str]] | None = None

    @property
    def writable(self) -> bool:  # pragma: no cover - overridden by Library
        raise NotImplementedError

    def spaces(self) -> Mapping[str, str]:
        """``{model id: image model id}`` of the models that search another model's vectors."""
        return self._spaces() if self._spaces is not None else {}

    def space(self, model_id: str) -> str:
        """The model id whose vectors ``model_id`` searches: its own, or those of the model
        whose image tower it shares (see ``ModelInfo.image_model``)."""
        return self.spaces().get(model_id, model_id)

    def _require_writer(self) -> None:
        if not self.writable:
            raise StoreError("This library was opened for reading only.")

    # -- roots ---------------------------------------------------------------------------------

    def add_root(self, path: str | os.PathLike[str]) -> Root:
        """Add a folder to the library and return its root.

        A folder inside an existing root returns that root. A folder that contains existing roots
        absorbs them: their files are re-homed under the new root (ids and vectors kept).
        """
        self._require_writer()
        target = normalize_path(path)
        with self.db.write() as s:
            rows = s.scalars(select(RootRow)).all()
            for row in rows:
                if is_within(target, Path(row.path)):
                    return root_from_row(row)
            new = RootRow(path=str(target), state=RootState.ONLINE.value,
                          added_at=datetime.now())
            s.add(new)
            s.flush()
            for row in rows:
                inner = Path(row.path)
                if not is_within(inner, target):
                    continue
                prefix = inner.relative_to(target).as_posix() + "/"
                s.execute(update(FileRow).where(FileRow.root_id == row.id)
                          .values(root_id=new.id, relpath=prefix + FileRow.relpath))
                s.delete(row)
            return root_from_row(new)

    def remove_root(self, root_id: int) -> None:
        """Forget a root folder: its files, their vectors and tags go (the folder is untouched)."""
        self._require_writer()
        with self.db.write() as s:
            ids = s.scalars(select(FileRow.id).where(FileRow.root_id == root_id)).all()
            _bump(s, _models_of(s, ids))
            s.execute(delete(RootRow).where(RootRow.id == root_id))

    # -- what the indexer reads before writing -------------------------------------------------

    def stored_files(self, root_id: int) -> dict[str, StoredFile]:
        """Every file row of a root (missing ones too), by relative path."""
        with self.db.read() as s:
            rows = s.execute(select(
                FileRow.id, FileRow.root_id, FileRow.relpath, FileRow.size, FileRow.mtime_ns,
                FileRow.content_hash, FileRow.status, FileRow.missing_since,
            ).where(FileRow.root_id == root_id))
            return {r[2]: StoredFile(r[0], r[1], r[2], r[3], r[4], r[5], FileStatus(r[6]),
                                     r[7] is not None) for r in rows}

    def files_lacking_vectors(self, model_id: str, root_ids: Sequence[int]) -> list[StoredFile]:
        """Decoded files (status ok, not missing) of these roots without a ``model_id`` vector."""
        model_id = self.space(model_id)
        lacking = ~exists().where(EmbeddingRow.file_id == FileRow.id,
                                  EmbeddingRow.model_id == model_id)
        with self.db.read() as s:
            rows = s.scalars(select(FileRow).where(
                FileRow.status == FileStatus.OK.value, FileRow.root_id.in_(list(root_ids)),
                FileRow.missing_since.is_(None), lacking,
            ).order_by(FileRow.root_id, FileRow.relpath)).all()
            return [_stored(r) for r in rows]

    def missing_files(self, older_than: datetime | None = None) -> MissingFiles:
        """How many files are marked missing (since before ``older_than``, when given), and
        how many tags set by hand they carry: what :meth:`purge_missing` would delete."""
        where: list[ColumnElement[bool]] = [FileRow.missing_since.is_not(None)]
        if older_than is not None:
            where.append(FileRow.missing_since <= older_than)
        with self.db.read() as s:
            files = int(s.scalar(select(func.count()).select_from(FileRow).where(*where)) or 0)
            tags = int(s.scalar(select(func.count()).select_from(TagRow).join(
                FileRow, TagRow.file_id == FileRow.id).where(
                TagRow.source == TagSource.MANUAL.value, *where)) or 0)
        return MissingFiles(files, tags)

    def ensure_model(self, model_id: str, dim: int) -> None:
        """Register ``model_id`` with its embedding size; a different size is refused (the
        stored vectors could not be searched with this model)."""
        model_id = self.space(model_id)
        self._require_writer()
        with self.db.write() as s:
            row = s.get(ModelRow, model_id)
            if row is None:
                s.add(ModelRow(model_id=model_id, dim=int(dim), generation=0))
            elif row.dim != dim:
                raise StoreError(
                    f"The library holds {row.dim}-dimensional vectors for {model_id}, but this "
                    f"model makes {dim}-dimensional ones; remove its vectors or import it under "
                    f"another name."
                )

    # -- changes -------------------------------------------------------------------------------

    def apply_scan(self, moves: Sequence[FileMove], missing: Sequence[int],
                   found: Sequence[int] = ()) -> None:
        """One scan's news, in one transaction: moved files re-homed (vectors untouched),
        files no longer found marked missing (kept, with vectors and tags), and missing files
        found again at their place marked present."""
        self._require_writer()
        if not moves and not missing and not found:
            return
        with self.db.write() as s:
            _set_missing(s, missing, datetime.now())
            _set_missing(s, [*found, *(m.file_id for m in moves)], None)
            _move(s, moves)

    def purge_missing(self, older_than: datetime | None = None) -> MissingFiles:
        """Delete the files marked missing (since before ``older_than``, when given), with
        their vectors and tags -- the person's own tags too: call it only on their say."""
        self._require_writer()
        where: list[ColumnElement[bool]] = [FileRow.missing_since.is_not(None)]
        if older_than is not None:
            where.append(FileRow.missing_since <= older_than)
        counts = self.missing_files(older_than)
        with self.db.write() as s:
            ids = list(s.scalars(select(FileRow.id).where(*where)))
            _bump(s, _models_of(s, ids))
            for part in chunks(ids):
                s.execute(delete(FileRow).where(FileRow.id.in_(part)))
        return counts

    def commit_batch(
        self, model_id: str, updates: Sequence[FileUpdate], *, moves: Sequence[FileMove] = ()
    ) -> list[int]:
        """Write one batch in one transaction: rows, vectors, statuses, and ``moves`` (rows whose
        place, size or time changed but not their content). Returns the file ids in the order
        of ``updates``. Either all of it is stored or none of it."""
        model_id = self.space(model_id)
        self._require_writer()
        with self.db.write() as s:
            _move(s, moves)
            model = s.get(ModelRow, model_id)
            if model is None:
                raise StoreError(f"Model {model_id} is not registered in the library.")
            touched: set[str] = set()
            now = datetime.now()
            new = [u for u in updates if u.file_id is None]
            old = [u for u in updates if u.file_id is not None]
            new_ids: list[int] = []
            if new:
                new_ids = [int(i) for i in s.scalars(
                    insert(FileRow).returning(FileRow.id, sort_by_parameter_order=True),
                    [_row_values(u, now) for u in new])]
            if old:
                drop = [int(u.file_id) for u in old if u.file_id is not None
                        and (u.content_changed or u.status is not FileStatus.OK)]
                if drop:
                    touched |= _models_of(s, drop)
                    for part in chunks(drop):
                        s.execute(delete(EmbeddingRow).where(EmbeddingRow.file_id.in_(part)))
                s.execute(update(FileRow), [{"id": u.file_id, **_row_values(u, now)} for u in old])
            new_set = set(new_ids)
            fresh = iter(new_ids)
            ids = [u.file_id if u.file_id is not None else next(fresh) for u in updates]
            vectors: list[dict[str, Any]] = []
            existing: list[int] = []
            for u, file_id in zip(updates, ids, strict=True):
                if u.vector is None or u.status is not FileStatus.OK:
                    continue
                vec = np.ascontiguousarray(u.vector, dtype="<f4").reshape(-1)
                if vec.shape[0] != model.dim:
                    raise StoreError(f"A {vec.shape[0]}-dimensional vector cannot be stored "
                                     f"for {model_id} ({model.dim} dimensions).")
                vectors.append({"file_id": file_id, "model_id": model_id,
                                "vector": vec.tobytes()})
                if file_id not in new_set:
                    existing.append(file_id)
            if vectors:
                # a vector is never updated in place (the cache relies on growing row ids)
                for part in chunks(existing):
                    s.execute(delete(EmbeddingRow).where(EmbeddingRow.model_id == model_id,
                                                         EmbeddingRow.file_id.in_(part)))
                s.execute(insert(EmbeddingRow), vectors)
                touched.add(model_id)
            _bump(s, touched)
        return ids

    # -- tags and states -----------------------------------------------------------------------

    def set_tags(
        self,
        file_id: int,
        labels: Sequence[str] | dict[str, float | None],
        *,
        source: TagSource = TagSource.MANUAL,
        model_id: str | None = None,
    ) -> None:
        """Replace the ``source`` tags of one file by ``labels`` (a dict gives scores)."""
        self._require_writer()
        scores = labels if isinstance(labels, dict) else dict.fromkeys(labels)
        with self.db.write() as s:
            s.execute(delete(TagRow).where(TagRow.file_id == file_id,
                                           TagRow.source == source.value))
            s.add_all(TagRow(file_id=file_id, label=label, source=source.value, score=score,
                             model_id=model_id) for label, score in scores.items())

    def replace_tags(
        self,
        tags: Mapping[int, Mapping[str, float | None]],
        *,
        source: TagSource = TagSource.AUTO,
        model_id: str | None = None,
        labels: Collection[str] | None = None,
        journal: TagJournal | None = None,
    ) -> int:
        """Replace the ``source`` tags of many files in one transaction: every file id in
        ``tags`` gets exactly the labels (with scores) given for it; an empty mapping clears that
        file's ``source`` tags. With ``labels`` (a label set), only tags with those labels are
        replaced and the file's other ``source`` tags stay. Tags of the other source are never
        touched. Ids of files that no longer exist are ignored. Returns how many tags were
        removed (the ones replaced).

        With ``journal``, the tags removed and written are journaled in the same transaction
        (the journaled change is created by the first call), so that
        :meth:`undo_last_tag_save` can put the removed ones back."""
        self._require_writer()
        ids = sorted({int(i) for i in tags})
        if not ids and (journal is None or journal.change_id is not None):
            return 0
        scope = [TagRow.source == source.value]
        if labels is not None:
            scope.append(TagRow.label.in_(sorted(set(labels))))
        removed = 0
        with self.db.write() as s:
            if journal is not None and journal.change_id is None:
                journal.change_id = _start_change(s, journal.kind, journal.labels,
                                                  journal.model_id)
            existing: set[int] = set()
            before: list[_TagValues] = []
            for part in chunks(ids):
                if journal is not None:
                    before += [_tag_values(r) for r in s.scalars(
                        select(TagRow).where(TagRow.file_id.in_(part), *scope))]
                gone = s.execute(delete(TagRow).where(TagRow.file_id.in_(part), *scope))
                removed += int(getattr(gone, "rowcount", 0) or 0)
                existing.update(s.scalars(select(FileRow.id).where(FileRow.id.in_(part))))
            rows = [{"file_id": file_id, "label": label, "source": source.value,
                     "score": None if score is None else float(score), "model_id": model_id}
                    for file_id in ids if file_id in existing
                    for label, score in tags[file_id].items()]
            if rows:
                s.execute(insert(TagRow), rows)
            if journal is not None and journal.change_id is not None:
                _journal(s, journal.change_id, "before", before)
                _journal(s, journal.change_id, "after", rows)
        return removed

    # -- tag management (each one journaled: undoable) ---------------------------------------

    def rename_tag(self, old: str, new: str) -> TagChange:
        """Rename the tag ``old`` (manual and automatic) to ``new``; a photo that carries both
        keeps one ``new`` tag per source (the one it had, else the best-scored)."""
        return self._merge([old], new, TagChangeKind.RENAME)

    def merge_tags(self, labels: Sequence[str], into: str) -> TagChange:
        """Make the tags ``labels`` one tag ``into`` (which may be one of them or a new one)."""
        return self._merge(labels, into, TagChangeKind.MERGE)

    def _merge(self, labels: Sequence[str], into: str, kind: TagChangeKind) -> TagChange:
        self._require_writer()
        into = _clean_label(into)
        sources = [lb for lb in dict.fromkeys(labels) if lb != into]
        if not sources:
            raise StoreError("Choose a tag other than the one to merge into.")
        with self.db.write() as s:
            moved = list(s.scalars(select(TagRow).where(TagRow.label.in_(sources))))
            files = sorted({r.file_id for r in moved})
            kept: list[TagRow] = []
            for part in chunks(files):
                kept += list(s.scalars(select(TagRow).where(TagRow.label == into,
                                                            TagRow.file_id.in_(part))))
            before = [_tag_values(r) for r in (*kept, *moved)]
            best: dict[tuple[int, str], _TagValues] = {
                (r.file_id, r.source): _tag_values(r) for r in kept}
            for r in sorted(moved, key=lambda r: -(r.score if r.score is not None else -9.0)):
                best.setdefault((r.file_id, r.source), {**_tag_values(r), "label": into})
            after = list(best.values())
            change_id = _start_change(s, kind, [*sources, into])
            for part in chunks([r.id for r in (*kept, *moved)]):
                s.execute(delete(TagRow).where(TagRow.id.in_(part)))
            if after:
                s.execute(insert(TagRow), after)
            _journal(s, change_id, "before", before)
            _journal(s, change_id, "after", after)
            return tag_change_of(s, s.get_one(TagChangeRow, change_id))

    def delete_tag(self, label: str, source: TagSource | None = None) -> TagChange:
        """Delete the tag ``label`` from every photo (only its ``source`` ones when given)."""
        self._require_writer()
        where = [TagRow.label == label]
        if source is not None:
            where.append(TagRow.source == source.value)
        with self.db.write() as s:
            rows = list(s.scalars(select(TagRow).where(*where)))
            change_id = _start_change(s, TagChangeKind.DELETE, [label])
            for part in chunks([r.id for r in rows]):
                s.execute(delete(TagRow).where(TagRow.id.in_(part)))
            _journal(s, change_id, "before", [_tag_values(r) for r in rows])
            return tag_change_of(s, s.get_one(TagChangeRow, change_id))

    def undo_last_tag_save(self) -> TagChange | None:
        """Undo the newest journaled tag change not undone yet (a tagging save, a rename, a
        merge or a delete), in one transaction: the tags it wrote go, the tags it replaced
        come back exactly (label, source, score, model). Tags of other labels, and manual
        tags a save never touched, stay as they are. None when there is nothing to undo."""
        self._require_writer()
        with self.db.write() as s:
            row = s.scalars(select(TagChangeRow).where(TagChangeRow.undone_at.is_(None))
                            .order_by(TagChangeRow.id.desc()).limit(1)).first()
            if row is None:
                return None
            entries = list(s.scalars(select(TagChangeEntryRow).where(
                TagChangeEntryRow.change_id == row.id)))
            keys: dict[tuple[str, str], set[int]] = defaultdict(set)
            for e in entries:
                keys[(e.label, e.source)].add(e.file_id)
            for (label, source), files in keys.items():
                for part in chunks(sorted(files)):
                    s.execute(delete(TagRow).where(TagRow.label == label,
                                                   TagRow.source == source,
                                                   TagRow.file_id.in_(part)))
            restore = [{"file_id": e.file_id, "label": e.label, "source": e.source,
                        "score": e.score, "model_id": e.model_id}
                       for e in entries if e.side == "before"]
            if restore:
                s.execute(insert(TagRow), restore)
            row.undone_at = datetime.now()
            s.flush()
            return tag_change_of(s, row)

    def set_root_state(self, root_id: int, state: RootState, *, scanned: bool = False,
                       found: int | None = None,
                       unreadable: Sequence[Path] | None = None) -> None:
        """Record a root's reachability; ``scanned``: a scan just ended, finding ``found``
        files and not able to list the folders ``unreadable`` (they replace the last scan's)."""
        self._require_writer()
        values: dict[str, Any] = {"state": state.value}
        now = datetime.now()
        if scanned:
            values["last_scan_at"] = now
        if found is not None:
            values["found_count"] = int(found)
        with self.db.write() as s:
            s.execute(update(RootRow).where(RootRow.id == root_id).values(**values))
            if unreadable is not None:
                root_path = s.scalar(select(RootRow.path).where(RootRow.id == root_id))
                s.execute(delete(UnreadableFolderRow)
                          .where(UnreadableFolderRow.root_id == root_id))
                rows = {_under(Path(root_path or ""), folder) for folder in unreadable}
                s.add_all(UnreadableFolderRow(root_id=root_id, relpath=rel, seen_at=now)
                          for rel in sorted(rows))

    def set_pending(self, root_ids: Sequence[int], model_id: str | None) -> None:
        """Mark the indexing of these roots with ``model_id`` as started and unfinished (None:
        finished). Kept in the database, so that work interrupted by a quit, a crash or a kill
        resumes on the next start."""
        model_id = self.space(model_id) if model_id is not None else None
        self._require_writer()
        if not root_ids:
            return
        with self.db.write() as s:
            s.execute(update(RootRow).where(RootRow.id.in_([int(r) for r in root_ids]))
                      .values(pending_model=model_id))

    def file_count(self) -> int:
        with self.db.read() as s:
            return int(s.scalar(select(func.count()).select_from(FileRow)) or 0)


def _under(root: Path, folder: Path) -> str:
    """``folder`` relative to ``root`` in POSIX form, or whole when it is elsewhere (reached
    through a link)."""
    try:
        return folder.relative_to(root).as_posix()
    except ValueError:
        return str(folder)
