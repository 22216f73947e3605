"""Writing many files' automatic tags at once, and filtering photos by tag."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from clipdesk.core.store import FileUpdate, Library, TagSource
from clipdesk.core.types import FileStatus
from clipdesk.paths import DataPaths


def add_photos(lib: Library, folder: Path, n: int) -> list[int]:
    lib.ensure_model("m:a", 2)
    root = lib.add_root(folder)
    return lib.commit_batch("m:a", [
        FileUpdate(root.id, f"{i}.jpg", 1, 0, FileStatus.OK, content_hash=str(i),
                   vector=np.array([1.0, 0.0])) for i in range(n)])


def test_replace_tags_per_source(data_paths: DataPaths, tmp_path: Path) -> None:
    with Library.open(data_paths, write=True) as lib:
        a, b, c = add_photos(lib, tmp_path / "p", 3)
        lib.set_tags(a, ["keep me"])  # manual
        lib.replace_tags({a: {"cat": 0.3, "sofa": None}, b: {"cat": 0.2}, 99999: {"x": 1.0}},
                         model_id="m:a")
        tags = lib.tags([a, b, c])
        assert {(t.label, t.source) for t in tags[a]} == {
            ("keep me", TagSource.MANUAL), ("cat", TagSource.AUTO), ("sofa", TagSource.AUTO)}
        assert [t.score for t in tags[b]] == [0.2] and c not in tags
        lib.replace_tags({a: {}, b: {"dog": 0.4}})
        tags = lib.tags([a, b])
        assert [t.label for t in tags[a]] == ["keep me"]
        assert [t.label for t in tags[b]] == ["dog"]
        lib.replace_tags({b: {"bird": None}}, source=TagSource.MANUAL)
        assert {t.label for t in lib.tags([b])[b]} == {"dog", "bird"}
        lib.replace_tags({})  # nothing to do


def test_file_ids_by_tags(data_paths: DataPaths, tmp_path: Path) -> None:
    with Library.open(data_paths, write=True) as lib:
        a, b, c = add_photos(lib, tmp_path / "p", 3)
        lib.replace_tags({a: {"cat": 0.3}, b: {"cat": 0.3, "dog": 0.2}})
        lib.set_tags(c, ["dog"])
        assert lib.file_ids(tags=["cat"]).tolist() == [a, b]
        assert lib.file_ids(tags=["dog"]).tolist() == [b, c]  # automatic or manual
        assert lib.file_ids(tags=["cat", "dog"]).tolist() == [b]
        assert lib.file_ids(tags=[]).tolist() == [a, b, c]
        assert lib.file_ids(tags=["dog"], folder=tmp_path / "elsewhere").tolist() == []
