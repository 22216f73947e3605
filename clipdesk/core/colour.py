"""Any Pillow colour mode as 8-bit RGB: transparency on white, high bit depths scaled, CMYK
through its ICC profile."""

from __future__ import annotations

import io
import logging
from typing import TYPE_CHECKING

from PIL import Image

if TYPE_CHECKING:
    import numpy as np  # imported where needed: decode workers start without it

log = logging.getLogger(__name__)

_ALPHA_MODES = frozenset({"LA", "La", "PA", "RGBA", "RGBa"})
_WHITE = (255, 255, 255)


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
