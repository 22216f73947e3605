"""The decode workers' Pillow-only geometry equals the libraries' own transforms, bit for bit."""

from __future__ import annotations

import pickle
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image

from clipdesk.core.pipeline import geometry
from clipdesk.core.pipeline.geometry import CenterCrop, PixelSpec, Resize, spec_from_transform

# odd sizes on purpose: rounding of the resize and of the crop offsets, portrait, landscape,
# exactly the target, and pictures smaller than the crop (padding)
SIZES = [(640, 480), (480, 640), (224, 224), (225, 301), (1001, 333), (100, 60), (37, 250),
         (224, 100), (3, 3)]


def _picture(width: int, height: int, seed: int = 0) -> Image.Image:
    rng = np.random.default_rng(seed + width * 7 + height)
    base = rng.integers(0, 256, (max(2, height // 4), max(2, width // 4), 3), dtype=np.uint8)
    return Image.fromarray(base).resize((width, height), Image.Resampling.BILINEAR)


def _reference_pixels(transform: Any, image: Image.Image) -> np.ndarray:
    """What ToTensor saw, as uint8: the library's transform, its normalisation undone."""
    import torch

    tensor = transform(image)
    names = [type(t).__name__ for t in transform.transforms]
    norm = transform.transforms[names.index("Normalize")]
    mean = torch.as_tensor(norm.mean).view(3, 1, 1)
    std = torch.as_tensor(norm.std).view(3, 1, 1)
    raw = (tensor * std + mean) * 255.0
    return np.rint(raw.permute(1, 2, 0).numpy()).astype(np.uint8)


def _normalised(pixels: np.ndarray, spec: PixelSpec) -> Any:
    """Our device-side normalisation, done on the CPU the way ToTensor + Normalize do it."""
    import torch

    x = torch.from_numpy(np.array(pixels)).permute(2, 0, 1).contiguous().to(torch.float32).div(255)
    mean = torch.tensor(spec.mean, dtype=torch.float32)[:, None, None]
    std = torch.tensor(spec.std, dtype=torch.float32)[:, None, None]
    return x.sub_(mean).div_(std)


def _open_clip_transform(**cfg: Any) -> Any:
    from open_clip.transform import PreprocessCfg, image_transform_v2

    return image_transform_v2(PreprocessCfg(**cfg), is_train=False)


def _cn_clip_transform(size: int) -> Any:
    from cn_clip.clip import image_transform

    return image_transform(size)


TRANSFORMS = {
    "open_clip shortest 224": lambda: _open_clip_transform(size=224),
    "open_clip shortest bilinear": lambda: _open_clip_transform(size=64,
                                                                interpolation="bilinear"),
    "open_clip squash": lambda: _open_clip_transform(size=96, resize_mode="squash"),
    "open_clip longest + fill": lambda: _open_clip_transform(size=96, resize_mode="longest",
                                                             fill_color=128),
    "open_clip non-square": lambda: _open_clip_transform(size=(64, 96)),
    "cn_clip 224": lambda: _cn_clip_transform(224),
    "cn_clip 64": lambda: _cn_clip_transform(64),
}


@pytest.mark.parametrize("name", sorted(TRANSFORMS))
def test_pixels_equal_the_library_transform(name: str) -> None:
    import torch

    transform = TRANSFORMS[name]()
    spec = spec_from_transform(transform)
    assert spec is not None, name
    for width, height in SIZES:
        image = _picture(width, height)
        ours = geometry.apply(image, spec)
        assert ours.shape == spec.shape and ours.dtype == np.uint8 and ours.flags.c_contiguous
        np.testing.assert_array_equal(ours, _reference_pixels(transform, image),
                                      err_msg=f"{name} at {width}x{height}")
        # and normalised on the "device" it is the library's tensor, exactly
        assert torch.equal(_normalised(ours, spec), transform(image)), (name, width, height)


def test_real_photos_are_exact_too(coco_mini: Path) -> None:
    transform = _open_clip_transform(size=224)
    spec = spec_from_transform(transform)
    assert spec is not None
    for path in sorted((coco_mini / "images").glob("*.jpg"))[:6]:
        with Image.open(path) as im:
            image = im.convert("RGB")
        np.testing.assert_array_equal(geometry.apply(image, spec),
                                      _reference_pixels(transform, image))


def test_spec_is_small_and_picklable() -> None:
    spec = spec_from_transform(_cn_clip_transform(224))
    assert spec == PixelSpec((Resize((224, 224), int(Image.Resampling.BICUBIC)),), 224, 224,
                             (0.48145466, 0.4578275, 0.40821073),
                             (0.26862954, 0.26130258, 0.27577711))
    assert pickle.loads(pickle.dumps(spec)) == spec
    assert spec.nbytes == 224 * 224 * 3 and spec.min_side == 224


def test_unknown_steps_are_refused_not_guessed() -> None:
    from torchvision import transforms as T

    norm = T.Normalize((0.5, 0.5, 0.5), (0.5, 0.5, 0.5))
    assert spec_from_transform(T.Compose([T.Resize(32), T.CenterCrop(32), T.ToTensor(),
                                          norm])) is not None
    plain = spec_from_transform(T.Compose([T.Resize((32, 32)), T.ToTensor()]))
    assert plain is not None and (plain.mean, plain.std) == ((0.0,) * 3, (1.0,) * 3)
    refused = [
        T.Compose([T.RandomResizedCrop(32), T.ToTensor(), norm]),  # random
        T.Compose([T.Resize(32), T.ToTensor(), norm]),  # output size depends on the picture
        T.Compose([T.Resize(32), T.CenterCrop(32)]),  # no tensor at the end
        T.Compose([T.Resize(32), T.CenterCrop(32), T.Grayscale(3), T.ToTensor(), norm]),
        T.Compose([T.Resize(32), T.CenterCrop(32), T.ToTensor(), T.Resize(16), norm]),
        lambda image: image,
    ]
    for transform in refused:
        assert spec_from_transform(transform) is None, transform


def test_non_rgb_input_is_converted_like_the_library() -> None:
    spec = PixelSpec((Resize((8,), int(Image.Resampling.BILINEAR)), CenterCrop((8, 8))), 8, 8,
                     (0.0, 0.0, 0.0), (1.0, 1.0, 1.0))
    grey = Image.new("L", (16, 12), 77)
    out = geometry.apply(grey, spec)
    assert out.shape == (8, 8, 3) and (out == 77).all()


def test_crop_box_arithmetic_matches_torchvision() -> None:
    # pad 3 on the left, 4 on the right; then a rounded centre (banker's rounding, as round())
    assert geometry.crop_box(10, 5, (10, 12)) == (0, 3, 10, 12, 0, 0)
    assert geometry.crop_box(9, 9, (4, 4)) == (0, 0, 9, 9, 2, 2)  # round(2.5) == 2
    assert geometry.crop_box(11, 11, (4, 4)) == (0, 0, 11, 11, 4, 4)  # round(3.5) == 4
