"""The indexer: incremental runs, moves, removals, offline roots, skips, cancel/resume, models."""

from __future__ import annotations

import errno
import os
import shutil
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from clipdesk.core import indexer as indexer_module
from clipdesk.core.errors import DiskFull
from clipdesk.core.indexer import Indexer
from clipdesk.core.jobs import CancelToken
from clipdesk.core.pipeline.embed import Work
from clipdesk.core.store import Library
from clipdesk.core.thumbnails import ThumbnailCache
from clipdesk.core.types import FileStatus, IndexReport, Progress, RootState, Stage
from clipdesk.paths import DataPaths
from tests.core.fakes import FakeEncoder, bump_mtime, colour, make_photos, write_image
from tests.core.pipeline.workers import (
    DISK_FULL_ENV,
    LOG_ENV,
    events,
    faulty_worker,
    spying_worker,
)

THUMB = 64


@pytest.fixture
def photos(tmp_path: Path) -> Path:
    folder = tmp_path / "photos"
    folder.mkdir()
    return folder


def run(
    data_paths: DataPaths,
    encoder: FakeEncoder,
    paths: list[Path] | None = None,
    *,
    batch_size: int = 4,
    token: CancelToken | None = None,
    progress: Callable[[Progress], None] | None = None,
    **kwargs: Any,
) -> IndexReport:
    with Library.open(data_paths, write=True) as lib:
        thumbs = ThumbnailCache(data_paths.thumbnail_dir, size=THUMB)
        kwargs.setdefault("worker_target", spying_worker)
        kwargs.setdefault("decode_workers", 2)
        indexer = Indexer(lib, encoder, thumbnails=thumbs, batch_size=batch_size, **kwargs)
        return indexer.run(paths, token=token, progress=progress)


def snapshot(data_paths: DataPaths, model: str = "fake:histogram") -> dict[str, tuple[int, bytes]]:
    """relative path -> (file id, vector bytes) of every file with a vector for ``model``."""
    with Library.open(data_paths) as lib:
        out = {}
        for root in lib.roots():
            ids = lib.file_ids(root_ids=[root.id])
            vectors = lib.vector_map(model, ids)
            for file_id, photo in lib.photos(ids).items():
                if file_id in vectors:
                    out[photo.path.relative_to(root.path).as_posix()] = (
                        file_id, vectors[file_id].tobytes())
        return out


class WorkerSpy:
    """What the decode worker processes did, from the log :mod:`tests.core.pipeline.workers`
    writes (the workers are other processes: monkeypatching here cannot see them)."""

    def __init__(self, log: Path) -> None:
        self.log = log

    def _values(self, kind: str) -> list[Any]:
        return [value for event, value in events(self.log) if event == kind]

    @property
    def opened(self) -> list[str]:
        return self._values("open")

    @property
    def decoded(self) -> list[dict[str, Any]]:
        return self._values("decode")

    @property
    def pids(self) -> list[int]:
        return self._values("pid")

    def clear(self) -> None:
        self.log.unlink(missing_ok=True)


@pytest.fixture
def spy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> WorkerSpy:
    log = tmp_path / "worker-events.jsonl"
    monkeypatch.setenv(LOG_ENV, str(log))
    return WorkerSpy(log)


def test_a_first_run_indexes_everything_fully(data_paths: DataPaths, photos: Path) -> None:
    from PIL import Image

    make_photos(photos, 10, sub="a")
    make_photos(photos, 3, start=10, sub="b/c")
    encoder = FakeEncoder()
    report = run(data_paths, encoder, [photos])
    assert (report.new, report.embedded, report.skipped, report.cancelled) == (13, 13, 0, False)
    assert encoder.images_encoded == 13
    thumbs = ThumbnailCache(data_paths.thumbnail_dir, size=THUMB)
    with Library.open(data_paths) as lib:
        stats = lib.stats()
        assert stats.photos == 13 and stats.model_counts == {"fake:histogram": 13}
        for photo in lib.photos(lib.file_ids()).values():
            assert photo.status is FileStatus.OK and (photo.width, photo.height) == (48, 40)
            assert photo.content_hash in thumbs  # row, vector and thumbnail together
        index = lib.vector_index("fake:histogram")
        assert index.ntotal == 13
        first = lib.photo_by_path(photos / "a" / "img_0000.png")
        assert first is not None
        query = encoder.vector_of(Image.new("RGB", (48, 40), colour(0)))
        _, found = index.search(query[None, :], 1)
        assert found[0, 0] == first.id
    assert list(data_paths.vector_dir.glob("*.faiss"))  # the cache was published at the end


def test_one_decode_serves_model_and_thumbnail(
    data_paths: DataPaths, photos: Path, spy: WorkerSpy
) -> None:
    make_photos(photos, 2)
    run(data_paths, FakeEncoder(image_size=32), [photos])
    assert len(spy.decoded) == 2
    assert all(kwargs["min_side"] == max(32, THUMB) for kwargs in spy.decoded)


def test_a_second_run_on_an_unchanged_folder_opens_no_image(
    data_paths: DataPaths, photos: Path, spy: WorkerSpy
) -> None:
    make_photos(photos, 8)
    (photos / "broken.jpg").write_bytes(b"\xff\xd8\xff not really")
    run(data_paths, FakeEncoder(), [photos])
    before = snapshot(data_paths)
    spy.clear()
    encoder = FakeEncoder()
    report = run(data_paths, encoder)  # every known root
    assert spy.opened == [] and spy.decoded == []
    assert encoder.images_encoded == 0
    assert (report.unchanged, report.new, report.embedded, report.skipped) == (9, 0, 0, 0)
    assert snapshot(data_paths) == before


def test_corrupt_files_are_recorded_and_the_run_goes_on(
    data_paths: DataPaths, photos: Path, spy: WorkerSpy
) -> None:
    good = make_photos(photos, 6)
    full = (photos / "img_0000.png").read_bytes()
    (photos / "truncated.png").write_bytes(full[: len(full) // 2])
    (photos / "text.jpg").write_text("hello")
    (photos / "empty.jpg").write_bytes(b"")
    report = run(data_paths, FakeEncoder(), [photos], batch_size=3)
    assert (report.embedded, report.skipped) == (6, 3)
    assert {p.name for p, _ in report.errors} == {"truncated.png", "text.jpg", "empty.jpg"}
    with Library.open(data_paths) as lib:
        reasons = {p.path.name: p.skip_reason for p in lib.skipped_files()}
        assert reasons["empty.jpg"] == "empty file"
        assert reasons["text.jpg"] == "not an image file"
        assert reasons["truncated.png"]
        assert lib.stats().photos == len(good)
    spy.clear()
    report = run(data_paths, FakeEncoder())
    assert spy.decoded == [] and report.skipped == 0  # skipped files are not retried ...
    write_image(photos / "text.jpg", (1, 2, 3))  # ... until they change
    report = run(data_paths, FakeEncoder())
    assert (report.changed, report.embedded) == (1, 1)
    with Library.open(data_paths) as lib:
        assert {p.path.name for p in lib.skipped_files()} == {"truncated.png", "empty.jpg"}


def test_moved_and_renamed_files_keep_their_vectors(data_paths: DataPaths, photos: Path) -> None:
    make_photos(photos, 6, sub="old")
    run(data_paths, FakeEncoder(), [photos])
    before = snapshot(data_paths)
    (photos / "new").mkdir()
    (photos / "old" / "img_0001.png").rename(photos / "new" / "renamed.png")
    (photos / "old" / "img_0002.png").rename(photos / "old" / "img_0002b.png")
    encoder = FakeEncoder()
    report = run(data_paths, encoder)
    assert (report.moved, report.new, report.missing, report.embedded) == (2, 0, 0, 0)
    assert encoder.images_encoded == 0  # nothing re-embedded
    after = snapshot(data_paths)
    assert after["new/renamed.png"] == before["old/img_0001.png"]  # same row, same vector
    assert after["old/img_0002b.png"] == before["old/img_0002.png"]
    assert "old/img_0001.png" not in after


def test_a_move_between_roots_keeps_the_vector(data_paths: DataPaths, tmp_path: Path) -> None:
    a, b = tmp_path / "a", tmp_path / "b"
    make_photos(a, 2)
    make_photos(b, 1, start=5)
    run(data_paths, FakeEncoder(), [a, b])
    file_id = snapshot(data_paths)["img_0001.png"][0]
    shutil.move(a / "img_0001.png", b / "moved.png")
    encoder = FakeEncoder()
    report = run(data_paths, encoder)
    assert report.moved == 1 and encoder.images_encoded == 0
    with Library.open(data_paths) as lib:
        photo = lib.photo(file_id)
        assert photo is not None and photo.path == (b / "moved.png").resolve()


def test_duplicate_copies_get_rows_of_their_own(data_paths: DataPaths, photos: Path) -> None:
    make_photos(photos, 3)
    run(data_paths, FakeEncoder(), [photos])
    shutil.copy2(photos / "img_0000.png", photos / "copy.png")
    # a moved file that was also copied: one copy takes the row, the other is new
    (photos / "img_0001.png").rename(photos / "moved.png")
    shutil.copy2(photos / "moved.png", photos / "moved copy.png")
    encoder = FakeEncoder()
    report = run(data_paths, encoder)
    assert (report.moved, report.new, report.embedded) == (1, 2, 2)
    snap = snapshot(data_paths)
    assert snap["copy.png"][0] != snap["img_0000.png"][0]
    assert snap["copy.png"][1] == snap["img_0000.png"][1]
    assert len({file_id for file_id, _ in snap.values()}) == len(snap) == 5


def test_a_touched_file_is_not_decoded_again(
    data_paths: DataPaths, photos: Path, spy: WorkerSpy
) -> None:
    make_photos(photos, 3)
    run(data_paths, FakeEncoder(), [photos])
    before = snapshot(data_paths)
    bump_mtime(photos / "img_0001.png")
    spy.clear()
    encoder = FakeEncoder()
    report = run(data_paths, encoder)
    assert (report.changed, report.embedded) == (1, 0)
    assert spy.opened == [str(photos / "img_0001.png")]  # hashed, ...
    assert spy.decoded == [] and encoder.images_encoded == 0  # ... not decoded
    assert snapshot(data_paths) == before
    spy.clear()
    run(data_paths, FakeEncoder())  # the new mtime was stored: not even hashed again
    assert spy.opened == []


def test_a_changed_file_is_embedded_again_and_other_models_forget_it(
    data_paths: DataPaths, photos: Path
) -> None:
    make_photos(photos, 3)
    run(data_paths, FakeEncoder("fake:a"), [photos])
    run(data_paths, FakeEncoder("fake:b", bins=4), [photos])
    old = snapshot(data_paths, "fake:a")["img_0001.png"]
    write_image(photos / "img_0001.png", (250, 250, 250), size=(60, 50))
    encoder = FakeEncoder("fake:a")
    report = run(data_paths, encoder)
    assert (report.changed, report.embedded) == (1, 1)
    new = snapshot(data_paths, "fake:a")["img_0001.png"]
    assert new[0] == old[0] and new[1] != old[1]  # same row, new vector
    assert "img_0001.png" not in snapshot(data_paths, "fake:b")  # stale for b now ...
    encoder_b = FakeEncoder("fake:b", bins=4)
    assert run(data_paths, encoder_b).embedded == 1  # ... and b catches up on its next run
    with Library.open(data_paths) as lib:
        photo = lib.photo(new[0])
        assert photo is not None and (photo.width, photo.height) == (60, 50)


def test_missing_files_are_kept_hidden_until_purged(data_paths: DataPaths, photos: Path) -> None:
    make_photos(photos, 5)
    run(data_paths, FakeEncoder(), [photos])
    (photos / "img_0002.png").unlink()
    (photos / "img_0003.png").unlink()
    report = run(data_paths, FakeEncoder())
    assert report.missing == 2
    with Library.open(data_paths) as lib:
        stats = lib.stats()
        assert (stats.photos, stats.missing) == (3, 2)
        assert lib.model_counts() == {"fake:histogram": 5}  # the vectors are kept
        assert lib.vector_index("fake:histogram").ntotal == 3  # but not searched
        assert len(lib.file_ids()) == 3
    assert run(data_paths, FakeEncoder()).missing == 0  # not counted again
    with Library.open(data_paths, write=True) as lib:
        assert lib.purge_missing().files == 2
        assert lib.model_counts() == {"fake:histogram": 3}
        assert lib.photo_by_path(photos / "img_0002.png") is None


def test_an_unplugged_drive_inside_a_root_is_kept_with_its_tags(
    data_paths: DataPaths, photos: Path
) -> None:
    """Root photos/ holds local/ and usb/, a mount point: unplugging usb/ used to delete its
    100 photos with their vectors and the person's tags, and remounting re-embedded them."""
    from clipdesk.core.store import TagSource

    make_photos(photos, 20, sub="local")
    make_photos(photos, 100, start=20, sub="usb")
    run(data_paths, FakeEncoder(), [photos], batch_size=32)
    before = snapshot(data_paths)
    with Library.open(data_paths, write=True) as lib:
        usb = [i for i, p in lib.photos(lib.file_ids()).items() if "/usb/" in str(p.path)]
        for file_id in usb[:10]:
            lib.set_tags(file_id, ["holiday"], source=TagSource.MANUAL)
    (photos / "usb").rename(photos.parent / "unplugged")
    (photos / "usb").mkdir()  # the empty mount point stays behind
    report = run(data_paths, FakeEncoder())
    assert (report.missing, report.embedded) == (100, 0)
    with Library.open(data_paths) as lib:
        assert (lib.stats().photos, lib.stats().missing) == (20, 100)
        assert lib.labels() == {"holiday": 10}
        assert lib.missing_files().manual_tags == 10
        assert lib.vector_index("fake:histogram").ntotal == 20
    (photos / "usb").rmdir()
    (photos.parent / "unplugged").rename(photos / "usb")  # plugged in again
    encoder = FakeEncoder()
    report = run(data_paths, encoder)
    assert (report.missing, report.embedded, report.unchanged) == (0, 0, 120)
    assert encoder.images_encoded == 0 and snapshot(data_paths) == before
    with Library.open(data_paths) as lib:
        assert (lib.stats().photos, lib.stats().missing) == (120, 0)
        assert lib.labels() == {"holiday": 10}
        assert lib.vector_index("fake:histogram").ntotal == 120


def test_a_missing_file_that_turns_up_elsewhere_takes_its_row_back(
    data_paths: DataPaths, photos: Path
) -> None:
    make_photos(photos, 3)
    run(data_paths, FakeEncoder(), [photos])
    before = snapshot(data_paths)["img_0001.png"]
    (photos / "img_0001.png").rename(photos.parent / "away.png")
    assert run(data_paths, FakeEncoder()).missing == 1
    (photos / "later").mkdir()
    (photos.parent / "away.png").rename(photos / "later" / "back.png")  # a later run finds it
    report = run(data_paths, FakeEncoder())
    assert (report.moved, report.embedded, report.missing) == (1, 0, 0)
    assert snapshot(data_paths)["later/back.png"] == before


def test_an_unreachable_root_is_marked_offline_and_kept(
    data_paths: DataPaths, tmp_path: Path
) -> None:
    drive, other = tmp_path / "drive", tmp_path / "other"
    make_photos(drive, 4)
    make_photos(other, 2, start=10)
    run(data_paths, FakeEncoder(), [drive, other])
    before = snapshot(data_paths)
    drive.rename(tmp_path / "unplugged")  # the drive goes away
    report = run(data_paths, FakeEncoder())
    assert report.offline_roots == (drive.resolve(),) and report.missing == 0
    with Library.open(data_paths) as lib:
        states = {r.path.name: r.state for r in lib.roots()}
        assert states == {"drive": RootState.OFFLINE, "other": RootState.ONLINE}
        assert lib.stats().photos == 6
    assert snapshot(data_paths) == before
    (tmp_path / "unplugged").rename(drive)  # plugged in again: online, nothing to redo
    encoder = FakeEncoder()
    report = run(data_paths, encoder)
    assert report.offline_roots == () and encoder.images_encoded == 0
    with Library.open(data_paths) as lib:
        assert all(r.state is RootState.ONLINE for r in lib.roots())


def test_an_empty_mount_point_is_treated_as_offline(data_paths: DataPaths, photos: Path) -> None:
    make_photos(photos, 3)
    run(data_paths, FakeEncoder(), [photos])
    for f in photos.iterdir():
        f.unlink()  # what an unmounted drive's mount point looks like
    report = run(data_paths, FakeEncoder(), [photos])  # named explicitly, as the CLI does
    assert report.offline_roots == (photos.resolve(),) and report.missing == 0
    with Library.open(data_paths) as lib:
        assert lib.stats().photos == 3


def test_files_in_a_folder_that_cannot_be_listed_now_are_kept(
    data_paths: DataPaths, photos: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import os

    make_photos(photos, 2, sub="open")
    make_photos(photos, 3, start=10, sub="locked/deeper")
    run(data_paths, FakeEncoder(), [photos])
    before = snapshot(data_paths)
    real = os.scandir

    def scandir(path: str) -> Any:
        if os.path.basename(path) == "locked":
            raise PermissionError(13, "Permission denied", path)
        return real(path)

    monkeypatch.setattr(os, "scandir", scandir)
    report = run(data_paths, FakeEncoder())
    assert report.unreadable_dirs == ((photos / "locked").resolve(),)
    assert report.missing == 0 and snapshot(data_paths) == before
    with Library.open(data_paths) as lib:  # remembered for `status --errors` and the window
        assert lib.unreadable_folders() == [(photos / "locked").resolve()]
        [root] = lib.roots()
        assert lib.unreadable_folders(root.id) == [(photos / "locked").resolve()]
        assert lib.unreadable_folders(root.id + 1) == []
    monkeypatch.setattr(os, "scandir", real)
    run(data_paths, FakeEncoder())
    with Library.open(data_paths) as lib:  # readable again: forgotten by the next scan
        assert lib.unreadable_folders() == []


def test_cancel_mid_run_keeps_committed_batches_and_resume_does_the_rest(
    data_paths: DataPaths, photos: Path
) -> None:
    make_photos(photos, 20)
    token = CancelToken()

    def cancel_after_two_batches(p: Progress) -> None:
        if p.stage is Stage.EMBEDDING and p.done >= 8:
            token.cancel()

    first = FakeEncoder()
    report = run(data_paths, first, [photos], batch_size=4, token=token,
                 progress=cancel_after_two_batches)
    assert report.cancelled and report.embedded == 8
    done = snapshot(data_paths)
    assert len(done) == 8
    with Library.open(data_paths) as lib:  # nothing half-done: every row has its vector
        assert lib.stats().photos == 8
        assert lib.vector_index("fake:histogram").ntotal == 8
    second = FakeEncoder()
    report = run(data_paths, second, batch_size=4)
    assert not report.cancelled and report.embedded == 12
    assert second.images_encoded == 12  # the 8 finished ones were not computed again
    after = snapshot(data_paths)
    assert len(after) == 20 and all(after[k] == v for k, v in done.items())


def test_a_second_model_embeds_only_what_it_lacks(data_paths: DataPaths, photos: Path) -> None:
    make_photos(photos, 6)
    run(data_paths, FakeEncoder("fake:a"), [photos])
    a_before = snapshot(data_paths, "fake:a")
    b = FakeEncoder("fake:b", bins=4)
    report = run(data_paths, b)
    assert report.embedded == 6 and b.images_encoded == 6 and report.unchanged == 6
    assert snapshot(data_paths, "fake:a") == a_before  # A untouched
    make_photos(photos, 2, start=50)
    a = FakeEncoder("fake:a")
    assert run(data_paths, a).embedded == 2 and a.images_encoded == 2
    b = FakeEncoder("fake:b", bins=4)
    assert run(data_paths, b).embedded == 2 and b.images_encoded == 2
    b = FakeEncoder("fake:b", bins=4)
    assert run(data_paths, b).embedded == 0 and b.images_encoded == 0
    with Library.open(data_paths) as lib:
        assert lib.model_counts() == {"fake:a": 8, "fake:b": 8}
        assert lib.vector_index("fake:a").d == 24 and lib.vector_index("fake:b").d == 12


def test_progress_is_reported_once_per_batch(data_paths: DataPaths, photos: Path) -> None:
    make_photos(photos, 10)
    reports: list[Progress] = []
    run(data_paths, FakeEncoder(), [photos], batch_size=4, progress=reports.append)
    embedding = [p for p in reports if p.stage is Stage.EMBEDDING]
    assert [p.done for p in embedding] == [0, 4, 8, 10]
    assert all(p.total == 10 for p in embedding)
    assert all(p.rate > 0 and p.eta_s is not None and p.current.endswith(".png")
               for p in embedding[1:])
    assert embedding[-1].eta_s == 0
    assert reports[-1].stage is Stage.DONE
    assert any(p.stage is Stage.SCANNING for p in reports)


def test_decoding_runs_at_most_a_few_slots_ahead(
    data_paths: DataPaths, photos: Path, spy: WorkerSpy
) -> None:
    make_photos(photos, 40)
    worst = 0
    slots = 0

    class Watching(FakeEncoder):
        def encode_pixels(self, pixels: Any, token: Any = None) -> np.ndarray:
            nonlocal worst
            import time

            time.sleep(0.05)  # a slow model: decoders would race ahead if they could
            worst = max(worst, len(spy.opened) - self.images_encoded)
            return super().encode_pixels(pixels, token)

    with Library.open(data_paths, write=True) as lib:
        indexer = Indexer(lib, Watching(), batch_size=4, decode_workers=3,
                          worker_target=spying_worker)
        slots = indexer.pipeline.slot_count(3)
        assert indexer.run([photos]).embedded == 40
    assert len(spy.opened) == 40
    assert slots == 2 * 4 + 3 * 2  # two batches, plus two files queued per worker
    # a started file holds a slot until its batch is copied out for the encoder: at most the
    # slots plus the batch being encoded are decoded and not yet embedded
    assert worst <= slots + 4


def test_prefetch_is_bounded_in_bytes_whatever_the_photo_size(data_paths: DataPaths) -> None:
    from clipdesk.core.pipeline.embed import EmbedPipeline

    encoder = FakeEncoder(image_size=224)
    small = EmbedPipeline(encoder, batch_size=64, workers=4, prefetch_bytes=8 << 20)
    big = EmbedPipeline(encoder, batch_size=64, workers=4, prefetch_bytes=1 << 30)
    per_slot = 224 * 224 * 3
    assert small.slot_count(4) == 64 + 8  # the minimum that keeps a batch filling
    assert big.slot_count(4) == 2 * 64 + 8  # two batches ahead, no more
    # slots hold the model's pixels, never the photo's: a 12 MP photo costs as much as a
    # thumbnail-sized one, and the shared memory is allocated once, up front
    assert big.slot_count(4) * per_slot < 50 << 20


def test_one_picture_the_model_chokes_on_is_skipped(data_paths: DataPaths, photos: Path) -> None:
    make_photos(photos, 6)
    encoder = FakeEncoder(poison=colour(3))
    report = run(data_paths, encoder, [photos], batch_size=4)
    assert (report.embedded, report.skipped) == (5, 1)
    with Library.open(data_paths) as lib:
        (bad,) = lib.skipped_files()
        assert bad.path.name == "img_0003.png" and "could not be embedded" in (
            bad.skip_reason or "")


def test_a_broken_model_stops_the_run_instead_of_skipping_everything(
    data_paths: DataPaths, photos: Path
) -> None:
    make_photos(photos, 4)
    with pytest.raises(RuntimeError, match="broken"):
        run(data_paths, FakeEncoder(broken=True), [photos])
    with Library.open(data_paths) as lib:
        assert lib.stats().skipped == 0 and lib.stats().photos == 0


def test_disk_full_in_the_database_stops_the_run_consistently(
    data_paths: DataPaths, photos: Path
) -> None:
    import sqlite3

    from sqlalchemy import event

    make_photos(photos, 1)
    run(data_paths, FakeEncoder(bins=64), [photos])
    make_photos(photos, 60, start=1, sub="more" + "x" * 150)
    with Library.open(data_paths, write=True) as lib:
        with lib.db.engine.connect() as conn:
            pages = int(conn.exec_driver_sql("PRAGMA page_count").scalar_one())

        @event.listens_for(lib.db.engine, "connect")
        def _limit(dbapi_connection: sqlite3.Connection, _: object) -> None:
            dbapi_connection.execute(f"PRAGMA max_page_count = {pages + 2}")

        lib.db.engine.dispose()
        indexer = Indexer(lib, FakeEncoder(bins=64), batch_size=4,
                          thumbnails=ThumbnailCache(data_paths.thumbnail_dir, size=THUMB))
        with pytest.raises(DiskFull):
            indexer.run()
    with Library.open(data_paths) as lib:  # whole batches only, each row with its vector
        stats = lib.stats()
        assert 1 < stats.photos < 61 and (stats.photos - 1) % 4 == 0, stats.photos
        assert stats.model_counts == {"fake:histogram": stats.photos}
    report = run(data_paths, FakeEncoder(bins=64))  # space again: the rest is done
    assert report.embedded == 61 - stats.photos


def test_disk_full_writing_thumbnails_stops_the_run_before_the_commit(
    data_paths: DataPaths, photos: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_photos(photos, 6)
    monkeypatch.setenv(DISK_FULL_ENV, "1")  # the workers store thumbnails, and fail to
    with pytest.raises(DiskFull, match="is full"):
        run(data_paths, FakeEncoder(), [photos], worker_target=faulty_worker)
    with Library.open(data_paths) as lib:
        assert lib.stats().photos == 0 and lib.model_counts() == {"fake:histogram": 0}
    monkeypatch.delenv(DISK_FULL_ENV)
    assert run(data_paths, FakeEncoder()).embedded == 6  # space again: all of it is done


def test_thumbnails_of_gpu_decoded_files_are_stored_by_the_writer(
    data_paths: DataPaths, photos: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A full disk met by the writer (storing a GPU-made thumbnail) stops the run too."""
    from clipdesk.core.pipeline.embed import Embedded
    from clipdesk.core.pipeline.worker import FileResult

    def full(self: ThumbnailCache, key: str, data: bytes) -> Path:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(ThumbnailCache, "put_bytes", full)
    with Library.open(data_paths, write=True) as lib:
        thumbs = ThumbnailCache(data_paths.thumbnail_dir, size=THUMB)
        indexer = Indexer(lib, FakeEncoder(), thumbnails=thumbs)
        lib.ensure_model("fake:histogram", 24)
        root = lib.add_root(photos)
        made = FileResult(0, size=1, mtime_ns=1, content_hash="ab" * 32, thumbnail=b"jpeg")
        item = Embedded(Work(root.id, "a.jpg", None), photos / "a.jpg", made,
                        vector=np.ones(24, dtype=np.float32) / np.sqrt(24))
        with pytest.raises(DiskFull):
            indexer._commit([item], indexer_module._Tally())
        assert lib.stats().photos == 0


def test_a_file_deleted_between_scan_and_decode_is_left_for_the_next_run(
    data_paths: DataPaths, photos: Path, spy: WorkerSpy
) -> None:
    make_photos(photos, 2)
    write_image(photos / "vanish.png", colour(9))  # the test worker deletes it first
    report = run(data_paths, FakeEncoder(), [photos], worker_target=faulty_worker)
    assert (report.embedded, report.skipped, report.errors) == (2, 0, ())


def test_without_a_thumbnail_cache(data_paths: DataPaths, photos: Path) -> None:
    make_photos(photos, 3)
    with Library.open(data_paths, write=True) as lib:
        report = Indexer(lib, FakeEncoder(), batch_size=2).run([photos])
    assert report.embedded == 3


def test_end_to_end_with_a_real_tiny_model(
    data_paths: DataPaths, tiny_open_clip: Any, tmp_path: Path
) -> None:
    from clipdesk.core.imaging import load_image_file
    from clipdesk.core.models import load_encoder
    from tests.fixtures.shapes import generate_folder

    folder = tmp_path / "shapes"
    generate_folder(folder, 8, seed=3)
    encoder = load_encoder(tiny_open_clip, data_paths, device="cpu")
    with Library.open(data_paths, write=True) as lib:
        thumbs = ThumbnailCache(data_paths.thumbnail_dir, size=THUMB)
        report = Indexer(lib, encoder, thumbnails=thumbs, batch_size=3).run([folder])
        assert report.embedded == 8 and report.skipped == 0
        model_id = encoder.info.model_id
        assert lib.model_counts() == {model_id: 8}
        index = lib.vector_index(model_id)
        assert index.d == encoder.dim == 32
        photo = next(iter(lib.photos(lib.file_ids()).values()))
        same_decode = load_image_file(photo.path, min_side=max(encoder.info.image_size, THUMB))
        query = encoder.encode_images([same_decode.image])
        scores, ids = index.search(query, 1)
        assert ids[0, 0] == photo.id and scores[0, 0] == pytest.approx(1.0, abs=1e-4)
        assert photo.content_hash in thumbs


@pytest.mark.skipif(os.name != "posix" or sys.platform == "darwin",
                    reason="needs a file system that takes any bytes in names")
def test_file_names_that_are_not_utf8_are_kept_losslessly(
    data_paths: DataPaths, photos: Path
) -> None:
    """``$'000\\xffbad.jpg'`` used to crash every run at the commit and block every photo."""
    make_photos(photos, 5)
    raw = os.path.join(os.fsencode(photos), b"000\xffbad.png")
    with open(raw, "wb") as out:
        out.write((photos / "img_0000.png").read_bytes()[:-1] + b"\x82")  # same picture
    sub = os.path.join(os.fsencode(photos), b"\xe9t\xe9")  # a Latin-1 folder name
    os.mkdir(sub)
    write_image(Path(os.fsdecode(sub)) / "inside.png", colour(30))
    report = run(data_paths, FakeEncoder(), [photos], batch_size=2)
    assert (report.embedded, report.skipped) == (7, 0), report.errors
    with Library.open(data_paths) as lib:
        names = {os.fsencode(p.path) for p in lib.photos(lib.file_ids()).values()}
    assert raw in names and os.path.join(sub, b"inside.png") in names
    again = run(data_paths, FakeEncoder(), [photos])  # found again: nothing to do
    assert (again.unchanged, again.new, again.embedded) == (7, 0, 0)
    moved = os.path.join(os.fsencode(photos), b"moved\xfe.png")
    os.rename(raw, moved)
    third = run(data_paths, FakeEncoder(), [photos])
    assert (third.moved, third.embedded) == (1, 0)


def test_unfinished_work_is_recorded_in_the_library(data_paths: DataPaths, photos: Path) -> None:
    """A cancel (or a quit, crash or kill) leaves the root marked unfinished, with what its
    scan found: the app shows "8 of 20 indexed" and resumes it on the next start."""
    make_photos(photos, 20)
    token = CancelToken()

    def cancel_after_two_batches(p: Progress) -> None:
        if p.stage is Stage.EMBEDDING and p.done >= 8:
            token.cancel()

    run(data_paths, FakeEncoder(), [photos], batch_size=4, token=token,
        progress=cancel_after_two_batches)
    with Library.open(data_paths) as lib:
        (root,) = lib.roots()
    assert root.unfinished and root.pending_model == "fake:histogram"
    assert (root.photo_count, root.found_count) == (8, 20)
    run(data_paths, FakeEncoder("fake:other"), batch_size=4)  # another model's run ...
    with Library.open(data_paths) as lib:  # ... leaves the first model's work unfinished
        assert lib.roots()[0].pending_model == "fake:histogram"
    run(data_paths, FakeEncoder(), batch_size=4)  # the resume
    with Library.open(data_paths) as lib:
        (root,) = lib.roots()
    assert not root.unfinished and (root.photo_count, root.found_count) == (20, 20)


def test_the_model_loads_only_when_something_must_be_embedded(
    data_paths: DataPaths, photos: Path
) -> None:
    """Scan and compare first: a rescan that finds nothing new never loads the model."""
    from dataclasses import replace

    from clipdesk.core.errors import ModelError
    from clipdesk.core.indexer import EncoderOnDemand

    encoder = FakeEncoder()
    loads: list[int] = []

    def load() -> FakeEncoder:
        loads.append(1)
        return encoder

    on_demand = EncoderOnDemand(encoder.info, load)
    make_photos(photos, 3)
    first = run(data_paths, on_demand, [photos])  # type: ignore[arg-type]
    assert first.embedded == 3 and loads == [1]
    again = run(data_paths, on_demand)  # type: ignore[arg-type]
    assert again.unchanged == 3 and again.embedded == 0 and loads == [1]  # no load
    make_photos(photos, 1, start=10)
    assert run(data_paths, on_demand).embedded == 1 and loads == [1, 1]  # type: ignore[arg-type]
    wrong = EncoderOnDemand(replace(encoder.info, model_id="fake:other", embed_dim=7), load)
    make_photos(photos, 1, start=20)
    with pytest.raises(ModelError, match="gives 24-d vectors"):
        run(data_paths, wrong)  # type: ignore[arg-type]
