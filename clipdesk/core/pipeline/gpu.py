"""JPEG decoding on the GPU: nvJPEG (through torchvision) in batches, geometry and thumbnails there.

For the plain JPEGs a decode worker has set aside (:mod:`.jpeg`), the parent process reads the
bytes (threads; the file is in the page cache, the worker just hashed it), and the GPU decodes
them in batches, turns them upright, runs the model's geometric steps (:mod:`.geometry`) with
antialiased resampling, and makes the thumbnail, encoding it to JPEG on the GPU too where
torchvision can. The CPU does no pixel work for these files at all.

The GPU's resampling is not Pillow's, so these vectors are close to, not equal to, the CPU path's
(cosine >= 0.99 on real photos, measured in the tests). Any file the GPU refuses is reported
back and decoded by a worker on the CPU. Everything device-specific goes through ``device``: on
"cpu" the same code runs with torchvision's CPU decoder, which is how the tests exercise it.
"""

from __future__ import annotations

import logging
import os
import warnings
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from clipdesk.core.pipeline.geometry import CenterCrop, PixelSpec, crop_box, resample_name

if TYPE_CHECKING:
    import torch

log = logging.getLogger(__name__)

MAX_BATCH_BYTES = 256 << 20  # compressed bytes per decode call
MAX_BATCH_PIXELS = 400_000_000  # decoded pixels per decode call (1.2 GB of uint8 RGB)
GROUP_PIXELS = 64_000_000  # pictures resampled together (0.8 GB as float32 on the device)
READ_THREADS = 8

Decode = Callable[..., Any]


@dataclass(frozen=True)
class GpuItem:
    """One JPEG to decode: where it is, what the worker saw, how to turn it upright."""

    path: Path
    size: int
    mtime_ns: int
    orientation: int
    pixels: int  # width x height, from the header
    thumbnail: bool  # make a thumbnail for it


@dataclass
class GpuBatch:
    """What :meth:`GpuJpegDecoder.decode` made of a list of items, index-aligned with them."""

    pixels: Any = None  # (k, H, W, 3) uint8 on the device, for the items with status "ok"
    status: list[str] = field(default_factory=list)  # "ok" | "refused" | "changed"
    thumbnails: list[bytes | None] = field(default_factory=list)


class GpuJpegDecoder:
    """Decodes plain JPEGs on ``device`` into model pixels (``spec``) and thumbnails."""

    def __init__(
        self,
        device: str,
        spec: PixelSpec,
        *,
        thumb_size: int | None,
        thumb_quality: int = 82,
        thumb_jpeg: bool = True,
        decode: Decode | None = None,
        encode: Decode | None = None,
    ) -> None:
        from torchvision import io

        self.device = device
        self.spec = spec
        self.thumb_size = thumb_size
        self.thumb_quality = thumb_quality
        self.thumb_jpeg = thumb_jpeg
        self._decode = decode or io.decode_jpeg
        self._encode = encode or io.encode_jpeg
        self._gpu_encode = True
        self._readers = ThreadPoolExecutor(READ_THREADS, thread_name_prefix="clipdesk-read")

    @classmethod
    def create(cls, device: str, spec: PixelSpec | None, **kwargs: Any) -> GpuJpegDecoder | None:
        """A decoder when ``device`` is CUDA and decoding a small JPEG there works; else None."""
        if spec is None or not device.startswith("cuda"):
            return None
        try:
            decoder = cls(device, spec, **kwargs)
            decoder.self_test()
        except Exception as exc:
            log.info("JPEG decoding on the GPU is not available (%s); using the CPU", exc)
            return None
        log.info("JPEG files are decoded on the GPU (%s)", device)
        return decoder

    def self_test(self) -> None:
        import io

        import numpy as np
        import torch
        from PIL import Image

        out = io.BytesIO()
        Image.fromarray(np.full((16, 16, 3), 200, dtype=np.uint8)).save(out, "JPEG")
        data = torch.frombuffer(bytearray(out.getvalue()), dtype=torch.uint8)
        decoded = self._call(self._decode, [data])
        if len(decoded) != 1 or tuple(decoded[0].shape) != (3, 16, 16):
            raise RuntimeError("the decoder returned an unexpected shape")

    def close(self) -> None:
        self._readers.shutdown(wait=True)

    # -- decoding ------------------------------------------------------------------------------

    def decode(self, items: Sequence[GpuItem]) -> GpuBatch:
        """Read, decode and prepare ``items``. Pictures of the same size and orientation (a
        camera's photos) go through orientation, geometry and thumbnails as one batch."""
        import torch

        batch = GpuBatch(status=["ok"] * len(items), thumbnails=[None] * len(items))
        data = list(self._readers.map(_read, items))
        pixels: list[torch.Tensor | None] = [None] * len(items)
        thumbs: list[torch.Tensor | None] = [None] * len(items)
        for part in _parts(items, data):
            images = self._decode_part([data[i] for i in part])
            groups: dict[tuple[int, int, int], list[int]] = {}
            decoded: dict[int, torch.Tensor] = {}
            for i, image in zip(part, images, strict=True):
                if image is None:
                    batch.status[i] = "refused"
                    continue
                decoded[i] = image
                key = (int(image.shape[-2]), int(image.shape[-1]), items[i].orientation)
                groups.setdefault(key, []).append(i)
            for (height, width, orientation), members in groups.items():
                step = max(1, GROUP_PIXELS // (height * width))
                for start in range(0, len(members), step):
                    chunk = members[start:start + step]
                    upright = orient(torch.stack([decoded.pop(i) for i in chunk]), orientation)
                    for i, row in zip(chunk, self.geometry(upright), strict=True):
                        pixels[i] = row
                    wanted = [j for j, i in enumerate(chunk) if items[i].thumbnail]
                    if wanted and self.thumb_size:
                        small = thumbnail_pixels(upright[wanted], self.thumb_size)
                        for j, row in zip(wanted, small, strict=True):
                            thumbs[chunk[j]] = row
        for i, raw in enumerate(data):
            if raw is None:
                batch.status[i] = "changed"
        kept = [p for p in pixels if p is not None]
        if kept:
            batch.pixels = torch.stack(kept)
        batch.thumbnails = self._encode_thumbnails(thumbs)
        return batch

    def _decode_part(self, data: list[Any]) -> list[Any]:
        """Decoded (3, H, W) tensors; None for each file the decoder refuses."""
        try:
            return list(self._call(self._decode, data))
        except Exception as exc:  # one bad file fails the whole call: find it
            log.info("a GPU decode batch failed (%s); decoding its files one by one", exc)
        out: list[Any] = []
        for raw in data:
            try:
                out.append(self._call(self._decode, [raw])[0])
            except Exception as exc:
                log.info("the GPU decoder refused a file (%s); it goes to the CPU", exc)
                out.append(None)
        return out

    def _call(self, function: Decode, data: list[Any]) -> list[Any]:
        from torchvision.io import ImageReadMode

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # torchvision 0.29 marks its codecs deprecated
            return list(function(data, mode=ImageReadMode.RGB, device=self.device))

    # -- geometry on the device ------------------------------------------------------------------

    def geometry(self, images: torch.Tensor) -> torch.Tensor:
        """(N, 3, H, W) uint8 -> (N, *spec.shape) uint8 (HWC): the spec's steps on the device.
        One (3, H, W) picture gives one ``spec.shape`` array."""
        import torch

        single = images.dim() == 3
        x = images.unsqueeze(0) if single else images
        for step in self.spec.steps:
            height, width = int(x.shape[-2]), int(x.shape[-1])
            if isinstance(step, CenterCrop):
                x = _center_crop(x, step)
                continue
            out_h, out_w = step.output_size(height, width)
            if (out_h, out_w) != (height, width):
                x = resize(x, out_h, out_w, resample_name(step.resample))
        if tuple(x.shape[1:]) != (3, self.spec.height, self.spec.width):
            raise RuntimeError(f"GPU geometry gave {tuple(x.shape)}")
        out = x.permute(0, 2, 3, 1).contiguous().to(torch.uint8)
        return out[0] if single else out

    def _encode_thumbnails(self, thumbs: list[Any]) -> list[bytes | None]:
        out: list[bytes | None] = [None] * len(thumbs)
        todo = [i for i, t in enumerate(thumbs) if t is not None]
        if not todo:
            return out
        if self.thumb_jpeg and self._gpu_encode:
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    encoded = self._encode([thumbs[i] for i in todo], quality=self.thumb_quality)
                for i, data in zip(todo, encoded, strict=True):
                    out[i] = bytes(data.cpu().numpy().tobytes())
                return out
            except Exception as exc:
                log.info("JPEG encoding on the GPU failed (%s); thumbnails are encoded by the "
                         "CPU", exc)
                self._gpu_encode = False
        for i in todo:
            out[i] = _cpu_thumbnail(thumbs[i], self.thumb_quality, self.thumb_jpeg)
        return out


# -- tensor helpers (module level so that tests can check each against Pillow) ------------------


def orient(image: torch.Tensor, orientation: int) -> torch.Tensor:
    """A (C, H, W) picture turned upright for an EXIF ``orientation``, as Pillow's transposes."""
    import torch

    if orientation == 2:  # FLIP_LEFT_RIGHT
        return image.flip(-1)
    if orientation == 3:  # ROTATE_180
        return image.flip(-1).flip(-2)
    if orientation == 4:  # FLIP_TOP_BOTTOM
        return image.flip(-2)
    if orientation == 5:  # TRANSPOSE
        return image.transpose(-1, -2)
    if orientation == 6:  # ROTATE_270 (clockwise)
        return torch.rot90(image, k=-1, dims=(-2, -1))
    if orientation == 7:  # TRANSVERSE
        return image.transpose(-1, -2).flip(-1).flip(-2)
    if orientation == 8:  # ROTATE_90 (counter-clockwise)
        return torch.rot90(image, k=1, dims=(-2, -1))
    return image


def resize(image: torch.Tensor, height: int, width: int, mode: str) -> torch.Tensor:
    """Antialiased resampling of (C, H, W) or (N, C, H, W) pictures, rounded to uint8 levels
    (as Pillow's)."""
    import torch

    torch_mode = {"bicubic": "bicubic", "bilinear": "bilinear"}.get(mode)
    single = image.dim() == 3
    x = (image.unsqueeze(0) if single else image).to(torch.float32)
    if torch_mode is None:  # nearest, box, hamming, lanczos: area when shrinking is closest
        shrinking = height <= x.shape[-2] and width <= x.shape[-1]
        torch_mode = "area" if shrinking else "bilinear"
    kwargs: dict[str, Any] = {"mode": torch_mode}
    if torch_mode in ("bicubic", "bilinear"):
        kwargs.update(antialias=True, align_corners=False)
    out = torch.nn.functional.interpolate(x, size=(height, width), **kwargs)
    out = out.round_().clamp_(0, 255).to(torch.uint8)
    return out[0] if single else out


def _center_crop(images: torch.Tensor, step: CenterCrop) -> torch.Tensor:
    import torch

    height, width = int(images.shape[-2]), int(images.shape[-1])
    crop_h, crop_w = step.size
    pad_top, pad_left, padded_h, padded_w, top, left = crop_box(height, width, step.size)
    if (padded_h, padded_w) != (height, width):
        fill = torch.tensor(step.fill, dtype=images.dtype, device=images.device).view(3, 1, 1)
        padded = fill.expand(*images.shape[:-3], 3, padded_h, padded_w).clone()
        padded[..., pad_top:pad_top + height, pad_left:pad_left + width] = images
        images = padded
    return images[..., top:top + crop_h, left:left + crop_w]


def thumbnail_pixels(images: torch.Tensor, size: int) -> torch.Tensor:
    """(N, 3, h, w) uint8 thumbnails of (N, 3, H, W) pictures: the long side ``size`` (never
    enlarged), sized as :func:`clipdesk.core.thumbnails.make_thumbnail` sizes them."""
    height, width = int(images.shape[-2]), int(images.shape[-1])
    scale = size / max(width, height)
    if scale >= 1.0:
        return images.contiguous()
    target_h, target_w = max(1, round(height * scale)), max(1, round(width * scale))
    return resize(images, target_h, target_w, "bilinear").contiguous()


def _cpu_thumbnail(pixels: Any, quality: int, jpeg: bool) -> bytes:
    import io

    from PIL import Image

    image = Image.fromarray(pixels.permute(1, 2, 0).cpu().numpy(), "RGB")
    out = io.BytesIO()
    if jpeg:
        image.save(out, "JPEG", quality=quality)
    else:
        image.save(out, "WEBP", quality=quality, method=4)
    return out.getvalue()


def _parts(items: Sequence[GpuItem], data: list[Any]) -> list[list[int]]:
    """Indices of the readable items, in decode calls bounded in bytes and in pixels."""
    parts: list[list[int]] = []
    current: list[int] = []
    nbytes = npixels = 0
    for i, raw in enumerate(data):
        if raw is None:
            continue
        size, pixels = int(raw.numel()), items[i].pixels
        if current and (nbytes + size > MAX_BATCH_BYTES or npixels + pixels > MAX_BATCH_PIXELS):
            parts.append(current)
            current, nbytes, npixels = [], 0, 0
        current.append(i)
        nbytes += size
        npixels += pixels
    if current:
        parts.append(current)
    return parts


def _read(item: GpuItem) -> Any:
    """The file's bytes as a CPU uint8 tensor; None when it changed since the worker read it."""
    import torch

    try:
        with open(item.path, "rb") as fp:
            st = os.fstat(fp.fileno())
            if st.st_size != item.size or st.st_mtime_ns != item.mtime_ns:
                return None
            buffer = bytearray(item.size)
            if fp.readinto(buffer) != item.size:
                return None
    except OSError:
        return None
    return torch.frombuffer(buffer, dtype=torch.uint8)
