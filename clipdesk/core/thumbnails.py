"""Thumbnails for the grid: made from decoded pictures, cached on disk by content hash.

Layout: ``<folder>/<size>/<first two characters of the key>/<key>.jpg``. The size is part of the
path, so changing the thumbnail size in the settings starts a fresh cache instead of serving
thumbnails of the wrong size. Thumbnails are JPEG (made in the decode workers in a fraction of a
millisecond, or by the GPU's encoder); WebP thumbnails written by earlier versions (``.webp``)
are still read, and replaced when a photo is embedded again. Files are written to a temporary name
in the same folder and renamed into place, so a reader never sees half a thumbnail; a thumbnail that
is unreadable anyway (disk trouble, a killed process on a file system without atomic rename) is
treated as missing and removed.

The cache holds no state beyond its folder and settings, so one instance can be shared by threads.
"""

from __future__ import annotations

import contextlib
import io
import logging
import os
import re
import threading
from collections.abc import Iterator
from pathlib import Path

from PIL import Image, features

from clipdesk.core.colour import to_rgb
from clipdesk.paths import make_private_dir

log = logging.getLogger(__name__)

DEFAULT_SIZE = 256
DEFAULT_FORMAT = "JPEG"
_SUFFIXES = {"JPEG": ".jpg", "WEBP": ".webp"}
# Box-reduce by an integer factor first, then bicubic for what is left (< 2x): within about
# 40 dB of a full Lanczos and several times faster, which matters at thousands of photos a second
_REDUCING_GAP = 1.0
_RESAMPLE = Image.Resampling.BICUBIC
_KEY = re.compile(r"[0-9A-Za-z_-]{3,200}")


def make_thumbnail(image: Image.Image, size: int = DEFAULT_SIZE) -> Image.Image:
    """An RGB copy of ``image`` whose long side is ``size`` (never enlarged), aspect kept.

    ``image`` is expected upright (as :func:`clipdesk.core.imaging.load_image_file` returns it);
    other modes are converted as the decoder would.
    """
    if size < 1:
        raise ValueError(f"thumbnail size must be positive, not {size}")
    image = to_rgb(image)
    width, height = image.size
    scale = size / max(width, height)
    if scale >= 1.0:
        return image.copy()
    target = (max(1, round(width * scale)), max(1, round(height * scale)))
    return image.resize(target, _RESAMPLE, reducing_gap=_REDUCING_GAP)


def _webp_available() -> bool:
    try:
        return bool(features.check("webp"))
    except Exception:
        return False


class ThumbnailCache:
    """Thumbnails on disk, keyed by the photo's content hash (any ``[0-9A-Za-z_-]`` string)."""

    def __init__(
        self,
        folder: str | os.PathLike[str],
        size: int = DEFAULT_SIZE,
        *,
        fmt: str | None = None,
        quality: int = 82,
    ) -> None:
        if size < 1:
            raise ValueError(f"thumbnail size must be positive, not {size}")
        fmt = (fmt or DEFAULT_FORMAT).upper()
        if fmt not in _SUFFIXES:
            raise ValueError(f"thumbnail format must be WEBP or JPEG, not {fmt}")
        if fmt == "WEBP" and not _webp_available():
            fmt = "JPEG"
        self.size = size
        self.format = fmt
        self.quality = quality
        self.suffix = _SUFFIXES[fmt]
        self.folder = Path(folder) / str(size)
        # the other format's files (an older version's WebP thumbnails) are read too
        self._other = next((f, x) for f, x in _SUFFIXES.items() if f != fmt)
        self._folders: set[Path] = set()  # shard folders known to exist

    def __repr__(self) -> str:
        return f"ThumbnailCache({str(self.folder)!r}, format={self.format})"

    # -- paths -----------------------------------------------------------------------------------

    def path_for(self, key: str) -> Path:
        """Where the thumbnail of ``key`` lives (whether or not it exists)."""
        if not isinstance(key, str) or not _KEY.fullmatch(key):
            raise ValueError(f"not a valid thumbnail key: {key!r}")
        return self.folder / key[:2] / f"{key}{self.suffix}"

    def _other_path(self, key: str) -> Path:
        return self.path_for(key).with_suffix(self._other[1])

    def __contains__(self, key: object) -> bool:
        """Whether a thumbnail file exists for ``key`` (not opened: :meth:`get` checks it)."""
        if not isinstance(key, str) or not _KEY.fullmatch(key):
            return False
        for path in (self.path_for(key), self._other_path(key)):
            try:
                if path.stat().st_size > 0:
                    return True
            except OSError:
                continue
        return False

    def keys(self) -> Iterator[str]:
        """The keys that have a thumbnail file (for pruning thumbnails of deleted photos)."""
        if not self.folder.is_dir():
            return
        suffixes = (self.suffix, self._other[1])
        for shard in sorted(self.folder.iterdir()):
            if shard.is_dir():
                stems = {f.stem for f in shard.iterdir() if f.suffix in suffixes}
                yield from sorted(k for k in stems if _KEY.fullmatch(k))

    # -- writing ---------------------------------------------------------------------------------

    def encode(self, image: Image.Image) -> bytes:
        """The encoded thumbnail of ``image``, ready for :meth:`put_bytes` (thread-safe, so decode
        workers can do it and leave only the write to the indexing thread)."""
        thumb = make_thumbnail(image, self.size)
        out = io.BytesIO()
        if self.format == "WEBP":
            thumb.save(out, "WEBP", quality=self.quality, method=4)
        else:
            thumb.save(out, "JPEG", quality=self.quality)
        return out.getvalue()

    def put(self, key: str, image: Image.Image) -> Path:
        """Make and store the thumbnail of ``image``; returns its path."""
        return self.put_bytes(key, self.encode(image))

    def put_bytes(self, key: str, data: bytes) -> Path:
        """Store already encoded thumbnail bytes atomically (temp file + rename)."""
        path = self.path_for(key)
        folder = path.parent
        if folder not in self._folders:  # one mkdir per shard, not per thumbnail
            make_private_dir(folder)
            self._folders.add(folder)
        # a name no other thread or process writes at the same time (thread id and pid)
        tmp = folder / f".{key}.{os.getpid()}.{threading.get_ident()}.tmp"
        try:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_BINARY", 0),
                         0o600)
            try:
                view = memoryview(data)
                while view:
                    view = view[os.write(fd, view):]
            finally:
                os.close(fd)
            os.replace(tmp, path)
        except FileNotFoundError:  # the shard folder was removed meanwhile: make it again
            self._folders.discard(folder)
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            make_private_dir(folder)
            self._folders.add(folder)
            return self.put_bytes(key, data)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise
        with contextlib.suppress(OSError):  # an older version's thumbnail of the same photo
            self._other_path(key).unlink()
        return path

    def discard(self, key: str) -> None:
        """Remove the thumbnail of ``key`` if there is one (in either format)."""
        for path in (self.path_for(key), self._other_path(key)):
            with contextlib.suppress(FileNotFoundError):
                path.unlink()

    # -- reading ---------------------------------------------------------------------------------

    def get_bytes(self, key: str) -> bytes | None:
        """The stored thumbnail's bytes after checking they decode; None when missing or corrupt
        (a corrupt file is removed, so the indexer makes it again)."""
        stored = self._read(key)
        if stored is None or self._decode(*stored) is None:
            return None
        return stored[1]

    def get(self, key: str) -> Image.Image | None:
        """The stored thumbnail as a loaded RGB image; None when missing or corrupt."""
        stored = self._read(key)
        return None if stored is None else self._decode(*stored)

    def _read(self, key: str) -> tuple[Path, bytes] | None:
        for path in (self.path_for(key), self._other_path(key)):
            try:
                return path, path.read_bytes()
            except FileNotFoundError:
                continue
            except OSError as exc:
                log.warning("cannot read thumbnail %s: %s", path, exc)
                return None
        return None

    def _decode(self, path: Path, data: bytes) -> Image.Image | None:
        fmt = self.format if path.suffix == self.suffix else self._other[0]
        try:
            with Image.open(io.BytesIO(data), formats=(fmt,)) as im:
                im.load()
                return to_rgb(im)
        except Exception as exc:  # any decode failure means "not a usable thumbnail"
            log.info("discarding corrupt thumbnail %s (%s)", path, exc)
            with contextlib.suppress(OSError):
                path.unlink()
            return None
