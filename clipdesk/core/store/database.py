"""The SQLite connection: pragmas, real transactions, schema upgrades and disk-full handling.

Every connection runs with ``journal_mode=WAL`` (readers never block the writer and see a
consistent snapshot), ``foreign_keys=ON`` (cascading deletes of vectors and tags),
``synchronous=NORMAL`` (durable in WAL mode up to the last commits on power loss, never corrupt)
and a busy timeout. pysqlite's own transaction guessing is switched off and SQLAlchemy emits
``BEGIN`` itself (the documented recipe), so DDL and reads are transactional too; write
transactions use ``BEGIN IMMEDIATE`` so they take the write lock up front instead of failing
half-way with ``SQLITE_BUSY``.
"""

from __future__ import annotations

import errno
import logging
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import URL
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker

from clipdesk.core.errors import DiskFull, StoreCorrupt, StoreError
from clipdesk.core.store import migrations
from clipdesk.paths import create_private_file

log = logging.getLogger(__name__)

BUSY_TIMEOUT_MS = 30_000
_IMMEDIATE = "clipdesk_immediate"


def _causes(exc: BaseException) -> Iterator[BaseException]:
    """``exc`` and what it wraps: the driver's error inside SQLAlchemy's, causes, contexts."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, DBAPIError) and current.orig is not None:
            current = current.orig
            continue
        yield current
        current = current.__cause__ or current.__context__


def is_disk_full(exc: BaseException) -> bool:
    """Whether ``exc`` (or what it wraps) says the disk or the database is full."""
    for cause in _causes(exc):
        if isinstance(cause, OSError) and cause.errno == errno.ENOSPC:
            return True
        if isinstance(cause, sqlite3.Error):
            code = getattr(cause, "sqlite_errorcode", None)
            if code == sqlite3.SQLITE_FULL or "database or disk is full" in str(cause):
                return True
    return False


_CORRUPT_CODES = frozenset({11, 26})  # SQLITE_CORRUPT, SQLITE_NOTADB
_CORRUPT_WORDS = ("malformed", "file is not a database", "corrupt")
SQLITE_HEADER = b"SQLite format 3\x00"


def is_corrupt(exc: BaseException) -> bool:
    """Whether ``exc`` (or what it wraps) says the database file is damaged."""
    for cause in _causes(exc):
        if isinstance(cause, sqlite3.DatabaseError):
            code = getattr(cause, "sqlite_errorcode", None)
            if (code is not None and code & 0xFF in _CORRUPT_CODES) or any(
                    w in str(cause).lower() for w in _CORRUPT_WORDS):
                return True
    return False


def corrupt_error(path: Path, detail: str) -> StoreCorrupt:
    return StoreCorrupt(
        f"The library database {path} is damaged ({detail}). Restore the newest backup with "
        f"'clipdesk-cli restore' (or Library > Restore from backup in the app); your photos "
        f"themselves are not affected.", path)


def database_error(path: Path, exc: BaseException) -> StoreError:
    """One sentence for any database error: damaged, full, or otherwise unusable."""
    if isinstance(exc, StoreError):
        return exc
    orig = exc.orig if isinstance(exc, DBAPIError) and exc.orig is not None else exc
    if is_corrupt(exc):
        return corrupt_error(path, str(orig))
    if is_disk_full(exc):
        return disk_full_error(path, exc)
    return StoreError(f"The library database {path} cannot be used: {orig}")


def check_header(path: Path) -> None:
    """Refuse a file that cannot be an SQLite database before SQLite writes into it."""
    try:
        with open(path, "rb") as fp:
            head = fp.read(len(SQLITE_HEADER))
    except FileNotFoundError:
        return
    if head and head != SQLITE_HEADER:
        raise corrupt_error(path, "its first bytes are not an SQLite database's")


def disk_full_error(where: Path, exc: BaseException) -> DiskFull:
    return DiskFull(
        f"The disk holding {where} is full; nothing of the last step was kept. "
        f"Free some space and run again."
    )


@contextmanager
def translate_disk_full(where: Path) -> Iterator[None]:
    """Turn "disk full" from SQLite or the OS into :class:`DiskFull`; other errors pass."""
    try:
        yield
    except DiskFull:
        raise
    except Exception as exc:
        if is_disk_full(exc):
            raise disk_full_error(where, exc) from exc
        raise


def create_db_engine(path: Path) -> Engine:
    """An engine for the SQLite file at ``path`` with clipdesk's pragmas on every connection."""
    url = URL.create("sqlite+pysqlite", database=str(path))
    engine = create_engine(url, connect_args={"timeout": BUSY_TIMEOUT_MS / 1000})

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # we emit BEGIN ourselves (see "begin")
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        finally:
            cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        immediate = conn.get_execution_options().get(_IMMEDIATE, False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return engine


class Database:
    """One SQLite file: sessions for reading, transactions for writing, schema kept current."""

    def __init__(self, path: Path,
                 before_migration: Callable[[int], object] | None = None) -> None:
        """``before_migration(version)`` runs before an existing library is upgraded to
        ``version`` (a backup)."""
        self.path = path
        self._before_migration = before_migration
        check_header(path)
        # SQLite gives its -wal and -shm files the mode of the database file: 0600 from the start
        self.created = create_private_file(path)
        self.engine = create_db_engine(path)
        self._writer_engine = self.engine.execution_options(**{_IMMEDIATE: True})
        self._reader = sessionmaker(bind=self.engine, expire_on_commit=False)
        self._writer = sessionmaker(bind=self._writer_engine, expire_on_commit=False)
        try:
            self.upgrade()
        except BaseException:
            self.engine.dispose()
            raise

    def upgrade(self) -> None:
        """Apply missing migrations (a no-op read when the schema is current)."""
        with translate_disk_full(self.path), self._wrap_errors():
            with self.engine.connect() as conn:
                version = migrations.current_version(conn)
                conn.rollback()
            if version == migrations.latest_version():
                return
            if version > 0 and self._before_migration is not None:
                self._before_migration(migrations.latest_version())
            with self._writer_engine.begin() as conn:
                before, after = migrations.migrate(conn)
            if before != after:
                log.info("library schema upgraded from %d to %d", before, after)

    @contextmanager
    def _wrap_errors(self) -> Iterator[None]:
        """Every database error as one sentence (:func:`database_error`)."""
        try:
            yield
        except StoreError:
            raise
        except (DBAPIError, sqlite3.Error) as exc:
            raise database_error(self.path, exc) from exc

    @contextmanager
    def read(self) -> Iterator[Session]:
        """A short read-only session: one consistent snapshot, ended (rolled back) on leaving.

        Rows loaded in it stay readable afterwards (closing detaches them without expiring).
        A database error becomes a :class:`StoreError` sentence (:class:`StoreCorrupt` for a
        damaged file)."""
        session = self._reader()
        try:
            with self._wrap_errors():
                yield session
        finally:
            session.close()

    @contextmanager
    def write(self) -> Iterator[Session]:
        """One write transaction (``BEGIN IMMEDIATE``): committed on success, rolled back on any
        error. Disk full becomes :class:`DiskFull` after the rollback, a damaged file
        :class:`StoreCorrupt`, any other database error a :class:`StoreError` sentence."""
        session = self._writer()
        try:
            with translate_disk_full(self.path), self._wrap_errors():
                try:
                    yield session
                    session.commit()
                except BaseException:
                    session.rollback()
                    raise
        finally:
            session.close()

    def check(self, *, full: bool = False) -> list[str]:
        """SQLite's own check of the file (``quick_check``, or ``integrity_check`` when
        ``full``): the problems it finds, none when the file is sound."""
        pragma = "integrity_check" if full else "quick_check"
        try:
            with self.engine.connect() as conn:
                rows = conn.exec_driver_sql(f"PRAGMA {pragma}").fetchall()
                conn.rollback()
        except (DBAPIError, sqlite3.Error) as exc:
            if is_corrupt(exc):
                orig = exc.orig if isinstance(exc, DBAPIError) and exc.orig is not None else exc
                return [str(orig)]
            raise database_error(self.path, exc) from exc
        problems = [str(row[0]) for row in rows]
        return [] if problems == ["ok"] else problems

    def dispose(self) -> None:
        self.engine.dispose()
