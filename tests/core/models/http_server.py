"""A small local HTTP file server with Range support, for download tests (127.0.0.1 only).

Routes:
* ``/cdn/<name>``: the file, honouring ``Range: bytes=N-`` with 206 (or ignoring it when
  ``ignore_range``), cutting the body after ``cut_after`` bytes when that is set.
* ``/<org>/<repo>/resolve/main/<name>``: like Hugging Face, a 302 to ``/cdn/<name>`` carrying
  ``X-Linked-Etag: "<sha256>"`` (or ``linked_sha`` when set to a wrong value). A file stored as
  ``"<org>/<repo>/<name>"`` is that repository's own (``/cdn/<org>/<repo>/<name>``).
* ``/api/models/<org>/<repo>/revision/main``: the Hub's file list of a repository (the files
  stored as ``"<org>/<repo>/..."``), with size and, for ``lfs_suffixes``, the LFS SHA-256.
Unknown names get 404. Every request is recorded as ``(path, range header)``.
"""

from __future__ import annotations

import hashlib
import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class ServerState:
    files: dict[str, bytes] = field(default_factory=dict)
    requests: list[tuple[str, str | None]] = field(default_factory=list)
    ignore_range: bool = False
    cut_after: int | None = None  # send only this many body bytes, then close
    linked_sha: dict[str, str] = field(default_factory=dict)  # override X-Linked-Etag
    lfs_suffixes: tuple[str, ...] = (".safetensors", ".bin", ".h5", ".onnx")


class _Handler(BaseHTTPRequestHandler):
    state: ServerState

    def log_message(self, format: str, *args: Any) -> None:  # keep test output clean
        pass

    def do_GET(self) -> None:
        state = self.server.state  # type: ignore[attr-defined]
        state.requests.append((self.path, self.headers.get("Range")))
        path = self.path.split("?")[0]
        parts = path.strip("/").split("/")
        name = parts[-1]
        if parts[:2] == ["api", "models"]:
            self._listing(state, "/".join(parts[2:4]))
            return
        if "resolve" in parts:
            scoped = "/".join([*parts[:2], *parts[parts.index("resolve") + 2:]])
            name = scoped if scoped in state.files else name
            if name not in state.files:
                self.send_error(404)
                return
            sha = state.linked_sha.get(name, hashlib.sha256(state.files[name]).hexdigest())
            self.send_response(302)
            self.send_header("Location", f"/cdn/{name}")
            self.send_header("X-Linked-Etag", f'"{sha}"')
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        name = "/".join(parts[1:])
        if parts[0] != "cdn" or name not in state.files:
            self.send_error(404)
            return
        data = state.files[name]
        start = 0
        wanted = self.headers.get("Range")
        if wanted and not state.ignore_range:
            start = int(wanted.split("=")[1].split("-")[0])
            if start >= len(data):
                self.send_response(416)
                self.send_header("Content-Range", f"bytes */{len(data)}")
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            self.send_response(206)
            self.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
        else:
            self.send_response(200)
        body = data[start:]
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if state.cut_after is not None:
            body = body[: state.cut_after]
        self.wfile.write(body)


    def _listing(self, state: ServerState, repo: str) -> None:
        siblings: list[dict[str, Any]] = []
        for key, data in state.files.items():
            if key.startswith(f"{repo}/"):
                item: dict[str, Any] = {"rfilename": key[len(repo) + 1:], "size": len(data)}
                if key.endswith(state.lfs_suffixes):
                    item["lfs"] = {"sha256": hashlib.sha256(data).hexdigest(),
                                   "size": len(data), "pointerSize": 134}
                siblings.append(item)
        if not siblings:
            self.send_error(404)
            return
        body = json.dumps({"id": repo, "siblings": siblings}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


class FileServer:
    """Serves ``state.files`` on 127.0.0.1 from a daemon thread; use as a context manager."""

    def __init__(self) -> None:
        self.state = ServerState()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self._server.state = self.state  # type: ignore[attr-defined]
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,),
                                        daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def __enter__(self) -> FileServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(5)
