"""A view of a model's vectors: base minus tombstones plus an exact delta, filtered by id."""

from __future__ import annotations

import numpy as np
import pytest

from clipdesk.core.store import vectors as vector_files
from clipdesk.core.store.segments import VectorIndex, _selector

DIM = 6


def _vectors(n: int, seed: int) -> np.ndarray:
    x = np.random.default_rng(seed).standard_normal((n, DIM)).astype(np.float32)
    return x / np.linalg.norm(x, axis=1, keepdims=True)


@pytest.mark.parametrize("ids", [np.arange(1, 200, 3), np.array([5, 1 << 40, 77])])
def test_selectors_let_through_exactly_their_ids(ids: np.ndarray) -> None:
    """Dense ids get a bitmap, sparse ones a hash set: both select the same ids."""
    selector = _selector(ids.astype(np.int64))
    wanted = set(ids.tolist())
    for probe in [*ids.tolist(), 0, 2, 4, 198, 1 << 39, (1 << 40) + 1]:
        assert selector.is_member(int(probe)) == (probe in wanted)


def test_a_view_merges_its_delta_and_hides_tombstones() -> None:
    base_vectors = _vectors(20, 0)
    base = vector_files.build_index(DIM, np.arange(1, 21, dtype=np.int64), base_vectors)
    new = _vectors(2, 1)
    delta = vector_files.build_index(DIM, np.array([3, 50], dtype=np.int64), new)
    view = VectorIndex(base).with_changes(np.array([3, 4, 50], dtype=np.int64), delta)
    assert view.ntotal == 20 - 2 + 2 and view.delta_count == 3
    assert 4 not in view.ids() and {3, 50} <= set(view.ids())
    _, found = view.search(base_vectors[3][None, :], 20)  # file 4: removed
    assert 4 not in found[0]
    scores, found = view.search(new[0][None, :], 1)  # file 3: its new vector, from the delta
    assert found[0, 0] == 3 and scores[0, 0] == pytest.approx(1.0)
    np.testing.assert_array_equal(view.reconstruct(3), new[0])
    with pytest.raises(KeyError):
        view.reconstruct(4)
    _, found = view.search(new[1][None, :], 3, allowed=np.array([50, 7], dtype=np.int64))
    assert set(found[0][found[0] >= 0]) == {50, 7}
    assert view.count(new[1], 0.999) == 1
    assert view.count(new[1], -1.0, allowed=np.array([1, 2, 4], dtype=np.int64)) == 2


def test_an_empty_view_answers_nothing() -> None:
    view = VectorIndex(vector_files.new_index(DIM))
    _, ids = view.search(_vectors(1, 2), 5)
    assert ids.shape[0] == 1 and not (ids >= 0).any()
    assert view.count(_vectors(1, 2)[0], -1.0) == 0 and view.ntotal == 0
