"""Queries against the library: text (any language), image, both, negatives, filters, union.

A query is *planned* once (:meth:`Searcher.plan`): its models are chosen and it becomes one
vector per model (text, image, or a weighted mix, minus negative terms). The plan then answers
both the results (:meth:`Searcher.run`: FAISS finds the nearest file ids by inner product, cosine
since every vector is L2-normalised, and SQLite turns ids into paths) and the live match count
(:meth:`Searcher.count`), and a later search that asks the same question (a library refresh, a
new threshold or number of results) reuses its vectors. ``"auto"`` routes a query to a model
that speaks its language; ``"A+B"`` fuses two models' rankings with reciprocal rank fusion.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from clipdesk.core.errors import ClipdeskError
from clipdesk.core.languages import LanguageMismatch, check_language, contains_cjk
from clipdesk.core.ocr.match import WordQuery, parse_words
from clipdesk.core.scores import COSINE, ScoreScale, scale_of
from clipdesk.core.types import SearchHit

if TYPE_CHECKING:
    from PIL import Image

    from clipdesk.core.models.base import Encoder, ModelInfo
    from clipdesk.core.ocr.store import TextStore
    from clipdesk.core.store import Library

log = logging.getLogger(__name__)

AUTO = "auto"
UNION_SEPARATOR = "+"
RRF_K = 60  # the constant of reciprocal rank fusion (Cormack et al.)

# a negative term: "-word" or '-"two words"' at the start or after whitespace (ASCII or full-width)
_NEGATIVE = re.compile(r'(?:(?<=\s)|^)[-\uff0d](?:"([^"]+)"|\u201c([^\u201d]+)\u201d|(\S+))')


MAX_TOP_K = 1_000_000


class SearchError(ClipdeskError):
    """A query that cannot be answered (nothing indexed, empty query, unknown photo)."""


class NothingIndexed(SearchError):
    """The library has no vectors of any model yet."""


class ModelNotLoaded(SearchError):
    """A search that may not load models (the GUI's) needs models that are not loaded yet."""

    def __init__(self, *model_ids: str) -> None:
        names = ", ".join(model_ids)
        super().__init__(f"The models {names} are not loaded yet." if len(model_ids) > 1
                         else f"The model {names} is not loaded yet.")
        self.model_ids = model_ids


def parse_query_text(text: str) -> tuple[str, list[str]]:
    """Split ``"beach -people -\"red car\""`` into ``("beach", ["people", "red car"])``."""
    negatives = [next(g for g in m.groups() if g) for m in _NEGATIVE.finditer(text)]
    positive = " ".join(_NEGATIVE.sub(" ", text).split())
    return positive, [n.strip() for n in negatives if n.strip()]


class PhotoText(str, Enum):
    """Whether a query's words are also looked for in the text read in the photos (OCR)."""

    OFF = "off"
    FUSE = "fuse"  # photos showing the words join CLIP's ranking (reciprocal rank fusion)
    ONLY = "only"  # only photos showing the words: the best text matches first, then by CLIP


@dataclass(frozen=True)
class Query:
    """What a person asked for. At least one of text, image, image_file_id must be given."""

    text: str = ""  # may hold negative terms: "beach -people"
    image: Path | Image.Image | None = None  # a photo from anywhere, or an in-memory image
    image_file_id: int | None = None  # "find similar" on a library photo
    image_weight: float = 0.5  # share of the image when text and image are combined
    negative_weight: float = 1.0
    top_k: int = 100
    threshold: float | None = None  # minimum cosine similarity
    root_ids: tuple[int, ...] | None = None
    folder: Path | None = None
    date_from: datetime | None = None
    date_to: datetime | None = None
    tags: tuple[str, ...] = ()  # only photos carrying every one of these tags (auto or manual)
    photo_text: PhotoText = PhotoText.OFF
    words: str | None = None  # what to look for in the photos' text (None: the query's words)

    def __post_init__(self) -> None:
        # a number out of range never turns into a silent empty answer (or a minutes-long one)
        if not 1 <= self.top_k <= MAX_TOP_K:
            raise SearchError(f"The number of results must be from 1 to {MAX_TOP_K:,}, "
                              f"not {self.top_k}.")
        if self.threshold is not None and not -1.0 <= self.threshold <= 1.0:
            raise SearchError(f"A similarity threshold is a cosine, from -1 to 1, not "
                              f"{self.threshold}.")
        if not 0.0 <= self.image_weight <= 1.0:
            raise SearchError(f"The image's share must be from 0 to 1, not {self.image_weight}.")

    @property
    def has_filters(self) -> bool:
        return bool(self.root_ids or self.folder or self.date_from or self.date_to or self.tags)

    def word_query(self) -> WordQuery:
        """What this query looks for in the text of photos (empty when it does not)."""
        if self.photo_text is PhotoText.OFF:
            return WordQuery()
        return parse_words(self.words if self.words is not None
                           else parse_query_text(self.text)[0])


@dataclass(frozen=True)
class SearchResult:
    hits: tuple[SearchHit, ...]
    model_ids: tuple[str, ...]  # the model(s) that answered
    notice: str = ""  # something the person should know (e.g. how "auto" routed)
    # set when "auto" found no model for the query's language ("zh" or "en"): the GUI phrases
    # the notice itself, in the person's language
    fallback_language: str | None = None
    # set when the chosen model(s) do not read the words: the GUI phrases it and offers the fix
    mismatch: LanguageMismatch | None = None
    extra: dict[str, Any] = field(default_factory=dict, compare=False)
    scale: ScoreScale = COSINE  # what the hits' scores are (union: fused ranks, as cosine)
    words: WordQuery = field(default_factory=WordQuery)  # looked for in the photos' text
    word_hits: frozenset[int] = frozenset()  # the hits whose text holds the words
    # photo contents whose text was read, when words were looked for (0: none yet, so the
    # person should turn reading on); None when they were not
    texts_read: int | None = None


@dataclass(frozen=True, eq=False)
class PlannedQuery:
    """A query with its models chosen and its vector per model computed: what the results and
    the live count of one question share."""

    query: Query
    model: str  # what was asked: a model id, "auto" or "A+B"
    model_ids: tuple[str, ...]  # the models that answer
    vectors: Mapping[str, np.ndarray]  # the (dim,) unit query vector of each answering model
    notice: str = ""
    fallback_language: str | None = None
    mismatch: LanguageMismatch | None = None  # the chosen model does not read the words
    # what a score and a threshold mean per answering model (a text query on SigLIP: its
    # probability; otherwise the cosine)
    scales: Mapping[str, ScoreScale] = field(default_factory=dict)

    def scale(self, model_id: str) -> ScoreScale:
        return self.scales.get(model_id, COSINE)

    def asks(self, query: Query, model: str) -> bool:
        """Whether ``query`` with ``model`` is the same question (the number of results and
        the threshold aside), so that its vectors can be reused."""
        return self.model == model and _question(self.query) == _question(query)


def _question(query: Query) -> Query:
    return replace(query, top_k=1, threshold=None)


EncoderProvider = Callable[[str], "Encoder"]
InfoProvider = Callable[[str], "ModelInfo"]


class Searcher:
    """Answers queries over one library. Encoders are loaded on first use through ``encoders``."""

    def __init__(
        self,
        library: Library,
        encoders: EncoderProvider,
        infos: InfoProvider,
        *,
        preferred_model: str | None = None,
        available: Callable[[str], bool] | None = None,
        texts: Callable[[], TextStore | None] | None = None,
    ) -> None:
        """``texts``: the store of text read in photos (None or answering None: never read)."""
        self._library = library
        self._encoders = encoders
        self._infos = infos
        self._preferred = preferred_model
        self._available = available
        self._texts = texts

    # -- model routing -------------------------------------------------------------------------

    def indexed_models(self) -> dict[str, int]:
        """Model ids with at least one vector in the library and their counts, most first."""
        counts = self._library.model_counts()
        return dict(sorted(((m, n) for m, n in counts.items() if n > 0), key=lambda mn: -mn[1]))

    def resolve_models(self, model: str, text: str = "") -> tuple[list[str], str]:
        """Turn ``"auto"``, ``"A+B"`` or a model id into model ids, plus a notice for the person."""
        indexed = self.indexed_models()
        if not indexed:
            raise NothingIndexed("Nothing is indexed yet: add a photo folder and index it first.")
        if model == AUTO:
            return self._route(text, indexed)
        wanted = [m.strip() for m in model.split(UNION_SEPARATOR) if m.strip()]
        for model_id in wanted:
            if model_id in indexed:
                continue
            try:
                self._infos(model_id)  # raises UnknownModel for a model clipdesk does not know
            except ClipdeskError as exc:
                raise SearchError(f"{exc} Models with photos indexed: "
                                  f"{', '.join(indexed)}.") from exc
        missing = [m for m in wanted if m not in indexed]
        if missing:
            raise SearchError(
                f"No photos are indexed with {', '.join(missing)} yet: index with it first "
                f"(indexed: {', '.join(indexed)})."
            )
        return wanted, ""

    def _route(self, text: str, indexed: dict[str, int]) -> tuple[list[str], str]:
        language = "zh" if contains_cjk(text) else "en"
        infos = {m: self._info_or_none(m) for m in indexed}
        speakers = {
            m: info for m, info in infos.items() if info is not None and info.speaks(language)
            # a text tower searching another model's vectors is a choice once it is here
            and (not info.shares_images or self._available is None or self._available(m))
        }
        if self._preferred is not None and self._preferred in speakers:
            return [self._preferred], ""
        if speakers:
            # most photos indexed first, then a model's own vectors, then the larger embedding
            # (usually the stronger model)
            best = max(speakers, key=lambda m: (indexed[m], not speakers[m].shares_images,
                                                speakers[m].embed_dim))
            return [best], ""
        fallback = self._preferred if self._preferred in indexed else next(iter(indexed))
        name = "Chinese" if language == "zh" else "English"
        return [fallback], f"No indexed model understands {name}; searched with {fallback}."

    def _info_or_none(self, model_id: str) -> ModelInfo | None:
        try:
            return self._infos(model_id)
        except ClipdeskError:
            return None

    # -- query vectors -------------------------------------------------------------------------

    def query_vector(self, query: Query, model_id: str) -> np.ndarray:
        """The (dim,) float32 unit vector that ``query`` becomes under ``model_id``.

        Text and image together: each side is first divided by the spread (standard deviation)
        of its scores over the library, so ``image_weight`` is the image's share of the
        *ranking*. Image-to-image cosines spread far wider than text-to-image ones, and a plain
        50/50 mix of the vectors would let the image decide alone.
        """
        positive, negatives = parse_query_text(query.text)
        image_vec = self._image_vector(query, model_id)
        text_vec = self._encoders(model_id).encode_texts([positive])[0] if positive else None
        if text_vec is not None and image_vec is not None:
            sample = self._sample_vectors(model_id)
            w = min(max(query.image_weight, 0.0), 1.0)
            vec = (w * image_vec / _spread(sample, image_vec)
                   + (1.0 - w) * text_vec / _spread(sample, text_vec))
        elif text_vec is not None or image_vec is not None:
            vec = text_vec if text_vec is not None else image_vec
        else:
            raise SearchError("The query is empty: type some words or give a photo.")
        vec = _unit(np.asarray(vec, dtype=np.float32))
        if negatives:
            neg = self._encoders(model_id).encode_texts(negatives).mean(axis=0)
            vec = _unit(vec - query.negative_weight * _unit(neg.astype(np.float32)))
        return vec

    def _sample_vectors(self, model_id: str, limit: int = 2048) -> np.ndarray:
        """Up to ``limit`` library vectors of ``model_id``, evenly spaced, for score statistics."""
        ids = self._library.vector_index(model_id).ids()
        if len(ids) == 0:
            return np.zeros((0, 0), dtype=np.float32)
        picked = ids[np.unique(np.linspace(0, len(ids) - 1, num=min(len(ids), limit))
                               .astype(np.int64))]
        return np.asarray(self._library.vectors(model_id, picked.tolist()), dtype=np.float32)

    def _image_vector(self, query: Query, model_id: str) -> np.ndarray | None:
        if query.image_file_id is not None:
            stored = self._library.vectors(model_id, [query.image_file_id])
            if len(stored):
                return np.asarray(stored[0], dtype=np.float32)
            photo = self._library.photo(query.image_file_id)
            if photo is None:
                raise SearchError("That photo is no longer in the library.")
            return self._encode_image(photo.path, model_id)
        if query.image is not None:
            return self._encode_image(query.image, model_id)
        return None

    def _encode_image(self, image: Path | Image.Image, model_id: str) -> np.ndarray:
        from clipdesk.core.imaging import ImageDecodeError, load_image_file, normalize_image

        encoder = self._encoders(model_id)
        if isinstance(image, Path):
            try:
                picture = load_image_file(image, min_side=encoder.info.image_size).image
            except ImageDecodeError as exc:
                raise SearchError(f"Cannot use {image.name} as a query: {exc.reason}") from exc
        else:
            picture = normalize_image(image)
        return np.asarray(encoder.encode_images([picture])[0], dtype=np.float32)

    # -- searching -----------------------------------------------------------------------------

    def plan(self, query: Query, model: str = AUTO, *, reuse: PlannedQuery | None = None
             ) -> PlannedQuery:
        """Choose the models for ``query`` and compute its vector for each.

        ``reuse``: an earlier plan; when it asks the same question and the same models answer,
        its vectors are kept (nothing is encoded again)."""
        model_ids, notice = self.resolve_models(model, query.text)
        if reuse is not None and reuse.asks(query, model) and reuse.model_ids == tuple(model_ids):
            return replace(reuse, query=query)
        waiting: list[str] = []
        for model_id in model_ids:  # every model that is not loaded, not only the first
            try:
                self._encoders(model_id)
            except ModelNotLoaded:
                waiting.append(model_id)
        if waiting:
            raise ModelNotLoaded(*waiting)
        vectors = {m: self.query_vector(query, m) for m in model_ids}
        # a text against pictures is on the model's own scale; a picture against pictures is not
        text_only = bool(query.text.strip()) and query.image is None \
            and query.image_file_id is None
        scales = {m: scale_of(self._encoders(m)) for m in model_ids} if text_only else {}
        fallback = ("zh" if contains_cjk(query.text) else "en") if notice else None
        mismatch = None if model == AUTO else self._mismatch(query.text, model_ids)
        if mismatch is not None:
            notice = mismatch.sentence()
        return PlannedQuery(query, model, tuple(model_ids), vectors, notice, fallback, mismatch,
                            scales)

    def _mismatch(self, text: str, model_ids: Sequence[str]) -> LanguageMismatch | None:
        """The chosen model(s) do not read the words of the query (none of them)."""
        positive, _ = parse_query_text(text)
        if not positive:
            return None
        found = [check_language([positive], m, self._infos, self.indexed_models())
                 for m in model_ids]
        return found[0] if all(found) else None

    def search(self, query: Query, model: str = AUTO) -> SearchResult:
        """Run ``query`` with ``model`` (an id, ``"auto"``, or ``"A+B"`` for union)."""
        return self.run(self.plan(query, model))

    def run(self, plan: PlannedQuery) -> SearchResult:
        """The hits of a planned query (its ``top_k`` and ``threshold``; with the photos' text,
        see :class:`PhotoText`)."""
        query = plan.query
        allowed = self._allowed_ids(query)
        scale = plan.scale(plan.model_ids[0]) if len(plan.model_ids) == 1 else COSINE
        words = query.word_query()
        matches = self._word_matches(words, allowed)
        if query.photo_text is PhotoText.ONLY:
            ids = np.asarray(sorted(matches), dtype=np.int64)
            ranked = self._ranking(plan, ids, max(len(ids), 1), thresholded=False)
            scored = sorted(ranked, key=lambda item: -matches[item[0]])[: query.top_k]
        elif matches:
            depth = max(query.top_k * 2, 100)
            text_ranking = sorted(matches.items(), key=lambda item: (-item[1], item[0]))
            scored = reciprocal_rank_fusion(
                [self._ranking(plan, allowed, depth), text_ranking[:depth]])[: query.top_k]
            scale = COSINE
        else:
            scored = self._ranking(plan, allowed, query.top_k)
        photos = self._library.photos([i for i, _ in scored])
        hits = tuple(
            SearchHit(file_id=i, path=photos[i].path, score=s, rank=r)
            for r, (i, s) in enumerate(((i, s) for i, s in scored if i in photos), start=1)
        )
        return SearchResult(hits=hits, model_ids=plan.model_ids, notice=plan.notice,
                            fallback_language=plan.fallback_language, mismatch=plan.mismatch,
                            scale=scale, words=words,
                            word_hits=frozenset(h.file_id for h in hits if h.file_id in matches),
                            texts_read=self._texts_read() if words else None)

    def _ranking(self, plan: PlannedQuery, allowed: np.ndarray | None, k: int, *,
                 thresholded: bool = True) -> list[tuple[int, float]]:
        """CLIP's ranking: one model's ``k`` best (scores on its scale) or the models' fused
        ranks."""
        query = plan.query if thresholded else replace(plan.query, threshold=None)
        if len(plan.model_ids) == 1:
            model_id = plan.model_ids[0]
            scale = plan.scale(model_id)
            return [(i, float(scale.score(s))) for i, s in self._nearest(
                plan.vectors[model_id], query, model_id, k, allowed, scale)]
        depth = max(k * 2, 100)
        rankings = [self._nearest(plan.vectors[m], query, m, depth, allowed, plan.scale(m))
                    for m in plan.model_ids]
        return reciprocal_rank_fusion(rankings)[:k]

    def _store(self) -> TextStore | None:
        return self._texts() if self._texts is not None else None

    def _texts_read(self) -> int:
        store = self._store()
        return store.counts().read if store is not None else 0

    def _word_matches(self, words: WordQuery, allowed: np.ndarray | None) -> dict[int, float]:
        """``{file id: text match}`` of the photos (passing the filters) whose text holds
        ``words`` (the live count asks this at every move of the slider: no more)."""
        store = self._store() if words else None
        if store is None:
            return {}
        found = store.find(words)
        ids = self._library.ids_by_hash(h for h, _ in found)
        permitted = set(allowed.tolist()) if allowed is not None else None
        return {i: s for h, s in found for i in ids.get(h, ())
                if permitted is None or i in permitted}

    def count(self, plan: PlannedQuery, threshold: float) -> dict[str, int]:
        """Photos scoring at least ``threshold`` (on each model's scale) per answering model (a
        live match count), found the way the results are (the same filters, and on an
        approximate index the same groups scanned). Photos showing the query's words count
        too, whatever their score (only they, for :attr:`PhotoText.ONLY`)."""
        allowed = self._allowed_ids(plan.query)
        matches = self._word_matches(plan.query.word_query(), allowed)
        if plan.query.photo_text is PhotoText.ONLY:
            return {m: len(matches) for m in plan.model_ids}
        out = {}
        for m in plan.model_ids:
            floor = plan.scale(m).cosine(threshold)
            out[m] = self._library.vector_index(m).count(plan.vectors[m], floor, allowed)
            if matches:  # the text matches CLIP scores below the threshold count as well
                ids = sorted(matches)
                found = self._library.vector_map(m, ids)
                out[m] += sum(1 for i in ids if i not in found
                              or float(found[i] @ plan.vectors[m]) < floor)
        return out

    def _allowed_ids(self, query: Query) -> np.ndarray | None:
        """The file ids the query's filters let through; None when it has no filters."""
        if not query.has_filters:
            return None
        by_tag = {"tags": query.tags} if query.tags else {}
        return self._library.file_ids(
            root_ids=query.root_ids,
            folder=query.folder,
            date_from=query.date_from,
            date_to=query.date_to,
            **by_tag,
        )

    def _nearest(
        self, vector: np.ndarray, query: Query, model_id: str, k: int,
        allowed: np.ndarray | None, scale: ScoreScale = COSINE,
    ) -> list[tuple[int, float]]:
        """The ``k`` nearest (file id, cosine), at or above the query's threshold (given on
        ``scale``)."""
        index = self._library.vector_index(model_id)
        if index.ntotal == 0 or k <= 0 or (allowed is not None and len(allowed) == 0):
            return []
        scores, ids = index.search(vector[None, :], min(k, index.ntotal), allowed)
        out = [(int(i), float(s)) for i, s in zip(ids[0], scores[0], strict=True) if i >= 0]
        if query.threshold is not None:
            floor = scale.cosine(query.threshold)
            out = [(i, s) for i, s in out if s >= floor]
        return out


def reciprocal_rank_fusion(
    rankings: Sequence[Sequence[tuple[int, float]]], k: int = RRF_K
) -> list[tuple[int, float]]:
    """Fuse rankings of (id, score) pairs: each id scores sum(1 / (k + rank)) over the rankings."""
    fused: dict[int, float] = {}
    for ranking in rankings:
        for rank, (file_id, _) in enumerate(ranking, start=1):
            fused[file_id] = fused.get(file_id, 0.0) + 1.0 / (k + rank)
    return sorted(fused.items(), key=lambda item: (-item[1], item[0]))


def _spread(sample: np.ndarray, vec: np.ndarray) -> float:
    """Standard deviation of ``vec``'s scores over ``sample``; 1.0 when it cannot be told."""
    if sample.size == 0 or sample.shape[1] != vec.shape[0]:
        return 1.0
    spread = float(np.std(sample @ vec))
    return spread if spread > 1e-6 and np.isfinite(spread) else 1.0


def _unit(vec: np.ndarray) -> np.ndarray:
    norm = float(np.linalg.norm(vec))
    if norm == 0.0 or not np.isfinite(norm):
        raise SearchError("The query cancels itself out: try fewer negative terms.")
    return (vec / norm).astype(np.float32)
