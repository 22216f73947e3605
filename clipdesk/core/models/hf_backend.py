"""Hugging Face transformers models, loaded from a ``save_pretrained`` folder with transformers'
own classes and used as its documentation shows.

A folder holds ``config.json`` (whose ``model_type`` names the family), the weights
(``model.safetensors`` preferred) and the processor's files (tokenizer and image processor).
Images go through ``processor(images=...)`` and ``get_image_features``, texts through
``processor(text=..., padding=True)`` (SigLIP: ``padding="max_length"``, as it was trained) and
``get_text_features``; the projected vectors are then
L2-normalised like every other backend's. Nothing is fetched from the network
(``local_files_only``); transformers and torch are imported only when a model loads.

Two more kinds of folder:

- a LiT-style dual encoder (``VisionTextDualEncoderModel``: a vision model, a BERT-family text
  model and their projections, as a locked-image text tuning saves it), used like the families;
- a **text tower** trained against another model's image tower (Taiyi-CLIP: a
  ``BertForSequenceClassification`` whose ``logits`` are the text vector, for OpenAI CLIP's
  ``get_image_features``, as its model card shows). It has no image tower of its own: its images
  are its image model's (``ModelInfo.image_model``), loaded from that model's folder, so it
  searches that model's stored vectors.
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
from clipdesk.core.scores import COSINE, SIGMOID_KIND, ScoreScale

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
    "vision-text-dual-encoder": Family("VisionTextDualEncoderModel"),
    "chinese_clip": Family("ChineseCLIPModel", languages=frozenset({"zh"})),
    "altclip": Family("AltCLIPModel", reserved_positions=2, languages=frozenset({"zh", "en"}),
                      dim=768),
    "siglip": Family("SiglipModel", padding="max_length", dim=768, dim_from_vision_width=True),
}
#: text towers for another model's images: architecture -> the output that is the text vector
TEXT_TOWERS: dict[str, str] = {"BertForSequenceClassification": "logits",
                               "RobertaForSequenceClassification": "logits",
                               "XLMRobertaForSequenceClassification": "logits"}
#: a tokenizer whose vocabulary is at least this share CJK reads Chinese
CJK_SHARE = 0.05
#: tokenizers of multilingual SigLIP checkpoints (SigLIP 2's Gemma tokenizer)
MULTILINGUAL_TOKENIZERS = ("gemma",)
#: weights files of a ``save_pretrained`` folder, preferred first.
WEIGHTS_FILES = ("model.safetensors", "model.safetensors.index.json", "pytorch_model.bin",
                 "pytorch_model.bin.index.json")
CONFIG = "config.json"
DEFAULT_CONTEXT = 77


class HfEncoder(TorchEncoder):
    """A transformers CLIP-family model behind the Encoder protocol. ``text`` is the text side
    when it is a model of its own (a text tower for ``model``'s images)."""

    def __init__(self, info: ModelInfo, model: torch.nn.Module, *, processor: Any,
                 family: Family, text: TextTower | None = None, **kwargs: Any) -> None:
        super().__init__(info, model, preprocess=_ImageTransform(processor), **kwargs)
        self._processor = processor
        self._family = family
        self._text = text
        bias: Any = getattr(model, "logit_bias", None)
        # SigLIP: a sigmoid per pair, sigmoid(scale * cosine + bias), is its own probability
        self._scale = COSINE if bias is None else ScoreScale(
            SIGMOID_KIND, self.logit_scale, float(bias.detach().float().reshape(-1)[0]))

    @property
    def score_scale(self) -> ScoreScale:
        return self._scale

    def _forward_images(self, pixels: torch.Tensor) -> torch.Tensor:
        return _features(self._model.get_image_features(pixel_values=pixels))

    def _encode_text_batch(self, batch: Sequence[str]) -> np.ndarray:
        import torch

        tokenizer = self._text.tokenizer if self._text is not None else self._processor
        # a text tower pads to the longest text, as Taiyi's and M-CLIP's cards do
        padding = True if self._text is not None else self._family.padding
        inputs = tokenizer(text=list(batch), return_tensors="pt", padding=padding,
                           truncation=True, max_length=self._context_length)
        with self._lock, torch.inference_mode():
            moved = {k: v.to(self._device) for k, v in inputs.items()}
            if self._text is not None:
                out = self._text.model(**moved)
                return _normalised(getattr(out, self._text.output) if self._text.output else out)
            return _normalised(_features(self._model.get_text_features(**moved)))

    def _move_to_cpu(self) -> None:
        super()._move_to_cpu()
        if self._text is not None:
            self._text.model.float().to("cpu")

    def close(self) -> None:
        self._text = None
        super().close()


@dataclass
class TextTower:
    """A text model of its own whose ``output`` is the text vector (Taiyi-CLIP's ``logits``;
    ``None``: the model returns the vector, as M-CLIP's does)."""

    model: Any
    tokenizer: Any
    output: str | None = "logits"
    context: int = DEFAULT_CONTEXT  # the most tokens a text is cut to


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
    """A transformers ``config.json`` of a supported family or text tower; :class:`ModelError`
    otherwise."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ModelError(f"The model config {Path(path).name} could not be read: {exc}") from exc
    if not is_hf_config(data):
        kind = data.get("model_type") if isinstance(data, dict) else None
        raise ModelError(
            f"{Path(path).name} is not a transformers config of a supported model "
            f"(model_type {kind!r}; supported: {', '.join(FAMILIES)}, or a text tower "
            f"({', '.join(TEXT_TOWERS)}) for another model's images).")
    return dict(data)


def is_hf_config(data: Any) -> bool:
    return isinstance(data, dict) and (data.get("model_type") in FAMILIES
                                       or text_tower_class(data) is not None)


def text_tower_class(config: dict[str, Any]) -> str | None:
    """The architecture of a text-tower config (Taiyi-CLIP's ``BertForSequenceClassification``),
    ``None`` for a two-tower model."""
    from clipdesk.core.models import mclip

    if mclip.is_mclip_config(config):
        return mclip.CLASS
    found = [a for a in config.get("architectures") or [] if a in TEXT_TOWERS]
    return found[0] if found and config.get("model_type") not in FAMILIES else None


def is_hf_folder(folder: Path) -> bool:
    """Whether ``folder`` looks like a ``save_pretrained`` folder of a supported model."""
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
    """``(embed_dim, image_size)`` of a transformers config (a text tower's image size is its
    image model's: 0 here)."""
    if text_tower_class(config) is not None:
        from clipdesk.core.models import mclip

        if mclip.is_mclip_config(config):
            return mclip.dim(config), 0
        labels = config.get("id2label") or {}
        return int(config.get("num_labels") or len(labels)), 0
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
    """The transformers class name of a config (``CLIPModel`` ...; a text tower's own)."""
    return text_tower_class(config) or family_of(config).cls


def default_languages(folder: Path) -> frozenset[str]:
    """The languages a folder's text tower reads: by family, and for a text tower or a dual
    encoder by its vocabulary (a Chinese BERT's is mostly CJK); SigLIP with a Gemma tokenizer,
    as SigLIP 2 has, reads many."""
    config = read_config(folder / CONFIG)
    if config["model_type"] == "M-CLIP":  # trained on many languages
        return frozenset({"*"})
    if text_tower_class(config) is not None or config["model_type"] == "vision-text-dual-encoder":
        return frozenset({"zh"}) if _cjk_share(folder) >= CJK_SHARE else frozenset({"en"})
    fam = family_of(config)
    if config["model_type"] == "siglip":
        try:
            tokenizer = (folder / "tokenizer_config.json").read_text(encoding="utf-8").lower()
        except OSError:
            tokenizer = ""
        if any(name in tokenizer for name in MULTILINGUAL_TOKENIZERS):
            return frozenset({"*"})
    return fam.languages


def _cjk_share(folder: Path) -> float:
    """The share of a WordPiece vocabulary (``vocab.txt``) or ``tokenizer.json``'s vocabulary
    that is CJK."""
    from clipdesk.core.languages import contains_cjk

    words: list[str] = []
    try:
        if (folder / "vocab.txt").is_file():
            words = (folder / "vocab.txt").read_text(encoding="utf-8").split("\n")
        elif (folder / "tokenizer.json").is_file():
            data = json.loads((folder / "tokenizer.json").read_text(encoding="utf-8"))
            vocab = (data.get("model") or {}).get("vocab") or {}
            words = [w if isinstance(w, str) else str(w[0]) for w in vocab]
    except (OSError, UnicodeDecodeError, ValueError, TypeError, IndexError):
        return 0.0
    return sum(1 for w in words if contains_cjk(w)) / max(1, len(words))


# -- loading --------------------------------------------------------------------------------------


def load_pretrained(cls_name: str, folder: Path, precision: str) -> Any:
    """``<cls>.from_pretrained(folder)`` offline; refuses weights that lack tensors."""
    import torch
    import transformers
    from transformers.utils import logging as hf_logging

    cls = getattr(transformers, cls_name)
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
            f"The weights in {folder} could not be loaded as a {cls_name}: {exc}") from exc
    # transformers fills missing weights with random ones and only logs it: refuse instead
    missing = list(report.get("missing_keys") or []) + list(report.get("mismatched_keys") or [])
    if missing:
        names = ", ".join(str(k) for k in missing[:3]) + (" …" if len(missing) > 3 else "")
        raise InvalidCheckpoint(f"The weights in {folder} lack {len(missing)} of the "
                                f"{cls_name}'s tensors ({names}).")
    if report.get("unexpected_keys"):
        log.info("%s: ignoring unused weights %s", folder, list(report["unexpected_keys"])[:5])
    return model


def build(folder: Path, *, device: str = "cpu", precision: str = "fp32"
          ) -> tuple[torch.nn.Module, Any, dict[str, Any]]:
    """The two-tower model (on ``device``), its processor and its config, read from
    ``folder`` offline.

    A folder whose weights do not fit the config raises :class:`InvalidCheckpoint`; one without
    the processor's files (tokenizer, image processor) raises :class:`ModelError`.
    """
    import transformers

    config = read_config(folder / CONFIG)
    if text_tower_class(config) is not None:
        raise ModelError(f"{folder} holds a text tower only; it is used with an image model.")
    model = load_pretrained(family(config), folder, precision)
    try:
        processor = transformers.AutoProcessor.from_pretrained(folder, local_files_only=True)
    except Exception as exc:
        raise ModelError(
            f"{folder} has no usable processor files (tokenizer and image processor, as "
            f"save_pretrained writes them): {exc}") from exc
    if not hasattr(processor, "image_processor") or not hasattr(processor, "tokenizer"):
        raise ModelError(f"{folder} needs both a tokenizer and an image processor.")
    return model.to(device).eval(), processor, config


def build_text_tower(folder: Path, *, device: str = "cpu", precision: str = "fp32"
                     ) -> tuple[TextTower, dict[str, Any]]:
    """A text tower (Taiyi-CLIP) and its config, read from ``folder`` offline."""
    import transformers

    from clipdesk.core.models import mclip

    config = read_config(folder / CONFIG)
    cls_name = text_tower_class(config)
    if cls_name is None:
        raise ModelError(f"{folder} is not a text tower.")
    try:
        tokenizer = transformers.AutoTokenizer.from_pretrained(folder, local_files_only=True)
    except Exception as exc:
        raise ModelError(f"{folder} has no usable tokenizer files: {exc}") from exc
    if cls_name == mclip.CLASS:
        model = mclip.build(folder, weights_file(folder), config, precision)
        base = model.transformer.config
        # XLM-R's positions start after its padding index
        reserved = 2 if base.model_type == "xlm-roberta" else 0
        return TextTower(model.to(device).eval(), tokenizer, None,
                         context=int(base.max_position_embeddings) - reserved), config
    model = load_pretrained(cls_name, folder, precision)
    return TextTower(model.to(device).eval(), tokenizer, TEXT_TOWERS[cls_name],
                     context=int(config.get("max_position_embeddings", DEFAULT_CONTEXT))), config


def check_pair(text_config: dict[str, Any], image_dim: int, name: str) -> None:
    """Refuse a text tower whose vectors cannot search its image model's."""
    dim, _ = describe(text_config)
    if dim != image_dim:
        raise InvalidCheckpoint(
            f"This text tower makes {dim}-dimensional vectors, but {name} makes "
            f"{image_dim}-dimensional image vectors: they cannot be compared.")


def load(
    info: ModelInfo, weights: Path, *, device: str, precision: str, batch_size: int | None = None,
    image_weights: Path | None = None,
) -> HfEncoder:
    """Load ``info`` from the folder of ``weights`` onto ``device`` (``fp16`` or ``fp32``); a
    text tower's images come from its image model's folder (``image_weights``' folder)."""
    folder = weights.parent
    text: TextTower | None = None
    if info.shares_images:
        if image_weights is None:
            raise ModelError(f"{info.display_name} needs the weights of {info.image_model}.")
        text, text_config = build_text_tower(folder, device=device, precision=precision)
        folder = image_weights.parent
    model, processor, config = build(folder, device=device, precision=precision)
    dim, _ = describe(config)
    fam = family_of(config)
    if text is not None:
        check_pair(text_config, dim, info.image_model)
        context = text.context
    else:
        text_cfg = config.get("text_config") or {}
        context = int(text_cfg.get("max_position_embeddings", DEFAULT_CONTEXT)) \
            - fam.reserved_positions
    log.info("loaded %s (%s) on %s (%s)", info.model_id, family(config), device, precision)
    return HfEncoder(info, model, processor=processor, family=fam, text=text, device=device,
                     precision=precision, dim=dim, context_length=context,
                     batch_size=batch_size)
