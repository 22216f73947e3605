"""Which JPEG files the GPU's decoder takes, read from the header alone (no pixels decoded).

nvJPEG (through ``torchvision.io.decode_jpeg``) decodes plain 8-bit YCbCr or greyscale JPEGs
well. Everything else stays on the CPU path, where Pillow handles it and gives reasons:
progressive files, CMYK/YCCK, Adobe "RGB" JPEGs, 12-bit files, MPO
(multi-picture) files, files that do not end with an end-of-image marker (truncated, or with data
appended), and pictures above a size limit. 12-bit files do not even open here. A file the GPU
still refuses (arithmetic coding, an odd subsampling) goes back to the CPU.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import datetime
from typing import IO

from PIL import Image

from clipdesk.core.exif import exif_orientation, exif_taken_at, read_exif

#: above this the GPU path is not worth its memory (panoramas): decoded on the CPU at draft size
GPU_MAX_PIXELS = 50_000_000
_EOI = b"\xff\xd9"
_TAIL = 64  # some writers pad after the end-of-image marker with a few zero bytes


@dataclass(frozen=True)
class JpegProbe:
    """What the CPU learns of a GPU-decodable JPEG without decoding it."""

    width: int  # after orientation
    height: int
    orientation: int
    taken_at: datetime | None


def probe(fp: IO[bytes], size: int, max_pixels: int | None,
          gpu_max_pixels: int = GPU_MAX_PIXELS) -> JpegProbe | None:
    """A :class:`JpegProbe` when ``fp`` (at offset 0, ``size`` bytes) is a JPEG the GPU
    decoder takes; None otherwise (also for anything unreadable: the CPU path says why)."""
    if size < 4 or not _ends_with_eoi(fp, size):
        return None
    fp.seek(0)
    try:
        with Image.open(fp, formats=("JPEG",)) as im:
            if im.format != "JPEG" or im.mode not in ("RGB", "L"):
                return None
            info = im.info
            if info.get("progressive") or info.get("progression"):
                return None
            if im.mode == "RGB" and "adobe" in info and info.get("adobe_transform") == 0:
                return None  # RGB samples, not YCbCr
            width, height = im.size
            pixels = width * height
            if pixels > gpu_max_pixels or (max_pixels is not None and pixels > max_pixels):
                return None
            exif = read_exif(im)
            orientation = exif_orientation(exif)
            taken_at = exif_taken_at(exif)
    except Exception:
        return None
    if orientation in (5, 6, 7, 8):
        width, height = height, width
    return JpegProbe(width, height, orientation, taken_at)


def _ends_with_eoi(fp: IO[bytes], size: int) -> bool:
    fp.seek(max(0, size - _TAIL), os.SEEK_SET)
    tail = fp.read(_TAIL).rstrip(b"\x00")
    return tail.endswith(_EOI)

