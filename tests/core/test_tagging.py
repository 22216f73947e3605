"""Zero-shot tagging: scores, rules, stored automatic tags, cancellation, export, search filter."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from clipdesk.core.jobs import CancelToken
from clipdesk.core.labels import LabelSet, LabelVectors
from clipdesk.core.search import Query, Searcher
from clipdesk.core.store import FileUpdate, Library, TagSource
from clipdesk.core.tagging import (
    Combine,
    TagRule,
    TagScores,
    apply_tags,
    compute_scores,
    export_tags_csv,
    score_matrix,
    softmax,
    tag_library,
    tag_mask,
)
from clipdesk.core.types import FileStatus, Progress, Stage
from clipdesk.paths import DataPaths
from tests.core.fakes import FakeEncoder

MODEL = "m:tags"
LABELS = ("猫", "狗", "汽车", "其他")
# photo vectors in a 4-d world whose axes are the label vectors (the last one is "others")
PHOTOS = {
    "cat1.jpg": [1.0, 0.1, 0.0, 0.0],
    "cat2.jpg": [0.9, 0.3, 0.0, 0.2],
    "dog1.jpg": [0.1, 1.0, 0.0, 0.1],
    "both.jpg": [0.7, 0.7, 0.0, 0.0],
    "sub/car1.jpg": [0.0, 0.0, 1.0, 0.2],
    "sub/none.jpg": [0.1, 0.1, 0.1, 1.0],
}


def unit(v: list[float]) -> np.ndarray:
    a = np.asarray(v, dtype=np.float32)
    return a / np.linalg.norm(a)


@pytest.fixture
def lib(data_paths: DataPaths, tmp_path: Path) -> Iterator[Library]:
    with Library.open(data_paths, write=True) as library:
        library.ensure_model(MODEL, 4)
        root = library.add_root(tmp_path / "photos")
        library.commit_batch(MODEL, [
            FileUpdate(root.id, rel, 100, 0, FileStatus.OK, content_hash=rel, width=4, height=3,
                       vector=unit(v)) for rel, v in PHOTOS.items()])
        yield library


def ids_by_name(lib: Library) -> dict[str, int]:
    return {p.path.name: i for i, p in lib.photos(lib.file_ids()).items()}


def vectors(scale: float = 20.0, others: bool = True) -> LabelVectors:
    eye = np.eye(4, dtype=np.float32)
    names = LABELS if others else LABELS[:3]
    return LabelVectors(MODEL, names, eye[: len(names)], scale, 3 if others else None)


def auto_labels(lib: Library) -> dict[str, set[str]]:
    ids = ids_by_name(lib)
    tags = lib.tags(ids.values())
    return {name: {t.label for t in tags.get(i, []) if t.source is TagSource.AUTO}
            for name, i in ids.items()}


def test_softmax_and_score_matrix_by_hand() -> None:
    images = np.stack([unit([1, 0, 0]), unit([1, 1, 0])])
    labels = np.eye(3, dtype=np.float32)
    cos, prob = score_matrix(images, labels, 10.0)
    np.testing.assert_allclose(cos, images, atol=1e-6)
    e = np.exp(10.0 * cos.astype(np.float64))
    np.testing.assert_allclose(prob, e / e.sum(1, keepdims=True), rtol=1e-5)
    np.testing.assert_allclose(softmax(np.array([[1000.0, 1000.0]])), [[0.5, 0.5]])  # stable


def test_tag_mask_rules() -> None:
    cos = np.array([[0.30, 0.28, 0.10, 0.05],
                    [0.20, 0.21, 0.19, 0.22],
                    [0.35, 0.10, 0.33, 0.00]])
    prob = softmax(100 * cos)
    assert tag_mask(cos, prob, TagRule(min_prob=None, min_cos=0.27)).tolist() == [
        [True, True, False, False], [False, False, False, False], [True, False, True, False]]
    # neither threshold: the top label
    assert tag_mask(cos, prob, TagRule(min_prob=None)).argmax(1).tolist() == [0, 3, 0]
    # both, ALL: the probability rules out the runner-up; ANY: either passes
    both = TagRule(min_prob=0.6, min_cos=0.25)
    assert tag_mask(cos, prob, both)[:, :3].tolist() == [
        [True, False, False], [False, False, False], [True, False, False]]
    any_ = TagRule(min_prob=0.6, min_cos=0.25, combine=Combine.ANY)
    assert tag_mask(cos, prob, any_)[0, :2].tolist() == [True, True]
    # "others": only when nothing else passes, never by its own score
    others = tag_mask(cos, prob, TagRule(min_prob=None, min_cos=0.27), others_index=3)
    assert others[:, 3].tolist() == [False, True, False]
    capped = tag_mask(cos, prob, TagRule(min_prob=None, min_cos=0.0, max_tags=2))
    assert capped.sum(1).tolist() == [2, 2, 2]
    assert capped[0].tolist() == [True, True, False, False]


def test_compute_scores_and_live_preview(lib: Library) -> None:
    seen: list[Progress] = []
    scores = compute_scores(lib, vectors(), progress=seen.append, batch_size=4)
    assert len(scores.file_ids) == len(PHOTOS) and scores.missing == 0
    assert scores.labels == LABELS and scores.others_index == 3
    assert seen[0] == Progress(Stage.TAGGING, 0, 6)
    assert [p.done for p in seen] == [0, 4, 6]
    names = {i: n for n, i in ids_by_name(lib).items()}
    row = {names[int(i)]: k for k, i in enumerate(scores.file_ids)}
    np.testing.assert_allclose(scores.cosines[row["cat1.jpg"]], unit(PHOTOS["cat1.jpg"]),
                               atol=1e-6)
    np.testing.assert_allclose(scores.probabilities.sum(1), 1.0, rtol=1e-5)
    top = dict(zip((names[int(i)] for i in scores.file_ids), scores.top_labels(), strict=True))
    assert top == {"cat1.jpg": "猫", "cat2.jpg": "猫", "dog1.jpg": "狗", "both.jpg": "猫",
                   "car1.jpg": "汽车", "none.jpg": "其他"}
    # moving a slider: recomputed from the kept scores only
    loose = scores.counts(TagRule(min_prob=None, min_cos=0.5))
    assert loose == {"猫": 3, "狗": 2, "汽车": 1, "其他": 1}
    strict = scores.counts(TagRule(min_prob=0.9))
    assert strict["其他"] == 2  # "both" is not sure enough either way, "none" matches nothing
    tags = scores.tags(TagRule(min_prob=None, min_cos=0.5))
    both = tags[ids_by_name(lib)["both.jpg"]]
    assert set(both) == {"猫", "狗"} and both["猫"] == pytest.approx(0.7 / np.sqrt(0.98), 1e-5)


def test_folder_scope_and_missing_vectors(lib: Library, tmp_path: Path) -> None:
    scores = compute_scores(lib, vectors(), folder=tmp_path / "photos" / "sub")
    assert sorted(lib.photos(scores.file_ids)[int(i)].path.name for i in scores.file_ids) == [
        "car1.jpg", "none.jpg"]
    root = lib.roots()[0]
    lib.commit_batch(MODEL, [FileUpdate(root.id, "novec.jpg", 1, 0, FileStatus.OK,
                                        content_hash="x")])
    scores = compute_scores(lib, vectors())
    assert scores.missing == 1 and len(scores.file_ids) == len(PHOTOS)


def test_retagging_replaces_only_automatic_tags(lib: Library) -> None:
    ids = ids_by_name(lib)
    lib.set_tags(ids["cat1.jpg"], ["favourite", "猫"])  # manual tags, one equal to a label
    scores = compute_scores(lib, vectors())
    report = apply_tags(lib, scores, TagRule(min_prob=None, min_cos=0.5), batch_size=2)
    assert not report.cancelled and report.written == 6 and report.tagged == 5
    assert report.counts == {"猫": 3, "狗": 2, "汽车": 1, "其他": 1}
    assert auto_labels(lib)["both.jpg"] == {"猫", "狗"}
    stored = lib.tags([ids["both.jpg"]])[ids["both.jpg"]]
    assert {t.model_id for t in stored} == {MODEL}
    assert stored[0].score == pytest.approx(0.7 / np.sqrt(0.98), 1e-5)
    # a stricter second run: old automatic tags go, manual ones stay
    apply_tags(lib, scores, TagRule(min_prob=0.9))
    auto = auto_labels(lib)
    assert auto["both.jpg"] == {"其他"} and auto["cat1.jpg"] == {"猫"}
    manual = {t.label for t in lib.tags([ids["cat1.jpg"]])[ids["cat1.jpg"]]
              if t.source is TagSource.MANUAL}
    assert manual == {"favourite", "猫"}
    assert lib.labels()["猫"] == 2  # cat1 (auto + manual counted once) and cat2


def test_cancel_between_batches_leaves_each_photo_whole(lib: Library) -> None:
    scores = compute_scores(lib, vectors())
    apply_tags(lib, scores, TagRule(min_prob=None, min_cos=0.5))
    before = auto_labels(lib)
    token = CancelToken()

    def cancel_after_first(p: Progress) -> None:
        if p.stage is Stage.SAVING and p.done >= 2:
            token.cancel()

    report = apply_tags(lib, scores, TagRule(min_prob=None, min_cos=0.999), token=token,
                        progress=cancel_after_first, batch_size=2)
    assert report.cancelled and report.written == 2
    after = auto_labels(lib)
    first_batch = {lib.photo(int(i)).path.name for i in scores.file_ids[:2]}  # type: ignore[union-attr]
    for name in after:
        if name in first_batch:
            assert after[name] == {"其他"}  # the new rule: nothing reaches 0.999
        else:
            assert after[name] == before[name]  # untouched


def test_tag_library_end_to_end_with_an_encoder(
    data_paths: DataPaths, tmp_path: Path
) -> None:
    enc = FakeEncoder(MODEL)
    label_set = LabelSet.build(["red", "green"], others=True)
    texts = enc.encode_texts(["a photo of a red.", "a photo of a green."])
    with Library.open(data_paths, write=True) as lib:
        lib.ensure_model(MODEL, enc.dim)
        root = lib.add_root(tmp_path / "p")
        lib.commit_batch(MODEL, [
            FileUpdate(root.id, f"{i}.jpg", 1, 0, FileStatus.OK, content_hash=str(i),
                       vector=texts[i % 2]) for i in range(6)])
        report, scores = tag_library(lib, enc, label_set, TagRule(min_prob=0.5))
        assert scores is not None and report.written == 6
        assert report.counts["red"] == 3 and report.counts["green"] == 3
        token = CancelToken()
        token.cancel()
        cancelled, none = tag_library(lib, enc, LabelSet.build(["blue"]), TagRule(), token=token)
        assert cancelled.cancelled and none is None
        assert lib.labels() == {"red": 3, "green": 3}  # nothing changed


def test_export_csv_parses_back(lib: Library) -> None:
    ids = ids_by_name(lib)
    apply_tags(lib, compute_scores(lib, vectors()), TagRule(min_prob=None, min_cos=0.5))
    lib.set_tags(ids["car1.jpg"], ["红色的车"])
    buffer = io.StringIO()
    rows = export_tags_csv(lib, buffer)
    parsed = list(csv.DictReader(io.StringIO(buffer.getvalue())))
    assert len(parsed) == rows == 8
    car = [r for r in parsed if r["path"].endswith("car1.jpg")]
    assert {(r["label"], r["source"]) for r in car} == {("汽车", "auto"), ("红色的车", "manual")}
    assert all(r["model_id"] == MODEL for r in car if r["source"] == "auto")
    assert float(next(r for r in car if r["source"] == "auto")["score"]) == pytest.approx(
        1 / np.sqrt(1.04), 1e-5)
    out = lib.paths.root / "tags.csv"
    assert export_tags_csv(lib, out, [ids["car1.jpg"]]) == 2
    assert out.read_bytes().startswith(b"\xef\xbb\xbf")  # a BOM for spreadsheet programs
    with out.open(encoding="utf-8-sig", newline="") as fp:
        assert {r["label"] for r in csv.DictReader(fp)} == {"汽车", "红色的车"}


def test_tags_filter_search(lib: Library) -> None:
    ids = ids_by_name(lib)
    apply_tags(lib, compute_scores(lib, vectors()), TagRule(min_prob=None, min_cos=0.5))
    assert set(lib.file_ids(tags=["猫"])) == {ids["cat1.jpg"], ids["cat2.jpg"], ids["both.jpg"]}
    assert set(lib.file_ids(tags=["猫", "狗"])) == {ids["both.jpg"]}
    assert len(lib.file_ids(tags=["nothing"])) == 0

    class AxisEncoder(FakeEncoder):
        def encode_texts(self, texts: object) -> np.ndarray:
            return np.array([[0.0, 1.0, 0.0, 0.0]], dtype=np.float32)  # "dog"

    searcher = Searcher(lib, lambda m: AxisEncoder(m), lambda m: AxisEncoder(m).info)
    hits = searcher.search(Query(text="dog", tags=("猫",)), MODEL).hits
    assert hits[0].file_id == ids["both.jpg"]
    assert {h.file_id for h in hits} == {ids["cat1.jpg"], ids["cat2.jpg"], ids["both.jpg"]}
    assert searcher.count(searcher.plan(Query(text="dog", tags=("猫",)), MODEL), 0.5) == {MODEL: 1}


def test_tag_scores_with_nothing() -> None:
    empty = TagScores(MODEL, ("a",), np.zeros(0, np.int64), np.zeros((0, 1), np.float32),
                      np.zeros((0, 1), np.float32))
    assert empty.counts(TagRule()) == {"a": 0}
    assert empty.tags(TagRule()) == {} and empty.top_labels() == []


@pytest.mark.parametrize("kwargs", [{"min_prob": 7.0}, {"min_prob": -0.1}, {"min_cos": 1.5},
                                    {"max_tags": 0}])
def test_rules_out_of_range_are_refused(kwargs: dict[str, Any]) -> None:
    from clipdesk.core.errors import ClipdeskError

    with pytest.raises(ClipdeskError):
        TagRule(**kwargs)
