"""The built-in model table and the registry's lookups (no torch needed except one check)."""

from __future__ import annotations

import json
import sys

import pytest

from clipdesk.core.errors import ModelError, UnknownModel
from clipdesk.core.models import BUILTIN_MODELS, DEFAULT_MODEL_ID, ModelRegistry
from clipdesk.core.models.base import Backend, ModelInfo
from clipdesk.paths import DataPaths

CN_ARCHES = {"ViT-B-16", "ViT-L-14", "ViT-L-14-336", "ViT-H-14", "RN50"}


def test_import_does_not_load_torch() -> None:
    import subprocess

    code = ("import sys, clipdesk.core.models as m; from clipdesk.paths import DataPaths; "
            "m.ModelRegistry(DataPaths(__import__('pathlib').Path('x'))).get('cn_clip:RN50'); "
            "bad = [k for k in sys.modules if k.split('.')[0] in "
            "('torch', 'open_clip', 'cn_clip', 'faiss', 'PySide6')]; print(bad); "
            "sys.exit(1 if bad else 0)")
    assert subprocess.run([sys.executable, "-c", code]).returncode == 0


def test_ids_carry_their_backend_and_are_unique() -> None:
    ids = [m.model_id for m in BUILTIN_MODELS]
    assert len(ids) == len(set(ids))
    for info in BUILTIN_MODELS:
        prefix = info.model_id.split(":", 1)[0]
        assert prefix == info.backend.value
        assert not info.user
        assert info.display_name and info.description and info.languages
        assert info.embed_dim > 0 and info.image_size > 0 and info.download_size > 0
        assert info.url and info.url.startswith("https://huggingface.co/")
        # a transformers repository is a folder of files, the others one file
        assert (info.filename is None) == (info.backend == Backend.HF)


def test_cn_clip_models() -> None:
    cn = {m.arch: m for m in BUILTIN_MODELS if m.backend == Backend.CN_CLIP}
    assert set(cn) == CN_ARCHES
    assert DEFAULT_MODEL_ID == "cn_clip:ViT-B-16" and cn["ViT-B-16"].recommended
    assert cn["ViT-L-14-336"].image_size == 336
    assert cn["ViT-H-14"].embed_dim == 1024 and cn["ViT-B-16"].embed_dim == 512
    for info in cn.values():
        assert info.speaks("zh")
        assert info.model_id == f"cn_clip:{info.arch}"


def test_cn_clip_urls_follow_cn_clip() -> None:
    from cn_clip.clip.utils import _MODELS

    for info in BUILTIN_MODELS:
        if info.backend == Backend.CN_CLIP:
            repo, filename = _MODELS[info.arch]
            assert info.url == f"https://huggingface.co/OFA-Sys/{repo}/resolve/main/{filename}"
            assert info.filename == filename


def test_open_clip_models_match_open_clip_metadata() -> None:
    import open_clip

    oc = [m for m in BUILTIN_MODELS if m.backend == Backend.OPEN_CLIP]
    arches = {m.arch for m in oc}
    assert {"ViT-B-32", "ViT-B-16", "ViT-L-14", "xlm-roberta-base-ViT-B-32"} <= arches
    for info in oc:
        assert info.pretrained and info.model_id == f"open_clip:{info.arch}/{info.pretrained}"
        cfg = open_clip.get_pretrained_cfg(info.arch, info.pretrained)
        assert cfg, info.model_id
        repo = cfg["hf_hub"].rstrip("/")
        assert info.url == f"https://huggingface.co/{repo}/resolve/main/open_clip_model.safetensors"
        assert info.extra["alt_url"].endswith(f"{repo}/resolve/main/open_clip_pytorch_model.bin")
        model_cfg = open_clip.get_model_config(info.arch)
        assert model_cfg["embed_dim"] == info.embed_dim
        assert model_cfg["vision_cfg"]["image_size"] == info.image_size
    multi = next(m for m in oc if m.arch == "xlm-roberta-base-ViT-B-32")
    assert multi.pretrained == "laion5b_s13b_b90k" and multi.languages == frozenset({"*"})
    assert multi.speaks("zh") and multi.speaks("fr")


def test_get_and_unknown(data_paths: DataPaths) -> None:
    registry = ModelRegistry(data_paths)
    assert registry.get("cn_clip:RN50").arch == "RN50"
    assert registry.default().model_id == DEFAULT_MODEL_ID
    with pytest.raises(UnknownModel, match="cn_clip:ViT-B-16"):
        registry.get("ViT-B-16")  # the prefix is not optional
    with pytest.raises(UnknownModel):
        registry.get("user:nothing")


def test_models_filters(data_paths: DataPaths, tiny_open_clip: ModelInfo,
                        tiny_cn_clip: ModelInfo) -> None:
    registry = ModelRegistry(data_paths)
    users = registry.models(user=True)
    assert {m.model_id for m in users} == {"user:tiny-open-clip", "user:tiny-cn-clip"}
    assert all(m.user for m in users)
    assert not any(m.user for m in registry.models(user=False))
    assert len(registry.all()) == len(BUILTIN_MODELS) + 2
    assert all(m.backend == Backend.CN_CLIP for m in registry.models(backend=Backend.CN_CLIP))
    assert "user:tiny-cn-clip" in {m.model_id for m in registry.models(language="zh")}


def test_availability(data_paths: DataPaths, tiny_open_clip: ModelInfo) -> None:
    registry = ModelRegistry(data_paths)
    rn50 = registry.get("cn_clip:RN50")
    assert not registry.is_available(rn50)
    (data_paths.model_dir / "clip_cn_rn50.pt").write_bytes(b"x")
    assert registry.weights_path(rn50) == data_paths.model_dir / "clip_cn_rn50.pt"
    assert registry.is_available(tiny_open_clip)
    b32 = registry.get("open_clip:ViT-B-32/laion2b_s34b_b79k")
    (data_paths.model_dir / b32.extra["alt_filename"]).write_bytes(b"x")  # the .bin variant
    assert registry.is_available(b32)


def test_damaged_manifest_is_skipped_in_lists(data_paths: DataPaths,
                                              tiny_open_clip: ModelInfo) -> None:
    bad = data_paths.user_model_dir / "broken"
    bad.mkdir()
    (bad / "manifest.json").write_text("{not json", encoding="utf-8")
    registry = ModelRegistry(data_paths)
    assert [m.model_id for m in registry.models(user=True)] == ["user:tiny-open-clip"]
    with pytest.raises(ModelError, match="import it again"):
        registry.get("user:broken")


def test_manifest_paths_are_relative(data_paths: DataPaths, tiny_cn_clip: ModelInfo) -> None:
    manifest = data_paths.user_model_dir / "tiny-cn-clip" / "manifest.json"
    data = json.loads(manifest.read_text(encoding="utf-8"))
    assert data["checkpoint"] == "tiny-cn-clip.pt" and data["config"] == "cn_clip_config.json"
    assert len(data["sha256"]) == 64
    assert tiny_cn_clip.checkpoint_path == manifest.parent / "tiny-cn-clip.pt"


def test_remove_user_model(data_paths: DataPaths, tiny_open_clip: ModelInfo) -> None:
    registry = ModelRegistry(data_paths)
    registry.remove(tiny_open_clip.model_id)
    assert not (data_paths.user_model_dir / "tiny-open-clip").exists()
    with pytest.raises(UnknownModel):
        registry.get(tiny_open_clip.model_id)
    with pytest.raises(ModelError):
        registry.remove("cn_clip:RN50")
