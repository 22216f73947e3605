"""What the EXIF block of a photo says about orientation and date, read defensively.

Malformed EXIF is common (editors, phones, scanners write odd values); here it never raises and
never costs the pixels: a value that cannot be read is simply absent.
"""

from __future__ import annotations

import logging
import re
from datetime import datetime
from typing import Any

from PIL import ExifTags, Image

log = logging.getLogger(__name__)

# The transpose a viewer applies for each EXIF orientation (1, upright, needs none).
_TRANSPOSE = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}


def read_exif(image: Image.Image) -> Image.Exif | None:
    try:
        return image.getexif()
    except Exception:  # malformed EXIF never costs the pixels
        log.debug("unreadable EXIF", exc_info=True)
        return None


def exif_orientation(exif: Image.Exif | None) -> int:
    """The EXIF orientation (1..8); 1 when absent or invalid."""
    if exif is None:
        return 1
    try:
        value = int(exif.get(ExifTags.Base.Orientation, 1))
    except Exception:
        return 1
    return value if 1 <= value <= 8 else 1


def apply_orientation(image: Image.Image, orientation: int) -> Image.Image:
    """``image`` turned upright for an EXIF ``orientation`` (the same image for 1 or invalid)."""
    method = _TRANSPOSE.get(orientation)
    return image.transpose(method) if method is not None else image


def exif_taken_at(exif: Image.Exif | None) -> datetime | None:
    """When the photo was taken: DateTimeOriginal, else DateTime; None when neither is valid."""
    if exif is None:
        return None
    try:
        original = exif.get_ifd(ExifTags.IFD.Exif).get(ExifTags.Base.DateTimeOriginal)
    except Exception:  # a malformed IFD is no date, never an error
        original = None
    try:
        plain = exif.get(ExifTags.Base.DateTime)
    except Exception:
        plain = None
    for value in (original, plain):
        parsed = parse_exif_datetime(value)
        if parsed is not None:
            return parsed
    return None


_EXIF_DATE = re.compile(
    r"(\d{4})[:\-/.](\d{1,2})[:\-/.](\d{1,2})"  # date, "2021:07:04" (EXIF) or "2021-07-04"
    r"(?:[ T]+(\d{1,2}):(\d{1,2})(?::(\d{1,2}))?)?"  # optional time
)


def parse_exif_datetime(value: Any) -> datetime | None:
    """A naive datetime (camera local time) from an EXIF date string; None for anything invalid,
    including the all-zero and all-blank placeholders cameras write."""
    if isinstance(value, (tuple, list)) and value:
        value = value[0]
    if isinstance(value, bytes):
        value = value.decode("ascii", "ignore")
    if not isinstance(value, str):
        return None
    match = _EXIF_DATE.match(value.strip().strip("\x00").strip())
    if match is None:
        return None
    year, month, day, hour, minute, second = (int(p) if p else 0 for p in match.groups())
    try:
        taken = datetime(year, month, day, hour, minute, second)
    except (ValueError, OverflowError):
        return None
    return taken if taken.year >= 1800 else None
