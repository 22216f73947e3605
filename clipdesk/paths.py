"""Where clipdesk keeps its files: one data folder, from platformdirs or an override.

``CLIPDESK_DATA_DIR`` (or ``--data-dir`` in the CLI) replaces the platform default, which lets
tests and portable installs keep everything in one folder.

The data folder is private: on POSIX systems its folders are created 0700 and its files 0600
(an existing, more open data folder is tightened when it is opened), so no other user of the
computer can read the library, the log, or test whether a known photo is in the thumbnails.
"""

from __future__ import annotations

import contextlib
import os
import stat
from dataclasses import dataclass
from pathlib import Path

ENV_DATA_DIR = "CLIPDESK_DATA_DIR"
APP_NAME = "clipdesk"
PRIVATE_DIR = 0o700
PRIVATE_FILE = 0o600
_POSIX = os.name == "posix"


def make_private_dir(folder: Path) -> Path:
    """``mkdir -p folder`` with the new levels 0700; an existing ``folder`` of this user that
    others can read is tightened to 0700. Returns ``folder``."""
    missing: list[Path] = []
    level = folder
    while not level.exists() and level != level.parent:
        missing.append(level)
        level = level.parent
    for new in reversed(missing):  # "mkdir -p" would give the upper levels the default mode
        new.mkdir(mode=PRIVATE_DIR, exist_ok=True)
    _tighten(folder, PRIVATE_DIR)
    return folder


def create_private_file(path: Path) -> bool:
    """Create ``path`` empty and 0600 if it does not exist (so that what is written into it
    later -- by SQLite, say -- is private from the start). True when it was created."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0),
                     PRIVATE_FILE)
    except FileExistsError:
        return False
    os.close(fd)
    return True


def make_private(path: Path) -> None:
    """Tighten an existing file of this user to 0600 (no error when it is not there)."""
    _tighten(path, PRIVATE_FILE)


def _tighten(path: Path, mode: int) -> None:
    if not _POSIX:
        return
    with contextlib.suppress(OSError):
        st = path.stat()
        if st.st_uid == os.getuid() and stat.S_IMODE(st.st_mode) & 0o077:
            path.chmod(mode)


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
    def backup_dir(self) -> Path:
        return self.root / "backups"

    @property
    def log_dir(self) -> Path:
        return self.root / "logs"

    @property
    def settings_file(self) -> Path:
        return self.root / "settings.json"

    @property
    def window_state_file(self) -> Path:
        """The window's size, splitters and docks (Qt's INI settings)."""
        return self.root / "window.ini"

    def ensure(self) -> DataPaths:
        """Create the data folder and its folders, private; tighten what an older version
        left readable by others."""
        for folder in (self.root, self.vector_dir, self.thumbnail_dir, self.model_dir,
                       self.user_model_dir, self.log_dir):
            make_private_dir(folder)
        for name in (self.database.name, f"{self.database.name}-wal",
                     f"{self.database.name}-shm", self.settings_file.name, self.lock_file.name,
                     self.window_state_file.name):
            make_private(self.root / name)
        return self
