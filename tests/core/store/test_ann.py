"""Approximate search for large libraries: chosen by size, recall measured, filters kept."""

from __future__ import annotations

import numpy as np
import pytest

from clipdesk.core.store import FileUpdate, Library, ann
from clipdesk.core.store.segments import VectorIndex
from clipdesk.core.types import FileStatus
from clipdesk.paths import DataPaths

DIM = 32
N = 3000


def _clustered(n: int, seed: int = 0) -> np.ndarray:
    """Unit vectors around 40 centres: the structure photo embeddings have."""
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((40, DIM))
    x = centres[rng.integers(0, 40, n)] + 0.6 * rng.standard_normal((n, DIM))
    return (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32)


@pytest.fixture
def small_ann(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ann, "ANN_MIN", 2000)


def _fill(lib: Library, vectors: np.ndarray, name: str = "p") -> list[int]:
    root = lib.add_root(lib.paths.root.parent / "photos")
    lib.ensure_model("m:a", DIM)
    ids: list[int] = []
    for start in range(0, len(vectors), 1000):
        ids += lib.commit_batch("m:a", [
            FileUpdate(root.id, f"{name}{i}.jpg", 1, 1, FileStatus.OK,
                       content_hash=f"{name}{i}",
                       vector=vectors[i]) for i in range(start, min(start + 1000, len(vectors)))])
    return ids


@pytest.fixture
def indexed(data_paths: DataPaths, small_ann: None) -> tuple[np.ndarray, list[int]]:
    """A library of N clustered vectors whose indexing job made its index approximate."""
    vectors = _clustered(N)
    with Library.open(data_paths, write=True) as lib:
        ids = _fill(lib, vectors)
        lib.refresh_vector_cache()
    return vectors, ids


def _exact_top(vectors: np.ndarray, ids: list[int], query: np.ndarray, k: int) -> set[int]:
    order = np.argsort(-(vectors @ query))[:k]
    return {ids[i] for i in order}


def test_a_large_library_gets_an_approximate_index_with_its_recall_measured(
    data_paths: DataPaths, indexed: tuple[np.ndarray, list[int]]
) -> None:
    vectors, ids = indexed
    with Library.open(data_paths) as lib:
        info = lib.search_index_info("m:a")
        assert info is not None and info.approximate and info.count == N
        assert info.nlist == ann.nlist_for(N) and 1 <= (info.nprobe or 0) <= info.nlist
        assert min(info.recall_image or 0, info.recall_text or 0) >= ann.RECALL_MIN
    with Library.open(data_paths) as lib:  # loaded from the file, with its nprobe
        index = lib.vector_index("m:a")
        assert index.approximate and index.ntotal == N and index.nprobe == info.nprobe
        recalls = []
        for q in vectors[:50]:
            _, found = index.search(q[None, :], 10)
            recalls.append(len(set(found[0]) & _exact_top(vectors, ids, q, 10)) / 10)
        assert float(np.mean(recalls)) >= 0.95


def test_a_search_never_trains_an_approximate_index_the_indexing_job_does(
    data_paths: DataPaths, small_ann: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With no usable file, a search builds an exact index (seconds, not the minutes of
    k-means on a million photos); the next refresh of the indexing job makes it approximate."""
    with Library.open(data_paths, write=True) as lib:
        _fill(lib, _clustered(N))
        trained: list[int] = []
        real = ann.build_ivf
        monkeypatch.setattr(ann, "build_ivf", lambda *a: trained.append(1) or real(*a))
        assert not lib.vector_index("m:a").approximate and trained == []
        assert lib.search_index_info("m:a").kind == "exact"  # type: ignore[union-attr]
        lib.refresh_vector_cache()
        assert trained == [1] and lib.search_index_info("m:a").kind == "ivf"  # type: ignore[union-attr]
        assert lib.vector_index("m:a").approximate


def test_filters_and_the_count_follow_the_results_plan_on_an_approximate_index(
    data_paths: DataPaths, indexed: tuple[np.ndarray, list[int]]
) -> None:
    vectors, ids = indexed
    with Library.open(data_paths) as lib:
        index = lib.vector_index("m:a")
        assert index.approximate
        few = np.asarray(ids[::100], dtype=np.int64)  # 1% of the photos: exhaustive
        sub = vectors[::100]
        for q in vectors[5:25]:
            _, found = index.search(q[None, :], 5, few)
            assert set(found[0]) <= set(few.tolist())
            assert set(found[0]) == _exact_top(sub, few.tolist(), q, 5)
            threshold = float(np.sort(sub @ q)[-7])
            assert index.count(q, threshold - 1e-4, few) == 7
        half = np.asarray(ids[::2], dtype=np.int64)
        _, found = index.search(vectors[3][None, :], 20, half)
        assert set(found[0]) <= set(half.tolist())


def test_changes_on_an_approximate_base_are_tombstones_and_an_exact_delta(
    data_paths: DataPaths, indexed: tuple[np.ndarray, list[int]]
) -> None:
    vectors, ids = indexed
    with Library.open(data_paths, write=True) as lib:
        lib.apply_scan([], ids[:10])  # ten photos missing
        added = _fill(lib, _clustered(5, seed=9), name="new")
        index = lib.vector_index("m:a")
        assert index.approximate and index.ntotal == N - 10 + 5
        for file_id, q in zip(added, _clustered(5, seed=9), strict=True):
            _, found = index.search(q[None, :], 1)
            assert found[0, 0] == file_id
        _, found = index.search(vectors[0][None, :], 50)
        assert not set(found[0]) & set(ids[:10])
        assert lib.search_index_info("m:a").pending_changes == 15  # type: ignore[union-attr]


def test_an_index_whose_recall_is_too_low_is_searched_exactly(
    data_paths: DataPaths, small_ann: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(ann, "RECALL_MIN", 1.01)  # no approximate index can reach it
    monkeypatch.setattr(ann, "TUNE_TARGET", 1.01)
    with Library.open(data_paths, write=True) as lib:
        _fill(lib, _clustered(N))
        lib.refresh_vector_cache()
        info = lib.search_index_info("m:a")
        assert info is not None and info.kind == "exact" and info.recall_text is not None
        assert not lib.vector_index("m:a").approximate


def test_a_small_library_is_searched_exactly(data_paths: DataPaths) -> None:
    with Library.open(data_paths, write=True) as lib:
        _fill(lib, _clustered(50))
        lib.refresh_vector_cache()
        info = lib.search_index_info("m:a")
        assert info is not None and info.kind == "exact" and info.recall_image is None


def test_nprobe_is_tuned_up_until_both_kinds_of_query_are_found() -> None:
    vectors = _clustered(4000, seed=3)
    ids = np.arange(1, 4001, dtype=np.int64)

    index, recall = ann.build_ivf(4000, DIM, vectors[::2], [(ids, vectors)])
    assert recall.good and recall.nprobe <= recall.nlist == ann.nlist_for(4000)
    view = VectorIndex(index, nprobe=recall.nprobe)
    image, text = ann.check_queries(vectors[::2])
    assert image.shape == text.shape == (ann.CHECK_QUERIES, DIM)
    # text-like queries score far lower against every photo than photo queries do
    best_text = float(np.max(text @ vectors.T, axis=1).mean())
    assert best_text < float(np.max(image @ vectors.T, axis=1).mean()) - 0.2
    assert view.search(image[:1], 10)[1].shape == (1, 10)


def test_recall_counts_ties_as_found() -> None:
    """Photos stored twice have equal vectors: whichever copy a search returns is a hit."""
    vectors = np.tile(_clustered(1), (50, 1))
    top = ann.ExactTop(vectors[:2])
    top.update(vectors)
    assert top.recall(np.ones((2, 10), dtype=np.float32)) == 1.0
    assert top.recall(np.full((2, 10), 0.5, dtype=np.float32)) == 0.0
    half = np.concatenate([np.ones((2, 5)), np.full((2, 5), -np.inf)], axis=1)
    assert top.recall(half) == 0.5
