"""Near-duplicate groups in a library of 100,000 photos (prints figures).

    python benchmarks/bench_duplicates.py [--photos 100000] [--dim 512] [--planted 2000]

Builds a real library (rows and vectors through ``Library.commit_batch``, the vector cache
published as indexing does) of clustered vectors, as ``bench_scale.py`` does, with planted
duplicates: ``--planted`` photos get a near copy (the vector plus noise of cosine about 0.98, as
a re-saved or resized copy has) and a tenth of those also a byte-for-byte copy (the same content
hash). Then ``find_duplicates`` runs at 0.95 and the figures are: its time, the planted pairs it
grouped (recall), the groups that hold a photo not planted with them (a false group), and the
time an all-pairs pass over the same vectors takes on a sample, scaled to the library (what
the neighbour search avoids).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_scale import clustered, unit

from clipdesk.core.duplicates import find_duplicates
from clipdesk.core.store import FileUpdate, Library
from clipdesk.core.types import FileStatus
from clipdesk.paths import DataPaths

MODEL = "bench:duplicates"
BATCH = 5_000


def build(paths: DataPaths, n: int, dim: int, planted: int, rng: np.random.Generator
          ) -> dict[int, int]:
    """The library; returns {row of a copy: row of its original} (rows = file id - 1)."""
    centres = unit(rng.standard_normal((max(8, n // 200), dim), dtype=np.float32))
    base = clustered(rng, n - planted - planted // 10, centres)
    originals = rng.choice(len(base), planted, replace=False)
    near = unit(base[originals] + 0.2 * unit(rng.standard_normal((planted, dim),
                                                                 dtype=np.float32)))
    exact = originals[: planted // 10]
    vectors = np.concatenate([base, near, base[exact]])
    hashes = [f"{i:064x}" for i in range(len(vectors))]
    copy_of: dict[int, int] = {}
    for k, row in enumerate(originals):
        copy_of[len(base) + k] = int(row)
    for k, row in enumerate(exact):
        copy_row = len(base) + planted + k
        copy_of[copy_row] = int(row)
        hashes[copy_row] = hashes[int(row)]
    with Library.open(paths, write=True) as lib:
        root = lib.add_root(paths.root.parent / "photos")
        lib.ensure_model(MODEL, dim)
        for start in range(0, len(vectors), BATCH):
            rows = range(start, min(len(vectors), start + BATCH))
            lib.commit_batch(MODEL, [
                FileUpdate(root.id, f"{i // 1000:04d}/{i:07d}.jpg", 100_000 + i,
                           1_600_000_000_000_000_000 + i, FileStatus.OK, content_hash=hashes[i],
                           taken_at=datetime(2020, 1, 1), vector=vectors[i]) for i in rows])
        lib.refresh_vector_cache(MODEL)
    return copy_of


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--photos", type=int, default=100_000)
    parser.add_argument("--dim", type=int, default=512)
    parser.add_argument("--planted", type=int, default=2_000)
    args = parser.parse_args()
    rng = np.random.default_rng(7)
    paths = DataPaths(Path(tempfile.mkdtemp(prefix="clipdesk-dup-")) / "data")
    started = time.perf_counter()
    copy_of = build(paths, args.photos, args.dim, args.planted, rng)
    print(f"built {args.photos:,} photos ({len(copy_of):,} planted copies) in "
          f"{time.perf_counter() - started:.1f} s")
    with Library.open(paths) as lib:
        lib.vector_index(MODEL)  # loaded before the clock starts, as in the app
        started = time.perf_counter()
        groups = find_duplicates(lib, MODEL, 0.95)
        seconds = time.perf_counter() - started
        ids = lib.file_ids()
        sample = lib.vectors(MODEL, ids[:2000])
    group_of = {i: n for n, g in enumerate(groups) for i in g.file_ids}
    found = sum(1 for c, o in copy_of.items()
                if c + 1 in group_of and group_of.get(c + 1) == group_of.get(o + 1))
    planted_rows = {o for o in copy_of.values()} | set(copy_of)
    false_groups = sum(1 for g in groups if any(i - 1 not in planted_rows for i in g.file_ids))
    t = time.perf_counter()
    for start in range(0, len(sample), 500):
        (sample[start:start + 500] @ sample.T >= 0.95).sum()
    pair_seconds = (time.perf_counter() - t) * (args.photos / len(sample)) ** 2
    print(f"find_duplicates at 0.95: {seconds:.1f} s for {args.photos:,} photos "
          f"({args.photos / seconds:,.0f} photos/s); {len(groups):,} groups")
    print(f"planted pairs grouped: {found:,} of {len(copy_of):,} "
          f"(recall {found / len(copy_of):.4f}); groups holding an unplanted photo: "
          f"{false_groups}")
    print(f"an all-pairs pass would take about {pair_seconds:.0f} s "
          f"({pair_seconds / seconds:.1f}x)")


if __name__ == "__main__":
    main()
