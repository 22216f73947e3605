"""Fast, deterministic stand-ins for the store and indexer tests (no torch).

``FakeEncoder`` implements the :class:`~clipdesk.core.models.base.Encoder` protocol with colour
histograms: every image becomes the L2-normalised histogram of its (shrunk) pixels over a few bins
per channel, so equal pictures give equal vectors, different colours different ones, and every
call is recorded for assertions ("the encoder never saw the moved file").
"""

from __future__ import annotations

import hashlib
import os
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from clipdesk.core.models.base import Backend, ModelInfo
from clipdesk.core.pipeline.geometry import PixelSpec, Resize


class FakeEncoder:
    """Colour-histogram "CLIP": ``bins`` per channel -> ``3 * bins`` dimensions."""

    def __init__(
        self,
        model_id: str = "fake:histogram",
        *,
        bins: int = 8,
        image_size: int = 32,
        poison: tuple[int, int, int] | None = None,
        broken: bool = False,
        pixels: bool = True,
    ) -> None:
        self._info = ModelInfo(
            model_id=model_id, backend=Backend.OPEN_CLIP, arch="histogram",
            display_name=model_id, languages=frozenset({"en"}), embed_dim=3 * bins,
            image_size=image_size,
        )
        self.bins = bins
        self.poison = poison  # images whose centre pixel has this colour make it raise
        self.broken = broken  # every call raises
        self.batches: list[int] = []  # size of every encode_images call
        self.images_seen: list[tuple[int, int, int]] = []  # centre pixel of every image
        self.lock = threading.Lock()
        # pixel input like the real encoders (decode workers squash pictures to image_size);
        # pixels=False makes it an encoder that only takes pictures
        self._spec = PixelSpec((Resize((image_size, image_size), int(Image.Resampling.BILINEAR)),),
                               image_size, image_size, (0.0, 0.0, 0.0), (1.0, 1.0, 1.0),
                               ) if pixels else None
        self.pixel_batches: list[int] = []  # size of every encode_pixels call

    @property
    def info(self) -> ModelInfo:
        return self._info

    @property
    def dim(self) -> int:
        return 3 * self.bins

    @property
    def device(self) -> str:
        return "cpu"

    @property
    def logit_scale(self) -> float:
        return 100.0

    @property
    def images_encoded(self) -> int:
        return sum(self.batches)

    def vector_of(self, image: Image.Image) -> np.ndarray:
        pixels = np.asarray(image.convert("RGB").resize((16, 16)), dtype=np.int64)
        hist = np.concatenate([
            np.bincount(pixels[..., c].ravel() * self.bins // 256, minlength=self.bins)
            for c in range(3)
        ]).astype(np.float32) + 1e-3
        return np.asarray(hist / np.linalg.norm(hist), dtype=np.float32)

    def encode_images(self, images: Sequence[Image.Image], token: Any = None) -> np.ndarray:
        if token is not None:
            token.check()
        if self.broken:
            raise RuntimeError("the fake model is broken")
        centres = [im.convert("RGB").getpixel((im.width // 2, im.height // 2)) for im in images]
        if self.poison is not None and tuple(self.poison) in centres:
            raise ValueError("poisoned picture")
        with self.lock:
            self.batches.append(len(images))
            self.images_seen.extend(centres)  # type: ignore[arg-type]
        if not images:
            return np.zeros((0, self.dim), dtype=np.float32)
        return np.stack([self.vector_of(im) for im in images])

    @property
    def pixel_spec(self) -> PixelSpec | None:
        return self._spec

    def encode_pixels(self, pixels: Any, token: Any = None) -> np.ndarray:
        with self.lock:
            self.pixel_batches.append(len(pixels))
        return self.encode_images([Image.fromarray(np.asarray(p), "RGB") for p in pixels], token)

    def encode_texts(self, texts: Sequence[str]) -> np.ndarray:
        seeds = [int.from_bytes(hashlib.sha256(t.encode()).digest()[:8], "little") for t in texts]
        out = np.stack([np.random.default_rng(s).random(self.dim, dtype=np.float32)
                        for s in seeds])
        return np.asarray(out / np.linalg.norm(out, axis=1, keepdims=True), dtype=np.float32)


def colour(i: int) -> tuple[int, int, int]:
    """A distinct, reproducible colour per index (well separated histograms)."""
    return ((37 * i) % 256, (91 * i + 60) % 256, (173 * i + 120) % 256)


def write_image(
    path: Path, rgb: tuple[int, int, int], size: tuple[int, int] = (48, 40), fmt: str | None = None
) -> Path:
    """A small solid picture with a contrasting centre pixel block (so centres are distinct)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    image = Image.new("RGB", size, rgb)
    fmt = fmt or ("PNG" if path.suffix.lower() == ".png" else "JPEG")
    image.save(path, fmt, **({"quality": 95} if fmt == "JPEG" else {}))
    return path


def make_photos(folder: Path, n: int, *, start: int = 0, sub: str = "") -> list[Path]:
    """``n`` PNG pictures of distinct colours (lossless, so their colour is exact)."""
    return [write_image(folder / sub / f"img_{i:04d}.png", colour(i)) for i in
            range(start, start + n)]


def bump_mtime(path: Path, seconds: int = 10) -> None:
    st = path.stat()
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + seconds * 1_000_000_000))
