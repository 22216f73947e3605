"""Near-duplicate groups: photos whose vectors are at least ``threshold`` alike (bursts, resized
copies, re-saved JPEGs) and exact copies (the same content hash), found with the vector index —
each photo's few nearest neighbours, never all pairs — proposed by union-find and kept around
the photo to keep: every member is at least ``threshold`` alike to it, so there are no chains.

The neighbour search runs once, at a *floor* similarity (:data:`FLOOR`, the loosest threshold a
person is offered): :func:`scan_duplicates` keeps every pair at or above it with its similarity
in a :class:`DuplicateScan`, whose :meth:`~DuplicateScan.groups` and
:meth:`~DuplicateScan.count` answer for any threshold at or above the floor from those pairs
alone (milliseconds for a few thousand pairs: a slider's live count re-derives the groups).
:func:`group_pairs` is the pure part (pairs in, groups out). Each group names the photo to keep:
the largest picture, then the largest file, then the earliest taken.
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
FLOOR = 0.85  # the loosest threshold offered: a scan keeps the pairs at or above it
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


class DuplicateScan:
    """The pairs of one neighbour search at ``floor`` (and the exact copies), from which the
    groups at any threshold at or above the floor are derived without searching again.

    Only photos the library still knows take part (``photos`` holds each of them), so that
    :meth:`count` always equals ``len(groups(t))``."""

    def __init__(self, model_id: str, floor: float, pairs: Iterable[tuple[int, int, float]],
                 hashes: Mapping[int, str | None], photos: Mapping[int, Photo]) -> None:
        self.model_id = model_id
        self.floor = float(floor)
        self.photos: dict[int, Photo] = dict(photos)
        best: dict[tuple[int, int], float] = {}
        for a, b, score in pairs:
            a, b = min(a, b), max(a, b)
            if a != b and a in self.photos and b in self.photos:
                best[a, b] = max(score, best.get((a, b), score))
        order = sorted(best.items(), key=lambda item: (-item[1], item[0]))
        self._a = np.array([k[0] for k, _ in order], dtype=np.int64)
        self._b = np.array([k[1] for k, _ in order], dtype=np.int64)
        self._scores = np.array([s for _, s in order], dtype=np.float32)  # descending
        self.hashes: dict[int, str] = {i: h for i, h in hashes.items()
                                       if h and i in self.photos}
        self._cache: tuple[float, list[DuplicateGroup]] | None = None

    @property
    def pair_count(self) -> int:
        return len(self._scores)

    def _kept(self, threshold: float) -> int:
        """How many pairs (a prefix) are at least ``threshold`` alike."""
        if threshold < self.floor - 1e-9:
            raise ValueError(f"this scan looked for pairs at or above {self.floor}, "
                             f"not {threshold}")
        t = np.float32(threshold)
        return int(np.searchsorted(-self._scores, -t, side="right"))

    def count(self, threshold: float) -> int:
        """The number of groups at ``threshold`` (milliseconds: for a live slider)."""
        return len(self.groups(threshold))

    def groups(self, threshold: float) -> list[DuplicateGroup]:
        """The groups at ``threshold``, largest first, each with the photo to keep first.

        No chains: the pairs join photos into candidates (union-find), then each candidate
        keeps only the photos at least ``threshold`` alike to the one kept (or its exact
        copies); the photos left out are grouped again among themselves the same way. So
        A~B and B~C never put A and C together unless A~C too."""
        if self._cache is not None and self._cache[0] == threshold:
            return self._cache[1]
        kept = self._kept(threshold)
        sims = {(int(a), int(b)): float(sc) for a, b, sc in zip(
            self._a[:kept].tolist(), self._b[:kept].tolist(),
            self._scores[:kept].astype(float).tolist(), strict=True)}
        pairs = [(a, b, sc) for (a, b), sc in sims.items()]
        groups = []
        for members, _ in group_pairs(pairs, self.hashes):
            groups += self._stars(best_first([self.photos[i] for i in members]), sims)
        groups.sort(key=lambda g: (-len(g.file_ids), g.file_ids[0]))
        self._cache = (threshold, groups)
        return groups

    def _stars(self, ordered: list[Photo], sims: Mapping[tuple[int, int], float]
               ) -> list[DuplicateGroup]:
        """``ordered`` (best first) split into groups around the photo each keeps."""
        out = []
        left = list(ordered)
        while len(left) > 1:
            best = left[0]
            digest = self.hashes.get(best.id)
            members, low = [best], 1.0
            rest = []
            for photo in left[1:]:
                same = digest is not None and self.hashes.get(photo.id) == digest
                score = sims.get((min(best.id, photo.id), max(best.id, photo.id)))
                if same or score is not None:
                    members.append(photo)
                    low = min(low, 1.0 if same else float(score or 1.0))
                else:
                    rest.append(photo)
            if len(members) > 1:
                exact = len({p.content_hash for p in members}) == 1 and members[0].content_hash
                out.append(DuplicateGroup(tuple(p.id for p in members), bool(exact), low))
            left = rest
        return out


def scan_duplicates(library: Library, model_id: str, floor: float = FLOOR, *,
                    token: CancelToken | None = None,
                    progress: ProgressCallback = no_progress) -> DuplicateScan:
    """Each photo ``model_id`` indexed compared with its nearest neighbours once, the pairs
    at or above ``floor`` kept, with the exact copies and the rows of every photo in them."""
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
            pairs += near_pairs(have, vectors, index.search, floor)
        progress(Progress(Stage.DUPLICATES, min(len(ids), start + CHUNK), len(ids)))
    hashes = library.shared_hashes()
    wanted = {i for a, b, _ in pairs for i in (a, b)} | set(hashes)
    return DuplicateScan(model_id, floor, pairs, hashes, library.photos(sorted(wanted)))


def find_duplicates(library: Library, model_id: str, threshold: float = DEFAULT_THRESHOLD, *,
                    token: CancelToken | None = None,
                    progress: ProgressCallback = no_progress) -> list[DuplicateGroup]:
    """The near-duplicate groups among the photos ``model_id`` indexed (and exact copies)."""
    return scan_duplicates(library, model_id, min(threshold, FLOOR), token=token,
                           progress=progress).groups(threshold)
