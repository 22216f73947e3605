"""Keeping only the tags a VLM confirms: with a judge whose answers are known, the rejected tags
are dropped (a photo left without a label falls to "others"), the rest are saved, and a second
run asks nothing."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from clipdesk.core.engine import Engine
from clipdesk.core.labels import LabelSet
from clipdesk.core.models.base import ModelInfo
from clipdesk.core.store import TagSource
from clipdesk.core.tagging import TagRule
from clipdesk.paths import DataPaths


class NameJudge:
    """Confirms a label only for photos whose file name starts with it."""

    model_id = "vlm:names"

    def __init__(self, names: dict[tuple[int, int], str]) -> None:
        self.by_size = names  # picture size -> the label its file is named after
        self.asked = 0

    def yes_probabilities(self, images: Sequence[Image.Image],
                          questions: Sequence[str]) -> np.ndarray:
        self.asked += len(images)
        return np.array([0.9 if f" {self.by_size[im.size]}?" in q else 0.1
                         for im, q in zip(images, questions, strict=True)], dtype=np.float32)


@pytest.fixture
def engine(data_paths: DataPaths, tiny_open_clip: ModelInfo, tmp_path: Path) -> Engine:
    folder = tmp_path / "photos"
    folder.mkdir()
    rng = np.random.default_rng(0)
    for i in range(12):
        label = ("cat", "dog", "car")[i % 3]
        pixels = rng.integers(0, 255, size=(40 + i, 50, 3), dtype=np.uint8)
        Image.fromarray(pixels).save(folder / f"{label}-{i}.png")
    engine = Engine(data_paths)
    engine.settings.device = "cpu"
    engine.index([folder], model_id=tiny_open_clip.model_id)
    return engine


def test_only_confirmed_tags_are_saved(engine: Engine, tiny_open_clip: ModelInfo) -> None:
    labels = LabelSet.build(["cat", "dog", "car"], templates="en-basic", others=True)
    rule = TagRule(min_prob=0.0)  # every label passes: the check alone decides
    photos = engine.reader().photos(engine.reader().file_ids())
    judge = NameJudge({(50, 40 + int(p.path.stem.split("-")[1])): p.path.stem.split("-")[0]
                       for p in photos.values()})
    scores = engine.score_tags(labels, tiny_open_clip.model_id)
    checked, report = engine.confirm_tags(scores, rule, labels, judge)
    assert report.checked == 12 * 3 and report.asked == 36 and report.rejected == 24
    mask = checked.mask(rule)
    for row, file_id in enumerate(checked.file_ids):
        name = photos[int(file_id)].path.stem.split("-")[0]
        assert [checked.labels[j] for j in np.flatnonzero(mask[row])] == [name]
    again, second = engine.confirm_tags(scores, rule, labels, judge)
    assert second.asked == 0 and judge.asked == 36
    np.testing.assert_array_equal(again.mask(rule), mask)
    # a rejected photo falls to "others"
    strict = NameJudge(dict.fromkeys(judge.by_size, "nothing"))
    strict.model_id = "vlm:strict"  # another model: its own answers, not the cached ones
    none, _ = engine.confirm_tags(scores, TagRule(min_prob=0.0), labels, strict)
    assert none.mask(rule)[:, labels.others_index].all()
    report_saved = engine.save_tags(checked, rule)
    tags = engine.reader().tags(checked.file_ids)
    assert report_saved.tagged == 12
    for file_id, found in tags.items():
        name = photos[file_id].path.stem.split("-")[0]
        assert [t.label for t in found if t.source == TagSource.AUTO] == [name]
