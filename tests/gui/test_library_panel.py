"""The library sidebar: folder names told apart, full paths as tooltips, a readable layout."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pytestqt.qtbot import QtBot

from clipdesk.gui.panels.library import (
    COL_FOLDER,
    COL_PHOTOS,
    COL_STATE,
    LibraryPanel,
    folder_labels,
)


def test_folder_labels_add_just_enough_parent() -> None:
    paths = [Path("/a/x/Photos"), Path("/b/x/Photos"), Path("/c/Photos"), Path("/d/Other")]
    assert folder_labels(paths) == [("Photos", "a/x"), ("Photos", "b/x"), ("Photos", "c"),
                                    ("Other", "")]
    assert folder_labels([Path("/alice/Photos"), Path("/bob/Photos")]) == [
        ("Photos", "alice"), ("Photos", "bob")]
    assert folder_labels([Path("/x/caf\udce9")]) == [("caf\\xe9", "")]


def test_twin_folders_show_their_parent_and_every_row_its_full_path(
        qtbot: QtBot, app_context: Any, tmp_path: Path) -> None:
    from clipdesk.gui.indexing import IndexingController

    folders = [tmp_path / "alice" / "Photos", tmp_path / "bob" / "Photos",
               tmp_path / "x<b>odd"]
    for folder in folders:
        folder.mkdir(parents=True)
    with app_context.engine.library(write=True) as library:
        for folder in folders:
            library.add_root(folder)
    panel = LibraryPanel(app_context, IndexingController(app_context))
    qtbot.addWidget(panel)
    panel.resize(220, 300)
    panel.show()
    qtbot.waitUntil(lambda: panel.tree.topLevelItemCount() == 3, timeout=10_000)
    items = [panel.tree.topLevelItem(i) for i in range(3)]
    labels = sorted(item.text(COL_FOLDER) for item in items)
    assert labels == ["Photos — alice", "Photos — bob", "x<b>odd"]
    for item in items:
        root = panel._root_of(item)
        assert root is not None
        for column in (COL_FOLDER, COL_PHOTOS, COL_STATE):
            tip = item.toolTip(column)
            assert str(root.path).replace("<", "&lt;").replace(">", "&gt;") in tip
            assert "<b>" not in tip
    # a narrow sidebar: the state column takes at most about a third, the names the rest
    assert panel.tree.columnWidth(COL_STATE) <= panel.tree.viewport().width() * 35 // 100 + 1
    assert panel.tree.columnWidth(COL_FOLDER) >= 40
