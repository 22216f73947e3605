"""Chinese CLIP models: cn_clip's configs, model class, image transform and tokenizer.

The model is built the way ``cn_clip.clip.utils.create_model`` builds it (``CLIP(**model_info)``,
``convert_weights``, ``load_state_dict``, then ``float()`` off CUDA), without its ``print`` calls,
with the device always passed explicitly (cn_clip's default device is fixed at import time), and
with the checkpoint read weights-only instead of cn_clip's bare ``torch.load``.
"""

from __future__ import annotations

import ast
import json
import logging
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from clipdesk.core.errors import InvalidCheckpoint, ModelError
from clipdesk.core.models.base import ModelInfo
from clipdesk.core.models.checkpoints import explain_load_error, load_state_dict
from clipdesk.core.models.torch_encoder import TorchEncoder

if TYPE_CHECKING:
    import torch

log = logging.getLogger(__name__)

CONTEXT_LENGTH = 52

#: cn_clip's built-in architectures: (vision config, text config), as in its ``_MODEL_INFO``.
ARCHES: dict[str, tuple[str, str]] = {
    "ViT-B-16": ("ViT-B-16", "RoBERTa-wwm-ext-base-chinese"),
    "ViT-L-14": ("ViT-L-14", "RoBERTa-wwm-ext-base-chinese"),
    "ViT-L-14-336": ("ViT-L-14-336", "RoBERTa-wwm-ext-base-chinese"),
    "ViT-H-14": ("ViT-H-14", "RoBERTa-wwm-ext-large-chinese"),
    "RN50": ("RN50", "RBT3-chinese"),
}

VISION_KEYS = ("embed_dim", "image_resolution", "vision_layers", "vision_width",
               "vision_patch_size")
TEXT_KEYS = ("vocab_size", "text_hidden_size", "text_num_hidden_layers",
             "text_num_attention_heads", "text_intermediate_size")


class CnClipEncoder(TorchEncoder):
    """A Chinese CLIP model behind the Encoder protocol."""

    def _tokenize(self, texts: Sequence[str]) -> torch.Tensor:
        from cn_clip.clip import tokenize

        tokens: torch.Tensor = tokenize(list(texts), context_length=self._context_length)
        return tokens

    def _forward_images(self, pixels: torch.Tensor) -> torch.Tensor:
        features: torch.Tensor = self._model.encode_image(pixels)
        return features

    def _forward_texts(self, tokens: torch.Tensor) -> torch.Tensor:
        features: torch.Tensor = self._model.encode_text(tokens)
        return features


def _config_dir() -> Path:
    import cn_clip.clip

    return Path(cn_clip.clip.__file__).parent / "model_configs"


def model_info_for(vision: str, text: str) -> dict[str, Any]:
    """cn_clip's merged config for a vision and a text config name."""
    folder = _config_dir()
    files = (folder / f"{vision.replace('/', '-')}.json", folder / f"{text.replace('/', '-')}.json")
    for f in files:
        if not f.is_file():
            raise ModelError(f"Chinese CLIP has no model config named {f.stem}.")
    info: dict[str, Any] = json.loads(files[0].read_text(encoding="utf-8"))
    info.update(json.loads(files[1].read_text(encoding="utf-8")))
    return _normalise(info)


def builtin_model_info(arch: str) -> dict[str, Any]:
    if arch not in ARCHES:
        raise ModelError(f"Chinese CLIP has no built-in architecture named {arch}.")
    return model_info_for(*ARCHES[arch])


def _normalise(info: dict[str, Any]) -> dict[str, Any]:
    info = dict(info)
    layers = info.get("vision_layers")
    if isinstance(layers, str):  # cn_clip stores RN50's as "[3,4,6,3]" and eval()s it
        info["vision_layers"] = ast.literal_eval(layers)
    return info


def is_cn_clip_config(data: Any) -> bool:
    if not isinstance(data, dict):
        return False
    if "vision_model" in data and "text_model" in data:
        return True
    if "struct" in data:
        return True
    return all(k in data for k in VISION_KEYS) and all(k in data for k in TEXT_KEYS)


def read_config(path: Path) -> dict[str, Any]:
    """The ``CLIP(**model_info)`` arguments described by a Chinese CLIP config JSON.

    Accepted: the merged vision+text config (cn_clip's two ``model_configs`` JSONs in one object),
    or names of cn_clip's configs: ``{"vision_model": "ViT-B-16", "text_model":
    "RoBERTa-wwm-ext-base-chinese"}`` or ``{"struct": "ViT-B-16@RoBERTa-wwm-ext-base-chinese"}``.
    """
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ModelError(f"The model config {Path(path).name} could not be read: {exc}") from exc
    if not is_cn_clip_config(data):
        raise ModelError(f"{Path(path).name} is not a Chinese CLIP model config.")
    if "struct" in data:
        vision, _, text = str(data["struct"]).partition("@")
        return model_info_for(vision, text)
    if "vision_model" in data:
        return model_info_for(str(data["vision_model"]), str(data["text_model"]))
    return _normalise(data)


def model_info_of(info: ModelInfo) -> dict[str, Any]:
    """The ``CLIP(**model_info)`` arguments of a registry entry."""
    if info.config_path is not None:
        return read_config(info.config_path)
    vision, text = info.extra.get("vision_model"), info.extra.get("text_model")
    if vision and text:
        return model_info_for(vision, text)
    return builtin_model_info(info.arch)


def build_model(model_info: dict[str, Any], weights: Path, what: str) -> torch.nn.Module:
    """``CLIP(**model_info)`` with ``weights`` loaded, on the CPU, in cn_clip's mixed fp16."""
    from cn_clip.clip.model import CLIP, convert_weights

    try:
        model = CLIP(**model_info)
    except TypeError as exc:
        raise ModelError(f"The Chinese CLIP config for {what} is not usable: {exc}") from exc
    convert_weights(model)
    state = load_state_dict(weights)
    state = {k: v for k, v in state.items() if "bert.pooler" not in k}
    try:
        model.load_state_dict(state)
    except Exception as exc:
        raise InvalidCheckpoint(explain_load_error(weights, what, exc)) from exc
    return model.eval()


def load(
    info: ModelInfo, weights: Path, *, device: str, precision: str, batch_size: int | None = None
) -> CnClipEncoder:
    """Load ``info`` from ``weights`` onto ``device`` (``fp16`` on CUDA keeps cn_clip's mix)."""
    from cn_clip.clip import image_transform

    model_info = model_info_of(info)
    model = build_model(model_info, weights, describe_arch(info))
    if device != "cuda" or precision != "fp16":
        model.float()
        precision = "fp32"
    model.to(device)
    max_positions = int(model_info.get("text_max_position_embeddings", CONTEXT_LENGTH))
    context_length = min(CONTEXT_LENGTH, max_positions)
    resolution = int(model_info["image_resolution"])
    log.info("loaded %s on %s (%s)", info.model_id, device, precision)
    return CnClipEncoder(
        info, model, preprocess=image_transform(resolution), device=device,
        precision=precision, dim=int(model_info["embed_dim"]), context_length=context_length,
        batch_size=batch_size,
    )


def describe_arch(info: ModelInfo) -> str:
    if info.config_path is not None:
        return "the architecture in its Chinese CLIP config"
    return f"the Chinese CLIP {info.arch} architecture"


def describe(model_info: dict[str, Any]) -> tuple[int, int]:
    """``(embed_dim, image_size)`` of a cn_clip model config."""
    return int(model_info["embed_dim"]), int(model_info["image_resolution"])
