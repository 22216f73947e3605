"""Fixtures of the GUI tests. Qt runs offscreen: set before anything imports Qt."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
# QSettings() (window geometry, ...) must never write into the real user's config folder
os.environ["XDG_CONFIG_HOME"] = tempfile.mkdtemp(prefix="clipdesk-test-config-")

import pytest

from clipdesk.paths import DataPaths

GUI_DIR = Path(__file__).resolve().parent


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Every test under tests/gui gets the ``gui`` marker (``-m "not gui"`` skips them)."""
    for item in items:
        if GUI_DIR in Path(str(item.fspath)).resolve().parents:
            item.add_marker(pytest.mark.gui)


@pytest.fixture(autouse=True)
def _english_ui(qapp: Any) -> Iterator[None]:
    """Every GUI test sees the English UI as a person does (its plural forms: "1 photo",
    "2 photos"), whatever an earlier test installed (a Chinese window, a started app)."""
    from clipdesk.gui.i18n import install_translators

    install_translators(qapp, "en")
    yield


@pytest.fixture(autouse=True)
def _no_modal_error_dialogs(monkeypatch: pytest.MonkeyPatch) -> None:
    """Error dialogs are recorded (clipdesk.gui.dialogs.errors.last_errors()), never shown:
    a modal dialog would block the test."""
    from clipdesk.gui.dialogs import errors

    monkeypatch.setattr(errors, "dialogs_enabled", False)


@pytest.fixture
def gui_engine(data_paths: DataPaths, tiny_open_clip: Any) -> Any:  # -> Engine
    """An Engine on ``data_paths`` whose current model is ``user:tiny-open-clip`` on the CPU."""
    from clipdesk.core.engine import Engine

    engine = Engine(data_paths)
    engine.settings.model_id = tiny_open_clip.model_id
    engine.settings.device = "cpu"
    engine.settings.batch_size = 8
    engine.settings.thumbnail_size = 64
    engine.settings.decode_workers = 2
    engine.save_settings()
    return engine


@pytest.fixture
def app_context(qtbot: Any, gui_engine: Any) -> Iterator[Any]:  # -> AppContext
    """An AppContext over ``gui_engine``; shut down (threads stopped) after the test."""
    from clipdesk.gui.context import AppContext

    context = AppContext(gui_engine)
    yield context
    context.shutdown(10_000)


@pytest.fixture
def coco_photos(coco_mini: Path, tmp_path: Path) -> Any:  # -> Callable[[int], Path]
    """``coco_photos(n)``: a fresh folder with ``n`` coco-mini photos copied into it."""
    import shutil

    sources = sorted((coco_mini / "images").glob("*.jpg"))

    def make(n: int, name: str = "photos") -> Path:
        folder = tmp_path / name
        folder.mkdir(parents=True, exist_ok=True)
        for src in sources[:n]:
            shutil.copy2(src, folder / src.name)
        return folder

    return make


# -- search panels (GUI-B) --------------------------------------------------------------------


@pytest.fixture
def indexed_context(app_context: Any, coco_photos: Any) -> Any:  # -> AppContext
    """``app_context`` whose library holds 20 coco-mini photos indexed with the tiny model,
    which is loaded (ready). ``indexed_context.photo_folder`` is their folder."""
    engine = app_context.engine
    folder = coco_photos(20)
    encoder = app_context.load_encoder(engine.settings.model_id)
    with engine.library(write=True) as library:
        engine.indexer(library, encoder).run([folder])
    app_context.photo_folder = folder
    return app_context
