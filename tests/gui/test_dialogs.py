"""Model setup (list, import a checkpoint, download, offline, cancel), settings, skipped files."""

from __future__ import annotations

import os
import socket
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from clipdesk.config import load_settings
from clipdesk.core.jobs import CancelToken
from clipdesk.core.models.builtin import BUILTIN_MODELS, DEFAULT_MODEL_ID
from clipdesk.gui.context import AppContext
from clipdesk.gui.dialogs import errors
from clipdesk.gui.dialogs.import_model import ImportModelDialog
from clipdesk.gui.dialogs.model_setup import ModelSetupDialog
from clipdesk.gui.dialogs.settings import SettingsDialog
from clipdesk.gui.dialogs.skipped import SkippedFilesDialog
from clipdesk.gui.indexing import IndexingController
from tests.core.models.http_server import FileServer

TIMEOUT_MS = 60_000


@pytest.fixture
def setup_dialog(qtbot: QtBot, app_context: AppContext) -> ModelSetupDialog:
    dialog = ModelSetupDialog(app_context, first_run=True)
    qtbot.addWidget(dialog)
    return dialog


@pytest.fixture
def no_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    for var in ("http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "all_proxy",
                "ALL_PROXY"):
        monkeypatch.delenv(var, raising=False)


def test_model_setup_lists_builtin_models(setup_dialog: ModelSetupDialog,
                                          app_context: AppContext) -> None:
    ids = setup_dialog.model_ids()
    assert [i for i in ids if not i.startswith("user:")] == [m.model_id for m in BUILTIN_MODELS]
    assert app_context.current_model_id() in ids  # the imported tiny model
    default = setup_dialog.item_for(DEFAULT_MODEL_ID)
    assert default is not None
    assert "(recommended)" in default.text(0)
    assert default.text(1) == "Chinese, English"
    assert default.text(2) not in ("", "—")  # size
    assert "Chinese and English" in default.text(4)
    assert default.text(3) == "download"
    assert setup_dialog.selected_model_id() == app_context.current_model_id()
    setup_dialog.select_model(DEFAULT_MODEL_ID)
    assert setup_dialog.download_button.isEnabled() and not setup_dialog.use_button.isEnabled()


def test_import_a_checkpoint_file(qtbot: QtBot, setup_dialog: ModelSetupDialog,
                                  app_context: AppContext, tmp_path: Path,
                                  monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.fixtures.tiny_models import build_tiny_open_clip

    config, weights = build_tiny_open_clip(tmp_path / "mine", seed=3, name="holiday")
    form = ImportModelDialog(setup_dialog, str(tmp_path / "nothing.pt"))
    qtbot.addWidget(form)
    form.accept()  # a file that does not exist is refused with a plain sentence
    assert form.result() != form.DialogCode.Accepted
    assert errors.last_errors()[-1].startswith("Choose a weights file")

    monkeypatch.setattr(setup_dialog, "ask_use_now", lambda info: True)  # "Use it now"
    with qtbot.waitSignal(setup_dialog.modelReady, timeout=TIMEOUT_MS) as blocker:
        setup_dialog.import_checkpoint(weights, config, "Holiday model")
    model_id = blocker.args[0]
    assert model_id.startswith("user:") and app_context.current_model_id() == model_id
    assert app_context.model_name(model_id) == "Holiday model"
    assert load_settings(app_context.engine.paths.settings_file).model_id == model_id
    qtbot.waitUntil(lambda: not setup_dialog.is_busy())
    item = setup_dialog.item_for(model_id)
    assert item is not None and item.text(3) == "current"


def test_download_shows_progress_and_makes_the_model_current(
    qtbot: QtBot, setup_dialog: ModelSetupDialog, app_context: AppContext,
    monkeypatch: pytest.MonkeyPatch, no_proxy: None,
) -> None:
    monkeypatch.setattr(app_context, "request_encoder", lambda model_id: None)  # not real weights
    data = bytes(range(256)) * 8192  # 2 MB
    with FileServer() as server:
        server.state.files["clip_cn_rn50.pt"] = data
        monkeypatch.setenv("HF_ENDPOINT", server.url)
        setup_dialog.select_model("cn_clip:RN50")
        labels: list[str] = []
        with qtbot.waitSignal(setup_dialog.modelReady, timeout=TIMEOUT_MS):
            setup_dialog.download_button.click()
            labels.append(setup_dialog.progress_label.text())
    assert labels == ["Connecting…"]
    assert (app_context.engine.paths.model_dir / "clip_cn_rn50.pt").read_bytes() == data
    assert app_context.current_model_id() == "cn_clip:RN50"


def test_download_progress_text_and_cancel(
    qtbot: QtBot, setup_dialog: ModelSetupDialog, monkeypatch: pytest.MonkeyPatch,
) -> None:
    from clipdesk.core.models import weights

    def slow_download(info: Any, paths: Any, *, download: bool, progress: Callable[..., None],
                      token: CancelToken, **_: Any) -> Path:
        total = 100_000_000
        for step in range(1, 10_000):
            token.check()
            progress(step * 1_000_000, total)
            time.sleep(0.05)
        raise AssertionError("not cancelled")

    monkeypatch.setattr(weights, "ensure_weights", slow_download)
    setup_dialog.select_model(DEFAULT_MODEL_ID)
    setup_dialog.download_button.click()
    assert setup_dialog.is_busy() and not setup_dialog.download_button.isEnabled()
    qtbot.waitUntil(lambda: " of " in setup_dialog.progress_label.text(), timeout=TIMEOUT_MS)
    qtbot.waitUntil(lambda: "/s" in setup_dialog.progress_label.text(), timeout=TIMEOUT_MS)
    text = setup_dialog.progress_label.text()
    assert "MB" in text and "left" in text
    setup_dialog.cancel_button.click()
    qtbot.waitUntil(lambda: not setup_dialog.is_busy(), timeout=TIMEOUT_MS)
    assert "cancelled" in setup_dialog.notice.text()
    assert setup_dialog.download_button.isEnabled()


def test_offline_says_so_and_offers_the_file_route(
    qtbot: QtBot, setup_dialog: ModelSetupDialog, monkeypatch: pytest.MonkeyPatch,
    no_proxy: None,
) -> None:
    with socket.socket() as s:  # a port nobody listens on: connection refused
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    monkeypatch.setenv("HF_ENDPOINT", f"http://127.0.0.1:{port}")
    setup_dialog.select_model(DEFAULT_MODEL_ID)
    with qtbot.waitSignal(setup_dialog.offlineShown, timeout=TIMEOUT_MS):
        setup_dialog.download_button.click()
    qtbot.waitUntil(lambda: not setup_dialog.is_busy(), timeout=TIMEOUT_MS)
    notice = setup_dialog.notice.text()
    assert "offline" in notice and "Use a checkpoint file on this computer" in notice
    assert "clip_cn_vit-b-16.pt" in notice  # which file to get, and where to put it
    assert setup_dialog.notice.isVisibleTo(setup_dialog)
    assert setup_dialog.file_button.isEnabled()


def test_settings_round_trip(qtbot: QtBot, app_context: AppContext) -> None:
    dialog = SettingsDialog(app_context)
    qtbot.addWidget(dialog)
    assert dialog.data_folder.text() == str(app_context.engine.paths.root)
    assert dialog.data_folder.textFormat() == Qt.TextFormat.PlainText
    dialog.device.setCurrentIndex(dialog.device.findData("cuda"))
    dialog.batch_size.setValue(48)
    dialog.decode_workers.setValue(3)
    dialog.gpu_decode.setChecked(False)
    dialog.thumbnail_size.setValue(320)
    dialog.language.setCurrentIndex(dialog.language.findData("zh_CN"))
    with qtbot.waitSignal(dialog.saved) as blocker:
        dialog.accept()
    assert sorted(blocker.args[0]) == ["batch_size", "decode_workers", "device", "gpu_decode",
                                       "thumbnail_size", "ui_language"]
    saved = load_settings(app_context.engine.paths.settings_file)
    assert (saved.device, saved.batch_size, saved.decode_workers, saved.gpu_decode,
            saved.thumbnail_size, saved.ui_language) == ("cuda", 48, 3, False, 320, "zh_CN")
    again = SettingsDialog(app_context)
    qtbot.addWidget(again)
    assert again.values() == {"device": "cuda", "batch_size": 48, "decode_workers": 3,
                              "gpu_decode": False, "read_text": False, "thumbnail_size": 320,
                              "ui_language": "zh_CN"}
    assert again.batch_size.specialValueText() == "Automatic"
    again.decode_workers.setValue(0)  # shown as the automatic choice, with the core count
    assert again.decode_workers.text().startswith("Automatic (")


@pytest.fixture
def indexed_with_a_bad_file(qtbot: QtBot, app_context: AppContext,
                            coco_photos: Callable[..., Path]) -> Iterator[Path]:
    folder = coco_photos(2)
    bad = folder / "<b>x<" / "b>.jpg"  # the path ends in "<b>x</b>.jpg"
    bad.parent.mkdir()
    bad.write_bytes(b"this is not a picture")
    assert str(bad).endswith("<b>x</b>.jpg")
    controller = IndexingController(app_context)
    with qtbot.waitSignal(controller.finished, timeout=TIMEOUT_MS) as blocker:
        controller.add_folders([folder])
    assert blocker.args[0].skipped == 1
    yield bad
    controller.shutdown()


def test_skipped_files_show_names_and_reasons_as_plain_text(
    qtbot: QtBot, app_context: AppContext, indexed_with_a_bad_file: Path,
) -> None:
    dialog = SkippedFilesDialog(app_context)
    qtbot.addWidget(dialog)
    with qtbot.waitSignal(dialog.loaded, timeout=TIMEOUT_MS) as blocker:
        pass
    assert blocker.args == [1]
    [(path, reason)] = dialog.rows()
    assert path == str(indexed_with_a_bad_file)
    assert reason and "<" not in reason
    assert dialog.table.item(0, 0).text() == str(indexed_with_a_bad_file)  # literally
    assert dialog.table.item(0, 0).toolTip() == "<qt>" + str(indexed_with_a_bad_file).replace(
        "<", "&lt;").replace(">", "&gt;") + "</qt>"
    assert dialog.summary.textFormat() == Qt.TextFormat.PlainText
    # a reason longer than its column shows whole in its tooltip, as plain text
    assert dialog.table.item(0, 1).toolTip() == "<qt>" + reason.replace(
        "<", "&lt;").replace(">", "&gt;") + "</qt>"
    dialog.copy_list()
    from PySide6.QtWidgets import QApplication

    assert QApplication.clipboard().text() == f"{indexed_with_a_bad_file}\t{reason}"


def test_skipped_files_also_name_the_folders_that_could_not_be_read(
    qtbot: QtBot, app_context: AppContext, indexed_with_a_bad_file: Path,
) -> None:
    from clipdesk.core.types import RootState

    locked = indexed_with_a_bad_file.parent / "locked"
    with app_context.engine.store.writer() as lib:
        [root] = lib.roots()
        lib.set_root_state(root.id, RootState.ONLINE, unreadable=[locked])
    dialog = SkippedFilesDialog(app_context)
    qtbot.addWidget(dialog)
    with qtbot.waitSignal(dialog.loaded, timeout=TIMEOUT_MS) as blocker:
        pass
    assert blocker.args == [2]
    folder_row, file_row = dialog.rows()
    assert folder_row[0] == str(locked) + os.sep and "could not be read" in folder_row[1]
    assert file_row[0] == str(indexed_with_a_bad_file)
    assert "1 folder" in dialog.summary.text() and "1 file" in dialog.summary.text()
