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
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import URL
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker

from clipdesk.core.errors import DiskFull, StoreError
from clipdesk.core.store import migrations
from clipdesk.paths import create_private_file

log = logging.getLogger(__name__)

BUSY_TIMEOUT_MS = 30_000
_IMMEDIATE = "clipdesk_immediate"


def is_disk_full(exc: BaseException) -> bool:
    """Whether ``exc`` (or what it wraps) says the disk or the database is full."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, DBAPIError) and current.orig is not None:
            current = current.orig
            continue
        if isinstance(current, OSError) and current.errno == errno.ENOSPC:
            return True
        if isinstance(current, sqlite3.Error):
            code = getattr(current, "sqlite_errorcode", None)
            if code == sqlite3.SQLITE_FULL or "database or disk is full" in str(current):
                return True
        current = current.__cause__ or current.__context__
    return False


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

    def __init__(self, path: Path) -> None:
        self.path = path
        # SQLite gives its -wal and -shm files the mode of the database file: 0600 from the start
        create_private_file(path)
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
            with self._writer_engine.begin() as conn:
                before, after = migrations.migrate(conn)
            if before != after:
                log.info("library schema upgraded from %d to %d", before, after)

    @contextmanager
    def _wrap_errors(self) -> Iterator[None]:
        try:
            yield
        except StoreError:
            raise
        except DBAPIError as exc:
            if is_disk_full(exc):
                raise
            orig = exc.orig if exc.orig is not None else exc
            raise StoreError(f"The library database {self.path} cannot be used: {orig}") from exc

    @contextmanager
    def read(self) -> Iterator[Session]:
        """A short read-only session: one consistent snapshot, ended (rolled back) on leaving.

        Rows loaded in it stay readable afterwards (closing detaches them without expiring)."""
        session = self._reader()
        try:
            yield session
        finally:
            session.close()

    @contextmanager
    def write(self) -> Iterator[Session]:
        """One write transaction (``BEGIN IMMEDIATE``): committed on success, rolled back on any
        error. Disk full becomes :class:`DiskFull` after the rollback."""
        session = self._writer()
        try:
            with translate_disk_full(self.path):
                try:
                    yield session
                    session.commit()
                except BaseException:
                    session.rollback()
                    raise
        finally:
            session.close()

    def dispose(self) -> None:
        self.engine.dispose()
