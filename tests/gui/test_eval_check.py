"""The evaluation panel's "Checked by a VLM" tab: a tiny random LLaVA folder checks the hits at
the threshold; the table's before/after numbers agree with the core's check."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from pytestqt.qtbot import QtBot

from clipdesk.core.evaluation.checked import check_comparison
from clipdesk.gui.panels.eval_views import table_values
from tests.fixtures.tiny_vlm_models import build_tiny_vlm
from tests.gui.test_evaluation_panel import class_dataset, make_panel, run  # noqa: F401


@pytest.fixture(scope="module")
def llava(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_tiny_vlm(tmp_path_factory.mktemp("llava") / "tiny-llava", "llava", seed=5)


def test_the_checked_table(qtbot: QtBot, app_context: Any, class_dataset: Path,  # noqa: F811
                           llava: Path) -> None:
    panel = make_panel(qtbot, app_context)
    try:
        result = run(qtbot, panel, class_dataset).result
        view = panel.check_view
        tabs = panel.result_tabs
        assert tabs.isTabVisible(tabs.indexOf(view))
        panel.class_view.set_threshold(-1.0)  # every photo is a hit of every class
        thresholds = panel.thresholds()
        assert set(thresholds.values()) == {-1.0}
        view.picker.set_folder(str(llava))
        with qtbot.waitSignal(view.checkFinished, timeout=60_000) as done:
            view.check_button.click()
        checked = done.args[0]
        assert checked.asked > 0 and "photo-class pairs" in view.status.text()
        summary = table_values(view.summary_table)
        assert len(summary) == len(result.model_ids) + (1 if len(result.model_ids) > 1 else 0)
        judge = app_context.engine.judge(str(llava))
        again = check_comparison(result, judge, thresholds,
                                 cache=app_context.engine.answer_cache())
        assert again.asked == 0  # everything was answered by the panel's run
        for line, row in zip(summary, again.rows, strict=True):
            assert line[1:] == pytest.approx([row.before.macro.precision, row.before.macro.recall,
                                              row.before.macro.f1, row.after.macro.precision,
                                              row.after.macro.recall, row.after.macro.f1])
        per_class = table_values(view.class_table)
        assert [r[0] for r in per_class] == list(result.classes)
        # a new threshold: the earlier check no longer applies
        view.set_result(result, {m: 0.5 for m in result.model_ids}, {})
        assert view.checked is None and view.summary_table.rowCount() == 0
    finally:
        panel.shutdown()


def test_templates_against_descriptions(qtbot: QtBot, app_context: Any,
                                        class_dataset: Path,  # noqa: F811
                                        tmp_path: Path) -> None:
    import json

    from clipdesk.core.evaluation.described import compare_descriptions

    cupl = tmp_path / "cupl.json"
    cupl.write_text(json.dumps({"dog": ["a dog", "a dog on the grass"],
                                "pizza": ["a slice of pizza"]}), encoding="utf-8")
    panel = make_panel(qtbot, app_context)
    try:
        tabs = panel.result_tabs
        panel.descriptions_edit.setText(str(cupl))
        run_done = run(qtbot, panel, class_dataset)
        assert run_done.plain is not None
        assert tabs.isTabVisible(tabs.indexOf(panel.described_table))
        values = table_values(panel.described_table)
        expected = compare_descriptions(run_done.plain, run_done.result, panel.thresholds())
        model = run_done.result.model_ids[0]
        block = expected[model]
        assert values[0][2:4] == pytest.approx(block["accuracy"])
        by_class = {r[1]: r for r in values[1:]}
        for cls, row in block["per_class"].items():
            assert by_class[cls][2:] == pytest.approx([*row["ap"], *row["f1"]])
        assert block["per_class"]["cat"]["ap"][0] == pytest.approx(
            block["per_class"]["cat"]["ap"][1])  # no descriptions: the same
        # without descriptions the tab goes away
        panel.descriptions_edit.setText("")
        run(qtbot, panel, class_dataset)
        assert not tabs.isTabVisible(tabs.indexOf(panel.described_table))
        panel.descriptions_edit.setText(str(tmp_path / "missing.json"))
        assert not panel.start() and "could not be read" in panel.last_error
    finally:
        panel.shutdown()
