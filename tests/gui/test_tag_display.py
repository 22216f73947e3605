"""Issue 6 in the search panels: tags on thumbnails and in the preview, the tag filter, and the
image→image table of the evaluation panel."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from PySide6.QtCore import QRect, QRectF, QSize
from PySide6.QtGui import QFont, QFontMetrics, QImage, QPainter
from PySide6.QtWidgets import QStyleOptionViewItem
from pytestqt.qtbot import QtBot

from clipdesk.core.engine import EvaluationRun
from clipdesk.core.evaluation import ClassComparison, ClassEvaluation
from clipdesk.core.store.records import Tag, TagSource
from clipdesk.core.types import SearchHit
from clipdesk.gui.panels.eval_views import table_values
from clipdesk.gui.panels.evaluation import EvaluationPanel
from clipdesk.gui.panels.filters import FilterBar
from clipdesk.gui.panels.text_search import TextSearchPanel
from clipdesk.gui.results.delegate import ResultDelegate, tag_chips
from clipdesk.gui.results.model import ResultRole, ResultsModel, tag_labels


def hits(n: int) -> list[SearchHit]:
    return [SearchHit(i, Path(f"/photos/{i}.jpg"), 0.5 - i / 100, i) for i in range(1, n + 1)]


def test_model_tags_role_and_tag_labels(qapp: Any) -> None:
    tags = {
        1: [Tag(1, "dog", TagSource.MANUAL), Tag(1, "beach", TagSource.AUTO, 0.3),
            Tag(1, "dog", TagSource.AUTO, 0.2)],
    }
    labels = tag_labels(tags)
    assert labels == {1: ("dog", "beach")}  # manual first, each label once
    model = ResultsModel()
    model.set_results(hits(2), None, labels)
    assert model.data(model.index(0, 0), ResultRole.TAGS) == ("dog", "beach")
    assert model.data(model.index(1, 0), ResultRole.TAGS) == ()
    assert model.item(0) is not None and model.item(0).tags == ("dog", "beach")


def test_tag_chips_are_few_elided_and_inside(qapp: Any) -> None:
    metrics = QFontMetrics(QFont())
    area = QRectF(0, 0, 150, 150)
    chips = tag_chips(("a very long label indeed, longer than a thumbnail", "b", "c", "d", "e"),
                      area, metrics)
    texts = [t for _, t in chips]
    assert 1 <= len(chips) <= 4
    assert texts[0].endswith("…")  # elided
    assert texts[-1].startswith("+")  # the tags left out are counted
    assert all(area.contains(rect) for rect, _ in chips)
    assert [t for _, t in tag_chips(("x", "y"), area, metrics)] == ["x", "y"]
    assert tag_chips((), area, metrics) == []


def paint(delegate: ResultDelegate, model: ResultsModel, row: int) -> QImage:
    size = QSize(172, 200)
    image = QImage(size, QImage.Format.Format_ARGB32)
    image.fill(0xFFFFFFFF)
    option = QStyleOptionViewItem()
    option.rect = QRect(0, 0, size.width(), size.height())
    painter = QPainter(image)
    option.fontMetrics = painter.fontMetrics()
    delegate.paint(painter, option, model.index(row, 0))
    painter.end()
    return image


def test_delegate_paints_tag_chips(qapp: Any) -> None:
    model = ResultsModel()
    model.set_results(hits(2), None, {1: ("dog", "beach")})
    delegate = ResultDelegate(show_score=False, show_name=False)
    tagged, plain = paint(delegate, model, 0), paint(delegate, model, 1)
    assert tagged != plain  # the chips are drawn
    delegate.show_tags = False
    assert paint(delegate, model, 0) == plain


def test_filter_bar_tag_combo(qtbot: QtBot) -> None:
    bar = FilterBar()
    qtbot.addWidget(bar)
    assert bar.values().tags == ()
    bar.set_labels({"猫": 3, "dog": 5})
    assert bar.tag_combo.count() == 3
    assert "5" in bar.tag_combo.itemText(bar.tag_combo.findData("dog"))
    with qtbot.waitSignal(bar.changed):
        bar.set_tag("dog")
    assert bar.values().tags == ("dog",)
    bar.set_labels({"dog": 6})  # kept
    assert bar.tag() == "dog"
    with qtbot.waitSignal(bar.changed):  # gone: back to any tag
        bar.set_labels({"猫": 3})
    assert bar.tag() is None and bar.values().tags == ()


def test_tag_filter_limits_text_search(qtbot: QtBot, indexed_context: Any) -> None:
    engine = indexed_context.engine
    all_ids = [int(i) for i in indexed_context.library().file_ids()]
    auto_ids, manual_id = all_ids[:3], all_ids[5]
    with engine.library(write=True) as library:
        library.replace_tags({i: {"seaside": 0.31} for i in auto_ids}, model_id="m")
        library.set_tags(manual_id, ["seaside", "holiday"])
    panel = TextSearchPanel(indexed_context)
    qtbot.addWidget(panel)
    panel.show()
    panel.view.set_stacking(False)  # the tiny model's random vectors are all near-identical
    try:
        panel.refresh_library_facts()
        qtbot.waitUntil(lambda: panel.filters.tag_combo.findData("seaside") > 0, timeout=10_000)
        panel.query_edit.setText("a dog on the beach")
        with qtbot.waitSignal(panel.searchFinished, timeout=20_000):
            panel.search_now()
        assert panel.results.rowCount() == 20
        with qtbot.waitSignal(panel.searchFinished, timeout=20_000):
            panel.filters.set_tag("seaside")
        model = panel.results
        rows = range(model.rowCount())
        ids = [model.data(model.index(r, 0), ResultRole.FILE_ID) for r in rows]
        assert sorted(ids) == sorted([*auto_ids, manual_id])
        tags = {i: model.data(model.index(r, 0), ResultRole.TAGS)
                for r, i in zip(rows, ids, strict=True)}
        assert tags[manual_id] == ("holiday", "seaside")  # manual tags: by label
        assert all(tags[i] == ("seaside",) for i in auto_ids)
        # the preview lists the tags as plain text
        dialog = panel.view.open_preview(model.index(ids.index(manual_id), 0))
        assert dialog is not None
        assert "holiday" in dialog.tags_label.text() and "seaside" in dialog.tags_label.text()
        dialog.close()
        with qtbot.waitSignal(panel.searchFinished, timeout=20_000):
            panel.filters.set_tag(None)
        assert panel.results.rowCount() == 20
    finally:
        panel.shutdown()


def synthetic_comparison() -> ClassComparison:
    rng = np.random.default_rng(3)
    n, classes = 30, ("cat", "dog")
    truth = np.zeros((n, 2), bool)
    truth[:12, 0] = True
    truth[12:24, 1] = True
    negatives = ~truth.any(axis=1)
    vectors = rng.standard_normal((n, 8))
    vectors[:12, 0] += 3
    vectors[12:24, 1] += 3
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    scores = rng.uniform(0, 0.4, (n, 2)).astype(np.float32)
    evaluation = ClassEvaluation("m", classes, tuple(Path(f"{i}.jpg") for i in range(n)), truth,
                                 negatives, scores, vectors.astype(np.float32), 100.0)
    return ClassComparison((evaluation,))


def test_image_to_image_tab_follows_threshold(qtbot: QtBot, app_context: Any) -> None:
    panel = EvaluationPanel(app_context)
    qtbot.addWidget(panel)
    panel.show()
    result = synthetic_comparison()
    evaluation = result.evaluations[0]
    panel.show_run(EvaluationRun(None, result, "synthetic"))  # type: ignore[arg-type]
    view = panel.image_view
    tabs = panel.result_tabs
    assert tabs.isTabVisible(tabs.indexOf(view))
    tabs.setCurrentWidget(view)

    def expected(threshold: float) -> list[list[Any]]:
        pos = evaluation.image_to_image(threshold)
        neg = evaluation.image_to_image(threshold, with_negatives=True)
        return [[c, float(pos.precision[i]), float(pos.recall[i]), float(neg.precision[i]),
                 float(neg.recall[i])] for i, c in enumerate(evaluation.classes)]

    first = panel.class_view.threshold()
    assert table_values(view.table)[:2] == expected(first)
    with qtbot.waitSignal(view.tableUpdated, timeout=5_000):
        panel.class_view.set_threshold(0.3)
    assert view.threshold() == 0.3
    values = table_values(view.table)
    assert values[:2] == expected(0.3)
    assert values[:2] != expected(first)
    assert values[2][1] == evaluation.image_to_image(0.3).macro.precision
