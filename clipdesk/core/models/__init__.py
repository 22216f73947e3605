"""CLIP models: the built-in and imported model registry, weights, devices and the backends
(open_clip, cn_clip, Hugging Face transformers).

Importing this package imports no torch: the backends import their libraries when a model loads.
"""

from __future__ import annotations

from clipdesk.core.models.base import Backend, Encoder, ModelInfo
from clipdesk.core.models.builtin import BUILTIN_MODELS, DEFAULT_MODEL_ID
from clipdesk.core.models.loader import load_encoder
from clipdesk.core.models.registry import ModelRegistry

__all__ = [
    "BUILTIN_MODELS",
    "DEFAULT_MODEL_ID",
    "Backend",
    "Encoder",
    "ModelInfo",
    "ModelRegistry",
    "load_encoder",
]
