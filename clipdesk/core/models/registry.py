"""All models clipdesk knows: the built-in table plus the user's imported models.

Imported models live in ``DataPaths.user_model_dir/<slug>/`` with a ``manifest.json`` that
describes them; file names in a manifest are relative to its folder (so the data folder can move),
except a checkpoint that was referenced rather than copied, which is absolute.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from clipdesk.core.errors import ModelError, UnknownModel
from clipdesk.core.models.base import Backend, ModelInfo
from clipdesk.core.models.builtin import BUILTIN_MODELS, DEFAULT_MODEL_ID
from clipdesk.paths import DataPaths

log = logging.getLogger(__name__)

MANIFEST = "manifest.json"
MANIFEST_FORMAT = 1
USER_PREFIX = "user:"


class ModelRegistry:
    """Built-in and imported models of one data folder. Cheap to create; reads manifests lazily."""

    def __init__(self, paths: DataPaths) -> None:
        self.paths = paths
        self._builtin = {info.model_id: info for info in BUILTIN_MODELS}

    # -- listing ------------------------------------------------------------------------------

    def all(self) -> list[ModelInfo]:
        """Built-in models in table order, then imported models by name."""
        return [*self._builtin.values(), *self.user_models()]

    def models(self, *, user: bool | None = None, backend: Backend | None = None,
               language: str | None = None) -> list[ModelInfo]:
        """Models filtered by origin (``user=True`` imported only), backend and language."""
        out = self.all()
        if user is not None:
            out = [i for i in out if i.user == user]
        if backend is not None:
            out = [i for i in out if i.backend == backend]
        if language is not None:
            out = [i for i in out if i.speaks(language)]
        return out

    def builtins(self) -> list[ModelInfo]:
        return list(self._builtin.values())

    def user_models(self) -> list[ModelInfo]:
        folder = self.paths.user_model_dir
        if not folder.is_dir():
            return []
        out = []
        for manifest in sorted(folder.glob(f"*/{MANIFEST}")):
            try:
                out.append(read_manifest(manifest))
            except (OSError, ValueError, KeyError, TypeError) as exc:
                log.warning("ignoring unreadable model manifest %s: %s", manifest, exc)
        return sorted(out, key=lambda i: i.display_name.lower())

    def get(self, model_id: str) -> ModelInfo:
        """The model with this id; :class:`UnknownModel` names the ids that exist."""
        info = self._builtin.get(model_id)
        if info is not None:
            return info
        if model_id.startswith(USER_PREFIX):
            manifest = self.paths.user_model_dir / model_id[len(USER_PREFIX):] / MANIFEST
            if manifest.is_file():
                try:
                    return read_manifest(manifest)
                except (OSError, ValueError, KeyError, TypeError) as exc:
                    raise ModelError(f"The imported model {model_id} is damaged ({exc}); "
                                     "import it again.") from exc
        known = ", ".join(i.model_id for i in self.all())
        raise UnknownModel(f"There is no model {model_id!r}. Known models: {known}.")

    def default(self) -> ModelInfo:
        return self._builtin[DEFAULT_MODEL_ID]

    # -- weights ------------------------------------------------------------------------------

    def weights_path(self, info: ModelInfo) -> Path | None:
        """The weights file of ``info`` on this computer, or ``None`` when it is missing."""
        from clipdesk.core.models.weights import find_weights

        return find_weights(info, self.paths)

    def is_available(self, info: ModelInfo) -> bool:
        return self.weights_path(info) is not None

    # -- user models --------------------------------------------------------------------------

    def import_model(
        self,
        checkpoint: str | os.PathLike[str],
        *,
        config: str | os.PathLike[str] | None = None,
        backend: Backend | str | None = None,
        arch: str | None = None,
        name: str | None = None,
        languages: Sequence[str] | None = None,
        description: str = "",
        copy: bool = True,
    ) -> ModelInfo:
        """Import a local checkpoint as ``user:<slug>`` after building and loading it once.

        ``checkpoint`` is a weights file (``.safetensors``, ``.pt``, ``.pth``, ``.bin``) or a
        folder holding ``open_clip_config.json`` and weights. With ``config`` (an OpenCLIP model
        config JSON or a Chinese CLIP config JSON) the architecture comes from it; otherwise
        ``arch`` names a built-in architecture (``ViT-B-16``, ``cn_clip:RN50``,
        ``open_clip:ViT-B-32``), and without either it is recognised from the weights' shapes.
        Files are copied into the data folder unless ``copy`` is false.
        Raises :class:`InvalidCheckpoint` for a file that is not valid weights for the model.
        """
        from clipdesk.core.models.importer import import_model

        return import_model(
            self.paths, Path(checkpoint), config=Path(config) if config else None,
            backend=Backend(backend) if backend else None, arch=arch, name=name,
            languages=languages, description=description, copy=copy,
        )

    def remove(self, model_id: str) -> None:
        """Delete an imported model (its folder in the data folder; never the original file)."""
        info = self.get(model_id)
        if not info.user:
            raise ModelError(f"{model_id} is built in and cannot be removed.")
        shutil.rmtree(self.paths.user_model_dir / model_id[len(USER_PREFIX):])


# -- manifests ------------------------------------------------------------------------------------


def manifest_data(info: ModelInfo, folder: Path, **more: Any) -> dict[str, Any]:
    """The JSON of a manifest for ``info`` stored in ``folder``."""

    def rel(path: Path | None) -> str | None:
        if path is None:
            return None
        try:
            return path.relative_to(folder).as_posix()
        except ValueError:
            return str(path)

    return {
        "format": MANIFEST_FORMAT,
        "id": info.model_id,
        "backend": info.backend.value,
        "arch": info.arch,
        "display_name": info.display_name,
        "languages": sorted(info.languages),
        "embed_dim": info.embed_dim,
        "image_size": info.image_size,
        "description": info.description,
        "checkpoint": rel(info.checkpoint_path),
        "config": rel(info.config_path),
        "sha256": info.sha256,
        "extra": dict(info.extra),
        **more,
    }


def read_manifest(path: Path) -> ModelInfo:
    data = json.loads(path.read_text(encoding="utf-8"))
    if int(data.get("format", 1)) > MANIFEST_FORMAT:
        raise ValueError("written by a newer clipdesk")
    folder = path.parent

    def where(value: str | None) -> Path | None:
        return None if value is None else folder / value  # absolute values stay absolute

    checkpoint = where(data["checkpoint"])
    return ModelInfo(
        model_id=f"{USER_PREFIX}{folder.name}",
        backend=Backend(data["backend"]),
        arch=str(data["arch"]),
        display_name=str(data["display_name"]),
        languages=frozenset(data["languages"]),
        embed_dim=int(data["embed_dim"]),
        image_size=int(data["image_size"]),
        description=str(data.get("description", "")),
        sha256=data.get("sha256"),
        filename=checkpoint.name if checkpoint else None,
        user=True,
        checkpoint_path=checkpoint,
        config_path=where(data.get("config")),
        extra={str(k): str(v) for k, v in dict(data.get("extra", {})).items()},
    )


def write_manifest(folder: Path, data: dict[str, Any]) -> None:
    """Write ``folder/manifest.json`` atomically."""
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=".manifest-", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(data, f, ensure_ascii=False, indent=2)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, folder / MANIFEST)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
