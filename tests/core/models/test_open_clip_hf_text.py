"""An OpenCLIP model whose text tower is a transformers model (the built-in multilingual
``xlm-roberta-base-ViT-B-32``): its download brings the text tower's config and tokenizer (not
its weights, which are in the OpenCLIP checkpoint), and it then loads with no network at all.

A tiny architecture of the same shape stands in for it: an OpenCLIP config whose ``text_cfg``
names ``xlm-roberta-base`` (which cannot be fetched here), a checkpoint made with a local tiny
XLM-R config in its place, both served by a local server speaking the Hub's routes.
"""

from __future__ import annotations

import dataclasses
import json
import socket
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from clipdesk.core.errors import WeightsMissing
from clipdesk.core.models import download as DL
from clipdesk.core.models import load_encoder
from clipdesk.core.models import weights as W
from clipdesk.core.models.base import Backend, ModelInfo
from clipdesk.core.models.builtin import BUILTIN_MODELS
from clipdesk.paths import DataPaths
from tests.core.models.http_server import FileServer
from tests.fixtures.tiny_hf_models import xlm_roberta_tokenizer

TEXT_REPO = "FacebookAI/xlm-roberta-base"
ARCH = "tiny-xlmr-ViT"
CONFIG = {"embed_dim": 24,
          "vision_cfg": {"image_size": 64, "layers": 1, "width": 32, "patch_size": 16,
                         "head_width": 16},
          "text_cfg": {"hf_model_name": "xlm-roberta-base", "hf_tokenizer_name": "xlm-roberta-base",
                       "hf_pooler_type": "mean_pooler"}}
TEXTS = ["一只狗", "a cat on the city street", "海边的日落"]


@dataclasses.dataclass
class Tiny:
    text_folder: Path  # the XLM-R config and tokenizer, as the repository has them
    checkpoint: bytes
    reference: np.ndarray  # open_clip's own text vectors, built from the local folder


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> Tiny:
    import open_clip
    import torch
    import transformers
    from safetensors.torch import save

    root = tmp_path_factory.mktemp("oc-xlmr")
    text_folder = root / "xlm-roberta-base"
    tokenizer = xlm_roberta_tokenizer()
    tokenizer.save_pretrained(text_folder)
    transformers.XLMRobertaConfig(
        vocab_size=len(tokenizer), hidden_size=32, num_hidden_layers=1, num_attention_heads=2,
        intermediate_size=37, max_position_embeddings=40, pad_token_id=1,
        type_vocab_size=1).save_pretrained(text_folder)
    # the name clipdesk's registry knows, with the network name it carries
    (root / f"{ARCH}.json").write_text(json.dumps(CONFIG))
    open_clip.add_model_config(root / f"{ARCH}.json")
    # the checkpoint is made with the local folder in place of the network name
    local = json.loads(json.dumps(CONFIG))
    local["text_cfg"]["hf_model_name"] = local["text_cfg"]["hf_tokenizer_name"] = str(
        text_folder)
    (root / f"{ARCH}-build.json").write_text(json.dumps(local))
    open_clip.add_model_config(root / f"{ARCH}-build.json")
    torch.manual_seed(0)
    model = open_clip.create_model(f"{ARCH}-build", pretrained=None, pretrained_text=False).eval()
    with torch.no_grad():
        for p in model.parameters():
            p.add_(torch.randn_like(p) * 0.2)
        reference = model.encode_text(open_clip.get_tokenizer(f"{ARCH}-build")(TEXTS))
    data = save({k: v.contiguous() for k, v in model.state_dict().items()})
    return Tiny(text_folder, data, torch.nn.functional.normalize(reference, dim=-1).numpy())


@pytest.fixture
def info() -> ModelInfo:
    """A built-in entry like the multilingual one, for the tiny architecture."""
    xlm = next(m for m in BUILTIN_MODELS if m.arch == "xlm-roberta-base-ViT-B-32")
    assert xlm.extra["hf_text_repo"] == TEXT_REPO
    return dataclasses.replace(
        xlm, model_id=f"open_clip:{ARCH}/test", arch=ARCH, pretrained="test", embed_dim=24,
        image_size=64, filename="open_clip_tiny.safetensors",
        url="https://huggingface.co/org/tiny/resolve/main/open_clip_model.safetensors")


@pytest.fixture
def hub(tiny: Tiny, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[FileServer]:
    monkeypatch.setattr(DL, "CHUNK", 16 * 1024)
    for var in ("http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "hub-cache"))
    with FileServer() as server:
        server.state.files["open_clip_model.safetensors"] = tiny.checkpoint
        for p in tiny.text_folder.iterdir():
            server.state.files[f"{TEXT_REPO}/{p.name}"] = p.read_bytes()
        server.state.files[f"{TEXT_REPO}/model.safetensors"] = b"xlm-r weights" * 1000
        monkeypatch.setenv("HF_ENDPOINT", server.url)
        yield server


def test_the_download_brings_the_tokenizer_and_it_loads_offline(
        hub: FileServer, info: ModelInfo, data_paths: DataPaths, tiny: Tiny,
        monkeypatch: pytest.MonkeyPatch) -> None:
    assert info.backend == Backend.OPEN_CLIP and W.find_weights(info, data_paths) is None
    path = W.ensure_weights(info, data_paths, download=True)
    assert path == data_paths.model_dir / "open_clip_tiny.safetensors"
    text = W.text_repo_folder(info, data_paths)
    assert text == data_paths.model_dir / "hf" / "FacebookAI--xlm-roberta-base"
    assert {p.name for p in text.iterdir() if not p.name.startswith(".")
            and not p.name.endswith(".verified")} == {p.name for p in tiny.text_folder.iterdir()}
    assert not any("xlm-roberta-base/resolve/main/model.safetensors" in p
                   for p, _ in hub.state.requests)  # its weights are in the checkpoint
    assert W.find_weights(info, data_paths) == path

    hub.state.files.clear()
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    encoder = load_encoder(info, data_paths, device="cpu")
    np.testing.assert_allclose(encoder.encode_texts(TEXTS), tiny.reference, atol=1e-5)


def test_without_the_tokenizer_it_says_what_to_fetch(info: ModelInfo, data_paths: DataPaths,
                                                     tiny: Tiny,
                                                     monkeypatch: pytest.MonkeyPatch,
                                                     tmp_path: Path) -> None:
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "hub-cache"))
    assert info.filename is not None
    (data_paths.model_dir / info.filename).write_bytes(tiny.checkpoint)
    assert W.find_weights(info, data_paths) is None  # the checkpoint alone is not enough
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    monkeypatch.setenv("HF_ENDPOINT", f"http://127.0.0.1:{port}")
    with pytest.raises(WeightsMissing, match=f"127.0.0.1:{port}/{TEXT_REPO}"):
        W.ensure_weights(info, data_paths, download=True, timeout=5)
