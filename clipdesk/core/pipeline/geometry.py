"""A model's input geometry as data, run with Pillow alone (in the decode worker processes).

A CLIP library's image transform is a torchvision ``Compose``: a few geometric steps on a PIL
picture (resize, crop, pad), then ``ToTensor`` and ``Normalize``. :func:`spec_from_transform`
reads the geometric steps and the normalisation out of such a transform into a
:class:`PixelSpec`, a small picklable value; :func:`apply_image` runs the steps with Pillow alone,
exactly as torchvision and open_clip run them on a PIL picture (same output size arithmetic,
same Pillow resampling call, same crop offsets and padding): its pixels are those ``ToTensor``
would have read (:func:`apply` gives them as a numpy array). The normalisation is then done on
the model's device.

So a decode worker needs neither torch, torchvision nor numpy, and the pixels it sends are the
library's own, bit for bit (``tests/core/pipeline/test_geometry.py`` compares them with the real
transforms of open_clip and cn_clip). A transform with a step this module does not know gives
``None``; the indexer then sends decoded pictures to the encoder's own preprocessing instead. """

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from PIL import Image

if TYPE_CHECKING:
    import numpy as np

log = logging.getLogger(__name__)

#: torchvision's InterpolationMode values -> Pillow resampling filters (``pil_modes_mapping``)
_RESAMPLE = {
    "nearest": Image.Resampling.NEAREST,
    "nearest-exact": Image.Resampling.NEAREST,
    "bilinear": Image.Resampling.BILINEAR,
    "bicubic": Image.Resampling.BICUBIC,
    "box": Image.Resampling.BOX,
    "hamming": Image.Resampling.HAMMING,
    "lanczos": Image.Resampling.LANCZOS,
}
_RESAMPLE_NAMES = {int(v): k for k, v in _RESAMPLE.items() if k != "nearest-exact"}


@dataclass(frozen=True)
class Resize:
    """torchvision ``Resize``: ``size`` is ``(shortest side,)`` or ``(height, width)``."""

    size: tuple[int, ...]
    resample: int
    max_size: int | None = None

    def output_size(self, height: int, width: int) -> tuple[int, int]:
        """torchvision's ``_compute_resized_output_size`` for a picture of this size."""
        if len(self.size) == 2:
            return self.size[0], self.size[1]
        short, long = (width, height) if width <= height else (height, width)
        new_short, new_long = self.size[0], int(self.size[0] * long / short)
        if self.max_size is not None and new_long > self.max_size:
            new_short, new_long = int(self.max_size * new_short / new_long), self.max_size
        return (new_long, new_short) if width <= height else (new_short, new_long)


@dataclass(frozen=True)
class ResizeKeepRatio:
    """open_clip's ``ResizeKeepRatio`` (no random scaling): ``longest`` 0 fits the shortest
    side to the target, 1 the longest."""

    size: tuple[int, int]
    longest: float
    resample: int

    def output_size(self, height: int, width: int) -> tuple[int, int]:
        ratio_h, ratio_w = height / self.size[0], width / self.size[1]
        ratio = (max(ratio_h, ratio_w) * self.longest
                 + min(ratio_h, ratio_w) * (1.0 - self.longest))
        return round(height / ratio), round(width / ratio)


@dataclass(frozen=True)
class CenterCrop:
    """torchvision ``CenterCrop`` (padding with 0) or open_clip ``CenterCropOrPad`` (``fill``)."""

    size: tuple[int, int]
    fill: tuple[int, int, int] = (0, 0, 0)


Step = Resize | ResizeKeepRatio | CenterCrop


@dataclass(frozen=True)
class PixelSpec:
    """The geometric steps of a model's transform, its fixed output size and normalisation."""

    steps: tuple[Step, ...]
    height: int
    width: int
    mean: tuple[float, float, float]
    std: tuple[float, float, float]

    @property
    def shape(self) -> tuple[int, int, int]:
        """The shape of one picture's pixels: ``(height, width, 3)`` uint8."""
        return self.height, self.width, 3

    @property
    def nbytes(self) -> int:
        return self.height * self.width * 3

    @property
    def min_side(self) -> int:
        """The shortest side a decoded picture needs for these steps (for draft decoding)."""
        return max(self.height, self.width)


# -- running the steps -----------------------------------------------------------------------


def apply_image(image: Image.Image, spec: PixelSpec) -> Image.Image:
    """``image`` (8-bit RGB) through the steps of ``spec``: an RGB picture of the spec's size,
    equal to what the library's transform has before ``ToTensor``."""
    if image.mode != "RGB":
        image = image.convert("RGB")  # what open_clip's MaybeConvertMode / cn_clip do
    for step in spec.steps:
        if isinstance(step, CenterCrop):
            image = _center_crop(image, step)
            continue
        out_h, out_w = step.output_size(image.height, image.width)
        if (out_h, out_w) != (image.height, image.width):  # torchvision leaves it unchanged
            image = image.resize((out_w, out_h), Image.Resampling(step.resample))
    if image.size != (spec.width, spec.height):
        raise ValueError(f"the steps gave {image.size}, not {(spec.width, spec.height)}")
    return image


def apply(image: Image.Image, spec: PixelSpec) -> np.ndarray:
    """The pixels of :func:`apply_image` as a C-contiguous ``spec.shape`` uint8 array."""
    import numpy as np

    return np.array(apply_image(image, spec), dtype=np.uint8, copy=True)


def crop_box(height: int, width: int, size: tuple[int, int]) -> tuple[int, int, int, int, int, int]:
    """torchvision's center crop arithmetic: ``(pad_top, pad_left, padded_h, padded_w, top,
    left)`` -- pad to at least ``size`` (left/top get the smaller half), then crop at the
    rounded centre. Shared by the Pillow and the GPU paths."""
    crop_h, crop_w = size
    pad_left = (crop_w - width) // 2 if crop_w > width else 0
    pad_top = (crop_h - height) // 2 if crop_h > height else 0
    padded_w = max(width, crop_w)
    padded_h = max(height, crop_h)
    top = round((padded_h - crop_h) / 2.0)
    left = round((padded_w - crop_w) / 2.0)
    return pad_top, pad_left, padded_h, padded_w, top, left


def _center_crop(image: Image.Image, step: CenterCrop) -> Image.Image:
    crop_h, crop_w = step.size
    pad_top, pad_left, padded_h, padded_w, top, left = crop_box(image.height, image.width,
                                                                step.size)
    if (padded_h, padded_w) == (image.height, image.width):
        return image.crop((left, top, left + crop_w, top + crop_h))
    # padded with the fill colour, then cropped: paste the picture where it lands in the crop
    out = Image.new("RGB", (crop_w, crop_h), step.fill)
    out.paste(image, (pad_left - left, pad_top - top))
    return out


# -- reading a library's transform -----------------------------------------------------------


class _Unknown(Exception):
    pass


def spec_from_transform(transform: Any) -> PixelSpec | None:
    """The :class:`PixelSpec` of a torchvision ``Compose`` built by open_clip or cn_clip.

    ``None`` when a step is not one this module reproduces exactly, or the output size is not
    fixed; the caller then keeps using the transform itself."""
    try:
        return _read(transform)
    except _Unknown as exc:
        log.info("image transform not reproducible in the decode workers (%s)", exc)
        return None


def _read(transform: Any) -> PixelSpec:
    steps: list[Step] = []
    mean: tuple[float, ...] | None = None
    std: tuple[float, ...] | None = None
    tensor = False
    for t in getattr(transform, "transforms", None) or [transform]:
        name = type(t).__name__
        if name in ("ToTensor", "MaybeToTensor"):
            tensor = True
        elif name == "Normalize":
            if not tensor:
                raise _Unknown("Normalize before ToTensor")
            mean, std = _triple(t.mean), _triple(t.std)
        elif tensor:
            raise _Unknown(f"{name} after ToTensor")
        elif name == "MaybeConvertMode" or getattr(t, "__name__", "") == "_convert_to_rgb":
            if getattr(t, "mode", "RGB") != "RGB":
                raise _Unknown("conversion to a mode other than RGB")
        elif name == "Resize":
            steps.append(_resize(t))
        elif name == "ResizeKeepRatio":
            if getattr(t, "random_scale_prob", 0) or getattr(t, "random_aspect_prob", 0):
                raise _Unknown("random resize")
            steps.append(ResizeKeepRatio(_pair(t.size), float(t.longest), _resample(t)))
        elif name == "CenterCrop":
            steps.append(CenterCrop(_pair(t.size)))
        elif name == "CenterCropOrPad":
            steps.append(CenterCrop(_pair(t.size), _fill(getattr(t, "fill", 0))))
        else:
            raise _Unknown(f"unknown step {name}")
    if not tensor:
        raise _Unknown("no ToTensor")
    if mean is None or std is None:  # ToTensor alone: x - 0 and x / 1 are the same bits
        mean, std = (0.0, 0.0, 0.0), (1.0, 1.0, 1.0)
    if len(mean) != 3 or len(std) != 3:
        raise _Unknown("not a per-channel RGB normalisation")
    height, width = _fixed_size(steps)
    return PixelSpec(tuple(steps), height, width, (mean[0], mean[1], mean[2]),
                     (std[0], std[1], std[2]))


def _resize(t: Any) -> Resize:
    size = t.size
    sizes = (int(size),) if isinstance(size, int) else tuple(int(s) for s in size)
    if len(sizes) not in (1, 2):
        raise _Unknown(f"Resize size {size!r}")
    max_size = getattr(t, "max_size", None)
    if max_size is not None and len(sizes) != 1:
        raise _Unknown("Resize max_size with two sides")
    return Resize(sizes, _resample(t), int(max_size) if max_size is not None else None)


def _resample(t: Any) -> int:
    mode = getattr(t, "interpolation", None)
    key = getattr(mode, "value", mode)
    if isinstance(key, int) and key in _RESAMPLE_NAMES:
        return key
    if isinstance(key, str) and key in _RESAMPLE:
        return int(_RESAMPLE[key])
    raise _Unknown(f"interpolation {mode!r}")


def resample_name(resample: int) -> str:
    """``"bicubic"``, ``"bilinear"``, ... for a Pillow filter (for the GPU path)."""
    return _RESAMPLE_NAMES.get(int(resample), "bilinear")


def _pair(size: Any) -> tuple[int, int]:
    if isinstance(size, int):
        return size, size
    values = [int(s) for s in size]
    if len(values) == 1:
        return values[0], values[0]
    if len(values) == 2:
        return values[0], values[1]
    raise _Unknown(f"size {size!r}")


def _fill(fill: Any) -> tuple[int, int, int]:
    if isinstance(fill, (int, float)):
        return (int(fill),) * 3  # type: ignore[return-value]
    values = [int(v) for v in fill]
    if len(values) == 1:
        return (values[0],) * 3  # type: ignore[return-value]
    if len(values) == 3:
        return values[0], values[1], values[2]
    raise _Unknown(f"fill {fill!r}")


def _triple(values: Any) -> tuple[float, ...]:
    return tuple(float(v) for v in (values.tolist() if hasattr(values, "tolist") else values))


def _fixed_size(steps: list[Step]) -> tuple[int, int]:
    """The output size the steps always end with (a crop, or a resize to two sides)."""
    fixed: tuple[int, int] | None = None
    for step in steps:
        if isinstance(step, CenterCrop):
            fixed = step.size
        elif isinstance(step, Resize) and len(step.size) == 2:
            fixed = (step.size[0], step.size[1])
        else:
            fixed = None
    if fixed is None:
        raise _Unknown("the output size depends on the picture")
    return fixed
