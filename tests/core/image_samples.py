"""Odd image files for the imaging and thumbnail tests, all made with Pillow itself."""

from __future__ import annotations

import io
import struct
import zlib
from functools import lru_cache
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

RED = (255, 0, 0)
GREEN = (0, 255, 0)
BLUE = (0, 0, 255)
WHITE = (255, 255, 255)
BLACK = (0, 0, 0)

# Upright test picture: four quadrants of different colours, so every flip and turn shows.
QUADRANTS = {"top_left": RED, "top_right": GREEN, "bottom_left": BLUE, "bottom_right": WHITE}

# For each EXIF orientation, the transpose that turns the *upright* picture into what the camera
# stored, i.e. the inverse of the one a viewer applies.
STORED_AS = {
    1: None,
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_90,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_270,
}


def quadrant_picture(width: int = 96, height: int = 64) -> Image.Image:
    """An upright RGB picture whose four quadrants have the colours of ``QUADRANTS``."""
    image = Image.new("RGB", (width, height))
    draw = ImageDraw.Draw(image)
    hw, hh = width // 2, height // 2
    draw.rectangle((0, 0, hw - 1, hh - 1), fill=QUADRANTS["top_left"])
    draw.rectangle((hw, 0, width - 1, hh - 1), fill=QUADRANTS["top_right"])
    draw.rectangle((0, hh, hw - 1, height - 1), fill=QUADRANTS["bottom_left"])
    draw.rectangle((hw, hh, width - 1, height - 1), fill=QUADRANTS["bottom_right"])
    return image


def as_stored(upright: Image.Image, orientation: int) -> Image.Image:
    """What a camera writes for ``upright`` when it tags the file with EXIF ``orientation``."""
    method = STORED_AS[orientation]
    return upright.copy() if method is None else upright.transpose(method)


def quadrant_colours(image: Image.Image) -> dict[str, tuple[int, ...]]:
    """The colour at the centre of each quadrant of ``image``."""
    w, h = image.size
    points = {
        "top_left": (w // 4, h // 4),
        "top_right": (3 * w // 4, h // 4),
        "bottom_left": (w // 4, 3 * h // 4),
        "bottom_right": (3 * w // 4, 3 * h // 4),
    }
    rgb = image.convert("RGB")
    return {name: tuple(rgb.getpixel(xy)) for name, xy in points.items()}  # type: ignore[arg-type]


def close(colour: tuple[int, ...], expected: tuple[int, ...], tolerance: int = 24) -> bool:
    return all(abs(a - b) <= tolerance for a, b in zip(colour, expected, strict=True))


def exif_bytes(
    orientation: int | None = None,
    original: str | None = None,
    datetime: str | None = None,
) -> bytes:
    exif = Image.Exif()
    if orientation is not None:
        exif[0x0112] = orientation
    if datetime is not None:
        exif[0x0132] = datetime
    if original is not None:
        exif.get_ifd(0x8769)[0x9003] = original
    return exif.tobytes()


def photo_like(width: int, height: int, seed: int = 0) -> Image.Image:
    """A smooth, photo-like RGB picture (gradients, shapes, soft texture)."""
    return _photo_like(width, height, seed).copy()


@lru_cache(maxsize=8)
def _photo_like(width: int, height: int, seed: int) -> Image.Image:
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:height, 0:width].astype(np.float32)
    r = 128 + 100 * np.sin(x / width * 6.0)
    g = 128 + 100 * np.cos(y / height * 5.0)
    b = 255 * (x + y) / (width + height)
    base = np.stack([r, g, b], axis=-1).clip(0, 255).astype(np.uint8)
    image = Image.fromarray(base, "RGB")
    draw = ImageDraw.Draw(image)
    for _ in range(12):
        cx, cy = int(rng.integers(0, width)), int(rng.integers(0, height))
        rad = int(rng.integers(min(width, height) // 20, min(width, height) // 5))
        colour = tuple(int(c) for c in rng.integers(0, 256, 3))
        draw.ellipse((cx - rad, cy - rad, cx + rad, cy + rad), fill=colour)
    return image.filter(ImageFilter.GaussianBlur(radius=max(1, min(width, height) // 400)))


def encode(image: Image.Image, fmt: str, **options: object) -> bytes:
    out = io.BytesIO()
    image.save(out, fmt, **options)
    return out.getvalue()


def write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def forge_png_size(png: bytes, width: int, height: int) -> bytes:
    """``png`` with its IHDR claiming ``width`` x ``height`` (CRC fixed, so it parses)."""
    assert png[12:16] == b"IHDR"
    ihdr = bytearray(png[16:29])
    ihdr[0:8] = struct.pack(">II", width, height)
    crc = struct.pack(">I", zlib.crc32(b"IHDR" + bytes(ihdr)) & 0xFFFFFFFF)
    return png[:16] + bytes(ihdr) + crc + png[33:]


def mean_abs_diff(a: Image.Image, b: Image.Image) -> float:
    assert a.size == b.size, (a.size, b.size)
    return float(np.abs(np.asarray(a, np.int16) - np.asarray(b, np.int16)).mean())
