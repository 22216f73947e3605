"""The GPU decode path, run on the CPU: torchvision's decoder stands in for nvJPEG.

Everything but the CUDA call itself is exercised: which files go to the GPU, its geometry and
orientation against Pillow's, batches with a file the decoder refuses, thumbnails, and the
vectors against the library's own preprocessing.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image

from clipdesk.core.exif import apply_orientation
from clipdesk.core.indexer import Indexer
from clipdesk.core.pipeline import geometry
from clipdesk.core.pipeline.gpu import GpuJpegDecoder, orient
from clipdesk.core.store import Library
from clipdesk.core.thumbnails import ThumbnailCache
from clipdesk.paths import DataPaths
from tests.core.fakes import FakeEncoder
from tests.core.image_samples import (
    QUADRANTS,
    as_stored,
    close,
    encode,
    exif_bytes,
    photo_like,
    quadrant_colours,
    quadrant_picture,
)
from tests.core.pipeline.workers import spying_worker

THUMB = 64


class RecordingDecode:
    """torchvision's CPU decoder, recording every file and refusing the marked ones."""

    MARK = b"refuse-me"

    def __init__(self) -> None:
        self.files: list[bytes] = []
        self.calls: list[int] = []

    def __call__(self, data: list[Any], **kwargs: Any) -> list[Any]:
        from torchvision.io import decode_jpeg

        self.calls.append(len(data))
        raw = [bytes(t.numpy().tobytes()) for t in data]
        if any(self.MARK in r for r in raw):
            raise RuntimeError("nvjpeg: unsupported")
        self.files += raw
        return list(decode_jpeg(data, mode=kwargs["mode"], device="cpu"))


def _open_clip_spec(**cfg: Any) -> geometry.PixelSpec:
    from open_clip.transform import PreprocessCfg, image_transform_v2

    spec = geometry.spec_from_transform(image_transform_v2(PreprocessCfg(**cfg), is_train=False))
    assert spec is not None
    return spec


@pytest.mark.parametrize("orientation", range(1, 9))
def test_orientation_matches_pillow(orientation: int) -> None:
    import torch

    pixels = np.random.default_rng(orientation).integers(0, 256, (5, 7, 3), dtype=np.uint8)
    expected = np.asarray(apply_orientation(Image.fromarray(pixels), orientation))
    ours = orient(torch.from_numpy(pixels).permute(2, 0, 1), orientation).permute(1, 2, 0)
    np.testing.assert_array_equal(ours.numpy(), expected)


@pytest.mark.parametrize("cfg", [{"size": 224}, {"size": 96, "resize_mode": "squash"},
                                 {"size": 96, "resize_mode": "longest", "fill_color": 90},
                                 {"size": 64, "interpolation": "bilinear"}])
def test_geometry_on_the_device_is_close_to_pillow(cfg: dict[str, Any]) -> None:
    import torch

    spec = _open_clip_spec(**cfg)
    decoder = GpuJpegDecoder("cpu", spec, thumb_size=None)
    for width, height in [(640, 480), (333, 1000), (100, 90), (50, 30)]:
        picture = photo_like(width, height, seed=width)
        tensor = torch.from_numpy(np.asarray(picture).copy()).permute(2, 0, 1)
        ours = decoder.geometry(tensor).numpy().astype(int)
        reference = geometry.apply(picture, spec).astype(int)
        assert ours.shape == reference.shape == spec.shape
        diff = np.abs(ours - reference)
        assert diff.mean() < 1.0 and diff.max() <= 12, (cfg, width, height, diff.mean())
    decoder.close()


def _jpeg(path: Path, picture: Image.Image, **options: Any) -> Path:
    path.write_bytes(encode(picture, "JPEG", quality=92, **options))
    return path


def _mixed_folder(folder: Path) -> dict[str, Path]:
    folder.mkdir(parents=True)
    upright = quadrant_picture(320, 200)
    files = {
        "plain": _jpeg(folder / "plain.jpg", photo_like(400, 300, seed=1)),
        "grey": _jpeg(folder / "grey.jpg", photo_like(300, 300, seed=2).convert("L")),
        "rotated": _jpeg(folder / "rotated.jpg", as_stored(upright, 6), exif=exif_bytes(6)),
        "refused": _jpeg(folder / "refused.jpg", photo_like(300, 200, seed=3),
                         comment=RecordingDecode.MARK),
        "progressive": _jpeg(folder / "progressive.jpg", photo_like(300, 200, seed=4),
                             progressive=True),
        "cmyk": _jpeg(folder / "cmyk.jpg", photo_like(200, 200, seed=5).convert("CMYK")),
        "png": folder / "picture.png",
        "truncated": folder / "truncated.jpg",
    }
    photo_like(200, 150, seed=6).save(files["png"])
    whole = encode(photo_like(400, 300, seed=7), "JPEG", quality=92)
    files["truncated"].write_bytes(whole[: len(whole) // 2])
    return files


def test_plain_jpegs_go_to_the_gpu_and_the_rest_to_the_workers(
    data_paths: DataPaths, tmp_path: Path
) -> None:
    files = _mixed_folder(tmp_path / "photos")
    encoder = FakeEncoder(image_size=32)
    decode = RecordingDecode()
    thumbs = ThumbnailCache(data_paths.thumbnail_dir, size=THUMB, fmt="JPEG")
    with Library.open(data_paths, write=True) as lib:
        indexer = Indexer(lib, encoder, thumbnails=thumbs, batch_size=16, decode_workers=2,
                          worker_target=spying_worker)
        spec = indexer.pipeline.spec
        assert spec is not None
        indexer.pipeline.use_gpu_decoder(
            GpuJpegDecoder("cpu", spec, thumb_size=THUMB, decode=decode))
        report = indexer.run([tmp_path / "photos"])
        assert (report.embedded, report.skipped) == (7, 1)
        assert [p.name for p, _ in report.errors] == ["truncated.jpg"]
        on_gpu = {name for name, path in files.items() if path.read_bytes() in decode.files}
        assert on_gpu == {"plain", "grey", "rotated"} and report.gpu_decoded == 3
        assert decode.calls[0] == 4  # one batch with the refused file, then one by one
        photos = {p.path.name: p for p in lib.photos(lib.file_ids()).values()}
        rotated = photos["rotated.jpg"]
        assert (rotated.width, rotated.height) == (320, 200)  # upright size, as on the CPU
        thumb = thumbs.get(rotated.content_hash or "")
        assert thumb is not None and thumb.size == (64, 40)
        colours = quadrant_colours(thumb)
        assert all(close(colours[q], QUADRANTS[q], 40) for q in QUADRANTS), colours
        for photo in photos.values():
            assert photo.content_hash in thumbs
        # the GPU's vectors are those of the same pixels decoded by the workers
        cpu = FakeEncoder(image_size=32)
        for name in ("plain", "rotated"):
            from clipdesk.core.imaging import load_image_file

            loaded = load_image_file(files[name], min_side=THUMB)
            expected = cpu.encode_pixels(geometry.apply(loaded.image, spec)[None])[0]
            stored = lib.vector_map("fake:histogram", [photos[f"{files[name].name}"].id])
            assert float(next(iter(stored.values())) @ expected) > 0.99


def test_a_file_changed_between_the_worker_and_the_gpu_is_left_for_the_next_run(
    tmp_path: Path
) -> None:
    from clipdesk.core.pipeline.gpu import GpuItem

    path = _jpeg(tmp_path / "a.jpg", photo_like(100, 80))
    size, mtime = path.stat().st_size, path.stat().st_mtime_ns
    decoder = GpuJpegDecoder("cpu", _open_clip_spec(size=32), thumb_size=16)
    good = decoder.decode([GpuItem(path, size, mtime, 1, 8000, thumbnail=True)])
    assert good.status == ["ok"] and good.pixels.shape == (1, 32, 32, 3)
    assert good.thumbnails[0] is not None
    assert Image.open(io.BytesIO(good.thumbnails[0])).size == (16, 13)
    stale = decoder.decode([GpuItem(path, size + 1, mtime, 1, 8000, thumbnail=False)])
    assert stale.status == ["changed"] and stale.pixels is None
    decoder.close()


def test_no_gpu_decoder_without_cuda() -> None:
    spec = _open_clip_spec(size=32)
    assert GpuJpegDecoder.create("cpu", spec, thumb_size=None) is None
    assert GpuJpegDecoder.create("cuda", None, thumb_size=None) is None


def test_a_gpu_whose_decoder_fails_its_self_test_is_not_used() -> None:
    def broken(data: Any, **kwargs: Any) -> Any:
        raise RuntimeError("nvjpeg not available")

    spec = _open_clip_spec(size=32)
    assert GpuJpegDecoder.create("cuda", spec, thumb_size=None, decode=broken) is None


# -- same vectors, whichever way a photo goes ----------------------------------------------------


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> tuple[DataPaths, list[Any]]:
    from clipdesk.core.models import load_encoder
    from tests.fixtures.train_test_models import import_test_models

    paths = DataPaths(tmp_path_factory.mktemp("trained") / "data").ensure()
    return paths, [load_encoder(info, paths, device="cpu") for info in import_test_models(paths)]


def _index(paths: DataPaths, encoder: Any, folder: Path, gpu: bool) -> dict[str, np.ndarray]:
    import shutil

    data = DataPaths(paths.root.parent / f"run-{folder.name}-{gpu}-{encoder.info.arch}")
    shutil.rmtree(data.root, ignore_errors=True)
    data.ensure()
    with Library.open(data, write=True) as lib:
        indexer = Indexer(lib, encoder, thumbnails=ThumbnailCache(data.thumbnail_dir, size=256),
                          batch_size=8, decode_workers=2)
        if gpu:
            spec = indexer.pipeline.spec
            assert spec is not None
            indexer.pipeline.use_gpu_decoder(GpuJpegDecoder("cpu", spec, thumb_size=256))
        report = indexer.run([folder])
        assert report.skipped == 0
        photos = lib.photos(lib.file_ids())
        vectors = lib.vector_map(encoder.info.model_id, list(photos))
        return {photos[i].path.name: v for i, v in vectors.items()}


def test_vectors_match_the_library_preprocessing_on_every_path(
    coco_mini: Path, tmp_path: Path, trained: tuple[DataPaths, list[Any]]
) -> None:
    """Full path (photos small enough for no draft): cosine >= 0.999; draft-decoded and
    GPU-decoded large photos: >= 0.99 -- for the OpenCLIP and the Chinese CLIP model."""
    from clipdesk.core.imaging import load_image_file

    sources = sorted((coco_mini / "images").glob("*.jpg"))[:8]
    small = tmp_path / "small"
    large = tmp_path / "large"
    small.mkdir()
    large.mkdir()
    for i, source in enumerate(sources):
        (small / source.name).write_bytes(source.read_bytes())
        with Image.open(source) as im:
            big = im.convert("RGB").resize((im.width * 3, im.height * 3), Image.Resampling.BICUBIC)
        if i % 3 == 0:  # some stored sideways with an EXIF orientation
            _jpeg(large / source.name, big.transpose(Image.Transpose.ROTATE_90),
                  exif=exif_bytes(6))
        else:
            _jpeg(large / source.name, big)
    paths, encoders = trained
    for encoder in encoders:
        for folder, gpu, minimum in ((small, False, 0.999), (large, False, 0.99),
                                     (large, True, 0.99)):
            stored = _index(paths, encoder, folder, gpu)
            names = sorted(stored)
            full = [load_image_file(folder / n, min_side=None).image for n in names]
            reference = encoder.encode_images(full)  # the library's own transform
            cosines = np.sum(np.stack([stored[n] for n in names]) * reference, axis=1)
            assert len(names) == 8 and cosines.min() >= minimum, (
                encoder.info.model_id, folder.name, gpu, cosines)


def test_pictures_of_one_size_are_prepared_together_with_the_same_result(tmp_path: Path) -> None:
    from clipdesk.core.pipeline.gpu import GpuItem

    items = []
    for i in range(6):
        orientation = 6 if i % 3 == 0 else 1
        picture = photo_like(160, 120, seed=i) if i < 5 else photo_like(90, 200, seed=i)
        path = _jpeg(tmp_path / f"{i}.jpg", picture, exif=exif_bytes(orientation))
        st = path.stat()
        items.append(GpuItem(path, st.st_size, st.st_mtime_ns, orientation, 19200,
                             thumbnail=True))
    decode = RecordingDecode()
    decoder = GpuJpegDecoder("cpu", _open_clip_spec(size=48), thumb_size=32, decode=decode)
    together = decoder.decode(items)
    assert decode.calls == [6] and together.status == ["ok"] * 6
    alone = [decoder.decode([item]) for item in items]
    for i, one in enumerate(alone):
        assert np.array_equal(one.pixels[0].numpy(), together.pixels[i].numpy()), i
        assert one.thumbnails[0] == together.thumbnails[i], i
    decoder.close()


def test_a_gpu_path_that_fails_hands_its_files_to_the_workers(
    data_paths: DataPaths, tmp_path: Path
) -> None:
    class Failing(GpuJpegDecoder):
        calls = 0

        def geometry(self, images: Any) -> Any:
            Failing.calls += 1
            raise RuntimeError("CUDA error: out of memory")

    folder = tmp_path / "photos"
    folder.mkdir()
    for i in range(7):
        _jpeg(folder / f"{i}.jpg", photo_like(120, 90, seed=i))
    photo_like(50, 50).save(folder / "x.png")
    encoder = FakeEncoder(image_size=32)
    with Library.open(data_paths, write=True) as lib:
        indexer = Indexer(lib, encoder, thumbnails=ThumbnailCache(data_paths.thumbnail_dir,
                                                                  size=THUMB),
                          batch_size=3, decode_workers=2)
        spec = indexer.pipeline.spec
        assert spec is not None
        indexer.pipeline.use_gpu_decoder(Failing("cpu", spec, thumb_size=THUMB))
        report = indexer.run([folder])
    assert (report.embedded, report.skipped) == (8, 0)
    assert Failing.calls == 1  # given up after the first failure, not once per batch
