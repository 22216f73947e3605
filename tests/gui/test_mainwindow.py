"""The main window: folder and photo drops, indexing to the panels, sidebar, closing, geometry."""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QMimeData, QPointF, QSettings, QSize, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent, QKeySequence
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from clipdesk.core.store.records import LibraryStats, SearchIndexInfo
from clipdesk.core.types import IndexReport, Progress, Stage
from clipdesk.gui.context import AppContext
from clipdesk.gui.dialogs.skipped import SkippedFilesDialog
from clipdesk.gui.mainwindow import MainWindow
from clipdesk.gui.panels.library import COL_ERRORS, COL_PHOTOS, COL_STATE
from clipdesk.gui.workers import running_jobs

TIMEOUT_MS = 120_000


def make_window(qtbot: QtBot, context: AppContext, ini: Path) -> MainWindow:
    window = MainWindow(context, QSettings(str(ini), QSettings.Format.IniFormat))
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    return window


@pytest.fixture
def window(qtbot: QtBot, app_context: AppContext, tmp_path: Path) -> Iterator[MainWindow]:
    win = make_window(qtbot, app_context, tmp_path / "window.ini")
    yield win
    win.close()  # stops any indexing (close = cancel, quit, wait)


def drop(widget: Any, paths: list[Path]) -> tuple[bool, bool]:
    """Send a real drag-enter and drop of ``paths`` (file URLs) to ``widget``."""
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(p)) for p in paths])
    center = widget.rect().center()
    enter = QDragEnterEvent(center, Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                            Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(widget, enter)
    if not enter.isAccepted():
        return False, False
    event = QDropEvent(QPointF(center), Qt.DropAction.CopyAction, mime,
                       Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(widget, event)
    return True, event.isAccepted()


def library_stats(context: AppContext) -> Any:
    with context.engine.library() as lib:
        return lib.stats()


def test_folder_drop_indexes_and_refreshes_the_panels(
    qtbot: QtBot, window: MainWindow, app_context: AppContext, coco_photos: Callable[..., Path],
) -> None:
    folder = coco_photos(20)
    changes: list[bool] = []
    app_context.libraryChanged.connect(lambda: changes.append(True))
    progress: list[Progress] = []
    window.controller.progressed.connect(progress.append)
    with qtbot.waitSignal(window.controller.finished, timeout=TIMEOUT_MS) as blocker:
        assert drop(window, [folder]) == (True, True)
        assert window.controller.is_running()
    report: IndexReport = blocker.args[0]
    assert (report.new, report.embedded, report.skipped) == (20, 20, 0)
    assert changes, "context.libraryChanged was not emitted"
    assert any(p.stage is Stage.EMBEDDING and p.done == 20 for p in progress)
    stats = library_stats(app_context)
    assert stats.photos == 20
    assert stats.model_counts == {app_context.current_model_id(): 20}

    panel = window.library_panel
    qtbot.waitUntil(lambda: bool(panel.roots()) and panel.roots()[0].photo_count == 20,
                    timeout=TIMEOUT_MS)
    qtbot.waitUntil(lambda: not window.controller.is_running())  # the thread ends after
    item = panel.tree.topLevelItem(0)
    assert item.text(0) == folder.name and str(folder) in item.toolTip(0)
    assert (item.text(COL_PHOTOS), item.text(COL_STATE), item.text(COL_ERRORS)) == (
        "20", "indexed", "")
    qtbot.waitUntil(lambda: window.library_label.text().startswith("Photos: 20 · Folders: 1"),
                    timeout=TIMEOUT_MS)
    assert window.library_label.toolTip().startswith("Searched exactly")
    assert not window.progress_widget.isVisible()  # progress is shown once, in its own bar
    assert not hasattr(window, "index_label")


def test_photo_drop_goes_to_the_image_search(
    qtbot: QtBot, window: MainWindow, coco_photos: Callable[..., Path],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    photo = next(coco_photos(1).iterdir())
    asked: list[Path] = []
    monkeypatch.setattr(window.image_panel, "set_query_image", lambda p, **_: asked.append(p))
    assert drop(window, [photo]) == (True, True)
    assert asked == [photo]
    assert window.tabs.currentWidget() is window.image_panel
    assert not window.controller.is_running()


def test_paths_from_the_command_line_open_like_a_drop(
    window: MainWindow, tmp_path: Path, coco_photos: Callable[..., Path],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """``clipdesk PATH...`` (the .desktop file's "Open with"): folders index, a photo searches."""
    from clipdesk import app as app_module

    args = app_module.parse_args(["-platform", "offscreen", str(tmp_path)])
    assert args.paths[-1] == str(tmp_path)
    folders: list[list[Path]] = []
    photos: list[Path] = []
    monkeypatch.setattr(window, "add_folders", folders.append)
    monkeypatch.setattr(window.image_panel, "set_query_image", lambda p, **_: photos.append(p))
    photo = next(coco_photos(1).iterdir())
    assert window.open_paths([photo])
    assert photos == [photo] and window.tabs.currentWidget() is window.image_panel
    assert window.open_paths([tmp_path, photo])
    assert folders == [[tmp_path]] and photos == [photo]  # folders win over photos
    assert not window.open_paths([tmp_path / "gone.jpg"])


def test_find_similar_from_a_result_opens_the_image_search(
    window: MainWindow, monkeypatch: pytest.MonkeyPatch,
) -> None:
    asked: list[int] = []
    monkeypatch.setattr(window.image_panel, "find_similar", asked.append)
    window.text_panel.findSimilarRequested.emit(7)
    assert asked == [7] and window.tabs.currentWidget() is window.image_panel


def test_other_files_are_refused(window: MainWindow, tmp_path: Path) -> None:
    note = tmp_path / "notes.txt"
    note.write_text("hello")
    assert drop(window, [note]) == (False, False)
    assert drop(window, [tmp_path / "gone"]) == (False, False)


def test_closing_during_indexing_stops_cleanly_and_loses_nothing(
    qtbot: QtBot, app_context: AppContext, tmp_path: Path, coco_photos: Callable[..., Path],
) -> None:
    app_context.engine.settings.batch_size = 4
    folder = coco_photos(32)
    window = make_window(qtbot, app_context, tmp_path / "window.ini")
    with qtbot.waitSignal(window.controller.progressed, timeout=TIMEOUT_MS,
                          check_params_cb=lambda p: p.stage is Stage.EMBEDDING and p.done > 0):
        window.add_folders([folder])
    window.close()  # cancel, quit, wait
    assert not window.controller.is_running() or not running_jobs()
    assert not running_jobs()
    # the decode worker processes ended with the job (spawned, not forked, from a Qt app)
    assert not [p for p in multiprocessing.active_children() if p.name == "clipdesk-decode"]
    kept = library_stats(app_context).model_counts.get(app_context.current_model_id(), 0)
    assert kept >= 4
    # every committed photo is complete: its thumbnail exists
    thumbs = app_context.engine.thumbnails()
    with app_context.engine.library() as lib:
        photos = lib.photos(lib.file_ids()).values()
        assert all(p.content_hash in thumbs for p in photos)

    again = make_window(qtbot, app_context, tmp_path / "window.ini")
    with qtbot.waitSignal(again.controller.finished, timeout=TIMEOUT_MS) as blocker:
        again.controller.rescan(None)  # starting again resumes
    assert blocker.args[0].embedded == 32 - kept
    assert library_stats(app_context).model_counts[app_context.current_model_id()] == 32
    again.close()


def test_sidebar_error_count_opens_the_skipped_files(
    qtbot: QtBot, window: MainWindow, coco_photos: Callable[..., Path],
) -> None:
    folder = coco_photos(2)
    (folder / "broken.jpg").write_bytes(b"not a photo")
    with qtbot.waitSignal(window.controller.finished, timeout=TIMEOUT_MS):
        window.add_folders([folder])
    panel = window.library_panel
    panel.dialogs_modal = False
    qtbot.waitUntil(lambda: bool(panel.roots()) and panel.roots()[0].skipped_count == 1,
                    timeout=TIMEOUT_MS)
    item = panel.tree.topLevelItem(0)
    assert item.text(COL_ERRORS) == "1"
    rect = panel.tree.visualRect(panel.tree.indexFromItem(item, COL_ERRORS))
    qtbot.mouseClick(panel.tree.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    dialogs = panel.findChildren(SkippedFilesDialog)
    assert len(dialogs) == 1
    qtbot.waitUntil(lambda: len(dialogs[0].rows()) == 1, timeout=TIMEOUT_MS)
    assert dialogs[0].rows()[0][0] == str(folder / "broken.jpg")
    dialogs[0].close()


def test_remove_a_root_from_the_sidebar(
    qtbot: QtBot, window: MainWindow, app_context: AppContext, coco_photos: Callable[..., Path],
) -> None:
    with qtbot.waitSignal(window.controller.finished, timeout=TIMEOUT_MS):
        window.add_folders([coco_photos(3)])
    panel = window.library_panel
    qtbot.waitUntil(lambda: len(panel.roots()) == 1, timeout=TIMEOUT_MS)
    with qtbot.waitSignal(window.controller.finished, timeout=TIMEOUT_MS) as blocker:
        panel.remove_root(panel.roots()[0], confirm=False)
    assert blocker.args == [None]
    qtbot.waitUntil(lambda: not panel.roots(), timeout=TIMEOUT_MS)
    stats = library_stats(app_context)
    assert stats.photos == 0 and stats.model_counts == {app_context.current_model_id(): 0}
    assert panel.empty_hint.isVisibleTo(panel)


def test_second_model_indexes_and_keeps_the_first(
    qtbot: QtBot, window: MainWindow, app_context: AppContext, tiny_cn_clip: Any,
    coco_photos: Callable[..., Path],
) -> None:
    first = app_context.current_model_id()
    with qtbot.waitSignal(window.controller.finished, timeout=TIMEOUT_MS):
        window.add_folders([coco_photos(6)])
    qtbot.waitUntil(lambda: len(window.library_panel.roots()) == 1, timeout=TIMEOUT_MS)
    window.refresh_models()
    index = window.model_combo.findData(tiny_cn_clip.model_id)
    assert index >= 0
    asked: list[tuple[str, int]] = []

    def ask(model_id: str, todo: int, answer: str = "cancel") -> str:
        asked.append((model_id, todo))
        return answer

    window.ask_switch = ask
    window.model_combo.setCurrentIndex(index)
    window.model_combo.activated.emit(index)  # as when the person picks it: asked first
    qtbot.waitUntil(lambda: window.model_combo.currentData() == first, timeout=TIMEOUT_MS)
    assert asked == [(tiny_cn_clip.model_id, 6)] and app_context.current_model_id() == first
    window.ask_switch = lambda m, n: ask(m, n, "later")  # switched, nothing indexed
    window.model_combo.setCurrentIndex(index)
    window.model_combo.activated.emit(index)
    qtbot.waitUntil(lambda: app_context.current_model_id() == tiny_cn_clip.model_id,
                    timeout=TIMEOUT_MS)
    assert not window.controller.is_running()
    window.model_combo.setCurrentIndex(window.model_combo.findData(first))
    window.model_combo.activated.emit(window.model_combo.currentIndex())  # all there: no ask
    qtbot.waitUntil(lambda: app_context.current_model_id() == first, timeout=TIMEOUT_MS)
    assert len(asked) == 2
    window.ask_switch = lambda m, n: ask(m, n, "index")
    with qtbot.waitSignal(window.controller.finished, timeout=TIMEOUT_MS) as blocker:
        window.model_combo.setCurrentIndex(index)
        window.model_combo.activated.emit(index)
    assert app_context.current_model_id() == tiny_cn_clip.model_id
    assert blocker.args[0].embedded == 6
    assert library_stats(app_context).model_counts == {first: 6, tiny_cn_clip.model_id: 6}
    qtbot.waitUntil(lambda: window.device_label.text() == "ready on CPU", timeout=TIMEOUT_MS)


def test_menus_shortcuts_and_geometry(
    qtbot: QtBot, app_context: AppContext, tmp_path: Path,
) -> None:
    ini = tmp_path / "window.ini"
    window = make_window(qtbot, app_context, ini)
    menus = [a.text() for a in window.menuBar().actions()]
    assert menus == ["&File", "&Edit", "&View", "&Library", "&Models", "&Help"]
    assert window.add_folder_action.shortcut() == QKeySequence("Ctrl+O")
    file_actions = window.menuBar().actions()[0].menu().actions()
    assert any(a.shortcut() == QKeySequence("Ctrl+Q") for a in file_actions)
    assert window.acceptDrops()
    # on a 1024 px wide screen the panels leave the library sidebar room for folder names
    assert window.minimumSizeHint().width() <= 920
    # the offscreen screen is 800 px wide, narrower than the window's minimum: check heights
    window.resize(QSize(window.minimumSizeHint().width(), 560))
    window.close()
    assert QSettings(str(ini), QSettings.Format.IniFormat).value("window/geometry")
    again = make_window(qtbot, app_context, ini)
    assert again.height() == 560
    again.resize(QSize(again.width(), 540))
    again.close()
    assert make_window(qtbot, app_context, ini).height() == 540


def test_first_run_without_a_model_offers_the_setup(
    qtbot: QtBot, tmp_path: Path,
) -> None:
    from clipdesk.core.engine import Engine
    from clipdesk.gui.dialogs.model_setup import ModelSetupDialog
    from clipdesk.paths import DataPaths

    context = AppContext(Engine(DataPaths(tmp_path / "fresh")))
    try:
        window = make_window(qtbot, context, tmp_path / "window.ini")
        dialog = window.check_first_run()
        assert isinstance(dialog, ModelSetupDialog)
        assert dialog.close_button.text() == "Not now"  # the app stays usable without one
        dialog.close()
        qtbot.waitUntil(lambda: window.device_label.text() == "weights missing"
                        or context.encoder_state(context.current_model_id())[0] == "missing")
        window.close()
    finally:
        context.shutdown()


def test_the_finished_message_says_what_the_gpu_decoded(window: MainWindow) -> None:
    window._on_index_finished(IndexReport("m", embedded=40, skipped=1, gpu_decoded=32))
    message = window.statusBar().currentMessage()
    assert "40 new photos indexed, 1 skipped" in message
    assert "The GPU decoded 32 of them." in message
    window._on_index_finished(IndexReport("m", embedded=5))
    assert "GPU" not in window.statusBar().currentMessage()


def test_missing_photos_show_in_the_sidebar_and_are_forgotten_only_when_confirmed(
    qtbot: QtBot, window: MainWindow, tmp_path: Path,
) -> None:
    from tests.core.fakes import make_photos

    folder = tmp_path / "photos"
    make_photos(folder, 6)
    with qtbot.waitSignal(window.controller.finished, timeout=TIMEOUT_MS):
        window.add_folders([folder])
    for name in ("img_0001.png", "img_0002.png"):
        (folder / name).unlink()
    with qtbot.waitSignal(window.controller.finished, timeout=TIMEOUT_MS) as blocker:
        window.controller.rescan(None)
    assert blocker.args[0].missing == 2
    panel = window.library_panel
    qtbot.waitUntil(lambda: bool(panel.roots()) and panel.roots()[0].missing_count == 2,
                    timeout=TIMEOUT_MS)
    item = panel.tree.topLevelItem(0)
    assert item.text(COL_PHOTOS) == "4" and "2 missing" in item.text(COL_STATE)
    asked: list[str] = []
    window.confirm = lambda title, question: asked.append(question) or False  # type: ignore
    window.forget_missing()
    qtbot.waitUntil(lambda: bool(asked), timeout=TIMEOUT_MS)
    assert "Forget 2 photos" in asked[0]
    assert library_stats(window.context).missing == 2  # said no: nothing forgotten
    window.confirm = lambda title, question: True  # type: ignore
    with qtbot.waitSignal(window.controller.finished, timeout=TIMEOUT_MS):
        window.forget_missing()
    assert library_stats(window.context).missing == 0


def test_window_state_is_kept_in_the_data_folder(qtbot: QtBot, app_context: AppContext) -> None:
    import os
    import stat

    config_home = Path(os.environ["XDG_CONFIG_HOME"])
    before = sorted(config_home.rglob("*"))
    window = MainWindow(app_context)  # the app's own way: no settings object given
    qtbot.addWidget(window)
    window.resize(900, 650)
    window.show()
    window.close()
    state = app_context.engine.paths.window_state_file
    assert state.is_file() and "geometry" in state.read_text(encoding="utf-8")
    assert stat.S_IMODE(state.stat().st_mode) == 0o600
    assert sorted(config_home.rglob("*")) == before  # nothing written to ~/.config


def test_quitting_mid_index_asks_and_the_work_resumes_on_the_next_start(
    qtbot: QtBot, app_context: AppContext, tmp_path: Path, coco_photos: Callable[..., Path],
) -> None:
    app_context.engine.settings.batch_size = 4
    folder = coco_photos(32)
    window = make_window(qtbot, app_context, tmp_path / "window.ini")
    asked: list[str] = []
    window.confirm_quit = lambda question: asked.append(question) or False  # type: ignore
    with qtbot.waitSignal(window.controller.progressed, timeout=TIMEOUT_MS,
                          check_params_cb=lambda p: p.stage is Stage.EMBEDDING and p.done > 0):
        window.add_folders([folder])
    assert not window.close() and asked and window.isVisible()  # "Keep indexing"
    window.confirm_quit = lambda question: True  # type: ignore
    window.close()  # "Quit": the job stops between batches
    with app_context.engine.library() as lib:
        (root,) = lib.roots()
    done = root.photo_count
    if done == 32:
        pytest.skip("the machine indexed everything before the window closed")
    assert root.unfinished and root.found_count == 32

    again = make_window(qtbot, app_context, tmp_path / "window.ini")  # the next start
    panel = again.library_panel
    qtbot.waitUntil(lambda: bool(panel.roots()), timeout=TIMEOUT_MS)
    state = panel.tree.topLevelItem(0).text(COL_STATE)
    assert f"{done} of 32 indexed" in state
    with qtbot.waitSignal(again.controller.finished, timeout=TIMEOUT_MS) as blocker:
        again.resume_unfinished()
    assert blocker.args[0].embedded == 32 - done
    with app_context.engine.library() as lib:
        (root,) = lib.roots()
    assert not root.unfinished and root.photo_count == 32
    again.close()


def test_changes_made_by_another_process_show_up(
    qtbot: QtBot, window: MainWindow, tmp_path: Path
) -> None:
    """clipdesk-cli indexing while the window is open: the sidebar follows."""
    from clipdesk.core.indexer import Indexer
    from clipdesk.core.store import Library
    from tests.core.fakes import FakeEncoder, make_photos

    panel = window.library_panel
    qtbot.waitUntil(lambda: panel.roots() == [], timeout=TIMEOUT_MS)
    folder = tmp_path / "indexed elsewhere"
    make_photos(folder, 3)
    with Library.open(window.context.engine.paths, write=True) as lib:  # "another process"
        Indexer(lib, FakeEncoder(), decode_workers=1).run([folder])
    qtbot.waitUntil(lambda: [r.photo_count for r in panel.roots()] == [3], timeout=TIMEOUT_MS)


def test_the_status_tells_how_a_large_library_is_searched(window: MainWindow) -> None:
    info = SearchIndexInfo("ivf", 1_000_000, 1024, 16, 0.981, 0.9724)
    window._show_stats(LibraryStats(1_000_000, 0, [], {}), info)
    assert window.library_label.toolTip() == (
        "A large library: searched approximately, 16 of 1,024 groups of similar photos per "
        "query. Measured on this library, a search finds 98% of the 10 best matches for a "
        "photo query and 97% for a text query.")
