"""Stacks of near-identical results: copies of one photo, bursts, the same shot saved twice.

:func:`stack_hits` groups ranked hits. The best-ranked hit of a group is its head, and takes
every later hit that is the same photo (the same content hash: a copy) or nearly the same picture
(cosine similarity of their stored vectors at least ``threshold``: a burst, a re-save, a resize).
Grouping is greedy in rank order around heads (no chains: two photos join a stack only through
its head), and costs one matrix product over the hits' vectors.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from clipdesk.core.types import Photo, SearchHit

if TYPE_CHECKING:
    from clipdesk.core.store import Library

STACK_THRESHOLD = 0.97  # cosine similarity from which two photos count as near-identical
# only the best-ranked hits are compared by their vectors (the product is quadratic); copies
# (same content hash) are stacked at any rank
MAX_COMPARED = 2000

VectorsOf = Callable[[Sequence[int]], Mapping[int, np.ndarray]]


@dataclass(frozen=True)
class Stack:
    """One tile's worth of results: the best-ranked hit and the others like it."""

    head: SearchHit
    members: tuple[SearchHit, ...] = ()  # the others, in rank order

    @property
    def size(self) -> int:
        return 1 + len(self.members)

    @property
    def hits(self) -> tuple[SearchHit, ...]:
        return (self.head, *self.members)


def stack_hits(
    hits: Sequence[SearchHit],
    vectors_of: VectorsOf | None = None,
    threshold: float = STACK_THRESHOLD,
    *,
    hashes: Mapping[int, str | None] | None = None,
    max_compared: int = MAX_COMPARED,
) -> list[Stack]:
    """Group ``hits`` (best first) into stacks, in the order of their heads.

    ``vectors_of(file_ids)`` answers {file id: stored vector} (ids without one left out);
    ``hashes``: the content hash of each file id, so that copies stack even without vectors.
    Every hit is in exactly one stack; a hit alone is a stack of one."""
    hits = list(hits)
    n = len(hits)
    if n == 0:
        return []
    taken = np.zeros(n, dtype=bool)
    copies = _copies(hits, hashes or {})
    similar = _similar(hits[: max(0, max_compared)], vectors_of, threshold)
    stacks: list[Stack] = []
    for i in range(n):
        if taken[i]:
            continue
        taken[i] = True
        found = [j for j in copies.get(i, ()) if not taken[j]]
        if similar is not None and i < len(similar):
            row = np.flatnonzero(similar[i] & ~taken[: len(similar)])
            found.extend(int(j) for j in row)
        members: set[int] = set()
        for j in found:
            if taken[j]:
                continue
            taken[j] = True
            members.add(j)
            for k in copies.get(j, ()):  # the copies of a near-identical photo come along
                if not taken[k]:
                    taken[k] = True
                    members.add(k)
        stacks.append(Stack(hits[i], tuple(hits[j] for j in sorted(members))))
    return stacks


def library_stacks(
    library: Library,
    hits: Sequence[SearchHit],
    model_id: str | None,
    photos: Mapping[int, Photo],
    threshold: float = STACK_THRESHOLD,
) -> list[Stack]:
    """:func:`stack_hits` with the vectors that ``library`` stores for ``model_id`` (the model
    that answered; None: copies only) and the photos' content hashes."""
    hashes = {i: p.content_hash for i, p in photos.items()}

    def vectors_of(ids: Sequence[int]) -> Mapping[int, np.ndarray]:
        return library.vector_map(model_id, ids) if model_id is not None else {}

    return stack_hits(hits, vectors_of, threshold, hashes=hashes)


def _copies(hits: Sequence[SearchHit], hashes: Mapping[int, str | None]) -> dict[int, list[int]]:
    """For each position whose photo has copies among the hits: the positions of the others."""
    by_hash: dict[str, list[int]] = {}
    for position, hit in enumerate(hits):
        digest = hashes.get(hit.file_id)
        if digest:
            by_hash.setdefault(digest, []).append(position)
    out: dict[int, list[int]] = {}
    for group in by_hash.values():
        if len(group) > 1:
            for position in group:
                out[position] = [p for p in group if p != position]
    return out


def _similar(
    hits: Sequence[SearchHit], vectors_of: VectorsOf | None, threshold: float
) -> np.ndarray | None:
    """(n, n) bool: which of ``hits`` are near-identical to which (never to themselves), or
    None when there are no vectors to compare."""
    if vectors_of is None or len(hits) < 2:
        return None
    found = vectors_of([h.file_id for h in hits])
    rows = [i for i, h in enumerate(hits) if h.file_id in found]
    if len(rows) < 2:
        return None
    matrix = np.stack([np.asarray(found[hits[i].file_id], dtype=np.float32) for i in rows])
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    unit = (matrix / np.where(norms > 0, norms, 1.0)).astype(np.float32)
    cosines = unit @ unit.T  # the one product
    close = cosines >= threshold
    np.fill_diagonal(close, False)
    similar = np.zeros((len(hits), len(hits)), dtype=bool)
    similar[np.ix_(rows, rows)] = close
    return similar

