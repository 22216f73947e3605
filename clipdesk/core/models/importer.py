"""Importing a checkpoint from this computer as a user model (``user:<slug>``).

Three ways to say what the checkpoint is: an OpenCLIP model config JSON, a Chinese CLIP config
JSON, or the name of a built-in architecture (a transformers ``save_pretrained`` folder says it
itself in its ``config.json``, and is copied whole); with none of them the architecture is
recognised by comparing the weights' names and shapes with the known architectures. Either way
the model is built and the weights loaded once before anything is written, so a bad file is
refused with :class:`InvalidCheckpoint` and leaves nothing behind. The model folder is assembled
in a staging folder and renamed into place.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import shutil
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

from clipdesk.core.errors import InvalidCheckpoint, ModelError
from clipdesk.core.models import cn_clip_backend as cn
from clipdesk.core.models import hf_backend as hf
from clipdesk.core.models import open_clip_backend as oc
from clipdesk.core.models.base import Backend, ModelInfo
from clipdesk.core.models.checkpoints import load_state_dict
from clipdesk.core.models.manifest import MANIFEST, USER_PREFIX, manifest_data, read_manifest
from clipdesk.core.models.manifest import write_manifest as _write_manifest
from clipdesk.paths import DataPaths

if TYPE_CHECKING:
    import torch

log = logging.getLogger(__name__)

#: open_clip architectures tried when a bare checkpoint has to be recognised by its shapes.
OPEN_CLIP_CANDIDATES = ("ViT-B-32", "ViT-B-16", "ViT-L-14", "ViT-L-14-336", "ViT-H-14",
                        "ViT-g-14", "ViT-bigG-14", "ViT-B-16-plus-240", "RN50", "RN101")
MULTILINGUAL_HINTS = ("xlm", "mt5", "multilingual", "nllb", "m-clip")
COPY_CHUNK = 8 * 1024 * 1024


class UnknownArchitecture(ModelError):
    """The architecture of a checkpoint could not be recognised from its weights: the person
    names it (the CLI's ``--arch``, the GUI's Architecture field) or gives a model config."""

    EXAMPLE = "ViT-B-16"

    def __init__(self, checkpoint: str) -> None:
        self.checkpoint = checkpoint
        super().__init__(
            f"clipdesk could not tell which architecture {checkpoint} is for; name its "
            f"architecture (e.g. {self.EXAMPLE}) or give its model config JSON.")


@dataclass
class _Plan:
    backend: Backend
    arch: str  # library architecture name; for OpenCLIP configs, the name we register
    config: dict[str, Any] | None = None  # OpenCLIP model_cfg or cn_clip model_info to store
    extra: dict[str, str] = field(default_factory=dict)
    embed_dim: int = 0
    image_size: int = 0
    languages: frozenset[str] | None = None  # when the config tells


def import_model(
    paths: DataPaths,
    checkpoint: Path,
    *,
    config: Path | None = None,
    backend: Backend | None = None,
    arch: str | None = None,
    name: str | None = None,
    languages: Sequence[str] | None = None,
    description: str = "",
    copy: bool = True,
    image_model: ModelInfo | None = None,
) -> ModelInfo:
    """See :meth:`ModelRegistry.import_model`."""
    checkpoint = Path(checkpoint).expanduser()
    hf_folder: Path | None = None
    if checkpoint.is_dir() and config is None and hf.is_hf_folder(checkpoint):
        hf_folder = checkpoint.resolve()
        checkpoint, config = hf.weights_file(hf_folder), hf_folder / hf.CONFIG
    elif checkpoint.is_dir():
        checkpoint, config = _from_folder(checkpoint, config)
    if not checkpoint.is_file():
        raise ModelError(f"The checkpoint {checkpoint} does not exist.")
    if config is not None and not Path(config).is_file():
        raise ModelError(f"The model config {config} does not exist.")

    display = name or (hf_folder.name if hf_folder else checkpoint.stem)
    root = paths.user_model_dir
    root.mkdir(parents=True, exist_ok=True)
    slug = _unique_slug(root, display)
    plan = _plan(checkpoint, config, backend, arch, slug)
    _pair(plan, checkpoint, image_model)
    staging = root / f".import-{slug}-{uuid.uuid4().hex[:8]}"
    staging.mkdir()
    try:
        config_path = _write_config(staging, plan)
        langs = frozenset(languages) if languages else _default_languages(plan)
        info = ModelInfo(
            model_id=f"{USER_PREFIX}{slug}", backend=plan.backend, arch=plan.arch,
            display_name=display, languages=langs, embed_dim=plan.embed_dim,
            image_size=plan.image_size, description=description, user=True,
            checkpoint_path=checkpoint.resolve(), config_path=config_path, extra=plan.extra,
        )
        if plan.backend == Backend.HF:
            info = replace(info, config_path=checkpoint.parent / hf.CONFIG)
        _validate(info, checkpoint)
        if copy:
            target = staging / checkpoint.name
            digest = _copy_with_hash(checkpoint, target)
            info = replace(info, checkpoint_path=target, sha256=digest)
            if plan.backend == Backend.HF:  # the processor's files and config come along
                _copy_folder_files(checkpoint.parent, staging, skip=checkpoint.name)
                info = replace(info, config_path=staging / hf.CONFIG)
        data = manifest_data(
            info, staging, source=str(checkpoint.resolve()),
            imported_at=datetime.now(timezone.utc).isoformat(timespec="seconds"),
        )
        _write_manifest(staging, data)
        final = root / slug
        os.replace(staging, final)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    log.info("imported %s as %s", checkpoint, info.model_id)
    return read_manifest(final / MANIFEST)


# -- working out what the checkpoint is ---------------------------------------------------------


def _from_folder(folder: Path, config: Path | None) -> tuple[Path, Path | None]:
    """A folder in open_clip's ``local-dir`` layout: ``open_clip_config.json`` plus weights."""
    if config is None and (folder / "open_clip_config.json").is_file():
        config = folder / "open_clip_config.json"
    preferred = ("open_clip_model.safetensors", "open_clip_pytorch_model.bin",
                 "open_clip_pytorch_model.pth", "model.safetensors", "pytorch_model.bin")
    for filename in preferred:
        if (folder / filename).is_file():
            return folder / filename, config
    found = sorted(p for p in folder.iterdir()
                   if p.suffix in (".safetensors", ".pt", ".pth", ".bin"))
    if len(found) == 1:
        return found[0], config
    raise ModelError(f"{folder} holds {len(found) or 'no'} weights files; choose one file.")


def _plan(checkpoint: Path, config: Path | None, backend: Backend | None, arch: str | None,
          slug: str) -> _Plan:
    if config is not None:
        return _plan_from_config(config, backend, slug)
    if arch:
        return _plan_from_arch(checkpoint, arch, backend)
    return _plan_from_shapes(checkpoint, backend)


def _plan_from_config(config: Path, backend: Backend | None, slug: str) -> _Plan:
    try:
        data = json.loads(config.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ModelError(f"The model config {config.name} could not be read: {exc}") from exc
    if oc.is_open_clip_config(data) and backend in (None, Backend.OPEN_CLIP):
        model_cfg, preprocess = oc.read_config(config)
        dim, size = oc.describe(model_cfg)
        extra = {"preprocess": json.dumps(preprocess)} if preprocess else {}
        return _Plan(Backend.OPEN_CLIP, f"clipdesk-{slug}", model_cfg, extra, dim, size)
    if cn.is_cn_clip_config(data) and backend in (None, Backend.CN_CLIP):
        model_info = cn.read_config(config)
        dim, size = cn.describe(model_info)
        return _Plan(Backend.CN_CLIP, f"cn_clip-{slug}", model_info, {}, dim, size)
    if hf.is_hf_config(data) and backend in (None, Backend.HF):
        if config.name != hf.CONFIG or not any(
                (config.parent / n).is_file() for n in hf.WEIGHTS_FILES):
            raise ModelError(f"{config.name} is a transformers config: import its folder "
                             "(as save_pretrained wrote it) instead.")
        data = hf.read_config(config)
        dim, size = hf.describe(data)
        return _Plan(Backend.HF, hf.family(data), None, {}, dim, size,
                     hf.default_languages(config.parent))
    kind = f"a {backend.value} " if backend else "an OpenCLIP or Chinese CLIP "
    raise ModelError(f"{config.name} is not {kind}model config.")


def _split_arch(arch: str, backend: Backend | None) -> tuple[Backend | None, str]:
    for b in Backend:
        if arch.startswith(f"{b.value}:"):
            if backend is not None and backend != b:
                raise ModelError(f"{arch} is not a {backend.value} architecture.")
            arch = arch[len(b.value) + 1:]
            backend = b
    return backend, arch.split("/")[0]  # "ViT-B-32/laion2b_s34b_b79k" -> "ViT-B-32"


def _plan_from_arch(checkpoint: Path, arch: str, backend: Backend | None) -> _Plan:
    import open_clip

    backend, arch = _split_arch(arch, backend)
    if backend == Backend.HF:
        raise ModelError("A transformers model is imported from its folder (config.json, "
                         "weights and processor files), not by architecture name.")
    in_cn, in_oc = arch in cn.ARCHES, open_clip.get_model_config(arch) is not None
    if backend is None:
        if in_cn and in_oc:  # "ViT-B-16" exists in both: the weights tell
            backend = _backend_of(load_state_dict(checkpoint))
        else:
            backend = Backend.CN_CLIP if in_cn else Backend.OPEN_CLIP
    if backend == Backend.CN_CLIP:
        if not in_cn:
            raise ModelError(f"Chinese CLIP has no architecture {arch}; known: "
                             f"{', '.join(cn.ARCHES)}.")
        vision, text = cn.ARCHES[arch]
        dim, size = cn.describe(cn.builtin_model_info(arch))
        return _Plan(backend, arch, None, {"vision_model": vision, "text_model": text}, dim, size)
    model_cfg = open_clip.get_model_config(arch)
    if model_cfg is None:
        raise ModelError(f"OpenCLIP has no architecture {arch}.")
    dim, size = oc.describe(model_cfg)
    return _Plan(Backend.OPEN_CLIP, arch, None, {}, dim, size)


def _backend_of(state: dict[str, torch.Tensor]) -> Backend:
    return Backend.CN_CLIP if any(k.startswith("bert.") for k in state) else Backend.OPEN_CLIP


def _plan_from_shapes(checkpoint: Path, backend: Backend | None) -> _Plan:
    if backend == Backend.HF:
        raise ModelError("A transformers model is imported from its folder (config.json, "
                         "weights and processor files).")
    state = load_state_dict(checkpoint)
    backend = backend or _backend_of(state)
    wanted = {k: tuple(v.shape) for k, v in state.items() if "bert.pooler" not in k}
    candidates = cn.ARCHES if backend == Backend.CN_CLIP else OPEN_CLIP_CANDIDATES
    for arch in candidates:
        if _shapes_of(backend, arch) == wanted:
            log.info("%s looks like %s %s", checkpoint.name, backend.value, arch)
            return _plan_from_arch(checkpoint, arch, backend)
    raise UnknownArchitecture(checkpoint.name)


def _shapes_of(backend: Backend, arch: str) -> dict[str, tuple[int, ...]] | None:
    """Parameter names and shapes of an architecture, built on the meta device (no memory)."""
    import torch

    try:
        with torch.device("meta"):
            if backend == Backend.CN_CLIP:
                from cn_clip.clip.model import CLIP as CnCLIP

                model: torch.nn.Module = CnCLIP(**cn.builtin_model_info(arch))
            else:
                import open_clip

                cfg = open_clip.get_model_config(arch)
                if cfg is None or "hf_model_name" in cfg.get("text_cfg", {}):
                    return None
                cfg.pop("custom_text", None)
                model = open_clip.CLIP(**cfg)
    except Exception:  # an architecture that cannot be built here is simply not a candidate
        log.debug("cannot build %s %s on meta", backend.value, arch, exc_info=True)
        return None
    return {k: tuple(v.shape) for k, v in model.state_dict().items()}


def _validate(info: ModelInfo, checkpoint: Path) -> None:
    """Build the model on the CPU and load the weights; raises InvalidCheckpoint."""
    model: Any
    if info.backend == Backend.OPEN_CLIP:
        model = oc.build_model(info, checkpoint)
    elif info.backend == Backend.HF and info.shares_images:
        model, _ = hf.build_text_tower(checkpoint.parent)
    elif info.backend == Backend.HF:
        model, _, _ = hf.build(checkpoint.parent)
    else:
        model = cn.build_model(cn.model_info_of(info), checkpoint, cn.describe_arch(info))
    del model


def _pair(plan: _Plan, checkpoint: Path, image_model: ModelInfo | None) -> None:
    """A text tower takes its image model's image size and records the image model; any other
    model refuses one."""
    tower = plan.backend == Backend.HF and hf.text_tower_class(
        hf.read_config(checkpoint.parent / hf.CONFIG)) is not None
    if not tower:
        if image_model is not None:
            raise ModelError("Only a text tower (such as Taiyi-CLIP's) is imported with an "
                             "image model; this model has its own image tower.")
        return
    if image_model is None:
        raise ModelError(f"{checkpoint.parent.name} is a text tower without images of its own: "
                         "choose the model whose image vectors it was trained for (Taiyi-CLIP: "
                         "OpenAI CLIP ViT-B/32).")
    if image_model.backend != Backend.HF or image_model.shares_images:
        raise ModelError(f"{image_model.display_name} cannot lend its image tower: choose a "
                         "transformers model with an image tower of its own.")
    hf.check_pair(hf.read_config(checkpoint.parent / hf.CONFIG), image_model.embed_dim,
                  image_model.display_name)
    plan.image_size = image_model.image_size
    plan.extra["image_model"] = image_model.model_id


# -- writing --------------------------------------------------------------------------------------


def _write_config(folder: Path, plan: _Plan) -> Path | None:
    if plan.config is None:
        return None
    # OpenCLIP finds a config by its file stem, so the file is named after the architecture
    stem = plan.arch if plan.backend == Backend.OPEN_CLIP else "cn_clip_config"
    path = folder / f"{stem}.json"
    path.write_text(json.dumps(plan.config, ensure_ascii=False, indent=2), encoding="utf-8")
    return path


def _copy_with_hash(source: Path, target: Path) -> str:
    digest = hashlib.sha256()
    try:
        with source.open("rb") as src, target.open("wb") as dst:
            while chunk := src.read(COPY_CHUNK):
                digest.update(chunk)
                dst.write(chunk)
            dst.flush()
            os.fsync(dst.fileno())
    except OSError as exc:
        raise ModelError(f"Could not copy {source.name} into the model folder: {exc}") from exc
    shutil.copystat(source, target)
    return digest.hexdigest()


def _copy_folder_files(source: Path, target: Path, *, skip: str) -> None:
    """Every other file of a transformers folder (config, processor, weight shards)."""
    for path in sorted(source.iterdir()):
        if path.is_file() and path.name != skip and not path.name.startswith("."):
            _copy_with_hash(path, target / path.name)


def _default_languages(plan: _Plan) -> frozenset[str]:
    if plan.languages is not None:
        return plan.languages
    if plan.backend == Backend.CN_CLIP:
        return frozenset({"zh"})
    text = json.dumps(plan.config or {}).lower() + plan.arch.lower()
    return frozenset({"*"}) if any(h in text for h in MULTILINGUAL_HINTS) else frozenset({"en"})


def _unique_slug(root: Path, text: str) -> str:
    base = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:48].strip("-") or "model"
    slug, n = base, 2
    while (root / slug).exists():
        slug, n = f"{base}-{n}", n + 1
    return slug


__all__ = ["InvalidCheckpoint", "UnknownArchitecture", "import_model"]
