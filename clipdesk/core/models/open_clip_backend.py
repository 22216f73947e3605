"""OpenCLIP models, built and loaded with open_clip's own factory, loader, transform and tokenizer.

Built-in models use open_clip's architecture config and the preprocessing of their pretrained tag
(mean, std, interpolation, resize mode, QuickGELU). User models either name one of open_clip's
architectures or bring a model config JSON, which is registered with ``open_clip.add_model_config``
under the model's own name so that ``create_model`` and ``get_tokenizer`` find it.
"""

from __future__ import annotations

import copy
import json
import logging
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from clipdesk.core.errors import InvalidCheckpoint, ModelError
from clipdesk.core.models.base import ModelInfo
from clipdesk.core.models.checkpoints import explain_load_error
from clipdesk.core.models.torch_encoder import TorchEncoder

if TYPE_CHECKING:
    import torch

log = logging.getLogger(__name__)

PREPROCESS_KEYS = ("mean", "std", "interpolation", "resize_mode", "fill_color")


class OpenClipEncoder(TorchEncoder):
    """An OpenCLIP model behind the Encoder protocol."""

    def __init__(self, info: ModelInfo, model: torch.nn.Module, *, tokenizer: Any,
                 **kwargs: Any) -> None:
        super().__init__(info, model, **kwargs)
        self._tokenizer = tokenizer

    def _tokenize(self, texts: Sequence[str]) -> torch.Tensor:
        tokens: torch.Tensor = self._tokenizer(list(texts))
        return tokens

    def _forward_images(self, pixels: torch.Tensor) -> torch.Tensor:
        features: torch.Tensor = self._model.encode_image(pixels)
        return features

    def _forward_texts(self, tokens: torch.Tensor) -> torch.Tensor:
        features: torch.Tensor = self._model.encode_text(tokens)
        return features


def read_config(path: Path) -> tuple[dict[str, Any], dict[str, Any]]:
    """The model config and preprocess config of an OpenCLIP config JSON.

    Accepts a bare model config (as in open_clip's ``model_configs/``) or a Hugging Face style
    ``open_clip_config.json`` with ``model_cfg`` and ``preprocess_cfg``.
    """
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ModelError(f"The model config {Path(path).name} could not be read: {exc}") from exc
    if not isinstance(data, dict):
        raise ModelError(f"The model config {Path(path).name} is not a JSON object.")
    model_cfg = data.get("model_cfg", data)
    preprocess = data.get("preprocess_cfg", {}) if "model_cfg" in data else {}
    if not is_open_clip_config(model_cfg):
        raise ModelError(
            f"{Path(path).name} is not an OpenCLIP model config "
            "(it needs embed_dim, vision_cfg and text_cfg).")
    return dict(model_cfg), {k: v for k, v in dict(preprocess).items() if k in PREPROCESS_KEYS}


def is_open_clip_config(cfg: Any) -> bool:
    if isinstance(cfg, dict) and "model_cfg" in cfg:
        cfg = cfg["model_cfg"]
    return isinstance(cfg, dict) and all(k in cfg for k in ("embed_dim", "vision_cfg", "text_cfg"))


def register_config(name: str, path: Path) -> None:
    """Make the config file ``path`` (whose stem is ``name``) known to open_clip."""
    import open_clip

    model_cfg, _ = read_config(path)
    if open_clip.get_model_config(name) == model_cfg:
        return
    if path.stem != name:
        raise ModelError(f"internal: config file {path.name} must be named {name}.json")
    open_clip.add_model_config(path)


def builtin_preprocess(arch: str, tag: str | None) -> tuple[dict[str, Any], bool]:
    """The preprocess overrides and QuickGELU flag of an open_clip pretrained tag."""
    import open_clip

    cfg = open_clip.get_pretrained_cfg(arch, tag) if tag else {}
    preprocess = {k: cfg[k] for k in PREPROCESS_KEYS if k in cfg}
    return preprocess, bool(cfg.get("quick_gelu", False))


def build_model(
    info: ModelInfo, weights: Path, *, device: str = "cpu", precision: str = "fp32",
    text_folder: Path | None = None,
) -> tuple[torch.nn.Module, dict[str, Any]]:
    """Create the model with open_clip's factory and load ``weights`` with its loader.

    ``create_model`` places the model and applies open_clip's own mixed precision for ``fp16``;
    ``load_checkpoint`` (strict, weights-only) then fills it, exactly as ``create_model`` does for
    a ``pretrained`` file. Returns the model and its final preprocess config. A file that is not
    a checkpoint for this architecture raises :class:`InvalidCheckpoint`.
    """
    import open_clip

    name = info.arch
    preprocess: dict[str, Any] = {}
    quick_gelu = False
    if info.config_path is not None:
        register_config(name, info.config_path)
        _, preprocess = read_config(info.config_path)
    elif info.pretrained:
        preprocess, quick_gelu = builtin_preprocess(name, info.pretrained)
        name = local_text_arch(info, text_folder)
    if info.extra.get("preprocess"):
        preprocess.update(json.loads(info.extra["preprocess"]))
    if open_clip.get_model_config(name) is None:
        raise ModelError(f"OpenCLIP has no architecture named {name}.")
    _quiet_open_clip_logging()
    try:
        model = open_clip.create_model(
            name, pretrained=None, precision=precision, device=device,
            force_quick_gelu=quick_gelu, force_preprocess_cfg=preprocess,
            pretrained_image=False, pretrained_text=False,
        )
    except Exception as exc:
        from clipdesk.core.models.device import is_out_of_memory

        if is_out_of_memory(exc):
            raise  # the loader retries on the CPU
        raise ModelError(f"{info.display_name} could not be built: {exc}") from exc
    try:
        open_clip.load_checkpoint(model, str(weights), strict=True, weights_only=True)
    except Exception as exc:  # every way a file can fail to be these weights
        what = ("the architecture in its OpenCLIP config"
                if info.config_path is not None else f"the OpenCLIP {name} architecture")
        raise InvalidCheckpoint(explain_load_error(weights, what, exc)) from exc
    return model.eval(), dict(open_clip.get_model_preprocess_cfg(model))


def local_text_arch(info: ModelInfo, folder: Path | None) -> str:
    """The architecture to build: ``info.arch``, or for a built-in model whose text tower is a
    transformers model (``hf_model_name: "xlm-roberta-base"``) a copy of its config that names
    ``folder``, the local copy of that model's config and tokenizer, instead, so that open_clip
    and transformers read them from there and never from the network."""
    import open_clip

    repo = info.extra.get("hf_text_repo")
    if not repo:
        return info.arch
    if folder is None:
        raise ModelError(f"{info.display_name} needs the config and tokenizer files of {repo}; "
                         "download the model again.")
    name = f"{info.arch}-local"
    cfg = copy.deepcopy(open_clip.get_model_config(info.arch))
    cfg["text_cfg"]["hf_model_name"] = cfg["text_cfg"]["hf_tokenizer_name"] = str(folder)
    if open_clip.get_model_config(name) != cfg:
        path = folder / f"{name}.json"
        path.write_text(json.dumps(cfg), encoding="utf-8")
        open_clip.add_model_config(path)
    return name


class _DropRandomInitNotice(logging.Filter):
    """open_clip logs "initialized randomly" on the root logger before clipdesk loads weights."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not str(record.msg).startswith("No pretrained weights loaded")


def _quiet_open_clip_logging() -> None:
    root = logging.getLogger()
    if not any(isinstance(f, _DropRandomInitNotice) for f in root.filters):
        root.addFilter(_DropRandomInitNotice())


def load(
    info: ModelInfo, weights: Path, *, device: str, precision: str, batch_size: int | None = None,
    text_folder: Path | None = None,
) -> OpenClipEncoder:
    """Load ``info`` from ``weights`` onto ``device`` (``precision`` ``fp16`` or ``fp32``);
    ``text_folder``: the local config and tokenizer of a transformers text tower."""
    import open_clip
    from open_clip.transform import PreprocessCfg, image_transform_v2

    model, pp_cfg = build_model(info, weights, device=device, precision=precision,
                                text_folder=text_folder)
    preprocess = image_transform_v2(PreprocessCfg(**pp_cfg), is_train=False)
    tokenizer = open_clip.get_tokenizer(local_text_arch(info, text_folder))
    context_length = int(getattr(tokenizer, "context_length", 0) or model.context_length)
    log.info("loaded %s on %s (%s)", info.model_id, device, precision)
    return OpenClipEncoder(
        info, model, tokenizer=tokenizer, preprocess=preprocess, device=device,
        precision=precision, dim=_embed_dim(model, info), context_length=context_length,
        batch_size=batch_size,
    )


def _embed_dim(model: torch.nn.Module, info: ModelInfo) -> int:
    visual = getattr(model, "visual", None)
    dim = getattr(visual, "output_dim", None)
    return int(dim) if dim else info.embed_dim


def describe(config: dict[str, Any]) -> tuple[int, int]:
    """``(embed_dim, image_size)`` of an OpenCLIP model config."""
    size = config.get("vision_cfg", {}).get("image_size", 224)
    if isinstance(size, (list, tuple)):
        size = size[0]
    return int(config["embed_dim"]), int(size)
