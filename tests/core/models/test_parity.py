"""clipdesk's vectors equal each library's own documented usage on the same weights.

Reference usage: open_clip ``create_model_and_transforms(..., pretrained=<file>)`` +
``get_tokenizer``; cn_clip ``load_from_name(<file>, ...)`` + ``cn_clip.clip.tokenize`` + its
preprocess. Compared on real photos: cosine >= 0.9999 per vector and identical rankings.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from clipdesk.core.models import load_encoder
from clipdesk.core.models.base import Encoder, ModelInfo
from clipdesk.paths import DataPaths
from tests.core.models.conftest import CN_ARCH, CN_FILE, OC_ARCH, OC_ID

EN_QUERIES = ["a dog", "a person riding a bicycle", "food on a plate", "a city street"]
ZH_QUERIES = ["一只狗", "骑自行车的人", "盘子里的食物", "城市街道"]
MIN_COSINE = 0.9999
REAL_ARCH_PHOTOS = 8  # full-size random architectures are slow on a small CPU


def _open(photos: Sequence[Path]) -> list[Image.Image]:
    out = []
    for p in photos:
        with Image.open(p) as im:
            im.load()
            out.append(im.copy())
    return out


def _normalise(x: np.ndarray) -> np.ndarray:
    x = np.asarray(x, dtype=np.float64)
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def _assert_parity(ours_img: np.ndarray, ours_txt: np.ndarray, ref_img: np.ndarray,
                   ref_txt: np.ndarray) -> None:
    assert ours_img.dtype == np.float32 and ours_txt.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(ours_img, axis=1), 1.0, atol=1e-5)
    np.testing.assert_allclose(np.linalg.norm(ours_txt, axis=1), 1.0, atol=1e-5)
    ref_img, ref_txt = _normalise(ref_img), _normalise(ref_txt)
    assert ours_img.shape == ref_img.shape and ours_txt.shape == ref_txt.shape
    img_cos = np.sum(ours_img * ref_img, axis=1)
    txt_cos = np.sum(ours_txt * ref_txt, axis=1)
    assert img_cos.min() >= MIN_COSINE, img_cos
    assert txt_cos.min() >= MIN_COSINE, txt_cos
    ours_rank = np.argsort(-(ours_txt @ ours_img.T), axis=1, kind="stable")
    ref_rank = np.argsort(-(ref_txt @ ref_img.T), axis=1, kind="stable")
    np.testing.assert_array_equal(ours_rank, ref_rank)


def _open_clip_reference(arch: str, weights: Path, images: list[Image.Image],
                         texts: list[str]) -> tuple[np.ndarray, np.ndarray]:
    import open_clip
    import torch

    model, _, preprocess = open_clip.create_model_and_transforms(arch, pretrained=str(weights))
    model.eval()
    tokenizer = open_clip.get_tokenizer(arch)
    with torch.no_grad():
        img = model.encode_image(torch.stack([preprocess(im) for im in images]))
        txt = model.encode_text(tokenizer(texts))
    return img.numpy(), txt.numpy()


def _cn_clip_reference(model: object, preprocess: object, images: list[Image.Image],
                       texts: list[str]) -> tuple[np.ndarray, np.ndarray]:
    import torch
    from cn_clip.clip import tokenize

    with torch.no_grad():
        img = model.encode_image(torch.stack([preprocess(im) for im in images]))  # type: ignore
        txt = model.encode_text(tokenize(texts))  # type: ignore
    return img.float().numpy(), txt.float().numpy()


def _ours(info: ModelInfo | str, paths: DataPaths, images: list[Image.Image],
          texts: list[str], batch_size: int = 5) -> tuple[np.ndarray, np.ndarray]:
    # 5: uneven batches on purpose; built-ins use one batch like the reference, because random
    # real architectures give nearly collapsed vectors whose score gaps get close to 1e-6
    encoder = load_encoder(info, paths, device="cpu", batch_size=batch_size)
    assert isinstance(encoder, Encoder) and encoder.device == "cpu"
    return encoder.encode_images(images), encoder.encode_texts(texts)


def test_open_clip_user_model_parity(tiny_open_clip: ModelInfo, data_paths: DataPaths,
                                     photos: list[Path], tmp_path: Path) -> None:
    import open_clip

    from tests.fixtures.tiny_models import build_tiny_open_clip

    # the library's documented way to use a custom config: register it, then create by name
    config, weights = build_tiny_open_clip(tmp_path / "ref", name="tiny-open-clip-ref")
    open_clip.add_model_config(config)
    images = _open(photos)
    ref = _open_clip_reference("tiny-open-clip-ref", weights, images, EN_QUERIES)
    ours = _ours(tiny_open_clip, data_paths, images, EN_QUERIES)
    _assert_parity(*ours, *ref)


def test_cn_clip_user_model_parity(tiny_cn_clip: ModelInfo, data_paths: DataPaths,
                                   photos: list[Path]) -> None:
    import torch
    from cn_clip.clip import image_transform
    from cn_clip.clip.model import CLIP, convert_weights

    from tests.fixtures.tiny_models import TINY_CN_CLIP_CONFIG

    # cn_clip's own steps for a custom config (its create_model reads configs only from its
    # package folder): CLIP(**model_info), convert_weights, load_state_dict, float() on the CPU
    model = CLIP(**TINY_CN_CLIP_CONFIG)
    convert_weights(model)
    assert tiny_cn_clip.checkpoint_path is not None
    checkpoint = torch.load(tiny_cn_clip.checkpoint_path, map_location="cpu", weights_only=True)
    model.load_state_dict({k[len("module."):]: v for k, v in checkpoint["state_dict"].items()})
    model.float().eval()
    images = _open(photos)
    ref = _cn_clip_reference(model, image_transform(64), images, ZH_QUERIES)
    ours = _ours(tiny_cn_clip, data_paths, images, ZH_QUERIES)
    _assert_parity(*ours, *ref)


@pytest.mark.slow
def test_open_clip_builtin_parity(real_open_clip_file: Path, data_paths: DataPaths,
                                  photos: list[Path]) -> None:
    """The built-in ViT-B-32 found under the registry's file name in the model folder."""
    target = data_paths.model_dir / real_open_clip_file.name
    _place(real_open_clip_file, target)
    images = _open(photos[:REAL_ARCH_PHOTOS])
    ref = _open_clip_reference(OC_ARCH, target, images, EN_QUERIES)
    ours = _ours(OC_ID, data_paths, images, EN_QUERIES, batch_size=len(images))
    _assert_parity(*ours, *ref)


@pytest.mark.slow
def test_cn_clip_builtin_parity(real_cn_clip_file: Path, data_paths: DataPaths,
                                photos: list[Path]) -> None:
    """The built-in RN50 found as ``clip_cn_rn50.pt`` in the model folder."""
    from cn_clip.clip import load_from_name

    target = data_paths.model_dir / CN_FILE
    _place(real_cn_clip_file, target)
    images = _open(photos[:REAL_ARCH_PHOTOS])
    model, preprocess = load_from_name(
        str(target), device="cpu", vision_model_name=CN_ARCH, text_model_name="RBT3-chinese",
        input_resolution=224)
    model.eval()
    ref = _cn_clip_reference(model, preprocess, images, ZH_QUERIES)
    del model
    ours = _ours(f"cn_clip:{CN_ARCH}", data_paths, images, ZH_QUERIES, batch_size=len(images))
    _assert_parity(*ours, *ref)


def _place(source: Path, target: Path) -> None:
    """Put a session-built weights file into this test's model folder (hard link if possible)."""
    try:
        os.link(source, target)
    except OSError:
        shutil.copy(source, target)
