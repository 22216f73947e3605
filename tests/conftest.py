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
