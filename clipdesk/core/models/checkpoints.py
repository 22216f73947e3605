"""Reading checkpoint files safely, and saying in one sentence why a file is not usable.

Only two readers exist: safetensors, and ``torch.load(weights_only=True)``, which refuses pickles
that would run code. Nothing here ever calls a bare ``torch.load``.
"""

from __future__ import annotations

import pickle
from pathlib import Path
from typing import TYPE_CHECKING, Any

from clipdesk.core.errors import InvalidCheckpoint

if TYPE_CHECKING:
    import torch

CHECKPOINT_SUFFIXES = (".safetensors", ".pt", ".pth", ".bin", ".ckpt")


def load_state_dict(path: Path) -> dict[str, torch.Tensor]:
    """The tensors of a checkpoint: safetensors, or a weights-only PyTorch pickle.

    Training checkpoints that wrap the weights (``{"state_dict": ..., "epoch": ...}``) are
    unwrapped and a DataParallel ``module.`` prefix is removed. Raises :class:`InvalidCheckpoint`.
    """
    path = Path(path)
    try:
        raw = _read(path)
    except Exception as exc:
        raise InvalidCheckpoint(explain_load_error(path, "a CLIP model", exc)) from exc
    state = raw.get("state_dict", raw) if isinstance(raw, dict) else raw
    if not isinstance(state, dict) or not state:
        raise InvalidCheckpoint(
            f"{path.name} is not a model checkpoint: it holds no named weights.")
    import torch

    tensors = {str(k): v for k, v in state.items() if isinstance(v, torch.Tensor)}
    if not tensors:
        raise InvalidCheckpoint(
            f"{path.name} is not a model checkpoint: it holds no named weights.")
    if all(k.startswith("module.") for k in tensors):
        tensors = {k[len("module."):]: v for k, v in tensors.items()}
    return tensors


def _read(path: Path) -> Any:
    if path.suffix == ".safetensors":
        from safetensors.torch import load_file

        return load_file(str(path), device="cpu")
    import torch

    with path.open("rb") as f:
        return torch.load(f, map_location="cpu", weights_only=True)


def explain_load_error(path: Path, what: str, exc: BaseException) -> str:
    """One sentence for the person: why ``path`` could not be loaded as ``what``.

    ``what`` names the architecture, e.g. ``"the OpenCLIP ViT-B-32 architecture"``.
    """
    name = Path(path).name
    text = str(exc)
    low = text.lower()
    if isinstance(exc, InvalidCheckpoint):
        return text
    if isinstance(exc, pickle.UnpicklingError) and "global" in low:
        return (f"{name} was not loaded: it contains Python objects besides plain weights, "
                "and clipdesk only loads weights-only checkpoints (safetensors or a "
                "weights-only PyTorch file) for safety.")
    if isinstance(exc, FileNotFoundError):
        return f"{name} does not exist."
    if isinstance(exc, PermissionError):
        return f"{name} cannot be read (permission denied)."
    mismatch = ("size mismatch", "missing key", "unexpected key", "error(s) in loading state_dict")
    if any(m in low for m in mismatch):
        return f"{name} is a checkpoint, but its weights do not match {what}."
    if isinstance(exc, (KeyError, AttributeError, TypeError, StopIteration)):
        return f"{name} is not a checkpoint for {what}: it does not hold a model's weights."
    return (f"{name} is not a valid checkpoint: the file is damaged, incomplete, or not a "
            "PyTorch/safetensors weights file.")
