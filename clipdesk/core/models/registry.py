"""All models clipdesk knows: the built-in table plus the user's imported models.

Imported models live in ``DataPaths.user_model_dir/<slug>/`` with a ``manifest.json`` that
describes them; file names in a manifest are relative to its folder (so the data folder can move),
except a checkpoint that was referenced rather than copied, which is absolute.
"""

from __future__ import annotations

import logging
import os
import shutil
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from clipdesk.core.errors import ModelError, UnknownModel
from clipdesk.core.models.base import Backend, ModelInfo
from clipdesk.core.models.builtin import BUILTIN_MODELS, DEFAULT_MODEL_ID
from clipdesk.core.models.manifest import (
    MANIFEST,
    USER_PREFIX,
    read_manifest,
)
from clipdesk.paths import DataPaths

if TYPE_CHECKING:
    from clipdesk.core.jobs import CancelToken

log = logging.getLogger(__name__)



class ModelRegistry:
    """Built-in and imported models of one data folder. Cheap to create; reads manifests lazily."""

    def __init__(self, paths: DataPaths) -> None:
        self.paths = paths
        self._builtin = {info.model_id: info for info in BUILTIN_MODELS}
        self._sharing: tuple[int, dict[str, str]] | None = None

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

    def image_sharing(self) -> dict[str, str]:
        """``{model id: image model id}`` for every model that uses another model's image
        vectors (a text tower such as Taiyi-CLIP). Cheap: recomputed only when the imported
        models' folder changes."""
        folder = self.paths.user_model_dir
        try:
            stamp = folder.stat().st_mtime_ns
        except OSError:
            stamp = 0
        if self._sharing is None or self._sharing[0] != stamp:
            self._sharing = (stamp, {i.model_id: i.image_model for i in self.all()
                                     if i.shares_images})
        return dict(self._sharing[1])

    def partners(self, model_id: str) -> list[ModelInfo]:
        """The other models that search the same image vectors as ``model_id``."""
        space = self.get(model_id).image_model
        return [i for i in self.all() if i.image_model == space and i.model_id != model_id]

    def default(self) -> ModelInfo:
        return self._builtin[DEFAULT_MODEL_ID]

    # -- weights ------------------------------------------------------------------------------

    def weights_path(self, info: ModelInfo) -> Path | None:
        """The weights file of ``info`` on this computer, or ``None`` when it is missing."""
        from clipdesk.core.models.weights import find_weights

        return find_weights(info, self.paths)

    def ensure(self, info: ModelInfo, *, download: bool = False,
               progress: Callable[[int, int], None] | None = None,
               token: CancelToken | None = None) -> tuple[Path, Path | None]:
        """The checked weights of ``info`` and, for a text tower, of its image model (``None``
        otherwise); downloads what is missing when ``download`` is true. Raises as
        :func:`~clipdesk.core.models.weights.ensure_weights` does."""
        from clipdesk.core.models.weights import ensure_weights

        own = ensure_weights(info, self.paths, download=download, progress=progress,
                             token=token)
        if not info.shares_images:
            return own, None
        partner = self.get(info.image_model)
        return own, ensure_weights(partner, self.paths, download=download, progress=progress,
                                   token=token)

    def is_available(self, info: ModelInfo) -> bool:
        """Whether ``info`` can load without a download (with the image model it shares)."""
        if self.weights_path(info) is None:
            return False
        return not info.shares_images or self.is_available(self.get(info.image_model))

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
        image_model: str | None = None,
    ) -> ModelInfo:
        """Import a local checkpoint as ``user:<slug>`` after building and loading it once.

        ``checkpoint`` is a weights file (``.safetensors``, ``.pt``, ``.pth``, ``.bin``) or a
        folder holding ``open_clip_config.json`` and weights, or a transformers
        ``save_pretrained`` folder (CLIP, Chinese-CLIP, AltCLIP, SigLIP; copied whole). With
        ``config`` (an OpenCLIP model config JSON or a Chinese CLIP config JSON) the
        architecture comes from it; otherwise ``arch`` names a built-in architecture
        (``ViT-B-16``, ``cn_clip:RN50``, ``open_clip:ViT-B-32``), and without either it is
        recognised from the weights' shapes.
        A text tower (Taiyi-CLIP's ``BertForSequenceClassification`` folder) names
        ``image_model``, the model whose image vectors it searches.
        Files are copied into the data folder unless ``copy`` is false.
        Raises :class:`InvalidCheckpoint` for a file that is not valid weights for the model.
        """
        from clipdesk.core.models.importer import import_model

        return import_model(
            self.paths, Path(checkpoint), config=Path(config) if config else None,
            backend=Backend(backend) if backend else None, arch=arch, name=name,
            languages=languages, description=description, copy=copy,
            image_model=self.get(image_model) if image_model else None,
        )

    def remove(self, model_id: str) -> None:
        """Delete an imported model (its folder in the data folder; never the original file)."""
        info = self.get(model_id)
        if not info.user:
            raise ModelError(f"{model_id} is built in and cannot be removed.")
        shutil.rmtree(self.paths.user_model_dir / model_id[len(USER_PREFIX):])


# -- manifests ------------------------------------------------------------------------------------
