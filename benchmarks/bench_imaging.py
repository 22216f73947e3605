"""Decode throughput of clipdesk's image loader, with and without JPEG draft (prints only).

    python benchmarks/bench_imaging.py [--folder DIR] [--min-side 224] [--workers 1,2]
                                       [--camera-size 4000] [--camera-count 24] [--rounds 3]

For each set of photos and each number of decode threads it prints images/s for:
  draft     load_image_file(min_side=...)               DCT-scaled JPEG decode, then reduce
  no draft  load_image_file(min_side=..., draft=False)  full decode, then reduce
  full      load_image_file()                           full decode, full size

The sets are the coco-mini photos as they are (640 px on the long side) and, because real cameras
write much larger files, the first ``--camera-count`` of them upscaled to ``--camera-size`` px on
the long side and saved as quality-90 JPEGs in a temporary folder.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from PIL import Image

from clipdesk.core.imaging import ImageDecodeError, load_image_file

REPO = Path(__file__).resolve().parents[1]
COCO_IMAGES = REPO.parent / "shared" / "photos" / "coco-mini" / "images"


def throughput(
    paths: list[Path], decode: Callable[[Path], object], workers: int, rounds: int
) -> float:
    """Images per second, the best of ``rounds`` passes (the least disturbed by other load)."""
    best = 0.0
    with ThreadPoolExecutor(workers) as pool:
        list(pool.map(decode, paths[:4]))  # warm up: plugins, caches
        for _ in range(rounds):
            start = time.perf_counter()
            list(pool.map(decode, paths))
            best = max(best, len(paths) / (time.perf_counter() - start))
    return best


def camera_copies(paths: list[Path], long_side: int, folder: Path) -> list[Path]:
    out = []
    for path in paths:
        with Image.open(path) as im:
            scale = long_side / max(im.size)
            big = im.convert("RGB").resize(
                (round(im.width * scale), round(im.height * scale)), Image.Resampling.BICUBIC
            )
        target = folder / path.name
        big.save(target, "JPEG", quality=90)
        out.append(target)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--folder", type=Path, default=COCO_IMAGES)
    parser.add_argument("--min-side", type=int, default=224)
    parser.add_argument("--workers", default="1,2")
    parser.add_argument("--camera-size", type=int, default=4000)
    parser.add_argument("--camera-count", type=int, default=24)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()

    photos = sorted(p for p in args.folder.glob("*") if p.suffix.lower() in (".jpg", ".jpeg"))
    if not photos:
        raise SystemExit(f"no JPEG photos in {args.folder}")

    def safe(fn: Callable[[Path], object]) -> Callable[[Path], object]:
        def run(path: Path) -> object:
            try:
                return fn(path)
            except ImageDecodeError as exc:
                return exc

        return run

    modes = {
        "draft": safe(lambda p: load_image_file(p, min_side=args.min_side)),
        "no draft": safe(lambda p: load_image_file(p, min_side=args.min_side, draft=False)),
        "full": safe(lambda p: load_image_file(p)),
    }
    with tempfile.TemporaryDirectory() as tmp:
        sets = {f"coco-mini ({len(photos)} photos, 640 px)": photos}
        if args.camera_count > 0:
            big = camera_copies(photos[: args.camera_count], args.camera_size, Path(tmp))
            sets[f"camera-size copies ({len(big)} photos, {args.camera_size} px)"] = big
        print(f"min_side {args.min_side}; images/s (higher is better)")
        print(f"{'set':<44} {'threads':>7} " + " ".join(f"{m:>9}" for m in modes))
        for name, paths in sets.items():
            for workers in (int(w) for w in args.workers.split(",")):
                rates = [throughput(paths, fn, workers, args.rounds) for fn in modes.values()]
                print(f"{name:<44} {workers:>7} " + " ".join(f"{r:>9.1f}" for r in rates))


if __name__ == "__main__":
    main()
