"""Built-in transformers models: a whole repository downloaded into one folder (file list from the
Hub's API, safetensors preferred, resumable, SHA-256 checked), the Hugging Face cache reused, the
offline message; and Taiyi-CLIP's download bringing its image model along.

The repositories are served by a local server that speaks the Hub's routes, holding tiny random
``save_pretrained`` folders under the built-in repository names.
"""

from __future__ import annotations

import os
import shutil
import socket
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from clipdesk.core.errors import DownloadError, InvalidCheckpoint, WeightsMissing
from clipdesk.core.models import ModelRegistry, load_encoder
from clipdesk.core.models import download as DL
from clipdesk.core.models import weights as W
from clipdesk.core.models.hf_repo import RepoFile, complete_files, select_files
from clipdesk.paths import DataPaths
from tests.core.models.http_server import FileServer

TAIYI = "hf:IDEA-CCNL/Taiyi-CLIP-Roberta-102M-Chinese"
CLIP = "hf:openai/clip-vit-base-patch32"
JUNK = {"README.md": b"# card", ".gitattributes": b"*.bin lfs", "tf_model.h5": b"tf" * 100,
        "onnx/model.onnx": b"onnx", "flax_model.msgpack": b"flax"}


@pytest.fixture(autouse=True)
def _no_proxy(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(DL, "CHUNK", 16 * 1024)
    for var in ("http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "all_proxy",
                "ALL_PROXY"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "hub-cache"))  # never the real one


def _serve(server: FileServer, repo: str, folder: Path, junk: bool = True) -> dict[str, bytes]:
    files = {p.name: p.read_bytes() for p in folder.iterdir() if p.is_file()}
    for name, data in {**files, **(JUNK if junk else {})}.items():
        server.state.files[f"{repo}/{name}"] = data
    return files


@pytest.fixture
def hub(tiny_hf_folders: dict[str, Path], monkeypatch: pytest.MonkeyPatch
        ) -> Iterator[FileServer]:
    with FileServer() as server:
        _serve(server, CLIP[3:], tiny_hf_folders["clip"])
        _serve(server, TAIYI[3:], tiny_hf_folders["taiyi"])
        monkeypatch.setenv("HF_ENDPOINT", server.url)
        yield server


def test_select_files_prefers_safetensors_and_leaves_other_formats() -> None:
    def names(*files: str) -> list[str]:
        return [f.name for f in select_files([RepoFile(n, 1, None) for n in files])]

    common = ("config.json", "tokenizer.json", "vocab.txt", "spiece.model", "README.md",
              "tf_model.h5", "onnx/model.onnx", "flax_model.msgpack")
    assert names(*common, "model.safetensors", "pytorch_model.bin") == [
        "config.json", "spiece.model", "tokenizer.json", "vocab.txt", "model.safetensors"]
    assert names(*common, "pytorch_model.bin")[-1] == "pytorch_model.bin"
    sharded = names("config.json", "model.safetensors.index.json",
                    "model-00002-of-00002.safetensors", "model-00001-of-00002.safetensors",
                    "pytorch_model.bin.index.json", "pytorch_model-00001-of-00001.bin")
    assert sharded == ["config.json", "model.safetensors.index.json",
                       "model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors"]
    with pytest.raises(DownloadError, match="no transformers weights"):
        names("config.json", "tf_model.h5")


def test_taiyi_downloads_itself_and_its_image_model_then_loads_offline(
        hub: FileServer, data_paths: DataPaths, tiny_hf_folders: dict[str, Path]) -> None:
    registry = ModelRegistry(data_paths)
    taiyi = registry.get(TAIYI)
    assert taiyi.image_model == CLIP and not registry.is_available(taiyi)
    seen: list[tuple[int, int]] = []
    own, image = registry.ensure(taiyi, download=True, progress=lambda d, t: seen.append((d, t)))
    assert own.name == "model.safetensors" and image is not None
    assert own.parent == data_paths.model_dir / "hf" / "IDEA-CCNL--Taiyi-CLIP-Roberta-102M-Chinese"
    assert image.parent == data_paths.model_dir / "hf" / "openai--clip-vit-base-patch32"
    for folder, source in ((own.parent, tiny_hf_folders["taiyi"]),
                           (image.parent, tiny_hf_folders["clip"])):
        assert {p.name for p in folder.iterdir() if not p.name.startswith(".")
                and not p.name.endswith(".verified")} == {p.name for p in source.iterdir()}
        assert complete_files(folder) is not None
    fetched = {path for path, _ in hub.state.requests}
    assert not any(name in path for path in fetched for name in JUNK)
    assert seen and all(d <= t for d, t in seen)
    assert registry.is_available(taiyi) and registry.is_available(registry.get(CLIP))

    hub.state.files.clear()  # offline from here on: everything loads from the folders
    encoder = load_encoder(TAIYI, data_paths, device="cpu")
    vectors = encoder.encode_texts(["一只狗", "海边的日落"])
    assert vectors.shape == (2, 24)
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)


def test_an_interrupted_repository_download_resumes(hub: FileServer,
                                                    data_paths: DataPaths) -> None:
    info = ModelRegistry(data_paths).get(CLIP)
    hub.state.cut_after = 40_000
    with pytest.raises(DownloadError, match="resume"):
        W.ensure_weights(info, data_paths, download=True)
    folder = W.repo_folder(info, data_paths)
    assert complete_files(folder) is None and W.find_weights(info, data_paths) is None
    hub.state.cut_after = None
    hub.state.requests.clear()
    path = W.ensure_weights(info, data_paths, download=True)
    assert path == folder / "model.safetensors"
    assert any(rng for path, rng in hub.state.requests if path.endswith(".safetensors"))


def test_a_damaged_file_is_found_and_fetched_again(hub: FileServer,
                                                   data_paths: DataPaths) -> None:
    info = ModelRegistry(data_paths).get(CLIP)
    path = W.ensure_weights(info, data_paths, download=True)
    data = bytearray(path.read_bytes())
    data[1000] ^= 0xFF
    path.write_bytes(bytes(data))
    os.utime(path, ns=(1, 1))  # the marker no longer matches: the file is hashed again
    with pytest.raises(InvalidCheckpoint, match=r"model\.safetensors"):
        W.ensure_weights(info, data_paths)
    hub.state.requests.clear()
    assert W.ensure_weights(info, data_paths, download=True) == path
    assert [p for p, _ in hub.state.requests if "/resolve/" in p] == [
        "/openai/clip-vit-base-patch32/resolve/main/model.safetensors"]


def test_offline_the_message_names_the_repository(data_paths: DataPaths,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    monkeypatch.setenv("HF_ENDPOINT", f"http://127.0.0.1:{port}")
    info = ModelRegistry(data_paths).get(TAIYI)
    with pytest.raises(WeightsMissing) as caught:
        ModelRegistry(data_paths).ensure(info, download=True)
    assert f"127.0.0.1:{port}/IDEA-CCNL/Taiyi-CLIP-Roberta-102M-Chinese" in str(caught.value)
    with pytest.raises(WeightsMissing, match="not requested"):
        W.ensure_weights(info, data_paths)


def test_the_hugging_face_cache_is_used_as_it_is(data_paths: DataPaths, tmp_path: Path,
                                                 tiny_hf_folders: dict[str, Path]) -> None:
    root = tmp_path / "hub-cache" / "models--openai--clip-vit-base-patch32"
    (root / "refs").mkdir(parents=True)
    (root / "refs" / "main").write_text("abc123")
    shutil.copytree(tiny_hf_folders["clip"], root / "snapshots" / "abc123")
    info = ModelRegistry(data_paths).get(CLIP)
    assert W.find_weights(info, data_paths) == root / "snapshots" / "abc123" / "model.safetensors"
    assert W.ensure_weights(info, data_paths) == W.find_weights(info, data_paths)
    assert load_encoder(info, data_paths, device="cpu").dim == 24
