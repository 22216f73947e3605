"""The FAISS cache: published atomically, rebuilt from SQLite when missing, stale or corrupt."""

from __future__ import annotations

import errno
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from sqlalchemy import func, select

from clipdesk.core.errors import StoreError
from clipdesk.core.hashing import sha256_file
from clipdesk.core.store import FileUpdate, Library
from clipdesk.core.store import cache as cache_module
from clipdesk.core.store import vectors as vector_files
from clipdesk.core.store.cache import VectorCache
from clipdesk.core.store.records import SearchIndexInfo
from clipdesk.core.store.schema import VectorCacheRow, VectorChangeRow
from clipdesk.core.types import FileStatus
from clipdesk.paths import DataPaths

DIM = 8


def _unit(seed: int) -> np.ndarray:
    v = np.random.default_rng(seed).standard_normal(DIM).astype(np.float32)
    return v / np.linalg.norm(v)


def _fill(lib: Library, n: int, start: int = 0, model: str = "m:a") -> list[int]:
    root = lib.add_root(lib.paths.root.parent / "photos")
    lib.ensure_model(model, DIM)
    return lib.commit_batch(model, [
        FileUpdate(root.id, f"p{i}.jpg", 1, 1, FileStatus.OK, content_hash=f"h{i}",
                   vector=_unit(i)) for i in range(start, start + n)])


def _record(lib: Library, model: str = "m:a") -> VectorCacheRow:
    with lib.db.read() as s:
        row = s.get(VectorCacheRow, model)
        assert row is not None
        return row


def _cache_file(lib: Library, model: str = "m:a") -> Path:
    return lib.paths.vector_dir / _record(lib, model).filename


def _assert_index_matches_sqlite(index: object, lib: Library, model: str = "m:a") -> None:
    ids, matrix, _ = lib.all_vectors(model)
    assert index.ntotal == len(ids)  # type: ignore[attr-defined]
    for file_id, vec in zip(ids, matrix, strict=True):
        np.testing.assert_array_equal(index.reconstruct(int(file_id)), vec)  # type: ignore[attr-defined]
        _, found = index.search(vec[None, :], 1)  # type: ignore[attr-defined]
        assert found[0, 0] == file_id


def test_index_holds_exactly_the_sqlite_vectors_and_is_published(data_paths: DataPaths) -> None:
    with Library.open(data_paths, write=True) as lib:
        _fill(lib, 20)
        index = lib.vector_index("m:a")
        _assert_index_matches_sqlite(index, lib)
        record = _record(lib)
        path = data_paths.vector_dir / record.filename
        assert record.count == 20
        assert record.checksum == vector_files.file_checksum(path)
        assert not list(data_paths.vector_dir.glob("*.tmp"))


def _fresh_index(data_paths: DataPaths) -> object:
    with Library.open(data_paths) as reader:  # a new process, in effect: nothing in memory
        return reader.vector_index("m:a")


def _read_counter(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Sizes of the indexes rebuilt from SQLite from now on."""
    built: list[int] = []
    real = VectorCache.build

    def counting(self: VectorCache, model_id: str, **kwargs: Any) -> Any:
        held = real(self, model_id, **kwargs)
        built.append(held.view.ntotal)
        return held

    monkeypatch.setattr(VectorCache, "build", counting)
    return built


def test_a_current_cache_file_is_loaded_not_rebuilt(
    data_paths: DataPaths, monkeypatch: pytest.MonkeyPatch
) -> None:
    with Library.open(data_paths, write=True) as lib:
        _fill(lib, 10)
        lib.refresh_vector_cache()
    built = _read_counter(monkeypatch)
    with Library.open(data_paths) as lib:
        _assert_index_matches_sqlite(lib.vector_index("m:a"), lib)
    assert built == []


def test_a_cache_checked_with_sha256_by_an_earlier_version_still_loads(
    data_paths: DataPaths, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Checksums are XXH3-128 now (memory speed); a file recorded with a bare SHA-256 is
    checked with SHA-256 and used, not rebuilt; a damaged one is still refused."""
    with Library.open(data_paths, write=True) as lib:
        _fill(lib, 10)
        lib.refresh_vector_cache()
        record = _record(lib)
        assert record.checksum.startswith("xxh3:") and len(record.checksum) == 5 + 32
        path = _cache_file(lib)
        with lib.db.write() as s:
            s.get(VectorCacheRow, record.model_id).checksum = sha256_file(path)  # type: ignore[union-attr]
    built = _read_counter(monkeypatch)
    with Library.open(data_paths) as lib:
        _assert_index_matches_sqlite(lib.vector_index("m:a"), lib)
    assert built == []
    data = bytearray(path.read_bytes())
    data[-5] ^= 0xFF
    path.write_bytes(bytes(data))
    with Library.open(data_paths) as lib:
        _assert_index_matches_sqlite(lib.vector_index("m:a"), lib)
    assert built == [10]  # rebuilt from SQLite


def test_a_missing_cache_file_is_rebuilt_and_republished(
    data_paths: DataPaths, monkeypatch: pytest.MonkeyPatch
) -> None:
    with Library.open(data_paths, write=True) as lib:
        _fill(lib, 10)
        lib.refresh_vector_cache()
        path = _cache_file(lib)
    path.unlink()
    built = _read_counter(monkeypatch)
    with Library.open(data_paths) as lib:  # a reader may publish: nobody holds the lock
        _assert_index_matches_sqlite(lib.vector_index("m:a"), lib)
        assert built == [10]
        assert path.exists() and _record(lib).checksum == vector_files.file_checksum(path)


def test_refresh_publishes_only_missing_or_far_behind_files(
    data_paths: DataPaths, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A small change is carried from the change log (nothing rewritten); a new file is
    published when it is missing or the changes pass the merge limit."""
    built = _read_counter(monkeypatch)
    monkeypatch.setattr(cache_module, "merge_limit", lambda count: 3)
    with Library.open(data_paths, write=True) as lib:
        _fill(lib, 4)
        lib.refresh_vector_cache()
        assert built == [4]
        lib.refresh_vector_cache()  # current: nothing to do
        assert built == [4]
        _cache_file(lib).unlink()
        lib.refresh_vector_cache("m:a")
        assert built == [4, 4] and _cache_file(lib).is_file()
        before = _cache_file(lib).read_bytes()
        _fill(lib, 2, start=4)
        lib.refresh_vector_cache("m:a")  # 2 changes: carried, the file is not rewritten
        assert built == [4, 4] and _record(lib).count == 4
        assert _cache_file(lib).read_bytes() == before
        assert lib.search_index_info("m:a") == SearchIndexInfo("exact", 4, pending_changes=2)
    with Library.open(data_paths) as lib:  # a new process: the file plus the log
        _assert_index_matches_sqlite(lib.vector_index("m:a"), lib)
        assert built == [4, 4]
    with Library.open(data_paths, write=True) as lib:
        _fill(lib, 2, start=6)  # 4 changes since the file: past the limit
        lib.refresh_vector_cache("m:a")
        assert built == [4, 4, 8] and _record(lib).count == 8
        assert lib.search_index_info("m:a") == SearchIndexInfo("exact", 8)
        with lib.db.read() as s:  # every published file holds these: pruned
            assert s.scalar(select(func.count()).select_from(VectorChangeRow)) == 0
        _assert_index_matches_sqlite(lib.vector_index("m:a"), lib)


def test_a_stale_cache_file_catches_up_on_additions(
    data_paths: DataPaths, monkeypatch: pytest.MonkeyPatch
) -> None:
    with Library.open(data_paths, write=True) as lib:
        _fill(lib, 10)
        lib.refresh_vector_cache()
        old = vector_files.file_checksum(_cache_file(lib))
        new_ids = _fill(lib, 5, start=10)  # the generation moves on; the file on disk does not
    built = _read_counter(monkeypatch)
    with Library.open(data_paths, write=True) as lib:
        index = lib.vector_index("m:a")
        assert built == []  # the old file plus the 5 new rows, not a rebuild
        assert index.ntotal == 15 and set(new_ids) <= set(index.ids())
        _assert_index_matches_sqlite(index, lib)
        assert vector_files.file_checksum(_cache_file(lib)) == old  # nothing rewritten
    assert built == []


def test_removed_and_changed_vectors_are_caught_up_without_a_rebuild(
    data_paths: DataPaths, monkeypatch: pytest.MonkeyPatch
) -> None:
    with Library.open(data_paths, write=True) as lib:
        ids = _fill(lib, 10)
        lib.refresh_vector_cache()
        lib.apply_scan([], ids[:2])  # no longer found: kept, but not searched
        _fill(lib, 2, start=10)  # as many added as removed: the count alone would not tell
        root = lib.roots()[0]
        lib.commit_batch("m:a", [FileUpdate(root.id, "p5.jpg", 2, 2, FileStatus.OK,
                                            file_id=ids[5], content_hash="changed",
                                            vector=_unit(99), content_changed=True)])
    built = _read_counter(monkeypatch)
    with Library.open(data_paths) as lib:
        index = lib.vector_index("m:a")
        assert built == []
        _assert_index_matches_sqlite(index, lib)
        assert not set(ids[:2]) & set(index.ids())
        np.testing.assert_array_equal(index.reconstruct(ids[5]), _unit(99))
        _, found = index.search(_unit(5)[None, :], 12)
        assert ids[5] not in found[0, :1]  # its old vector is gone from the base


def test_a_reader_behind_a_newer_published_file_loads_it(
    data_paths: DataPaths, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A reader holding an old base never misses changes whose log was pruned when a writer
    published a newer base: it loads that one instead of catching up."""
    monkeypatch.setattr(cache_module, "merge_limit", lambda count: 1)
    with Library.open(data_paths, write=True) as writer:
        ids = _fill(writer, 6)
        writer.refresh_vector_cache()
        with Library.open(data_paths) as reader:
            assert reader.vector_index("m:a").ntotal == 6
            writer.apply_scan([], ids[:3])
            _fill(writer, 2, start=6)
            writer.refresh_vector_cache()  # a new base; the log up to it is pruned
            with writer.db.read() as s:
                assert s.scalar(select(func.count()).select_from(VectorChangeRow)) == 0
            index = reader.vector_index("m:a")
            assert index.ntotal == 5
            _assert_index_matches_sqlite(index, reader)


def test_a_held_index_is_never_changed_under_a_searcher(data_paths: DataPaths) -> None:
    with Library.open(data_paths, write=True) as lib:
        _fill(lib, 4)
        first = lib.vector_index("m:a")
        _fill(lib, 3, start=4)
        second = lib.vector_index("m:a")
        assert first.ntotal == 4 and second.ntotal == 7
        _assert_index_matches_sqlite(second, lib)


def test_missing_found_and_purged_files_keep_the_cache_right(data_paths: DataPaths) -> None:
    with Library.open(data_paths, write=True) as lib:
        ids = _fill(lib, 10)
        assert lib.vector_index("m:a").ntotal == 10
        lib.apply_scan([], ids[:3])  # missing: hidden from search
        index = lib.vector_index("m:a")
        assert index.ntotal == 7 and not set(ids[:3]) & set(index.ids())
        _assert_index_matches_sqlite(index, lib)
        lib.apply_scan([], [], found=ids[:1])  # one is back at its place
        assert lib.vector_index("m:a").ntotal == 8
        assert lib.purge_missing().files == 2  # the person forgets the other two
        index = lib.vector_index("m:a")
        assert index.ntotal == 8 and lib.model_counts() == {"m:a": 8}
        _assert_index_matches_sqlite(index, lib)


@pytest.mark.parametrize("damage", ["flip", "truncate", "empty", "garbage"])
def test_a_corrupt_cache_file_is_never_trusted(
    data_paths: DataPaths, monkeypatch: pytest.MonkeyPatch, damage: str
) -> None:
    with Library.open(data_paths, write=True) as lib:
        _fill(lib, 12)
        lib.refresh_vector_cache()
        path = _cache_file(lib)
    data = bytearray(path.read_bytes())
    if damage == "flip":  # one vector component changes: FAISS would read it happily
        data[-40] ^= 0xFF
    elif damage == "truncate":
        data = data[: len(data) // 2]
    elif damage == "empty":
        data = bytearray()
    else:
        data = bytearray(b"\x00IxM2" * 100)
    path.write_bytes(bytes(data))
    built = _read_counter(monkeypatch)
    with Library.open(data_paths, write=True) as lib:
        _assert_index_matches_sqlite(lib.vector_index("m:a"), lib)
        assert built == [12]
        assert _record(lib).checksum == vector_files.file_checksum(path)  # repaired on disk


def test_a_reader_never_publishes_while_a_writer_holds_the_lock(data_paths: DataPaths) -> None:
    with Library.open(data_paths, write=True) as writer:
        _fill(writer, 6)
        with Library.open(data_paths) as reader:
            _assert_index_matches_sqlite(reader.vector_index("m:a"), reader)
        assert not list(data_paths.vector_dir.glob("*.faiss"))
        with writer.db.read() as s:
            assert s.get(VectorCacheRow, "m:a") is None


def test_the_index_is_kept_in_memory_until_the_generation_changes(data_paths: DataPaths) -> None:
    with Library.open(data_paths, write=True) as lib:
        _fill(lib, 4)
        first = lib.vector_index("m:a")
        assert lib.vector_index("m:a") is first
        _fill(lib, 1, start=4)
        assert lib.vector_index("m:a") is not first


def test_a_failed_write_keeps_the_old_file_and_leaves_no_temp(
    data_paths: DataPaths, monkeypatch: pytest.MonkeyPatch
) -> None:
    with Library.open(data_paths, write=True) as lib:
        _fill(lib, 5)
        lib.refresh_vector_cache()
        path = _cache_file(lib)
        before = path.read_bytes()
        import faiss

        def full(index: object, writer: object) -> None:
            raise OSError(errno.ENOSPC, "No space left on device")

        monkeypatch.setattr(faiss, "write_index", full)
        _fill(lib, 2, start=5)
        index = lib.vector_index("m:a")  # served from memory; the cache just is not saved
        assert index.ntotal == 7
        assert path.read_bytes() == before
        assert not list(data_paths.vector_dir.glob("*.tmp"))
        assert _record(lib).count == 5  # the record still describes the old, intact file


def test_a_writer_removes_temp_files_left_by_a_crash(data_paths: DataPaths) -> None:
    leftover = data_paths.vector_dir / "m_a-123.faiss.abc.tmp"
    leftover.write_bytes(b"half")
    Library.open(data_paths).close()
    assert leftover.exists()  # readers do not touch the writer's files
    Library.open(data_paths, write=True).close()
    assert not leftover.exists()


def test_unknown_model_has_no_index(data_paths: DataPaths) -> None:
    with Library.open(data_paths) as lib, pytest.raises(StoreError, match="No photos"):
        lib.vector_index("m:none")


def test_cache_file_names_are_safe_and_distinct() -> None:
    a = vector_files.cache_filename("open_clip:ViT-B-32/laion2b_s34b_b79k")
    b = vector_files.cache_filename("open_clip:ViT-B-32/laion2b:s34b_b79k")
    assert a != b
    assert all(c.isalnum() or c in "._-" for c in a)


def test_a_damaged_size_inside_a_cache_file_is_refused_before_faiss_allocates(
    data_paths: DataPaths, caplog: pytest.LogCaptureFixture
) -> None:
    """FAISS parses as the file is hashed; a size field flipped to 8 G floats (of a 1 KB file)
    is refused when read, before FAISS would allocate and zero-fill 32 GB, and the cache is
    rebuilt."""
    with Library.open(data_paths, write=True) as lib:
        _fill(lib, 12)
        lib.refresh_vector_cache()
        path = _cache_file(lib)
        record = _record(lib)
    data = bytearray(path.read_bytes())
    field = (12 * DIM).to_bytes(8, "little")  # how many floats the flat index holds
    at = bytes(data).index(field)
    data[at:at + 8] = (8 << 30).to_bytes(8, "little")
    path.write_bytes(bytes(data))
    assert vector_files.read_index_file(path, checksum=record.checksum, count=12, dim=DIM,
                                        size=record.file_size) is None
    assert "a size of 8589934592" in caplog.text
    with Library.open(data_paths, write=True) as lib:
        _assert_index_matches_sqlite(lib.vector_index("m:a"), lib)


def _log_size(lib: Library) -> int:
    with lib.db.read() as s:
        return int(s.scalar(select(func.count()).select_from(VectorChangeRow)) or 0)


def test_another_models_changes_are_pruned_from_the_log(
    data_paths: DataPaths, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A model whose vectors did not change holds back no pruning: the log stays as long as
    the changes not yet published, however much another model indexes."""
    monkeypatch.setattr(cache_module, "merge_limit", lambda count: 2)
    with Library.open(data_paths, write=True) as lib:
        _fill(lib, 4, model="m:a")
        lib.refresh_vector_cache()
        for start in range(0, 30, 3):  # another model indexes, run after run
            root = lib.roots()[0]
            lib.ensure_model("m:b", DIM)
            lib.commit_batch("m:b", [FileUpdate(root.id, f"b{i}.jpg", 1, 1, FileStatus.OK,
                                                content_hash=f"b{i}", vector=_unit(i))
                                     for i in range(start, start + 3)])
            lib.refresh_vector_cache("m:b")
        assert _log_size(lib) == 0
    built = _read_counter(monkeypatch)
    with Library.open(data_paths) as lib:
        _assert_index_matches_sqlite(lib.vector_index("m:a"), lib, "m:a")
        _assert_index_matches_sqlite(lib.vector_index("m:b"), lib, "m:b")
    assert built == []


def test_a_base_far_behind_is_forgotten_rather_than_holding_the_log(
    data_paths: DataPaths, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(cache_module, "merge_limit", lambda count: 2)
    monkeypatch.setattr(cache_module, "LOG_KEPT", 5)
    with Library.open(data_paths, write=True) as lib:
        ids = _fill(lib, 4, model="m:a")
        lib.refresh_vector_cache()
        lib.apply_scan([], ids[:1])  # m:a changes and nobody refreshes it
        root = lib.roots()[0]
        lib.ensure_model("m:b", DIM)
        lib.commit_batch("m:b", [FileUpdate(root.id, f"b{i}.jpg", 1, 1, FileStatus.OK,
                                            content_hash=f"b{i}", vector=_unit(i))
                                 for i in range(10)])
        lib.refresh_vector_cache("m:b")
        with lib.db.read() as s:
            assert s.get(VectorCacheRow, "m:a") is None  # forgotten: rebuilt when next used
        assert _log_size(lib) == 0
        index = lib.vector_index("m:a")
        assert index.ntotal == 3
        _assert_index_matches_sqlite(index, lib, "m:a")
