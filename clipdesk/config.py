"""Typed, versioned settings, stored as JSON in the data folder (Qt-free).

A settings file that is unreadable or from the future never stops the app: bad values fall back to
their defaults (logged), and a file that is not JSON is kept aside as ``settings.json.bad``.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import os
import tempfile
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

SETTINGS_VERSION = 2
DEVICES = ("auto", "cpu", "cuda", "mps")
UI_LANGUAGES = ("system", "en", "zh_CN")


@dataclass
class Settings:
    version: int = SETTINGS_VERSION
    model_id: str = "cn_clip:ViT-B-16"  # the model that indexes and searches by default
    device: str = "auto"
    batch_size: int = 0  # 0: chosen by the device
    thumbnail_size: int = 256
    max_megapixels: int = 200  # larger images are refused as decompression bombs
    decode_workers: int = 0  # decode worker processes; 0: one per CPU core
    gpu_decode: bool = True  # on CUDA, let the GPU decode plain JPEGs
    search_threshold: float = 0.0
    top_k: int = 200
    ui_language: str = "system"
    search_mode: str = "auto"  # which model(s) answer in every panel: "auto", an id, or "A+B"
    read_text: bool = False  # indexing also reads the text in photos (OCR), to search by it

    def validated(self) -> Settings:
        """A copy with every out-of-range value replaced by its default."""
        default = Settings()
        out = dataclasses.replace(self)
        checks: dict[str, bool] = {
            "device": self.device in DEVICES,
            "batch_size": 0 <= self.batch_size <= 4096,
            "thumbnail_size": 64 <= self.thumbnail_size <= 1024,
            "max_megapixels": 1 <= self.max_megapixels <= 10_000,
            "decode_workers": 0 <= self.decode_workers <= 256,
            "search_threshold": -1.0 <= self.search_threshold <= 1.0,
            "top_k": 1 <= self.top_k <= 1_000_000,
            "ui_language": self.ui_language in UI_LANGUAGES,
            "model_id": bool(self.model_id) and ":" in self.model_id,
            "search_mode": self.search_mode == "auto" or ":" in self.search_mode,
        }
        for name, ok in checks.items():
            if not ok:
                log.warning(
                    "setting %s=%r is invalid; using %r",
                    name,
                    getattr(self, name),
                    getattr(default, name),
                )
                setattr(out, name, getattr(default, name))
        out.version = SETTINGS_VERSION
        return out


def _upgrade(raw: dict[str, Any]) -> dict[str, Any]:
    """Settings written by an older clipdesk, in today's terms."""
    version = raw.get("version", 1)
    if isinstance(version, int) and version < 2 and raw.get("decode_workers") == 2:
        # version 1 saved its default of 2 decode threads; that default is now "one worker
        # process per core", which nobody chose against
        raw = {**raw, "decode_workers": 0}
    return raw


def _coerce(raw: dict[str, Any]) -> Settings:
    default = Settings()
    raw = _upgrade(raw)
    values: dict[str, Any] = {}
    for f in fields(Settings):
        if f.name not in raw:
            continue
        value = raw[f.name]
        expected = type(getattr(default, f.name))
        if expected is float and isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
        if type(value) is not expected:
            log.warning("setting %s has type %s; using the default", f.name, type(value).__name__)
            continue
        values[f.name] = value
    return Settings(**values).validated()


def load_settings(path: Path) -> Settings:
    """Read settings; missing file gives defaults, a corrupt one is moved aside."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return Settings()
    except OSError as exc:
        log.warning("cannot read settings %s: %s", path, exc)
        return Settings()
    try:
        raw = json.loads(text)
        if not isinstance(raw, dict):
            raise ValueError("not a JSON object")
    except ValueError as exc:
        log.warning("settings file %s is not valid (%s); keeping it as .bad", path, exc)
        path.replace(path.with_name(path.name + ".bad"))
        return Settings()
    return _coerce(raw)


def save_settings(settings: Settings, path: Path) -> None:
    """Write settings atomically (temp file, fsync, rename)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    data = json.dumps(dataclasses.asdict(settings.validated()), indent=2, ensure_ascii=False)
    fd, tmp = tempfile.mkstemp(prefix=".settings-", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
