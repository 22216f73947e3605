"""Fixtures shared by the whole test suite."""

from __future__ import annotations

from pathlib import Path

import pytest

from clipdesk.paths import DataPaths

REPO_ROOT = Path(__file__).resolve().parents[1]
COCO_MINI = REPO_ROOT.parent / "shared" / "photos" / "coco-mini"


@pytest.fixture(scope="session")
def coco_mini() -> Path:
    """The real photos of ``../shared/photos/coco-mini``; skips when they are not there."""
    if not (COCO_MINI / "images").is_dir():
        pytest.skip("../shared/photos/coco-mini is not present")
    return COCO_MINI


@pytest.fixture
def data_paths(tmp_path: Path) -> DataPaths:
    """A fresh, empty clipdesk data folder."""
    return DataPaths(tmp_path / "data").ensure()


# -- tiny CLIP models (owner: models) ---------------------------------------------------------
# Built once per session (random weights, real file formats), imported through the normal
# ModelRegistry.import_model path into a template data folder; each test gets a copy of the
# imported model folder in its own ``data_paths`` (no re-validation, a few MB of copying).


@pytest.fixture(scope="session")
def _tiny_model_template(tmp_path_factory: pytest.TempPathFactory) -> DataPaths:
    from clipdesk.core.models.registry import ModelRegistry
    from tests.fixtures.tiny_models import build_tiny_cn_clip, build_tiny_open_clip

    root = tmp_path_factory.mktemp("tiny-models")
    template = DataPaths(root / "data").ensure()
    registry = ModelRegistry(template)
    config, weights = build_tiny_open_clip(root / "src")
    registry.import_model(weights, config=config, name="tiny-open-clip")
    config, weights = build_tiny_cn_clip(root / "src")
    registry.import_model(weights, config=config, name="tiny-cn-clip")
    return template


def _install_tiny(template: DataPaths, paths: DataPaths, model_id: str):  # -> ModelInfo
    import shutil

    from clipdesk.core.models.registry import ModelRegistry

    slug = model_id.split(":", 1)[1]
    target = paths.user_model_dir / slug
    if not target.exists():
        shutil.copytree(template.user_model_dir / slug, target)
    return ModelRegistry(paths).get(model_id)


@pytest.fixture
def tiny_open_clip(_tiny_model_template: DataPaths, data_paths: DataPaths):  # -> ModelInfo
    """``user:tiny-open-clip`` (OpenCLIP, 32-d, 64 px, random weights) in ``data_paths``."""
    from tests.fixtures.tiny_models import TINY_OPEN_CLIP_ID

    return _install_tiny(_tiny_model_template, data_paths, TINY_OPEN_CLIP_ID)


@pytest.fixture
def tiny_cn_clip(_tiny_model_template: DataPaths, data_paths: DataPaths):  # -> ModelInfo
    """``user:tiny-cn-clip`` (Chinese CLIP, 32-d, 64 px, random weights) in ``data_paths``."""
    from tests.fixtures.tiny_models import TINY_CN_CLIP_ID

    return _install_tiny(_tiny_model_template, data_paths, TINY_CN_CLIP_ID)


@pytest.fixture(scope="session")
def tiny_hf_folders(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """transformers ``save_pretrained`` folders (random weights, 24-d, 64 px), by family:
    ``clip`` (folder ``tiny-clip``) and ``chinese_clip`` (``tiny-chinese_clip``). Read-only:
    tests import them (which copies) and never change them."""
    from tests.fixtures.tiny_hf_models import FAMILIES, build_tiny_hf

    root = tmp_path_factory.mktemp("tiny-hf")
    return {family: build_tiny_hf(root / f"tiny-{family}", family, seed=1 + i)
            for i, family in enumerate(FAMILIES)}


@pytest.fixture
def signs(coco_mini: Path, tmp_path: Path) -> dict[str, Path]:
    """Six coco-mini photos in ``signs["folder"]``: ``invoice`` shows 增值税发票 on a sign,
    ``exit`` shows EMERGENCY EXIT, four show no added text (see tests/fixtures/signs.py)."""
    from tests.fixtures.signs import make_signs

    return make_signs(coco_mini, tmp_path / "photos")
