"""Backups of the library database: taken with SQLite's online backup API, checked, rotated,
and restored with one call.

A backup is a complete, checked copy of ``library.sqlite3`` in the data folder's ``backups/``:
``library-YYYYMMDD-HHMMSS-<reason>.sqlite3``, where the reason is ``daily`` (taken when a writer
opens the library and the newest backup is a day old), ``before-v<N>`` (before a schema
migration) or ``manual``. The source is checked first (``quick_check``) so a damaged library
never replaces good backups, and the copy is checked before it is kept. The newest
``KEEP_DAILY`` daily and ``KEEP_OTHER`` other backups are kept.

:func:`restore` puts the newest sound backup (or a chosen one) in place: the damaged file and
its ``-wal``/``-shm`` are moved aside (``library.sqlite3.damaged-<time>``), never deleted, and
the vector caches are dropped (they are rebuilt from the restored database).
"""

from __future__ import annotations

import logging
import os
import re
import shutil
import sqlite3
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from clipdesk.core.errors import StoreError
from clipdesk.paths import DataPaths, create_private_file, make_private_dir

log = logging.getLogger(__name__)

KEEP_DAILY = 3
KEEP_OTHER = 3
DAILY_S = 24 * 3600
_NAME = re.compile(r"library-(\d{8}-\d{6})-([a-z0-9-]+)\.sqlite3")


@dataclass(frozen=True)
class Backup:
    path: Path
    taken_at: datetime
    reason: str  # "daily", "manual", "before-v2", ...
    size: int


def list_backups(paths: DataPaths) -> list[Backup]:
    """The backups in the data folder, newest first."""
    folder = paths.backup_dir
    found: list[Backup] = []
    if not folder.is_dir():
        return found
    for entry in folder.iterdir():
        match = _NAME.fullmatch(entry.name)
        if match is None or not entry.is_file():
            continue
        when = datetime.strptime(match[1], "%Y%m%d-%H%M%S")
        found.append(Backup(entry, when, match[2], entry.stat().st_size))
    return sorted(found, key=lambda b: (b.taken_at, b.path.name), reverse=True)


def check_file(path: Path, *, full: bool = False) -> list[str]:
    """SQLite's check of the database file ``path``; the problems, or none."""
    pragma = "integrity_check" if full else "quick_check"
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            rows = conn.execute(f"PRAGMA {pragma}").fetchall()
        finally:
            conn.close()
    except sqlite3.Error as exc:
        return [str(exc)]
    problems = [str(r[0]) for r in rows]
    return [] if problems == ["ok"] else problems


def take_backup(paths: DataPaths, reason: str = "manual") -> Backup:
    """Copy the library into ``backups/`` (checked source, checked copy), then rotate.

    Raises :class:`StoreError` when the library itself is damaged (nothing is replaced) or
    the copy cannot be made (a full disk: the partial copy is removed)."""
    source = paths.database
    problems = check_file(source)
    if problems:
        from clipdesk.core.store.database import corrupt_error

        raise corrupt_error(source, problems[0])
    folder = make_private_dir(paths.backup_dir)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    target = folder / f"library-{stamp}-{reason}.sqlite3"
    tmp = folder / f".{target.name}.tmp"
    tmp.unlink(missing_ok=True)
    create_private_file(tmp)
    try:
        src = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
        dst = sqlite3.connect(tmp)
        try:
            src.backup(dst)
            dst.execute("PRAGMA journal_mode=DELETE")  # one self-contained file
        finally:
            dst.close()
            src.close()
        problems = check_file(tmp)
        if problems:
            raise StoreError(f"The backup copy of {source} did not check out ({problems[0]}).")
        os.replace(tmp, target)
    except sqlite3.Error as exc:
        _remove(tmp)
        raise StoreError(f"The library could not be backed up to {folder}: {exc}.") from exc
    except BaseException:
        _remove(tmp)
        raise
    rotate(paths)
    log.info("library backed up to %s (%s)", target, reason)
    return Backup(target, datetime.strptime(stamp, "%Y%m%d-%H%M%S"), reason,
                  target.stat().st_size)


def _remove(database: Path) -> None:
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(f"{database}{suffix}").unlink(missing_ok=True)


def rotate(paths: DataPaths) -> None:
    """Keep the newest ``KEEP_DAILY`` daily backups and ``KEEP_OTHER`` others."""
    daily = [b for b in list_backups(paths) if b.reason == "daily"]
    other = [b for b in list_backups(paths) if b.reason != "daily"]
    for old in daily[KEEP_DAILY:] + other[KEEP_OTHER:]:
        old.path.unlink(missing_ok=True)


def backup_due(paths: DataPaths, now: float | None = None) -> bool:
    """Whether the daily backup is due: the library has content and no backup is a day old."""
    try:
        if paths.database.stat().st_size == 0:
            return False
    except FileNotFoundError:
        return False
    backups = list_backups(paths)
    if not backups:
        return True
    newest = backups[0].path.stat().st_mtime
    return (now if now is not None else time.time()) - newest >= DAILY_S


def restore(paths: DataPaths, backup: Path | None = None) -> Backup:
    """Put ``backup`` (default: the newest one that checks out) in place of the library.

    Takes the writer lock (:class:`StoreLocked` while another job writes). The current
    database and its ``-wal``/``-shm`` are moved aside, not deleted. Raises
    :class:`StoreError` when no sound backup exists."""
    from clipdesk.core.store.lock import WriterLock

    with WriterLock(paths.lock_file, paths.root):
        return restore_unlocked(paths, backup)


def restore_unlocked(paths: DataPaths, backup: Path | None = None) -> Backup:
    """:func:`restore` for a caller that holds the writer lock and keeps readers away.

    The library file is never absent: the backup is copied beside it, the old file is kept
    under a second name (a hard link where the file system has them), and the copy takes its
    place in one rename, so a reader opening meanwhile finds the old file or the new one,
    never none (which would create an empty library)."""
    candidates = list_backups(paths)
    if backup is not None:
        candidates = [b for b in candidates if b.path == Path(backup)] or [
            Backup(Path(backup), datetime.fromtimestamp(Path(backup).stat().st_mtime), "file",
                   Path(backup).stat().st_size)]
    chosen = next((b for b in candidates if not check_file(b.path, full=True)), None)
    if chosen is None:
        where = backup or paths.backup_dir
        raise StoreError(f"No backup in {where} checks out, so there is nothing to restore.")
    database = paths.database
    tmp = database.with_name(f".{database.name}.restoring")
    shutil.copyfile(chosen.path, tmp)
    os.chmod(tmp, 0o600)
    kept = _aside_name(database)
    for suffix in ("-wal", "-shm"):  # the old file's journal must not meet the new file
        current = Path(f"{database}{suffix}")
        if current.exists():
            current.replace(Path(f"{kept}{suffix}"))
    if database.exists():
        try:
            os.link(database, kept)
        except OSError:  # no hard links here (FAT, some network shares): a copy
            shutil.copyfile(database, kept)
    os.replace(tmp, database)
    for cache in paths.vector_dir.glob("*"):
        if cache.is_file():
            cache.unlink(missing_ok=True)  # rebuilt from the restored database
    log.warning("library restored from %s; the previous file was kept as %s", chosen.path,
                kept.name)
    return chosen


def _aside_name(database: Path) -> Path:
    """A free name for the replaced library file: ``<name>.damaged-<time>[-n]``."""
    stamp = time.strftime("%Y%m%d-%H%M%S")
    kept = Path(f"{database}.damaged-{stamp}")
    n = 1
    while any(Path(f"{kept}{s}").exists() for s in ("", "-wal", "-shm")):
        n += 1
        kept = Path(f"{database}.damaged-{stamp}-{n}")
    return kept


def library_traces(paths: DataPaths) -> bool:
    """Whether the data folder shows signs of a library that was there (backups, vector caches
    or thumbnails): a 0-byte database next to them is a damaged one, not a new one."""
    if list_backups(paths):
        return True
    if paths.vector_dir.is_dir() and any(p.is_file() for p in paths.vector_dir.iterdir()):
        return True
    thumbs = paths.thumbnail_dir
    return thumbs.is_dir() and any(
        any(shard.iterdir()) for size in thumbs.iterdir() if size.is_dir()
        for shard in size.iterdir() if shard.is_dir())
