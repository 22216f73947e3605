"""Re-checking hits with a VLM whose answers are known: the answers, the cache (a second run asks
nothing), cancel, unreadable photos, and re-ranking, filtering and blending, each against an
independent computation."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from clipdesk.core.errors import ClipdeskError
from clipdesk.core.jobs import Cancelled, CancelToken
from clipdesk.core.rerank.answers import AnswerCache
from clipdesk.core.rerank.questions import question
from clipdesk.core.rerank.recheck import Item, Mode, apply, recheck
from clipdesk.core.types import SearchHit


class FakeJudge:
    """Answers p(yes) = the picture's red channel / 255 (the pictures are plain colours)."""

    model_id = "vlm:fake"

    def __init__(self) -> None:
        self.asked: list[int] = []  # pictures per call

    def yes_probabilities(self, images: Sequence[Image.Image],
                          questions: Sequence[str]) -> np.ndarray:
        assert len(images) == len(questions)
        self.asked.append(len(images))
        return np.array([im.getpixel((0, 0))[0] / 255 for im in images], dtype=np.float32)


def _items(tmp_path: Path, reds: Sequence[int]) -> list[Item]:
    out = []
    for i, red in enumerate(reds):
        path = tmp_path / f"p{i}.png"
        Image.new("RGB", (8, 8), (red, 0, 0)).save(path)
        out.append(Item(i + 1, path, f"hash-{red}-{i}"))
    return out


def test_answers_are_cached_per_content_question_and_model(tmp_path: Path) -> None:
    items = _items(tmp_path, [255, 0, 128, 200, 10])
    cache = AnswerCache(tmp_path / "rechecks.sqlite3")
    judge = FakeJudge()
    seen = []
    report = recheck(judge, items, "a red square", cache=cache, batch_size=2,
                     progress=seen.append)
    expected = {i.file_id: red / 255 for i, red in zip(items, [255, 0, 128, 200, 10],
                                                       strict=True)}
    assert report.answers == pytest.approx(expected)
    assert judge.asked == [2, 2, 1] and report.asked == 5 and report.cached == 0
    assert [p.done for p in seen] == [0, 2, 4, 5] and seen[-1].total == 5
    again = recheck(judge, items, "a red square", cache=cache)
    assert judge.asked == [2, 2, 1]  # no forward pass the second time
    assert again.answers == pytest.approx(expected) and again.cached == 5
    recheck(judge, items[:2], "a blue square", cache=cache)  # another question: asked
    assert judge.asked[-1] == 2
    cache.close()
    reopened = AnswerCache(tmp_path / "rechecks.sqlite3")
    assert reopened.get(["hash-255-0"], question("a red square"), "vlm:fake") == {
        "hash-255-0": pytest.approx(1.0)}
    assert reopened.count() == 7


def test_cancel_keeps_what_was_answered(tmp_path: Path) -> None:
    items = _items(tmp_path, [255, 0, 128, 200])
    cache = AnswerCache(tmp_path / "rechecks.sqlite3")
    token = CancelToken()
    judge = FakeJudge()

    def cancel_after_first(p: object) -> None:
        if judge.asked:
            token.cancel()

    with pytest.raises(Cancelled):
        recheck(judge, items, "red", cache=cache, batch_size=2, token=token,
                progress=cancel_after_first)
    assert judge.asked == [2]
    assert len(cache.get([i.content_hash for i in items], question("red"), "vlm:fake")) == 2
    rest = recheck(judge, items, "red", cache=cache, batch_size=2)
    assert judge.asked == [2, 2] and rest.cached == 2


def test_an_unreadable_photo_gets_no_answer(tmp_path: Path) -> None:
    items = _items(tmp_path, [255, 0])
    items[1].path.write_bytes(b"not a picture")
    report = recheck(FakeJudge(), items, "red")
    assert report.answers == {1: pytest.approx(1.0)} and report.unreadable == (items[1].path,)
    with pytest.raises(ClipdeskError):
        recheck(FakeJudge(), items, "  ")


def test_a_damaged_cache_is_set_aside(tmp_path: Path) -> None:
    path = tmp_path / "rechecks.sqlite3"
    path.write_bytes(b"garbage" * 1000)
    cache = AnswerCache(path)
    assert cache.count() == 0
    assert any(p.name.startswith("rechecks.sqlite3.damaged-") for p in tmp_path.iterdir())


def _hits(scores: Sequence[float]) -> list[SearchHit]:
    return [SearchHit(i + 1, Path(f"/p{i}"), s, i + 1) for i, s in enumerate(scores)]


def test_rerank_filter_and_blend() -> None:
    hits = _hits([0.40, 0.35, 0.30, 0.20, 0.10])
    answers = {1: 0.2, 2: 0.9, 3: 0.6, 5: 0.95}  # hit 4 was not checked
    reranked = apply(hits, answers, Mode.RERANK)
    assert [h.file_id for h in reranked] == [5, 2, 3, 1, 4]
    assert [h.rank for h in reranked] == [1, 2, 3, 4, 5]
    assert [h.score for h in reranked] == [0.10, 0.35, 0.30, 0.40, 0.20]  # CLIP's scores kept
    kept = apply(hits, answers, "filter")
    assert [h.file_id for h in kept] == [2, 3, 4, 5]  # the unchecked one is kept
    assert [h.file_id for h in apply(hits, answers, Mode.FILTER, confirmed=0.92)] == [4, 5]
    blended = apply(hits, answers, Mode.BLEND, weight=0.5)
    clip = (np.array([0.40, 0.35, 0.30, 0.20, 0.10]) - 0.10) / 0.30
    expected = {1: 0.5 * clip[0] + 0.5 * 0.2, 2: 0.5 * clip[1] + 0.5 * 0.9,
                3: 0.5 * clip[2] + 0.5 * 0.6, 4: clip[3], 5: 0.5 * clip[4] + 0.5 * 0.95}
    order = sorted(expected, key=lambda k: -expected[k])
    assert [h.file_id for h in blended] == order
    assert [h.score for h in blended] == pytest.approx([expected[k] for k in order])
    assert apply(hits, answers, Mode.BLEND, weight=0.0)[0].file_id == 1
    with pytest.raises(ClipdeskError):
        apply(hits, answers, Mode.BLEND, weight=1.5)


def test_batches_follow_the_device() -> None:
    from clipdesk.core.rerank.recheck import CPU_BATCH, GPU_BATCH, batch_for

    class OnGpu(FakeJudge):
        device = "cuda"

    assert batch_for(FakeJudge()) == CPU_BATCH and batch_for(OnGpu()) == GPU_BATCH > CPU_BATCH
