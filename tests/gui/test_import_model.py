"""Importing a checkpoint from the model setup: the Architecture field, errors in the form's
terms with what was typed kept, and the question before the new model becomes current."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QMessageBox
from pytestqt.qtbot import QtBot

from clipdesk.core.models.base import ModelInfo
from clipdesk.gui.context import AppContext
from clipdesk.gui.dialogs import errors
from clipdesk.gui.dialogs.import_model import (
    CN_CLIP_ARCHES,
    OPEN_CLIP_ARCHES,
    ImportModelDialog,
    ImportValues,
)
from clipdesk.gui.dialogs.model_setup import ModelSetupDialog

TIMEOUT_MS = 60_000


@pytest.fixture
def setup_dialog(qtbot: QtBot, app_context: AppContext) -> ModelSetupDialog:
    dialog = ModelSetupDialog(app_context)
    qtbot.addWidget(dialog)
    return dialog


def test_the_architecture_field(qtbot: QtBot) -> None:
    from clipdesk.core.models import cn_clip_backend, importer

    assert tuple(cn_clip_backend.ARCHES) == CN_CLIP_ARCHES
    assert OPEN_CLIP_ARCHES == importer.OPEN_CLIP_CANDIDATES
    form = ImportModelDialog(None, "/x/model.pt")
    qtbot.addWidget(form)
    assert form.arch.currentText() == "recognise from the weights"
    assert form.values() == ImportValues("/x/model.pt")
    form.arch.setCurrentIndex(form.arch.findText("open_clip:ViT-B-32"))
    assert form.values().arch == "open_clip:ViT-B-32"
    form.arch.setCurrentText("ViT-L-14")  # typed
    assert form.arch_value() == "ViT-L-14"
    filled = ImportValues("/x/model.pt", "/x/config.json", "cn_clip:RN50", "Mine")
    form.set_values(filled)
    assert form.values() == filled


def test_the_architecture_reaches_the_import(
    qtbot: QtBot, setup_dialog: ModelSetupDialog, app_context: AppContext,
    tiny_cn_clip: ModelInfo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    weights = tmp_path / "weights.pt"
    weights.write_bytes(b"x")
    calls: list[dict[str, Any]] = []

    def fake_import(checkpoint: Any, **kwargs: Any) -> ModelInfo:
        calls.append({"checkpoint": str(checkpoint), **kwargs})
        return tiny_cn_clip

    monkeypatch.setattr(app_context.engine.registry, "import_model", fake_import)
    monkeypatch.setattr(setup_dialog, "ask_use_now", lambda info: False)
    before = app_context.current_model_id()
    form = setup_dialog.choose_checkpoint()
    form.checkpoint.setText(str(weights))
    form.arch.setCurrentText("open_clip:ViT-B-16")
    form.name.setText("Mine")
    with qtbot.waitSignal(setup_dialog.modelImported, timeout=TIMEOUT_MS) as imported:
        form.accept()
    assert calls == [{"checkpoint": str(weights), "config": None, "arch": "open_clip:ViT-B-16",
                      "name": "Mine", "image_model": None}]
    assert imported.args[0] == tiny_cn_clip.model_id
    # declined: not current, and the dialog says where to choose it later
    qtbot.waitUntil(lambda: not setup_dialog.is_busy())
    assert app_context.current_model_id() == before
    assert "is imported" in setup_dialog.notice.text()
    assert "Model setup" in setup_dialog.notice.text()
    assert setup_dialog.selected_model_id() == tiny_cn_clip.model_id


def test_yes_makes_the_imported_model_current(
    qtbot: QtBot, setup_dialog: ModelSetupDialog, app_context: AppContext,
    tiny_cn_clip: ModelInfo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(app_context.engine.registry, "import_model",
                        lambda checkpoint, **kwargs: tiny_cn_clip)
    monkeypatch.setattr(app_context, "request_encoder", lambda model_id: None)
    asked: list[str] = []
    monkeypatch.setattr(setup_dialog, "ask_use_now",
                        lambda info: asked.append(info.display_name) or True)
    with qtbot.waitSignal(setup_dialog.modelReady, timeout=TIMEOUT_MS) as ready:
        setup_dialog.import_checkpoint(tmp_path / "w.pt")
    assert asked == [tiny_cn_clip.display_name]
    assert ready.args[0] == tiny_cn_clip.model_id == app_context.current_model_id()


def test_the_question_is_asked(qtbot: QtBot, setup_dialog: ModelSetupDialog,
                               tiny_cn_clip: ModelInfo, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(errors, "dialogs_enabled", True)
    seen: list[str] = []

    def answer(button_text: str) -> None:
        box = QApplication.activeModalWidget()
        assert isinstance(box, QMessageBox)
        seen.append(box.text())
        next(b for b in box.buttons() if b.text() == button_text).click()

    QTimer.singleShot(0, lambda: answer("Use it now"))
    assert setup_dialog.ask_use_now(tiny_cn_clip)
    QTimer.singleShot(0, lambda: answer("Not now"))
    assert not setup_dialog.ask_use_now(tiny_cn_clip)
    assert seen == [f"Use {tiny_cn_clip.display_name} for indexing and search now?"] * 2


def test_an_error_keeps_the_form_and_speaks_of_the_form(
    qtbot: QtBot, setup_dialog: ModelSetupDialog, app_context: AppContext, tmp_path: Path,
) -> None:
    from tests.fixtures.tiny_models import build_tiny_open_clip

    _config, weights = build_tiny_open_clip(tmp_path / "mine", seed=3, name="holiday")
    before = app_context.current_model_id()
    form = setup_dialog.choose_checkpoint()
    form.checkpoint.setText(str(weights))  # no config, no architecture: not recognisable
    form.name.setText("Holiday model")
    form.accept()
    qtbot.waitUntil(lambda: setup_dialog.import_form is not None
                    and setup_dialog.import_form is not form, timeout=TIMEOUT_MS)
    again = setup_dialog.import_form
    assert again is not None and again.isVisible()
    assert again.values() == ImportValues(str(weights), None, None, "Holiday model")
    message = again.error_label.text()
    assert again.error_label.isVisibleTo(again)
    assert message == (f"clipdesk could not tell which architecture {weights.name} is for. "
                       "Choose it under Architecture, or choose the model's config JSON.")
    assert "--arch" not in message
    assert app_context.current_model_id() == before
    again.reject()


def test_the_command_line_still_names_its_flag(
    capsys: pytest.CaptureFixture[str], data_paths: Any, tmp_path: Path,
) -> None:
    from clipdesk.cli import EXIT_ERROR, main
    from tests.fixtures.tiny_models import build_tiny_open_clip

    _config, weights = build_tiny_open_clip(tmp_path / "mine", seed=3, name="holiday")
    code = main(["-q", "--data-dir", str(data_paths.root), "models", "import", str(weights)])
    err = capsys.readouterr().err
    assert code == EXIT_ERROR
    assert "--arch ViT-B-16" in err and "could not tell which architecture" in err


def test_a_transformers_folder_imports_through_the_form(
    qtbot: QtBot, setup_dialog: ModelSetupDialog, app_context: AppContext,
    tiny_hf_folders: dict[str, Path], monkeypatch: pytest.MonkeyPatch,
) -> None:
    from clipdesk.core.models.base import Backend

    monkeypatch.setattr(setup_dialog, "ask_use_now", lambda info: False)
    form = setup_dialog.choose_checkpoint()
    form.checkpoint.setText("")
    form.accept()
    assert form.isVisible()  # an empty field is not the current folder
    from PySide6.QtWidgets import QFileDialog

    chosen = str(tiny_hf_folders["chinese_clip"])
    monkeypatch.setattr(QFileDialog, "getExistingDirectory", lambda *args: chosen)
    form._browse_folder()  # the Folder… button
    assert form.checkpoint.text() == chosen
    form.name.setText("HF Chinese")
    with qtbot.waitSignal(setup_dialog.modelImported, timeout=TIMEOUT_MS) as imported:
        form.accept()
    assert imported.args[0] == "user:hf-chinese"
    info = app_context.engine.registry.get("user:hf-chinese")
    assert info.backend == Backend.HF and info.languages == {"zh"}
    qtbot.waitUntil(lambda: not setup_dialog.is_busy())


def test_a_text_tower_imports_with_the_model_whose_photos_it_searches(
    qtbot: QtBot, setup_dialog: ModelSetupDialog, app_context: AppContext,
    tiny_hf_folders: dict[str, Path], monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(setup_dialog, "ask_use_now", lambda info: False)
    registry = app_context.engine.registry
    clip = registry.import_model(tiny_hf_folders["clip"], name="Tiny CLIP", copy=False)
    form = setup_dialog.choose_checkpoint()
    offered = [form.image_model.itemData(i) for i in range(form.image_model.count())]
    # its own, then the transformers models with an image tower (Taiyi-CLIP is a text tower)
    assert offered[0] == "" and clip.model_id in offered
    assert "hf:openai/clip-vit-base-patch32" in offered
    assert "hf:IDEA-CCNL/Taiyi-CLIP-Roberta-102M-Chinese" not in offered
    assert "cn_clip:ViT-B-16" not in offered
    form.checkpoint.setText(str(tiny_hf_folders["taiyi"]))
    form.name.setText("Tiny Taiyi")
    form.image_model.setCurrentIndex(form.image_model.findData(clip.model_id))
    assert form.values().image_model == clip.model_id
    with qtbot.waitSignal(setup_dialog.modelImported, timeout=TIMEOUT_MS) as imported:
        form.accept()
    info = registry.get(imported.args[0])
    assert info.image_model == clip.model_id and info.languages == {"zh"}
    qtbot.waitUntil(lambda: not setup_dialog.is_busy())
