"""The text search panel end to end: real engine, tiny model, 20 coco-mini photos indexed."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from clipdesk.core.search import Query
from clipdesk.gui.panels.search_base import Outcome, SearchOutcome
from clipdesk.gui.panels.text_search import TextSearchPanel
from clipdesk.gui.results.model import ResultRole


def make_panel(qtbot: QtBot, context: Any) -> TextSearchPanel:
    panel = TextSearchPanel(context)
    qtbot.addWidget(panel)
    panel.resize(900, 700)
    panel.show()
    # the tiny models' random vectors are all near-identical: one row per photo, unstacked
    panel.view.set_stacking(False)
    return panel


def search(qtbot: QtBot, panel: TextSearchPanel, text: str) -> None:
    panel.query_edit.clear()
    qtbot.keyClicks(panel.query_edit, text)
    with qtbot.waitSignal(panel.searchFinished, timeout=20_000):
        qtbot.keyClick(panel.query_edit, Qt.Key.Key_Return)


def column(panel: TextSearchPanel, role: int) -> list[Any]:
    model = panel.results
    return [model.data(model.index(r, 0), role) for r in range(model.rowCount())]


def test_typed_query_gives_ranked_results(qtbot: QtBot, indexed_context: Any) -> None:
    panel = make_panel(qtbot, indexed_context)
    try:
        search(qtbot, panel, "a dog on the beach")
        assert panel.last_outcome is not None
        assert panel.last_outcome.outcome == Outcome.RESULTS
        scores = column(panel, ResultRole.SCORE)
        assert len(scores) == 20
        assert scores == sorted(scores, reverse=True)
        assert column(panel, ResultRole.RANK) == list(range(1, 21))
        paths = column(panel, ResultRole.PATH)
        assert all(Path(p).parent == indexed_context.photo_folder for p in paths)
        photo = panel.results.data(panel.results.index(0, 0), ResultRole.PHOTO)
        assert photo is not None and photo.content_hash  # metadata for thumbnails and preview
        # the same ranking as the core gives
        searcher = indexed_context.engine.searcher(indexed_context.library())
        expected = searcher.search(Query(text="a dog on the beach", top_k=200)).hits
        assert column(panel, ResultRole.FILE_ID) == [h.file_id for h in expected]
        # top-k
        with qtbot.waitSignal(panel.searchFinished, timeout=20_000):
            panel.options.top_k_spin.setValue(5)
        assert panel.results.rowCount() == 5
    finally:
        panel.shutdown()


def test_threshold_slider_changes_live_count(qtbot: QtBot, indexed_context: Any) -> None:
    panel = make_panel(qtbot, indexed_context)
    try:
        search(qtbot, panel, "kitchen")
        assert panel.match_count is None  # threshold off: no count
        scores = column(panel, ResultRole.SCORE)
        searcher = indexed_context.engine.searcher(indexed_context.library())
        model_id = indexed_context.current_model_id()
        counts = []
        for value in (scores[-1] - 0.005, scores[len(scores) // 2], scores[0] + 0.01):
            threshold = round(value, 2)
            with qtbot.waitSignal(panel.countFinished, timeout=20_000):
                panel.options.set_threshold(threshold)
            plan = searcher.plan(Query(text="kitchen"), model_id)
            expected = searcher.count(plan, threshold)[model_id]
            assert panel.match_count == expected
            assert str(expected) in panel.options.count_label.text()
            counts.append(expected)
        assert len(set(counts)) > 1  # the live number moved with the slider
        # the grid follows the threshold too
        qtbot.waitUntil(
            lambda: panel.results.rowCount() == counts[-1] and not panel._search_timer.isActive(),
            timeout=20_000,
        )
    finally:
        panel.shutdown()


def test_negative_terms_and_filters(qtbot: QtBot, indexed_context: Any, tmp_path: Path) -> None:
    panel = make_panel(qtbot, indexed_context)
    try:
        assert "-" in panel.hint_label.text()
        search(qtbot, panel, "a street")
        plain = column(panel, ResultRole.FILE_ID)
        search(qtbot, panel, "a street -car")
        assert sorted(column(panel, ResultRole.FILE_ID)) == sorted(plain)
        assert column(panel, ResultRole.SCORE) != []
        # a folder with none of the photos
        empty = tmp_path / "elsewhere"
        empty.mkdir()
        with qtbot.waitSignal(panel.searchFinished, timeout=20_000):
            panel.filters.set_folder(empty)
        assert panel.results.rowCount() == 0
        assert "No photos match" in panel.view.empty_message
        with qtbot.waitSignal(panel.searchFinished, timeout=20_000):
            panel.filters.set_folder(indexed_context.photo_folder)
        assert panel.results.rowCount() == 20
        # dates: everything was taken (or saved) before next year
        with qtbot.waitSignal(panel.searchFinished, timeout=20_000):
            panel.filters.date_from.setDate(
                panel.filters.date_from.date().currentDate().addYears(1)
            )
        assert panel.results.rowCount() == 0
        with qtbot.waitSignal(panel.searchFinished, timeout=20_000):
            panel.filters.reset()
        assert panel.results.rowCount() == 20
    finally:
        panel.shutdown()


def test_empty_states(qtbot: QtBot, app_context: Any) -> None:
    panel = make_panel(qtbot, app_context)
    try:
        assert "Type what you are looking for" in panel.view.empty_message
        search(qtbot, panel, "sunset")
        assert panel.last_outcome is not None
        assert panel.last_outcome.outcome == Outcome.NOTHING_INDEXED
        assert "Nothing is indexed yet" in panel.view.empty_message
        with qtbot.waitSignal(panel.searchFinished, timeout=20_000):
            qtbot.keyClicks(panel.query_edit, " -")  # still a query: typed, so searched again
        panel.query_edit.clear()
        qtbot.waitUntil(lambda: "Type what" in panel.view.empty_message, timeout=5000)
    finally:
        panel.shutdown()


def test_nothing_indexed_gives_way_as_indexing_goes_on(
    qtbot: QtBot, app_context: Any, coco_photos: Any,
) -> None:
    """Folders added but no photo indexed yet: the grid says indexing will fill it; once photos
    are in, it asks for a query instead of repeating "nothing is indexed"."""
    panel = make_panel(qtbot, app_context)
    try:
        folder = coco_photos(3)
        with app_context.engine.store.writer() as lib:
            lib.add_root(folder)
        qtbot.waitUntil(lambda: "No photo is indexed yet" in panel.view.empty_message,
                        timeout=20_000)
        app_context.engine.index(model_id=app_context.current_model_id())
        qtbot.waitUntil(lambda: "Type what you are looking for" in panel.view.empty_message,
                        timeout=20_000)
    finally:
        panel.shutdown()


def test_model_loads_then_search_runs(qtbot: QtBot, indexed_context: Any) -> None:
    """A context whose model is not loaded yet: the panel asks for it and searches when ready."""
    from clipdesk.core.engine import Engine
    from clipdesk.gui.context import AppContext

    engine = Engine(indexed_context.engine.paths)
    engine.settings = indexed_context.engine.settings
    context = AppContext(engine)
    panel = make_panel(qtbot, context)
    try:
        search(qtbot, panel, "a cat")
        assert panel.last_outcome is not None
        assert panel.last_outcome.outcome == Outcome.MODEL_NOT_READY
        assert "Loading the model" in panel.view.empty_message
        qtbot.waitUntil(lambda: panel.results.rowCount() == 20, timeout=60_000)
    finally:
        panel.shutdown()
        context.shutdown(10_000)


def test_only_the_newest_search_is_shown_and_library_changes_rerun(
    qtbot: QtBot, indexed_context: Any
) -> None:
    panel = make_panel(qtbot, indexed_context)
    try:
        search(qtbot, panel, "a bus")
        stale = SearchOutcome(Outcome.RESULTS)  # an older search finishing late: no rows
        panel._apply(panel._search_seq - 1, stale)
        assert panel.results.rowCount() == 20
        with qtbot.waitSignal(panel.searchFinished, timeout=20_000):
            indexed_context.notify_library_changed()
        assert panel.results.rowCount() == 20
    finally:
        panel.shutdown()


def test_union_of_two_models_and_auto_routing(
    qtbot: QtBot, indexed_context: Any, tiny_cn_clip: Any
) -> None:
    engine = indexed_context.engine
    encoder = indexed_context.load_encoder(tiny_cn_clip.model_id)
    with engine.library(write=True) as library:
        engine.indexer(library, encoder).run(None)
    panel = make_panel(qtbot, indexed_context)
    try:
        first = indexed_context.current_model_id()
        union = f"{first}+{tiny_cn_clip.model_id}"
        qtbot.waitUntil(lambda: panel.model_combo.findData(union) >= 0, timeout=10_000)
        assert panel.model_combo.findData(first) >= 0
        assert panel.model_combo.findData(tiny_cn_clip.model_id) >= 0
        panel.model_combo.set_mode(union)
        with qtbot.waitSignal(panel.searchFinished, timeout=20_000):
            panel.set_query_text("一只猫")  # (QTest cannot type non-ASCII keys)
        assert panel.last_outcome.model_ids == (first, tiny_cn_clip.model_id)
        assert panel.results.rowCount() == 20
        with qtbot.waitSignal(panel.countFinished, timeout=20_000):
            panel.options.set_threshold(-0.19)
        assert panel.match_count == 20
        assert panel.options.count_label.text().count(": 20") == 2  # one count per model
        with qtbot.waitSignal(panel.searchFinished, timeout=20_000):
            panel.model_combo.set_mode("auto")
        assert len(panel.last_outcome.model_ids) == 1
    finally:
        panel.shutdown()


def test_a_model_that_does_not_read_the_words_is_named_with_a_one_click_fix(
    qtbot: QtBot, indexed_context: Any, tiny_cn_clip: Any
) -> None:
    """Chinese words with the English-only model chosen: the panel says so and "Use <the
    Chinese model>" switches every panel to it; the two search panels share one choice."""
    engine = indexed_context.engine
    english = indexed_context.current_model_id()
    engine.index(model_id=tiny_cn_clip.model_id)
    panel = make_panel(qtbot, indexed_context)
    other = make_panel(qtbot, indexed_context)  # stands for the image search panel
    try:
        qtbot.waitUntil(lambda: panel.model_combo.findData(tiny_cn_clip.model_id) >= 0,
                        timeout=10_000)
        panel.model_combo.set_mode(english)
        assert indexed_context.search_mode() == english
        qtbot.waitUntil(lambda: other.model_combo.mode() == english, timeout=10_000)
        with qtbot.waitSignal(panel.searchFinished, timeout=20_000):
            panel.set_query_text("一只猫")
        assert len(panel.last_outcome.hits) == 20  # still searched
        assert "does not read Chinese" in panel.notice_label.text()
        assert panel.fix_button.isVisibleTo(panel)
        assert panel.fix_button.text() == f"Use {indexed_context.model_name(tiny_cn_clip.model_id)}"
        with qtbot.waitSignal(panel.searchFinished, timeout=20_000):
            panel.fix_button.click()
        assert panel.last_outcome.model_ids == (tiny_cn_clip.model_id,)
        assert indexed_context.search_mode() == tiny_cn_clip.model_id
        assert other.model_combo.mode() == tiny_cn_clip.model_id
        assert not panel.fix_button.isVisibleTo(panel) and not panel.notice_label.text()
    finally:
        panel.shutdown()
        other.shutdown()


def test_filter_bar_values(qtbot: QtBot, tmp_path: Path) -> None:
    from datetime import datetime

    from clipdesk.core.types import Root, RootState
    from clipdesk.gui.panels.filters import FilterBar, ModelModeCombo

    bar = FilterBar()
    qtbot.addWidget(bar)
    assert bar.values().root_ids is None and bar.values().folder is None
    roots = [Root(4, tmp_path / "a", RootState.ONLINE), Root(9, tmp_path / "b", RootState.OFFLINE)]
    bar.set_roots(roots)
    with qtbot.waitSignal(bar.changed):
        bar.set_folder(tmp_path / "b")
    assert bar.values().root_ids == (9,)
    with qtbot.waitSignal(bar.changed):
        bar.set_folder(tmp_path / "a" / "sub")
    assert bar.values().folder == tmp_path / "a" / "sub" and bar.values().root_ids is None
    bar.set_roots(roots[:1])  # refreshed: the chosen folder stays
    assert bar.values().folder == tmp_path / "a" / "sub"
    bar.date_from.set_value(datetime(2020, 5, 1))
    assert bar.values().date_from == datetime(2020, 5, 1)
    assert bar.values().date_to is None
    assert bar.date_to.text() == "Any date"
    with qtbot.waitSignal(bar.changed):
        bar.reset()
    assert bar.values() == type(bar.values())()

    combo = ModelModeCombo()
    qtbot.addWidget(combo)
    combo.set_models(["m:a", "m:b"], {"m:a": "Model A"})
    assert [combo.itemData(i) for i in range(combo.count())] == ["auto", "m:a", "m:b", "m:a+m:b"]
    assert combo.itemText(1) == "Model A"
    assert combo.mode() == "auto"
    assert combo.set_mode("m:b") and combo.mode() == "m:b"
    with qtbot.waitSignal(combo.modeChanged):
        combo.set_models(["m:a"], {})  # m:b is gone: back to auto, and said so
    assert combo.mode() == "auto"


def test_a_siglip_search_says_its_threshold_is_a_probability(
        qtbot: QtBot, app_context: Any, tiny_hf_folders: dict[str, Path], coco_photos: Any
) -> None:
    engine = app_context.engine
    siglip = engine.registry.import_model(tiny_hf_folders["siglip"], copy=False)
    engine.index([coco_photos(6)], model_id=siglip.model_id)
    app_context.load_encoder(siglip.model_id)
    panel = make_panel(qtbot, app_context)
    try:
        assert panel.options.scale_label.text() == "Similarity at least:"
        qtbot.waitUntil(lambda: panel.model_combo.findData(siglip.model_id) >= 0,
                        timeout=10_000)
        panel.model_combo.set_mode(siglip.model_id)
        search(qtbot, panel, "a dog")
        assert panel.last_outcome is not None and panel.last_outcome.probability
        assert panel.options.scale_label.text() == "Probability at least:"
        scores = column(panel, ResultRole.SCORE)
        assert len(scores) == 6 and all(0.0 < s < 1.0 for s in scores)
    finally:
        panel.shutdown()
