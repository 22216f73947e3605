"""The shapes world (tests/fixtures/shapes.py): deterministic, the classes asked for, real files."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageOps

from tests.fixtures import shapes as W

CJK = re.compile(r"[\u4e00-\u9fff]")


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[W.Item]]:
    root = tmp_path_factory.mktemp("world")
    items = W.generate_folder(root, 40, seed=11, distractor_rate=0.5, exif_rate=0.6,
                              rotate_rate=0.4)
    return root, items


def test_vocabulary_is_big_enough_and_names_are_distinct() -> None:
    assert len(W.COLOURS) >= 8
    assert len(W.SHAPES) >= 6
    assert {"circle", "square", "triangle", "star"} <= {s.key for s in W.SHAPES}
    assert len(W.CLASSES) == len(W.COLOURS) * len(W.SHAPES)
    for names in ([c.en for c in W.COLOURS], [c.zh for c in W.COLOURS],
                  [s.en for s in W.SHAPES], [s.zh for s in W.SHAPES],
                  [c.key for c in W.CLASSES]):
        assert len(set(names)) == len(names)


def test_same_seed_same_bytes_other_seed_other_bytes(tmp_path: Path) -> None:
    a = W.generate_folder(tmp_path / "a", 8, seed=5, distractor_rate=0.5, rotate_rate=0.5)
    b = W.generate_folder(tmp_path / "b", 8, seed=5, distractor_rate=0.5, rotate_rate=0.5)
    c = W.generate_folder(tmp_path / "c", 8, seed=6, distractor_rate=0.5, rotate_rate=0.5)
    assert [i.path.name for i in a] == [i.path.name for i in b]
    for x, y in zip(a, b, strict=True):
        assert x.path.read_bytes() == y.path.read_bytes()
        assert x.to_json(tmp_path / "a") == y.to_json(tmp_path / "b")
    assert any(x.path.read_bytes() != z.path.read_bytes() for x, z in zip(a, c, strict=True))


def test_scenes_do_not_depend_on_folder_size() -> None:
    assert W.scene_for(3, 4, "red-circle") == W.scene_for(3, 4, "red-circle")
    assert W.make_scene([3, 4]) == W.make_scene([3, 4])
    assert W.make_scene([3, 4]) != W.make_scene([3, 5])


def test_requested_classes_are_balanced(tmp_path: Path) -> None:
    wanted = ["red-circle", "blue-star", "black-hexagon"]
    items = W.generate_folder(tmp_path, 9, seed=1, classes=wanted, by_class=True)
    assert Counter(i.cls for i in items) == dict.fromkeys(wanted, 3)
    for it in items:
        assert it.path.parent.name == it.cls
        assert (it.colour, it.shape) == tuple(it.cls.split("-"))
    keys = W.balanced_classes(100, seed=2)
    counts = Counter(keys)
    assert set(counts) == {c.key for c in W.CLASSES}
    assert max(counts.values()) - min(counts.values()) <= 1


def test_files_are_real_photos_of_ordinary_sizes(folder: tuple[Path, list[W.Item]]) -> None:
    root, items = folder
    assert sorted(p.name for p in root.iterdir()) == sorted(i.path.name for i in items)
    for it in items:
        with Image.open(it.path) as im:
            im.verify()
        with Image.open(it.path) as im:
            assert im.format == it.format
            assert it.path.suffix == (".jpg" if it.format == "JPEG" else ".png")
            upright = ImageOps.exif_transpose(im)
            assert upright.size == (it.width, it.height)
            assert (it.width, it.height) in W.PHOTO_SIZES
            assert min(it.width, it.height) >= 480
    formats = Counter(i.format for i in items)
    assert formats["JPEG"] > 0 and formats["PNG"] > 0


def test_exif_orientation_and_date_where_set(folder: tuple[Path, list[W.Item]]) -> None:
    _, items = folder
    assert any(i.orientation != 1 for i in items)
    assert any(i.date_taken for i in items)
    for it in items:
        with Image.open(it.path) as im:
            exif = im.getexif()
            if it.format == "PNG":
                assert it.orientation == 1 and it.date_taken is None
                assert 0x0112 not in exif
                continue
            assert exif.get(0x0112, 1) == it.orientation
            assert exif.get_ifd(0x8769).get(0x9003) == it.date_taken
            stored = im.size
        if it.orientation in (6, 8):
            assert stored == (it.height, it.width)
        else:
            assert stored == (it.width, it.height)


def test_upright_pixels_show_the_main_shape_at_its_place(
    folder: tuple[Path, list[W.Item]],
) -> None:
    """EXIF-rotated files show, once turned upright, the scene as drawn (same main shape pixel)."""
    _, items = folder
    for it in items:
        main = it.scene.main
        with Image.open(it.path) as im:
            upright = np.asarray(ImageOps.exif_transpose(im).convert("RGB"), np.float32)
        pixel = upright[int(main.cy), int(main.cx)]
        assert np.abs(pixel - np.asarray(main.rgb)).max() < 40, (it.path.name, pixel, main.rgb)


def test_main_shape_is_the_largest_and_inside_the_centre_square() -> None:
    for i in range(60):
        scene = W.make_scene([9, i], distractors=2)
        main = scene.main
        assert main.cls == scene.cls
        assert all(s.radius < main.radius * 0.5 for s in scene.shapes[1:])
        assert all(s.cls != main.cls for s in scene.shapes[1:])
        short = min(scene.width, scene.height)
        reach = main.radius * W._extent(W.CLASS_BY_KEY[main.cls].shape.key)
        assert abs(main.cx - scene.width / 2) + reach <= short / 2
        assert abs(main.cy - scene.height / 2) + reach <= short / 2


def test_render_at_any_scale() -> None:
    scene = W.make_scene([1, 2], size=(800, 600))
    assert W.render(scene).size == (800, 600)
    small = W.render(scene, scale=0.1)
    assert small.size == (80, 60) and small.mode == "RGB"


@pytest.mark.parametrize("cls", W.CLASSES, ids=lambda c: c.key)
def test_captions_in_both_languages(cls: W.ShapeClass) -> None:
    en, zh = W.captions_en(cls), W.captions_zh(cls)
    assert len(en) >= 6 and len(zh) >= 6
    assert len(set(en)) == len(en) and len(set(zh)) == len(zh)
    for text in en:
        assert cls.colour.en in text and not CJK.search(text)
        assert not re.search(r"\ba [aeiou]", text), text
    for text in zh:
        assert CJK.search(text) and cls.colour.zh_short in text
    assert set(W.prompts_en(cls)) <= set(en) and set(W.prompts_zh(cls)) <= set(zh)
    c, s = cls.colour, cls.shape
    assert cls.en in en and f"a photo of {'an' if c.en[0] in 'aeiou' else 'a'} {cls.en}" in en
    assert {f"{c.zh}的{s.zh}", f"一张{c.zh}{s.zh}的照片"} <= set(zh)
    assert any(f"{c.zh}{alt}" in zh for alt in s.zh_alt)  # short forms such as 红色圆


def test_captions_examples() -> None:
    red_circle = W.CLASS_BY_KEY["red-circle"]
    assert {"a red circle", "a photo of a red circle", "red circle"} <= set(
        W.captions_en(red_circle))
    assert {"红色的圆形", "一张红色圆形的照片", "红色圆"} <= set(W.captions_zh(red_circle))
    assert "an orange star" in W.captions_en(W.CLASS_BY_KEY["orange-star"])


def test_manifest_lines(tmp_path: Path, folder: tuple[Path, list[W.Item]]) -> None:
    import json

    root, items = folder
    W.write_manifest(items, tmp_path / "m.jsonl", root)
    lines = [json.loads(x) for x in (tmp_path / "m.jsonl").read_text("utf-8").splitlines()]
    assert [d["path"] for d in lines] == [i.path.name for i in items]
    assert lines[0]["caption_zh"] == W.prompts_zh(W.CLASS_BY_KEY[items[0].cls])[1]


def test_shape_only_and_colour_only_phrasings() -> None:
    """What negative terms and one-word queries use ("circle -red", 「圆形 -红色」)."""
    colour_words = [c.en for c in W.COLOURS] + [c.zh_short for c in W.COLOURS]
    shape_words = [s.en for s in W.SHAPES] + [s.zh for s in W.SHAPES]
    for shape in W.SHAPES:
        texts = W.captions_shape_en(shape) + W.captions_shape_zh(shape)
        assert shape.en in texts and shape.zh in texts
        assert not any(w in t for t in texts for w in colour_words), texts
    for colour in W.COLOURS:
        texts = W.captions_colour_en(colour) + W.captions_colour_zh(colour)
        assert colour.en in texts and colour.zh in texts
        assert not any(w in t for t in texts for w in shape_words), texts
