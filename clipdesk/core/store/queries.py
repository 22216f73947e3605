"""Small query helpers shared by the library's read and write sides."""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from datetime import datetime, time, timedelta
from pathlib import Path
from typing import TypeVar

from sqlalchemy import ColumnElement, DateTime, and_, func, or_

from clipdesk.core.store.schema import FileRow, RootRow
from clipdesk.core.types import FileStatus, Photo, Root, RootState

CHUNK = 900  # ids per IN (...): below SQLite's oldest variable limit (999)

T = TypeVar("T")


def chunks(items: Sequence[T], size: int = CHUNK) -> Iterator[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


def normalize_path(path: str | os.PathLike[str]) -> Path:
    """Absolute, symlink-free form of ``path`` (it need not exist), as roots are stored."""
    return Path(os.path.realpath(os.path.abspath(os.path.expanduser(os.fspath(path)))))


def is_within(path: Path, folder: Path) -> bool:
    return path == folder or folder in path.parents


def root_from_row(row: RootRow, photos: int = 0, skipped: int = 0, missing: int = 0) -> Root:
    return Root(id=row.id, path=Path(row.path), state=RootState(row.state),
                photo_count=photos, skipped_count=skipped, missing_count=missing,
                found_count=row.found_count, pending_model=row.pending_model)


def photo_from_row(row: FileRow, root_path: str | Path) -> Photo:
    return Photo(
        id=row.id, root_id=row.root_id, path=Path(root_path) / row.relpath, size=row.size,
        mtime_ns=row.mtime_ns, width=row.width, height=row.height, taken_at=row.taken_at,
        status=FileStatus(row.status), skip_reason=row.skip_reason,
        content_hash=row.content_hash,
    )


def folder_conditions(roots: Sequence[Root], folder: Path) -> ColumnElement[bool] | None:
    """A condition for "file is under ``folder``", or None when no root touches it."""
    parts: list[ColumnElement[bool]] = []
    for root in roots:
        if is_within(root.path, folder):
            parts.append(FileRow.root_id == root.id)
        elif is_within(folder, root.path):
            prefix = folder.relative_to(root.path).as_posix() + "/"
            parts.append(and_(FileRow.root_id == root.id,
                              func.substr(FileRow.relpath, 1, len(prefix)) == prefix))
    return or_(*parts) if parts else None


def date_condition(date_from: datetime | None, date_to: datetime | None) -> ColumnElement[bool]:
    """Date taken (or local modification time when unknown) within [date_from, date_to]."""
    when = func.coalesce(
        FileRow.taken_at,
        # the same text form SQLAlchemy stores DateTime in, so they compare as strings
        func.strftime("%Y-%m-%d %H:%M:%S.000000", FileRow.mtime_ns / 1_000_000_000,
                      "unixepoch", "localtime"),
        type_=DateTime,
    )
    parts: list[ColumnElement[bool]] = []
    if date_from is not None:
        parts.append(when >= date_from)
    if date_to is not None:
        if date_to.time() == time(0, 0):
            parts.append(when < date_to + timedelta(days=1))
        else:
            parts.append(when <= date_to)
    return and_(*parts)
