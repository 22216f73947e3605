"""Hugging Face transformers models, loaded from a ``save_pretrained`` folder with transformers'
own classes and used as its documentation shows.

A folder holds ``config.json`` (whose ``model_type`` names the family), the weights
(``model.safetensors`` preferred) and the processor's files (tokenizer and image processor).
Images go through ``processor(images=...)`` and ``get_image_features``, texts through
``processor(text=..., padding=True)`` (SigLIP: ``padding="max_length"``, as it was trained) and
``get_text_features``; the projected vectors are then
L2-normalised like every other backend's. Nothing is fetched from the network
(``local_files_only``); transformers and torch are imported only when a model loads.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass
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


@dataclass(frozen=True)
class Family:
    """How one transformers model family is used, as its model card shows."""

    cls: str  # the transformers model class
    padding: bool | str = True  # the processor's text padding
    reserved_positions: int = 0  # position ids no token uses (XLM-R's start after padding_idx)
    languages: frozenset[str] = frozenset({"en"})
    dim: int = 512  # projection_dim's default
    dim_from_vision_width: bool = False  # SigLIP: the vectors are the towers' width


#: ``config.json`` ``model_type`` -> its family.
FAMILIES: dict[str, Family] = {
    "clip": Family("CLIPModel"),
    "chinese_clip": Family("ChineseCLIPModel", languages=frozenset({"zh"})),
    "altclip": Family("AltCLIPModel", reserved_positions=2, languages=frozenset({"zh", "en"}),
                      dim=768),
    "siglip": Family("SiglipModel", padding="max_length", dim=768, dim_from_vision_width=True),
}
#: tokenizers of multilingual SigLIP checkpoints (SigLIP 2's Gemma tokenizer)
MULTILINGUAL_TOKENIZERS = ("gemma",)
#: weights files of a ``save_pretrained`` folder, preferred first.
WEIGHTS_FILES = ("model.safetensors", "model.safetensors.index.json", "pytorch_model.bin",
                 "pytorch_model.bin.index.json")
CONFIG = "config.json"
DEFAULT_CONTEXT = 77


class HfEncoder(TorchEncoder):
    """A transformers CLIP-family model behind the Encoder protocol."""

    def __init__(self, info: ModelInfo, model: torch.nn.Module, *, processor: Any,
                 family: Family, **kwargs: Any) -> None:
        super().__init__(info, model, preprocess=_ImageTransform(processor), **kwargs)
        self._processor = processor
        self._family = family

    def _forward_images(self, pixels: torch.Tensor) -> torch.Tensor:
        return _features(self._model.get_image_features(pixel_values=pixels))

    def _encode_text_batch(self, batch: Sequence[str]) -> np.ndarray:
        import torch

        inputs = self._processor(text=list(batch), return_tensors="pt",
                                 padding=self._family.padding, truncation=True,
                                 max_length=self._context_length)
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
        read_config(path)
    except ModelError:
        return False
    return True


def weights_file(folder: Path) -> Path:
    """The weights file (or shard index) of a ``save_pretrained`` folder."""
    for name in WEIGHTS_FILES:
        if (folder / name).is_file():
            return folder / name
    raise ModelError(f"{folder} has a transformers config.json but no weights "
                     f"({' or '.join(WEIGHTS_FILES[::2])}).")


def describe(config: dict[str, Any]) -> tuple[int, int]:
    """``(embed_dim, image_size)`` of a transformers config."""
    fam = family_of(config)
    vision = config.get("vision_config") or {}
    size = vision.get("image_size", 224)
    if isinstance(size, (list, tuple)):
        size = size[0]
    if fam.dim_from_vision_width:
        return int(vision.get("hidden_size", fam.dim)), int(size)
    return int(config.get("projection_dim", fam.dim)), int(size)


def family_of(config: dict[str, Any]) -> Family:
    return FAMILIES[str(config["model_type"])]


def family(config: dict[str, Any]) -> str:
    """The transformers class name of a config's family (``CLIPModel`` ...)."""
    return family_of(config).cls


def default_languages(folder: Path) -> frozenset[str]:
    """The languages a folder's text tower reads, by family (SigLIP with a Gemma tokenizer, as
    SigLIP 2 has, reads many)."""
    config = read_config(folder / CONFIG)
    fam = family_of(config)
    if config["model_type"] == "siglip":
        try:
            tokenizer = (folder / "tokenizer_config.json").read_text(encoding="utf-8").lower()
        except OSError:
            tokenizer = ""
        if any(name in tokenizer for name in MULTILINGUAL_TOKENIZERS):
            return frozenset({"*"})
    return fam.languages


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
    hf_logging.set_verbosity_error()  # what matters here is checked below, not printed
    dtype = torch.float16 if precision == "fp16" else torch.float32
    try:
        model, report = cls.from_pretrained(folder, local_files_only=True, dtype=dtype,
                                            output_loading_info=True)
    except Exception as exc:
        from clipdesk.core.models.device import is_out_of_memory

        if is_out_of_memory(exc):
            raise
        raise InvalidCheckpoint(
            f"The weights in {folder} could not be loaded as a {family(config)}: {exc}") from exc
    # transformers fills missing weights with random ones and only logs it: refuse instead
    missing = list(report.get("missing_keys") or []) + list(report.get("mismatched_keys") or [])
    if missing:
        names = ", ".join(str(k) for k in missing[:3]) + (" …" if len(missing) > 3 else "")
        raise InvalidCheckpoint(f"The weights in {folder} lack {len(missing)} of the "
                                f"{family(config)}'s tensors ({names}).")
    if report.get("unexpected_keys"):
        log.info("%s: ignoring unused weights %s", folder, list(report["unexpected_keys"])[:5])
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
    fam = family_of(config)
    text = config.get("text_config") or {}
    context = int(text.get("max_position_embeddings", DEFAULT_CONTEXT)) - fam.reserved_positions
    log.info("loaded %s (%s) on %s (%s)", info.model_id, fam.cls, device, precision)
    return HfEncoder(info, model, processor=processor, family=fam, device=device,
                     precision=precision, dim=dim, context_length=context,
                     batch_size=batch_size)
