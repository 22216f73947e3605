"""Safe image decoding: any photo file in, one oriented 8-bit RGB picture (or a reason) out.

:func:`load_image_file` is what the indexer's decode pool and the search (image queries) call. It

- opens only the formats clipdesk indexes (JPEG/MPO, PNG, WebP, GIF, BMP, TIFF, AVIF when Pillow has
  it, and HEIC/HEIF/AVIF through ``pillow-heif`` when that is installed); never EPS and friends;
- refuses decompression bombs from the header size, against a per-call pixel limit, before any
  pixel buffer is allocated (it does not rely on the process-global ``Image.MAX_IMAGE_PIXELS``);
- decodes JPEG straight to about the size asked for (libjpeg DCT scaling through ``draft``) and
  shrinks other formats with the cheap box ``reduce``, keeping the shortest side >= ``min_side``;
- converts every mode (CMYK, 16-bit, float, palette, alpha, 1-bit, greyscale) to 8-bit RGB,
  compositing transparency on white, and applies the EXIF orientation;
- turns *any* exception from Pillow into :class:`ImageDecodeError` with one short human reason.

Everything here is safe to call from many threads at once: it shares no mutable state except the
one-time plugin registration, which holds a lock.
"""

from __future__ import annotations

import contextlib
import importlib.util
import logging
import os
import re
import stat
import threading
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import IO, TYPE_CHECKING, cast

from PIL import Image, UnidentifiedImageError, features

from clipdesk.core.colour import to_rgb
from clipdesk.core.errors import ClipdeskError
from clipdesk.core.exif import apply_orientation, exif_orientation, exif_taken_at, read_exif

if TYPE_CHECKING:
    pass  # imported where needed: decode workers start without it

log = logging.getLogger(__name__)

DEFAULT_MAX_PIXELS = 200_000_000  # the settings' default (``max_megapixels = 200``)
#: A decode needing more memory than this (pixels x bytes per pixel, with a working copy) is
#: "huge": callers can pass a gate so that only one such decode runs at a time.
HUGE_DECODE_BYTES = 256 << 20
_BYTES_PER_PIXEL = {"1": 1, "L": 1, "P": 1, "LA": 2, "PA": 2, "La": 2, "I;16": 2, "I;16B": 2,
                    "I;16L": 2, "I;16N": 2}  # everything else: 4 (Pillow keeps RGB as RGBX)

_BASE_SUFFIXES = frozenset(
    {".jpg", ".jpeg", ".jpe", ".jfif", ".png", ".webp", ".gif", ".bmp", ".tif", ".tiff"}
)
_HEIF_SUFFIXES = frozenset({".heic", ".heif", ".hif"})
_AVIF_SUFFIXES = frozenset({".avif"})
# Pillow formats we let Image.open try; anything else (EPS runs Ghostscript, PSD, ICO, ...) is
# "not an image file" even when Pillow could read it.
_BASE_FORMATS = ("JPEG", "PNG", "WEBP", "GIF", "BMP", "TIFF")  # JPEG also opens MPO files
_SUFFIX_FORMAT = {
    ".jpg": "JPEG",
    ".jpeg": "JPEG",
    ".jpe": "JPEG",
    ".jfif": "JPEG",
    ".tif": "TIFF",
    ".heic": "HEIF",
    ".hif": "HEIF",
}

# The shrinkable modes: ``reduce`` averages them correctly (alpha modes are premultiplied by
# Pillow; 16-bit is widened to "I" first). Palette and 1-bit are converted to RGB first.
_REDUCIBLE_MODES = frozenset({"L", "LA", "RGB", "RGBA", "RGBX", "CMYK", "I", "F"})


class ImageDecodeError(ClipdeskError):
    """One file could not be decoded; ``str()`` (and ``reason``) is a short human reason."""

    def __init__(self, reason: str, path: Path | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.path = path

    def __reduce__(self) -> tuple[type[ImageDecodeError], tuple[str, Path | None]]:
        return type(self), (self.reason, self.path)  # survives a process pool


def default_max_decode_bytes() -> int:
    """The memory one decode may need at most: a quarter of this computer's memory, between
    1 and 4 GB (a 200 MP RGBA picture needs 1.6 GB; a laptop survives one at a time)."""
    total = 8 << 30
    with contextlib.suppress(AttributeError, ValueError, OSError):
        total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    return int(min(4 << 30, max(1 << 30, total // 4)))


@dataclass(frozen=True)
class DecodeBudget:
    """How much memory decodes may take: pictures needing more than ``max_bytes`` are refused
    with a reason, and those needing more than ``huge_bytes`` decode inside ``gate`` (held by
    one decode at a time across the decode workers)."""

    max_bytes: int | None = None
    huge_bytes: int = HUGE_DECODE_BYTES
    gate: Callable[[], AbstractContextManager[object]] | None = None


def decode_bytes(image: Image.Image) -> int:
    """The memory decoding ``image`` (opened, not loaded; after ``draft``) takes, roughly:
    its pixels at their bytes per pixel, twice (a working copy for conversions)."""
    return image.width * image.height * _BYTES_PER_PIXEL.get(image.mode, 4) * 2


@dataclass(frozen=True)
class LoadedImage:
    """A decoded picture and what the file says about it.

    ``image`` is 8-bit RGB, upright, possibly reduced (shortest side >= the ``min_side`` asked for,
    unless the file is smaller). ``width``/``height`` are the full size of the picture *after*
    orientation, whatever size ``image`` was decoded at.
    """

    image: Image.Image
    width: int
    height: int
    taken_at: datetime | None
    format: str  # Pillow's format name: "JPEG", "PNG", "HEIF", ...
    orientation: int = 1  # the EXIF orientation that was applied (1 to 8)


# -- what can be opened --------------------------------------------------------------------------

_plugin_lock = threading.Lock()
_plugins_ready = False


def _heif_importable() -> bool:
    return importlib.util.find_spec("pillow_heif") is not None


def _pillow_has_avif() -> bool:
    try:
        return bool(features.check("avif"))
    except Exception:  # unknown feature on older Pillow
        return False


@lru_cache(maxsize=1)
def supported_suffixes() -> frozenset[str]:
    """Lower-case file suffixes (with the dot) that clipdesk indexes on this installation."""
    suffixes = set(_BASE_SUFFIXES)
    if _pillow_has_avif():
        suffixes |= _AVIF_SUFFIXES
    if _heif_importable():
        suffixes |= _HEIF_SUFFIXES | _AVIF_SUFFIXES
    return frozenset(suffixes)


def is_supported(path: str | os.PathLike[str]) -> bool:
    """Whether ``path`` has a suffix clipdesk indexes (by name only; the file is not opened)."""
    return Path(path).suffix.lower() in supported_suffixes()


def _ensure_plugins() -> None:
    """Load Pillow's plugins and register pillow-heif once (lazily, on the first decode)."""
    global _plugins_ready
    if _plugins_ready:
        return
    with _plugin_lock:
        if _plugins_ready:
            return
        Image.init()
        if _heif_importable():
            try:
                import pillow_heif

                pillow_heif.register_heif_opener()
                register_avif = getattr(pillow_heif, "register_avif_opener", None)
                if register_avif is not None and not _pillow_has_avif():
                    register_avif()
            except Exception:  # a broken pillow-heif install must not stop JPEG decoding
                log.warning("pillow-heif is installed but could not be registered", exc_info=True)
        _plugins_ready = True


def _formats() -> tuple[str, ...]:
    return tuple(f for f in (*_BASE_FORMATS, "HEIF", "AVIF") if f in Image.OPEN)


# -- decoding ------------------------------------------------------------------------------------


def load_image_file(
    source: str | os.PathLike[str] | IO[bytes],
    *,
    min_side: int | None = None,
    max_pixels: int | None = DEFAULT_MAX_PIXELS,
    draft: bool = True,
    budget: DecodeBudget | None = None,
) -> LoadedImage:
    """Decode ``source`` (a path or a binary file object) to upright 8-bit RGB.

    ``min_side``: decode no larger than needed for a picture whose shortest side is at least this
    (JPEG by DCT scaling, others by ``reduce``); None keeps full resolution. A caller that also
    makes a thumbnail from the result should ask for ``max(model size, thumbnail size)``.
    ``max_pixels``: pictures with more pixels in their header are refused (None: no limit).
    ``draft=False`` turns DCT scaling off (for comparisons and benchmarks).
    ``budget``: the memory a decode may take (default: :func:`default_max_decode_bytes`).

    Raises :class:`ImageDecodeError` and nothing else.
    """
    if isinstance(source, (str, os.PathLike)):
        path: Path | None = Path(source)
    else:
        path = None
    budget = budget or DecodeBudget(default_max_decode_bytes())
    try:
        if path is None:
            return _decode(cast("IO[bytes]", source), min_side, max_pixels, draft, budget)
        mode = os.stat(path).st_mode
        if stat.S_ISDIR(mode):
            raise ImageDecodeError("unreadable: is a folder, not a file", path)
        if not stat.S_ISREG(mode):  # a FIFO or device would block or never end
            raise ImageDecodeError("unreadable: not a regular file", path)
        with open(path, "rb") as fp:
            if os.fstat(fp.fileno()).st_size == 0:
                raise ImageDecodeError("empty file", path)
            return _decode(fp, min_side, max_pixels, draft, budget)
    except ImageDecodeError as exc:
        exc.path = exc.path or path
        raise
    except Exception as exc:  # Pillow raises far more than OSError
        raise ImageDecodeError(_reason(exc, path, limit=max_pixels), path) from exc


def _decode(
    fp: IO[bytes], min_side: int | None, max_pixels: int | None, draft: bool,
    budget: DecodeBudget,
) -> LoadedImage:
    _ensure_plugins()
    with Image.open(fp, formats=_formats()) as im:
        fmt = im.format or "image"
        full_w, full_h = im.size
        if max_pixels is not None and full_w * full_h > max_pixels:
            raise ImageDecodeError(_too_large(full_w * full_h, max_pixels))
        exif = read_exif(im)
        orientation = exif_orientation(exif)
        taken_at = exif_taken_at(exif)
        if draft and min_side:
            im.draft("RGB", (min_side, min_side))  # JPEG: DCT-scaled; a no-op for other formats
        need = decode_bytes(im)
        if budget.max_bytes is not None and need > budget.max_bytes:
            raise ImageDecodeError(f"needs {_memory(need)} of memory to decode "
                                   f"(limit {_memory(budget.max_bytes)})")
        gate = budget.gate if budget.gate is not None and need > budget.huge_bytes else None
        with gate() if gate is not None else contextlib.nullcontext():
            picture, pending = _load(im, orientation, min_side, fmt)
    if pending in (5, 6, 7, 8):
        full_w, full_h = full_h, full_w
    return LoadedImage(picture, full_w, full_h, taken_at, fmt, orientation)


def _load(im: Image.Image, orientation: int, min_side: int | None,
          fmt: str) -> tuple[Image.Image, int]:
    """Load ``im``'s pixels and make them upright 8-bit RGB, reduced for ``min_side``; returns
    the picture and the orientation that was applied here."""
    try:
        im.load()
    except Exception as exc:
        raise ImageDecodeError(_reason(exc, None, fmt)) from exc
    # Some readers (TIFF, pillow-heif) turn the picture upright themselves while loading and
    # drop the tag (their header size is then upright too): only what is left is applied here.
    pending = exif_orientation(read_exif(im)) if orientation != 1 else 1
    picture: Image.Image = im
    if min_side and picture.mode.startswith("I;16"):
        picture = picture.convert("I")  # lossless widening, so that it can be reduced
    if min_side and picture.mode in _REDUCIBLE_MODES:
        picture = _shrink(picture, min_side)
    picture = to_rgb(picture)
    if min_side:
        picture = _shrink(picture, min_side)
    return apply_orientation(picture, pending), pending


def normalize_image(image: Image.Image) -> Image.Image:
    """An in-memory picture (pasted, dropped, made by code) as upright 8-bit RGB, like a file."""
    orientation = exif_orientation(read_exif(image))
    return apply_orientation(to_rgb(image), orientation)


def _shrink(image: Image.Image, min_side: int) -> Image.Image:
    """Box-reduce by the largest integer factor that keeps the shortest side >= ``min_side``."""
    factor = min(image.size) // min_side
    return image.reduce(factor) if factor >= 2 else image


# -- reasons -------------------------------------------------------------------------------------


def _too_large(pixels: int, limit: int) -> str:
    return f"image too large ({_megapixels(pixels)} megapixels, limit {_megapixels(limit)})"


def _megapixels(pixels: int) -> str:
    value = pixels / 1e6
    return f"{value:,.1f}" if value >= 0.1 else f"{value:.2g}"


_BOMB_NUMBERS = re.compile(r"\((\d+) pixels\) exceeds limit of (\d+)")


def _memory(nbytes: int) -> str:
    if nbytes >= 1 << 30:
        return f"{nbytes / (1 << 30):.1f} GB"
    return f"{max(1, round(nbytes / (1 << 20)))} MB"


def _reason(exc: BaseException, path: Path | None, fmt: str | None = None, *,
            limit: int | None = None) -> str:
    """One short sentence for why a file could not be decoded. ``limit`` is the pixel limit of
    the call, stated instead of Pillow's own threshold (twice its setting)."""
    suffix = path.suffix.lower() if path is not None else ""
    name = fmt or _SUFFIX_FORMAT.get(suffix, suffix.lstrip(".").upper())
    kind = f"{name} " if name else ""
    message = str(exc)
    if isinstance(exc, (Image.DecompressionBombError, Image.DecompressionBombWarning)):
        numbers = _BOMB_NUMBERS.search(message)
        setting = limit or Image.MAX_IMAGE_PIXELS
        if numbers:
            return _too_large(int(numbers[1]), int(setting or numbers[2]))
        return "image too large"
    if isinstance(exc, FileNotFoundError):
        return "file not found"
    if isinstance(exc, PermissionError):
        return "unreadable: permission denied"
    if isinstance(exc, IsADirectoryError):
        return "unreadable: is a folder, not a file"
    if isinstance(exc, UnidentifiedImageError):
        if suffix in _HEIF_SUFFIXES | _AVIF_SUFFIXES and suffix not in supported_suffixes():
            return f"{name} images need pillow-heif, which is not installed"
        return "not an image file"
    if isinstance(exc, MemoryError):
        return "not enough memory to decode"
    if isinstance(exc, OSError) and exc.errno is not None:
        return f"unreadable: {(exc.strerror or message).lower()}"
    if "truncated" in message.lower() or "premature end" in message.lower():
        return f"truncated {name or 'file'}"
    if "broken data stream" in message:
        return f"damaged {kind}data"
    # SyntaxError, ValueError, struct.error, IndexError, KeyError, ...: Pillow's way of saying
    # the bytes are not what the header promised
    detail = message.splitlines()[0][:80] if message.strip() else type(exc).__name__
    return f"damaged {kind}file ({detail})"


# -- process set-up ------------------------------------------------------------------------------


def set_pillow_pixel_limit(max_pixels: int | None) -> None:
    """Align Pillow's own, process-global bomb limit with clipdesk's, once, at start-up.

    clipdesk checks its (per-call) limit itself, but some Pillow readers also check
    ``Image.MAX_IMAGE_PIXELS``, warning above it and refusing above twice it (179 megapixels by
    default, below the 200 of clipdesk's default settings). Call this from the main thread before
    any decoding starts; never per call, never from worker threads.
    """
    Image.MAX_IMAGE_PIXELS = max_pixels
