"""The tagging panel's "keep only tags a VLM confirms": a tiny random LLaVA folder checks the
tags the rule gives; the preview counts only the confirmed ones, a changed rule asks for the
check again, turning it off gives the plain scores back, and Save stores the confirmed tags."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from pytestqt.qtbot import QtBot

from tests.fixtures.tiny_vlm_models import build_tiny_vlm
from tests.gui.test_tagging_panel import make_panel, score


@pytest.fixture(scope="module")
def llava(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_tiny_vlm(tmp_path_factory.mktemp("llava") / "tiny-llava", "llava", seed=5)


def test_confirmed_tags_in_the_preview_and_the_save(qtbot: QtBot, indexed_context: Any,
                                                    llava: Path) -> None:
    panel = make_panel(qtbot, indexed_context)
    try:
        panel.editor.set_labels_text("dog\ncat")
        score(qtbot, panel)
        panel.set_rule(0.01, None)  # nearly every label passes: the check decides
        plain = panel.preview_counts()
        assert sum(plain.values()) > 20
        row = panel.tag_check
        assert not row.picker.isEnabled()
        row.enabled_box.setChecked(True)
        row.picker.set_folder(str(llava))
        with qtbot.waitSignal(panel.tagsChecked, timeout=60_000):
            assert panel.check_tags()
            assert "no GPU: about" in panel.jobs.label.text()  # said before it runs
        qtbot.waitUntil(lambda: panel.score_button.isEnabled(), timeout=5_000)
        assert panel.scores is not None and panel.scores.confirmed is not None
        checked = panel.preview_counts()
        rejected = int((~panel.scores.confirmed).sum())
        assert sum(checked.values()) == sum(plain.values()) - rejected
        assert "rejected" in row.status.text()
        # another rule: the check no longer holds
        panel.set_rule(0.3, None)
        assert panel.scores.confirmed is None and "check again" in row.status.text()
        panel.set_rule(0.01, None)
        with qtbot.waitSignal(panel.tagsChecked, timeout=60_000):
            assert panel.check_tags()
        qtbot.waitUntil(lambda: panel.score_button.isEnabled(), timeout=5_000)
        assert panel.preview_counts() == checked  # the same answers, from the cache
        panel.ask = lambda title, question: True
        with qtbot.waitSignal(panel.tagsSaved, timeout=30_000):
            assert panel.save_tags()
        tags = indexed_context.engine.reader().tags(panel.scores.file_ids)
        assert sum(len(t) for t in tags.values()) == sum(checked.values())
        row.enabled_box.setChecked(False)
        assert panel.preview_counts() == plain
    finally:
        panel.shutdown()
