"""A built-in transformers model is a Hugging Face repository: all the files it needs, downloaded
into one folder.

The repository's file list comes from the Hub's API (``/api/models/<repo>/revision/main
?blobs=true``: each file's size and, for LFS files, its SHA-256). Of those, a folder needs the
configs and processor files at the top level (``*.json``, ``*.txt``, ``*.model``) and one set of
weights: safetensors when the repository has them (a single file or an index with its shards),
``pytorch_model.bin`` otherwise (transformers reads it with ``weights_only=True``). Other formats
(TensorFlow, Flax, ONNX, GGUF) and sub-folders are left on the server. Each file goes through
:func:`~clipdesk.core.models.download.download_file` (resumable ``.part``, SHA-256 checked for
LFS files); the folder counts as complete only when ``.complete.json`` lists what it holds.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from clipdesk.core.errors import DownloadError
from clipdesk.core.models.builtin import HF
from clipdesk.core.models.download import (
    TIMEOUT_S,
    ByteProgress,
    download_file,
    fetch_json,
    verify_file,
)

if TYPE_CHECKING:
    from clipdesk.core.jobs import CancelToken

COMPLETE = ".complete.json"
TOP_LEVEL_SUFFIXES = (".json", ".txt", ".model")
SAFETENSORS = ("model.safetensors", "model.safetensors.index.json")
PYTORCH = ("pytorch_model.bin", "pytorch_model.bin.index.json")


@dataclass(frozen=True)
class RepoFile:
    name: str
    size: int
    sha256: str | None  # LFS files only; small text files have none


def folder_name(repo: str) -> str:
    """The local folder of a repository (``org--name``, as the Hub's own cache names it)."""
    return repo.replace("/", "--")


def local_folder(model_dir: Path, repo: str) -> Path:
    """Where clipdesk keeps ``repo``'s files: ``<model_dir>/hf/<org>--<name>``."""
    return model_dir / "hf" / folder_name(repo)


def listing_url(repo: str, endpoint: str = HF) -> str:
    return f"{endpoint}/api/models/{repo}/revision/main?blobs=true"


def file_url(repo: str, name: str, endpoint: str = HF) -> str:
    return f"{endpoint}/{repo}/resolve/main/{name}"


def parse_listing(data: Any) -> list[RepoFile]:
    """The files of a Hub API answer (``siblings``)."""
    if not isinstance(data, dict) or not isinstance(data.get("siblings"), list):
        raise DownloadError("The model server's file list could not be read.")
    out = []
    for item in data["siblings"]:
        name = item.get("rfilename") if isinstance(item, dict) else None
        if not isinstance(name, str):
            continue
        lfs = item.get("lfs") if isinstance(item.get("lfs"), dict) else {}
        out.append(RepoFile(name, int(item.get("size") or lfs.get("size") or 0),
                            lfs.get("sha256") if isinstance(lfs.get("sha256"), str) else None))
    return out


def select_files(files: Sequence[RepoFile], *, weights_too: bool = True) -> list[RepoFile]:
    """What a ``save_pretrained`` folder needs of a repository's files (see the module doc);
    without ``weights_too`` only its config and tokenizer files (an OpenCLIP model's text
    tower config, whose weights are in the OpenCLIP checkpoint)."""
    by_name = {f.name: f for f in files if "/" not in f.name}
    weights: list[str] = []
    for single, index in (SAFETENSORS, PYTORCH) if weights_too else ():
        if single in by_name:
            weights = [single]
        elif index in by_name:
            stem = single.rsplit(".", 1)[0]  # model-00001-of-00002.safetensors …
            ext = single.rsplit(".", 1)[1]
            weights = [index, *sorted(n for n in by_name
                                      if n.startswith(f"{stem}-") and n.endswith(f".{ext}"))]
        if weights:
            break
    if not weights and weights_too:
        raise DownloadError("The repository has no transformers weights (model.safetensors or "
                            "pytorch_model.bin).")
    other_indexes = {*SAFETENSORS, *PYTORCH} - set(weights)
    support = [n for n in by_name if n.endswith(TOP_LEVEL_SUFFIXES) and n not in other_indexes
               and n not in weights]
    return [by_name[n] for n in sorted(support) + weights]


def complete_files(folder: Path) -> dict[str, str | None] | None:
    """``{file name: SHA-256 or None}`` of a completely downloaded folder, or ``None``."""
    try:
        data = json.loads((folder / COMPLETE).read_text(encoding="utf-8"))
        files = data["files"]
    except (OSError, ValueError, KeyError, TypeError):
        return None
    if not isinstance(files, dict) or not all((folder / n).is_file() for n in files):
        return None
    return {str(k): v if isinstance(v, str) else None for k, v in files.items()}


def verify_folder(folder: Path, token: CancelToken | None = None) -> list[str]:
    """The files of a complete folder that fail their SHA-256 (hashed once: see the verified
    marker of :mod:`.download`)."""
    files = complete_files(folder) or {}
    return [n for n, sha in files.items() if sha and not verify_file(folder / n, sha, token)]


def _have(target: Path, f: RepoFile, token: CancelToken | None) -> bool:
    """Whether ``target`` already is ``f`` (by its SHA-256, or its size for a small file)."""
    if not target.is_file():
        return False
    if f.sha256 is None:
        return target.stat().st_size == f.size
    return verify_file(target, f.sha256, token)


def download_repo(
    repo: str,
    folder: Path,
    *,
    endpoint: str = HF,
    progress: ByteProgress | None = None,
    token: CancelToken | None = None,
    timeout: float = TIMEOUT_S,
    weights_too: bool = True,
) -> Path:
    """Download what ``repo`` needs into ``folder`` (resuming any ``.part``); returns it.
    ``weights_too=False``: its config and tokenizer files only.

    ``progress`` gets ``(done, total)`` bytes over all the files. Raises
    :class:`~clipdesk.core.models.download.NetworkUnavailable` without a network,
    :class:`DownloadError` when the server fails or a checksum does not match, and
    :class:`~clipdesk.core.jobs.Cancelled` (the ``.part`` files stay for the next try).
    """
    wanted = select_files(parse_listing(fetch_json(listing_url(repo, endpoint), timeout)),
                          weights_too=weights_too)
    total = sum(f.size for f in wanted)
    folder.mkdir(parents=True, exist_ok=True)
    done = 0
    for f in wanted:
        target = folder / f.name
        if not _have(target, f, token):
            base = done

            def report(n: int, _total: int, base: int = base) -> None:
                if progress is not None:
                    progress(base + n, total)

            download_file(file_url(repo, f.name, endpoint), target, sha256=f.sha256,
                          progress=report, token=token, timeout=timeout)
        done += f.size
        if progress is not None:
            progress(done, total)
    tmp = folder / (COMPLETE + ".tmp")
    tmp.write_text(json.dumps({"repo": repo, "files": {f.name: f.sha256 for f in wanted}}),
                   encoding="utf-8")
    os.replace(tmp, folder / COMPLETE)
    return folder
