"""Where clipdesk keeps its files: one data folder, from platformdirs or an override.

``CLIPDESK_DATA_DIR`` (or ``--data-dir`` in the CLI) replaces the platform default, which lets
tests and portable installs keep everything in one folder.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

ENV_DATA_DIR = "CLIPDESK_DATA_DIR"
APP_NAME = "clipdesk"


def default_data_dir() -> Path:
    override = os.environ.get(ENV_DATA_DIR)
    if override:
        return Path(override).expanduser()
    import platformdirs

    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))


@dataclass(frozen=True)
class DataPaths:
    """The files and folders inside one data folder."""

    root: Path

    @classmethod
    def resolve(cls, data_dir: str | os.PathLike[str] | None = None) -> DataPaths:
        return cls(Path(data_dir).expanduser() if data_dir else default_data_dir())

    @property
    def database(self) -> Path:
        return self.root / "library.sqlite3"

    @property
    def lock_file(self) -> Path:
        return self.root / "writer.lock"

    @property
    def vector_dir(self) -> Path:
        return self.root / "vectors"

    @property
    def thumbnail_dir(self) -> Path:
        return self.root / "thumbnails"

    @property
    def model_dir(self) -> Path:
        return self.root / "models"

    @property
    def user_model_dir(self) -> Path:
        return self.root / "models" / "user"

    @property
    def log_dir(self) -> Path:
        return self.root / "logs"

    @property
    def settings_file(self) -> Path:
        return self.root / "settings.json"

    def ensure(self) -> DataPaths:
        for folder in (self.root, self.vector_dir, self.thumbnail_dir, self.model_dir,
                       self.user_model_dir, self.log_dir):
            folder.mkdir(parents=True, exist_ok=True)
        return self
