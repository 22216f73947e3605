"""What the two PyTorch backends share: preprocessing, batching, precision and normalisation.

A backend gives this class its loaded model, the library's own image transform and tokenizer, and
the two forward functions; everything else (batches that adapt to memory, CPU fallback,
``inference_mode``, L2 normalisation, float32 numpy output, locking) lives here once.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from clipdesk.core.models.device import (
    BatchPlan,
    default_batch_size,
    release_cached_memory,
    run_batched,
)

if TYPE_CHECKING:
    import torch
    from PIL import Image

    from clipdesk.core.jobs import CancelToken
    from clipdesk.core.models.base import ModelInfo
    from clipdesk.core.pipeline.geometry import PixelSpec

log = logging.getLogger(__name__)

TEXT_BATCH = 256


class TorchEncoder:
    """An :class:`~clipdesk.core.models.base.Encoder` over a PyTorch CLIP model.

    Subclasses implement :meth:`_tokenize`, :meth:`_forward_images` and :meth:`_forward_texts`.
    Both ``encode_*`` methods are thread-safe: one batch runs at a time, so a search can slip in
    between two indexing batches.
    """

    def __init__(
        self,
        info: ModelInfo,
        model: torch.nn.Module,
        *,
        preprocess: Callable[[Image.Image], torch.Tensor],
        device: str,
        precision: str,
        dim: int,
        context_length: int,
        batch_size: int | None = None,
    ) -> None:
        self._info = info
        self._model = model.eval()
        self._preprocess = preprocess
        self._device = device
        self._precision = precision
        self._dim = dim
        self._context_length = context_length
        self._lock = threading.RLock()
        size = batch_size or default_batch_size(device, info.image_size)
        self._image_plan = BatchPlan(size)
        self._text_plan = BatchPlan(TEXT_BATCH)
        self._logit_scale = float(self._read_logit_scale())
        from clipdesk.core.pipeline.geometry import spec_from_transform

        self._pixel_spec = spec_from_transform(preprocess)
        self._norm: dict[str, tuple[torch.Tensor, torch.Tensor]] = {}

    # -- the Encoder protocol -------------------------------------------------------------

    @property
    def info(self) -> ModelInfo:
        return self._info

    @property
    def dim(self) -> int:
        return self._dim

    @property
    def device(self) -> str:
        return self._device

    @property
    def logit_scale(self) -> float:
        return self._logit_scale

    def encode_images(
        self, images: Sequence[Image.Image], token: CancelToken | None = None
    ) -> np.ndarray:
        """One L2-normalised float32 row per image, in order."""
        if len(images) == 0:
            return np.zeros((0, self._dim), dtype=np.float32)
        parts = run_batched(
            list(images), self._encode_image_batch, self._image_plan,
            device=lambda: self._device, fall_back_to_cpu=self._fall_back_to_cpu, token=token,
        )
        return np.ascontiguousarray(np.concatenate(parts), dtype=np.float32)

    @property
    def pixel_spec(self) -> PixelSpec | None:
        """The geometric part of the library's transform, for decode workers (None when the
        transform has a step :mod:`clipdesk.core.pipeline.geometry` cannot reproduce)."""
        return self._pixel_spec

    def encode_pixels(self, pixels: np.ndarray | torch.Tensor,
                      token: CancelToken | None = None) -> np.ndarray:
        """Vectors of pictures already through :attr:`pixel_spec`'s steps: ``(n, H, W, 3)``
        uint8, a numpy array or a tensor (on the CPU or already on the device).

        Normalisation (``ToTensor`` + ``Normalize``, the same operations in the same order)
        happens on the device, so the vectors equal :meth:`encode_images`' for the same
        pixels."""
        if self._pixel_spec is None:
            raise RuntimeError(f"{self._info.model_id} takes pictures, not pixels")
        if len(pixels) == 0:
            return np.zeros((0, self._dim), dtype=np.float32)
        parts = run_batched(
            pixels, self._encode_pixel_batch, self._image_plan,  # type: ignore[arg-type]
            device=lambda: self._device, fall_back_to_cpu=self._fall_back_to_cpu, token=token,
        )
        return np.ascontiguousarray(np.concatenate(parts), dtype=np.float32)

    def encode_texts(self, texts: Sequence[str]) -> np.ndarray:
        """One L2-normalised float32 row per text, in order."""
        if isinstance(texts, str):
            texts = [texts]
        if len(texts) == 0:
            return np.zeros((0, self._dim), dtype=np.float32)
        parts = run_batched(
            list(texts), self._encode_text_batch, self._text_plan,
            device=lambda: self._device, fall_back_to_cpu=self._fall_back_to_cpu,
        )
        return np.ascontiguousarray(np.concatenate(parts), dtype=np.float32)

    # -- extras ---------------------------------------------------------------------------

    @property
    def precision(self) -> str:
        return self._precision

    @property
    def context_length(self) -> int:
        return self._context_length

    @property
    def batch_size(self) -> int:
        """The current image batch size (smaller after an out-of-memory error)."""
        return self._image_plan.size

    @property
    def model(self) -> torch.nn.Module:
        return self._model

    def preprocess(self, image: Image.Image) -> torch.Tensor:
        """The library's own transform for one image: a (3, H, W) float tensor."""
        return self._preprocess(image)

    def close(self) -> None:
        """Drop the model and give its accelerator memory back."""
        with self._lock:
            device = self._device
            self._model = None  # type: ignore[assignment]
            release_cached_memory(device)

    # -- backend hooks --------------------------------------------------------------------

    def _tokenize(self, texts: Sequence[str]) -> torch.Tensor:
        raise NotImplementedError

    def _forward_images(self, pixels: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError

    def _forward_texts(self, tokens: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError

    def _input_dtype(self) -> torch.dtype:
        """The dtype images are cast to before the vision tower."""
        import torch

        return torch.float16 if self._precision == "fp16" else torch.float32

    def _read_logit_scale(self) -> float:
        scale: Any = getattr(self._model, "logit_scale", None)
        if scale is None:
            return 100.0
        return float(scale.detach().float().exp().reshape(-1)[0])

    def _to_device(self, x: torch.Tensor, dtype: torch.dtype | None = None) -> torch.Tensor:
        """Move an input batch to the model's device (and dtype, for images)."""
        return x.to(self._device, dtype=dtype) if dtype is not None else x.to(self._device)

    def _move_to_cpu(self) -> None:
        """Move the model to the CPU in float32 (backends may override)."""
        self._model.float().to("cpu")

    # -- internals --------------------------------------------------------------------------

    def _encode_image_batch(self, batch: Sequence[Image.Image]) -> np.ndarray:
        import torch

        pixels = torch.stack([self._preprocess(image) for image in batch])
        with self._lock, torch.inference_mode():
            x = self._to_device(pixels, self._input_dtype())
            return _normalised(self._forward_images(x))

    def _encode_pixel_batch(self, batch: np.ndarray | torch.Tensor) -> np.ndarray:
        import torch

        with self._lock, torch.inference_mode():
            x = batch if isinstance(batch, torch.Tensor) else torch.from_numpy(
                np.ascontiguousarray(batch))
            x = self._to_device(x)  # uint8: a quarter of the bytes of the float batch
            mean, std = self._normalisation(x.device)
            # ToTensor (to float, /255) then Normalize (-mean, /std): the same operations on the
            # same values, so the same bits, done in place on one contiguous NCHW buffer
            x = x.permute(0, 3, 1, 2).to(torch.float32, memory_format=torch.contiguous_format)
            x = x.div_(255).sub_(mean).div_(std).to(self._input_dtype())
            return _normalised(self._forward_images(x))

    def _normalisation(self, device: torch.device) -> tuple[torch.Tensor, torch.Tensor]:
        import torch

        key = str(device)
        if key not in self._norm:
            spec = self._pixel_spec
            assert spec is not None
            self._norm[key] = (
                torch.tensor(spec.mean, dtype=torch.float32, device=device).view(1, 3, 1, 1),
                torch.tensor(spec.std, dtype=torch.float32, device=device).view(1, 3, 1, 1))
        return self._norm[key]

    def _encode_text_batch(self, batch: Sequence[str]) -> np.ndarray:
        import torch

        tokens = self._tokenize(batch)
        with self._lock, torch.inference_mode():
            return _normalised(self._forward_texts(self._to_device(tokens)))

    def _fall_back_to_cpu(self) -> None:
        with self._lock:
            if self._device == "cpu":
                return
            previous = self._device
            self._move_to_cpu()
            self._device = "cpu"
            self._precision = "fp32"
            release_cached_memory(previous)
            log.warning("%s now runs on the CPU", self._info.model_id)


def _normalised(features: torch.Tensor) -> np.ndarray:
    """Rows L2-normalised in float32, as a numpy array on the CPU."""
    import torch

    x = features.detach().to(torch.float32)
    x = torch.nn.functional.normalize(x, dim=-1)
    return np.asarray(x.cpu().numpy(), dtype=np.float32)
