"""Thumbnails: size and aspect, the on-disk cache layout, atomic writes, corrupt files."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from PIL import Image

from clipdesk.core.imaging import load_image_file
from clipdesk.core.thumbnails import DEFAULT_SIZE, ThumbnailCache, make_thumbnail
from tests.core.image_samples import (
    QUADRANTS,
    WHITE,
    close,
    encode,
    photo_like,
    quadrant_colours,
    quadrant_picture,
    write,
)

KEY = hashlib.sha256(b"a photo").hexdigest()


@pytest.fixture
def cache(tmp_path: Path) -> ThumbnailCache:
    return ThumbnailCache(tmp_path / "thumbs", size=256)


# -- make_thumbnail --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("size", "long_side", "expected"),
    [
        ((1000, 500), 256, (256, 128)),
        ((300, 900), 256, (85, 256)),
        ((640, 480), 128, (128, 96)),
        ((5000, 10), 256, (256, 1)),  # never zero pixels
        ((256, 256), 256, (256, 256)),
        ((100, 50), 256, (100, 50)),  # never enlarged
    ],
)
def test_make_thumbnail_size(
    size: tuple[int, int], long_side: int, expected: tuple[int, int]
) -> None:
    thumb = make_thumbnail(photo_like(*size), long_side)
    assert thumb.size == expected
    assert thumb.mode == "RGB"


def test_make_thumbnail_keeps_the_picture() -> None:
    thumb = make_thumbnail(quadrant_picture(960, 640), 96)
    assert quadrant_colours(thumb) == QUADRANTS


def test_make_thumbnail_of_other_modes_and_no_aliasing() -> None:
    rgba = Image.new("RGBA", (400, 200), (0, 0, 0, 0))
    assert make_thumbnail(rgba, 64).getpixel((10, 10)) == WHITE
    small = Image.new("RGB", (10, 10), (1, 2, 3))
    copy = make_thumbnail(small, 64)
    copy.putpixel((0, 0), (9, 9, 9))
    assert small.getpixel((0, 0)) == (1, 2, 3)  # the caller's image is never modified
    with pytest.raises(ValueError):
        make_thumbnail(small, 0)


# -- the cache -------------------------------------------------------------------------------------


def test_put_then_get(cache: ThumbnailCache) -> None:
    assert DEFAULT_SIZE == 256
    assert KEY not in cache
    assert cache.get(KEY) is None and cache.get_bytes(KEY) is None
    path = cache.put(KEY, quadrant_picture(1024, 768))
    assert path == cache.folder / KEY[:2] / f"{KEY}{cache.suffix}"
    assert path.parent.parent == cache.folder
    assert path.is_file()
    assert KEY in cache
    thumb = cache.get(KEY)
    assert thumb is not None
    assert thumb.size == (256, 192) and thumb.mode == "RGB"
    for name, colour in quadrant_colours(thumb).items():
        assert close(colour, QUADRANTS[name], 30), name
    data = cache.get_bytes(KEY)
    assert data == path.read_bytes()
    assert list(cache.keys()) == [KEY]
    assert [p.name for p in path.parent.iterdir()] == [path.name]  # no temp files left


def test_layout_has_size_and_format(tmp_path: Path) -> None:
    webp = ThumbnailCache(tmp_path, size=256, fmt="webp")
    jpeg = ThumbnailCache(tmp_path, size=128, fmt="jpeg")
    assert ThumbnailCache(tmp_path).format == "JPEG"  # the default
    assert webp.path_for("abcdef0123") == tmp_path / "256" / "ab" / "abcdef0123.webp"
    assert jpeg.path_for("abcdef0123") == tmp_path / "128" / "ab" / "abcdef0123.jpg"
    jpeg.put("abcdef0123", photo_like(640, 480))
    assert "abcdef0123" not in webp  # another size is another cache
    thumb = jpeg.get("abcdef0123")
    assert thumb is not None and thumb.size == (128, 96)
    with Image.open(jpeg.path_for("abcdef0123")) as stored:
        assert stored.format == "JPEG"
    with pytest.raises(ValueError):
        ThumbnailCache(tmp_path, fmt="gif")
    with pytest.raises(ValueError):
        ThumbnailCache(tmp_path, size=0)


def test_webp_thumbnails_of_an_earlier_version_are_still_read(tmp_path: Path) -> None:
    old = ThumbnailCache(tmp_path, size=128, fmt="webp")
    old.put(KEY, photo_like(640, 480))
    cache = ThumbnailCache(tmp_path, size=128)  # today's JPEG cache over the same folder
    assert KEY in cache and list(cache.keys()) == [KEY]
    thumb = cache.get(KEY)
    assert thumb is not None and thumb.size == (128, 96)
    assert cache.get_bytes(KEY) == old.path_for(KEY).read_bytes()
    cache.put(KEY, photo_like(640, 480))  # embedded again: one file, in the new format
    assert not old.path_for(KEY).exists() and cache.path_for(KEY).exists()
    assert list(cache.keys()) == [KEY]
    cache.discard(KEY)
    assert KEY not in cache


@pytest.mark.parametrize("key", ["", "a", "../../etc/passwd", "ab/cd", "a.b.c", "ab cd", "x" * 300])
def test_bad_keys_are_refused(cache: ThumbnailCache, key: str) -> None:
    with pytest.raises(ValueError):
        cache.path_for(key)
    assert key not in cache


def test_encode_then_put_bytes(cache: ThumbnailCache) -> None:
    data = cache.encode(photo_like(800, 600))  # what a decode worker does off the writer thread
    path = cache.put_bytes(KEY, data)
    assert path.read_bytes() == data
    thumb = cache.get(KEY)
    assert thumb is not None and thumb.size == (256, 192)


@pytest.mark.parametrize(
    "damage",
    [
        lambda data: b"",
        lambda data: b"garbage" * 20,
        lambda data: data[: len(data) // 2],
        lambda data: data[:12] + bytes(len(data) - 12),
    ],
    ids=["empty", "garbage", "truncated", "zeroed"],
)
def test_corrupt_thumbnail_is_missing(
    cache: ThumbnailCache, damage: Callable[[bytes], bytes]
) -> None:
    path = cache.put(KEY, photo_like(800, 600))
    path.write_bytes(damage(path.read_bytes()))
    assert cache.get(KEY) is None
    assert not path.exists()  # removed, so it is made again
    assert KEY not in cache
    cache.put(KEY, photo_like(800, 600))
    assert cache.get_bytes(KEY) is not None


def test_corrupt_thumbnail_via_get_bytes(cache: ThumbnailCache) -> None:
    path = cache.put(KEY, photo_like(800, 600))
    path.write_bytes(b"RIFF\x00\x00\x00\x00WEBPjunk")
    assert cache.get_bytes(KEY) is None
    assert not path.exists()


def test_failed_write_keeps_the_old_thumbnail(
    cache: ThumbnailCache, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = cache.put(KEY, quadrant_picture(800, 600))
    before = path.read_bytes()

    def fail(*_: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", fail)
    with pytest.raises(OSError):
        cache.put(KEY, photo_like(800, 600))
    assert path.read_bytes() == before
    assert sorted(p.name for p in path.parent.iterdir()) == [path.name]


def test_discard(cache: ThumbnailCache) -> None:
    cache.put(KEY, photo_like(300, 200))
    cache.discard(KEY)
    assert KEY not in cache
    cache.discard(KEY)  # discarding twice is fine
    assert list(cache.keys()) == []


def test_concurrent_writers_and_readers(cache: ThumbnailCache) -> None:
    pictures = [photo_like(400, 300, seed=i) for i in range(4)]
    keys = [f"{i:02x}" * 8 for i in range(6)]

    def work(n: int) -> bool:
        key = keys[n % len(keys)]
        cache.put(key, pictures[n % len(pictures)])
        thumb = cache.get(key)  # another thread may have replaced it: never half a file
        return thumb is not None and thumb.size == (256, 192)

    with ThreadPoolExecutor(8) as pool:
        assert all(pool.map(work, range(60)))
    assert sorted(cache.keys()) == sorted(keys)
    leftovers = [p for p in cache.folder.rglob("*") if p.is_file() and p.suffix != cache.suffix]
    assert leftovers == []


def test_thumbnail_from_a_decoded_file(tmp_path: Path, cache: ThumbnailCache) -> None:
    source = write(tmp_path / "big.jpg", encode(photo_like(2000, 1500), "JPEG", quality=90))
    decoded = load_image_file(source, min_side=cache.size)
    assert min(decoded.image.size) >= cache.size  # enough pixels for a full-size thumbnail
    cache.put(KEY, decoded.image)
    thumb = cache.get(KEY)
    assert thumb is not None and thumb.size == (256, 192)


def test_coco_mini_thumbnails(tmp_path: Path, coco_mini: Path) -> None:
    cache = ThumbnailCache(tmp_path, size=128)
    for path in sorted((coco_mini / "images").glob("*.jpg"))[:10]:
        key = hashlib.sha256(path.read_bytes()).hexdigest()
        cache.put(key, load_image_file(path, min_side=128).image)
        thumb = cache.get(key)
        assert thumb is not None and max(thumb.size) == 128
