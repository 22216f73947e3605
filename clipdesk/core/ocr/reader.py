"""Reading the text in one picture: PP-OCRv4 Chinese + English through RapidOCR (ONNX Runtime).

The detection, direction and recognition models ship inside the ``rapidocr_onnxruntime`` wheel,
so nothing is downloaded. The detector runs first: a photo without text costs one detection pass
and nothing more. Lines below :data:`MIN_CONFIDENCE` are dropped (what is left of a misread
texture). Pictures are read at most :data:`MAX_SIDE` pixels on their long side: enough for the
text a person can read on a screen, and it bounds the time per photo.

Imported in the OCR worker processes only (``import clipdesk.core`` does not import it).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from clipdesk.core.errors import ClipdeskError
from clipdesk.core.ocr.store import Reading, ReadState, TextLine

if TYPE_CHECKING:
    from PIL import Image

log = logging.getLogger(__name__)

MIN_CONFIDENCE = 0.6
MAX_SIDE = 2000
READER = "rapidocr-ppocrv4"
# the detector sees the picture at most this large (never enlarged): RapidOCR's default
# enlarges every picture to a shortest side of 736, which doubles the time on a 640 px photo
DETECT_SIDE = 960


class OcrUnavailable(ClipdeskError):
    """The OCR package is not installed."""


def ocr_installed() -> bool:
    import importlib.util

    return importlib.util.find_spec("rapidocr_onnxruntime") is not None


def require_ocr() -> None:
    if not ocr_installed():
        raise OcrUnavailable(
            "Reading text in photos needs the rapidocr_onnxruntime package: "
            "pip install rapidocr_onnxruntime")


class TextReader:
    """One RapidOCR engine (load once per process: about 0.2 s)."""

    def __init__(self, threads: int = 1) -> None:
        require_ocr()
        from rapidocr_onnxruntime import RapidOCR

        self._engine: Any = RapidOCR(
            intra_op_num_threads=max(1, int(threads)), inter_op_num_threads=1,
            det_limit_side_len=DETECT_SIDE, det_limit_type="max")

    def read(self, picture: Image.Image) -> Reading:
        """The text lines of an upright RGB ``picture``; boxes as fractions of its size."""
        picture = _bounded(picture)
        width, height = picture.size
        if width < 8 or height < 8:
            return Reading(ReadState.NONE)
        found, _ = self._engine(picture)
        lines = []
        for box, text, confidence in found or ():
            text = str(text).strip()
            if not text or float(confidence) < MIN_CONFIDENCE:
                continue
            corners = tuple(
                min(max(float(v) / (width if i % 2 == 0 else height), 0.0), 1.0)
                for i, v in enumerate(c for point in box for c in point))
            lines.append(TextLine(text, float(confidence), corners))
        return Reading(ReadState.TEXT if lines else ReadState.NONE, tuple(lines))


def _bounded(picture: Image.Image) -> Image.Image:
    from PIL import Image

    if picture.mode != "RGB":
        picture = picture.convert("RGB")
    long_side = max(picture.size)
    if long_side > MAX_SIDE:
        scale = MAX_SIDE / long_side
        picture = picture.resize((max(1, round(picture.width * scale)),
                                  max(1, round(picture.height * scale))),
                                 Image.Resampling.BILINEAR)
    return picture
