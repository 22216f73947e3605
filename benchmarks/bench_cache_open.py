"""Opening a vector cache: clipdesk's checked load against a plain FAISS read (prints figures).

    python benchmarks/bench_cache_open.py [--photos 1000000] [--dim 512] [--repeat 5]

Writes one cache file the way the library publishes it, then times, interleaved and repeated
(medians; the file is in the page cache, as it is on the second start of the day):

- ``faiss.read_index`` alone (the floor);
- clipdesk's load: the size, then FAISS reading the file while it is hashed (XXH3-128);
- the same with SHA-256, the checksum of caches written by earlier versions (still accepted).

Prints each time and its ratio to the plain read (issue 12's target: <= 1.2x).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import faiss
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from clipdesk.core.hashing import sha256_file
from clipdesk.core.store import vectors


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--photos", type=int, default=1_000_000)
    parser.add_argument("--dim", type=int, default=512)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()

    rng = np.random.default_rng(0)
    folder = Path(tempfile.mkdtemp(prefix="clipdesk-cache-"))
    path = folder / "bench.faiss"
    index = vectors.new_index(args.dim)
    for start in range(0, args.photos, 100_000):
        n = min(100_000, args.photos - start)
        block = rng.standard_normal((n, args.dim), dtype=np.float32)
        block /= np.linalg.norm(block, axis=1, keepdims=True)
        index.add_with_ids(block, np.arange(start, start + n, dtype=np.int64))
    checksum, size = vectors.write_index_file(index, path)
    legacy = sha256_file(path)
    del index
    size_mb = path.stat().st_size / 1e6
    print(f"{args.photos:,} x {args.dim} vectors: cache file {size_mb:,.0f} MB")

    def plain() -> None:
        with open(path, "rb") as fp:
            faiss.read_index(faiss.PyCallbackIOReader(fp.read))  # type: ignore[attr-defined]

    def checked(sum_: str) -> None:
        loaded = vectors.read_index_file(path, checksum=sum_, count=args.photos, dim=args.dim,
                                         size=size)
        assert loaded is not None

    runs: dict[str, list[float]] = {"faiss.read_index": [], "clipdesk (xxh3)": [],
                                    "sha-256 (older caches)": []}
    actions = {"faiss.read_index": plain, "clipdesk (xxh3)": lambda: checked(checksum),
               "sha-256 (older caches)": lambda: checked(legacy)}
    plain()  # into the page cache
    for _ in range(args.repeat):
        for name, action in actions.items():
            started = time.perf_counter()
            action()
            runs[name].append(time.perf_counter() - started)
    floor = statistics.median(runs["faiss.read_index"])
    for name, times in runs.items():
        median = statistics.median(times)
        print(f"{name:18s} {median * 1000:8.0f} ms   {median / floor:5.2f}x")
    path.unlink()
    folder.rmdir()


if __name__ == "__main__":
    main()
