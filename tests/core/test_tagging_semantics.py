"""Tagging and evaluation mean what they say, with the two trained shapes-world test models.

A generated folder of coloured shapes, one sub-folder per colour named in Chinese (红色, 蓝色, ...):
tagging it with the colour names reaches high accuracy; evaluating it as a class-folder dataset
reports high precision and recall; the same pictures under deliberately wrong names report low
ones; and the Chinese model compared with the English one (given English prompts) scores well on
both rows. Skips when the models (tests/fixtures/models, issue 4) are not there.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

from clipdesk.core import evaluation as ev
from clipdesk.core.engine import Engine
from clipdesk.core.labels import Label, LabelSet
from clipdesk.core.store import TagSource
from clipdesk.core.tagging import TagRule, tag_library
from clipdesk.paths import DataPaths
from tests.fixtures import shapes as W
from tests.fixtures.train_test_models import CNCLIP_NAME, MODELS_DIR, OPENCLIP_NAME

pytestmark = pytest.mark.slow

MODELS = MODELS_DIR
SEED = 5150
PRIMARY = "zh"  # the language of the folder names, read by that language's model
# what the models learnt to read for a colour alone (see shapes.captions_colour_*)
TEMPLATES = {"zh": ("{}", "{}的东西", "{}的图形"), "en": ("{}", "something {}", "a {} shape")}


def name(colour: W.Colour, lang: str = PRIMARY) -> str:
    return colour.zh if lang == "zh" else colour.en


@dataclass
class World:
    engine: Engine
    models: dict[str, str]  # language -> model id
    colours: Path  # <colour in Chinese>/<pictures of that colour, one per shape>
    wrong: Path  # the same folders (symlinks) under the next colour's name
    truth: dict[Path, str]  # picture -> its colour in Chinese

    @property
    def primary(self) -> str:
        return self.models[PRIMARY]


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    if not (MODELS / f"{OPENCLIP_NAME}.safetensors").is_file() or not (
        MODELS / f"{CNCLIP_NAME}.pt"
    ).is_file():
        pytest.skip("the shapes-world test models are not in tests/fixtures/models")
    from tests.fixtures.train_test_models import import_test_models

    base = tmp_path_factory.mktemp("colours")
    colours, wrong = base / "colours", base / "wrong"
    wrong.mkdir()
    truth: dict[Path, str] = {}
    for i, colour in enumerate(W.COLOURS):
        classes = [f"{colour.key}-{shape.key}" for shape in W.SHAPES]
        items = W.generate_folder(colours / name(colour), len(classes), SEED + i,
                                  classes=classes)
        truth.update({it.path.resolve(): name(colour) for it in items})
        wrong_name = name(W.COLOURS[(i + 1) % len(W.COLOURS)])
        os.symlink(colours / name(colour), wrong / wrong_name, target_is_directory=True)
    engine = Engine(DataPaths(base / "data"))
    en, zh = import_test_models(engine.paths, MODELS)
    with engine.library(write=True) as library:
        for info in (zh, en):
            report = engine.indexer(library, engine.encoder(info.model_id)).run([colours])
            assert report.embedded == len(truth) and not report.errors
    yield World(engine, {"en": en.model_id, "zh": zh.model_id}, colours, wrong, truth)


def colour_labels() -> LabelSet:
    return LabelSet.build([name(c) for c in W.COLOURS], templates=TEMPLATES[PRIMARY])


def test_tagging_colours_in_chinese(world: World) -> None:
    with world.engine.library(write=True) as library:
        report, scores = tag_library(library, world.engine.encoder(world.primary), colour_labels(),
                                     TagRule(min_prob=None))  # each photo: its top label
        assert scores is not None and report.written == len(world.truth)
        ids = library.file_ids()
        photos = library.photos(ids)
        tags = library.tags(ids)
    right = sum(
        {t.label for t in tags.get(i, []) if t.source is TagSource.AUTO}
        == {world.truth[photos[i].path]} for i in ids)
    assert right / len(ids) >= 0.9
    # the probabilities are confident where the model is right: a strict rule keeps most tags
    assert scores.mask(TagRule(min_prob=0.5)).any(axis=1).mean() >= 0.8


def evaluate(world: World, folder: Path, label_set: object = None,
             models: tuple[str, ...] | None = None) -> ev.ClassComparison:
    with world.engine.library(write=True) as library:  # the vectors indexed above are reused
        return ev.evaluate_classes(world.engine, library, ev.load_class_folders(folder),
                                   list(models or (world.primary,)),
                                   templates=TEMPLATES[PRIMARY],
                                   label_set=label_set)  # type: ignore[arg-type]


def test_evaluation_of_the_colour_folders_is_high(world: World) -> None:
    result = evaluate(world, world.colours)
    e = result.evaluations[0]
    assert len(e.images) == len(world.truth) and e.skipped == ()
    assert e.classification.accuracy >= 0.9
    t = e.suggested_threshold
    prf = e.text_to_image(t)
    assert prf.macro.precision >= 0.8 and prf.macro.recall >= 0.8
    assert np.mean([c.average_precision for c in e.curves]) >= 0.9


def test_a_wrong_label_set_is_low(world: World) -> None:
    right = evaluate(world, world.colours).evaluations[0]
    wrong = evaluate(world, world.wrong).evaluations[0]
    assert sorted(wrong.images) == sorted(right.images)  # the same pictures, through symlinks
    assert wrong.classification.accuracy <= 0.2
    assert np.mean([c.average_precision for c in wrong.curves]) <= 0.35
    at = right.suggested_threshold
    assert wrong.text_to_image(at).macro.f1 <= 0.3 < right.text_to_image(at).macro.f1


def test_chinese_model_against_english_model(world: World) -> None:
    other = "en" if PRIMARY == "zh" else "zh"
    translated = LabelSet(tuple(Label(name(c), prompt=name(c, other)) for c in W.COLOURS),
                          TEMPLATES[other])  # English prompts for the English model
    a, b = world.primary, world.models[other]
    result = evaluate(world, world.colours, {b: translated}, (a, b))
    for e in result.evaluations:
        assert e.classification.accuracy >= 0.9, e.model_id
    th = {e.model_id: e.suggested_threshold for e in result.evaluations}
    rows = {r.name: r for r in result.table(th)}
    assert list(rows) == [a, b, "union", "rrf"]
    assert rows["union"].prf.macro.recall >= max(rows[a].prf.macro.recall,
                                                 rows[b].prf.macro.recall)
    assert rows["rrf"].average_precision is not None
    assert rows["rrf"].average_precision.mean() >= 0.9
