"""Throughput of scanning, diffing and indexing (prints figures, asserts nothing).

    python benchmarks/bench_indexer.py [--files 50000] [--images 1000] [--size 1600x1200]
                                       [--workers 4] [--batch 32]

1. scan: ``scan_root`` over a synthetic tree of ``--files`` tiny files (100 per folder);
2. diff: the same tree against a store that already knows every file (stored rows loaded +
   compared), and a complete no-op ``Indexer.run`` on it (scan + diff + cache check), twice:
   the first run after the library passed 100,000 vectors also makes its index approximate;
3. index: ``--images`` real JPEGs of ``--size`` with the fake colour-histogram encoder, so the
   figure is decode + hash + thumbnail + SQLite, i.e. the part of indexing that is not the model.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from clipdesk.core.indexer import Indexer
from clipdesk.core.scanner import ScannedFile, diff_files, scan_root
from clipdesk.core.store import FileUpdate, Library
from clipdesk.core.thumbnails import ThumbnailCache
from clipdesk.core.types import FileStatus
from clipdesk.paths import DataPaths
from tests.core.fakes import FakeEncoder


def make_tree(root: Path, n: int) -> None:
    for i in range(n):
        folder = root / f"{i // 10000:02d}" / f"{i // 100:04d}"
        if i % 100 == 0:
            folder.mkdir(parents=True, exist_ok=True)
        (folder / f"IMG_{i:06d}.jpg").write_bytes(b"\xff\xd8")


def make_images(root: Path, n: int, size: tuple[int, int]) -> None:
    rng = np.random.default_rng(0)
    root.mkdir(parents=True, exist_ok=True)
    base = rng.integers(0, 255, (size[1] // 8, size[0] // 8, 3), dtype=np.uint8)
    for i in range(n):
        tile = np.roll(base, i, axis=1)
        Image.fromarray(tile).resize(size, Image.Resampling.BILINEAR).save(
            root / f"photo_{i:05d}.jpg", quality=90)


def rate(n: int, seconds: float) -> str:
    return f"{n / seconds:>10,.0f}/s  ({n:,} in {seconds:.2f} s)"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--files", type=int, default=50_000)
    parser.add_argument("--images", type=int, default=1000)
    parser.add_argument("--size", default="1600x1200")
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--batch", type=int, default=32)
    args = parser.parse_args()
    size = tuple(int(v) for v in args.size.split("x"))
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        tree = base / "tree"
        t = time.perf_counter()
        make_tree(tree, args.files)
        print(f"made {args.files:,} files in {time.perf_counter() - t:.1f} s")

        t = time.perf_counter()
        scan = scan_root(tree)
        print(f"scan        {rate(len(scan.files), time.perf_counter() - t)}")

        paths = DataPaths(base / "data").ensure()
        with Library.open(paths, write=True) as lib:
            root = lib.add_root(tree)
            lib.ensure_model("fake:histogram", 24)
            vec = np.full(24, 1 / np.sqrt(24), dtype=np.float32)
            t = time.perf_counter()
            for start in range(0, len(scan.files), 1000):
                lib.commit_batch("fake:histogram", [
                    FileUpdate(root.id, f.relpath, f.size, f.mtime_ns, FileStatus.OK,
                               content_hash=f"{i:064x}", vector=vec)
                    for i, f in enumerate(scan.files[start:start + 1000], start)])
            print(f"store rows  {rate(len(scan.files), time.perf_counter() - t)}  "
                  f"(1000-row transactions)")

            t = time.perf_counter()
            stored = {root.id: lib.stored_files(root.id)}
            diff = diff_files({root.id: scan.files}, stored, root_paths={root.id: tree})
            assert len(diff.unchanged) == len(scan.files)
            print(f"diff        {rate(len(scan.files), time.perf_counter() - t)}")

            dim = 512  # a second model with real-sized vectors, for the FAISS cache figures
            lib.ensure_model("bench:512", dim)
            unit = np.full(dim, 1 / np.sqrt(dim), dtype=np.float32)
            rows = list(zip(lib.file_ids(), scan.files, strict=True))  # ids in insert order

            def add_vectors(part: list[tuple[int, ScannedFile]]) -> None:
                lib.commit_batch("bench:512", [
                    FileUpdate(root.id, f.relpath, f.size, f.mtime_ns, FileStatus.OK,
                               file_id=int(i), content_hash=f"{i - 1:064x}", vector=unit)
                    for i, f in part])

            for start in range(0, len(rows) - 1000, 5000):
                add_vectors(rows[start:min(start + 5000, len(rows) - 1000)])
            t = time.perf_counter()
            lib.refresh_vector_cache("bench:512")
            print(f"cache build {rate(len(rows) - 1000, time.perf_counter() - t)}  ({dim}-d, "
                  f"from SQLite, published)")
            add_vectors(rows[-1000:])
            t = time.perf_counter()
            lib.refresh_vector_cache("bench:512")
            print(f"cache +1000 {time.perf_counter() - t:>10.2f} s  (carried from the change "
                  f"log: nothing rewritten; {len(rows):,} vectors)")

            for run in ("first", "again"):  # the first may make a model's index approximate
                t = time.perf_counter()
                report = Indexer(lib, FakeEncoder()).run()
                assert report.unchanged == len(scan.files) and report.embedded == 0
                print(f"no-op run   {rate(len(scan.files), time.perf_counter() - t)}  "
                      f"(scan + diff + FAISS cache; {run})")

        images = base / "images"
        t = time.perf_counter()
        make_images(images, args.images, size)  # type: ignore[arg-type]
        print(f"made {args.images:,} JPEGs of {args.size} in {time.perf_counter() - t:.1f} s")
        paths = DataPaths(base / "data2").ensure()
        with Library.open(paths, write=True) as lib:
            encoder = FakeEncoder(image_size=224)
            indexer = Indexer(lib, encoder, batch_size=args.batch, decode_workers=args.workers,
                              thumbnails=ThumbnailCache(paths.thumbnail_dir, size=256))
            t = time.perf_counter()
            report = indexer.run([images])
            assert report.embedded == args.images, report
            print(f"index       {rate(args.images, time.perf_counter() - t)}  "
                  f"(fake encoder, {args.workers} decode threads, batch {args.batch})")


if __name__ == "__main__":
    main()
