"""Downloading one file over HTTP(S), resumably, and checking its SHA-256.

``download_file`` writes ``<file>.part`` and resumes it with a ``Range`` request, reports
``(done_bytes, total_bytes)``, stops between chunks when the cancel token says so, and gives the
file its real name only after its SHA-256 matched: the caller's pinned hash, else the hash Hugging
Face publishes for LFS files in the ``X-Linked-Etag`` header of the resolve URL (redirects are
followed by hand so every hop's headers are seen). A ``<file>.verified`` marker records the hash
with the file's size and modification time, so a multi-GB file is hashed once, not at every start.
Knows nothing about models; :mod:`clipdesk.core.models.weights` decides what to fetch.
"""

from __future__ import annotations

import hashlib
import http.client
import json
import logging
import os
import re
import socket
import urllib.error
import urllib.request
from collections.abc import Callable
from email.message import Message
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any
from urllib.parse import urljoin, urlsplit

from clipdesk import __version__
from clipdesk.core.errors import DownloadError
from clipdesk.core.hashing import sha256_file

if TYPE_CHECKING:
    from clipdesk.core.jobs import CancelToken

log = logging.getLogger(__name__)

ByteProgress = Callable[[int, int], None]
CHUNK = 1 << 20
TIMEOUT_S = 30.0
MAX_REDIRECTS = 10
_SHA256 = re.compile(r"^[0-9a-f]{64}$")


class NetworkUnavailable(DownloadError):
    """The server could not be reached at all (offline, refused, name not resolved, timeout)."""


class NotFound(DownloadError):
    """The server answered 404 / 410 for this URL."""


# -- checksums and the verified marker ---------------------------------------------------------


def marker_path(path: Path) -> Path:
    return path.with_name(path.name + ".verified")


def read_marker(path: Path) -> str | None:
    """The SHA-256 recorded for ``path`` if its marker matches the file's size and mtime."""
    try:
        data = json.loads(marker_path(path).read_text(encoding="utf-8"))
        st = path.stat()
    except (OSError, ValueError):
        return None
    if data.get("size") != st.st_size or data.get("mtime_ns") != st.st_mtime_ns:
        return None
    sha = data.get("sha256")
    return sha if isinstance(sha, str) else None


def recorded_sha(path: Path) -> str | None:
    """The SHA-256 in ``path``'s marker, whether or not the file changed since."""
    try:
        sha = json.loads(marker_path(path).read_text(encoding="utf-8")).get("sha256")
    except (OSError, ValueError, AttributeError):
        return None
    return sha if isinstance(sha, str) and _SHA256.match(sha) else None


def write_marker(path: Path, sha256: str, stat_of: Path | None = None) -> None:
    """Record that ``path`` (whose content is ``stat_of`` until a rename) hashes to ``sha256``."""
    st = (stat_of or path).stat()
    data = {"sha256": sha256, "size": st.st_size, "mtime_ns": st.st_mtime_ns}
    tmp = marker_path(path).with_suffix(".tmp")
    tmp.write_text(json.dumps(data), encoding="utf-8")
    os.replace(tmp, marker_path(path))


def verify_file(path: Path, sha256: str, token: CancelToken | None = None) -> bool:
    """Whether ``path`` hashes to ``sha256``; uses and refreshes the verified marker."""
    expected = sha256.lower()
    if read_marker(path) == expected:
        return True
    actual = sha256_file(path, token)
    if actual != expected:
        return False
    write_marker(path, actual)
    return True


def discard(path: Path) -> None:
    """Delete a file and its verified marker."""
    for p in (path, marker_path(path)):
        p.unlink(missing_ok=True)


# -- downloading ------------------------------------------------------------------------------


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """Let redirects surface as responses so that each hop's headers can be read."""

    def redirect_request(self, req: Any, fp: Any, code: Any, msg: Any, headers: Any,
                         newurl: Any) -> None:
        return None


def _opener() -> urllib.request.OpenerDirector:
    return urllib.request.build_opener(_NoRedirect())


def _linked_sha(headers: Message) -> str | None:
    """The SHA-256 Hugging Face publishes for an LFS file (``X-Linked-Etag`` or ``ETag``)."""
    for key in ("X-Linked-Etag", "ETag"):
        value = headers.get(key)
        if value:
            value = value.strip()
            value = value.removeprefix("W/").strip('"').lower()
            if _SHA256.match(value):
                return value
    return None


def _is_offline(exc: BaseException) -> bool:
    reason = exc.reason if isinstance(exc, urllib.error.URLError) else exc
    return isinstance(reason, (ConnectionRefusedError, socket.gaierror, TimeoutError,
                               socket.timeout, OSError)) and not isinstance(
        exc, urllib.error.HTTPError)


def _open(url: str, offset: int, timeout: float) -> tuple[Any, str | None]:
    """GET ``url`` from byte ``offset``, following redirects by hand.

    Returns the final response (200, 206, or a 416 HTTPError object) and the SHA-256 seen in any
    hop's headers.
    """
    opener = _opener()
    linked: str | None = None
    for _ in range(MAX_REDIRECTS):
        request = urllib.request.Request(url, headers={
            "User-Agent": f"clipdesk/{__version__}", "Accept-Encoding": "identity",
            **({"Range": f"bytes={offset}-"} if offset else {}),
        })
        try:
            response = opener.open(request, timeout=timeout)
        except urllib.error.HTTPError as exc:
            linked = linked or _linked_sha(exc.headers)
            if exc.code in (301, 302, 303, 307, 308) and exc.headers.get("Location"):
                url = urljoin(url, exc.headers["Location"])
                exc.close()
                continue
            if exc.code == 416:
                return exc, linked
            exc.close()
            if exc.code in (404, 410):
                raise NotFound(f"{url}: HTTP {exc.code}") from exc
            raise DownloadError(f"The server refused the download of {url} "
                                f"(HTTP {exc.code} {exc.reason}).") from exc
        except (urllib.error.URLError, OSError) as exc:
            if _is_offline(exc):
                reason = getattr(exc, "reason", exc)
                raise NetworkUnavailable(f"no connection to {_host(url)}: {reason}") from exc
            raise DownloadError(f"The download of {url} failed: {exc}") from exc
        linked = linked or _linked_sha(response.headers)
        return response, linked
    raise DownloadError(f"Too many redirects while downloading {url}.")


def _host(url: str) -> str:
    return urlsplit(url).netloc or url


def _content_range(headers: Message) -> tuple[int, int | None]:
    """``(start, total)`` of a ``Content-Range: bytes a-b/total`` header."""
    match = re.match(r"bytes\s+(\d+)-\d+/(\d+|\*)", headers.get("Content-Range", ""))
    if not match:
        return -1, None
    total = None if match.group(2) == "*" else int(match.group(2))
    return int(match.group(1)), total


def fetch_json(url: str, timeout: float = TIMEOUT_S, limit: int = 16 << 20) -> Any:
    """GET a JSON document (a model repository's file list). Raises
    :class:`NetworkUnavailable`, :class:`NotFound` or :class:`DownloadError`."""
    response, _ = _open(url, 0, timeout)
    try:
        body = response.read(limit + 1)
    except (OSError, http.client.HTTPException) as exc:
        raise DownloadError(f"The answer from {_host(url)} was interrupted ({exc}).") from exc
    finally:
        response.close()
    if len(body) > limit:
        raise DownloadError(f"The answer from {_host(url)} is too large.")
    try:
        return json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise DownloadError(f"The answer from {_host(url)} is not JSON ({exc}).") from exc


def download_file(
    url: str,
    dest: Path,
    *,
    sha256: str | None = None,
    progress: ByteProgress | None = None,
    token: CancelToken | None = None,
    timeout: float = TIMEOUT_S,
) -> Path:
    """Download ``url`` to ``dest`` through ``dest.part``, resuming a previous ``.part``.

    The file gets its name only after its SHA-256 matched (``sha256``, else the server's
    ``X-Linked-Etag``; with neither, the file is accepted unchecked and a warning is logged).
    A mismatch deletes the ``.part`` and raises :class:`DownloadError`; a cancel raises
    :class:`~clipdesk.core.jobs.Cancelled` and keeps the ``.part`` for the next try.
    """
    dest = Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    part = dest.with_name(dest.name + ".part")
    meta = dest.with_name(dest.name + ".part.json")
    pinned = sha256.lower() if sha256 else None
    recorded = _read_part_meta(meta, url)
    if recorded is None or (pinned and recorded.get("sha256") not in (None, pinned)):
        _remove(part, meta)
        recorded = {}
    offset = part.stat().st_size if part.is_file() else 0

    response, linked = _open(url, offset, timeout)
    expected = pinned or linked or recorded.get("sha256")
    if linked and recorded.get("sha256") and linked != recorded["sha256"] and offset:
        # the file on the server changed since the .part was started: start again
        response.close()
        _remove(part, meta)
        offset = 0
        response, linked = _open(url, 0, timeout)
    if pinned and linked and linked != pinned:
        log.warning("server reports SHA-256 %s for %s, expected %s", linked, url, pinned)
    _write_part_meta(meta, url, expected)

    try:
        digest = _receive(response, part, offset, progress, token)
    finally:
        response.close()
    if expected is None:
        log.warning("no checksum is known for %s; accepting it unchecked", url)
    elif digest != expected:
        _remove(part, meta)
        raise DownloadError(
            f"The download of {dest.name} is corrupt (SHA-256 {digest[:12]}…, expected "
            f"{expected[:12]}…); it was deleted. Try again.")
    write_marker(dest, digest, stat_of=part)
    os.replace(part, dest)
    meta.unlink(missing_ok=True)
    return dest


def _receive(response: Any, part: Path, offset: int, progress: ByteProgress | None,
             token: CancelToken | None) -> str:
    """Append the response body to ``part``; returns the SHA-256 of the whole ``part``."""
    status = getattr(response, "status", None) or response.getcode()
    digest = hashlib.sha256()
    if status == 416:  # nothing left to fetch: the .part is already complete
        _hash_into(digest, part, token)
        size = part.stat().st_size
        if progress is not None:
            progress(size, size)
        return digest.hexdigest()
    total: int | None
    if status == 206:
        start, total = _content_range(response.headers)
        if start != offset:
            raise DownloadError(f"The server resumed at byte {start}, not {offset}.")
    else:  # 200: the whole file, whatever we asked for
        offset = 0
        length = response.headers.get("Content-Length")
        total = int(length) if length and length.isdigit() else None
    mode = "ab" if offset else "wb"
    if offset:
        _hash_into(digest, part, token)
    done = offset
    with part.open(mode) as out:
        if progress is not None:
            progress(done, total or 0)
        while True:
            if token is not None:
                token.check()
            try:
                chunk = response.read(CHUNK)
            except (OSError, ValueError, http.client.HTTPException) as exc:
                raise DownloadError(f"The download of {part.name[:-5]} was interrupted ({exc}); "
                                    "try again to resume it.") from exc
            if not chunk:
                break
            out.write(chunk)
            digest.update(chunk)
            done += len(chunk)
            if progress is not None:
                progress(done, total or 0)
        _flush(out)
    if total is not None and done != total:
        raise DownloadError(f"The download of {part.name[:-5]} stopped at {done} of {total} "
                            "bytes; try again to resume it.")
    return digest.hexdigest()


def _hash_into(digest: Any, path: Path, token: CancelToken | None) -> None:
    with path.open("rb") as f:
        while chunk := f.read(CHUNK * 8):
            if token is not None:
                token.check()
            digest.update(chunk)


def _flush(f: IO[bytes]) -> None:
    f.flush()
    os.fsync(f.fileno())


def _read_part_meta(meta: Path, url: str) -> dict[str, Any] | None:
    """What was recorded when the ``.part`` was started; ``None`` if it was for another URL."""
    if not meta.is_file():
        return {}
    try:
        data = json.loads(meta.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) and data.get("url") == url else None


def _write_part_meta(meta: Path, url: str, sha256: str | None) -> None:
    meta.write_text(json.dumps({"url": url, "sha256": sha256}), encoding="utf-8")


def _remove(*paths: Path) -> None:
    for p in paths:
        p.unlink(missing_ok=True)
