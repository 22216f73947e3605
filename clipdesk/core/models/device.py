"""Where a model runs and how many items go through it at once.

``auto`` picks CUDA, then Apple MPS, then the CPU. Half precision is used on CUDA only. The batch
size starts from a guess based on the device and adapts: a GPU out-of-memory error halves it and
the same items are tried again; when even one item does not fit, the model moves to the CPU and the
work goes on there. Items are never lost, repeated or reordered.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeVar

if TYPE_CHECKING:
    import numpy as np

    from clipdesk.core.jobs import CancelToken

log = logging.getLogger(__name__)

DEVICES = ("auto", "cuda", "mps", "cpu")

T = TypeVar("T")

#: Batch sizes used when the caller does not choose one.
DEFAULT_BATCH = {"cuda": 64, "mps": 32, "cpu": 16}
MAX_BATCH = 256


def _cuda_available() -> bool:
    import torch

    return bool(torch.cuda.is_available())


def _mps_available() -> bool:
    import torch

    backend = getattr(torch.backends, "mps", None)
    return bool(backend is not None and backend.is_available())


def pick_device(requested: str = "auto") -> str:
    """The device to use for ``requested`` (``auto``, ``cuda``, ``mps`` or ``cpu``).

    ``auto`` prefers CUDA, then MPS, then the CPU. Asking for a device that is not there falls back
    to the CPU with a warning rather than failing: the app still works, only slower.
    """
    wanted = (requested or "auto").lower()
    if wanted.startswith("cuda"):
        wanted = "cuda"
    if wanted not in DEVICES:
        log.warning("unknown device %r; choosing automatically", requested)
        wanted = "auto"
    if wanted in ("auto", "cuda") and _cuda_available():
        return "cuda"
    if wanted in ("auto", "mps") and _mps_available():
        return "mps"
    if wanted not in ("auto", "cpu"):
        log.warning("device %r is not available here; using the CPU", requested)
    return "cpu"


def default_precision(device: str) -> str:
    """``fp16`` on CUDA, ``fp32`` elsewhere (MPS and CPU half precision are slow or lossy)."""
    return "fp16" if device == "cuda" else "fp32"


def default_batch_size(device: str, image_size: int = 224) -> int:
    """A first guess for the image batch size; out-of-memory errors correct it later."""
    base = DEFAULT_BATCH.get(device, DEFAULT_BATCH["cpu"])
    if device == "cuda":
        try:
            import torch

            free, _total = torch.cuda.mem_get_info()
            # roughly 40 MB of activations per 224 px image at fp16 for a ViT-L; scale by area
            per_item = 40e6 * (image_size / 224) ** 2
            base = int(max(8, min(MAX_BATCH, free * 0.5 / per_item)))
        except Exception:  # no reliable memory info: keep the fixed guess
            pass
    elif image_size > 224:
        base = max(4, int(base * (224 / image_size) ** 2))
    return base


def is_out_of_memory(exc: BaseException) -> bool:
    """Whether ``exc`` is an accelerator out-of-memory error (CUDA or MPS)."""
    try:
        import torch

        if isinstance(exc, torch.cuda.OutOfMemoryError):
            return True
    except Exception:  # torch without CUDA support still defines the class; be safe anyway
        pass
    if isinstance(exc, RuntimeError):
        text = str(exc).lower()
        return "out of memory" in text and ("cuda" in text or "mps" in text or "alloc" in text)
    return False


def release_cached_memory(device: str) -> None:
    """Give cached accelerator memory back after an out-of-memory error."""
    import gc

    gc.collect()
    try:
        import torch

        if device == "cuda" and torch.cuda.is_available():
            torch.cuda.empty_cache()
        elif device == "mps" and _mps_available():
            torch.mps.empty_cache()
    except Exception:  # best effort only
        log.debug("could not release cached memory on %s", device, exc_info=True)


@dataclass
class BatchPlan:
    """The current batch size of one encoder; shrinks on out-of-memory errors."""

    size: int
    floor: int = 1

    def halve(self) -> bool:
        """Halve the batch size; ``False`` when it cannot get any smaller."""
        if self.size <= self.floor:
            return False
        self.size = max(self.floor, self.size // 2)
        return True


def run_batched(
    items: Sequence[T],
    encode: Callable[[Sequence[T]], np.ndarray],
    plan: BatchPlan,
    *,
    device: Callable[[], str],
    fall_back_to_cpu: Callable[[], None],
    token: CancelToken | None = None,
) -> list[np.ndarray]:
    """Encode ``items`` in order, in batches of ``plan.size``; returns one array per batch.

    On an accelerator out-of-memory error the failing batch is retried with half the batch size
    (the smaller size is kept for later calls). When a single item still does not fit,
    ``fall_back_to_cpu`` is called once and the rest runs on the CPU. An out-of-memory error on
    the CPU, or any other error, is raised. ``token`` is checked before each batch.
    """
    out: list[np.ndarray] = []
    start = 0
    while start < len(items):
        if token is not None:
            token.check()
        batch = items[start:start + plan.size]
        try:
            result = encode(batch)
        except Exception as exc:
            current = device()
            if current == "cpu" or not is_out_of_memory(exc):
                raise
            release_cached_memory(current)
            if plan.halve():
                log.warning("out of memory on %s with %d items; retrying with %d",
                            current, len(batch), plan.size)
                continue
            log.warning("out of memory on %s even for one item; moving the model to the CPU",
                        current)
            fall_back_to_cpu()
            plan.size = DEFAULT_BATCH["cpu"]
            continue
        if len(result) != len(batch):  # a backend bug; never let it shift later rows silently
            raise RuntimeError(f"encoder returned {len(result)} rows for {len(batch)} items")
        out.append(result)
        start += len(batch)
    return out
