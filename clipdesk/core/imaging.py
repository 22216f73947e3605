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

import importlib.util
import io
import logging
import os
import re
import stat
import threading
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import IO, TYPE_CHECKING, cast

from PIL import Image, UnidentifiedImageError, features

from clipdesk.core.errors import ClipdeskError
from clipdesk.core.exif import apply_orientation, exif_orientation, exif_taken_at, read_exif

if TYPE_CHECKING:
    import numpy as np  # imported where needed: decode workers start without it

log = logging.getLogger(__name__)

DEFAULT_MAX_PIXELS = 200_000_000  # the settings' default (``max_megapixels = 200``)

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
_ALPHA_MODES = frozenset({"LA", "La", "PA", "RGBA", "RGBa"})
_WHITE = (255, 255, 255)


class ImageDecodeError(ClipdeskError):
    """One file could not be decoded; ``str()`` (and ``reason``) is a short human reason."""

    def __init__(self, reason: str, path: Path | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.path = path

    def __reduce__(self) -> tuple[type[ImageDecodeError], tuple[str, Path | None]]:
        return type(self), (self.reason, self.path)  # survives a process pool


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
) -> LoadedImage:
    """Decode ``source`` (a path or a binary file object) to upright 8-bit RGB.

    ``min_side``: decode no larger than needed for a picture whose shortest side is at least this
    (JPEG by DCT scaling, others by ``reduce``); None keeps full resolution. A caller that also
    makes a thumbnail from the result should ask for ``max(model size, thumbnail size)``.
    ``max_pixels``: pictures with more pixels in their header are refused (None: no limit).
    ``draft=False`` turns DCT scaling off (for comparisons and benchmarks).

    Raises :class:`ImageDecodeError` and nothing else.
    """
    if isinstance(source, (str, os.PathLike)):
        path: Path | None = Path(source)
    else:
        path = None
    try:
        if path is None:
            return _decode(cast("IO[bytes]", source), min_side, max_pixels, draft)
        mode = os.stat(path).st_mode
        if stat.S_ISDIR(mode):
            raise ImageDecodeError("unreadable: is a folder, not a file", path)
        if not stat.S_ISREG(mode):  # a FIFO or device would block or never end
            raise ImageDecodeError("unreadable: not a regular file", path)
        with open(path, "rb") as fp:
            if os.fstat(fp.fileno()).st_size == 0:
                raise ImageDecodeError("empty file", path)
            return _decode(fp, min_side, max_pixels, draft)
    except ImageDecodeError as exc:
        exc.path = exc.path or path
        raise
    except Exception as exc:  # Pillow raises far more than OSError
        raise ImageDecodeError(_reason(exc, path), path) from exc


def _decode(
    fp: IO[bytes], min_side: int | None, max_pixels: int | None, draft: bool
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
        picture = apply_orientation(picture, pending)
    if pending in (5, 6, 7, 8):
        full_w, full_h = full_h, full_w
    return LoadedImage(picture, full_w, full_h, taken_at, fmt, orientation)


def normalize_image(image: Image.Image) -> Image.Image:
    """An in-memory picture (pasted, dropped, made by code) as upright 8-bit RGB, like a file."""
    orientation = exif_orientation(read_exif(image))
    return apply_orientation(to_rgb(image), orientation)


def _shrink(image: Image.Image, min_side: int) -> Image.Image:
    """Box-reduce by the largest integer factor that keeps the shortest side >= ``min_side``."""
    factor = min(image.size) // min_side
    return image.reduce(factor) if factor >= 2 else image


# -- colour modes --------------------------------------------------------------------------------


def to_rgb(image: Image.Image) -> Image.Image:
    """``image`` as 8-bit RGB: transparency composited on white, high bit depths scaled, not
    clipped. Returns ``image`` itself when it already is plain RGB."""
    mode = image.mode
    if mode == "RGB" and "transparency" not in image.info:
        return image
    if mode.startswith("I") or mode == "F":
        return _wide_to_rgb(image)
    if mode == "CMYK":
        return _cmyk_to_rgb(image)
    if mode in _ALPHA_MODES or "transparency" in image.info:
        rgba = image.convert("RGBA")
        background = Image.new("RGB", rgba.size, _WHITE)
        background.paste(rgba, mask=rgba.getchannel("A"))
        return background
    return image.convert("RGB")


def _wide_to_rgb(image: Image.Image) -> Image.Image:
    """16-bit, 32-bit integer and float pictures as 8-bit RGB: scaled, not clipped."""
    import numpy as np

    mode = image.mode
    if mode.startswith("I;16"):
        return _array_to_rgb(np.asarray(image).astype(np.float32) / 257.0)
    if mode == "I":
        values = np.asarray(image)
        if values.size and values.min() >= 0 and values.max() <= 65535:
            return _array_to_rgb(values.astype(np.float32) / 257.0)
        return _array_to_rgb(_stretch(values))
    if mode == "F":
        values = np.nan_to_num(np.asarray(image, dtype=np.float32))
        if values.size and values.min() >= 0.0 and values.max() <= 1.0:
            return _array_to_rgb(values * 255.0)
        return _array_to_rgb(_stretch(values))
    return image.convert("RGB")


def _stretch(values: np.ndarray) -> np.ndarray:
    """Linearly map the finite range of ``values`` onto 0..255."""
    import numpy as np

    values = values.astype(np.float64)
    low, high = (float(values.min()), float(values.max())) if values.size else (0.0, 0.0)
    if high <= low:
        return np.zeros(values.shape, dtype=np.float32)
    return ((values - low) * (255.0 / (high - low))).astype(np.float32)


def _array_to_rgb(grey: np.ndarray) -> Image.Image:
    import numpy as np

    eight = np.clip(np.rint(grey), 0, 255).astype(np.uint8)
    return Image.fromarray(eight, mode="L").convert("RGB")


def _cmyk_to_rgb(image: Image.Image) -> Image.Image:
    """CMYK through its embedded ICC profile when it has one, else Pillow's naive formula.

    Adobe's inverted CMYK JPEGs are already un-inverted by Pillow's JPEG reader.
    """
    icc = image.info.get("icc_profile")
    if icc:
        try:
            from PIL import ImageCms

            converted = ImageCms.profileToProfile(
                image,
                ImageCms.ImageCmsProfile(io.BytesIO(icc)),
                ImageCms.createProfile("sRGB"),
                outputMode="RGB",
            )
            if converted is not None:
                return converted
        except Exception:  # a broken profile: fall back to the plain conversion
            log.debug("CMYK ICC conversion failed; using the plain formula", exc_info=True)
    return image.convert("RGB")


# -- reasons -------------------------------------------------------------------------------------


def _too_large(pixels: int, limit: int) -> str:
    return f"image too large ({_megapixels(pixels)} megapixels, limit {_megapixels(limit)})"


def _megapixels(pixels: int) -> str:
    value = pixels / 1e6
    return f"{value:,.1f}" if value >= 0.1 else f"{value:.2g}"


_BOMB_NUMBERS = re.compile(r"\((\d+) pixels\) exceeds limit of (\d+)")


def _reason(exc: BaseException, path: Path | None, fmt: str | None = None) -> str:
    """One short sentence for why a file could not be decoded."""
    suffix = path.suffix.lower() if path is not None else ""
    name = fmt or _SUFFIX_FORMAT.get(suffix, suffix.lstrip(".").upper())
    kind = f"{name} " if name else ""
    message = str(exc)
    if isinstance(exc, (Image.DecompressionBombError, Image.DecompressionBombWarning)):
        numbers = _BOMB_NUMBERS.search(message)
        if numbers:
            return _too_large(int(numbers[1]), int(numbers[2]))
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
