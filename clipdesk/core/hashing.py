"""SHA-256 of a file's bytes, read in chunks (photos, vector caches, model weights, datasets)."""

from __future__ import annotations

import hashlib
import os
from typing import IO

from clipdesk.core.jobs import CancelToken

CHUNK = 1 << 20


def sha256_stream(fp: IO[bytes], token: CancelToken | None = None) -> str:
    """SHA-256 (hex) of what is left to read in ``fp``; ``token`` is checked between chunks."""
    digest = hashlib.sha256()
    while chunk := fp.read(CHUNK):
        if token is not None:
            token.check()
        digest.update(chunk)
    return digest.hexdigest()


def sha256_file(path: str | os.PathLike[str], token: CancelToken | None = None) -> str:
    """SHA-256 (hex) of the file at ``path``."""
    with open(path, "rb") as fp:
        return sha256_stream(fp, token)
