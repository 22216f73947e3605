"""A searchable, immutable view of one model's vectors: a base index, minus what changed since
it was built, plus a small exact index of the changes.

The base is the published cache file: exact (``IndexIDMap2`` over ``IndexFlatIP``) or, for a
large library, approximate (``IndexIVFScalarQuantizer``, float16 codes, searched with the
``nprobe`` its own recall check chose; see :mod:`.ann`). Photos added, changed or removed
since the base was built are not written into it: their ids are *tombstones* for the base
(never returned from it) and their current vectors, if any, sit in an exact delta. A refresh
after ten changed photos therefore costs ten rows, not a copy of a 2 GB index, and a view
handed out is never modified, so searches may run on it from any thread while a newer view
is made.

Filters (folder, date, tag) become a FAISS ID selector (a bitmap when ids are dense). On an
approximate base, a filter that lets few photos through is answered exhaustively (every code
checked against the selector, cheap next to computing distances), and a wider one with
``nprobe`` raised in proportion, so the results and the live count under a filter stay as
good as without one. The count uses the same plan as the results.
"""

from __future__ import annotations

from typing import Any

import numpy as np

EMPTY = np.empty(0, dtype=np.int64)

# on an approximate base, filters letting through at most this share of the photos are
# answered exhaustively
EXHAUSTIVE_SHARE = 0.02
_BITMAP_LIMIT = 1 << 28  # ids below this may use a bitmap selector (32 MiB at most)


def _keeping(owner: Any, *refs: object) -> Any:
    """``owner`` holding Python references to ``refs``: FAISS keeps raw pointers only, and a
    selector or bitmap freed before the search would be read after free."""
    owner.__dict__.setdefault("_keep", []).extend(refs)
    return owner


def _selector(ids: np.ndarray) -> Any:
    """A FAISS ID selector for the int64 ``ids`` (any order; kept alive by the returned
    object): a bitmap when the ids are dense enough, a hash set otherwise."""
    import faiss

    top = int(ids.max()) if len(ids) else -1
    if 0 <= top < _BITMAP_LIMIT and top < 64 * len(ids) and int(ids.min()) >= 0:
        bits = np.zeros(top + 1, dtype=bool)
        bits[ids] = True
        packed = np.packbits(bits, bitorder="little")
        return _keeping(faiss.IDSelectorBitmap(len(packed), faiss.swig_ptr(packed)),  # bytes
                        packed)
    return faiss.IDSelectorBatch(ids)


def _inverse(ids: np.ndarray) -> Any:
    import faiss

    inner = _selector(ids)
    return _keeping(faiss.IDSelectorNot(inner), inner)


def _both(first: Any, second: Any) -> Any:
    import faiss

    return _keeping(faiss.IDSelectorAnd(first, second), first, second)


def _filtered(sel: Any) -> Any:
    """Search parameters of an exact index for the selector ``sel`` (None: no parameters)."""
    if sel is None:
        return None
    import faiss

    params = _keeping(faiss.SearchParameters(), sel)
    params.sel = sel
    return params


def ivf_ids(index: Any) -> np.ndarray:
    """The ids held by an IVF index (from its inverted lists)."""
    import faiss

    invlists = index.invlists
    parts = [faiss.rev_swig_ptr(invlists.get_ids(i), invlists.list_size(i)).copy()
             for i in range(index.nlist) if invlists.list_size(i)]
    return np.concatenate(parts).astype(np.int64) if parts else EMPTY


def index_ids(index: Any) -> np.ndarray:
    """The sorted ids held by an exact (``IndexIDMap2``) or IVF index."""
    import faiss

    if hasattr(index, "nlist"):
        return np.sort(ivf_ids(index))
    return np.sort(faiss.vector_to_array(index.id_map).astype(np.int64))


class VectorIndex:
    """``base`` (ids ``base_ids``) without ``removed``, plus ``delta``. Never modified."""

    def __init__(self, base: Any, base_ids: np.ndarray | None = None, *,
                 nprobe: int | None = None, removed: np.ndarray = EMPTY,
                 delta: Any = None) -> None:
        import faiss

        self.base = base
        self._base_ids = base_ids  # read from the base when first needed (a cold open needs not)
        self.ivf = faiss.extract_index_ivf(base) if hasattr(base, "nlist") else None
        self.nprobe = nprobe if self.ivf is not None else None
        self.removed = EMPTY
        self._removed_at = EMPTY
        if len(removed):
            # the changed ids the base holds (found by bisection: the base may hold a million)
            changed = np.unique(np.asarray(removed, dtype=np.int64))
            where = np.searchsorted(self.base_ids, changed)
            inside = where < len(self.base_ids)
            inside[inside] = self.base_ids[where[inside]] == changed[inside]
            self.removed = changed[inside]
            self._removed_at = where[inside]
        # the tombstones' selector, made once: the view never changes
        self._tombstones = _inverse(self.removed) if len(self.removed) else None
        self.delta = delta if delta is not None and delta.ntotal else None
        self._delta_ids = index_ids(delta) if self.delta is not None else EMPTY
        self._ids: np.ndarray | None = None

    # -- what it holds -------------------------------------------------------------------------

    @property
    def base_ids(self) -> np.ndarray:
        """The sorted ids the base holds."""
        if self._base_ids is None:
            self._base_ids = index_ids(self.base)
        return self._base_ids

    @property
    def d(self) -> int:
        return int(self.base.d)

    @property
    def ntotal(self) -> int:
        return int(self.base.ntotal) - len(self.removed) + len(self._delta_ids)

    @property
    def approximate(self) -> bool:
        return self.ivf is not None

    @property
    def delta_count(self) -> int:
        """Changes held outside the base: tombstones plus delta vectors."""
        return len(np.union1d(self.removed, self._delta_ids))

    def ids(self) -> np.ndarray:
        """Every id searched, sorted."""
        if self._ids is None:
            kept = self.base_ids
            if len(self.removed):
                keep = np.ones(len(kept), dtype=bool)
                keep[self._removed_at] = False
                kept = kept[keep]
            self._ids = np.union1d(kept, self._delta_ids) if len(self._delta_ids) else kept
        return self._ids

    def reconstruct(self, file_id: int) -> np.ndarray:
        """The stored vector of ``file_id`` (exact bases and the delta only)."""
        if self.delta is not None and file_id in self._delta_ids:
            return np.asarray(self.delta.reconstruct(file_id))
        if self.ivf is not None or file_id in self.removed:
            raise KeyError(file_id)
        return np.asarray(self.base.reconstruct(file_id))

    def with_changes(self, changed: np.ndarray, delta: Any) -> VectorIndex:
        """A view on the same base where the ids in ``changed`` come from ``delta`` (or are
        gone when ``delta`` lacks them): ``changed`` is everything changed since the base."""
        return VectorIndex(self.base, self.base_ids, nprobe=self.nprobe, removed=changed,
                           delta=delta)

    # -- searching -----------------------------------------------------------------------------

    def search(self, vectors: np.ndarray, k: int, allowed: np.ndarray | None = None
               ) -> tuple[np.ndarray, np.ndarray]:
        """The ``k`` best (scores, ids) per row of ``vectors``, like FAISS (-1 pads)."""
        queries = np.ascontiguousarray(vectors, dtype=np.float32)
        k = max(1, min(k, max(self.ntotal, 1)))
        parts = []
        if self.base.ntotal:
            parts.append(self.base.search(queries, k, params=self._params(allowed)))
        if self.delta is not None:
            parts.append(self.delta.search(queries, k, params=self._delta_params(allowed)))
        if not parts:
            return (np.zeros((len(queries), 0), dtype=np.float32),
                    np.zeros((len(queries), 0), dtype=np.int64))
        scores = np.concatenate([p[0] for p in parts], axis=1)
        ids = np.concatenate([p[1] for p in parts], axis=1)
        scores = np.where(ids < 0, -np.inf, scores)
        order = np.argsort(-scores, axis=1, kind="stable")[:, :k]
        return np.take_along_axis(scores, order, 1), np.take_along_axis(ids, order, 1)

    def count(self, vector: np.ndarray, threshold: float,
              allowed: np.ndarray | None = None) -> int:
        """Photos scoring at least ``threshold`` against ``vector``, by the results' plan."""
        query = np.ascontiguousarray(vector[None, :], dtype=np.float32)
        total = 0
        if self.base.ntotal:
            lims, _, _ = self.base.range_search(query, float(threshold),
                                                params=self._params(allowed))
            total = int(lims[1])
        if self.delta is not None:
            lims, _, _ = self.delta.range_search(query, float(threshold),
                                                 params=self._delta_params(allowed))
            total += int(lims[1])
        return total

    def _params(self, allowed: np.ndarray | None) -> Any:
        """Search parameters for the base: the filter, the tombstones, and on an IVF base the
        number of lists to probe for this filter."""
        import faiss

        sel = None if allowed is None else _selector(allowed.astype(np.int64, copy=False))
        if self._tombstones is not None:
            sel = self._tombstones if sel is None else _both(sel, self._tombstones)
        if self.ivf is None:
            return _filtered(sel)
        nprobe = int(self.nprobe or self.ivf.nprobe)
        if allowed is not None:
            share = len(allowed) / max(int(self.base.ntotal), 1)
            nprobe = (self.ivf.nlist if share <= EXHAUSTIVE_SHARE
                      else int(np.ceil(nprobe / max(share, 1e-9))))
        params = _keeping(faiss.SearchParametersIVF(), sel)
        params.nprobe = int(min(max(nprobe, 1), self.ivf.nlist))
        if sel is not None:
            params.sel = sel
        return params

    @staticmethod
    def _delta_params(allowed: np.ndarray | None) -> Any:
        return _filtered(None if allowed is None
                         else _selector(allowed.astype(np.int64, copy=False)))
