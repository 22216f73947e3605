"""Hugging Face transformers models, loaded from a ``save_pretrained`` folder with transformers'
own classes and used as its documentation shows.

A folder holds ``config.json`` (whose ``model_type`` names the family), the weights
(``model.safetensors`` preferred) and the processor's files (tokenizer and image processor).
Images go through ``processor(images=...)`` and ``get_image_features``, texts through
``processor(text=..., padding=True)`` and ``get_text_features``; the projected vectors are then
L2-normalised like every other backend's. Nothing is fetched from the network
(``local_files_only``); transformers and torch are imported only when a model loads.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from clipdesk.core.errors import InvalidCheckpoint, ModelError
from clipdesk.core.models.base import ModelInfo
from clipdesk.core.models.torch_encoder import TorchEncoder, _normalised

if TYPE_CHECKING:
    import numpy as np
    import torch
    from PIL import Image

log = logging.getLogger(__name__)

#: ``config.json`` ``model_type`` -> the transformers model class that reads it.
FAMILIES: dict[str, str] = {
    "clip": "CLIPModel",
    "chinese_clip": "ChineseCLIPModel",
}
#: weights files of a ``save_pretrained`` folder, preferred first.
WEIGHTS_FILES = ("model.safetensors", "model.safetensors.index.json", "pytorch_model.bin",
                 "pytorch_model.bin.index.json")
CONFIG = "config.json"
DEFAULT_CONTEXT = 77


class HfEncoder(TorchEncoder):
    """A transformers CLIP-family model behind the Encoder protocol."""

    def __init__(self, info: ModelInfo, model: torch.nn.Module, *, processor: Any,
                 **kwargs: Any) -> None:
        super().__init__(info, model, preprocess=_ImageTransform(processor), **kwargs)
        self._processor = processor

    def _forward_images(self, pixels: torch.Tensor) -> torch.Tensor:
        return _features(self._model.get_image_features(pixel_values=pixels))

    def _encode_text_batch(self, batch: Sequence[str]) -> np.ndarray:
        import torch

        inputs = self._processor(text=list(batch), return_tensors="pt", padding=True,
                                 truncation=True, max_length=self._context_length)
        with self._lock, torch.inference_mode():
            moved = {k: v.to(self._device) for k, v in inputs.items()}
            return _normalised(_features(self._model.get_text_features(**moved)))


class _ImageTransform:
    """``processor(images=...)`` for one picture: a (3, H, W) float tensor."""

    def __init__(self, processor: Any) -> None:
        self._processor = processor

    def __call__(self, image: Image.Image) -> torch.Tensor:
        pixels: torch.Tensor = self._processor(images=[image], return_tensors="pt")[
            "pixel_values"][0]
        return pixels


def _features(output: Any) -> torch.Tensor:
    """The projected vectors of ``get_*_features``: transformers 5 returns a model output whose
    ``pooler_output`` holds them (4.x returned the tensor itself)."""
    features: torch.Tensor = getattr(output, "pooler_output", output)
    return features


# -- folders and configs ------------------------------------------------------------------------


def read_config(path: Path) -> dict[str, Any]:
    """A transformers ``config.json`` of a supported family; :class:`ModelError` otherwise."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ModelError(f"The model config {Path(path).name} could not be read: {exc}") from exc
    if not is_hf_config(data):
        kind = data.get("model_type") if isinstance(data, dict) else None
        raise ModelError(
            f"{Path(path).name} is not a transformers config of a supported model "
            f"(model_type {kind!r}; supported: {', '.join(FAMILIES)}).")
    return dict(data)


def is_hf_config(data: Any) -> bool:
    return isinstance(data, dict) and data.get("model_type") in FAMILIES


def is_hf_folder(folder: Path) -> bool:
    """Whether ``folder`` looks like a ``save_pretrained`` folder of a supported family."""
    path = Path(folder) / CONFIG
    if not path.is_file():
        return False
    try:
        return is_hf_config(json.loads(path.read_text(encoding="utf-8")))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        return False


def weights_file(folder: Path) -> Path:
    """The weights file (or shard index) of a ``save_pretrained`` folder."""
    for name in WEIGHTS_FILES:
        if (folder / name).is_file():
            return folder / name
    raise ModelError(f"{folder} has a transformers config.json but no weights "
                     f"({' or '.join(WEIGHTS_FILES[::2])}).")


def describe(config: dict[str, Any]) -> tuple[int, int]:
    """``(embed_dim, image_size)`` of a transformers config."""
    vision = config.get("vision_config") or {}
    size = vision.get("image_size", 224)
    if isinstance(size, (list, tuple)):
        size = size[0]
    return int(config.get("projection_dim", 512)), int(size)


def family(config: dict[str, Any]) -> str:
    return FAMILIES[str(config["model_type"])]


# -- loading --------------------------------------------------------------------------------------


def build(folder: Path, *, device: str = "cpu", precision: str = "fp32"
          ) -> tuple[torch.nn.Module, Any, dict[str, Any]]:
    """The model (on ``device``), its processor and its config, read from ``folder`` offline.

    A folder whose weights do not fit the config raises :class:`InvalidCheckpoint`; one without
    the processor's files (tokenizer, image processor) raises :class:`ModelError`.
    """
    import torch
    import transformers
    from transformers.utils import logging as hf_logging

    config = read_config(folder / CONFIG)
    cls = getattr(transformers, family(config))
    hf_logging.disable_progress_bar()
    dtype = torch.float16 if precision == "fp16" else torch.float32
    try:
        model = cls.from_pretrained(folder, local_files_only=True, dtype=dtype)
    except Exception as exc:
        from clipdesk.core.models.device import is_out_of_memory

        if is_out_of_memory(exc):
            raise
        raise InvalidCheckpoint(
            f"The weights in {folder} could not be loaded as a {family(config)}: {exc}") from exc
    try:
        processor = transformers.AutoProcessor.from_pretrained(folder, local_files_only=True)
    except Exception as exc:
        raise ModelError(
            f"{folder} has no usable processor files (tokenizer and image processor, as "
            f"save_pretrained writes them): {exc}") from exc
    if not hasattr(processor, "image_processor") or not hasattr(processor, "tokenizer"):
        raise ModelError(f"{folder} needs both a tokenizer and an image processor.")
    return model.to(device).eval(), processor, config


def load(
    info: ModelInfo, weights: Path, *, device: str, precision: str, batch_size: int | None = None
) -> HfEncoder:
    """Load ``info`` from the folder of ``weights`` onto ``device`` (``fp16`` or ``fp32``)."""
    folder = weights.parent
    model, processor, config = build(folder, device=device, precision=precision)
    dim, _ = describe(config)
    text = config.get("text_config") or {}
    context = int(text.get("max_position_embeddings", DEFAULT_CONTEXT))
    log.info("loaded %s (%s) on %s (%s)", info.model_id, family(config), device, precision)
    return HfEncoder(info, model, processor=processor, device=device, precision=precision,
                     dim=dim, context_length=context, batch_size=batch_size)
