"""A user model's ``manifest.json``: what clipdesk knows about a model folder it imported.

Shared by :mod:`.registry` (which lists and loads user models) and :mod:`.importer` (which writes
them), so neither imports the other.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

from clipdesk.core.models.base import Backend, ModelInfo

MANIFEST = "manifest.json"
MANIFEST_FORMAT = 1
USER_PREFIX = "user:"


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
