"""Search means what it says: the two trained shapes-world models, imported as user models, index
a generated photo folder through the real indexer, and queries find the right shapes.

The models (tests/fixtures/models/) are trained by tests/fixtures/train_test_models.py: an OpenCLIP
model that reads English and a Chinese-CLIP model that reads Chinese; each understands only its own
language, which is what ``auto`` routing has to get right.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from clipdesk.core.engine import Engine
from clipdesk.core.search import Query, Searcher
from clipdesk.core.store import Library
from clipdesk.paths import DataPaths
from tests.fixtures import shapes as W
from tests.fixtures.train_test_models import (
    CNCLIP_NAME,
    MODELS_DIR,
    OPENCLIP_NAME,
    import_test_models,
)

pytestmark = pytest.mark.slow

# 12 classes x 10 photos: four colours of circle (so "circle -red" has 30 right answers), a few
# red things that are not circles, and some of everything else.
CLASSES = (
    "red-circle", "blue-circle", "green-circle", "yellow-circle",
    "red-star", "red-square", "blue-square", "green-triangle",
    "purple-heart", "white-hexagon", "black-star", "orange-triangle",
)
PER_CLASS = 10
SEED = 4242


@dataclass
class World:
    searcher: Searcher
    library: Library
    truth: dict[Path, str]  # photo path -> class key
    en: str  # model ids
    zh: str
    queries: Path  # photos outside the library, one per class: <class>.jpg

    def classes(self, query: Query, model: str) -> list[str]:
        result = self.searcher.search(query, model)
        return [self.truth[Path(h.path)] for h in result.hits]


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    if not (MODELS_DIR / f"{OPENCLIP_NAME}.safetensors").is_file() or not (
        MODELS_DIR / f"{CNCLIP_NAME}.pt"
    ).is_file():
        pytest.skip("the shapes-world test models are not in tests/fixtures/models")
    base = tmp_path_factory.mktemp("semantics")
    photos = base / "photos"
    items = W.generate_folder(photos, len(CLASSES) * PER_CLASS, SEED, classes=CLASSES)
    queries = base / "queries"
    queries.mkdir()
    for i, cls in enumerate(CLASSES):
        scene = W.scene_for(SEED + 1, i, cls)
        (queries / f"{cls}.jpg").write_bytes(W.encode_file(scene, "JPEG"))

    engine = Engine(DataPaths(base / "data"))
    en, zh = import_test_models(engine.paths)
    with engine.library(write=True) as library:
        for info in (en, zh):
            report = engine.indexer(library, engine.encoder(info.model_id)).run([photos])
            assert report.embedded == len(items) and not report.errors
    library = engine.library()
    try:
        truth = {it.path.resolve(): it.cls for it in items}
        yield World(engine.searcher(library), library, truth, en.model_id, zh.model_id, queries)
    finally:
        library.close()


def _share(classes: list[str], wanted: str) -> float:
    return sum(c == wanted for c in classes) / len(classes)


@pytest.mark.parametrize(
    ("text", "cls"),
    [
        ("红色的圆形", "red-circle"),
        ("一张蓝色正方形的照片", "blue-square"),
        ("红色圆", "red-circle"),
        ("绿色的三角形", "green-triangle"),
        ("紫色的心形", "purple-heart"),
        ("白色六边形", "white-hexagon"),
        ("黑色的五角星", "black-star"),
    ],
)
def test_chinese_text_with_the_chinese_model(world: World, text: str, cls: str) -> None:
    top = world.classes(Query(text=text, top_k=10), world.zh)
    assert len(top) == 10
    assert _share(top, cls) >= 0.9, top


@pytest.mark.parametrize(
    ("text", "cls"),
    [
        ("a red circle", "red-circle"),
        ("a photo of a blue square", "blue-square"),
        ("red star", "red-star"),
        ("a green triangle", "green-triangle"),
        ("purple heart", "purple-heart"),
        ("a picture of a white hexagon", "white-hexagon"),
        ("an orange triangle", "orange-triangle"),
    ],
)
def test_english_text_with_the_openclip_model(world: World, text: str, cls: str) -> None:
    top = world.classes(Query(text=text, top_k=10), world.en)
    assert len(top) == 10
    assert _share(top, cls) >= 0.9, top


@pytest.mark.parametrize(
    ("text", "cls", "lang"),
    [("红色的圆形", "red-circle", "zh"), ("a red circle", "red-circle", "en"),
     ("黄色的圆形", "yellow-circle", "zh"), ("yellow circle", "yellow-circle", "en")],
)
def test_auto_routes_each_language_to_the_model_that_reads_it(
    world: World, text: str, cls: str, lang: str
) -> None:
    result = world.searcher.search(Query(text=text, top_k=10), "auto")
    assert result.model_ids == ((world.zh,) if lang == "zh" else (world.en,))
    assert _share([world.truth[Path(h.path)] for h in result.hits], cls) >= 0.9


def test_each_model_misreads_the_other_language(world: World) -> None:
    """Why routing matters: the wrong model for the language ranks nearly at random."""
    wrong_zh = world.classes(Query(text="红色的圆形", top_k=10), world.en)
    wrong_en = world.classes(Query(text="a red circle", top_k=10), world.zh)
    assert _share(wrong_zh, "red-circle") < 0.9 or _share(wrong_en, "red-circle") < 0.9


@pytest.mark.parametrize("cls", ["red-circle", "blue-square", "black-star", "purple-heart"])
def test_union_of_both_models_finds_similar_photos(world: World, cls: str) -> None:
    query = Query(image=world.queries / f"{cls}.jpg", top_k=10)
    union = f"{world.en}+{world.zh}"
    result = world.searcher.search(query, union)
    assert set(result.model_ids) == {world.en, world.zh}
    top = [world.truth[Path(h.path)] for h in result.hits]
    assert len(top) == 10 and _share(top, cls) >= 0.9, top
    for model in (world.en, world.zh):  # and each model alone agrees
        assert _share(world.classes(query, model), cls) >= 0.9


def test_find_similar_to_a_library_photo(world: World) -> None:
    path = next(p for p, c in world.truth.items() if c == "green-triangle")
    photo = world.library.photo_by_path(path)
    assert photo is not None
    for model in (world.en, world.zh):
        top = world.classes(Query(image_file_id=photo.id, top_k=10), model)
        assert top[0] == "green-triangle" and _share(top, "green-triangle") >= 0.9


@pytest.mark.parametrize(("text", "lang"), [("circle -red", "en"), ("圆形 -红色", "zh")])
def test_negative_term_removes_what_it_names(world: World, text: str, lang: str) -> None:
    model = world.en if lang == "en" else world.zh
    positive = text.split(" -")[0]
    plain = world.classes(Query(text=positive, top_k=10), model)
    assert all(c.endswith("-circle") for c in plain), plain
    top = world.classes(Query(text=text, top_k=10), model)
    assert len(top) == 10
    assert "red-circle" not in top, top
    assert all(c.endswith("-circle") for c in top), top


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_text_and_image_combined(world: World, lang: str) -> None:
    """A photo of a blue square plus the word "circle": blue circles come first.

    Image-to-image cosines (~0.99 here) are far higher than text-to-image ones (~0.7; CLIP's
    modality gap), so the word needs more than half the weight to steer the photo.
    """
    model = world.en if lang == "en" else world.zh
    text = "circle" if lang == "en" else "圆形"
    image = world.queries / "blue-square.jpg"
    text_only = world.classes(Query(text=text, top_k=10), model)
    image_only = world.classes(Query(image=image, top_k=10), model)
    # the default weight (0.5): image and words share the ranking, so "like this blue square,
    # but a circle" gives blue circles, not the photo's look-alikes
    both = world.classes(Query(text=text, image=image, top_k=10), model)
    assert _share(image_only, "blue-square") >= 0.9
    assert all(c.endswith("-circle") for c in text_only)
    assert _share(both, "blue-circle") >= 0.9, both
    assert _share(both, "blue-circle") > _share(text_only, "blue-circle")
    # the weight still steers: all on the photo gives its look-alikes back
    photo_only = world.classes(Query(text=text, image=image, image_weight=1.0, top_k=10), model)
    assert _share(photo_only, "blue-square") >= 0.9, photo_only
