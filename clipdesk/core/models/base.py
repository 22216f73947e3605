"""The one interface every CLIP backend implements, and the description of a model."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Protocol, runtime_checkable

if TYPE_CHECKING:
    import numpy as np
    from PIL import Image

    from clipdesk.core.jobs import CancelToken


class Backend(str, Enum):
    OPEN_CLIP = "open_clip"
    CN_CLIP = "cn_clip"
    HF = "hf"  # Hugging Face transformers (CLIP, Chinese-CLIP, AltCLIP, SigLIP, Taiyi, LiT)


@dataclass(frozen=True)
class ModelInfo:
    """A model clipdesk can use: built in (downloadable) or imported by the user.

    ``model_id`` always carries its backend: ``cn_clip:ViT-B-16``,
    ``open_clip:ViT-B-32/laion2b_s34b_b79k``, ``user:<slug>`` for imported models.
    """

    model_id: str
    backend: Backend
    arch: str  # the library's architecture name, or the config's name for user models
    display_name: str
    languages: frozenset[str]  # e.g. {"zh", "en"}; "*" for multilingual
    embed_dim: int
    image_size: int
    download_size: int = 0  # bytes, 0 when unknown or not downloadable
    description: str = ""
    pretrained: str | None = None  # open_clip pretrained tag
    url: str | None = None
    sha256: str | None = None
    filename: str | None = None  # file name inside the model folder
    recommended: bool = False
    user: bool = False
    checkpoint_path: Path | None = None  # user models: the weights file
    config_path: Path | None = None  # user models: the architecture config JSON
    extra: dict[str, str] = field(default_factory=dict, compare=False, hash=False)

    def speaks(self, language: str) -> bool:
        return "*" in self.languages or language in self.languages

    @property
    def image_model(self) -> str:
        """The model whose image vectors this one uses: itself, or for a text tower trained
        against another model's image tower (Taiyi-CLIP against OpenAI CLIP), that model. Models
        with the same image model share one set of stored vectors."""
        return self.extra.get("image_model") or self.model_id

    @property
    def shares_images(self) -> bool:
        return self.image_model != self.model_id


@runtime_checkable
class Encoder(Protocol):
    """A loaded model. Both methods return float32 arrays of shape (n, dim), rows L2-normalised.

    Tokenisation, context length, image preprocessing, device and precision stay inside.
    """

    @property
    def info(self) -> ModelInfo: ...

    @property
    def dim(self) -> int: ...

    @property
    def device(self) -> str: ...  # "cuda", "mps" or "cpu": where it actually runs now

    @property
    def logit_scale(self) -> float: ...

    def encode_images(
        self, images: Sequence[Image.Image], token: CancelToken | None = None
    ) -> np.ndarray: ...

    def encode_texts(self, texts: Sequence[str]) -> np.ndarray: ...
