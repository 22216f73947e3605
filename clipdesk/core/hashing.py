"""Hashes of a file's bytes, read in chunks: SHA-256 for photos, model weights and datasets, and
any hasher (the vector caches' XXH3) through :func:`feed`."""

from __future__ import annotations

import hashlib
import os
from typing import IO, Any

from clipdesk.core.jobs import CancelToken

CHUNK = 1 << 20


def feed(digest: Any, fp: IO[bytes], token: CancelToken | None = None) -> None:
    """Update ``digest`` (any hashlib-like hasher) with what is left to read in ``fp``;
    ``token`` is checked between chunks."""
    while chunk := fp.read(CHUNK):
        if token is not None:
            token.check()
        digest.update(chunk)


def sha256_stream(fp: IO[bytes], token: CancelToken | None = None) -> str:
    """SHA-256 (hex) of what is left to read in ``fp``; ``token`` is checked between chunks."""
    digest = hashlib.sha256()
    feed(digest, fp, token)
    return digest.hexdigest()


def sha256_file(path: str | os.PathLike[str], token: CancelToken | None = None) -> str:
    """SHA-256 (hex) of the file at ``path``."""
    with open(path, "rb") as fp:
        return sha256_stream(fp, token)
