"""Approximate search for large libraries, with its recall measured on the library itself.

Above :data:`ANN_MIN` vectors a model's base index is an ``IndexIVFScalarQuantizer``: the
vectors are grouped around ``nlist`` k-means centroids and stored as float16 codes (half the
memory of float32, with no loss of ranking that matters: text-to-image scores sit close
together, and 8-bit codes are known to break text search while image search still works).
A query scans the ``nprobe`` groups nearest to it.

How many groups to scan is not assumed: while the index is filled, the exact top 10 of a few
hundred queries made from the library's own vectors is kept, and each ``nprobe`` from 1 up is
tried until recall@10 reaches :data:`TUNE_TARGET` for both kinds of query:

- *image-like*: a library photo's vector plus noise (find similar, a photo as the query);
- *text-like*: a library photo's direction, pushed away from the centre of the photos and
  mixed half and half with an unrelated direction, so that it scores far lower against every
  photo than a photo query does, and its neighbours are looser, the way CLIP text queries
  behave (the "modality gap"); this is where an approximate index loses neighbours first.

The figures are stored with the cache and shown by ``status``. When no ``nprobe`` short of
scanning every group reaches :data:`RECALL_MIN`, the model is searched exactly instead.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np

log = logging.getLogger(__name__)

ANN_MIN = 100_000  # vectors from which a model gets an approximate index
RECALL_MIN = 0.95  # below this (for either kind of query) the model is searched exactly
TUNE_TARGET = 0.97  # nprobe is raised until both kinds of query reach this
CHECK_QUERIES = 150  # per kind
MIN_NPROBE = 8  # a margin for queries unlike the check's: 8 groups of thousands cost little
K = 10
FLOAT16_SLACK = 2e-3  # how far a float16 code's score may fall below the exact one


def nlist_for(count: int) -> int:
    """The number of k-means groups for ``count`` vectors: about 4 * sqrt(count), a power of 2
    (1,024 for 100,000 photos, 4,096 for a million). Photos come in many small tight groups
    (bursts, places, subjects); with fewer, coarser groups a query's neighbours are spread over
    many of them and recall needs far more of the library scanned."""
    return int(min(4096, max(16, 2 ** round(math.log2(max(4 * math.sqrt(count), 1.0))))))


def training_size(nlist: int, count: int) -> int:
    return min(count, 40 * nlist)


def new_ivf(dim: int, nlist: int) -> Any:
    import faiss

    quantizer = faiss.IndexFlatIP(dim)
    index = faiss.IndexIVFScalarQuantizer(quantizer, dim, nlist,
                                          faiss.ScalarQuantizer.QT_fp16,
                                          faiss.METRIC_INNER_PRODUCT)
    index.cp.niter = 10  # k-means iterations: the groups need not be perfect, only fast to make
    index.cp.seed = 1234
    index.__dict__["referenced_objects"] = [quantizer]  # the Python side owns it (freed once)
    return index


@dataclass(frozen=True)
class Recall:
    """What the self-check of an approximate index found."""

    nprobe: int  # groups scanned per query
    nlist: int
    image: float  # recall@10 of image-like queries at nprobe
    text: float  # recall@10 of text-like queries at nprobe

    @property
    def good(self) -> bool:
        return min(self.image, self.text) >= RECALL_MIN


def _unit_rows(matrix: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    return (matrix / np.where(norms > 0, norms, 1.0)).astype(np.float32)


def check_queries(sample: np.ndarray, seed: int = 7) -> tuple[np.ndarray, np.ndarray]:
    """Image-like and text-like queries made from ``sample`` (library vectors), as above."""
    rng = np.random.default_rng(seed)
    n = len(sample)
    picks = sample[rng.choice(n, size=min(CHECK_QUERIES, n), replace=False)]
    image = _unit_rows(picks + 0.3 * _unit_rows(rng.standard_normal(picks.shape)))
    centre = sample.mean(axis=0)
    centre /= max(float(np.linalg.norm(centre)), 1e-9)
    other = rng.standard_normal(picks.shape)
    other -= np.outer(other @ centre, centre)
    text = _unit_rows(0.5 * picks - 0.3 * centre[None, :] + 0.5 * _unit_rows(other))
    return image, text


class ExactTop:
    """The exact top :data:`K` scores of fixed queries over vectors streamed in chunks (-inf
    until K vectors were seen): recall is judged by score, so ids need not be kept."""

    def __init__(self, queries: np.ndarray) -> None:
        self.queries = queries
        self._scores = np.full((len(queries), K), -np.inf, dtype=np.float32)

    def update(self, vectors: np.ndarray) -> None:
        both = np.concatenate([self._scores, self.queries @ vectors.T], axis=1)
        self._scores = -np.partition(-both, K - 1, axis=1)[:, :K]

    def recall(self, scores: np.ndarray) -> float:
        """Recall@K of a search that returned ``scores`` (rows, best first, -inf or padding
        for missing): the share of its results scoring at least the exact K-th score. Ties
        count as found (photos stored twice have equal vectors, and which copy is returned
        does not matter); float16 codes are allowed their rounding."""
        found = np.isfinite(self._scores)
        kth = np.min(np.where(found, self._scores, np.inf), axis=1)
        hits = (np.asarray(scores)[:, :K] >= (kth - FLOAT16_SLACK)[:, None]).sum()
        total = int(found.sum())
        return min(int(hits), total) / total if total else 1.0


def _scores(result: tuple[np.ndarray, np.ndarray]) -> np.ndarray:
    scores, ids = result
    return np.where(ids >= 0, scores, -np.inf)


def tune(index: Any, image: ExactTop, text: ExactTop) -> Recall:
    """The smallest ``nprobe`` from :data:`MIN_NPROBE` up whose recall@10 reaches
    :data:`TUNE_TARGET` for both kinds of query (all groups when none does), with its measured
    recall."""
    import faiss

    ivf = faiss.extract_index_ivf(index)
    nprobe = min(MIN_NPROBE, int(ivf.nlist))
    while True:
        params = faiss.SearchParametersIVF()
        params.nprobe = nprobe
        found = [top.recall(_scores(index.search(top.queries, K, params=params)))
                 for top in (image, text)]
        if min(found) >= TUNE_TARGET or nprobe >= ivf.nlist:
            return Recall(nprobe, int(ivf.nlist), found[0], found[1])
        nprobe = min(nprobe * 2, int(ivf.nlist))


def build_ivf(count: int, dim: int, training: np.ndarray,
              chunks: Iterable[tuple[np.ndarray, np.ndarray]]) -> tuple[Any, Recall]:
    """An IVF index of the ``count`` vectors in ``chunks`` ((ids, float32 matrix)), trained on
    ``training`` (a spread-out sample of them), and the recall its self-check measured."""
    nlist = nlist_for(count)
    index = new_ivf(dim, nlist)
    index.train(np.ascontiguousarray(training, dtype=np.float32))
    image_queries, text_queries = check_queries(training)
    image, text = ExactTop(image_queries), ExactTop(text_queries)
    for ids, matrix in chunks:
        index.add_with_ids(matrix, ids)
        image.update(matrix)
        text.update(matrix)
    recall = tune(index, image, text)
    log.info("approximate index: %d vectors in %d groups; nprobe %d: recall@10 %.3f (image), "
             "%.3f (text)", index.ntotal, nlist, recall.nprobe, recall.image, recall.text)
    return index, recall
