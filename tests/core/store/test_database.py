"""SQLite set-up: pragmas, schema versions and migrations, cascades, disk full."""

from __future__ import annotations

import errno
import sqlite3
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import event, inspect, text

from clipdesk.core.errors import DiskFull, StoreError
from clipdesk.core.store import FileUpdate, Library, TagSource, migrations
from clipdesk.core.store.database import is_disk_full
from clipdesk.core.store.lock import WriterLock
from clipdesk.core.store.schema import Base
from clipdesk.core.types import FileStatus, RootState
from clipdesk.paths import DataPaths


def _ok(root_id: int, relpath: str, vector: np.ndarray | None = None) -> FileUpdate:
    return FileUpdate(root_id=root_id, relpath=relpath, size=10, mtime_ns=1,
                      status=FileStatus.OK, content_hash=relpath.replace("/", "_"),
                      vector=vector if vector is not None else np.full(4, 0.5, np.float32))


def _scalar(lib: Library, sql: str) -> object:
    with lib.db.engine.connect() as conn:
        return conn.exec_driver_sql(sql).scalar()


def test_every_connection_has_wal_foreign_keys_and_busy_timeout(data_paths: DataPaths) -> None:
    with Library.open(data_paths) as lib:
        assert _scalar(lib, "PRAGMA journal_mode") == "wal"
        assert _scalar(lib, "PRAGMA foreign_keys") == 1
        assert _scalar(lib, "PRAGMA busy_timeout") == 30_000
        assert _scalar(lib, "PRAGMA synchronous") == 1  # NORMAL


def test_a_new_library_is_at_the_latest_schema_version(data_paths: DataPaths) -> None:
    with Library.open(data_paths) as lib:
        assert _scalar(lib, "SELECT version FROM schema_version") == migrations.latest_version()


def test_migrated_schema_matches_the_orm_classes(data_paths: DataPaths) -> None:
    with Library.open(data_paths) as lib:
        insp = inspect(lib.db.engine)
        assert set(insp.get_table_names()) == set(Base.metadata.tables)
        for name, table in Base.metadata.tables.items():
            assert {c["name"] for c in insp.get_columns(name)} == set(table.columns.keys()), name
            expected_indexes = {i.name for i in table.indexes}
            assert {i["name"] for i in insp.get_indexes(name)} >= expected_indexes, name
            with lib.db.engine.connect() as conn:  # (the inspector drops inline ON DELETE)
                fks = {(row[2], row[3], row[6]) for row in
                       conn.exec_driver_sql(f"PRAGMA foreign_key_list({name})")}
            expected_fks = {(fk.column.table.name, fk.parent.name, fk.ondelete)
                            for fk in table.foreign_keys}
            assert fks == expected_fks, name


def _add_v2(monkeypatch: pytest.MonkeyPatch, step: migrations.Migration) -> None:
    monkeypatch.setattr(migrations, "MIGRATIONS", [*migrations.MIGRATIONS, step])


def test_a_library_made_at_an_older_version_is_upgraded_in_place(
    data_paths: DataPaths, monkeypatch: pytest.MonkeyPatch
) -> None:
    with Library.open(data_paths, write=True) as lib:  # a library at version 1, with data
        root = lib.add_root(data_paths.root / "photos")
        lib.ensure_model("m:a", 4)
        (file_id,) = lib.commit_batch("m:a", [_ok(root.id, "a.jpg")])

    def v2(conn: object) -> None:  # the kind of step a later release appends
        conn.exec_driver_sql("ALTER TABLE files ADD COLUMN rating INTEGER")  # type: ignore[attr-defined]
        conn.exec_driver_sql("UPDATE files SET rating = 3")  # type: ignore[attr-defined]

    latest = migrations.latest_version()
    _add_v2(monkeypatch, v2)
    with Library.open(data_paths) as lib:
        assert _scalar(lib, "SELECT version FROM schema_version") == latest + 1
        assert _scalar(lib, "SELECT rating FROM files") == 3
        photo = lib.photo(file_id)
        assert photo is not None and photo.path.name == "a.jpg"
        assert lib.model_counts() == {"m:a": 1}


def test_a_failing_migration_leaves_the_old_version_untouched(
    data_paths: DataPaths, monkeypatch: pytest.MonkeyPatch
) -> None:
    Library.open(data_paths).close()

    def broken(conn: object) -> None:
        conn.exec_driver_sql("CREATE TABLE half_done (x INTEGER)")  # type: ignore[attr-defined]
        raise RuntimeError("crash half-way")

    _add_v2(monkeypatch, broken)
    with pytest.raises(RuntimeError):
        Library.open(data_paths)
    monkeypatch.undo()
    with Library.open(data_paths) as lib:
        assert _scalar(lib, "SELECT version FROM schema_version") == migrations.latest_version()
        assert "half_done" not in inspect(lib.db.engine).get_table_names()


def _old_library(data_paths: DataPaths, version: int) -> None:
    """A library file left at schema ``version`` by an older clipdesk: one root, one photo."""
    from clipdesk.core.store.database import create_db_engine

    engine = create_db_engine(data_paths.database)
    with engine.begin() as conn:
        migrations.migrate(conn, target=version)
        conn.exec_driver_sql("INSERT INTO roots (id, path, state, added_at) VALUES "
                             "(1, '/photos', 'online', '2025-01-01 00:00:00')")
        conn.exec_driver_sql("INSERT INTO files (id, root_id, relpath, size, mtime_ns, status, "
                             "indexed_at) VALUES (7, 1, 'a.jpg', 10, 1, 'ok', "
                             "'2025-01-01 00:00:00')")
    engine.dispose()


def test_a_version_1_library_gains_missing_since_and_keeps_everything(
    data_paths: DataPaths,
) -> None:
    """The real step 1 -> 2: files can be marked missing instead of deleted."""
    _old_library(data_paths, 1)
    with Library.open(data_paths) as lib:
        assert _scalar(lib, "SELECT version FROM schema_version") == migrations.latest_version()
        assert _scalar(lib, "SELECT missing_since FROM files WHERE id = 7") is None
        assert lib.stats().photos == 1 and lib.stats().missing == 0


def test_a_version_2_library_gains_unreadable_folders_and_keeps_everything(
    data_paths: DataPaths,
) -> None:
    """The real step 2 -> 3: the folders a scan could not list are remembered."""
    _old_library(data_paths, 2)
    with Library.open(data_paths, write=True) as lib:
        assert _scalar(lib, "SELECT version FROM schema_version") >= 3
        assert lib.stats().photos == 1
        assert lib.unreadable_folders() == []
        lib.set_root_state(1, RootState.ONLINE, unreadable=[Path("/photos/locked")])
        assert lib.unreadable_folders() == [Path("/photos/locked")]


def test_a_version_3_library_gains_the_tag_journal_and_keeps_everything(
    data_paths: DataPaths,
) -> None:
    """The real step 3 -> 4: tag changes are journaled (undo of a tagging save)."""
    from clipdesk.core.store.database import create_db_engine

    _old_library(data_paths, 3)
    engine = create_db_engine(data_paths.database)
    with engine.begin() as conn:
        conn.exec_driver_sql("INSERT INTO tags (file_id, label, source, score, model_id) "
                             "VALUES (7, '蓝色', 'manual', NULL, NULL), "
                             "(7, 'sky', 'auto', 0.3, 'm:a')")
        conn.exec_driver_sql("INSERT INTO unreadable_folders (root_id, relpath, seen_at) "
                             "VALUES (1, 'locked', '2025-01-01 00:00:00')")
    engine.dispose()
    with Library.open(data_paths, write=True) as lib:
        assert _scalar(lib, "SELECT version FROM schema_version") >= 4
        assert lib.stats().photos == 1
        assert lib.unreadable_folders() == [Path("/photos/locked")]
        assert {(t.label, t.source) for t in lib.tags([7])[7]} == {
            ("蓝色", TagSource.MANUAL), ("sky", TagSource.AUTO)}
        assert lib.last_tag_change() is None
        lib.rename_tag("sky", "天空")
        assert lib.labels() == {"蓝色": 1, "天空": 1}
        assert lib.undo_last_tag_save() is not None
        assert lib.labels() == {"蓝色": 1, "sky": 1}


def test_a_version_4_library_keeps_its_current_caches_and_logs_vector_changes(
    data_paths: DataPaths,
) -> None:
    """The real step 4 -> 5: caches of the current generation are kept (they hold everything
    so far), stale ones forgotten (their changes were never logged); from now on triggers log
    every change to what is searchable."""
    from clipdesk.core.store.database import create_db_engine

    _old_library(data_paths, 4)
    engine = create_db_engine(data_paths.database)
    with engine.begin() as conn:
        conn.exec_driver_sql("INSERT INTO models VALUES ('m:a', 4, 2), ('m:b', 4, 5)")
        conn.exec_driver_sql("INSERT INTO embeddings (file_id, model_id, vector) VALUES "
                             "(7, 'm:a', zeroblob(16))")
        conn.exec_driver_sql("INSERT INTO vector_cache VALUES "
                             "('m:a', 2, 'xxh3:0', 1, 1, 'a.faiss', '2025-01-01 00:00:00'), "
                             "('m:b', 3, 'xxh3:0', 0, 0, 'b.faiss', '2025-01-01 00:00:00')")
    engine.dispose()
    with Library.open(data_paths, write=True) as lib:
        assert _scalar(lib, "SELECT version FROM schema_version") >= 5
        assert _scalar(lib, "SELECT group_concat(model_id) FROM vector_cache") == "m:a"
        assert _scalar(lib, "SELECT change_seq || kind FROM vector_cache") == "0exact"
        assert lib.model_counts() == {"m:a": 1, "m:b": 0}  # counted once, then by triggers
        lib.apply_scan([], [7])  # missing: every model's vector of it leaves the search
        lib.apply_scan([], [], found=[7])
        lib.purge_missing()
        lib.remove_root(1)  # its vectors go with it (a cascade fires the triggers too)
        with lib.db.read() as session:
            logged = session.execute(text(
                "SELECT file_id, model_id FROM vector_changes ORDER BY seq")).all()
        assert [tuple(r) for r in logged] == [(7, None), (7, None), (7, "m:a")]
        assert lib.model_counts() == {"m:a": 0, "m:b": 0}


def test_a_library_from_a_newer_clipdesk_is_refused(data_paths: DataPaths) -> None:
    with Library.open(data_paths) as lib, lib.db.engine.begin() as conn:
        conn.execute(text("UPDATE schema_version SET version = 99"))
    with pytest.raises(StoreError, match="newer clipdesk"):
        Library.open(data_paths)


def test_deleting_a_file_row_cascades_to_vectors_and_tags(data_paths: DataPaths) -> None:
    with Library.open(data_paths, write=True) as lib:
        root = lib.add_root(data_paths.root / "photos")
        lib.ensure_model("m:a", 4)
        ids = lib.commit_batch("m:a", [_ok(root.id, "a.jpg"), _ok(root.id, "b.jpg")])
        lib.set_tags(ids[0], ["cat"], source=TagSource.MANUAL)
        lib.apply_scan([], [ids[0]])  # missing: kept, with its vector and the person's tag
        assert _scalar(lib, "SELECT count(*) FROM tags") == 1
        assert lib.missing_files().manual_tags == 1
        lib.purge_missing()  # on the person's say
        assert _scalar(lib, "SELECT count(*) FROM embeddings") == 1
        assert _scalar(lib, "SELECT count(*) FROM tags") == 0
        lib.remove_root(root.id)
        assert _scalar(lib, "SELECT count(*) FROM files") == 0
        assert _scalar(lib, "SELECT count(*) FROM embeddings") == 0


def test_disk_full_in_sqlite_raises_diskfull_and_keeps_nothing_partial(
    data_paths: DataPaths,
) -> None:
    with Library.open(data_paths, write=True) as lib:
        root = lib.add_root(data_paths.root / "photos")
        lib.ensure_model("m:a", 256)
        lib.commit_batch("m:a", [_ok(root.id, "first.jpg", np.ones(256, np.float32))])
        pages = int(_scalar(lib, "PRAGMA page_count"))  # type: ignore[call-overload]

        @event.listens_for(lib.db.engine, "connect")
        def _limit(dbapi_connection: sqlite3.Connection, _: object) -> None:
            dbapi_connection.execute(f"PRAGMA max_page_count = {pages}")

        lib.db.engine.dispose()  # new connections get the limit: the "disk" is now full
        big = [_ok(root.id, f"{i:04d}/" + "x" * 200 + ".jpg", np.ones(256, np.float32))
               for i in range(200)]
        with pytest.raises(DiskFull, match="full"):
            lib.commit_batch("m:a", big)
        assert lib.file_count() == 1
        assert lib.model_counts() == {"m:a": 1}
        event.remove(lib.db.engine, "connect", _limit)
        lib.db.engine.dispose()
        lib.commit_batch("m:a", big[:3])  # space again: works, nothing half-written before
        assert lib.file_count() == 4


@pytest.mark.parametrize("exc", [
    OSError(errno.ENOSPC, "No space left on device"),
    sqlite3.OperationalError("database or disk is full"),
])
def test_disk_full_is_recognised(exc: BaseException) -> None:
    assert is_disk_full(exc)
    wrapped = RuntimeError("outer")
    wrapped.__cause__ = exc
    assert is_disk_full(wrapped)
    assert not is_disk_full(OSError(errno.EACCES, "denied"))


def test_importing_the_store_loads_no_faiss_or_torch() -> None:
    import subprocess
    import sys

    code = ("import sys, clipdesk.core.store, clipdesk.core.indexer, clipdesk.core.scanner; "
            "print(','.join(m for m in ('torch', 'faiss', 'PySide6') if m in sys.modules))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == ""


def test_a_file_that_is_not_a_database_gives_a_clear_error(data_paths: DataPaths) -> None:
    data_paths.database.write_bytes(b"this is not SQLite" * 300)
    with pytest.raises(StoreError, match=r"is damaged .*clipdesk-cli restore"):
        Library.open(data_paths, write=True)
    assert data_paths.database.read_bytes() == b"this is not SQLite" * 300  # left as it was
    with WriterLock(data_paths.lock_file) as lock:  # the failed open released the lock
        assert lock.held
