"""Thumbnails for the grid, loaded off the GUI thread (calibre's habits).

* A request names a photo by a key (its content hash when the library knows it, else its path).
  The worker reads the thumbnail from the :class:`~clipdesk.core.thumbnails.ThumbnailCache`; when
  it is missing it decodes the file with :mod:`clipdesk.core.imaging`, makes the thumbnail and
  stores it, so the next time is fast.
* Requests are served last-in first-out: the items painted last (the ones on screen now) load
  first, and a request already waiting is moved to the front instead of being queued twice.
* Workers (``QRunnable`` in a private ``QThreadPool``) only make ``QImage``; the ``QPixmap`` is made
  on the GUI thread when the result arrives through a queued signal, then kept in an LRU cache
  bounded by bytes. Pixmaps carry the device pixel ratio, so they stay sharp on HiDPI screens.
* When the grid's thumbnail size changes, the pixmaps of the old size stay on screen (scaled) until
  those of the new size arrive: a size slider never blanks the grid.
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QRunnable, Qt, QThreadPool, Signal, Slot
from PySide6.QtGui import QImage, QPainter, QPixmap

from clipdesk.core.thumbnails import ThumbnailCache

if TYPE_CHECKING:
    from PIL.Image import Image as PILImage

log = logging.getLogger(__name__)

DEFAULT_MAX_BYTES = 160 * 1024 * 1024


@dataclass(frozen=True)
class ThumbRequest:
    """What a worker needs to make one thumbnail."""

    key: str
    path: Path
    content_hash: str | None = None

    @classmethod
    def for_photo(cls, path: Path, content_hash: str | None) -> ThumbRequest:
        return cls(key=content_hash or f"path:{path}", path=path, content_hash=content_hash)


def pil_to_qimage(image: PILImage) -> QImage:
    """A deep-copied ``QImage`` (RGB888) of a PIL image (thread-safe: no GUI objects involved)."""
    rgb = image if image.mode == "RGB" else image.convert("RGB")
    width, height = rgb.size
    data = rgb.tobytes()
    return QImage(data, width, height, 3 * width, QImage.Format.Format_RGB888).copy()


def qimage_to_pil(image: QImage) -> PILImage:
    """An RGB PIL copy of ``image`` (alpha composited on white, as the decoder does for files)."""
    from PIL import Image

    if image.hasAlphaChannel():
        flat = QImage(image.size(), QImage.Format.Format_RGB888)
        flat.fill(Qt.GlobalColor.white)
        painter = QPainter(flat)
        painter.drawImage(0, 0, image)
        painter.end()
        image = flat
    rgb = image.convertToFormat(QImage.Format.Format_RGB888)
    width, height = rgb.width(), rgb.height()
    data = bytes(rgb.constBits())[: rgb.bytesPerLine() * height]
    return Image.frombuffer("RGB", (width, height), data, "raw", "RGB", rgb.bytesPerLine(), 1)


def decode_thumbnail(request: ThumbRequest, cache: ThumbnailCache | None, size: int) -> QImage:
    """The thumbnail of ``request`` as a QImage whose long side is at most ``size``.

    From the cache when it holds one; else decoded from the file (and stored in the cache when the
    photo has a content hash). Raises :class:`~clipdesk.core.imaging.ImageDecodeError`.
    """
    from clipdesk.core.imaging import load_image_file
    from clipdesk.core.thumbnails import make_thumbnail

    picture = None
    if cache is not None and request.content_hash:
        try:
            picture = cache.get(request.content_hash)
        except ValueError:  # not a valid cache key
            picture = None
    if picture is None:
        thumb_size = cache.size if cache is not None else size
        loaded = load_image_file(request.path, min_side=thumb_size)
        picture = make_thumbnail(loaded.image, thumb_size)
        if cache is not None and request.content_hash:
            try:
                cache.put(request.content_hash, picture)
            except (OSError, ValueError) as exc:
                log.info("could not store the thumbnail of %s: %s", request.path, exc)
    image = pil_to_qimage(picture)
    if max(image.width(), image.height()) > size:
        image = image.scaled(
            size,
            size,
            Qt.AspectRatioMode.KeepAspectRatio,
            Qt.TransformationMode.SmoothTransformation,
        )
    return image


class _Bridge(QObject):
    """Carries results from pool threads to the GUI thread (queued: it lives there)."""

    delivered = Signal(str, object, int)  # key, QImage or None (failed), target size


class _Queue:
    """The LIFO of waiting requests, shared by the workers under one lock."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.waiting: OrderedDict[str, ThumbRequest] = OrderedDict()
        self.busy: set[str] = set()
        self.workers = 0
        self.closed = False
        self.pixel_size = 160  # long side of the thumbnails made now, in device pixels


class _Worker(QRunnable):
    """Serves requests, newest first, until none are left."""

    def __init__(self, queue: _Queue, bridge: _Bridge, cache: ThumbnailCache | None) -> None:
        super().__init__()
        self._queue = queue
        self._bridge = bridge
        self._cache = cache

    def run(self) -> None:
        queue = self._queue
        while True:
            with queue.lock:
                if queue.closed or not queue.waiting:
                    queue.workers -= 1
                    return
                key, request = queue.waiting.popitem(last=True)
                queue.busy.add(key)
                size = queue.pixel_size
            image: QImage | None
            try:
                image = decode_thumbnail(request, self._cache, size)
            except Exception as exc:  # a broken file must never stop the grid
                log.info("no thumbnail for %s: %s", request.path, exc)
                image = None
            with queue.lock:
                queue.busy.discard(key)
                if queue.closed:
                    queue.workers -= 1
                    return
            self._bridge.delivered.emit(key, image, size)


class ThumbnailLoader(QObject):
    """Thumbnails as ``QPixmap`` for the GUI thread, loaded in the background on request."""

    thumbnailReady = Signal(str)  # key: the pixmap (or the failure) is known now

    def __init__(
        self,
        cache: ThumbnailCache | None,
        *,
        max_bytes: int = DEFAULT_MAX_BYTES,
        max_threads: int = 2,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._cache = cache
        self._max_bytes = max(0, int(max_bytes))
        self._pixmaps: OrderedDict[str, QPixmap] = OrderedDict()
        self._bytes = 0
        # pixmaps of the size shown before: drawn (scaled) until their new ones are ready
        self._stale: OrderedDict[str, QPixmap] = OrderedDict()
        self._stale_bytes = 0
        self._failed: set[str] = set()
        self._queue = _Queue()
        self._pool = QThreadPool(self)
        self._pool.setMaxThreadCount(max(1, max_threads))
        self._bridge = _Bridge()
        self._bridge.delivered.connect(self._on_delivered, Qt.ConnectionType.QueuedConnection)
        self._logical_size = 160
        self._ratio = 1.0
        self._pixel_size = 160

    # -- settings --------------------------------------------------------------------------------

    @property
    def pixel_size(self) -> int:
        """The long side, in device pixels, of the thumbnails made now."""
        return self._pixel_size

    @property
    def device_pixel_ratio(self) -> float:
        return self._ratio

    def set_target(self, logical_size: int, device_pixel_ratio: float = 1.0) -> None:
        """Make thumbnails for ``logical_size`` px items on a screen of that pixel ratio.

        Changing either retires the cached pixmaps (they were made for another size): they are
        no longer :meth:`cached`, but :meth:`pixmap` still answers them until the new ones
        arrive."""
        ratio = max(1.0, float(device_pixel_ratio))
        pixel_size = max(16, round(logical_size * ratio))
        if (logical_size, ratio) == (self._logical_size, self._ratio):
            return
        self._logical_size, self._ratio, self._pixel_size = logical_size, ratio, pixel_size
        with self._queue.lock:
            self._queue.pixel_size = pixel_size
        self.cancel_pending()
        self._stale, self._stale_bytes = self._pixmaps, self._bytes
        self._pixmaps = OrderedDict()
        self._bytes = 0
        self._failed.clear()

    # -- cache -----------------------------------------------------------------------------------

    @property
    def cached_bytes(self) -> int:
        return self._bytes

    @property
    def max_bytes(self) -> int:
        return self._max_bytes

    def __len__(self) -> int:
        return len(self._pixmaps)

    def cached(self, key: str) -> QPixmap | None:
        """The pixmap of ``key`` if it is in memory (marked as used); starts nothing."""
        pixmap = self._pixmaps.get(key)
        if pixmap is not None:
            self._pixmaps.move_to_end(key)
        return pixmap

    def has_failed(self, key: str) -> bool:
        """Whether the thumbnail of ``key`` could not be made (broken or missing file)."""
        return key in self._failed

    def pixmap(self, request: ThumbRequest) -> QPixmap | None:
        """The pixmap of ``request`` if ready; else it is loaded in the background, and the
        answer is the one of the size shown before, if any (else None)."""
        pixmap = self.cached(request.key)
        if pixmap is None and request.key not in self._failed:
            self.request(request)
            return self._stale.get(request.key)
        return pixmap

    def clear(self) -> None:
        """Forget every pixmap and failure, and drop the waiting requests."""
        self.cancel_pending()
        self._pixmaps.clear()
        self._failed.clear()
        self._bytes = 0
        self._stale.clear()
        self._stale_bytes = 0

    # -- loading ---------------------------------------------------------------------------------

    def request(self, request: ThumbRequest) -> None:
        """Queue ``request`` on top of the LIFO (moved there if it already waits)."""
        queue = self._queue
        with queue.lock:
            if queue.closed or request.key in queue.busy:
                return
            queue.waiting[request.key] = request
            queue.waiting.move_to_end(request.key)
            start = queue.workers < self._pool.maxThreadCount()
            if start:
                queue.workers += 1
        if start:
            self._pool.start(_Worker(queue, self._bridge, self._cache))

    def pending(self) -> int:
        """Requests waiting or being decoded."""
        with self._queue.lock:
            return len(self._queue.waiting) + len(self._queue.busy)

    def cancel_pending(self) -> None:
        """Drop the requests that wait (those being decoded finish and are cached)."""
        with self._queue.lock:
            self._queue.waiting.clear()

    def shutdown(self, timeout_ms: int = 3000) -> bool:
        """Stop the workers and wait for them; True when they all finished in time."""
        with self._queue.lock:
            self._queue.closed = True
            self._queue.waiting.clear()
        return bool(self._pool.waitForDone(timeout_ms))

    @Slot(str, object, int)
    def _on_delivered(self, key: str, image: QImage | None, pixel_size: int) -> None:
        if self._queue.closed:
            return
        if image is None:
            self._failed.add(key)
        elif pixel_size == self._pixel_size:
            pixmap = QPixmap.fromImage(image)
            pixmap.setDevicePixelRatio(self._ratio)
            self._insert(key, pixmap)
        # else: made for a size no longer shown; announced anyway so the item asks again
        self.thumbnailReady.emit(key)

    def _insert(self, key: str, pixmap: QPixmap) -> None:
        old = self._pixmaps.pop(key, None)
        if old is not None:
            self._bytes -= _pixmap_bytes(old)
        self._pixmaps[key] = pixmap
        self._bytes += _pixmap_bytes(pixmap)
        stale = self._stale.pop(key, None)
        if stale is not None:
            self._stale_bytes -= _pixmap_bytes(stale)
        while self._stale and self._bytes + self._stale_bytes > self._max_bytes:
            _, dropped = self._stale.popitem(last=False)  # the old size goes first
            self._stale_bytes -= _pixmap_bytes(dropped)
        while self._bytes > self._max_bytes and len(self._pixmaps) > 1:
            _, evicted = self._pixmaps.popitem(last=False)
            self._bytes -= _pixmap_bytes(evicted)


def _pixmap_bytes(pixmap: QPixmap) -> int:
    return pixmap.width() * pixmap.height() * max(1, pixmap.depth() // 8)
