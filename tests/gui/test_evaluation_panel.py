"""The evaluation panel end to end with the tiny model: a class-folder dataset built from
coco-mini's labels.json and a caption file from its captions.jsonl (small subsets, in tmp)."""

from __future__ import annotations

import json
import shutil
import threading
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel
from pytestqt.qtbot import QtBot

from clipdesk.core.evaluation import (
    REFUSED_NEGATIVE,
    ClassComparison,
    evaluate,
    load_dataset,
    open_evaluation_library,
    report_dict,
)
from clipdesk.gui.panels.charts import MIN_CHART_HEIGHT
from clipdesk.gui.panels.eval_views import table_values
from clipdesk.gui.panels.evaluation import EvaluationPanel

CLASSES = ("dog", "cat", "pizza")


@pytest.fixture
def class_dataset(coco_mini: Path, tmp_path: Path) -> Path:
    """dog/cat/pizza folders (a photo with two of them is copied into both) and 4 negatives."""
    labels: dict[str, list[str]] = json.loads((coco_mini / "labels.json").read_text())
    root = tmp_path / "classes"
    negatives = 0
    for name, found in sorted(labels.items()):
        wanted = [c for c in CLASSES if c in found]
        for cls in wanted:
            (root / cls).mkdir(parents=True, exist_ok=True)
            shutil.copy2(coco_mini / "images" / name, root / cls / name)
        if not wanted and negatives < 4:
            (root / "others").mkdir(parents=True, exist_ok=True)
            shutil.copy2(coco_mini / "images" / name, root / "others" / name)
            negatives += 1
    return root


@pytest.fixture
def caption_dataset(coco_mini: Path, tmp_path: Path) -> Path:
    """captions.jsonl lines of 6 photos (about 30 captions), the photos copied next to it."""
    folder = tmp_path / "captions"
    (folder / "images").mkdir(parents=True)
    lines = (coco_mini / "captions.jsonl").read_text(encoding="utf-8").splitlines()
    kept: list[str] = []
    photos: list[str] = []
    for line in lines:
        item = json.loads(line)
        if item["positive"] not in photos:
            if len(photos) == 6:
                continue
            photos.append(item["positive"])
            shutil.copy2(coco_mini / item["positive"], folder / item["positive"])
        kept.append(line)
    path = folder / "captions.jsonl"
    path.write_text("\n".join(kept) + "\n", encoding="utf-8")
    return path


def make_panel(qtbot: QtBot, context: Any) -> EvaluationPanel:
    panel = EvaluationPanel(context)
    qtbot.addWidget(panel)
    panel.resize(1100, 750)
    panel.show()
    return panel


def run(qtbot: QtBot, panel: EvaluationPanel, dataset: Path) -> Any:
    panel.set_dataset(dataset)
    with qtbot.waitSignal(panel.evaluationFinished, timeout=60_000) as done:
        assert panel.start()
    qtbot.waitUntil(lambda: panel.run_button.isEnabled(), timeout=5_000)
    return done.args[0]


def test_class_folders_table_slider_charts_exports(
    qtbot: QtBot, app_context: Any, class_dataset: Path, tmp_path: Path
) -> None:
    engine = app_context.engine
    model_id = engine.settings.model_id
    panel = make_panel(qtbot, app_context)
    try:
        assert panel.checked_models() == [model_id]
        run(qtbot, panel, class_dataset)
        assert panel.last_error == ""
        view = panel.class_view
        result = panel.run.result
        assert result.classes == ("cat", "dog", "pizza")

        # the same numbers as the core computes on its own for the same inputs
        with open_evaluation_library(engine) as library:
            core = evaluate(engine, library, load_dataset(class_dataset), [model_id])
        expected = core.evaluations[0]
        np.testing.assert_allclose(result.evaluations[0].scores, expected.scores, atol=1e-5)
        th = view.threshold()
        assert th == 0.25
        prf = expected.text_to_image(th)
        rows = table_values(view.table)
        assert len(rows) == 3 + 2  # classes + macro + micro
        for i, name in enumerate(expected.classes):
            assert rows[i][:8] == pytest.approx([name, prf.precision[i], prf.recall[i],
                                                 prf.f1[i], prf.support[i], prf.tp[i],
                                                 prf.fp[i], prf.fn[i]])
        assert rows[3][1:4] == pytest.approx([prf.macro.precision, prf.macro.recall,
                                              prf.macro.f1])
        assert rows[4][1:4] == pytest.approx([prf.micro.precision, prf.micro.recall,
                                              prf.micro.f1])

        # the slider changes the table (from the kept scores)
        low = float(np.quantile(expected.scores, 0.2))
        with qtbot.waitSignal(view.tableUpdated, timeout=2_000):
            view.slider.setValue(round(low * 1000))
        moved = expected.text_to_image(round(low, 3))
        assert not np.array_equal(moved.tp, prf.tp) or not np.array_equal(moved.fp, prf.fp)
        assert [r[2] for r in table_values(view.table)[:3]] == pytest.approx(
            list(moved.recall))
        assert view.thresholds[model_id] == round(low, 3)

        # charts of the selected class have their series
        view.show_class(1)
        curve = expected.curves[1]
        assert view.pr_chart.curve.count() == len(curve.recall)
        assert view.th_chart.precision.count() == 101
        assert view.th_chart.marker.count() == 2

        # after the run the form is folded into the summary line; "Change…" opens it again
        assert panel.form_collapsed() and panel.form_button.isVisible()
        assert panel.form_button.text() == "Change…"
        assert class_dataset.name in panel.summary.text()
        assert app_context.model_name(model_id) in panel.summary.text()
        panel.form_button.click()
        assert not panel.form_collapsed() and panel.dataset_edit.isVisible()
        panel.form_button.click()
        assert panel.form_collapsed()
        # the charts get room enough for their labels
        assert view.pr_chart.view.height() >= MIN_CHART_HEIGHT
        assert view.th_chart.view.height() >= MIN_CHART_HEIGHT

        # hovering a curve shows the values of its nearest point
        from PySide6.QtCore import QPointF

        grid, precision, recall, f1 = view._sweep(expected)
        view.th_chart.hover(QPointF(float(grid[50]) + 1e-6, 0.5), True)
        assert view.th_chart.last_tooltip == (
            f"Threshold {grid[50]:.3f}: precision {precision[50, 1]:.3f} · recall "
            f"{recall[50, 1]:.3f} · F1 {f1[50, 1]:.3f}")
        view.pr_chart.hover(QPointF(float(curve.recall[0]), 0.5), True)
        assert view.pr_chart.last_tooltip.startswith(f"Recall {curve.recall[0]:.3f} · precision")
        view.th_chart.hover(QPointF(0.0, 0.0), False)
        assert view.th_chart.last_tooltip == ""
        # table cells say what they hold
        cell = view.table.item(0, 1)
        assert cell is not None and cell.toolTip() == f"cat · Precision: {moved.precision[0]:.4f}"

        # zero-shot classification and the comparison row
        report = expected.classification
        assert str(round(100 * report.accuracy, 1)) in panel.zero_shot_view.accuracy_label.text()
        confusion = table_values(panel.zero_shot_view.confusion)
        assert confusion == report.confusion.tolist()
        # cells shaded by their share of the true label: the larger share is darker, and the
        # text stays readable on it
        matrix = panel.zero_shot_view.confusion
        shares = report.confusion / np.maximum(report.confusion.sum(axis=1, keepdims=True), 1)
        cells = [(shares[r, c], matrix.item(r, c)) for r in range(len(shares))
                 for c in range(len(shares))]
        light = min(cells, key=lambda x: x[0])[1]
        dark = max(cells, key=lambda x: x[0])[1]
        assert dark.background().color().lightness() < light.background().color().lightness()
        for _share, item in (cells[0], cells[-1]):
            bg, fg = item.background().color(), item.foreground().color()
            assert abs(bg.lightness() - fg.lightness()) > 100
        assert matrix.item(0, 0).toolTip().startswith(
            f"True: {report.labels[0]} · predicted: {report.labels[0]} · "
            f"{report.confusion[0, 0]} images")
        assert report.labels[-1] == "others"  # the negatives folder adds "others"
        comparison = table_values(panel.comparison_table)
        assert comparison[0][1] == round(low, 3)
        assert comparison[0][4] == pytest.approx(moved.macro.f1)

        # this random model's best threshold is below zero: not offered, and why
        suggestion = view.suggestion()
        assert suggestion is not None and suggestion.refused == REFUSED_NEGATIVE
        assert not view.default_button.isEnabled() and not view.use_suggested_button.isEnabled()
        assert view.suggested_label.text() == (
            f"No threshold is suggested: the best one, {expected.suggested_threshold:.3f}, is "
            "below zero, where nearly every picture matches; this model does not tell these "
            "classes apart.")
        with qtbot.assertNotEmitted(panel.defaultThresholdSet):
            view._request_default()

        # exports: the core's report at the panel's thresholds
        for kind in ("csv", "json", "md"):
            out = tmp_path / f"report.{kind}"
            with qtbot.waitSignal(panel.exported, timeout=10_000):
                panel.export(kind, out)
            assert out.is_file() and out.stat().st_size > 0
        data = json.loads((tmp_path / "report.json").read_text(encoding="utf-8"))
        same = report_dict(core, {model_id: round(low, 3)}, dataset=class_dataset.name)
        assert data["text_to_image"] == json.loads(json.dumps(same["text_to_image"]))
    finally:
        panel.shutdown()


def test_caption_file_shows_recall_at_k(qtbot: QtBot, app_context: Any,
                                        caption_dataset: Path) -> None:
    panel = make_panel(qtbot, app_context)
    try:
        run(qtbot, panel, caption_dataset)
        result = panel.run.result
        assert panel.result_tabs.currentWidget() is panel.captions_table
        row = table_values(panel.captions_table)[0]
        t2i, i2t = result.evaluations[0].text_to_image, result.evaluations[0].image_to_text
        assert row[1:6] == pytest.approx([t2i.recall_at[1], t2i.recall_at[5],
                                          t2i.recall_at[10], t2i.mrr, t2i.ndcg_at_10])
        assert row[6:11] == pytest.approx([i2t.recall_at[1], i2t.recall_at[5],
                                           i2t.recall_at[10], i2t.mrr, i2t.ndcg_at_10])
        assert row[11] == t2i.queries > 20
        assert t2i.recall_at[10] == 1.0  # 6 pictures: every answer is in the top 10
    finally:
        panel.shutdown()


def test_refuses_without_dataset_or_model(qtbot: QtBot, app_context: Any,
                                          tmp_path: Path) -> None:
    panel = make_panel(qtbot, app_context)
    try:
        with qtbot.waitSignal(panel.jobFailed, timeout=2_000):
            assert not panel.start()
        panel.set_dataset(tmp_path / "nope")
        with qtbot.waitSignal(panel.jobFailed, timeout=20_000):
            assert panel.start()
        assert "nope" in panel.last_error
        panel.set_models([])
        with qtbot.waitSignal(panel.jobFailed, timeout=2_000):
            assert not panel.start()
    finally:
        panel.shutdown()


def test_two_models_comparison_union_and_fusion(
    qtbot: QtBot, app_context: Any, tiny_cn_clip: Any, class_dataset: Path
) -> None:
    wanted = {app_context.engine.settings.model_id, tiny_cn_clip.model_id}
    panel = make_panel(qtbot, app_context)
    try:
        panel.refresh_models()
        panel.set_models(sorted(wanted))
        models = panel.checked_models()  # in the list's order
        assert set(models) == wanted
        first, second = models
        # the Chinese model does not read these English class names: the run stops once, with
        # a warning line whose fix opens the model choice (nothing is indexed to switch to)
        panel.set_dataset(class_dataset)
        with qtbot.waitSignal(panel.languageWarnings, timeout=30_000) as warned:
            assert panel.start()
        qtbot.waitUntil(lambda: panel.run_button.isEnabled(), timeout=5_000)
        [mismatch] = warned.args[0]
        assert mismatch.model_id == tiny_cn_clip.model_id and mismatch.language == "en"
        assert mismatch.readers == () and mismatch.fix == app_context.engine.settings.model_id
        assert panel.run is None and len(panel.warning_rows()) == 1
        assert panel.warnings_box.isVisible()
        assert panel.warning_button(0).text() == "Choose a model…"
        dialog = panel.warning_button(0)
        from clipdesk.gui.dialogs.model_setup import ModelSetupDialog

        dialog.click()
        setup = panel.findChild(ModelSetupDialog)
        assert setup is not None and setup.selected_model_id() == mismatch.fix
        setup.reject()
        with qtbot.waitSignal(panel.evaluationFinished, timeout=60_000):
            panel.anyway_button.click()
        qtbot.waitUntil(lambda: panel.run_button.isEnabled(), timeout=5_000)
        result = panel.run.result
        # its suggested threshold is not offered
        view = panel.class_view
        view.row_combo.setCurrentIndex(models.index(tiny_cn_clip.model_id))
        assert not view.default_button.isEnabled()
        assert "does not read English" in view.suggested_label.text()
        assert result.model_ids == tuple(models)
        view = panel.class_view
        assert [view.row_combo.itemData(i) for i in range(view.row_combo.count())] == [
            *models, "union", "rrf"]
        # each model keeps its own threshold; "union" rows use both
        view.set_threshold(0.01)
        view.row_combo.setCurrentIndex(1)
        view.set_threshold(-0.05)
        assert view.thresholds == {first: 0.01, second: -0.05}
        rows = result.table(view.thresholds)
        comparison = table_values(panel.comparison_table)
        assert [r[0] for r in comparison][2:] == ["union", "rrf"]
        for shown, row in zip(comparison, rows, strict=True):
            assert shown[2:5] == pytest.approx([row.prf.macro.precision, row.prf.macro.recall,
                                                row.prf.macro.f1])
        view.row_combo.setCurrentIndex(2)  # union: the table shows its per-class numbers
        assert not view.default_button.isEnabled()
        union = rows[2].prf
        assert [r[2] for r in table_values(view.table)[:3]] == pytest.approx(list(union.recall))
    finally:
        panel.shutdown()


def test_cancel_evaluation(qtbot: QtBot, app_context: Any, class_dataset: Path,
                           monkeypatch: pytest.MonkeyPatch) -> None:
    started = threading.Event()

    def slow_load(model_id: str, *, token: Any = None, **_: Any) -> Any:
        started.set()
        while not token.cancelled:
            time.sleep(0.01)
        token.check()

    monkeypatch.setattr(app_context.engine, "encoder", slow_load)
    panel = make_panel(qtbot, app_context)
    try:
        panel.set_dataset(class_dataset)
        assert panel.start()
        assert started.wait(10)
        panel.cancel()
        qtbot.waitUntil(lambda: panel.run_button.isEnabled(), timeout=10_000)
        assert panel.run is None and panel.jobs.label.text() == "Cancelled."
    finally:
        panel.shutdown()


def test_main_window_tabs_and_default_threshold(qtbot: QtBot, app_context: Any,
                                                tmp_path: Path) -> None:
    from tests.gui.test_mainwindow import make_window

    window = make_window(qtbot, app_context, tmp_path / "window.ini")
    try:
        tabs = [window.tabs.tabText(i) for i in range(window.tabs.count())]
        assert tabs[-2:] == ["Tagging", "Evaluation"]
        window.evaluation_panel.set_default_threshold(0.23)
        assert app_context.engine.settings.search_threshold == 0.23
        assert window.text_panel.options.threshold() == 0.23
        assert window.image_panel.options.threshold() == 0.23
    finally:
        window.close()


def test_a_sound_suggestion_is_offered_and_becomes_the_default(qtbot: QtBot) -> None:
    from clipdesk.gui.panels.eval_views import ClassResultsView
    from tests.core.test_evaluation_checks import GOOD, NEGATIVE

    view = ClassResultsView()
    qtbot.addWidget(view)
    view.set_result(ClassComparison((GOOD,)))
    assert view.default_button.isEnabled() and view.use_suggested_button.isEnabled()
    assert view.suggested_label.text() == (
        f"Suggested threshold (best macro F1): {GOOD.suggested_threshold:.3f}")
    with qtbot.waitSignal(view.defaultThresholdRequested, timeout=2_000) as asked:
        view.default_button.click()
    assert asked.args[0] == round(GOOD.suggested_threshold, 3)
    view.use_suggested_button.click()
    assert view.threshold() == round(GOOD.suggested_threshold, 3)
    # the same numbers from a model that does not read the class names: refused, and why
    view.set_result(ClassComparison((GOOD,)), names={"m": "Model M"}, not_read={"m": "zh"})
    assert not view.default_button.isEnabled() and not view.use_suggested_button.isEnabled()
    assert view.suggested_label.text() == (
        "No threshold is suggested: Model M does not read Chinese, so its scores for these "
        "class names mean little.")
    view.set_result(ClassComparison((NEGATIVE,)))
    assert not view.default_button.isEnabled()


def test_language_warning_fix_uses_the_indexed_model_that_reads(
    qtbot: QtBot, indexed_context: Any, tiny_cn_clip: Any, class_dataset: Path
) -> None:
    reader = indexed_context.engine.settings.model_id  # English, 20 photos indexed
    panel = make_panel(qtbot, indexed_context)
    try:
        panel.refresh_models()
        panel.set_models([tiny_cn_clip.model_id])
        panel.set_dataset(class_dataset)
        with qtbot.waitSignal(panel.languageWarnings, timeout=30_000) as warned:
            assert panel.start()
        qtbot.waitUntil(lambda: panel.run_button.isEnabled(), timeout=5_000)
        [mismatch] = warned.args[0]
        assert mismatch.readers == (reader,)
        assert panel.warning_rows()[0].findChild(QLabel).text() == (
            "⚠ tiny-cn-clip does not read English: its scores for these words mean little. "
            "Use tiny-open-clip, which reads English and has your photos indexed.")
        button = panel.warning_button(0)
        assert button.text() == "Use tiny-open-clip instead"
        button.click()
        assert panel.checked_models() == [reader]
        assert panel.warning_rows() == [] and not panel.warnings_box.isVisibleTo(panel)
        with qtbot.waitSignal(panel.evaluationFinished, timeout=60_000) as done:
            assert panel.start()
        assert done.args[0].result.model_ids == (reader,)
    finally:
        panel.shutdown()


def test_models_follow_the_shared_model_choice(
    qtbot: QtBot, indexed_context: Any, tiny_cn_clip: Any, class_dataset: Path
) -> None:
    context = indexed_context
    english, chinese = context.engine.settings.model_id, tiny_cn_clip.model_id
    context.set_search_mode(chinese)
    panel = make_panel(qtbot, context)
    try:
        panel.refresh_models()
        qtbot.waitUntil(lambda: panel.checked_models() == [chinese], timeout=5_000)
        assert panel.follows_search_mode()
        assert panel.chosen_label.text() == (
            "Chosen: tiny-cn-clip, as the model choice of every panel (tiny-cn-clip) says.")
        # auto: the indexed model that reads the class names (English here)
        with qtbot.waitSignal(panel.modelsFollowed, timeout=5_000):
            context.set_search_mode("auto")
        with qtbot.waitSignal(panel.modelsFollowed, timeout=5_000) as followed:
            panel.set_dataset(class_dataset)
        assert followed.args[0] == [english] and panel.checked_models() == [english]
        # A+B: both, side by side
        with qtbot.waitSignal(panel.modelsFollowed, timeout=5_000):
            context.set_search_mode(f"{english}+{chinese}")
        assert set(panel.checked_models()) == {english, chinese}
        # ticked by hand: kept, until the shared choice changes again
        panel.models_list.item(0).setCheckState(Qt.CheckState.Unchecked)
        kept = panel.checked_models()
        assert not panel.follows_search_mode()
        assert panel.chosen_label.text().startswith("Chosen: ") and "every panel" not in \
            panel.chosen_label.text()
        panel.follow_search_mode()
        assert panel.checked_models() == kept
        with qtbot.waitSignal(panel.modelsFollowed, timeout=5_000):
            context.set_search_mode(chinese)
        assert panel.checked_models() == [chinese] and panel.follows_search_mode()
    finally:
        panel.shutdown()
