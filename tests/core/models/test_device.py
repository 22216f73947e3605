"""Device choice, precision, adaptive batches and out-of-memory recovery (no GPU needed)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pytest
import torch
from PIL import Image

from clipdesk.core.jobs import Cancelled, CancelToken
from clipdesk.core.models import device as D
from clipdesk.core.models.base import Backend, ModelInfo
from clipdesk.core.models.torch_encoder import TorchEncoder


@pytest.mark.parametrize(
    ("requested", "cuda", "mps", "expected"),
    [
        ("auto", True, True, "cuda"),
        ("auto", False, True, "mps"),
        ("auto", False, False, "cpu"),
        ("cuda", False, True, "cpu"),  # asked for what is not there: CPU, not an error
        ("cuda:0", True, False, "cuda"),
        ("mps", True, True, "mps"),
        ("cpu", True, True, "cpu"),
        ("tpu", True, False, "cuda"),  # unknown: chosen automatically
    ],
)
def test_pick_device(monkeypatch: pytest.MonkeyPatch, requested: str, cuda: bool, mps: bool,
                     expected: str) -> None:
    monkeypatch.setattr(D, "_cuda_available", lambda: cuda)
    monkeypatch.setattr(D, "_mps_available", lambda: mps)
    assert D.pick_device(requested) == expected


def test_precision_and_batch_defaults() -> None:
    assert D.default_precision("cuda") == "fp16"
    assert D.default_precision("mps") == D.default_precision("cpu") == "fp32"
    assert D.default_batch_size("cpu") >= 1
    assert D.default_batch_size("cpu", image_size=336) < D.default_batch_size("cpu")


def test_is_out_of_memory() -> None:
    assert D.is_out_of_memory(torch.cuda.OutOfMemoryError("CUDA out of memory."))
    assert D.is_out_of_memory(RuntimeError("MPS backend out of memory (MPS allocated: 1 GB)"))
    assert not D.is_out_of_memory(RuntimeError("size mismatch for visual.proj"))
    assert not D.is_out_of_memory(ValueError("out of memory"))


# -- an encoder whose fake "GPU" runs out of memory ---------------------------------------------


class FakeModel(torch.nn.Module):
    """Encodes an image as its mean colour plus a bias; OOMs on the fake GPU above a size."""

    def __init__(self, max_gpu_batch: int) -> None:
        super().__init__()
        self.max_gpu_batch = max_gpu_batch
        self.on_gpu = True
        self.batches: list[tuple[str, int]] = []
        self.logit_scale = torch.nn.Parameter(torch.tensor(np.log(100.0)))

    def encode_image(self, pixels: torch.Tensor) -> torch.Tensor:
        where = "gpu" if self.on_gpu else "cpu"
        if self.on_gpu and len(pixels) > self.max_gpu_batch:
            raise torch.cuda.OutOfMemoryError("CUDA out of memory. Tried to allocate 2.00 GiB")
        self.batches.append((where, len(pixels)))
        mean = pixels.mean(dim=(2, 3))
        return torch.cat([mean, torch.ones(len(pixels), 1)], dim=1)


class FakeEncoder(TorchEncoder):
    def _forward_images(self, pixels: torch.Tensor) -> torch.Tensor:
        return self._model.encode_image(pixels)  # type: ignore[no-any-return]

    def _to_device(self, x: torch.Tensor, dtype: torch.dtype | None = None) -> torch.Tensor:
        return x  # the "GPU" is pretend: stay on the CPU

    def _move_to_cpu(self) -> None:
        self._model.on_gpu = False  # type: ignore[assignment]


INFO = ModelInfo(model_id="user:fake", backend=Backend.OPEN_CLIP, arch="fake",
                 display_name="fake", languages=frozenset({"en"}), embed_dim=4, image_size=8)


def _encoder(max_gpu_batch: int, batch_size: int = 16) -> tuple[FakeEncoder, FakeModel]:
    import torchvision.transforms as T

    model = FakeModel(max_gpu_batch)
    encoder = FakeEncoder(INFO, model, preprocess=T.Compose([T.Resize((8, 8)), T.ToTensor()]),
                          device="cuda", precision="fp32", dim=4, context_length=77,
                          batch_size=batch_size)
    return encoder, model


def _images(n: int) -> list[Image.Image]:
    rng = np.random.default_rng(1)
    return [Image.fromarray(rng.integers(0, 255, (8, 8, 3), dtype=np.uint8)) for _ in range(n)]


def _expected(images: Sequence[Image.Image]) -> np.ndarray:
    rows = []
    for im in images:
        mean = np.asarray(im, dtype=np.float64).mean(axis=(0, 1)) / 255.0
        v = np.append(mean, 1.0)
        rows.append(v / np.linalg.norm(v))
    return np.array(rows)


def test_oom_halves_batch_keeping_every_item_in_order() -> None:
    encoder, model = _encoder(max_gpu_batch=3, batch_size=16)
    images = _images(23)
    out = encoder.encode_images(images)
    assert out.shape == (23, 4) and out.dtype == np.float32
    np.testing.assert_allclose(out, _expected(images), atol=1e-5)  # none lost, none repeated
    assert encoder.batch_size == 2 and encoder.device == "cuda"  # 16 -> 8 -> 4 -> 2
    assert sum(n for _, n in model.batches) == 23 and all(w == "gpu" for w, _ in model.batches)
    model.batches.clear()
    encoder.encode_images(images[:5])  # the smaller size is kept for the next call
    assert [n for _, n in model.batches] == [2, 2, 1]


def test_oom_even_for_one_item_moves_to_cpu() -> None:
    encoder, model = _encoder(max_gpu_batch=0, batch_size=4)
    images = _images(9)
    out = encoder.encode_images(images)
    np.testing.assert_allclose(out, _expected(images), atol=1e-5)
    assert encoder.device == "cpu" and encoder.precision == "fp32"
    assert all(w == "cpu" for w, _ in model.batches) and sum(n for _, n in model.batches) == 9


def test_oom_after_some_batches_keeps_the_done_ones() -> None:
    encoder, model = _encoder(max_gpu_batch=100, batch_size=4)
    images = _images(10)
    calls = {"n": 0}
    real = model.encode_image

    def flaky(pixels: torch.Tensor) -> torch.Tensor:
        calls["n"] += 1
        if calls["n"] == 2:
            raise torch.cuda.OutOfMemoryError("CUDA out of memory.")
        return real(pixels)

    model.encode_image = flaky  # type: ignore[method-assign]
    out = encoder.encode_images(images)
    np.testing.assert_allclose(out, _expected(images), atol=1e-5)
    assert [n for _, n in model.batches] == [4, 2, 2, 2]


def test_other_errors_are_not_swallowed() -> None:
    encoder, model = _encoder(max_gpu_batch=100)
    model.encode_image = lambda p: (_ for _ in ()).throw(ValueError("bug"))  # type: ignore
    with pytest.raises(ValueError, match="bug"):
        encoder.encode_images(_images(3))


def test_cpu_out_of_memory_is_raised() -> None:
    encoder, model = _encoder(max_gpu_batch=0)
    model.on_gpu = False
    encoder._device = "cpu"
    model.encode_image = lambda p: (_ for _ in ()).throw(  # type: ignore
        RuntimeError("CUDA out of memory"))
    with pytest.raises(RuntimeError):
        encoder.encode_images(_images(2))


def test_cancel_between_batches() -> None:
    encoder, model = _encoder(max_gpu_batch=100, batch_size=2)
    token = CancelToken()
    token.cancel()
    with pytest.raises(Cancelled):
        encoder.encode_images(_images(4), token=token)
    assert model.batches == []


def test_empty_inputs() -> None:
    encoder, _ = _encoder(max_gpu_batch=100)
    assert encoder.encode_images([]).shape == (0, 4)
    assert encoder.encode_texts([]).shape == (0, 4)
    assert encoder.logit_scale == pytest.approx(100.0)


def test_loader_falls_back_when_model_does_not_fit(monkeypatch: pytest.MonkeyPatch,
                                                   tiny_open_clip: ModelInfo,
                                                   data_paths: object) -> None:
    from clipdesk.core.models import loader
    from clipdesk.core.models import open_clip_backend as oc

    real = oc.load
    devices: list[str] = []

    def load(info: ModelInfo, weights: object, *, device: str, **kw: object) -> TorchEncoder:
        devices.append(device)
        if device == "cuda":
            raise torch.cuda.OutOfMemoryError("CUDA out of memory.")
        return real(info, weights, device=device, **kw)  # type: ignore[arg-type]

    monkeypatch.setattr(oc, "load", load)
    monkeypatch.setattr(loader, "pick_device", lambda requested: "cuda")
    encoder = loader.load_encoder(tiny_open_clip, data_paths, device="auto")  # type: ignore
    assert devices == ["cuda", "cpu"] and encoder.device == "cpu"


def test_pixels_back_off_on_oom_like_pictures() -> None:
    """encode_pixels (the indexing path) shares the batch plan and the CPU fallback."""
    from clipdesk.core.pipeline import geometry

    encoder, model = _encoder(max_gpu_batch=3, batch_size=16)
    images = _images(11)
    spec = encoder.pixel_spec
    assert spec is not None and spec.shape == (8, 8, 3)
    pixels = np.stack([geometry.apply(im, spec) for im in images])
    out = encoder.encode_pixels(pixels)
    np.testing.assert_allclose(out, _expected(images), atol=1e-5)
    assert encoder.batch_size == 2 and sum(n for _, n in model.batches) == 11
    stuck, model = _encoder(max_gpu_batch=0, batch_size=4)
    np.testing.assert_allclose(stuck.encode_pixels(pixels), _expected(images), atol=1e-5)
    assert stuck.device == "cpu" and all(w == "cpu" for w, _ in model.batches)
