"""A damaged library is noticed and named, backups are made and checked, restore repairs."""

from __future__ import annotations

import os
import sqlite3
import time
from pathlib import Path

import numpy as np
import pytest

from clipdesk.core.errors import StoreCorrupt, StoreError
from clipdesk.core.store import FileUpdate, Library, backup, migrations
from clipdesk.core.types import FileStatus
from clipdesk.paths import DataPaths

MODEL = "fake:model"


def fill(paths: DataPaths, n: int = 3000) -> None:
    """A library big enough to have an index page at page 41."""
    rng = np.random.default_rng(0)
    with Library.open(paths, write=True) as lib:
        root = lib.add_root(paths.root.parent / "photos")
        lib.ensure_model(MODEL, 8)
        for start in range(0, n, 500):
            lib.commit_batch(MODEL, [
                FileUpdate(root.id, f"album/{i:06d}-a-rather-long-file-name.jpg", 1000 + i, i,
                           FileStatus.OK, content_hash=f"{i:064x}",
                           vector=rng.random(8, dtype=np.float32))
                for i in range(start, min(n, start + 500))])


def page_size(path: Path) -> int:
    conn = sqlite3.connect(path)
    try:
        return int(conn.execute("PRAGMA page_size").fetchone()[0])
    finally:
        conn.close()


def page_of(path: Path, table: str, *, nth: int = 0) -> int:
    """A leaf page of ``table`` (a table or an index), from SQLite's ``dbstat``."""
    conn = sqlite3.connect(path)
    try:
        pages = [int(r[0]) for r in conn.execute(
            "SELECT pageno FROM dbstat WHERE name = ? AND pagetype = 'leaf' ORDER BY pageno",
            (table,))]
    finally:
        conn.close()
    return pages[nth]


def damage_page(path: Path, page: int) -> None:
    """``dd`` garbage over one page of the file (pages count from 1)."""
    size = page_size(path)
    with open(path, "r+b") as fp:
        fp.seek((page - 1) * size)
        fp.write(os.urandom(size))


def age_backups(paths: DataPaths, days: float = 2) -> None:
    for b in backup.list_backups(paths):
        old = time.time() - days * 86400
        os.utime(b.path, (old, old))


def test_a_damaged_page_is_one_sentence_for_every_reader(data_paths: DataPaths) -> None:
    fill(data_paths)
    damage_page(data_paths.database, page_of(data_paths.database, "files", nth=3))
    with pytest.raises(StoreCorrupt) as caught, Library.open(data_paths) as lib:
        for photo_id in lib.file_ids():  # reading through the damaged page
            lib.photos([photo_id])
    message = str(caught.value)
    assert "library.sqlite3 is damaged" in message and "clipdesk-cli restore" in message
    assert "\n" not in message and "Traceback" not in message


def test_a_damaged_index_page_stops_the_writer_before_it_writes(data_paths: DataPaths) -> None:
    fill(data_paths)
    assert len(backup.list_backups(data_paths)) == 1  # made when the first writer closed
    damage_page(data_paths.database, page_of(data_paths.database, "ix_files_size"))
    with Library.open(data_paths) as lib:  # reads do not touch that index: nobody notices
        assert lib.stats().photos == 3000
    age_backups(data_paths)  # the next day, the writer checks the library first
    with pytest.raises(StoreCorrupt, match="is damaged"):
        Library.open(data_paths, write=True)
    assert len(backup.list_backups(data_paths)) == 1  # the good backup was not replaced
    assert backup.check_file(backup.list_backups(data_paths)[0].path) == []


def test_an_emptied_database_is_not_taken_for_a_new_library(data_paths: DataPaths) -> None:
    fill(data_paths, 10)
    data_paths.database.write_bytes(b"")
    for extra in ("-wal", "-shm"):
        Path(f"{data_paths.database}{extra}").unlink(missing_ok=True)
    with pytest.raises(StoreCorrupt, match="empty \\(0 bytes\\)"):
        Library.open(data_paths, write=True)
    assert data_paths.database.stat().st_size == 0  # nothing was written over it
    fresh = DataPaths(data_paths.root.parent / "fresh").ensure()
    fresh.database.write_bytes(b"")  # a brand-new, empty data folder: just a new library
    with Library.open(fresh, write=True) as lib:
        assert lib.stats().photos == 0


def test_restore_brings_the_newest_sound_backup_back(data_paths: DataPaths) -> None:
    fill(data_paths, 1000)
    with Library.open(data_paths) as lib:
        before = lib.stats()
        index = lib.vector_index(MODEL)
        assert index.ntotal == 1000
    damage_page(data_paths.database, 3)
    restored = backup.restore(data_paths)
    assert restored.reason == "daily"
    kept = [p for p in data_paths.root.iterdir() if ".damaged-" in p.name]
    assert any(p.name.startswith("library.sqlite3.damaged-") for p in kept)
    with Library.open(data_paths, write=True) as lib:
        assert lib.stats() == before
        assert lib.vector_index(MODEL).ntotal == 1000
    assert not backup.check_file(data_paths.database, full=True)


def test_restores_in_the_same_second_keep_every_replaced_file(data_paths: DataPaths) -> None:
    """The replaced file is kept under a name of its own each time (never overwritten by the
    next restore), and the library's name always points at a whole file meanwhile."""
    fill(data_paths, 200)
    damage_page(data_paths.database, 3)
    damaged = data_paths.database.read_bytes()
    backup.restore(data_paths)
    restored = data_paths.database.read_bytes()
    backup.restore(data_paths)
    kept = sorted(p for p in data_paths.root.iterdir()
                  if ".damaged-" in p.name and not p.name.endswith(("-wal", "-shm")))
    assert len(kept) == 2
    assert {p.read_bytes() for p in kept} == {damaged, restored}
    assert not list(data_paths.root.glob(".*restoring"))


def test_restore_skips_a_backup_that_does_not_check_out(data_paths: DataPaths) -> None:
    fill(data_paths, 600)
    good = backup.list_backups(data_paths)[0]
    time.sleep(1.1)
    bad = backup.take_backup(data_paths, "manual")
    damage_page(bad.path, 2)
    assert backup.list_backups(data_paths)[0].path == bad.path  # newest, but damaged
    assert backup.restore(data_paths).path == good.path
    for b in backup.list_backups(data_paths):
        b.path.unlink()
    with pytest.raises(StoreError, match=r"No backup .* checks out"):
        backup.restore(data_paths)


def test_backups_rotate_and_one_is_taken_before_a_migration(
    data_paths: DataPaths, monkeypatch: pytest.MonkeyPatch
) -> None:
    fill(data_paths, 20)
    for _i in range(5):
        age_backups(data_paths)
        time.sleep(1.05)  # backups are named by the second
        Library.open(data_paths, write=True).close()
    reasons = [b.reason for b in backup.list_backups(data_paths)]
    assert reasons == ["daily"] * backup.KEEP_DAILY
    monkeypatch.setattr(migrations, "MIGRATIONS", [*migrations.MIGRATIONS,
                                                   migrations._statements("SELECT 1")])
    with Library.open(data_paths) as lib:
        assert lib.stats().photos == 20
    latest = len(migrations.MIGRATIONS)
    assert f"before-v{latest}" in [b.reason for b in backup.list_backups(data_paths)]


def test_a_backup_that_cannot_be_written_does_not_stop_the_writer(
    data_paths: DataPaths, monkeypatch: pytest.MonkeyPatch
) -> None:
    fill(data_paths, 20)
    age_backups(data_paths)
    real_connect = sqlite3.connect

    class Full:
        def __init__(self, conn: sqlite3.Connection) -> None:
            self.conn = conn

        def backup(self, target: sqlite3.Connection) -> None:
            raise sqlite3.OperationalError("database or disk is full")

        def __getattr__(self, name: str) -> object:
            return getattr(self.conn, name)

    def connect(target: str, *args: object, **kwargs: object) -> object:
        conn = real_connect(target, *args, **kwargs)  # type: ignore[arg-type]
        return Full(conn) if "mode=ro" in str(target) and "backups" not in str(target) else conn

    monkeypatch.setattr(backup.sqlite3, "connect", connect)
    with Library.open(data_paths, write=True) as lib:  # logged, not raised
        assert lib.stats().photos == 20
    leftovers = [p.name for p in data_paths.backup_dir.iterdir() if p.name.startswith(".")]
    assert leftovers == []
