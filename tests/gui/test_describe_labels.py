"""CuPL in the window: a tiny random instruct model writes descriptions of the tagging panel's
labels (the real generate); they land in the label lines after ">", to keep or edit; CuPL's
JSON is imported and exported; the label set then carries the sentences."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from pytestqt.qtbot import QtBot

from clipdesk.core.labels import parse_label_lines
from tests.fixtures.tiny_vlm_models import build_tiny_llm
from tests.gui.test_tagging_panel import make_panel


@pytest.fixture(scope="module")
def llm(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_tiny_llm(tmp_path_factory.mktemp("llm") / "tiny-llm", seed=4)


def test_descriptions_written_imported_and_exported(qtbot: QtBot, indexed_context: Any,
                                                    llm: Path, tmp_path: Path) -> None:
    panel = make_panel(qtbot, indexed_context)
    try:
        editor = panel.editor
        editor.set_labels_text("dog | a puppy\n猫")
        with qtbot.waitSignal(panel.labelsDescribed, timeout=60_000):
            assert panel.describe_labels(str(llm))
        labels = parse_label_lines(editor.labels_text())
        assert [lb.name for lb in labels] == ["dog", "猫"]
        assert labels[0].descriptions == ("a puppy",)  # what was typed stays
        assert all(lb.sentences for lb in labels) and "> " in editor.labels_text()
        written = editor.descriptions()
        assert "descriptions written" in panel.jobs.label.text()
        # the label set carries them
        label_set = editor.label_set()
        assert label_set.labels[0].sentences == tuple(written["dog"])
        # export, then import other ones (replacing), with a name that is not a label
        out = editor.export_descriptions(tmp_path / "cupl.json")
        assert out is not None and json.loads(out.read_text(encoding="utf-8")) == written
        other = tmp_path / "other.json"
        other.write_text(json.dumps({"dog": ["A dog is a loyal pet."], "horse": ["A horse."]}),
                         encoding="utf-8")
        assert editor.import_descriptions(other) == ["horse"]
        assert editor.descriptions()["dog"] == ["A dog is a loyal pet."]
        assert editor.descriptions()["猫"] == written["猫"]
        assert "with descriptions" in editor.summary.text()
    finally:
        panel.shutdown()


def test_the_label_set_is_saved_with_its_descriptions(qtbot: QtBot, indexed_context: Any,
                                                      tmp_path: Path) -> None:
    panel = make_panel(qtbot, indexed_context)
    try:
        editor = panel.editor
        text = "dog = a dog | a puppy | > A dog is a loyal pet.\n猫 | > 一只猫在沙发上。"
        editor.set_labels_text(text)
        editor.others_check.setChecked(True)
        path = editor.save_file(tmp_path / "labels.json")
        assert path is not None
        data = json.loads(path.read_text(encoding="utf-8"))
        assert data["templates"] == "auto" and data["others"] == "其他"  # a Chinese set
        assert data["labels"][0] == {"name": "dog", "prompt": "a dog",
                                     "descriptions": ["a puppy"],
                                     "sentences": ["A dog is a loyal pet."]}
        editor.set_labels_text("")
        editor.others_check.setChecked(False)
        editor.open_file(path)
        assert parse_label_lines(editor.labels_text()) == parse_label_lines(text)
        assert editor.others_check.isChecked()
        assert editor.label_set().labels[1].sentences == ("一只猫在沙发上。",)
    finally:
        panel.shutdown()
