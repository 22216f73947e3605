"""Static checks that belong to the test run: the layer contract, lint and types."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


def _run(*cmd: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, timeout=600)


def test_core_imports_no_qt_contract() -> None:
    """import-linter: clipdesk.core imports no PySide6 and no clipdesk.gui."""
    result = _run(str(BIN / "lint-imports"), "--no-cache")
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize(
    "module",
    [
        "clipdesk",
        "clipdesk.core",
        "clipdesk.core.search",
        "clipdesk.core.engine",
        "clipdesk.config",
        "clipdesk.cli",
        "clipdesk.launch",
        "clipdesk.core.indexer",
        "clipdesk.core.pipeline.embed",
    ],
)
def test_importing_loads_no_torch_faiss_or_qt(module: str) -> None:
    code = (
        f"import sys, {module}; heavy = [m for m in ('torch', 'faiss', 'PySide6', "
        f"'open_clip', 'cn_clip', 'transformers') if m in sys.modules]; print(','.join(heavy))"
    )
    result = _run(sys.executable, "-c", code)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "", f"{module} imports {result.stdout.strip()}"


def test_decode_workers_import_neither_numpy_nor_anything_heavy() -> None:
    """A worker process is ready a tenth of a second after it is spawned, and small."""
    code = (
        "import sys, clipdesk.core.pipeline.worker; heavy = [m for m in ('numpy', 'torch', "
        "'faiss', 'PySide6', 'sqlalchemy', 'open_clip') if m in sys.modules]; "
        "print(','.join(heavy))"
    )
    result = _run(sys.executable, "-c", code)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "", f"the worker imports {result.stdout.strip()}"


def test_ruff_clean() -> None:
    result = _run(str(BIN / "ruff"), "check", "clipdesk", "tests")
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.slow
def test_mypy_strict_on_the_whole_package() -> None:
    result = _run(sys.executable, "-m", "mypy")
    assert result.returncode == 0, result.stdout + result.stderr
