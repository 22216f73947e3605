"""Search latency and memory of the FAISS cache at library scale (prints figures, asserts nothing).

    python benchmarks/bench_search.py [--sizes 10000,100000,1000000] [--dim 512]

Measures: building the flat inner-product index from vectors (what a cache rebuild costs),
top-100 search, top-100 search restricted to 10% of the ids (folder/date filter), and the range
search behind the live "N matches above threshold" count.
"""

from __future__ import annotations

import argparse
import statistics
import time

import faiss
import numpy as np


def timed(fn, repeat: int = 20) -> float:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times) * 1000


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument("--dim", type=int, default=512)
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    print(f"faiss {faiss.__version__}, {faiss.omp_get_max_threads()} threads, dim {args.dim}")
    print(f"{'photos':>9} {'build ms':>9} {'MiB':>6} {'top100 ms':>10} {'filtered ms':>12} "
          f"{'count ms':>9}")
    for n in (int(s) for s in args.sizes.split(",")):
        measure(n, args.dim, rng)


def measure(n: int, dim: int, rng: np.random.Generator) -> None:
    vecs = rng.standard_normal((n, dim), dtype=np.float32)
    faiss.normalize_L2(vecs)
    ids = np.arange(1, n + 1, dtype=np.int64)
    t = time.perf_counter()
    index = faiss.IndexIDMap2(faiss.IndexFlatIP(dim))
    index.add_with_ids(vecs, ids)
    build = (time.perf_counter() - t) * 1000
    query = vecs[:1] + 0.1 * rng.standard_normal((1, dim), dtype=np.float32)
    faiss.normalize_L2(query)
    top = timed(lambda: index.search(query, 100))
    allowed = rng.choice(ids, size=max(1, n // 10), replace=False)
    params = faiss.SearchParameters()
    selector = faiss.IDSelectorBatch(allowed)
    params.sel = selector
    filtered = timed(lambda: index.search(query, 100, params=params))
    count = timed(lambda: index.range_search(query, 0.1), repeat=5)
    mib = vecs.nbytes / 2**20
    print(f"{n:>9} {build:>9.0f} {mib:>6.0f} {top:>10.1f} {filtered:>12.1f} {count:>9.1f}")

if __name__ == "__main__":
    main()
