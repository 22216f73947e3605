"""Fixtures for the model tests: real architectures with random weights, built once."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.fixtures.tiny_models import random_real_cn_clip, random_real_open_clip

CN_ARCH = "RN50"  # the smallest built-in Chinese CLIP (77 M parameters)
CN_FILE = "clip_cn_rn50.pt"
OC_ARCH = "ViT-B-32"
OC_ID = "open_clip:ViT-B-32/laion2b_s34b_b79k"


@pytest.fixture(scope="session")
def real_cn_clip_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """cn_clip RN50 with random weights, saved as its release file ``clip_cn_rn50.pt``."""
    return random_real_cn_clip(CN_ARCH, tmp_path_factory.mktemp("cn-rn50") / CN_FILE)


@pytest.fixture(scope="session")
def real_open_clip_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """open_clip ViT-B-32 with random weights, saved under the registry's file name."""
    from clipdesk.core.models.registry import ModelRegistry
    from clipdesk.paths import DataPaths

    info = ModelRegistry(DataPaths(Path("unused"))).get(OC_ID)
    assert info.filename is not None
    return random_real_open_clip(OC_ARCH, tmp_path_factory.mktemp("oc-b32") / info.filename)


@pytest.fixture(scope="session")
def photos(coco_mini: Path) -> list[Path]:
    """Twelve real photos from coco-mini, in a fixed order."""
    images = sorted((coco_mini / "images").glob("*.jpg"))[:12]
    assert len(images) == 12
    return images
