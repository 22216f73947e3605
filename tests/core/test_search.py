"""Search logic on a small hand-made vector world (fake library and encoders, real FAISS)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from clipdesk.core.errors import UnknownModel
from clipdesk.core.languages import contains_cjk
from clipdesk.core.models.base import Backend, ModelInfo
from clipdesk.core.search import (
    ModelNotLoaded,
    Query,
    Searcher,
    SearchError,
    parse_query_text,
    reciprocal_rank_fusion,
)
from clipdesk.core.store.segments import VectorIndex
from clipdesk.core.types import FileStatus, Photo

# axes of a 4-d toy embedding space
AXES = {"red": 0, "circle": 1, "blue": 2, "square": 3}


def unit(*weights: tuple[str, float]) -> np.ndarray:
    v = np.zeros(4, dtype=np.float32)
    for name, w in weights:
        v[AXES[name]] += w
    return v / np.linalg.norm(v)


TEXTS = {
    "red": unit(("red", 1)),
    "circle": unit(("circle", 1)),
    "blue": unit(("blue", 1)),
    "square": unit(("square", 1)),
    "红色": unit(("red", 1)),
    "圆形": unit(("circle", 1)),
    "red circle": unit(("red", 1), ("circle", 1)),
}
# file id -> vector: 1 red circle, 2 blue circle, 3 red square, 4 blue square
PHOTOS = {
    1: unit(("red", 1), ("circle", 1)),
    2: unit(("blue", 1), ("circle", 1)),
    3: unit(("red", 1), ("square", 1)),
    4: unit(("blue", 1), ("square", 1)),
}


class FakeEncoder:
    def __init__(self, model_id: str, languages: set[str], flip: bool = False) -> None:
        self._info = ModelInfo(
            model_id=model_id,
            backend=Backend.OPEN_CLIP,
            arch="toy",
            display_name=model_id,
            languages=frozenset(languages),
            embed_dim=4,
            image_size=32,
        )
        self.flip = flip
        self.text_calls: list[list[str]] = []

    @property
    def info(self) -> ModelInfo:
        return self._info

    dim = 4
    device = "cpu"
    logit_scale = 100.0

    def encode_texts(self, texts: Sequence[str]) -> np.ndarray:
        self.text_calls.append(list(texts))
        out = np.stack([TEXTS[t] for t in texts])
        return out[:, ::-1].copy() if self.flip else out

    def encode_images(self, images: Sequence[Any], token: Any = None) -> np.ndarray:
        raise AssertionError("no image decoding expected in these tests")


class FakeLibrary:
    def __init__(self, models: dict[str, bool]) -> None:
        import faiss

        self.indexes = {}
        self.vecs: dict[str, dict[int, np.ndarray]] = {}
        for model_id, flip in models.items():
            vecs = {i: (v[::-1].copy() if flip else v) for i, v in PHOTOS.items()}
            self.vecs[model_id] = vecs
            index = faiss.IndexIDMap2(faiss.IndexFlatIP(4))
            index.add_with_ids(np.stack(list(vecs.values())), np.array(list(vecs), dtype=np.int64))
            self.indexes[model_id] = VectorIndex(index)
        self.dates = {
            1: datetime(2020, 1, 1),
            2: datetime(2021, 1, 1),
            3: datetime(2022, 1, 1),
            4: datetime(2023, 1, 1),
        }

    def model_counts(self) -> dict[str, int]:
        return {m: len(v) for m, v in self.vecs.items()}

    def vector_index(self, model_id: str) -> Any:
        return self.indexes[model_id]

    def vectors(self, model_id: str, ids: Sequence[int]) -> np.ndarray:
        return np.stack([self.vecs[model_id][i] for i in ids])

    def photo(self, file_id: int) -> Photo | None:
        return self.photos([file_id]).get(file_id)

    def photos(self, ids: Sequence[int]) -> dict[int, Photo]:
        return {
            i: Photo(
                id=i,
                root_id=1,
                path=Path(f"/p/{i}.jpg"),
                size=1,
                mtime_ns=0,
                width=1,
                height=1,
                taken_at=self.dates[i],
                status=FileStatus.OK,
            )
            for i in ids
            if i in PHOTOS
        }

    def file_ids(
        self,
        *,
        root_ids: Any = None,
        folder: Any = None,
        date_from: datetime | None = None,
        date_to: datetime | None = None,
    ) -> np.ndarray:
        keep = [
            i
            for i, d in self.dates.items()
            if (date_from is None or d >= date_from) and (date_to is None or d <= date_to)
        ]
        return np.array(keep, dtype=np.int64)


def make_searcher(preferred: str | None = None, flip_b: bool = False):
    encoders = {
        "m:en": FakeEncoder("m:en", {"en"}),
        "m:zh": FakeEncoder("m:zh", {"zh", "en"}, flip=flip_b),
    }
    library = FakeLibrary({"m:en": False, "m:zh": flip_b})

    def info(model_id: str) -> ModelInfo:
        if model_id not in encoders:
            raise UnknownModel(model_id)
        return encoders[model_id].info

    return Searcher(library, encoders.__getitem__, info, preferred_model=preferred), encoders


def ids(result: Any) -> list[int]:
    return [h.file_id for h in result.hits]


@pytest.mark.parametrize(
    ("text", "positive", "negatives"),
    [
        ("beach -people", "beach", ["people"]),
        ('sunset -"red car" -dog', "sunset", ["red car", "dog"]),
        ("海边 －人", "海边", ["人"]),
        ("well-known place", "well-known place", []),
        ("-only", "", ["only"]),
    ],
)
def test_parse_query_text(text: str, positive: str, negatives: list[str]) -> None:
    assert parse_query_text(text) == (positive, negatives)


def test_contains_cjk() -> None:
    assert contains_cjk("海边的日落")
    assert contains_cjk("a 猫")
    assert not contains_cjk("a dog on the beach — café")


def test_text_search_ranks_by_cosine() -> None:
    searcher, _ = make_searcher()
    result = searcher.search(Query(text="red circle", top_k=4), "m:en")
    assert ids(result)[0] == 1
    assert [h.rank for h in result.hits] == [1, 2, 3, 4]
    scores = [h.score for h in result.hits]
    assert scores == sorted(scores, reverse=True)
    assert scores[0] == pytest.approx(1.0, abs=1e-5)
    assert result.hits[0].path == Path("/p/1.jpg")


def test_negative_terms_push_matches_down() -> None:
    searcher, _ = make_searcher()
    plain = searcher.search(Query(text="circle", top_k=4), "m:en")
    assert sorted(ids(plain)[:2]) == [1, 2]  # both circles tie without the negative term
    result = searcher.search(Query(text="circle -red", top_k=4), "m:en")
    assert ids(result)[0] == 2  # the blue circle first
    assert ids(result)[-1] == 3  # the red square last
    scores = {h.file_id: h.score for h in result.hits}
    assert scores[1] < scores[2] - 0.4  # the red circle falls far behind the blue one


def test_threshold_and_top_k() -> None:
    searcher, _ = make_searcher()
    result = searcher.search(Query(text="red", top_k=10, threshold=0.5), "m:en")
    assert sorted(ids(result)) == [1, 3]
    assert len(searcher.search(Query(text="red", top_k=1), "m:en").hits) == 1
    assert searcher.count(searcher.plan(Query(text="red"), "m:en"), 0.5)["m:en"] == 2


def test_date_filter() -> None:
    searcher, _ = make_searcher()
    query = Query(text="red", top_k=10, date_from=datetime(2021, 6, 1))
    assert ids(searcher.search(query, "m:en")) == [3, 4]
    plan = searcher.plan(Query(text="red", date_from=datetime(2021, 6, 1)), "m:en")
    assert searcher.count(plan, 0.5) == {"m:en": 1}


def test_a_plan_encodes_the_text_once_for_the_search_and_its_live_count() -> None:
    """The window searches, then counts at every threshold the slider passes, then searches
    again with a new top-k: the text is encoded once, not once per step."""
    searcher, encoders = make_searcher()
    plan = searcher.plan(Query(text="red", top_k=2), "m:en")
    assert ids(searcher.run(plan)) in ([1, 3], [3, 1])
    assert [searcher.count(plan, t)["m:en"] for t in (0.9, 0.5, -0.5)] == [0, 2, 4]
    again = searcher.plan(Query(text="red", top_k=4, threshold=0.5), "m:en", reuse=plan)
    assert sorted(ids(searcher.run(again))) == [1, 3]
    assert encoders["m:en"].text_calls == [["red"]]
    other = searcher.plan(Query(text="blue", top_k=4), "m:en", reuse=plan)  # a new question
    assert ids(searcher.run(other))[:2] in ([2, 4], [4, 2])
    assert encoders["m:en"].text_calls == [["red"], ["blue"]]
    searcher.plan(Query(text="red"), "m:zh", reuse=plan)  # another model answers: encoded
    assert encoders["m:zh"].text_calls == [["red"]]


def test_a_searcher_that_must_not_load_names_every_model_not_loaded() -> None:
    searcher, encoders = make_searcher(flip_b=True)

    def loaded_only(model_id: str) -> FakeEncoder:
        raise ModelNotLoaded(model_id)

    searcher._encoders = loaded_only  # type: ignore[assignment]
    with pytest.raises(ModelNotLoaded) as caught:
        searcher.plan(Query(text="red"), "m:en+m:zh")
    assert caught.value.model_ids == ("m:en", "m:zh")
    assert encoders["m:en"].text_calls == []


def test_find_similar_uses_the_stored_vector() -> None:
    searcher, encoders = make_searcher()
    result = searcher.search(Query(image_file_id=3, top_k=4), "m:en")
    assert ids(result)[0] == 3
    assert encoders["m:en"].text_calls == []


def test_text_and_image_combined() -> None:
    searcher, _ = make_searcher()
    # like photo 3 (red square), but a circle: the red circle wins
    result = searcher.search(Query(text="circle", image_file_id=3, top_k=4), "m:en")
    assert ids(result)[0] == 1
    # with all the weight on the image, the red square itself wins
    result = searcher.search(Query(text="circle", image_file_id=3, image_weight=1.0), "m:en")
    assert ids(result)[0] == 3


def test_auto_routes_chinese_to_a_chinese_model() -> None:
    searcher, _ = make_searcher(preferred="m:en")
    assert searcher.resolve_models("auto", "红色") == (["m:zh"], "")
    assert searcher.resolve_models("auto", "red") == (["m:en"], "")
    assert ids(searcher.search(Query(text="红色", top_k=2), "auto")) in ([1, 3], [3, 1])


def test_auto_without_chinese_model_says_so() -> None:
    searcher, encoders = make_searcher(preferred="m:en")
    encoders["m:zh"]._info = ModelInfo(
        model_id="m:zh",
        backend=Backend.OPEN_CLIP,
        arch="toy",
        display_name="zh",
        languages=frozenset({"en"}),
        embed_dim=4,
        image_size=32,
    )
    models, notice = searcher.resolve_models("auto", "红色")
    assert models == ["m:en"]
    assert "Chinese" in notice
    result = searcher.search(Query(text="红色", top_k=2))
    assert result.fallback_language == "zh"  # so a GUI can phrase the notice in its language
    assert searcher.search(Query(text="red", top_k=2)).fallback_language is None


def test_a_chosen_model_that_does_not_read_the_words_is_named_with_the_fix() -> None:
    searcher, _ = make_searcher()
    result = searcher.search(Query(text="红色 -圆形", top_k=2), "m:en")
    assert result.mismatch is not None and result.mismatch.language == "zh"
    assert result.mismatch.readers == ("m:zh",) and result.mismatch.fix == "m:zh"
    assert result.notice.startswith("m:en does not read Chinese") and "Use m:zh" in result.notice
    assert searcher.search(Query(text="red", top_k=2), "m:en").mismatch is None
    assert searcher.search(Query(text="红色", top_k=2), "m:zh").mismatch is None
    assert searcher.search(Query(text="红色", top_k=2), "m:en+m:zh").mismatch is None  # one reads
    assert searcher.search(Query(image_file_id=1, top_k=2), "m:en").mismatch is None


def test_union_fuses_two_models() -> None:
    searcher, _ = make_searcher(flip_b=True)
    result = searcher.search(Query(text="red circle", top_k=4), "m:en+m:zh")
    assert result.model_ids == ("m:en", "m:zh")
    assert ids(result)[0] == 1  # first in both rankings
    assert len(set(ids(result))) == 4


def test_unindexed_model_and_empty_query_are_clear_errors() -> None:
    searcher, _ = make_searcher()
    with pytest.raises(SearchError, match=r"other:model.*Models with photos indexed: "):
        searcher.search(Query(text="red"), "other:model")  # not a model at all
    with pytest.raises(SearchError, match="empty"):
        searcher.search(Query(text="  "), "m:en")


def test_nothing_indexed() -> None:
    searcher, _ = make_searcher()
    searcher._library.vecs.clear()  # type: ignore[attr-defined]
    with pytest.raises(SearchError, match="Nothing is indexed"):
        searcher.search(Query(text="red"))


def test_reciprocal_rank_fusion_matches_the_formula() -> None:
    fused = dict(reciprocal_rank_fusion([[(1, 0.9), (2, 0.8)], [(2, 0.7), (3, 0.1)]], k=60))
    assert fused[2] == pytest.approx(1 / 62 + 1 / 61)
    assert fused[1] == pytest.approx(1 / 61)
    assert fused[3] == pytest.approx(1 / 62)
    assert list(dict(reciprocal_rank_fusion([[(1, 0.9), (2, 0.8)], [(2, 0.7), (3, 0.1)]]))) == [
        2,
        1,
        3,
    ]


@pytest.mark.parametrize("kwargs", [{"top_k": 0}, {"top_k": -1}, {"threshold": 7.0},
                                    {"threshold": -1.5}, {"image_weight": 2.0}])
def test_numbers_out_of_range_are_refused_with_a_sentence(kwargs: dict[str, Any]) -> None:
    from clipdesk.core.search import Query, SearchError

    with pytest.raises(SearchError, match="from"):
        Query(text="dog", **kwargs)
