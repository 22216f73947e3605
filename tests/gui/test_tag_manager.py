"""Library ▸ Manage tags…: the list with counts, rename, merge, delete (asked first), undo, and
"Show photos" running the text search filtered by the tag; Edit ▸ Undo tag save; the tagging
panel's "Index with…" reaching the window."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import QSettings
from pytestqt.qtbot import QtBot

from clipdesk.core.store.records import TagChangeKind, TagCount
from clipdesk.gui.dialogs.tag_manager import TagManagerDialog
from clipdesk.gui.mainwindow import MainWindow


def make_dialog(qtbot: QtBot, context: Any) -> TagManagerDialog:
    dialog = TagManagerDialog(context)
    qtbot.addWidget(dialog)
    with qtbot.waitSignal(dialog.refreshed, timeout=10_000):
        dialog.show()
    return dialog


def act(qtbot: QtBot, dialog: TagManagerDialog, action: Any) -> Any:
    """Run ``action``, wait for its change and for the list to show the library as it is."""
    with qtbot.waitSignal(dialog.changed, timeout=20_000) as changed:
        assert action()
    library = dialog.context.library()
    qtbot.waitUntil(lambda: dialog.counts == library.tag_counts()
                    and (dialog.last_change == library.last_tag_change()), timeout=20_000)
    return changed.args[0]


def test_list_rename_merge_delete_and_undo(qtbot: QtBot, indexed_context: Any) -> None:
    context = indexed_context
    ids = [int(i) for i in context.library().file_ids()]
    with context.engine.library(write=True) as writer:
        writer.set_tags(ids[0], ["蓝色", "sea"])
        writer.replace_tags({ids[1]: {"蓝色": 0.3}, ids[2]: {"blue": 0.2}}, model_id="m")
    dialog = make_dialog(qtbot, context)
    assert dialog.counts == [TagCount("blue", 0, 1), TagCount("sea", 1, 0),
                             TagCount("蓝色", 1, 1)]
    assert dialog.table.item(2, 1).text() == "1" and dialog.table.item(2, 2).text() == "1"
    assert not dialog.undo_button.isEnabled()

    dialog.select(["蓝色"])
    assert dialog.rename_button.isEnabled() and not dialog.merge_button.isEnabled()
    dialog.ask_text = lambda _title, _prompt, _text: "blue "
    change = act(qtbot, dialog, dialog.rename_selected)
    assert change.kind is TagChangeKind.RENAME
    assert dialog.labels() == ["blue", "sea"]
    assert dialog.undo_button.isEnabled() and "renaming “蓝色” to “blue”" in \
        dialog.undo_button.toolTip()

    dialog.select(["blue", "sea"])
    assert dialog.merge_button.isEnabled() and not dialog.rename_button.isEnabled()
    dialog.ask_text = lambda _title, _prompt, _text: "海"
    act(qtbot, dialog, dialog.merge_selected)
    assert dialog.counts == [TagCount("海", 1, 2)]

    # delete asks with the counts; "no" changes nothing
    dialog.select(["海"])
    questions: list[str] = []
    dialog.confirm = lambda _title, question: questions.append(question) is not None
    assert not dialog.delete_selected()
    assert "Delete the tag “海” from 3 photos (1 tagged by you, 2 automatically)?" in \
        questions[0]
    dialog.confirm = lambda _title, _question: True
    act(qtbot, dialog, dialog.delete_selected)
    assert dialog.counts == [] and context.library().labels() == {}

    for expected in ({"海": 3}, {"blue": 3, "sea": 1}, {"蓝色": 2, "blue": 1, "sea": 1}):
        act(qtbot, dialog, dialog.undo)
        assert context.library().labels() == expected
    assert act(qtbot, dialog, dialog.undo) is None  # nothing more
    assert not dialog.undo_button.isEnabled()
    dialog.close()


def test_the_window_wires_tags_to_search_undo_and_indexing(
    qtbot: QtBot, indexed_context: Any, tmp_path: Path,
) -> None:
    context = indexed_context
    ids = [int(i) for i in context.library().file_ids()]
    with context.engine.library(write=True) as writer:
        writer.set_tags(ids[3], ["favourite"])
    window = MainWindow(context, QSettings(str(tmp_path / "w.ini"), QSettings.Format.IniFormat))
    qtbot.addWidget(window)
    window.show()
    try:
        menus = {a.text(): a.menu() for a in window.menuBar().actions()}
        assert "&Undo tag save" in [a.text() for a in menus["&Edit"].actions()]
        assert "Manage &tags…" in [a.text() for a in menus["&Library"].actions()]

        dialog = window.open_tag_manager()
        qtbot.waitUntil(lambda: dialog.labels() == ["favourite"], timeout=10_000)
        dialog.select(["favourite"])
        with qtbot.waitSignal(window.text_panel.searchFinished, timeout=20_000):
            dialog.show_button.click()
        assert window.tabs.currentWidget() is window.text_panel
        assert window.text_panel.filters.tag() == "favourite"
        assert window.text_panel.query_text() == "favourite"
        qtbot.waitUntil(lambda: window.text_panel.results.rowCount() == 1, timeout=20_000)
        dialog.close()

        # Edit > Undo tag save runs the tagging panel's undo
        with context.engine.library(write=True) as writer:
            writer.rename_tag("favourite", "best")
        with qtbot.waitSignal(window.tagging_panel.undone, timeout=20_000) as undone:
            window.undo_tags_action.trigger()
        assert undone.args[0].kind is TagChangeKind.RENAME
        assert context.library().labels() == {"favourite": 1}
        assert window.tabs.currentWidget() is window.tagging_panel

        # "Index with <model>…" asks, then makes that model current and indexes
        asked: list[str] = []
        window.confirm = lambda _title, question: asked.append(question) is not None  # no
        window.tagging_panel.indexWithRequested.emit("user:other")
        assert asked and "Index your photos with" in asked[0]
        assert context.current_model_id() != "user:other"
    finally:
        window.close_without_asking()
