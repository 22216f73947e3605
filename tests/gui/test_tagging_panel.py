"""The tagging panel end to end: tiny model, 20 coco-mini photos indexed, real jobs and store."""

from __future__ import annotations

import csv
import json
import threading
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from clipdesk.core.labels import LabelSet, label_vectors
from clipdesk.core.store.records import TagSource
from clipdesk.core.tagging import TagRule, compute_scores
from clipdesk.gui.panels.tag_widgets import COL_SAVED
from clipdesk.gui.panels.tagging import TaggingPanel
from clipdesk.gui.results.model import ResultRole

LABELS = "dog | a dog playing\ncat\npizza\nperson"


def make_panel(qtbot: QtBot, context: Any) -> TaggingPanel:
    panel = TaggingPanel(context)
    qtbot.addWidget(panel)
    panel.resize(1000, 700)
    with qtbot.waitSignal(panel.factsRefreshed, timeout=10_000):
        panel.show()
    return panel


def score(qtbot: QtBot, panel: TaggingPanel) -> None:
    with qtbot.waitSignal(panel.scoresReady, timeout=30_000):
        assert panel.score_photos()
    qtbot.waitUntil(lambda: panel.score_button.isEnabled(), timeout=5_000)


def grid_ids(panel: TaggingPanel) -> list[int]:
    model = panel.results
    return [model.data(model.index(r, 0), ResultRole.FILE_ID) for r in range(model.rowCount())]


def test_scores_preview_save_filter_and_export(qtbot: QtBot, indexed_context: Any,
                                               tmp_path: Path) -> None:
    context = indexed_context
    panel = make_panel(qtbot, context)
    try:
        assert panel.mode() == "auto" == context.search_mode()
        qtbot.waitUntil(lambda: panel.model_id() == context.current_model_id(), timeout=10_000)
        panel.editor.set_labels_text(LABELS)
        panel.editor.others_check.setChecked(True)
        score(qtbot, panel)
        scores = panel.scores
        assert scores is not None and len(scores.file_ids) == 20
        assert scores.labels == ("dog", "cat", "pizza", "person", "others")

        # the panel's scores are the core's for the same label set
        encoder = context.encoder_if_ready(context.current_model_id())
        expected = compute_scores(context.library(), label_vectors(
            encoder, panel.editor.label_set(), cache=None))
        np.testing.assert_allclose(scores.cosines, expected.cosines, atol=1e-5)

        # sliders: live preview counts, no recompute (same scores object)
        panel.set_rule(None, None)  # neither threshold: every photo gets its top label
        top = panel.table_counts()
        assert sum(v or 0 for v in top.values()) == 20
        assert top == scores.counts(TagRule(None, None))
        panel.set_rule(0.99, None)
        strict = panel.table_counts()
        assert strict == scores.counts(TagRule(0.99, None))
        assert strict["others"] >= top["others"]
        panel.set_rule(None, -0.2 + 0.01)
        assert panel.table_counts() == scores.counts(TagRule(None, -0.19))
        assert panel.scores is scores

        # save under "top label" rule: AUTO tags stored, a manual tag kept
        first = int(scores.file_ids[0])
        with context.engine.library(write=True) as writer:
            writer.replace_tags({first: {"favourite": None}}, source=TagSource.MANUAL)
        panel.set_rule(None, None)
        questions: list[str] = []
        panel.ask = lambda _title, question: questions.append(question) is None
        with qtbot.waitSignal(panel.tagsSaved, timeout=20_000) as saved:
            assert panel.save_tags()
        assert questions and all(f"Tag {n} photos “{label}”" in questions[0]
                                 for label, n in top.items() if n)
        report = saved.args[0]
        assert report.written == 20 and not report.cancelled
        qtbot.waitUntil(lambda: panel.table_counts(COL_SAVED).get("favourite") == 1,
                        timeout=10_000)
        stored = panel.table_counts(COL_SAVED)
        for label, count in top.items():
            assert stored.get(label) == (count or None)
        tags = context.library().tags([first])[first]
        assert {t.label for t in tags if t.source is TagSource.MANUAL} == {"favourite"}
        assert len([t for t in tags if t.source is TagSource.AUTO]) == 1

        # clicking a tag filters the grid: the preview's photos (best cosine first)
        label = max(top, key=lambda k: top[k] or 0)
        row = [panel.tag_table.item(r, 0).text() for r in range(panel.tag_table.rowCount())
               ].index(label)
        with qtbot.waitSignal(panel.gridUpdated, timeout=10_000):
            panel._on_cell_clicked(row, 0)
        col = scores.labels.index(label)
        mask = scores.mask(panel.rule())[:, col]
        assert sorted(grid_ids(panel)) == sorted(int(i) for i in scores.file_ids[mask])
        shown = [panel.results.data(panel.results.index(r, 0), ResultRole.SCORE)
                 for r in range(panel.results.rowCount())]
        assert shown == sorted(shown, reverse=True)
        # a saved tag without preview scores: the photos carrying it
        with qtbot.waitSignal(panel.gridUpdated, timeout=10_000):
            panel.show_tag("favourite")
        assert grid_ids(panel) == [first]
        assert "favourite" in panel.results.data(panel.results.index(0, 0), ResultRole.TAGS)

        # export CSV
        out = tmp_path / "tags.csv"
        with qtbot.waitSignal(panel.exported, timeout=10_000) as done:
            panel.export_csv(out)
        with out.open(encoding="utf-8-sig", newline="") as fp:
            rows = list(csv.DictReader(fp))
        assert done.args[0] == len(rows) == 21
        assert {r["label"] for r in rows if r["source"] == "manual"} == {"favourite"}
    finally:
        panel.shutdown()


def test_chinese_labels_folder_scope_and_errors(qtbot: QtBot, indexed_context: Any,
                                                tmp_path: Path) -> None:
    panel = make_panel(qtbot, indexed_context)
    try:
        panel.editor.set_labels_text("狗\n猫 | 一只猫")
        label_set = panel.editor.label_set()
        assert isinstance(label_set, LabelSet)
        assert label_set.templates == ("一张{}的照片。",)  # automatic: Chinese basic set
        panel.editor.templates.set_custom(["{}的图片", "一张{}"])
        assert panel.editor.label_set().templates == ("{}的图片", "一张{}")
        panel.set_folder(indexed_context.photo_folder)
        assert panel.scope() == (None, indexed_context.photo_folder)
        score(qtbot, panel)
        assert panel.scores is not None and len(panel.scores.file_ids) == 20

        # a JSON label file fills the editor, its templates and "others"
        label_file = tmp_path / "labels.json"
        label_file.write_text(json.dumps({
            "labels": ["cat", {"name": "dog", "descriptions": ["a puppy"]}],
            "templates": "en-ensemble", "others": True}), encoding="utf-8")
        panel.editor.open_file(label_file)
        loaded = panel.editor.label_set()
        assert loaded.names == ("cat", "dog", "others")
        assert loaded.labels[1].descriptions == ("a puppy",)
        assert len(loaded.templates) == 10

        # a bad label set is refused with a sentence, no job starts
        panel.editor.set_labels_text("")
        with qtbot.waitSignal(panel.jobFailed, timeout=2_000):
            assert not panel.score_photos()
        assert panel.last_error
    finally:
        panel.shutdown()


def test_cancel_while_scoring(qtbot: QtBot, indexed_context: Any,
                             monkeypatch: pytest.MonkeyPatch) -> None:
    """Cancel stops the job between steps: no scores are kept and the panel can run again."""
    started = threading.Event()

    def slow_load(model_id: str, *, token: Any = None, **_: Any) -> Any:
        started.set()
        while not token.cancelled:
            time.sleep(0.01)
        token.check()

    panel = make_panel(qtbot, indexed_context)
    try:
        panel.editor.set_labels_text("dog\ncat")
        monkeypatch.setattr(indexed_context.engine, "encoder", slow_load)
        assert panel.score_photos()
        assert not panel.score_button.isEnabled() and panel.jobs.cancel_button.isVisible()
        assert started.wait(10)
        panel.cancel()
        qtbot.waitUntil(lambda: panel.score_button.isEnabled(), timeout=10_000)
        assert panel.scores is None
        assert panel.jobs.label.text() == "Cancelled."
        assert not panel.jobs.cancel_button.isVisible()
    finally:
        panel.shutdown()


def _index_with(context: Any, model_id: str) -> None:
    engine = context.engine
    encoder = context.load_encoder(model_id)
    with engine.library(write=True) as library:
        engine.indexer(library, encoder).run([context.photo_folder])


def _checked(qtbot: QtBot, panel: TaggingPanel, action: Any) -> None:
    with qtbot.waitSignal(panel.modelChecked, timeout=10_000):
        action()


def test_the_model_follows_the_shared_choice_and_the_language_is_checked(
    qtbot: QtBot, tiny_cn_clip: Any, indexed_context: Any,
) -> None:
    context = indexed_context
    english = context.current_model_id()
    panel = make_panel(qtbot, context)
    try:
        # Chinese labels, only the English model indexed: a warning, and the fix is to index
        _checked(qtbot, panel, lambda: panel.editor.set_labels_text("蓝色\n红色"))
        assert panel.model_id() == english
        assert panel.language_box.isVisible()
        assert "does not read Chinese" in panel.language_label.text()
        assert panel.fix_button.text() == f"Index with {tiny_cn_clip.display_name}…"
        with qtbot.waitSignal(panel.indexWithRequested, timeout=2_000) as asked:
            panel.fix_button.click()
        assert asked.args == [tiny_cn_clip.model_id]
        # English labels: no warning
        _checked(qtbot, panel, lambda: panel.editor.set_labels_text("blue\nred"))
        assert not panel.language_box.isVisible()

        # once the Chinese model has photos, "Automatic" scores Chinese labels with it
        _index_with(context, tiny_cn_clip.model_id)
        with qtbot.waitSignal(panel.factsRefreshed, timeout=10_000):
            panel.refresh_facts()
        assert [panel.model_combo.itemData(i) for i in range(panel.model_combo.count())] == [
            "auto", english, tiny_cn_clip.model_id]
        _checked(qtbot, panel, lambda: panel.editor.set_labels_text("蓝色\n红色"))
        assert panel.model_id() == tiny_cn_clip.model_id
        assert not panel.language_box.isVisible()
        assert panel.model_note.text() == \
            f"Scored with: {tiny_cn_clip.display_name}, it reads Chinese"

        # choosing the English model here chooses it everywhere, and warns with "Use ..."
        index = panel.model_combo.findData(english)
        _checked(qtbot, panel, lambda: (panel.model_combo.setCurrentIndex(index),
                                        panel.model_combo.activated.emit(index)))
        assert context.search_mode() == english
        assert panel.fix_button.text() == f"Use {tiny_cn_clip.display_name}"
        with qtbot.waitSignal(panel.scoresReady, timeout=30_000):
            assert panel.score_photos()
        assert panel.scores is not None and panel.scores.model_id == english
        assert panel.language_box.isVisible()  # scored anyway: the warning stays
        qtbot.waitUntil(lambda: panel.score_button.isEnabled(), timeout=5_000)
        _checked(qtbot, panel, panel.fix_button.click)
        assert context.search_mode() == tiny_cn_clip.model_id
        assert panel.mode() == tiny_cn_clip.model_id and not panel.language_box.isVisible()

        # chosen elsewhere (a search panel): the tagging panel shows it
        _checked(qtbot, panel, lambda: context.set_search_mode("auto"))
        assert panel.mode() == "auto"
        both = f"{english}+{tiny_cn_clip.model_id}"
        _checked(qtbot, panel, lambda: context.set_search_mode(both))
        assert panel.mode() == both and panel.model_id() == tiny_cn_clip.model_id
    finally:
        panel.shutdown()


def _auto_tags(context: Any) -> set[tuple[int, str, float | None]]:
    library = context.library()
    return {(t.file_id, t.label, t.score) for tags in library.tags(library.file_ids()).values()
            for t in tags if t.source is TagSource.AUTO}


def test_save_asks_first_and_undo_puts_back_what_was_there(
    qtbot: QtBot, indexed_context: Any,
) -> None:
    context = indexed_context
    panel = make_panel(qtbot, context)
    try:
        ids = [int(i) for i in context.library().file_ids()]
        with context.engine.library(write=True) as writer:
            writer.replace_tags({ids[0]: {"dog": 0.5}, ids[1]: {"sky": 0.1}}, model_id="m")
            writer.set_tags(ids[0], ["dog"])  # manual
        before = _auto_tags(context)
        with qtbot.waitSignal(panel.factsRefreshed, timeout=10_000):
            panel.refresh_facts()
        assert not panel.undo_button.isEnabled()  # nothing journaled yet

        panel.editor.set_labels_text("dog\ncat")
        score(qtbot, panel)
        panel.set_rule(None, None)
        questions: list[str] = []
        panel.ask = lambda _title, question: questions.append(question) is not None  # "no"
        assert panel.save_tags()
        qtbot.waitUntil(lambda: bool(questions), timeout=10_000)
        assert "(1 earlier automatic tags of these labels are replaced.)" in questions[0]
        assert "20 photos are scored" in questions[0]
        assert _auto_tags(context) == before and panel.jobs.label.text() == "Nothing was saved."

        panel.ask = lambda _title, _question: True
        with qtbot.waitSignal(panel.tagsSaved, timeout=20_000):
            assert panel.save_tags()
        assert _auto_tags(context) != before
        qtbot.waitUntil(lambda: panel.undo_button.isEnabled(), timeout=10_000)
        assert "saving tags “dog”, “cat”" in panel.undo_button.toolTip()
    finally:
        panel.shutdown()

    # "a restart": a new panel over a reopened library still offers the undo
    context.close_library()
    panel = make_panel(qtbot, context)
    try:
        qtbot.waitUntil(lambda: panel.undo_button.isEnabled(), timeout=10_000)
        with qtbot.waitSignal(panel.undone, timeout=20_000) as undone:
            qtbot.keyClick(panel.tag_table, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
        assert undone.args[0] is not None and undone.args[0].photos == 20
        assert _auto_tags(context) == before
        assert {t.label for t in context.library().tags([ids[0]])[ids[0]]
                if t.source is TagSource.MANUAL} == {"dog"}
        qtbot.waitUntil(lambda: not panel.undo_button.isEnabled(), timeout=10_000)
        assert panel.jobs.label.text().startswith("Undone: saving tags “dog”, “cat”")
    finally:
        panel.shutdown()


def test_the_save_question_is_one_sentence_in_the_ui_language(
    qtbot: QtBot, app_context: Any, qapp: Any,
) -> None:
    """「为 1,593 张照片加上“蓝色”？」: the list and its question mark come from the translation,
    never a half-width "?" glued on in the code."""
    from clipdesk.core.tagging import SavePlan
    from clipdesk.gui.i18n import install_translators

    plan = SavePlan("m", photos=2000, tagged=1700, counts={"蓝色": 1593, "红色": 107},
                    replaced={"蓝色": 12})
    panel = make_panel(qtbot, app_context)
    try:
        english = panel.save_question(plan)
        assert english.startswith("Tag 1,593 photos “蓝色”,\nTag 107 photos “红色”?\n\n")
        install_translators(qapp, "zh_CN")
        chinese = panel.save_question(plan)
        first = chinese.split("\n\n")[0]
        assert first.endswith("？") and "?" not in chinese and "1,593" in first
    finally:
        install_translators(qapp, "en")
        panel.shutdown()
