"""The data folder is private: folders 0700 and files 0600, and an older, open one is tightened."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from clipdesk.paths import DataPaths

pytestmark = pytest.mark.skipif(os.name != "posix", reason="POSIX permissions")


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_a_new_library_is_private_everywhere(tmp_path: Path) -> None:
    from clipdesk.core.indexer import Indexer
    from clipdesk.core.store import Library
    from clipdesk.core.thumbnails import ThumbnailCache
    from tests.core.fakes import FakeEncoder, make_photos

    photos = make_photos(tmp_path / "photos", 3)[0].parent
    old = os.umask(0o022)  # the usual: files 0644, folders 0755 unless asked otherwise
    try:
        paths = DataPaths(tmp_path / "data")
        with Library.open(paths, write=True) as lib:
            Indexer(lib, FakeEncoder(), thumbnails=ThumbnailCache(paths.thumbnail_dir, size=64),
                    decode_workers=1).run([photos])
            assert lib.vector_index("fake:histogram").ntotal == 3
            wal = paths.root / "library.sqlite3-wal"
            assert wal.exists() and mode(wal) == 0o600  # SQLite copies the database's mode
        from clipdesk.config import Settings, save_settings

        save_settings(Settings(), paths.settings_file)
    finally:
        os.umask(old)
    folders = [p for p in paths.root.rglob("*") if p.is_dir()] + [paths.root]
    files = [p for p in paths.root.rglob("*") if p.is_file()]
    assert any(p.suffix == ".jpg" for p in files) and any(p.suffix == ".faiss" for p in files)
    assert {p.name: oct(mode(p)) for p in folders if mode(p) != 0o700} == {}
    assert {p.name: oct(mode(p)) for p in files if mode(p) != 0o600} == {}


def test_an_open_data_folder_of_an_older_version_is_tightened(tmp_path: Path) -> None:
    root = tmp_path / "data"
    (root / "thumbnails").mkdir(parents=True)
    root.chmod(0o755)
    (root / "thumbnails").chmod(0o755)
    for name in ("library.sqlite3", "library.sqlite3-wal", "settings.json"):
        (root / name).write_bytes(b"")
        (root / name).chmod(0o644)
    DataPaths(root).ensure()
    assert mode(root) == 0o700 and mode(root / "thumbnails") == 0o700
    for name in ("library.sqlite3", "library.sqlite3-wal", "settings.json"):
        assert mode(root / name) == 0o600, name


def test_the_log_file_is_private(tmp_path: Path) -> None:
    import logging

    from clipdesk.app import setup_logging

    old = os.umask(0o022)
    try:
        log_file = setup_logging(DataPaths(tmp_path / "data").ensure())
        logging.getLogger("clipdesk.test").warning("a line")
    finally:
        os.umask(old)
        import clipdesk.app as app

        for handler in list(app._log_handlers):
            logging.getLogger().removeHandler(handler)
            handler.close()
        app._log_handlers.clear()
    assert log_file.exists() and mode(log_file) == 0o600
    assert mode(log_file.parent) == 0o700
