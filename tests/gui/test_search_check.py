"""The text search's VLM check in the window: a tiny random LLaVA folder (real forward passes)
looks at the top hits; the grid is re-ranked or filtered with a ✓/✗ badge on each checked photo,
a new search cancels a running check, and turning the check off gives the search's own order."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from pytestqt.qtbot import QtBot

from clipdesk.core.rerank.recheck import CONFIRMED
from clipdesk.gui.panels.check_bar import FOLDER
from clipdesk.gui.results.model import ResultRole
from tests.fixtures.tiny_vlm_models import build_tiny_vlm
from tests.gui.test_text_search import column, make_panel, search


@pytest.fixture(scope="module")
def llava(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_tiny_vlm(tmp_path_factory.mktemp("llava") / "tiny-llava", "llava", seed=5)


def test_checked_results_in_the_grid(qtbot: QtBot, indexed_context: Any, llava: Path) -> None:
    panel = make_panel(qtbot, indexed_context)
    try:
        bar = panel.check_bar
        offered = [bar.model_combo.itemData(i) for i in range(bar.model_combo.count())]
        assert "vlm:HuggingFaceTB/SmolVLM-256M-Instruct" in offered and offered[-1] == FOLDER
        assert "MB to download" in bar.model_combo.itemText(0)
        search(qtbot, panel, "a dog")
        plain = column(panel, ResultRole.FILE_ID)
        assert column(panel, ResultRole.CHECK) == [None] * 20
        bar.top_spin.setValue(8)
        bar.set_folder(str(llava))  # the "A model folder…" entry
        with qtbot.waitSignal(panel.checkFinished, timeout=60_000):
            bar.enabled_box.setChecked(True)
        answers = column(panel, ResultRole.CHECK)
        checked = [a for a in answers if a is not None]
        assert len(checked) == 8 and answers[:8] == sorted(checked, reverse=True)
        assert column(panel, ResultRole.FILE_ID)[8:] == plain[8:]  # the rest: CLIP's order
        assert set(column(panel, ResultRole.FILE_ID)[:8]) == set(plain[:8])
        assert "confirmed" in bar.status_label.text() and "No GPU" not in bar.status_label.text()
        tip = panel.results.data(panel.results.index(0, 0), 3)  # ToolTipRole
        assert "by the check: yes" in tip
        # only the confirmed ones
        with qtbot.waitSignal(panel.checkFinished, timeout=60_000):
            bar.mode_combo.setCurrentIndex(bar.mode_combo.findData("filter"))
        kept = column(panel, ResultRole.CHECK)
        assert len(kept) == sum(a >= CONFIRMED for a in checked)
        assert all(a is not None and a >= CONFIRMED for a in kept)
        # off again: the search's own results
        bar.enabled_box.setChecked(False)
        assert column(panel, ResultRole.FILE_ID) == plain
        assert column(panel, ResultRole.CHECK) == [None] * 20 and bar.status_label.text() == ""
    finally:
        panel.shutdown()


def test_a_new_search_cancels_the_running_check(qtbot: QtBot, indexed_context: Any,
                                                llava: Path) -> None:
    panel = make_panel(qtbot, indexed_context)
    try:
        panel.check_bar.top_spin.setValue(20)
        panel.check_bar.set_folder(str(llava))
        panel.check_bar.enabled_box.setChecked(True)
        search(qtbot, panel, "a cat")
        first = panel.checker._job
        assert first is not None
        with qtbot.waitSignal(panel.checkFinished, timeout=60_000):
            search(qtbot, panel, "a dog")
        assert first.token.cancelled and panel.last_check is not None
        assert len([a for a in column(panel, ResultRole.CHECK) if a is not None]) == 20
    finally:
        panel.shutdown()
