"""Arranging results without searching again: sort, stacks, folders, thumbnail size, the header,
the focus frame, and the full path of every tile."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from PIL import Image
from PySide6.QtCore import QSettings, Qt
from PySide6.QtGui import QColor, QImage, QPainter, QPalette
from PySide6.QtWidgets import QStyle, QStyleOptionViewItem
from pytestqt.qtbot import QtBot

from clipdesk.core.stacks import Stack
from clipdesk.core.thumbnails import ThumbnailCache
from clipdesk.core.types import FileStatus, Photo, SearchHit
from clipdesk.gui.results.delegate import DEFAULT_ICON_SIZE, ResultDelegate
from clipdesk.gui.results.header import ResultsHeader
from clipdesk.gui.results.model import ResultRole, ResultsModel, SortKey
from clipdesk.gui.results.thumbs import ThumbnailLoader, ThumbRequest
from clipdesk.gui.results.view import ResultsView

# name, folder, date taken, content hash
PHOTOS = [
    ("b.jpg", "/lib/zoo", datetime(2020, 1, 1), "h1"),
    ("a.jpg", "/lib/beach", datetime(2023, 5, 1), "h2"),
    ("b.jpg", "/lib/beach", None, "h1"),  # a copy of the first, same name elsewhere
    ("c.jpg", "/lib/attic", datetime(2021, 3, 3), "h3"),
    ("d.jpg", "/lib/zoo", datetime(2022, 2, 2), "h4"),  # a burst shot of a.jpg (see STACKS)
]


def make_results(n: int = len(PHOTOS)) -> tuple[list[SearchHit], dict[int, Photo]]:
    hits, photos = [], {}
    for i, (name, folder, taken, digest) in enumerate(PHOTOS[:n]):
        path = Path(folder) / name
        hits.append(SearchHit(i + 1, path, 0.9 - i / 10, i + 1))
        photos[i + 1] = Photo(i + 1, 1, path, 10, (i + 1) * 10**9, 4, 3, taken, FileStatus.OK,
                              content_hash=digest)
    return hits, photos


def stacks_of(hits: list[SearchHit]) -> list[Stack]:
    """1 with its copy 3; 2 with its burst shot 5; 4 alone."""
    return [Stack(hits[0], (hits[2],)), Stack(hits[1], (hits[4],)), Stack(hits[3])]


def column(model: ResultsModel, role: int) -> list[Any]:
    return [model.data(model.index(r, 0), role) for r in range(model.rowCount())]


def ids(model: ResultsModel) -> list[int]:
    return column(model, ResultRole.FILE_ID)


@pytest.fixture
def model(qtbot: QtBot) -> ResultsModel:
    model = ResultsModel()
    hits, photos = make_results()
    model.set_results(hits, photos, stacks=stacks_of(hits))
    return model


# -- the model -----------------------------------------------------------------------------------


def test_stacks_show_their_head_with_the_count(model: ResultsModel) -> None:
    assert ids(model) == [1, 2, 4]
    assert column(model, ResultRole.STACK_SIZE) == [2, 2, 1]
    assert model.photo_count() == 5 and [i.file_id for i in model.all_items()] == [1, 2, 3, 4, 5]
    assert [i.file_id for i in model.stack_items(1)] == [2, 5]
    tooltip = model.data(model.index(0, 0), Qt.ItemDataRole.ToolTipRole)
    assert "/lib/zoo/b.jpg" in tooltip and "2 near-identical photos in this stack" in tooltip


def test_opening_a_stack_inserts_its_photos_after_the_head(qtbot: QtBot,
                                                          model: ResultsModel) -> None:
    with qtbot.waitSignal(model.rowsInserted) as inserted:
        assert model.toggle_stack(1)
    assert inserted.args[1:] == [2, 2]
    assert ids(model) == [1, 2, 5, 4]
    assert column(model, ResultRole.STACK_OPEN) == [False, True, False, False]
    assert column(model, ResultRole.STACK_HEAD) == [None, None, 2, None]
    assert model.stack_head_row(2) == 1 and model.is_stack_open(2)
    with qtbot.waitSignal(model.rowsRemoved):
        assert model.toggle_stack(2)  # from inside the stack: closes it
    assert ids(model) == [1, 2, 4]
    assert not model.toggle_stack(2)  # 4 is alone


def test_open_stacks_stay_open_when_the_search_runs_again(model: ResultsModel) -> None:
    model.open_stack(0)
    hits, photos = make_results()
    model.set_results(hits, photos, stacks=stacks_of(hits))
    assert ids(model) == [1, 3, 2, 4]


def test_stacking_off_shows_every_photo(model: ResultsModel) -> None:
    model.set_stacking(False)
    assert ids(model) == [1, 2, 3, 4, 5]
    assert column(model, ResultRole.STACK_SIZE) == [1] * 5
    model.set_stacking(True)
    assert ids(model) == [1, 2, 4]


def test_copies_stack_by_their_hash_when_no_stacks_are_given(qtbot: QtBot) -> None:
    model = ResultsModel()
    hits, photos = make_results()
    model.set_results(hits, photos)
    assert ids(model) == [1, 2, 4, 5]  # 3 is a copy of 1 (same content hash)


@pytest.mark.parametrize(("key", "expected"), [
    (SortKey.SCORE, [1, 2, 4]),
    (SortKey.DATE, [2, 4, 1]),  # heads by date taken, newest first: 2023, 2021, 2020
    (SortKey.NAME, [2, 1, 4]),
    (SortKey.FOLDER, [4, 2, 1]),
])
def test_sorting_orders_stacks_by_their_head(model: ResultsModel, key: SortKey,
                                             expected: list[int]) -> None:
    model.set_sort_key(key)
    assert ids(model) == expected
    assert model.photo_count() == 5


def test_sorting_keeps_the_selection_and_does_not_reset(qtbot: QtBot) -> None:
    model = ResultsModel()
    hits, photos = make_results()
    model.set_results(hits, photos, stacks=[])  # no stacks: five rows
    view = ResultsView()
    qtbot.addWidget(view)
    view.setModel(model)
    view.setCurrentIndex(model.index(3, 0))  # c.jpg in /lib/attic
    resets: list[object] = []
    model.modelReset.connect(lambda: resets.append(1))
    model.set_sort_key(SortKey.FOLDER)
    assert ids(model) == [4, 2, 3, 1, 5]
    assert resets == []
    assert view.currentIndex().row() == 0
    assert [i.file_id for i in view.selected_items()] == [4]
    model.set_sort_key(SortKey.NAME)
    assert [model.item(r).path.name for r in range(5)] == ["a.jpg", "b.jpg", "b.jpg", "c.jpg",
                                                            "d.jpg"]
    assert ids(model)[1:3] == [3, 1]  # same name: by folder (beach before zoo)


def test_undated_photos_go_last_by_date(qtbot: QtBot) -> None:
    model = ResultsModel()
    hits, photos = make_results()
    photos[5] = Photo(5, 1, hits[4].path, 10, 0, 4, 3, None, FileStatus.OK)  # no date at all
    model.set_results(hits, photos, stacks=[])
    model.set_sort_key(SortKey.DATE)
    assert ids(model) == [2, 4, 1, 3, 5]  # 3 has the file's time (1970): dated, oldest


def test_the_folder_role_and_plain_full_path_tooltip(qtbot: QtBot) -> None:
    model = ResultsModel()
    path = Path("/lib/<b>odd</b>/x.jpg")
    model.set_results([SearchHit(1, path, 0.5, 1)])
    index = model.index(0, 0)
    assert model.data(index, ResultRole.FOLDER) == "/lib/<b>odd</b>"
    tooltip = model.data(index, Qt.ItemDataRole.ToolTipRole)
    assert "/lib/&lt;b&gt;odd&lt;/b&gt;/x.jpg" in tooltip and "<b>" not in tooltip
    assert "white-space:pre" in tooltip  # a long path stays on one line


def test_undecodable_bytes_are_shown_escaped(qtbot: QtBot) -> None:
    model = ResultsModel()
    path = Path("/lib/caf\udce9/x.jpg")  # a Latin-1 byte in a UTF-8 file system
    model.set_results([SearchHit(1, path, 0.5, 1)])
    index = model.index(0, 0)
    assert "\\xe9" in model.data(index, ResultRole.FOLDER)
    assert "\\xe9" in model.data(index, Qt.ItemDataRole.ToolTipRole)


# -- the delegate --------------------------------------------------------------------------------


def paint(delegate: ResultDelegate, model: ResultsModel, row: int,
          state: QStyle.StateFlag) -> tuple[QImage, QStyleOptionViewItem]:
    option = QStyleOptionViewItem()
    size = delegate.cell_size(option.fontMetrics)
    canvas = QImage(size, QImage.Format.Format_ARGB32)
    canvas.fill(Qt.GlobalColor.white)
    option.rect = canvas.rect()
    option.state = state
    option.palette.setColor(QPalette.ColorRole.Highlight, QColor(200, 30, 30))
    painter = QPainter(canvas)
    delegate.paint(painter, option, model.index(row, 0))
    painter.end()
    return canvas, option


def test_the_current_item_has_a_2px_focus_frame_in_the_highlight_colour(
        model: ResultsModel) -> None:
    delegate = ResultDelegate(icon_size=64)
    plain, _ = paint(delegate, model, 2, QStyle.StateFlag.State_Enabled)
    focused, option = paint(delegate, model, 2,
                            QStyle.StateFlag.State_Enabled | QStyle.StateFlag.State_HasFocus)
    middle = option.rect.height() // 2
    for x in (0, 1):  # the frame is 2 px wide, on the edge of the cell
        assert QColor(focused.pixel(x, middle)).red() > 150
        assert QColor(focused.pixel(x, middle)).green() < 100
        assert QColor(plain.pixel(x, middle)) == QColor(Qt.GlobalColor.white)


def test_stack_badge_and_folder_line_are_painted(model: ResultsModel) -> None:
    delegate = ResultDelegate(icon_size=64)
    option = QStyleOptionViewItem()
    one_line = delegate.cell_size(option.fontMetrics)
    delegate.set_show_folder(True)
    two_lines = delegate.cell_size(option.fontMetrics)
    assert two_lines.height() == one_line.height() + option.fontMetrics.height()
    canvas, option = paint(delegate, model, 0, QStyle.StateFlag.State_Enabled)
    badge = delegate.stack_badge_rect(option.rect, 2, option.fontMetrics).toRect()
    dark = [QColor(canvas.pixel(x, badge.center().y())).lightness()
            for x in range(badge.left() + 2, badge.right() - 2)]
    assert min(dark) < 100  # a dark pill with light text
    alone, _ = paint(delegate, model, 2, QStyle.StateFlag.State_Enabled)  # no badge there
    assert min(QColor(alone.pixel(x, badge.center().y())).lightness()
               for x in range(badge.left() + 2, badge.right() - 2)) > 150
    folder_row = option.rect.bottom() - option.fontMetrics.height() // 2 - 2
    inked = [x for x in range(option.rect.width())
             if QColor(canvas.pixel(x, folder_row)).lightness() < 230]
    assert inked  # "/lib/zoo" is written under the name


# -- the view ------------------------------------------------------------------------------------


@pytest.fixture
def shown_view(qtbot: QtBot, model: ResultsModel) -> ResultsView:
    view = ResultsView()
    qtbot.addWidget(view)
    view.setModel(model)
    view.resize(600, 400)
    view.show()
    qtbot.waitExposed(view)
    return view


def test_a_click_on_the_badge_opens_and_closes_the_stack(qtbot: QtBot, shown_view: ResultsView,
                                                         model: ResultsModel) -> None:
    view = shown_view
    head = model.index(1, 0)
    qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton,
                     pos=view.stack_badge_center(head))
    assert ids(model) == [1, 2, 5, 4]
    assert view.selected_items() == []  # the badge click selects nothing
    qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton,
                     pos=view.stack_badge_center(model.index(1, 0)))
    assert ids(model) == [1, 2, 4]
    qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton,
                     pos=view.visual_rect_of_row(1).center())  # elsewhere: selects
    assert [i.file_id for i in view.selected_items()] == [2]


def test_context_menu_shows_all_and_toggles_folders(qtbot: QtBot, shown_view: ResultsView,
                                                   model: ResultsModel) -> None:
    view = shown_view
    menu = view.build_context_menu(model.index(0, 0))
    assert menu is not None
    action = view.context_action(menu, "toggle_stack")
    assert action is not None and "2" in action.text()
    action.trigger()
    assert ids(model) == [1, 3, 2, 4]
    menu = view.build_context_menu(model.index(1, 0))  # inside the open stack
    view.context_action(menu, "toggle_stack").trigger()
    assert ids(model) == [1, 2, 4]
    assert view.context_action(view.build_context_menu(model.index(2, 0)),
                               "toggle_stack") is None  # a photo alone
    folders = view.context_action(menu, "show_folders")
    assert folders is not None and folders.isCheckable() and not view.show_folder
    height = view.gridSize().height()
    with qtbot.waitSignal(view.showFolderChanged):
        folders.trigger()
    assert view.show_folder and view.gridSize().height() > height


def test_zoom_shortcuts_on_the_grid(qtbot: QtBot, shown_view: ResultsView) -> None:
    view = shown_view
    view.setFocus()
    qtbot.waitUntil(view.hasFocus)
    start = view.icon_size
    qtbot.keyClick(view, Qt.Key.Key_Plus, Qt.KeyboardModifier.ControlModifier)
    assert view.icon_size > start
    qtbot.keyClick(view, Qt.Key.Key_Minus, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClick(view, Qt.Key.Key_Minus, Qt.KeyboardModifier.ControlModifier)
    assert view.icon_size < start
    qtbot.keyClick(view, Qt.Key.Key_0, Qt.KeyboardModifier.ControlModifier)
    assert view.icon_size == DEFAULT_ICON_SIZE
    view.set_icon_size(10_000)
    assert view.icon_size == 384  # within the sizes offered


def test_turning_stacking_off_keeps_the_current_photo(qtbot: QtBot, shown_view: ResultsView,
                                                      model: ResultsModel) -> None:
    view = shown_view
    view.setCurrentIndex(model.index(2, 0))  # file 4
    view.set_stacking(False)
    assert ids(model) == [1, 2, 3, 4, 5]
    assert view.currentIndex().data(ResultRole.FILE_ID) == 4
    assert [i.file_id for i in view.selected_items()] == [4]


def test_old_thumbnails_stay_until_the_new_size_arrives(qtbot: QtBot, tmp_path: Path) -> None:
    path = tmp_path / "p.jpg"
    Image.new("RGB", (300, 200), (10, 200, 30)).save(path)
    loader = ThumbnailLoader(ThumbnailCache(tmp_path / "thumbs", size=256))
    try:
        request = ThumbRequest.for_photo(path, None)
        loader.set_target(128)
        with qtbot.waitSignal(loader.thumbnailReady, timeout=10_000):
            assert loader.pixmap(request) is None
        old = loader.pixmap(request)
        assert old is not None and old.width() == 128
        loader.set_target(192)
        with qtbot.waitSignal(loader.thumbnailReady, timeout=10_000):
            assert loader.pixmap(request) is old  # shown (scaled) meanwhile
        fresh = loader.pixmap(request)
        assert fresh is not None and fresh.width() == 192
    finally:
        loader.shutdown()


# -- the header ----------------------------------------------------------------------------------


def make_header(qtbot: QtBot, model: ResultsModel, settings: QSettings | None = None
                ) -> ResultsHeader:
    view = ResultsView()
    qtbot.addWidget(view)
    view.setModel(model)
    header = ResultsHeader(model, view, settings=settings)
    qtbot.addWidget(header)
    return header


def test_header_counts_photos(qtbot: QtBot) -> None:
    model = ResultsModel()
    header = make_header(qtbot, model)
    assert header.count_label.text() == "No photos"
    hits, photos = make_results(1)
    model.set_results(hits, photos)
    assert header.count_label.text().startswith("1 photo")
    assert "best match 0.90" in header.count_label.text()
    hits, photos = make_results()
    model.set_results(hits, photos, stacks=stacks_of(hits))
    text = header.count_label.text()
    assert text.startswith("5 photo") and "2 in stacks" in text, text
    model.open_stack(0)
    assert "1 in a stack" in header.count_label.text()
    header.stack_button.setChecked(False)
    assert "in stacks" not in header.count_label.text() and model.rowCount() == 5


def test_header_sorts_and_sizes(qtbot: QtBot, model: ResultsModel) -> None:
    header = make_header(qtbot, model)
    header.sort_combo.setCurrentIndex(header.sort_combo.findData(SortKey.NAME.value))
    assert model.sort_key() == SortKey.NAME and ids(model) == [2, 1, 4]
    header.size_slider.setValue(256)
    assert header.view.icon_size == 256
    header.view.zoom(-1)  # Ctrl+- moves the slider too
    assert header.size_slider.value() == 224


def test_header_remembers_the_view_settings(qtbot: QtBot, tmp_path: Path,
                                            model: ResultsModel) -> None:
    settings = QSettings(str(tmp_path / "window.ini"), QSettings.Format.IniFormat)
    header = make_header(qtbot, model, settings)
    assert header.view.icon_size == DEFAULT_ICON_SIZE and model.is_stacking()
    header.size_slider.setValue(224)
    header.view.show_folder_action.trigger()
    header.stack_button.setChecked(False)
    settings.sync()
    again = ResultsModel()
    restored = make_header(qtbot, again,
                           QSettings(str(tmp_path / "window.ini"), QSettings.Format.IniFormat))
    assert restored.view.icon_size == 224
    assert restored.view.show_folder and restored.folder_button.isChecked()
    assert not again.is_stacking() and not restored.stack_button.isChecked()


# -- in the search panel -------------------------------------------------------------------------


def test_search_panel_stacks_with_the_stored_vectors(qtbot: QtBot, indexed_context: Any,
                                                     tmp_path: Path) -> None:
    from clipdesk.gui.panels.text_search import TextSearchPanel

    panel = TextSearchPanel(indexed_context)
    qtbot.addWidget(panel)
    layout = panel.layout()
    order = [layout.itemAt(i).widget() for i in range(layout.count())]
    assert order.index(panel.header) == order.index(panel.view) - 1  # just above the grid
    with qtbot.waitSignal(panel.searchFinished, timeout=60_000):
        panel.set_query_text("a photo")
    outcome = panel.last_outcome
    assert outcome is not None and outcome.stacks is not None
    stacked = sorted(h.file_id for s in outcome.stacks for h in s.hits)
    assert stacked == sorted(h.file_id for h in outcome.hits) and len(stacked) == 20
    assert panel.results.rowCount() == len(outcome.stacks)
    assert panel.results.photo_count() == 20
    panel.header.stack_button.setChecked(False)
    assert panel.results.rowCount() == 20
