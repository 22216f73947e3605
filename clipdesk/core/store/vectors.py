"""The FAISS cache files: one exact inner-product index per model, ids = file ids.

A cache file is written to a temporary name in the same folder while its checksum is computed,
fsynced, renamed over the old one (atomic), and the folder fsynced; only then does the caller
record its generation, checksum and count in SQLite. Loading checks the checksum *before* FAISS
parses a byte, then the count and dimension, so a truncated, flipped or foreign file is never
used: the caller rebuilds from SQLite instead.

The checksum is XXH3-128 (``xxh3:<hex>``): it guards against damage, not against an attacker
who can write the data folder anyway, and it runs at memory speed -- a 2 GB cache of a million
photos costs about a tenth of a second to check instead of SHA-256's second and a half, so a
cold open costs little more than FAISS reading the file. Files recorded with a bare SHA-256 by
earlier versions are still checked with it, and get the new checksum when next published.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import re
import sys
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

from clipdesk.paths import make_private_dir

log = logging.getLogger(__name__)

SUFFIX = ".faiss"
TEMP_SUFFIX = ".tmp"


def cache_filename(model_id: str) -> str:
    """A file name for ``model_id`` that is safe on every file system and unique per id."""
    slug = re.sub(r"[^A-Za-z0-9._-]+", "_", model_id).strip("._")[:80] or "model"
    digest = hashlib.sha256(model_id.encode("utf-8")).hexdigest()[:10]
    return f"{slug}-{digest}{SUFFIX}"


def new_index(dim: int) -> Any:
    """An empty exact cosine index (vectors are L2-normalised) keyed by file id."""
    import faiss

    return faiss.IndexIDMap2(faiss.IndexFlatIP(dim))


def build_index(dim: int, ids: np.ndarray, vectors: np.ndarray) -> Any:
    index = new_index(dim)
    if len(ids):
        index.add_with_ids(
            np.ascontiguousarray(vectors, dtype=np.float32),
            np.ascontiguousarray(ids, dtype=np.int64),
        )
    return index


def _fsync_dir(folder: Path) -> None:
    if sys.platform == "win32":  # directories cannot be opened for fsync there
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


XXH3 = "xxh3:"  # the prefix of the checksums written now; none: SHA-256 (earlier versions)
_CHUNK = 8 << 20


def _digest(checksum: str | None = None) -> Any:
    """A fresh hasher for ``checksum``'s kind (default: the one written now)."""
    if checksum is None or checksum.startswith(XXH3):
        import xxhash

        return xxhash.xxh3_128()
    return hashlib.sha256()


def _tagged(digest: Any) -> str:
    hexdigest = str(digest.hexdigest())
    return XXH3 + hexdigest if digest.name.startswith("XXH3") else hexdigest


def file_checksum(path: Path, like: str | None = None) -> str:
    """The checksum of the file at ``path``, of the same kind as ``like`` (default: the kind
    written now)."""
    digest = _digest(like)
    with open(path, "rb") as fp:
        while chunk := fp.read(_CHUNK):
            digest.update(chunk)
    return _tagged(digest)


def write_index_file(index: Any, path: Path) -> str:
    """Publish ``index`` at ``path`` atomically; returns the file's checksum (``xxh3:<hex>``).

    Raises OSError (ENOSPC included) after removing the temporary file; the old file, if any,
    is untouched in that case.
    """
    import faiss

    make_private_dir(path.parent)
    fd, tmp_name = tempfile.mkstemp(dir=path.parent, prefix=path.name + ".", suffix=TEMP_SUFFIX)
    tmp = Path(tmp_name)
    digest = _digest()
    try:
        with os.fdopen(fd, "wb") as fp:

            def write(chunk: bytes) -> int:
                fp.write(chunk)
                digest.update(chunk)
                return len(chunk)

            faiss.write_index(index, faiss.PyCallbackIOWriter(write))  # type: ignore[attr-defined]
            fp.flush()
            os.fsync(fp.fileno())
        os.replace(tmp, path)
        _fsync_dir(path.parent)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
    return _tagged(digest)


def read_index_file(path: Path, *, checksum: str, count: int, dim: int) -> Any | None:
    """The index stored at ``path`` if it is exactly what was recorded; None otherwise (logged)."""
    import faiss

    try:
        actual = file_checksum(path, like=checksum)
    except FileNotFoundError:
        log.info("vector cache %s is missing; rebuilding from the library", path.name)
        return None
    except OSError as exc:
        log.warning("vector cache %s is unreadable (%s); rebuilding", path.name, exc)
        return None
    if actual != checksum:
        log.warning("vector cache %s fails its checksum; rebuilding", path.name)
        return None
    try:
        with open(path, "rb") as fp:  # through Python: non-ASCII paths work on Windows too
            reader = faiss.PyCallbackIOReader(fp.read)  # type: ignore[attr-defined]
            index = faiss.read_index(reader)
    except Exception as exc:  # faiss raises RuntimeError for anything it cannot parse
        log.warning("vector cache %s cannot be read by FAISS (%s); rebuilding", path.name, exc)
        return None
    if index.ntotal != count or index.d != dim:
        log.warning("vector cache %s holds %d x %d, expected %d x %d; rebuilding",
                    path.name, index.ntotal, index.d, count, dim)
        return None
    return index


def remove_temp_files(folder: Path) -> None:
    """Delete temporary cache files left by a writer that died mid-write (writer only)."""
    if not folder.is_dir():
        return
    for leftover in folder.glob(f"*{SUFFIX}.*{TEMP_SUFFIX}"):
        with contextlib.suppress(OSError):
            leftover.unlink()
