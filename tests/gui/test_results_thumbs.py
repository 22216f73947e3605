"""ThumbnailLoader: off-thread loading, placeholders replaced, LRU bound, LIFO, cache, HiDPI."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from PIL import Image
from PySide6.QtCore import Qt
from PySide6.QtGui import QImage, QPixmap
from pytestqt.qtbot import QtBot

from clipdesk.core.thumbnails import ThumbnailCache
from clipdesk.core.types import FileStatus, Photo, SearchHit
from clipdesk.gui.results import thumbs
from clipdesk.gui.results.model import ResultRole, ResultsModel
from clipdesk.gui.results.thumbs import ThumbnailLoader, ThumbRequest


def make_photos(folder: Path, n: int, size: tuple[int, int] = (300, 200)) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i in range(n):
        path = folder / f"p{i:03d}.jpg"
        Image.new("RGB", size, ((i * 37) % 256, (i * 91) % 256, 120)).save(path, quality=80)
        paths.append(path)
    return paths


@pytest.fixture
def loader(qtbot: QtBot, tmp_path: Path) -> ThumbnailLoader:
    result = ThumbnailLoader(ThumbnailCache(tmp_path / "thumbs", size=128))
    yield result
    result.shutdown()


def test_placeholder_replaced_off_thread(
    qtbot: QtBot, loader: ThumbnailLoader, tmp_path: Path
) -> None:
    paths = make_photos(tmp_path / "photos", 3)
    threads: set[int] = set()
    real = thumbs.decode_thumbnail

    def spy(*args: object) -> QImage:
        threads.add(threading.get_ident())
        return real(*args)  # type: ignore[arg-type]

    thumbs.decode_thumbnail = spy  # type: ignore[assignment]
    try:
        model = ResultsModel(loader)
        model.set_results([SearchHit(i, p, 0.5, i + 1) for i, p in enumerate(paths)])
        index = model.index(1, 0)
        assert model.data(index, Qt.ItemDataRole.DecorationRole) is None  # placeholder first
        with qtbot.waitSignal(model.dataChanged, timeout=5000):
            pass
        qtbot.waitUntil(
            lambda: isinstance(model.data(index, Qt.ItemDataRole.DecorationRole), QPixmap),
            timeout=5000,
        )
    finally:
        thumbs.decode_thumbnail = real  # type: ignore[assignment]
    pixmap = model.data(index, Qt.ItemDataRole.DecorationRole)
    assert max(pixmap.width(), pixmap.height()) <= loader.pixel_size
    assert threads and threading.get_ident() not in threads


def test_missing_thumbnail_is_made_and_stored(
    qtbot: QtBot, loader: ThumbnailLoader, tmp_path: Path
) -> None:
    [path] = make_photos(tmp_path / "photos", 1)
    cache = ThumbnailCache(tmp_path / "thumbs", size=128)
    request = ThumbRequest.for_photo(path, "abc123")
    assert "abc123" not in cache
    with qtbot.waitSignal(loader.thumbnailReady, timeout=5000):
        loader.request(request)
    assert "abc123" in cache  # stored for next time
    path.unlink()  # the next loader reads the cache, not the (now gone) file
    other = ThumbnailLoader(cache)
    try:
        with qtbot.waitSignal(other.thumbnailReady, timeout=5000):
            assert other.pixmap(request) is None
        assert isinstance(other.cached("abc123"), QPixmap)
    finally:
        other.shutdown()


def test_broken_file_marked_failed(qtbot: QtBot, loader: ThumbnailLoader, tmp_path: Path) -> None:
    bad = tmp_path / "bad.jpg"
    bad.write_bytes(b"not a jpeg at all")
    model = ResultsModel(loader)
    model.set_results([SearchHit(1, bad, 0.1, 1)])
    index = model.index(0, 0)
    with qtbot.waitSignal(model.dataChanged, timeout=5000):
        model.data(index, Qt.ItemDataRole.DecorationRole)
    assert model.data(index, ResultRole.THUMB_FAILED) is True
    assert loader.pending() == 0
    assert model.data(index, Qt.ItemDataRole.DecorationRole) is None  # and not asked again
    assert loader.pending() == 0


def test_lru_bound_in_bytes(qtbot: QtBot, tmp_path: Path) -> None:
    paths = make_photos(tmp_path / "photos", 12)
    keys = [ThumbRequest.for_photo(p, None).key for p in paths]
    loader = ThumbnailLoader(None, max_bytes=200_000)
    try:
        loader.set_target(100, 1.0)  # 100x67 px thumbnails, ~27 kB each: 7 fit
        for _i, p in enumerate(paths):
            with qtbot.waitSignal(loader.thumbnailReady, timeout=5000):
                loader.request(ThumbRequest.for_photo(p, None))
            assert loader.cached_bytes <= loader.max_bytes
            assert loader.cached(keys[0]) is not None  # used each time: stays the most recent
        assert 1 < len(loader) < len(paths)
        assert loader.cached(keys[-1]) is not None
        assert loader.cached(keys[0]) is not None  # kept thanks to its recent use
        assert loader.cached(keys[1]) is None  # the least recently used went first
    finally:
        loader.shutdown()


def test_lifo_newest_request_first(qtbot: QtBot, tmp_path: Path, monkeypatch) -> None:
    paths = make_photos(tmp_path / "photos", 5)
    gate = threading.Event()
    order: list[str] = []

    def slow(request: ThumbRequest, cache: object, size: int) -> QImage:
        gate.wait(5)
        order.append(request.path.name)
        return QImage(8, 8, QImage.Format.Format_RGB32)

    monkeypatch.setattr(thumbs, "decode_thumbnail", slow)
    loader = ThumbnailLoader(None, max_threads=1)
    try:
        loader.request(ThumbRequest.for_photo(paths[0], None))  # taken by the worker, blocks
        qtbot.waitUntil(lambda: len(loader._queue.busy) == 1, timeout=5000)
        for p in paths[1:]:
            loader.request(ThumbRequest.for_photo(p, None))
        loader.request(ThumbRequest.for_photo(paths[2], None))  # asked again: to the front
        loader.request(ThumbRequest.for_photo(paths[0], None))  # being decoded: not twice
        gate.set()
        qtbot.waitUntil(lambda: len(order) == 5 and loader.pending() == 0, timeout=5000)
    finally:
        loader.shutdown()
    assert order == ["p000.jpg", "p002.jpg", "p004.jpg", "p003.jpg", "p001.jpg"]


def test_hidpi_pixmaps(qtbot: QtBot, loader: ThumbnailLoader, tmp_path: Path) -> None:
    [path] = make_photos(tmp_path / "photos", 1, size=(400, 400))
    loader.set_target(50, 2.0)
    request = ThumbRequest.for_photo(path, None)
    with qtbot.waitSignal(loader.thumbnailReady, timeout=5000):
        loader.request(request)
    pixmap = loader.cached(request.key)
    assert pixmap is not None
    assert pixmap.devicePixelRatio() == 2.0
    assert (pixmap.width(), pixmap.height()) == (100, 100)  # device pixels: 50 px * 2
    loader.set_target(60, 2.0)  # another size: old pixmaps are dropped
    assert loader.cached(request.key) is None


def test_photo_hash_is_the_key() -> None:
    photo = Photo(1, 1, Path("/x.jpg"), 1, 0, 1, 1, None, FileStatus.OK, content_hash="h1")
    assert ThumbRequest.for_photo(photo.path, photo.content_hash).key == "h1"
