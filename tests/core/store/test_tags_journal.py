"""Tag changes are journaled and undoable: tagging saves, renames, merges, deletes; tag counts."""

from __future__ import annotations

from pathlib import Path

import pytest

from clipdesk.core.errors import StoreError
from clipdesk.core.store import Library, TagSource
from clipdesk.core.store.records import TagChangeKind, TagCount, TagJournal
from clipdesk.core.store.writes import KEEP_TAG_CHANGES
from clipdesk.paths import DataPaths
from tests.core.store.test_tag_batches import add_photos


def _state(lib: Library, ids: list[int]) -> set[tuple[int, str, str, float | None, str | None]]:
    return {(t.file_id, t.label, t.source.value, t.score, t.model_id)
            for tags in lib.tags(ids).values() for t in tags}


def _save(lib: Library, tags: dict[int, dict[str, float | None]], labels: tuple[str, ...],
          batches: int = 1) -> TagJournal:
    journal = TagJournal(TagChangeKind.SAVE, labels, "m:a")
    items = list(tags.items())
    size = max(1, -(-len(items) // batches))
    for start in range(0, len(items), size):
        lib.replace_tags(dict(items[start:start + size]), model_id="m:a", labels=labels,
                         journal=journal)
    return journal


def test_undo_of_a_save_in_batches_restores_exactly_and_keeps_manual_tags(
    data_paths: DataPaths, tmp_path: Path,
) -> None:
    with Library.open(data_paths, write=True) as lib:
        a, b, c, d = add_photos(lib, tmp_path / "p", 4)
        lib.set_tags(a, ["蓝色"])  # manual: never touched by a save or its undo
        lib.replace_tags({a: {"蓝色": 0.31, "sky": 0.2}, b: {"红色": 0.25}}, model_id="m:old")
        lib.replace_tags({c: {"other label": 0.5}}, model_id="m:old")
        before = _state(lib, [a, b, c, d])
        assert lib.last_tag_change() is None  # writes without a journal are not undoable

        journal = _save(lib, {a: {"蓝色": 0.4}, b: {}, c: {"蓝色": 0.3, "红色": 0.2},
                              d: {"蓝色": 0.35}}, ("蓝色", "红色"), batches=3)
        change = lib.last_tag_change()
        assert change is not None and change.id == journal.change_id
        assert change.kind is TagChangeKind.SAVE and change.labels == ("蓝色", "红色")
        assert (change.before, change.after, change.photos) == (2, 4, 4)
        assert (a, "蓝色", "manual", None, None) in _state(lib, [a])
        assert (a, "sky", "auto", 0.2, "m:old") in _state(lib, [a])  # other label kept

        undone = lib.undo_last_tag_save()
        assert undone is not None and undone.undone and undone.id == change.id
        assert _state(lib, [a, b, c, d]) == before
        assert lib.last_tag_change() is None
        assert lib.undo_last_tag_save() is None  # nothing more to undo


def test_undo_survives_a_restart_and_goes_back_one_change_at_a_time(
    data_paths: DataPaths, tmp_path: Path,
) -> None:
    with Library.open(data_paths, write=True) as lib:
        a, b = add_photos(lib, tmp_path / "p", 2)
        first = _state(lib, [a, b])
        _save(lib, {a: {"cat": 0.3}, b: {"dog": 0.2}}, ("cat", "dog"))
        second = _state(lib, [a, b])
        _save(lib, {a: {"dog": 0.5}, b: {"dog": 0.6}}, ("cat", "dog"))
    with Library.open(data_paths, write=True) as lib:  # a restart
        assert lib.undo_last_tag_save() is not None
        assert _state(lib, [a, b]) == second
        assert lib.undo_last_tag_save() is not None
        assert _state(lib, [a, b]) == first == set()


def test_rename_merge_delete_and_their_undo(data_paths: DataPaths, tmp_path: Path) -> None:
    with Library.open(data_paths, write=True) as lib:
        a, b, c = add_photos(lib, tmp_path / "p", 3)
        lib.set_tags(a, ["blue", "sea"])
        lib.replace_tags({a: {"蓝色": 0.3}, b: {"蓝色": 0.2, "blue": 0.25}, c: {"navy": 0.4}},
                         model_id="m:a")
        assert lib.tag_counts() == [TagCount("blue", 1, 1), TagCount("navy", 0, 1),
                                    TagCount("sea", 1, 0), TagCount("蓝色", 0, 2)]
        start = _state(lib, [a, b, c])

        renamed = lib.rename_tag("蓝色", "blue")  # b has both automatically: the old one stays
        assert renamed.kind is TagChangeKind.RENAME and renamed.labels == ("蓝色", "blue")
        assert lib.labels() == {"blue": 2, "sea": 1, "navy": 1}
        assert {(t.label, t.source, t.score) for t in lib.tags([b])[b]} == {
            ("blue", TagSource.AUTO, 0.25)}
        assert {(t.label, t.source) for t in lib.tags([a])[a]} >= {
            ("blue", TagSource.MANUAL), ("blue", TagSource.AUTO)}
        after_rename = _state(lib, [a, b, c])

        merged = lib.merge_tags(["blue", "navy"], "colour")
        assert merged.kind is TagChangeKind.MERGE
        assert lib.labels() == {"colour": 3, "sea": 1}
        after_merge = _state(lib, [a, b, c])

        deleted = lib.delete_tag("colour")
        assert deleted.before == 4 and deleted.after == 0 and deleted.photos == 3
        assert lib.labels() == {"sea": 1}

        lib.undo_last_tag_save()
        assert _state(lib, [a, b, c]) == after_merge
        lib.undo_last_tag_save()
        assert _state(lib, [a, b, c]) == after_rename
        lib.undo_last_tag_save()
        assert _state(lib, [a, b, c]) == start

        with pytest.raises(StoreError):
            lib.rename_tag("sea", "  ")
        with pytest.raises(StoreError):
            lib.merge_tags(["sea"], "sea")


def test_auto_tag_counts_and_the_journal_is_bounded(data_paths: DataPaths,
                                                   tmp_path: Path) -> None:
    with Library.open(data_paths, write=True) as lib:
        a, b, c = add_photos(lib, tmp_path / "p", 3)
        lib.set_tags(a, ["cat"])
        lib.replace_tags({a: {"cat": 0.3}, b: {"cat": 0.2, "dog": 0.1}})
        assert lib.auto_tag_counts(["cat", "dog", "bird"], [a, b, c]) == {
            "cat": 2, "dog": 1, "bird": 0}
        assert lib.auto_tag_counts(["cat"], [c]) == {"cat": 0}
        for i in range(KEEP_TAG_CHANGES + 5):
            _save(lib, {c: {"x": float(i)}}, ("x",))
        with lib.db.engine.connect() as conn:
            kept = conn.exec_driver_sql("SELECT count(*) FROM tag_changes").scalar()
        assert kept == KEEP_TAG_CHANGES


def test_a_deleted_file_takes_its_journal_rows_with_it(data_paths: DataPaths,
                                                      tmp_path: Path) -> None:
    with Library.open(data_paths, write=True) as lib:
        root_ids = add_photos(lib, tmp_path / "p", 2)
        _save(lib, {root_ids[0]: {"cat": 0.3}, root_ids[1]: {"cat": 0.4}}, ("cat",))
        lib.apply_scan([], [root_ids[0]])
        lib.purge_missing()
        assert lib.undo_last_tag_save() is not None
        assert lib.labels() == {}
