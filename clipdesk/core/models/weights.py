"""Finding model weights on this computer, and downloading them when asked.

A built-in model's weights live in ``DataPaths.model_dir`` under the registry's file name (for
OpenCLIP models, a ``.bin`` alternative when a repository has no safetensors file); a built-in
transformers model is a whole repository folder in ``model_dir/hf/<org>--<name>`` (see
:mod:`.hf_repo`), or the same repository already in the Hugging Face cache; a user model's
weights are its manifest's checkpoint. A file that clipdesk downloaded, or that has a pinned hash,
is checked against its SHA-256 before use (once: see the verified marker in
:mod:`clipdesk.core.models.download`). ``HF_ENDPOINT`` (e.g. a mirror) replaces the Hugging Face
host. Without a network the error says which file to download, from where, and where to put it.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from clipdesk.core.errors import DownloadError, InvalidCheckpoint, WeightsMissing
from clipdesk.core.models.builtin import HF
from clipdesk.core.models.download import (
    TIMEOUT_S,
    ByteProgress,
    NetworkUnavailable,
    NotFound,
    discard,
    download_file,
    read_marker,
    recorded_sha,
    verify_file,
)

if TYPE_CHECKING:
    from clipdesk.core.jobs import CancelToken
    from clipdesk.core.models.base import ModelInfo
    from clipdesk.paths import DataPaths

log = logging.getLogger(__name__)

__all__ = [
    "ByteProgress",
    "NetworkUnavailable",
    "WeightsSource",
    "download_file",
    "ensure_weights",
    "find_weights",
    "hf_url",
    "missing_message",
    "read_marker",
    "sources",
]


@dataclass(frozen=True)
class WeightsSource:
    """One place a model's weights can come from: a URL and the local file it is saved as."""

    url: str
    path: Path


# -- where the weights are --------------------------------------------------------------------


def hf_endpoint() -> str:
    """The Hugging Face host: ``HF_ENDPOINT`` (e.g. a mirror) when that is set."""
    return os.environ.get("HF_ENDPOINT", "").rstrip("/") or HF


def hf_url(url: str) -> str:
    """``url`` with the Hugging Face host replaced by ``HF_ENDPOINT`` when that is set."""
    if url.startswith(HF + "/"):
        return hf_endpoint() + url[len(HF):]
    return url


def fetch_repo(repo: str, folder: Path, missing: Callable[[str], str], *,
               progress: ByteProgress | None = None, token: CancelToken | None = None,
               timeout: float = TIMEOUT_S, weights_too: bool = True) -> Path:
    """:func:`~clipdesk.core.models.hf_repo.download_repo` from :func:`hf_endpoint`; without a
    network, :class:`WeightsMissing` saying ``missing(reason)``."""
    from clipdesk.core.models import hf_repo

    try:
        return hf_repo.download_repo(repo, folder, endpoint=hf_endpoint(), progress=progress,
                                     token=token, timeout=timeout, weights_too=weights_too)
    except NetworkUnavailable as exc:
        raise WeightsMissing(missing(str(exc))) from exc


def sources(info: ModelInfo, paths: DataPaths) -> list[WeightsSource]:
    """Where a built-in model's weights can come from, preferred first (empty for user models)."""
    if info.user or not info.url or not info.filename:
        return []
    out = [WeightsSource(hf_url(info.url), paths.model_dir / info.filename)]
    alt_url, alt_name = info.extra.get("alt_url"), info.extra.get("alt_filename")
    if alt_url and alt_name:
        out.append(WeightsSource(hf_url(alt_url), paths.model_dir / alt_name))
    return out


def is_repo_model(info: ModelInfo) -> bool:
    """A built-in model that is a whole transformers repository."""
    return not info.user and "hf_repo" in info.extra and info.backend.value == "hf"


def repo_folder(info: ModelInfo, paths: DataPaths) -> Path:
    """Where clipdesk keeps the repository of a built-in transformers model."""
    from clipdesk.core.models.hf_repo import local_folder

    return local_folder(paths.model_dir, info.extra["hf_repo"])


def hub_snapshot(repo: str) -> Path | None:
    """The snapshot folder of ``repo``'s main revision in the Hugging Face cache, if any."""
    from clipdesk.core.models.hf_repo import folder_name

    hub = os.environ.get("HF_HUB_CACHE") or os.path.join(
        os.environ.get("HF_HOME") or os.path.join(Path.home(), ".cache", "huggingface"), "hub")
    root = Path(hub) / f"models--{folder_name(repo)}"
    try:
        revision = (root / "refs" / "main").read_text(encoding="utf-8").strip()
    except OSError:
        return None
    snapshot = root / "snapshots" / revision
    return snapshot if snapshot.is_dir() else None


def hub_cache_folder(repo: str) -> Path | None:
    """The snapshot of ``repo`` in the Hugging Face cache, if it holds a usable folder (config
    and weights; transformers' own downloads)."""
    from clipdesk.core.models.hf_backend import is_hf_folder

    snapshot = hub_snapshot(repo)
    return snapshot if snapshot is not None and is_hf_folder(snapshot) \
        and _weights_in(snapshot) else None


def _weights_in(folder: Path) -> Path | None:
    from clipdesk.core.errors import ModelError
    from clipdesk.core.models.hf_backend import weights_file

    try:
        return weights_file(folder)
    except ModelError:
        return None


def find_weights(info: ModelInfo, paths: DataPaths) -> Path | None:
    """The weights file of ``info`` if it is on this computer (not checked further); for a
    transformers repository, its weights file in a complete folder."""
    if info.user:
        path = info.checkpoint_path
        return path if path is not None and path.is_file() else None
    if is_repo_model(info):
        from clipdesk.core.models.hf_repo import complete_files

        folder = repo_folder(info, paths)
        if complete_files(folder) is not None:
            return _weights_in(folder)
        cached = hub_cache_folder(info.extra["hf_repo"])
        return _weights_in(cached) if cached is not None else None
    if text_repo_folder(info, paths) is None and info.extra.get("hf_text_repo"):
        return None  # an OpenCLIP model whose text tower config and tokenizer are not here
    for source in sources(info, paths):
        if source.path.is_file():
            return source.path
    return None


def text_repo_folder(info: ModelInfo, paths: DataPaths) -> Path | None:
    """The config and tokenizer folder of an OpenCLIP model's transformers text tower
    (``xlm-roberta-base``) when it is on this computer: downloaded by clipdesk, or in the
    Hugging Face cache; ``None`` otherwise (and for every other model)."""
    from clipdesk.core.models.hf_backend import CONFIG
    from clipdesk.core.models.hf_repo import complete_files, local_folder

    repo = info.extra.get("hf_text_repo")
    if not repo:
        return None
    folder = local_folder(paths.model_dir, repo)
    if complete_files(folder) is not None:
        return folder
    cached = hub_snapshot(repo)
    return cached if cached is not None and (cached / CONFIG).is_file() else None


def missing_message(info: ModelInfo, paths: DataPaths, reason: str = "") -> str:
    """One sentence (or two) telling the person what to download and where to put it."""
    if info.user:
        return (f"The weights of {info.display_name} are missing ({info.checkpoint_path}); "
                "import the model again.")
    why = f" ({reason})" if reason else ""
    if is_repo_model(info):
        repo = info.extra["hf_repo"]
        return (f"The files of {info.display_name} are not on this computer and could not be "
                f"downloaded{why}. Download the repository {hf_url(f'{HF}/{repo}')} (its "
                "config, tokenizer and weights files) into a folder and import that folder as "
                "a model, then try again.")
    first = sources(info, paths)[0]
    text_repo = info.extra.get("hf_text_repo")
    if text_repo and text_repo_folder(info, paths) is None:
        why += (f"; its text tower also needs the config and tokenizer files of "
                f"{hf_url(f'{HF}/{text_repo}')}")
    return (f"The weights of {info.display_name} are not on this computer and could not be "
            f"downloaded{why}. Download {first.url} and save it as {first.path.name} in "
            f"{first.path.parent}, then try again.")


def ensure_weights(
    info: ModelInfo,
    paths: DataPaths,
    *,
    download: bool = False,
    progress: ByteProgress | None = None,
    token: CancelToken | None = None,
    timeout: float = TIMEOUT_S,
) -> Path:
    """The verified weights file of ``info``; downloads it first when ``download`` is true.

    Raises :class:`WeightsMissing` (not here, and not downloaded or no network),
    :class:`DownloadError` (the server failed or the checksum did not match) or
    :class:`InvalidCheckpoint` (a local file that fails its pinned checksum).
    """
    if info.user:
        found = find_weights(info, paths)
        if found is None:
            raise WeightsMissing(missing_message(info, paths))
        return found
    if is_repo_model(info):
        return _ensure_repo(info, paths, download=download, progress=progress, token=token,
                            timeout=timeout)
    candidates = sources(info, paths)
    if info.extra.get("hf_text_repo") and text_repo_folder(info, paths) is None:
        _ensure_text_repo(info, paths, download=download, token=token, timeout=timeout)
    if not candidates:
        raise WeightsMissing(f"{info.display_name} has no download address; import its "
                             "checkpoint as a user model instead.")
    for source in candidates:
        if source.path.is_file():
            # the pinned hash, else the one recorded when clipdesk downloaded this file
            expected = info.sha256 or recorded_sha(source.path)
            if expected is None or verify_file(source.path, expected, token=token):
                return source.path
            if not download:
                raise InvalidCheckpoint(
                    f"{source.path.name} in {source.path.parent} is damaged (its SHA-256 does "
                    "not match); delete it and download it again.")
            log.warning("%s fails its checksum; downloading it again", source.path)
            discard(source.path)
    if not download:
        raise WeightsMissing(missing_message(info, paths, "downloading was not requested"))
    paths.model_dir.mkdir(parents=True, exist_ok=True)
    last: DownloadError | None = None
    for source in candidates:
        try:
            return download_file(source.url, source.path, sha256=info.sha256,
                                 progress=progress, token=token, timeout=timeout)
        except NetworkUnavailable as exc:
            raise WeightsMissing(missing_message(info, paths, str(exc))) from exc
        except NotFound as exc:  # e.g. a repository without the safetensors file
            log.info("%s", exc)
            last = exc
    raise DownloadError(f"The weights of {info.display_name} were not found on the server "
                        f"({last}).")


def _ensure_repo(info: ModelInfo, paths: DataPaths, *, download: bool,
                 progress: ByteProgress | None, token: CancelToken | None,
                 timeout: float) -> Path:
    """:func:`ensure_weights` for a built-in transformers repository."""
    from clipdesk.core.models import hf_repo

    folder = repo_folder(info, paths)
    if hf_repo.complete_files(folder) is not None:
        damaged = hf_repo.verify_folder(folder, token)
        if not damaged:
            found = _weights_in(folder)
            if found is not None:
                return found
        elif not download:
            raise InvalidCheckpoint(
                f"{', '.join(damaged)} in {folder} is damaged (its SHA-256 does not match); "
                "download the model again.")
        for name in damaged:
            log.warning("%s fails its checksum; downloading it again", folder / name)
            discard(folder / name)
    elif (cached := hub_cache_folder(info.extra["hf_repo"])) is not None:
        found = _weights_in(cached)
        if found is not None:
            return found
    if not download:
        raise WeightsMissing(missing_message(info, paths, "downloading was not requested"))
    try:
        fetch_repo(info.extra["hf_repo"], folder, lambda why: missing_message(info, paths, why),
                   progress=progress, token=token, timeout=timeout)
    except NotFound as exc:
        raise DownloadError(f"{info.display_name} was not found on the server ({exc}).") from exc
    found = _weights_in(folder)
    if found is None:  # pragma: no cover - select_files always picks weights
        raise DownloadError(f"The download of {info.display_name} holds no weights.")
    return found


def _ensure_text_repo(info: ModelInfo, paths: DataPaths, *, download: bool,
                      token: CancelToken | None, timeout: float) -> None:
    """Fetch the config and tokenizer of an OpenCLIP model's transformers text tower (small
    files: no progress of their own)."""
    from clipdesk.core.models import hf_repo

    repo = info.extra["hf_text_repo"]
    if not download:
        raise WeightsMissing(missing_message(info, paths, "downloading was not requested"))
    fetch_repo(repo, hf_repo.local_folder(paths.model_dir, repo),
               lambda why: missing_message(info, paths, why), token=token, timeout=timeout,
               weights_too=False)
