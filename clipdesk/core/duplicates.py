"""Near-duplicate groups: photos whose vectors are at least ``threshold`` alike (bursts, resized
copies, re-saved JPEGs) and exact copies (the same content hash), found with the vector index —
each photo's few nearest neighbours, never all pairs — and joined with union-find.

:func:`group_pairs` is the pure part (pairs in, groups out); :func:`find_duplicates` feeds it
from a library, a chunk of photos at a time. Each group names the photo to keep: the largest
picture, then the largest file, then the earliest taken.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from clipdesk.core.jobs import CancelToken, ProgressCallback, no_progress
from clipdesk.core.types import Photo, Progress, Stage

if TYPE_CHECKING:
    from clipdesk.core.store import Library

DEFAULT_THRESHOLD = 0.95
NEIGHBOURS = 16  # nearest photos looked at per photo (a burst larger than this still joins up)
CHUNK = 2048

Search = Callable[[np.ndarray, int], tuple[np.ndarray, np.ndarray]]


@dataclass(frozen=True)
class DuplicateGroup:
    file_ids: tuple[int, ...]  # the best photo first
    exact: bool  # every photo of the group has the same content
    similarity: float  # the lowest similarity of the links that made the group

    @property
    def best(self) -> int:
        return self.file_ids[0]

    @property
    def others(self) -> tuple[int, ...]:
        return self.file_ids[1:]


class _UnionFind:
    def __init__(self) -> None:
        self.parent: dict[int, int] = {}

    def find(self, x: int) -> int:
        self.parent.setdefault(x, x)
        root = x
        while self.parent[root] != root:
            root = self.parent[root]
        while self.parent[x] != root:  # path compression
            self.parent[x], x = root, self.parent[x]
        return root

    def union(self, a: int, b: int) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[max(ra, rb)] = min(ra, rb)


def near_pairs(ids: np.ndarray, vectors: np.ndarray, search: Search, threshold: float,
               k: int = NEIGHBOURS) -> list[tuple[int, int, float]]:
    """``(a, b, similarity)`` with a < b for each photo's neighbours at or above
    ``threshold`` (``search(vectors, k)`` answers FAISS-style scores and ids)."""
    scores, found = search(np.ascontiguousarray(vectors, dtype=np.float32), k + 1)
    own = np.asarray(ids, dtype=np.int64)[:, None]
    keep = (found >= 0) & (found != own) & (scores >= threshold)
    rows, cols = np.nonzero(keep)
    a = np.minimum(own[rows, 0], found[rows, cols])
    b = np.maximum(own[rows, 0], found[rows, cols])
    return list(zip(a.tolist(), b.tolist(), scores[rows, cols].astype(float).tolist(),
                    strict=True))


def group_pairs(pairs: Iterable[tuple[int, int, float]],
                hashes: Mapping[int, str | None] | None = None) -> list[tuple[list[int], float]]:
    """Groups of two or more (ids ascending) joined by ``pairs`` and by equal content hashes,
    each with the lowest similarity of its links (1.0 for copies), largest groups first."""
    uf = _UnionFind()
    low: dict[int, float] = {}
    links = []
    for a, b, score in pairs:
        uf.union(a, b)
        links.append((a, score))
    by_hash: dict[str, int] = {}
    for file_id, digest in (hashes or {}).items():
        if digest:
            if digest in by_hash:
                uf.union(file_id, by_hash[digest])
            else:
                by_hash[digest] = file_id
    members: dict[int, list[int]] = {}
    for x in list(uf.parent):
        members.setdefault(uf.find(x), []).append(x)
    for a, score in links:
        root = uf.find(a)
        low[root] = min(low.get(root, 1.0), score)
    groups = [(sorted(m), low.get(root, 1.0)) for root, m in members.items() if len(m) > 1]
    return sorted(groups, key=lambda g: (-len(g[0]), g[0][0]))


def best_first(photos: Sequence[Photo]) -> list[Photo]:
    """The photo to keep first: most pixels, then the largest file, then the earliest taken
    (undated last), then the lowest id."""
    def key(p: Photo) -> tuple[int, int, float, int]:
        taken = p.taken_at.timestamp() if p.taken_at is not None else float("inf")
        return (-(p.width or 0) * (p.height or 0), -p.size, taken, p.id)

    return sorted(photos, key=key)


def find_duplicates(library: Library, model_id: str, threshold: float = DEFAULT_THRESHOLD, *,
                    token: CancelToken | None = None,
                    progress: ProgressCallback = no_progress) -> list[DuplicateGroup]:
    """The near-duplicate groups among the photos ``model_id`` indexed (and exact copies)."""
    index = library.vector_index(model_id)
    ids = index.ids()
    pairs: list[tuple[int, int, float]] = []
    progress(Progress(Stage.DUPLICATES, 0, len(ids)))
    for start in range(0, len(ids), CHUNK):
        if token is not None:
            token.check()
        part = ids[start:start + CHUNK]
        found = library.vector_map(model_id, part.tolist())
        have = np.array([i for i in part if int(i) in found], dtype=np.int64)
        if len(have):
            vectors = np.stack([found[int(i)] for i in have])
            pairs += near_pairs(have, vectors, index.search, threshold)
        progress(Progress(Stage.DUPLICATES, min(len(ids), start + CHUNK), len(ids)))
    found_groups = group_pairs(pairs, library.shared_hashes())
    photos = library.photos([i for members, _ in found_groups for i in members])
    groups = []
    for members, similarity in found_groups:
        ordered = best_first([photos[i] for i in members if i in photos])
        if len(ordered) < 2:
            continue
        exact = len({p.content_hash for p in ordered}) == 1 and ordered[0].content_hash
        groups.append(DuplicateGroup(tuple(p.id for p in ordered), bool(exact), similarity))
    return groups
