"""Importing user models: every accepted format, and every kind of bad file."""

from __future__ import annotations

import json
import os
import pickle
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from clipdesk.core.errors import InvalidCheckpoint, ModelError
from clipdesk.core.models import ModelRegistry, load_encoder
from clipdesk.core.models.base import Backend
from clipdesk.paths import DataPaths
from tests.fixtures.tiny_models import (
    TINY_OPEN_CLIP_CONFIG,
    build_tiny_cn_clip,
    build_tiny_open_clip,
)

IMAGES = [Image.new("RGB", (90, 70), c) for c in ("red", "navy", "olive")]


def _vectors(info: object, paths: DataPaths) -> tuple[np.ndarray, np.ndarray]:
    encoder = load_encoder(info, paths, device="cpu")  # type: ignore[arg-type]
    return encoder.encode_images(IMAGES), encoder.encode_texts(["a cat", "一只猫"])


def _nothing_left(paths: DataPaths) -> bool:
    return not any(paths.user_model_dir.iterdir())


def test_open_clip_config_and_safetensors(data_paths: DataPaths, tmp_path: Path) -> None:
    config, weights = build_tiny_open_clip(tmp_path / "src")
    info = ModelRegistry(data_paths).import_model(weights, config=config, name="My model")
    assert info.model_id == "user:my-model" and info.user
    assert info.backend == Backend.OPEN_CLIP and info.display_name == "My model"
    assert info.embed_dim == 32 and info.image_size == 64 and info.languages == {"en"}
    assert info.checkpoint_path is not None and info.checkpoint_path.parent == (
        data_paths.user_model_dir / "my-model")
    before = _vectors(info, data_paths)
    # the original may move or disappear: the data folder has its own copy
    weights.unlink()
    config.unlink()
    again = ModelRegistry(data_paths).get("user:my-model")
    after = _vectors(again, data_paths)
    np.testing.assert_array_equal(before[0], after[0])
    np.testing.assert_array_equal(before[1], after[1])


def test_open_clip_config_and_training_pt(data_paths: DataPaths, tmp_path: Path) -> None:
    config, weights = build_tiny_open_clip(tmp_path / "src", fmt="pt", name="finetuned")
    info = ModelRegistry(data_paths).import_model(weights, config=config)
    assert info.model_id == "user:finetuned" and info.checkpoint_path.suffix == ".pt"
    images, texts = _vectors(info, data_paths)
    assert images.shape == (3, 32) and texts.shape == (2, 32)


def test_same_weights_same_vectors_in_both_formats(data_paths: DataPaths,
                                                   tmp_path: Path) -> None:
    registry = ModelRegistry(data_paths)
    c1, w1 = build_tiny_open_clip(tmp_path / "a", fmt="safetensors", seed=3)
    c2, w2 = build_tiny_open_clip(tmp_path / "b", fmt="pt", seed=3)
    a = _vectors(registry.import_model(w1, config=c1), data_paths)
    b = _vectors(registry.import_model(w2, config=c2), data_paths)
    assert {m.model_id for m in registry.models(user=True)} == {
        "user:tiny-open-clip", "user:tiny-open-clip-2"}
    np.testing.assert_allclose(a[0], b[0], atol=1e-6)
    np.testing.assert_allclose(a[1], b[1], atol=1e-6)


def test_open_clip_hf_style_folder(data_paths: DataPaths, tmp_path: Path) -> None:
    _, weights = build_tiny_open_clip(tmp_path / "src")
    folder = tmp_path / "hf"
    folder.mkdir()
    os.replace(weights, folder / "open_clip_model.safetensors")
    (folder / "open_clip_config.json").write_text(json.dumps({
        "model_cfg": TINY_OPEN_CLIP_CONFIG,
        "preprocess_cfg": {"mean": [0.5, 0.5, 0.5], "std": [0.5, 0.5, 0.5]},
    }), encoding="utf-8")
    info = ModelRegistry(data_paths).import_model(folder, name="hf model")
    assert json.loads(info.extra["preprocess"])["mean"] == [0.5, 0.5, 0.5]
    encoder = load_encoder(info, data_paths, device="cpu")
    pixel = encoder.preprocess(Image.new("RGB", (64, 64), (255, 255, 255)))
    assert float(pixel.max()) == pytest.approx(1.0, abs=1e-5)  # (1 - 0.5) / 0.5


def test_cn_clip_config_and_release_pt(data_paths: DataPaths, tmp_path: Path) -> None:
    config, weights = build_tiny_cn_clip(tmp_path / "src")
    info = ModelRegistry(data_paths).import_model(weights, config=config, name="中文模型")
    assert info.backend == Backend.CN_CLIP and info.languages == {"zh"}
    assert info.model_id.startswith("user:") and info.display_name == "中文模型"
    images, _ = _vectors(info, data_paths)
    assert images.shape == (3, 32)
    encoder = load_encoder(info, data_paths, device="cpu")
    assert encoder.context_length == 52


def test_reference_instead_of_copy(data_paths: DataPaths, tmp_path: Path) -> None:
    config, weights = build_tiny_open_clip(tmp_path / "src")
    info = ModelRegistry(data_paths).import_model(weights, config=config, copy=False)
    assert info.checkpoint_path == weights.resolve()
    assert not any(p.suffix == ".safetensors" for p in (
        data_paths.user_model_dir / "tiny-open-clip").iterdir())


# -- bad files ----------------------------------------------------------------------------------


class Evil:
    def __reduce__(self) -> tuple[object, tuple[str]]:
        return (os.system, ("echo pwned",))


def _bad_files(tmp_path: Path) -> dict[str, Path]:
    import torch

    folder = tmp_path / "bad"
    folder.mkdir()
    rng = np.random.default_rng(0)
    out = {}
    for suffix in (".pt", ".safetensors", ".bin"):
        p = folder / f"random{suffix}"
        p.write_bytes(rng.bytes(4096))
        out[f"random{suffix}"] = p
    _, good = build_tiny_open_clip(tmp_path / "good")
    data = good.read_bytes()
    cut = folder / "truncated.safetensors"
    cut.write_bytes(data[: len(data) // 2])
    out["truncated safetensors"] = cut
    _, good_pt = build_tiny_open_clip(tmp_path / "goodpt", fmt="pt")
    data = good_pt.read_bytes()
    cut = folder / "truncated.pt"
    cut.write_bytes(data[: len(data) // 2])
    out["truncated pt"] = cut
    other_cfg = json.loads(json.dumps(TINY_OPEN_CLIP_CONFIG))
    other_cfg["vision_cfg"]["width"] = 48
    _, other = build_tiny_open_clip(tmp_path / "other", config=other_cfg, name="other")
    out["other architecture"] = other
    _, cn_weights = build_tiny_cn_clip(tmp_path / "cn")
    out["cn_clip weights"] = cn_weights
    evil = folder / "evil.pt"
    with evil.open("wb") as f:
        pickle.dump({"state_dict": {"x": torch.zeros(1)}, "hook": Evil()}, f, protocol=2)
    out["unsafe pickle"] = evil
    empty = folder / "empty.pt"
    torch.save({}, empty)
    out["empty"] = empty
    return out


def test_invalid_checkpoints_are_refused(data_paths: DataPaths, tmp_path: Path,
                                         capfd: pytest.CaptureFixture[str]) -> None:
    config, _ = build_tiny_open_clip(tmp_path / "cfg")
    registry = ModelRegistry(data_paths)
    for what, path in _bad_files(tmp_path).items():
        with pytest.raises(InvalidCheckpoint) as caught:
            registry.import_model(path, config=config)
        message = str(caught.value)
        assert path.name in message, (what, message)
        assert "\n" not in message and "Traceback" not in message
        assert _nothing_left(data_paths), what
    assert "pwned" not in capfd.readouterr().out


def test_invalid_cn_clip_checkpoints_are_refused(data_paths: DataPaths, tmp_path: Path) -> None:
    cn_config, _ = build_tiny_cn_clip(tmp_path / "cfg")
    registry = ModelRegistry(data_paths)
    bad = _bad_files(tmp_path)
    for what in ("random.pt", "truncated pt", "other architecture", "unsafe pickle", "empty"):
        with pytest.raises(InvalidCheckpoint):
            registry.import_model(bad[what], config=cn_config, backend=Backend.CN_CLIP)
        assert _nothing_left(data_paths), what


def test_messages_say_why(data_paths: DataPaths, tmp_path: Path) -> None:
    config, _ = build_tiny_open_clip(tmp_path / "cfg")
    registry = ModelRegistry(data_paths)
    bad = _bad_files(tmp_path)
    with pytest.raises(InvalidCheckpoint, match="do not match"):
        registry.import_model(bad["other architecture"], config=config)
    with pytest.raises(InvalidCheckpoint, match="weights-only"):
        registry.import_model(bad["unsafe pickle"], config=config)
    for what in ("random.safetensors", "random.pt", "truncated pt"):
        with pytest.raises(InvalidCheckpoint, match="damaged"):
            registry.import_model(bad[what], config=config)


def test_unusable_inputs(data_paths: DataPaths, tmp_path: Path) -> None:
    registry = ModelRegistry(data_paths)
    config, weights = build_tiny_open_clip(tmp_path / "src")
    with pytest.raises(ModelError, match="does not exist"):
        registry.import_model(tmp_path / "nope.pt", config=config)
    not_config = tmp_path / "x.json"
    not_config.write_text('{"hello": 1}', encoding="utf-8")
    with pytest.raises(ModelError, match="not an OpenCLIP or Chinese CLIP model config"):
        registry.import_model(weights, config=not_config)
    with pytest.raises(ModelError, match="could not tell which architecture"):
        registry.import_model(weights)  # a custom architecture needs its config
    with pytest.raises(ModelError, match="no architecture"):
        registry.import_model(weights, arch="cn_clip:ViT-Z-99")
    assert _nothing_left(data_paths)


# -- built-in architecture + checkpoint only (real sizes: slow) ---------------------------------


@pytest.mark.slow
def test_cn_clip_builtin_arch_checkpoint_only(data_paths: DataPaths,
                                              real_cn_clip_file: Path) -> None:
    registry = ModelRegistry(data_paths)
    named = registry.import_model(real_cn_clip_file, arch="RN50", name="rn50 named", copy=False)
    guessed = registry.import_model(real_cn_clip_file, name="rn50 guessed", copy=False)
    for info in (named, guessed):
        assert info.backend == Backend.CN_CLIP and info.arch == "RN50"
        assert info.embed_dim == 1024 and info.image_size == 224 and info.config_path is None
    a = _vectors(named, data_paths)
    b = _vectors(guessed, data_paths)
    np.testing.assert_array_equal(a[0], b[0])
    assert a[0].shape == (3, 1024)


@pytest.mark.slow
def test_open_clip_builtin_arch_checkpoint_only(data_paths: DataPaths,
                                                real_open_clip_file: Path) -> None:
    registry = ModelRegistry(data_paths)
    named = registry.import_model(real_open_clip_file, arch="open_clip:ViT-B-32", copy=False)
    guessed = registry.import_model(real_open_clip_file, copy=False)
    for info in (named, guessed):
        assert info.backend == Backend.OPEN_CLIP and info.arch == "ViT-B-32"
        assert info.embed_dim == 512
    images, texts = _vectors(guessed, data_paths)
    assert images.shape == (3, 512) and texts.shape == (2, 512)
    with pytest.raises(InvalidCheckpoint, match="do not match"):
        registry.import_model(real_open_clip_file, arch="ViT-B-16", copy=False)
