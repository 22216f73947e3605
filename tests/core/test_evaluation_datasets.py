"""Reading evaluation datasets: class folders (with negatives and shared pictures) and captions."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import numpy as np
import pytest

from clipdesk.core.evaluation.datasets import (
    CaptionDataset,
    ClassDataset,
    DatasetError,
    index_roots,
    load_captions,
    load_class_folders,
    load_dataset,
)
from tests.core.fakes import colour, write_image


@pytest.fixture
def classes(tmp_path: Path) -> Path:
    root = tmp_path / "set"
    write_image(root / "猫" / "a.png", colour(1))
    write_image(root / "猫" / "deeper" / "b.png", colour(2))
    write_image(root / "dog" / "c.png", colour(3))
    os.symlink(root / "猫" / "a.png", root / "dog" / "link.png")  # a and link: one picture
    shutil.copy(root / "猫" / "deeper" / "b.png", root / "dog" / "copy.png")  # same bytes
    write_image(root / "dog" / "same-size.png", colour(4))  # same size, other bytes
    write_image(root / "others" / "n1.png", colour(5))
    shutil.copy(root / "dog" / "c.png", root / "others" / "c-again.png")  # in a class: kept there
    write_image(root / ".hidden" / "h.png", colour(6))
    (root / "empty").mkdir()
    (root / "dog" / "notes.txt").write_text("not a picture")
    return root


def test_class_folders(classes: Path) -> None:
    ds = load_class_folders(classes)
    assert isinstance(ds, ClassDataset)
    assert ds.classes == ("dog", "猫")  # sorted, the empty and hidden folders left out
    assert ds.negatives_folder == "others" and ds.has_negatives
    names = [p.name for p in ds.images]
    # class by class, files in name order; a picture is named by its first real path
    assert names == ["c.png", "copy.png", "a.png", "same-size.png", "n1.png"]
    rows = {p.name: (tuple(t), bool(n)) for p, t, n in zip(ds.images, ds.truth, ds.negatives,
                                                           strict=True)}
    assert rows == {
        "c.png": ((True, False), False),
        "a.png": ((True, True), False),  # via the symlink in dog/
        "copy.png": ((True, True), False),  # the same bytes as 猫/deeper/b.png
        "same-size.png": ((True, False), False),
        "n1.png": ((False, False), True),
    }
    assert all(p == Path(os.path.realpath(p)) for p in ds.images)
    kept = ds.subset(np.array([True, False, True, False, True]))
    assert [p.name for p in kept.images] == ["c.png", "a.png", "n1.png"]
    assert kept.truth.shape == (3, 2) and kept.negatives.tolist() == [False, False, True]


def test_negatives_folder_options(classes: Path) -> None:
    assert "others" in load_class_folders(classes, negatives=None).classes
    assert load_class_folders(classes, negatives="others").negatives_folder == "others"
    (classes / "others").rename(classes / "其他")
    assert load_class_folders(classes).negatives_folder == "其他"
    with pytest.raises(DatasetError, match="no folder"):
        load_class_folders(classes, negatives="negatives")
    with pytest.raises(DatasetError, match="Not a folder"):
        load_class_folders(classes / "nope")
    with pytest.raises(DatasetError, match="no class sub-folders"):
        load_class_folders(classes / "empty")
    assert isinstance(load_dataset(classes), ClassDataset)


def test_captions(tmp_path: Path) -> None:
    write_image(tmp_path / "images" / "1.png", colour(1))
    write_image(tmp_path / "images" / "2.png", colour(2))
    lines = [
        {"query": "a red thing", "positive": "images/1.png"},
        {"query": "红色的东西", "positive": "images/1.png"},
        {"query": "both", "positive": ["images/1.png", "images/2.png"]},
        {"query": "gone", "positive": "images/missing.png"},
    ]
    path = tmp_path / "captions.jsonl"
    path.write_text("\n".join(json.dumps(x, ensure_ascii=False) for x in lines) + "\n\n",
                    encoding="utf-8")
    ds = load_dataset(path)
    assert isinstance(ds, CaptionDataset)
    assert ds.queries == ("a red thing", "红色的东西", "both")
    assert [p.name for p in ds.images] == ["1.png", "2.png"]
    assert ds.relevance.tolist() == [[True, False], [True, False], [True, True]]
    assert ds.skipped_lines == 1
    only_two = ds.subset(np.array([False, True]))
    assert only_two.queries == ("both",) and only_two.relevance.tolist() == [[True]]
    path.write_text('{"query": "x", "positive": "images/1.png"}\n{"q": 1}\n', encoding="utf-8")
    with pytest.raises(DatasetError, match="Line 2"):
        load_captions(path)
    path.write_text('{"query": "x", "positive": "images/none.png"}\n', encoding="utf-8")
    with pytest.raises(DatasetError, match="no usable captions"):
        load_captions(path)
    with pytest.raises(DatasetError, match="Unknown dataset kind"):
        load_dataset(path, "pictures")


def test_index_roots(tmp_path: Path) -> None:
    a = tmp_path / "set" / "cat" / "1.jpg"
    b = tmp_path / "set" / "dog" / "2.jpg"
    c = tmp_path / "elsewhere" / "x" / "3.jpg"
    d = tmp_path / "elsewhere" / "x" / "y" / "4.jpg"
    assert index_roots([a, b, c, d], tmp_path / "set") == sorted(
        [tmp_path / "set", tmp_path / "elsewhere" / "x"])
    assert index_roots([a, b]) == [a.parent, b.parent]
