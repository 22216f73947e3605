"""The Library's read API and its root bookkeeping."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import numpy as np
import pytest

from clipdesk.core.store import FileMove, FileUpdate, Library, TagSource
from clipdesk.core.types import FileStatus, RootState
from clipdesk.paths import DataPaths


def _update(root_id: int, relpath: str, *, taken: datetime | None = None, mtime_s: int = 0,
            vector: np.ndarray | None = None, skipped: str | None = None) -> FileUpdate:
    return FileUpdate(
        root_id=root_id, relpath=relpath, size=100, mtime_ns=mtime_s * 1_000_000_000,
        status=FileStatus.SKIPPED if skipped else FileStatus.OK, skip_reason=skipped,
        content_hash=None if skipped else relpath.replace("/", "-"), width=None if skipped else 4,
        height=None if skipped else 3, taken_at=taken,
        vector=None if skipped else (vector if vector is not None else np.ones(2) / np.sqrt(2)),
    )


@pytest.fixture
def lib(data_paths: DataPaths) -> Iterator[Library]:
    with Library.open(data_paths, write=True) as library:
        library.ensure_model("m:a", 2)
        yield library


def test_roots_are_normalised_and_listed_with_counts(lib: Library, tmp_path: Path) -> None:
    (tmp_path / "photos").mkdir()
    root = lib.add_root(tmp_path / "photos" / ".." / "photos")
    assert root.path == (tmp_path / "photos").resolve() and root.state is RootState.ONLINE
    lib.commit_batch("m:a", [_update(root.id, "a.jpg"), _update(root.id, "b.jpg", skipped="bad")])
    (listed,) = lib.roots()
    assert (listed.photo_count, listed.skipped_count) == (1, 1)
    assert lib.add_root(tmp_path / "photos").id == root.id
    lib.set_root_state(root.id, RootState.OFFLINE)
    assert lib.roots()[0].state is RootState.OFFLINE


def test_a_folder_inside_a_root_is_that_root(lib: Library, tmp_path: Path) -> None:
    outer = lib.add_root(tmp_path / "photos")
    assert lib.add_root(tmp_path / "photos" / "2023").id == outer.id
    assert len(lib.roots()) == 1


def test_a_parent_folder_absorbs_inner_roots_and_keeps_their_vectors(
    lib: Library, tmp_path: Path
) -> None:
    inner = lib.add_root(tmp_path / "photos" / "2023")
    (file_id,) = lib.commit_batch("m:a", [_update(inner.id, "trip/a.jpg")])
    outer = lib.add_root(tmp_path / "photos")
    assert [r.id for r in lib.roots()] == [outer.id]
    photo = lib.photo(file_id)
    assert photo is not None and photo.root_id == outer.id
    assert photo.path == (tmp_path / "photos" / "2023" / "trip" / "a.jpg").resolve()
    assert lib.model_counts() == {"m:a": 1}


def test_remove_root_forgets_its_files_and_vectors(lib: Library, tmp_path: Path) -> None:
    a = lib.add_root(tmp_path / "a")
    b = lib.add_root(tmp_path / "b")
    lib.commit_batch("m:a", [_update(a.id, "1.jpg"), _update(b.id, "2.jpg")])
    lib.remove_root(a.id)
    assert [r.id for r in lib.roots()] == [b.id]
    assert lib.model_counts() == {"m:a": 1}
    assert lib.vector_index("m:a").ntotal == 1


def test_photo_lookups(lib: Library, tmp_path: Path) -> None:
    root = lib.add_root(tmp_path / "photos")
    ids = lib.commit_batch("m:a", [_update(root.id, "x/a.jpg", taken=datetime(2021, 5, 1)),
                                   _update(root.id, "b.jpg")])
    photo = lib.photo_by_path(tmp_path / "photos" / "x" / "a.jpg")
    assert photo is not None and photo.id == ids[0]
    assert (photo.width, photo.height, photo.taken_at) == (4, 3, datetime(2021, 5, 1))
    assert photo.status is FileStatus.OK and photo.content_hash == "x-a.jpg"
    assert lib.photo_by_path(tmp_path / "elsewhere.jpg") is None
    assert lib.photo_by_path(tmp_path / "photos") is None
    assert lib.photo(999) is None
    assert set(lib.photos([*ids, 999])) == set(ids)
    assert lib.root_for_path(tmp_path / "photos" / "x") is not None


def test_file_ids_filters(lib: Library, tmp_path: Path) -> None:
    a = lib.add_root(tmp_path / "a")
    b = lib.add_root(tmp_path / "b")
    ids = lib.commit_batch("m:a", [
        _update(a.id, "2020/x.jpg", taken=datetime(2020, 6, 1, 12)),
        _update(a.id, "2021/y.jpg", taken=datetime(2021, 6, 1, 12)),
        _update(a.id, "2020x/z.jpg", taken=datetime(2022, 1, 1)),  # not under "2020"
        _update(b.id, "w.jpg", mtime_s=int(datetime(2019, 3, 3, 12).timestamp())),  # no EXIF
        _update(b.id, "bad.jpg", skipped="not an image file"),
    ])
    x, y, z, w, _bad = ids
    assert list(lib.file_ids()) == [x, y, z, w]  # only decoded photos
    assert lib.file_ids().dtype == np.int64
    assert list(lib.file_ids(root_ids=[b.id])) == [w]
    assert list(lib.file_ids(folder=tmp_path / "a" / "2020")) == [x]
    assert list(lib.file_ids(folder=tmp_path)) == [x, y, z, w]  # a folder above the roots
    assert list(lib.file_ids(folder=tmp_path / "c")) == []
    assert list(lib.file_ids(date_from=datetime(2021, 1, 1))) == [y, z]
    assert list(lib.file_ids(date_to=datetime(2020, 6, 1))) == [x, w]  # midnight: whole day
    assert list(lib.file_ids(date_to=datetime(2020, 6, 1, 11))) == [w]
    assert list(lib.file_ids(date_from=datetime(2019, 3, 3), date_to=datetime(2019, 3, 3))) == [w]
    assert list(lib.file_ids(root_ids=[a.id], date_from=datetime(2021, 1, 1),
                             folder=tmp_path / "a" / "2021")) == [y]


def test_stats_skipped_and_model_counts(lib: Library, tmp_path: Path) -> None:
    root = lib.add_root(tmp_path / "photos")
    lib.ensure_model("m:b", 2)
    ids = lib.commit_batch("m:a", [_update(root.id, "a.jpg"), _update(root.id, "b.jpg"),
                                   _update(root.id, "c.jpg", skipped="truncated JPEG")])
    lib.commit_batch("m:b", [FileUpdate(root.id, "a.jpg", 100, 0, FileStatus.OK,
                                        file_id=ids[0], content_hash="a.jpg",
                                        vector=np.array([1.0, 0.0]))])
    stats = lib.stats()
    assert (stats.photos, stats.skipped) == (2, 1)
    assert stats.model_counts == {"m:a": 2, "m:b": 1}
    (skipped,) = lib.skipped_files()
    assert skipped.path.name == "c.jpg" and skipped.skip_reason == "truncated JPEG"


def test_vectors_come_back_in_the_order_asked(lib: Library, tmp_path: Path) -> None:
    root = lib.add_root(tmp_path / "photos")
    vecs = [np.array([1.0, 0.0]), np.array([0.0, 1.0]), np.array([0.6, 0.8])]
    ids = lib.commit_batch("m:a", [_update(root.id, f"{i}.jpg", vector=v)
                                   for i, v in enumerate(vecs)])
    got = lib.vectors("m:a", [ids[2], 999, ids[0]])
    assert got.dtype == np.float32 and got.shape == (2, 2)
    np.testing.assert_allclose(got, [vecs[2], vecs[0]])
    assert lib.vectors("m:a", []).shape == (0, 2)
    assert set(lib.vector_map("m:a", ids)) == set(ids)


def test_commit_batch_is_all_or_nothing(lib: Library, tmp_path: Path) -> None:
    root = lib.add_root(tmp_path / "photos")
    good = _update(root.id, "a.jpg")
    wrong_dim = _update(root.id, "b.jpg", vector=np.ones(3))
    with pytest.raises(Exception, match="3-dimensional"):
        lib.commit_batch("m:a", [good, wrong_dim])
    assert lib.file_count() == 0


def test_moves_can_swap_two_files(lib: Library, tmp_path: Path) -> None:
    root = lib.add_root(tmp_path / "photos")
    a, b = lib.commit_batch("m:a", [_update(root.id, "a.jpg"), _update(root.id, "b.jpg")])
    lib.apply_scan([FileMove(a, root.id, "b.jpg", 1, 1), FileMove(b, root.id, "a.jpg", 1, 1)],
                   [])
    photos = lib.photos([a, b])
    assert photos[a].path.name == "b.jpg" and photos[b].path.name == "a.jpg"


def test_a_model_keeps_its_dimension(lib: Library) -> None:
    with pytest.raises(Exception, match="2-dimensional vectors"):
        lib.ensure_model("m:a", 3)


def test_tags(lib: Library, tmp_path: Path) -> None:
    root = lib.add_root(tmp_path / "photos")
    a, b = lib.commit_batch("m:a", [_update(root.id, "a.jpg"), _update(root.id, "b.jpg")])
    lib.set_tags(a, {"cat": 0.31, "sofa": 0.27}, source=TagSource.AUTO, model_id="m:a")
    lib.set_tags(a, ["favourite"])
    lib.set_tags(b, {"cat": 0.25}, source=TagSource.AUTO, model_id="m:a")
    tags = lib.tags([a, b])
    assert [t.label for t in tags[a]] == ["favourite", "cat", "sofa"]
    assert tags[a][1].score == pytest.approx(0.31) and tags[a][1].source is TagSource.AUTO
    assert lib.labels() == {"cat": 2, "sofa": 1, "favourite": 1}
    lib.set_tags(a, {"dog": 0.3}, source=TagSource.AUTO)  # replaces a's auto tags only
    assert sorted(t.label for t in lib.tags([a])[a]) == ["dog", "favourite"]


def test_model_counts_follow_every_change(lib: Library, tmp_path: Path) -> None:
    root = lib.add_root(tmp_path / "photos")
    assert lib.model_counts() == {"m:a": 0}
    a, b = lib.commit_batch("m:a", [_update(root.id, "a.jpg"), _update(root.id, "b.jpg")])
    assert lib.model_counts() == {"m:a": 2}
    lib.commit_batch("m:a", [FileUpdate(root.id, "a.jpg", 1, 1, FileStatus.SKIPPED, file_id=a,
                                        skip_reason="now broken", content_changed=True)])
    assert lib.model_counts() == {"m:a": 1}
    lib.apply_scan([], [b])  # missing: its vector is kept
    assert lib.model_counts() == {"m:a": 1}
    lib.purge_missing()
    assert lib.model_counts() == {"m:a": 0}
    with Library.open(lib.paths) as reader:  # another reader sees the same
        assert reader.model_counts() == {"m:a": 0}


def test_readers_in_threads_while_the_writer_commits(lib: Library, tmp_path: Path) -> None:
    import threading

    root = lib.add_root(tmp_path / "photos")
    errors: list[BaseException] = []
    seen: list[int] = []
    stop = threading.Event()

    def read() -> None:
        with Library.open(lib.paths) as reader:
            while not stop.is_set():
                try:
                    n = len(reader.file_ids())
                    seen.append(n)
                    assert reader.vector_index("m:a").ntotal >= 0
                except BaseException as exc:  # pragma: no cover - reported below
                    errors.append(exc)
                    return

    threads = [threading.Thread(target=read) for _ in range(3)]
    for t in threads:
        t.start()
    try:
        for batch in range(20):
            lib.commit_batch("m:a", [_update(root.id, f"{batch}-{i}.jpg") for i in range(5)])
    finally:
        stop.set()
        for t in threads:
            t.join(timeout=60)
    assert errors == []
    assert seen and all(n % 5 == 0 for n in seen)  # whole batches only, never half of one
