"""``load_encoder``: from a model id (or its info) to a ready Encoder on the right device."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING

from clipdesk.core.errors import ModelError
from clipdesk.core.models.base import Backend, ModelInfo
from clipdesk.core.models.device import default_precision, pick_device
from clipdesk.core.models.weights import ByteProgress

if TYPE_CHECKING:
    from clipdesk.core.jobs import CancelToken
    from clipdesk.core.models.torch_encoder import TorchEncoder
    from clipdesk.paths import DataPaths

log = logging.getLogger(__name__)


def load_encoder(
    model: ModelInfo | str,
    paths: DataPaths,
    *,
    device: str = "auto",
    precision: str | None = None,
    batch_size: int | None = None,
    download: bool = False,
    progress: ByteProgress | None = None,
    token: CancelToken | None = None,
) -> TorchEncoder:
    """Load a model through its library's own loader and wrap it as an Encoder.

    ``model`` is a :class:`ModelInfo` or a model id (looked up in the data folder's registry).
    ``device`` is ``auto`` (CUDA, then MPS, then CPU), ``cuda``, ``mps`` or ``cpu``; ``precision``
    defaults to ``fp16`` on CUDA and ``fp32`` elsewhere; ``batch_size`` ``None`` lets the device
    choose. With ``download`` the weights are fetched when missing (``progress`` gets
    ``(done_bytes, total_bytes)``, ``token`` cancels). Raises :class:`WeightsMissing`,
    :class:`DownloadError`, :class:`InvalidCheckpoint` or :class:`ModelError`.
    """
    from clipdesk.core.models.registry import ModelRegistry

    registry = ModelRegistry(paths)
    info = registry.get(model) if isinstance(model, str) else model
    if info.shares_images and registry.get(info.image_model).backend != Backend.HF:
        raise ModelError(f"{info.display_name} needs a transformers image model; "
                         f"{info.image_model} is not one.")
    weights, image_weights = registry.ensure(info, download=download, progress=progress,
                                             token=token)
    # a text tower's images are its image model's; an OpenCLIP model's transformers text tower
    # reads its config and tokenizer from a local folder
    more: dict[str, Path | None] = {}
    if image_weights is not None:
        more["image_weights"] = image_weights
    if info.extra.get("hf_text_repo") and info.backend == Backend.OPEN_CLIP:
        from clipdesk.core.models.weights import text_repo_folder

        more["text_folder"] = text_repo_folder(info, paths)
    where = pick_device(device)
    precision = precision or default_precision(where)
    if precision not in ("fp16", "fp32"):
        raise ModelError(f"Unknown precision {precision!r}; use fp16 or fp32.")
    if where != "cuda":
        precision = "fp32"
    if token is not None:
        token.check()
    log.info("loading %s from %s on %s (%s)", info.model_id, weights, where, precision)
    if info.backend == Backend.OPEN_CLIP:
        from clipdesk.core.models import open_clip_backend as backend
    elif info.backend == Backend.CN_CLIP:
        from clipdesk.core.models import cn_clip_backend as backend  # type: ignore[no-redef]
    elif info.backend == Backend.HF:
        from clipdesk.core.models import hf_backend as backend  # type: ignore[no-redef]
    else:  # pragma: no cover - Backend is a closed enum
        raise ModelError(f"Unknown backend {info.backend}")
    try:
        return backend.load(info, weights, device=where, precision=precision,
                            batch_size=batch_size, **more)
    except Exception as exc:
        from clipdesk.core.models.device import is_out_of_memory

        if where == "cpu" or not is_out_of_memory(exc):
            raise
        log.warning("%s does not fit on %s; loading it on the CPU", info.model_id, where)
        return backend.load(info, weights, device="cpu", precision="fp32",
                            batch_size=batch_size, **more)
