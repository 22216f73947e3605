"""Stacking near-identical results: copies by content hash, bursts by the stored vectors."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import pytest

from clipdesk.core.stacks import Stack, library_stacks, stack_hits
from clipdesk.core.store import FileUpdate, Library
from clipdesk.core.types import FileStatus, SearchHit
from clipdesk.paths import DataPaths


def hits(n: int) -> list[SearchHit]:
    return [SearchHit(i + 1, Path(f"/p/{i + 1}.jpg"), 1.0 - i / 100, i + 1) for i in range(n)]


def unit(*values: float) -> np.ndarray:
    v = np.asarray(values, dtype=np.float32)
    return v / np.linalg.norm(v)


class Vectors:
    """A ``vectors_of`` that records how it was asked."""

    def __init__(self, table: Mapping[int, np.ndarray]) -> None:
        self.table = table
        self.asked: list[list[int]] = []

    def __call__(self, ids: Sequence[int]) -> Mapping[int, np.ndarray]:
        self.asked.append(list(ids))
        return {i: self.table[i] for i in ids if i in self.table}


def shape(stacks: list[Stack]) -> list[list[int]]:
    return [[h.file_id for h in s.hits] for s in stacks]


def test_no_hits_no_stacks() -> None:
    assert stack_hits([], Vectors({})) == []


def test_without_vectors_or_hashes_every_hit_is_alone() -> None:
    found = stack_hits(hits(4))
    assert shape(found) == [[1], [2], [3], [4]]
    assert all(s.size == 1 and s.members == () for s in found)


def test_copies_stack_under_the_best_ranked_one() -> None:
    hashes = {1: "a", 2: "b", 3: "a", 4: None, 5: "a", 6: "b"}
    found = stack_hits(hits(6), hashes=hashes)
    assert shape(found) == [[1, 3, 5], [2, 6], [4]]
    assert found[0].head.file_id == 1 and found[0].size == 3


def test_near_identical_vectors_stack_and_others_do_not() -> None:
    table = {
        1: unit(1, 0, 0),
        2: unit(0, 1, 0),
        3: unit(1, 0.1, 0),  # cosine 0.995 with 1: a burst
        4: unit(1, 0.3, 0),  # cosine 0.958 with 1: a similar photo, not the same one
        5: unit(0, 1, 0.05),  # cosine 0.999 with 2
    }
    vectors = Vectors(table)
    found = stack_hits(hits(6), vectors)  # 6 has no vector
    assert shape(found) == [[1, 3], [2, 5], [4], [6]]
    assert len(vectors.asked) == 1  # one look-up for every hit


def test_the_threshold_decides() -> None:
    table = {1: unit(1, 0, 0), 2: unit(1, 0.3, 0)}  # cosine 0.958
    assert shape(stack_hits(hits(2), Vectors(table), 0.97)) == [[1], [2]]
    assert shape(stack_hits(hits(2), Vectors(table), 0.95)) == [[1, 2]]


def test_stacks_form_around_heads_not_in_chains() -> None:
    # 1~2 and 2~3 are near-identical, 1 and 3 are not: 3 is not pulled in through 2
    table = {1: unit(1, 0, 0), 2: unit(1, 0.2, 0), 3: unit(1, 0.4, 0)}
    assert shape(stack_hits(hits(3), Vectors(table), 0.97)) == [[1, 2], [3]]


def test_copies_of_a_near_identical_photo_come_along() -> None:
    table = {1: unit(1, 0, 0), 2: unit(0, 1, 0), 3: unit(1, 0.1, 0)}  # 4 (no vector) copies 3
    found = stack_hits(hits(4), Vectors(table), hashes={3: "x", 4: "x"})
    assert shape(found) == [[1, 3, 4], [2]]


def test_every_hit_is_in_exactly_one_stack_and_order_is_kept() -> None:
    rng = np.random.default_rng(7)
    base = rng.normal(size=(30, 16)).astype(np.float32)
    table = {i + 1: base[i % 30] + rng.normal(scale=0.02, size=16) for i in range(300)}
    found = stack_hits(hits(300), Vectors(table))
    ids = [h.file_id for s in found for h in s.hits]
    assert sorted(ids) == list(range(1, 301))
    heads = [s.head.rank for s in found]
    assert heads == sorted(heads)  # stacks come in the order of their heads
    assert all(list(s.hits) == sorted(s.hits, key=lambda h: h.rank) for s in found)
    assert len(found) == 30  # ten noisy shots of each of 30 pictures


def test_only_the_best_ranked_are_compared_but_copies_stack_everywhere() -> None:
    table = {i: unit(1, 0, 0) for i in range(1, 7)}  # all the same picture
    found = stack_hits(hits(6), Vectors(table), hashes={5: "h", 6: "h"}, max_compared=3)
    assert shape(found) == [[1, 2, 3], [4], [5, 6]]


def test_a_thousand_hits_cost_one_lookup() -> None:
    rng = np.random.default_rng(1)
    table = {i: v for i, v in enumerate(rng.normal(size=(1000, 64)).astype(np.float32), 1)}
    vectors = Vectors(table)
    found = stack_hits(hits(1000), vectors)
    assert len(found) == 1000 and len(vectors.asked) == 1


@pytest.fixture
def library(data_paths: DataPaths, tmp_path: Path) -> Library:
    library = Library.open(data_paths, write=True)
    library.ensure_model("m:a", 3)
    return library


def test_library_stacks_use_the_stored_vectors_and_hashes(library: Library,
                                                          tmp_path: Path) -> None:
    root = library.add_root(tmp_path / "photos")
    vectors = [unit(1, 0, 0), unit(1, 0.05, 0), unit(0, 1, 0), unit(0, 0, 1)]
    digests = ["h1", "h2", "h3", "h1"]  # the fourth is a copy of the first (its vector aside)
    ids = library.commit_batch("m:a", [
        FileUpdate(root_id=root.id, relpath=f"{i}.jpg", size=10, mtime_ns=0,
                   status=FileStatus.OK, content_hash=digests[i], width=4, height=3,
                   vector=vectors[i])
        for i in range(4)])
    photos = library.photos(ids)
    ranked = [SearchHit(f, photos[f].path, 0.5 - r / 10, r + 1) for r, f in enumerate(ids)]
    try:
        found = library_stacks(library, ranked, "m:a", photos)
        assert shape(found) == [[ids[0], ids[1], ids[3]], [ids[2]]]
        copies_only = library_stacks(library, ranked, None, photos)
        assert shape(copies_only) == [[ids[0], ids[3]], [ids[1]], [ids[2]]]
    finally:
        library.close()
