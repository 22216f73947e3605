"""Indexing throughput against its references, in one process and one run (prints, asserts nothing).

    python benchmarks/bench_pipeline.py [--model tiny|vit-b-16|both] [--device auto]
        [--small N] [--large N] [--repeat 3] [--workers N] [--batch N] [--cache DIR]

Two photo sets are generated from ``../shared/photos/coco-mini`` (cached in ``--cache``): JPEGs
of 1024x768 and of 4032x3024 (12 MP), each file unique (its number in a JPEG comment), so no
thumbnail or vector is shared. For each model and set it measures, in images per second:

- **model alone**: the image tower on ready tensors on the device, batch ``--batch``;
- **loop**: one image at a time: open, the library's transform, encode;
- **DataLoader**: ``torch.utils.data.DataLoader`` with one worker process per core (one less on
  a GPU machine), draft decode + the library's transform, pinned memory on CUDA, the model in the
  main process -- what a careful script would do (no hashing, no thumbnails, no database);
- **clipdesk**: ``Indexer.run`` end to end on a fresh data folder (scan, hash, decode, thumbnail,
  encode, SQLite commit, FAISS publish), CPU decoding, and on CUDA also with GPU decoding.

DataLoader and clipdesk runs are interleaved ``--repeat`` times and their medians compared; the CPU
time of every process per photo is printed too (steadier than wall time on a busy machine, and what
decides throughput once every core is busy). Then the ratios the issue asks for. ``tiny`` is a 224
px OpenCLIP ViT with one narrow layer (random weights) so that the pipeline, not the model, is
measured; ``vit-b-16`` is OpenCLIP's ViT-B-16 architecture with random weights (the same cost as
the real one).
"""

from __future__ import annotations

import argparse
import io
import os
import shutil
import statistics
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

COCO = Path(__file__).resolve().parents[2] / "shared" / "photos" / "coco-mini" / "images"
SETS = {"1024x768": (1024, 768), "12MP": (4032, 3024)}
TINY_224 = {
    "embed_dim": 64,
    "vision_cfg": {"image_size": 224, "layers": 1, "width": 64, "patch_size": 32,
                   "head_width": 32},
    "text_cfg": {"context_length": 77, "vocab_size": 49408, "width": 64, "heads": 2,
                 "layers": 1},
}
VIT_B_16 = "open_clip:ViT-B-16/laion2b_s34b_b88k"


# -- photo sets ------------------------------------------------------------------------------


def _make_one(job: tuple[Path, Path, int, tuple[int, int]]) -> None:
    from PIL import Image

    source, target, index, (width, height) = job
    with Image.open(source) as im:
        picture = im.convert("RGB")
    scale = max(width / picture.width, height / picture.height)
    resized = picture.resize((round(picture.width * scale), round(picture.height * scale)),
                             Image.Resampling.BICUBIC)
    left, top = (resized.width - width) // 2, (resized.height - height) // 2
    out = io.BytesIO()
    resized.crop((left, top, left + width, top + height)).save(
        out, "JPEG", quality=90, comment=f"clipdesk benchmark {index}".encode())
    target.write_bytes(out.getvalue())


def photo_set(cache: Path, name: str, count: int) -> Path:
    """``count`` unique JPEGs of the set's size made from coco-mini (reused when cached)."""
    folder = cache / f"{name}-{count}"
    if folder.is_dir() and len(list(folder.glob("*.jpg"))) == count:
        return folder
    if not COCO.is_dir():
        sys.exit(f"{COCO} is missing: the benchmark makes its photos from coco-mini")
    sources = sorted(COCO.glob("*.jpg"))
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    jobs = [(sources[i % len(sources)], folder / f"photo_{i:06d}.jpg", i, SETS[name])
            for i in range(count)]
    started = time.perf_counter()
    with ProcessPoolExecutor() as pool:
        list(pool.map(_make_one, jobs, chunksize=8))
    print(f"  made {count} photos of {name} in {time.perf_counter() - started:.0f} s")
    return folder


# -- the model -------------------------------------------------------------------------------


def load_model(kind: str, data: Any, device: str) -> Any:
    from clipdesk.core.models import load_encoder
    from clipdesk.core.models.registry import ModelRegistry
    from tests.fixtures.tiny_models import build_tiny_open_clip, random_real_open_clip

    registry = ModelRegistry(data)
    if kind == "tiny":
        config, weights = build_tiny_open_clip(data.root / "src", config=TINY_224,
                                               name="bench-tiny-224")
        info = registry.import_model(weights, config=config, name="bench-tiny-224")
    else:
        info = registry.get(VIT_B_16)
        assert info.filename is not None
        random_real_open_clip("ViT-B-16", data.model_dir / info.filename)
    return load_encoder(info, data, device=device)


# -- the four measurements -------------------------------------------------------------------


def sync(device: str) -> None:
    if device == "cuda":
        import torch

        torch.cuda.synchronize()


def model_alone(encoder: Any, batch: int, count: int) -> float:
    import torch

    spec = encoder.pixel_spec
    x = torch.randn(batch, 3, spec.height, spec.width, device=encoder.device)
    x = x.to(encoder._input_dtype())
    model = encoder.model
    with torch.inference_mode():
        model.encode_image(x)  # warm up
        sync(encoder.device)
        started = time.perf_counter()
        done = 0
        while done < count:
            model.encode_image(x)
            done += batch
        sync(encoder.device)
    return done / (time.perf_counter() - started)


def one_at_a_time(encoder: Any, files: list[Path]) -> float:
    import torch
    from PIL import Image

    model = encoder.model
    started = time.perf_counter()
    with torch.inference_mode():
        for path in files:
            with Image.open(path) as im:
                x = encoder.preprocess(im.convert("RGB"))[None]
            model.encode_image(x.to(encoder.device, encoder._input_dtype())).cpu()
    return len(files) / (time.perf_counter() - started)


class _Draft:
    """A DataLoader dataset: draft decode + the library's transform (picklable)."""

    def __init__(self, files: list[Path], transform: Any, size: int) -> None:
        self.files, self.transform, self.size = files, transform, size

    def __len__(self) -> int:
        return len(self.files)

    def __getitem__(self, i: int) -> Any:
        from PIL import Image

        with Image.open(self.files[i]) as im:
            im.draft("RGB", (self.size, self.size))
            return self.transform(im.convert("RGB"))


class CpuClock:
    """CPU seconds of this process and of its ended child processes (the workers)."""

    def __init__(self) -> None:
        self.spent: dict[str, list[float]] = {}

    @staticmethod
    def now() -> float:
        import resource

        own = resource.getrusage(resource.RUSAGE_SELF)
        children = resource.getrusage(resource.RUSAGE_CHILDREN)
        return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime

    def measure(self, name: str, count: int, run: Any) -> float:
        import gc

        gc.collect()  # the previous run's workers are reaped before the clock starts
        started = self.now()
        rate = run()
        self.spent.setdefault(name, []).append((self.now() - started) / count * 1000)
        return float(rate)

    def median_ms(self, name: str) -> float:
        return statistics.median(self.spent[name]) if name in self.spent else float("nan")


def dataloader(encoder: Any, files: list[Path], workers: int, batch: int) -> float:
    import torch
    from torch.utils.data import DataLoader

    cuda = encoder.device == "cuda"
    data = _Draft(files, encoder._preprocess, encoder.info.image_size)
    loader = DataLoader(data, batch_size=batch, num_workers=workers, pin_memory=cuda,
                        persistent_workers=False, prefetch_factor=4 if workers else None)
    model = encoder.model
    started = time.perf_counter()
    with torch.inference_mode():
        for x in loader:
            model.encode_image(x.to(encoder.device, encoder._input_dtype(),
                                    non_blocking=cuda)).cpu()
    return len(files) / (time.perf_counter() - started)


def clipdesk(encoder: Any, folder: Path, workers: int, batch: int, gpu: bool) -> float:
    from clipdesk.core.indexer import Indexer
    from clipdesk.core.store import Library
    from clipdesk.core.thumbnails import ThumbnailCache
    from clipdesk.paths import DataPaths

    with tempfile.TemporaryDirectory(prefix="clipdesk-bench-") as tmp:
        data = DataPaths(Path(tmp)).ensure()
        count = len(list(folder.glob("*.jpg")))
        with Library.open(data, write=True) as lib:
            indexer = Indexer(lib, encoder, thumbnails=ThumbnailCache(data.thumbnail_dir),
                              batch_size=batch, decode_workers=workers, gpu_decode=gpu)
            started = time.perf_counter()
            report = indexer.run([folder])
            seconds = time.perf_counter() - started
        assert report.embedded == count, report
    return count / seconds


# -- the run ---------------------------------------------------------------------------------


def measure_set(name: str, folder: Path, encoder: Any, alone: float, args: Any, workers: int,
                loader_workers: int, batch: int) -> str:
    """The loop once, then the DataLoader and clipdesk interleaved: the table's line."""
    files = sorted(folder.glob("*.jpg"))
    gpu_too = encoder.device == "cuda"
    loop = one_at_a_time(encoder, files[:args.loop])
    runs: dict[str, list[float]] = {"ref": [], "ours": [], "gpu": []}
    clock = CpuClock()
    for _ in range(args.repeat):  # interleaved, so that a busy moment hits all
        runs["ref"].append(clock.measure("ref", len(files), lambda: dataloader(
            encoder, files, loader_workers, batch)))
        runs["ours"].append(clock.measure("ours", len(files), lambda: clipdesk(
            encoder, folder, workers, batch, gpu=False)))
        if gpu_too:
            runs["gpu"].append(clock.measure("gpu", len(files), lambda: clipdesk(
                encoder, folder, workers, batch, gpu=True)))
    ref, ours = statistics.median(runs["ref"]), statistics.median(runs["ours"])
    line = f"  {name:<9} {loop:>8,.1f} {ref:>11,.1f} {ours:>9,.1f}"
    best = ours
    if gpu_too:
        gpu = statistics.median(runs["gpu"])
        best = max(ours, gpu)
        line += f" {gpu:>10,.1f}   {ours / ref:>5.2f} (GPU JPEG {gpu / ref:.2f})"
    else:
        line += f"   {ours / ref:>19.2f}"
    line += f"  {best / alone:>14.2f}  {best / loop:>13.1f}"
    spread = ", ".join(f"{k} " + "/".join(f"{v:.0f}" for v in vals)
                       for k, vals in runs.items() if vals)
    cpu = ", ".join(f"{k} {clock.median_ms(k):.1f}" for k in runs if runs[k])
    return (f"{line}\n  {'':<9} img/s of each run: {spread}; CPU ms per photo (all "
            f"processes): {cpu}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", choices=("tiny", "vit-b-16", "both"), default="both")
    parser.add_argument("--device", default="auto")
    parser.add_argument("--small", type=int, default=0,
                        help="photos of 1024x768 (default: 6000 on CUDA, 1500 on the CPU)")
    parser.add_argument("--large", type=int, default=0,
                        help="photos of 12 MP (default: 1500 on CUDA, 300 on the CPU)")
    parser.add_argument("--loop", type=int, default=40, help="photos for the one-at-a-time loop")
    parser.add_argument("--workers", type=int, default=0, help="default: one per core")
    parser.add_argument("--repeat", type=int, default=3,
                        help="interleaved runs of the DataLoader and clipdesk (medians shown)")
    parser.add_argument("--batch", type=int, default=0, help="default: 256 on CUDA, 64 else")
    parser.add_argument("--cache", type=Path,
                        default=Path(tempfile.gettempdir()) / "clipdesk-bench-photos")
    args = parser.parse_args()

    import torch

    from clipdesk.core.models.device import pick_device
    from clipdesk.core.pipeline.processes import default_workers
    from clipdesk.paths import DataPaths

    device = pick_device(args.device)
    cores = default_workers()
    workers = args.workers or cores
    loader_workers = max(1, cores - 1) if device == "cuda" else cores
    batch = args.batch or (256 if device == "cuda" else 64)
    print(f"clipdesk pipeline benchmark: {device}"
          f"{' (' + torch.cuda.get_device_name() + ')' if device == 'cuda' else ''}, "
          f"{cores} cores, torch {torch.__version__}, {torch.get_num_threads()} torch threads, "
          f"batch {batch}, {workers} decode workers, DataLoader {loader_workers} workers")
    small = args.small or (6000 if device == "cuda" else 1500)
    large = args.large or (1500 if device == "cuda" else 300)
    sets = {"1024x768": photo_set(args.cache, "1024x768", small),
            "12MP": photo_set(args.cache, "12MP", large)}
    warm_up = photo_set(args.cache, "1024x768", 16)
    kinds = ("tiny", "vit-b-16") if args.model == "both" else (args.model,)
    for kind in kinds:
        with tempfile.TemporaryDirectory(prefix="clipdesk-bench-model-") as tmp:
            encoder = load_model(kind, DataPaths(Path(tmp)).ensure(), device)
            alone = model_alone(encoder, batch, count=4 * batch)
            clipdesk(encoder, warm_up, workers, batch, gpu=False)  # imports, first batches
            print(f"\n{kind} ({encoder.info.image_size} px, {encoder.precision}): "
                  f"model alone {alone:,.0f} img/s")
            header = f"  {'set':<9} {'loop':>8} {'DataLoader':>11} {'clipdesk':>9}"
            header += f" {'+GPU JPEG':>10}" if device == "cuda" else ""
            header += "   clipdesk/DataLoader  clipdesk/model  clipdesk/loop"
            print(header)
            for name, folder in sets.items():
                print(measure_set(name, folder, encoder, alone, args, workers, loader_workers,
                                  batch), flush=True)

if __name__ == "__main__":
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    main()
