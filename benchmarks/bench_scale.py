"""A library of 100,000 or 1,000,000 photos: search, counts, updates and opening (prints figures).

    python benchmarks/bench_scale.py [--photos 100000] [--dim 512] [--queries 40]

Builds a real library (SQLite rows and vectors through ``Library.commit_batch``, the FAISS cache
published as indexing does) of *structured* vectors: photos in clusters on the sphere (bursts,
places, subjects), so that neighbours are meaningful; then measures, each figure a median (or
p95) over repeated, interleaved runs on this machine:

- a search with its metadata (``Searcher.run``: nearest neighbours plus the photos' rows), p50 and
  p95, for image-like queries (a photo's vector plus noise) and text-like ones (a cluster's
  direction, far from every photo, as text vectors are), and the live count beside it;
- recall@10 of the index in use against exact search (1.000 while the index is exact), and
  what the library's own recall self-check stored;
- the refresh of the cache after 10 photos added, 10 changed and 10 removed, plus the next
  search's catch-up, and a new process opening the library after them;
- a cold open plus the first query against a plain ``faiss.read_index``;
- the memory the index takes, and the process's peak RSS;
- ``clipdesk-cli index`` with nothing to do against ``clipdesk-cli status`` (a small library
  indexed with the shapes test model: the model must not load).

Issue 12 lists the targets; the closing notes carry the figures.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path

import faiss
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from clipdesk.core.models.base import Backend, ModelInfo
from clipdesk.core.search import Query, Searcher
from clipdesk.core.store import FileUpdate, Library
from clipdesk.core.store.segments import VectorIndex
from clipdesk.core.types import FileStatus
from clipdesk.paths import DataPaths

MODEL = "bench:clustered"
BATCH = 5_000


class QueryEncoder:
    """Stands in for a model: a query's "text" is the key of a prepared vector."""

    def __init__(self, dim: int) -> None:
        self.info = ModelInfo(model_id=MODEL, backend=Backend.OPEN_CLIP, arch="bench",
                              display_name="bench", languages=frozenset({"en", "zh"}),
                              embed_dim=dim, image_size=224)
        self.dim = dim
        self.vectors: dict[str, np.ndarray] = {}

    def encode_texts(self, texts: Sequence[str]) -> np.ndarray:
        return np.stack([self.vectors[t] for t in texts])


def unit(rows: np.ndarray) -> np.ndarray:
    return (rows / np.linalg.norm(rows, axis=1, keepdims=True)).astype(np.float32)


def clustered(rng: np.random.Generator, n: int, centres: np.ndarray) -> np.ndarray:
    """Photos around cluster centres: cosine about 0.8 to their centre, 0.6 to each other."""
    which = rng.integers(0, len(centres), n)
    noise = rng.standard_normal((n, centres.shape[1]), dtype=np.float32)
    return unit(centres[which] + 0.75 * unit(noise))


def cold_rss_growth(paths: DataPaths) -> float:
    """How much a new process's resident memory grows when it opens the library's index."""
    code = (
        "import sys, resource; from pathlib import Path\n"
        "from clipdesk.paths import DataPaths; from clipdesk.core.store import Library\n"
        "def rss():\n"
        "    return int(open('/proc/self/statm').read().split()[1]) * "
        "resource.getpagesize() / 2**20\n"
        "lib = Library.open(DataPaths(Path(sys.argv[1])))\n"
        "import faiss\n"
        "before = rss(); lib.vector_index(sys.argv[2]); print(rss() - before)\n")
    done = subprocess.run([sys.executable, "-c", code, str(paths.root), MODEL],
                          capture_output=True, text=True, check=True,
                          cwd=Path(__file__).resolve().parents[1])
    return float(done.stdout.strip().splitlines()[-1])


def index_mib(index: VectorIndex) -> float:
    """What the base's vectors and ids take: float16 codes (approximate) or float32."""
    per_vector = index.base_ids.itemsize + (index.d * 2 if index.approximate else index.d * 4)
    return len(index.base_ids) * per_vector / 2**20


def median_ms(times: list[float]) -> float:
    return statistics.median(times) * 1000


def p95_ms(times: list[float]) -> float:
    return float(np.percentile(times, 95)) * 1000


def timed(action: Callable[[], object]) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def build(paths: DataPaths, n: int, dim: int, rng: np.random.Generator,
          centres: np.ndarray) -> float:
    started = time.perf_counter()
    with Library.open(paths, write=True) as lib:
        root = lib.add_root(paths.root.parent / "photos")
        lib.ensure_model(MODEL, dim)
        for start in range(0, n, BATCH):
            count = min(BATCH, n - start)
            vectors = clustered(rng, count, centres)
            lib.commit_batch(MODEL, [
                FileUpdate(root.id, f"{(start + i) // 1000:04d}/{start + i:07d}.jpg",
                           100_000 + i, 1_600_000_000_000_000_000 + start + i, FileStatus.OK,
                           content_hash=f"{start + i:064x}", taken_at=datetime(2020, 1, 1),
                           vector=vectors[i]) for i in range(count)])
        lib.refresh_vector_cache(MODEL)
    return time.perf_counter() - started


def search_figures(lib: Library, encoder: QueryEncoder, rng: np.random.Generator,
                   centres: np.ndarray, queries: int) -> None:
    searcher = Searcher(lib, lambda _m: encoder, lambda _m: encoder.info)  # type: ignore[arg-type, return-value]
    ids, matrix, _ = lib.all_vectors(MODEL)
    picks = rng.integers(0, len(ids), queries)
    kinds = {
        "image-like": unit(matrix[picks] + 0.05 * unit(
            rng.standard_normal((queries, matrix.shape[1]), dtype=np.float32))),
        # text vectors sit far from every photo (CLIP's modality gap): a cluster's direction
        # mixed with a shared offset
        "text-like": unit(centres[rng.integers(0, len(centres), queries)]
                          + 1.2 * unit(rng.standard_normal((1, matrix.shape[1]),
                                                           dtype=np.float32))),
    }
    for kind, vectors in kinds.items():
        runs: list[float] = []
        counts: list[float] = []
        recall: list[float] = []
        for i, vector in enumerate(vectors):
            key = f"{kind}-{i}"
            encoder.vectors[key] = vector
            plan = searcher.plan(Query(text=key, top_k=200), MODEL)
            result = searcher.run(plan)  # warm
            runs.append(timed(lambda plan=plan: searcher.run(plan)))
            threshold = result.hits[min(len(result.hits) - 1, 50)].score
            counts.append(timed(lambda plan=plan, t=threshold: searcher.count(plan, t)))
            exact = np.argsort(-(matrix @ vector))[:10]
            found = {h.file_id for h in result.hits[:10]}
            recall.append(len(found & {int(ids[j]) for j in exact}) / 10)
        print(f"  {kind:10s} search+metadata p50 {median_ms(runs):7.1f} ms  "
              f"p95 {p95_ms(runs):7.1f} ms   count p50 {median_ms(counts):7.1f} ms   "
              f"recall@10 {statistics.mean(recall):.3f}")


def update_figures(paths: DataPaths, dim: int, rng: np.random.Generator,
                   centres: np.ndarray) -> None:
    """Each change as a running app meets it: the indexing job's refresh of the cache, then
    the next search bringing its held index up to date."""
    with Library.open(paths, write=True) as lib:
        [root] = lib.roots()
        lib.vector_index(MODEL)  # held in memory, as in a running app

        def after(what: str) -> None:
            refresh = timed(lambda: lib.refresh_vector_cache(MODEL))
            catch_up = timed(lambda: lib.vector_index(MODEL))
            print(f"  10 {what:8s} refresh {refresh:6.3f} s + next search's catch-up "
                  f"{catch_up * 1000:6.1f} ms = {refresh + catch_up:6.3f} s")

        added = lib.commit_batch(MODEL, [
            FileUpdate(root.id, f"new/{i}.jpg", 1, i, FileStatus.OK, content_hash=f"n{i}",
                       vector=v) for i, v in enumerate(clustered(rng, 10, centres))])
        after("added")
        changed = [FileUpdate(root.id, f"new/{i}.jpg", 2, i + 1, FileStatus.OK,
                              file_id=file_id, content_hash=f"c{i}", vector=v,
                              content_changed=True)
                   for i, (file_id, v) in enumerate(zip(added, clustered(rng, 10, centres),
                                                        strict=True))]
        lib.commit_batch(MODEL, changed)
        after("changed")
        lib.apply_scan([], added)
        lib.purge_missing()
        after("removed")
    with Library.open(paths) as lib:  # a new process: the published file plus the change log
        print(f"  a new process after the 30 changes: open + catch-up "
              f"{timed(lambda: lib.vector_index(MODEL)):6.2f} s")


def open_figures(paths: DataPaths, encoder: QueryEncoder, repeat: int = 5) -> None:
    record_file = next(paths.vector_dir.glob("*.faiss"))
    query = next(iter(encoder.vectors.values()))[None, :]

    def plain() -> None:
        with open(record_file, "rb") as fp:
            index = faiss.read_index(faiss.PyCallbackIOReader(fp.read))  # type: ignore[attr-defined]
        index.search(query, 200)

    def ours() -> None:
        with Library.open(paths) as lib:
            searcher = Searcher(lib, lambda _m: encoder, lambda _m: encoder.info)  # type: ignore[arg-type, return-value]
            key = next(iter(encoder.vectors))
            searcher.run(searcher.plan(Query(text=key, top_k=200), MODEL))

    plain()  # into the page cache
    floor, mine = [], []
    for _ in range(repeat):
        floor.append(timed(plain))
        mine.append(timed(ours))
    ratio = statistics.median(mine) / statistics.median(floor)
    print(f"  cold open + first query {median_ms(mine):7.0f} ms   plain faiss.read_index + "
          f"search {median_ms(floor):7.0f} ms   ratio {ratio:.2f}x")


def cli_noop_figures(repeat: int = 5) -> None:
    """``clipdesk-cli index`` of an indexed folder with nothing new against ``status``."""
    from PIL import Image

    base = Path(tempfile.mkdtemp(prefix="clipdesk-noop-"))
    photos = base / "photos"
    photos.mkdir()
    rng = np.random.default_rng(1)
    for i in range(30):
        Image.fromarray(rng.integers(0, 255, (96, 128, 3), dtype=np.uint8)).save(
            photos / f"{i}.jpg")
    models = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "models"
    script = Path(sys.executable).with_name("clipdesk-cli")  # the installed command
    start = [str(script)] if script.is_file() else [
        sys.executable, "-c", "from clipdesk.launch import cli; cli()"]
    cli = [*start, "--data-dir", str(base / "data")]

    def call(*args: str) -> str:
        return subprocess.run([*cli, *args], capture_output=True, text=True,
                              check=True).stdout

    imported = json.loads(call("models", "import", str(models / "shapes-openclip.safetensors"),
                               "--config", str(models / "shapes-openclip.json"), "--json"))
    model_id = imported["id"]
    call("index", str(photos), "--model", model_id)
    noop, status = [], []
    for _ in range(repeat):
        noop.append(timed(lambda: call("index", str(photos), "--model", model_id)))
        status.append(timed(lambda: call("status")))
    ratio = statistics.median(noop) / statistics.median(status)
    print(f"  clipdesk-cli index with nothing to do {median_ms(noop):5.0f} ms   status "
          f"{median_ms(status):5.0f} ms   ratio {ratio:.2f}x")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--photos", type=int, default=100_000)
    parser.add_argument("--dim", type=int, default=512)
    parser.add_argument("--queries", type=int, default=40)
    parser.add_argument("--clusters", type=int, default=2_000)
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    centres = unit(rng.standard_normal((args.clusters, args.dim), dtype=np.float32))
    paths = DataPaths(Path(tempfile.mkdtemp(prefix="clipdesk-scale-")) / "data").ensure()
    print(f"faiss {faiss.__version__}, {faiss.omp_get_max_threads()} threads; "
          f"{args.photos:,} photos x {args.dim} in {args.clusters:,} clusters")
    print(f"  built and published in {build(paths, args.photos, args.dim, rng, centres):.0f} s")
    encoder = QueryEncoder(args.dim)
    with Library.open(paths) as lib:
        index = lib.vector_index(MODEL)
        info = lib.search_index_info(MODEL)
        print(f"  search index: {info}")
        print(f"  index in memory {index_mib(index):,.0f} MiB "
              f"(float32 would be {index.ntotal * index.d * 4 / 2**20:,.0f} MiB); "
              f"RSS of a new process grew {cold_rss_growth(paths):,.0f} MiB opening it")
        search_figures(lib, encoder, rng, centres, args.queries)
    open_figures(paths, encoder)
    update_figures(paths, args.dim, rng, centres)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"  peak RSS {peak:,.0f} MiB (building the library included)")
    cli_noop_figures()


if __name__ == "__main__":
    main()
