"""Weights: finding, resumable downloading, checksums, the verified marker, cancel, offline."""

from __future__ import annotations

import dataclasses
import hashlib
import os
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from clipdesk.core.errors import DownloadError, InvalidCheckpoint, WeightsMissing
from clipdesk.core.jobs import Cancelled, CancelToken
from clipdesk.core.models import ModelRegistry
from clipdesk.core.models import download as DL
from clipdesk.core.models import weights as W
from clipdesk.core.models.base import ModelInfo
from clipdesk.paths import DataPaths
from tests.core.models.http_server import FileServer

DATA = os.urandom(300_000)
SHA = hashlib.sha256(DATA).hexdigest()


@pytest.fixture(autouse=True)
def _small_chunks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(DL, "CHUNK", 16 * 1024)
    for var in ("http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "all_proxy",
                "ALL_PROXY"):
        monkeypatch.delenv(var, raising=False)


@pytest.fixture
def server() -> Iterator[FileServer]:
    with FileServer() as s:
        s.state.files["model.pt"] = DATA
        yield s


def _leftovers(dest: Path) -> list[str]:
    return sorted(p.name for p in dest.parent.iterdir())


def _closed_port_url() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}/org/repo/resolve/main/model.pt"


def test_full_download_with_linked_etag(server: FileServer, tmp_path: Path) -> None:
    seen: list[tuple[int, int]] = []
    dest = tmp_path / "model.pt"
    out = DL.download_file(f"{server.url}/org/repo/resolve/main/model.pt", dest,
                          progress=lambda d, t: seen.append((d, t)))
    assert out == dest and dest.read_bytes() == DATA
    assert seen[-1] == (len(DATA), len(DATA))
    assert [d for d, _ in seen] == sorted(d for d, _ in seen)
    assert _leftovers(dest) == ["model.pt", "model.pt.verified"]
    assert DL.read_marker(dest) == SHA


def test_resume_from_part(server: FileServer, tmp_path: Path) -> None:
    dest = tmp_path / "model.pt"
    (tmp_path / "model.pt.part").write_bytes(DATA[:100_000])
    seen: list[tuple[int, int]] = []
    DL.download_file(f"{server.url}/cdn/model.pt", dest, sha256=SHA,
                    progress=lambda d, t: seen.append((d, t)))
    assert dest.read_bytes() == DATA
    assert server.state.requests == [("/cdn/model.pt", "bytes=100000-")]
    assert seen[0] == (100_000, len(DATA))


def test_interrupted_download_resumes(server: FileServer, tmp_path: Path) -> None:
    dest = tmp_path / "model.pt"
    url = f"{server.url}/org/repo/resolve/main/model.pt"
    server.state.cut_after = 120_000
    with pytest.raises(DownloadError, match="try again to resume"):
        DL.download_file(url, dest)
    assert not dest.exists() and (tmp_path / "model.pt.part").stat().st_size == 120_000
    server.state.cut_after = None
    DL.download_file(url, dest)
    assert dest.read_bytes() == DATA
    assert server.state.requests[-1] == ("/cdn/model.pt", "bytes=120000-")


def test_complete_part_is_verified_not_refetched(server: FileServer, tmp_path: Path) -> None:
    dest = tmp_path / "model.pt"
    (tmp_path / "model.pt.part").write_bytes(DATA)
    DL.download_file(f"{server.url}/cdn/model.pt", dest, sha256=SHA)  # server answers 416
    assert dest.read_bytes() == DATA


def test_server_ignoring_range_restarts(server: FileServer, tmp_path: Path) -> None:
    server.state.ignore_range = True
    dest = tmp_path / "model.pt"
    (tmp_path / "model.pt.part").write_bytes(b"garbage" * 1000)
    DL.download_file(f"{server.url}/cdn/model.pt", dest, sha256=SHA)
    assert dest.read_bytes() == DATA


@pytest.mark.parametrize("how", ["pinned", "linked"])
def test_checksum_mismatch_leaves_nothing_valid(server: FileServer, tmp_path: Path,
                                                how: str) -> None:
    dest = tmp_path / "model.pt"
    wrong = "0" * 64
    if how == "linked":
        server.state.linked_sha["model.pt"] = wrong
        kwargs: dict[str, str] = {}
    else:
        kwargs = {"sha256": wrong}
    with pytest.raises(DownloadError, match="corrupt"):
        DL.download_file(f"{server.url}/org/repo/resolve/main/model.pt", dest, **kwargs)
    assert _leftovers(dest) == []


def test_cancel_keeps_part_for_resume(server: FileServer, tmp_path: Path) -> None:
    dest = tmp_path / "model.pt"
    token = CancelToken()

    def progress(done: int, total: int) -> None:
        if done >= 50_000:
            token.cancel()

    with pytest.raises(Cancelled):
        DL.download_file(f"{server.url}/cdn/model.pt", dest, sha256=SHA, progress=progress,
                        token=token)
    part = tmp_path / "model.pt.part"
    assert not dest.exists() and 50_000 <= part.stat().st_size < len(DATA)
    DL.download_file(f"{server.url}/cdn/model.pt", dest, sha256=SHA)
    assert dest.read_bytes() == DATA and not part.exists()


def test_not_found(server: FileServer, tmp_path: Path) -> None:
    with pytest.raises(DownloadError):
        DL.download_file(f"{server.url}/cdn/nothing.pt", tmp_path / "x.pt")


# -- ensure_weights for registry entries ------------------------------------------------------


def test_builtin_download_through_hf_endpoint(server: FileServer, data_paths: DataPaths,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HF_ENDPOINT", server.url)
    server.state.files["clip_cn_rn50.pt"] = DATA
    info = ModelRegistry(data_paths).get("cn_clip:RN50")
    seen: list[tuple[int, int]] = []
    path = W.ensure_weights(info, data_paths, download=True,
                            progress=lambda d, t: seen.append((d, t)))
    assert path == data_paths.model_dir / "clip_cn_rn50.pt" and path.read_bytes() == DATA
    assert server.state.requests[0][0] == "/OFA-Sys/chinese-clip-rn50/resolve/main/clip_cn_rn50.pt"
    assert seen[-1] == (len(DATA), len(DATA))
    assert ModelRegistry(data_paths).is_available(info)


def test_open_clip_falls_back_to_bin(server: FileServer, data_paths: DataPaths,
                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HF_ENDPOINT", server.url)
    server.state.files["open_clip_pytorch_model.bin"] = DATA  # no safetensors in this repo
    info = ModelRegistry(data_paths).get("open_clip:ViT-B-32/laion2b_s34b_b79k")
    path = W.ensure_weights(info, data_paths, download=True)
    assert path.name == "open_clip_ViT-B-32_laion2b_s34b_b79k.bin" and path.read_bytes() == DATA


def test_offline_names_file_url_and_folder(data_paths: DataPaths,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    url = _closed_port_url()
    monkeypatch.setenv("HF_ENDPOINT", url.split("/org/")[0])
    info = ModelRegistry(data_paths).get("cn_clip:ViT-B-16")
    with pytest.raises(WeightsMissing) as caught:
        W.ensure_weights(info, data_paths, download=True, timeout=5)
    message = str(caught.value)
    assert "clip_cn_vit-b-16.pt" in message
    assert "/OFA-Sys/chinese-clip-vit-base-patch16/resolve/main/clip_cn_vit-b-16.pt" in message
    assert str(data_paths.model_dir) in message
    assert not any(data_paths.model_dir.glob("clip_cn_vit-b-16.pt*"))


def test_missing_without_download(data_paths: DataPaths) -> None:
    info = ModelRegistry(data_paths).get("cn_clip:ViT-B-16")
    with pytest.raises(WeightsMissing, match=r"https://huggingface\.co/OFA-Sys/"):
        W.ensure_weights(info, data_paths)


def test_pinned_hash_checked_once_then_marker(data_paths: DataPaths,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    info = dataclasses.replace(ModelRegistry(data_paths).get("cn_clip:RN50"), sha256=SHA)
    path = data_paths.model_dir / "clip_cn_rn50.pt"
    path.write_bytes(DATA)
    calls: list[Path] = []
    real = DL.sha256_file
    monkeypatch.setattr(DL, "sha256_file", lambda p, t=None: calls.append(p) or real(p, t))
    assert W.ensure_weights(info, data_paths) == path
    assert W.ensure_weights(info, data_paths) == path
    assert len(calls) == 1  # the second start trusted the marker
    path.write_bytes(DATA[::-1])  # changed on disk: the marker no longer matches
    with pytest.raises(InvalidCheckpoint, match="damaged"):
        W.ensure_weights(info, data_paths)
    assert len(calls) == 2


def test_user_model_weights(data_paths: DataPaths, tiny_open_clip: ModelInfo) -> None:
    assert W.ensure_weights(tiny_open_clip, data_paths) == tiny_open_clip.checkpoint_path
    assert tiny_open_clip.checkpoint_path is not None
    tiny_open_clip.checkpoint_path.unlink()
    with pytest.raises(WeightsMissing, match="import the model again"):
        W.ensure_weights(tiny_open_clip, data_paths)


def test_downloaded_file_damaged_later_is_detected(server: FileServer, data_paths: DataPaths,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HF_ENDPOINT", server.url)
    server.state.files["clip_cn_rn50.pt"] = DATA
    info = ModelRegistry(data_paths).get("cn_clip:RN50")
    path = W.ensure_weights(info, data_paths, download=True)
    assert W.ensure_weights(info, data_paths) == path  # marker: no re-hash, no network
    path.write_bytes(DATA[: len(DATA) // 2])  # e.g. a disk problem
    with pytest.raises(InvalidCheckpoint, match="damaged"):
        W.ensure_weights(info, data_paths)
    assert W.ensure_weights(info, data_paths, download=True).read_bytes() == DATA
