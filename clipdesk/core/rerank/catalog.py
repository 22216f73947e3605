"""The vision-language models clipdesk can check hits with: built in (downloaded as a whole
Hugging Face repository, like the ``hf:`` CLIP models) or a local ``save_pretrained`` folder.

Ids are ``vlm:<repository>``; a path to a folder is accepted wherever an id is. Sizes are the
weights' download sizes; the CPU speed is a rough figure for one photo on a recent 4-core CPU, so
that the app can say how long a check will take before it starts.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from clipdesk.core.errors import ModelError, UnknownModel, WeightsMissing

if TYPE_CHECKING:
    from clipdesk.core.jobs import CancelToken
    from clipdesk.paths import DataPaths

PREFIX = "vlm:"
CPU_SECONDS_PER_GB = 2.5  # a rough CPU cost per photo per GB of weights
GPU_SECONDS_PER_GB = 0.02


@dataclass(frozen=True)
class VlmModel:
    model_id: str
    display_name: str
    download_size: int  # bytes
    licence: str
    description: str
    repo: str | None = None  # built in: the Hugging Face repository
    folder: Path | None = None  # a local folder

    @property
    def cpu_friendly(self) -> bool:
        return self.download_size < 1_500_000_000

    def seconds_per_photo(self, device: str) -> float:
        """A rough estimate, for the warning before a check starts."""
        per_gb = GPU_SECONDS_PER_GB if device in ("cuda", "mps") else CPU_SECONDS_PER_GB
        return max(0.05, self.download_size / 1e9 * per_gb)


def repo_model(prefix: str, repo: str, name: str, size: int, licence: str,
               description: str) -> VlmModel:
    """A built-in model that is a Hugging Face repository, with its id ``<prefix><repo>``."""
    return VlmModel(f"{prefix}{repo}", name, size, licence, description, repo=repo)


def read_model_type(folder: Path, supported: Sequence[str], kind: str) -> str:
    """The ``model_type`` of a model folder's ``config.json`` if it is one of ``supported``;
    :class:`ModelError` naming the ``kind`` of model wanted otherwise."""
    try:
        config = json.loads((Path(folder) / "config.json").read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise ModelError(f"{folder} is not a model folder (no readable config.json: {exc}).") \
            from exc
    found = config.get("model_type") if isinstance(config, dict) else None
    if found not in supported:
        raise ModelError(f"{Path(folder).name} is not a supported {kind} (model_type "
                         f"{found!r}; supported: {', '.join(supported)}).")
    return str(found)


def _vlm(repo: str, name: str, size: int, licence: str, description: str) -> VlmModel:
    return repo_model(PREFIX, repo, name, size, licence, description)


BUILTIN_VLMS: tuple[VlmModel, ...] = (
    _vlm("HuggingFaceTB/SmolVLM-256M-Instruct", "SmolVLM 256M", 513_000_000, "Apache-2.0",
         "The smallest; usable on a CPU (English questions)."),
    _vlm("HuggingFaceTB/SmolVLM-500M-Instruct", "SmolVLM 500M", 1_020_000_000, "Apache-2.0",
         "Small and more accurate; usable on a CPU (English questions)."),
    _vlm("llava-hf/llava-onevision-qwen2-0.5b-ov-hf", "LLaVA-OneVision 0.5B", 1_790_000_000,
         "Apache-2.0", "LLaVA-OneVision with a Qwen2 0.5B language model (Chinese and English)."),
    _vlm("Qwen/Qwen2-VL-2B-Instruct", "Qwen2-VL 2B", 4_420_000_000, "Apache-2.0",
         "Chinese and English; a GPU recommended."),
    _vlm("Qwen/Qwen2.5-VL-3B-Instruct", "Qwen2.5-VL 3B", 7_510_000_000, "Qwen Research",
         "Chinese and English, the strongest small one; needs a GPU."),
    _vlm("llava-hf/llava-1.5-7b-hf", "LLaVA 1.5 7B", 14_100_000_000, "Llama 2",
         "The seed study's LLaVA; needs a GPU with 16 GB."),
)


def builtin_vlms() -> list[VlmModel]:
    return list(BUILTIN_VLMS)


def find_vlm(spec: str) -> VlmModel:
    """The vision-language model of an id, or of a local folder path."""
    from clipdesk.core.rerank.vlm import read_family

    return find_local_model(spec, BUILTIN_VLMS, read_family, PREFIX,
                            "vision-language model")


def find_local_model(spec: str, builtins: Sequence[VlmModel], check: Callable[[Path], object],
                     prefix: str, kind: str) -> VlmModel:
    """The model of ``spec`` among ``builtins``, or a folder that ``check`` accepts (it raises
    a clear :class:`ModelError` for a folder of another kind)."""
    for model in builtins:
        if model.model_id == spec:
            return model
    folder = Path(spec).expanduser()
    if not spec.startswith(prefix) and folder.is_dir():
        check(folder)
        size = sum(p.stat().st_size for p in folder.glob("*.safetensors")) or sum(
            p.stat().st_size for p in folder.glob("*.bin"))
        return VlmModel(f"{prefix}{folder.resolve()}", folder.name, size, "", "", folder=folder)
    known = ", ".join(m.model_id for m in builtins)
    raise UnknownModel(f"There is no {kind} {spec!r}. Known: {known}; or give the path of a "
                       "model folder.")


def vlm_folder(model: VlmModel, paths: DataPaths) -> Path:
    if model.folder is not None:
        return model.folder
    from clipdesk.core.models.hf_repo import local_folder

    assert model.repo is not None
    return local_folder(paths.model_dir, model.repo)


def is_available(model: VlmModel, paths: DataPaths) -> bool:
    from clipdesk.core.models.hf_repo import complete_files

    return model.folder is not None or complete_files(vlm_folder(model, paths)) is not None


def ensure_vlm(model: VlmModel, paths: DataPaths, *, download: bool = False,
               progress: Callable[[int, int], None] | None = None,
               token: CancelToken | None = None) -> Path:
    """The model's folder, downloaded first when asked (resumable, SHA-256 checked)."""
    from clipdesk.core.models import hf_repo
    from clipdesk.core.models.weights import fetch_repo, hf_endpoint

    folder = vlm_folder(model, paths)
    if is_available(model, paths):
        damaged = [] if model.folder is not None else hf_repo.verify_folder(folder, token)
        if not damaged:
            return folder
        if not download:
            raise ModelError(f"{', '.join(damaged)} of {model.display_name} is damaged; "
                             "download it again.")
    url = f"{hf_endpoint()}/{model.repo}"
    if not download:
        raise WeightsMissing(f"{model.display_name} is not on this computer; download it "
                             f"(clipdesk-cli models download {model.model_id}), or save the "
                             f"repository {url} into a folder and give its path.")
    assert model.repo is not None
    return fetch_repo(model.repo, folder, lambda why: (
        f"{model.display_name} could not be downloaded ({why}). Save the repository {url} into "
        "a folder and give its path."), progress=progress, token=token)
