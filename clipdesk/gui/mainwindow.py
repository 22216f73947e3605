"""The main window: search tabs, library sidebar, indexing bar, menus, status bar, drops."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QByteArray, QSettings, Qt, QTimer, QUrl
from PySide6.QtGui import (
    QAction,
    QCloseEvent,
    QDragEnterEvent,
    QDragMoveEvent,
    QDropEvent,
    QImage,
    QKeySequence,
    QShowEvent,
)
from PySide6.QtWidgets import (
    QComboBox,
    QDockWidget,
    QFileDialog,
    QLabel,
    QMainWindow,
    QMessageBox,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from clipdesk import __version__
from clipdesk.core.store.records import MissingFiles
from clipdesk.core.types import IndexReport, Progress, Root, RootState
from clipdesk.gui.context import ERROR, LOADING, MISSING, READY, AppContext, device_label
from clipdesk.gui.dialogs import errors
from clipdesk.gui.dialogs.errors import show_error
from clipdesk.gui.dialogs.model_setup import ModelSetupDialog
from clipdesk.gui.dialogs.settings import SettingsDialog
from clipdesk.gui.health import LibraryHealth
from clipdesk.gui.indexing import IndexingController, IndexProgressWidget, progress_text
from clipdesk.gui.panels.evaluation import EvaluationPanel
from clipdesk.gui.panels.image_search import ImageSearchPanel
from clipdesk.gui.panels.library import LibraryPanel
from clipdesk.gui.panels.tagging import TaggingPanel
from clipdesk.gui.panels.text_search import TextSearchPanel
from clipdesk.paths import create_private_file

if TYPE_CHECKING:
    from clipdesk.core.store.records import LibraryStats

log = logging.getLogger(__name__)

WATCH_INTERVAL_MS = 2_000  # how often the window looks for changes made by other processes

IMAGE_SUFFIXES = frozenset({".jpg", ".jpeg", ".png", ".webp", ".bmp", ".gif", ".tif", ".tiff",
                            ".heic", ".heif"})
CLOSE_TIMEOUT_MS = 15_000
LIBRARY_WIDTH = 300


def local_paths(urls: list[QUrl]) -> list[Path]:
    return [Path(u.toLocalFile()) for u in urls if u.isLocalFile() and u.toLocalFile()]


class MainWindow(QMainWindow):
    """The clipdesk window over one :class:`AppContext`."""

    def __init__(self, context: AppContext, settings: QSettings | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.context = context
        # window state lives in the data folder, like everything else of this library (not in
        # ~/.config, which CLIPDESK_DATA_DIR or --data-dir would not move)
        if settings is None:
            state = context.engine.paths.window_state_file
            create_private_file(state)  # 0600 from the start, like the rest of the data folder
            settings = QSettings(str(state), QSettings.Format.IniFormat)
        self.qsettings = settings
        self.controller = IndexingController(context, self)
        self._ask_before_quit = True
        self.health = LibraryHealth(context, self, self.controller.stop)
        self.setWindowTitle(self.tr("clipdesk"))
        self.setAcceptDrops(True)
        self.resize(1200, 780)

        self.tabs = QTabWidget()
        self.text_panel = TextSearchPanel(context)
        self.image_panel = ImageSearchPanel(context)
        self.tabs.addTab(self.text_panel, self.tr("Text search"))
        self.tabs.addTab(self.image_panel, self.tr("Image search"))
        self.tagging_panel = TaggingPanel(context)
        self.evaluation_panel = EvaluationPanel(context)
        self.tabs.addTab(self.tagging_panel, self.tr("Tagging"))
        self.tabs.addTab(self.evaluation_panel, self.tr("Evaluation"))
        self.text_panel.findSimilarRequested.connect(self.find_similar)
        self.image_panel.findSimilarRequested.connect(self.find_similar)
        self.tagging_panel.findSimilarRequested.connect(self.find_similar)
        for panel in (self.text_panel, self.image_panel):  # a new default threshold shows there
            self.evaluation_panel.defaultThresholdSet.connect(panel.options.set_threshold)
        self.progress_widget = IndexProgressWidget(self.controller)
        central = QWidget()
        layout = QVBoxLayout(central)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.tabs, 1)
        layout.addWidget(self.progress_widget)
        self.setCentralWidget(central)

        self.library_panel = LibraryPanel(context, self.controller)
        self.library_panel.addFolderRequested.connect(self.choose_folder)
        self.library_dock = QDockWidget(self.tr("Library"), self)
        self.library_dock.setObjectName("library-dock")
        self.library_dock.setWidget(self.library_panel)
        self.addDockWidget(Qt.DockWidgetArea.LeftDockWidgetArea, self.library_dock)

        self._build_status_bar()
        self._build_menus()

        context.libraryChanged.connect(self.refresh_library_status)
        # another process (clipdesk-cli) may write to this library: noticed by the database
        # files changing while no job of this window writes
        self._library_signature = self._database_signature()
        self._watch = QTimer(self)
        self._watch.setInterval(WATCH_INTERVAL_MS)
        self._watch.timeout.connect(self.notice_outside_changes)
        self._watch.start()
        context.currentModelChanged.connect(lambda _m: self.refresh_models())
        context.encoderStateChanged.connect(self._on_encoder_state)
        self.controller.progressed.connect(self._on_index_progress)
        self.controller.finished.connect(self._on_index_finished)
        self.controller.failed.connect(self._on_index_failed)
        self.controller.runningChanged.connect(self._on_running_changed)
        self.refresh_models()
        self.refresh_library_status()
        self.restore_geometry()

    # -- building ------------------------------------------------------------------------------

    def _build_status_bar(self) -> None:
        bar = self.statusBar()
        self.library_label = QLabel()
        self.index_label = QLabel(self.tr("Idle"))
        self.model_combo = QComboBox()
        self.model_combo.setToolTip(self.tr("The model that indexes and searches"))
        self.model_combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.model_combo.activated.connect(self._on_model_chosen)
        self.device_label = QLabel()
        bar.addWidget(self.library_label)
        bar.addWidget(self.index_label, 1)
        bar.addPermanentWidget(QLabel(self.tr("Model:")))
        bar.addPermanentWidget(self.model_combo)
        bar.addPermanentWidget(self.device_label)

    def _build_menus(self) -> None:
        file_menu = self.menuBar().addMenu(self.tr("&File"))
        self.add_folder_action = self._action(self.tr("&Add folder…"), self.choose_folder,
                                              QKeySequence.StandardKey.Open)
        file_menu.addAction(self.add_folder_action)
        file_menu.addAction(self._action(self.tr("&Settings…"), self.open_settings,
                                         QKeySequence.StandardKey.Preferences))
        file_menu.addSeparator()
        quit_action = self._action(self.tr("&Quit"), self.close, QKeySequence.StandardKey.Quit)
        quit_action.setShortcut(QKeySequence("Ctrl+Q"))  # also where Quit has no standard key
        quit_action.setMenuRole(QAction.MenuRole.QuitRole)
        file_menu.addAction(quit_action)

        library_menu = self.menuBar().addMenu(self.tr("&Library"))
        library_menu.addAction(self._action(self.tr("&Re-scan all folders"),
                                            lambda: self.controller.rescan(None),
                                            QKeySequence.StandardKey.Refresh))
        library_menu.addAction(self._action(self.tr("Re-scan selected folder"),
                                            self.rescan_selected))
        library_menu.addAction(self._action(self.tr("Re&move selected folder…"),
                                            self.remove_selected))
        library_menu.addSeparator()
        library_menu.addAction(self._action(self.tr("Show &skipped files…"),
                                            lambda: self.library_panel.show_skipped(None)))
        library_menu.addAction(self._action(self.tr("&Forget missing photos…"),
                                            self.forget_missing))
        library_menu.addSeparator()
        library_menu.addAction(self._action(self.tr("&Check library…"), self.health.check))
        library_menu.addAction(self._action(self.tr("Restore from &backup…"),
                                            self.health.restore))
        library_menu.addSeparator()
        library_menu.addAction(self.library_dock.toggleViewAction())

        models_menu = self.menuBar().addMenu(self.tr("&Models"))
        models_menu.addAction(self._action(self.tr("Model &setup…"), self.open_model_setup))

        help_menu = self.menuBar().addMenu(self.tr("&Help"))
        about = self._action(self.tr("&About clipdesk"), self.show_about)
        about.setMenuRole(QAction.MenuRole.AboutRole)
        help_menu.addAction(about)

    def _action(self, text: str, slot: object, shortcut: QKeySequence.StandardKey | None = None
                ) -> QAction:
        action = QAction(text, self)
        if shortcut is not None:
            action.setShortcut(QKeySequence(shortcut))
        action.triggered.connect(slot)
        return action

    # -- library -------------------------------------------------------------------------------

    def choose_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, self.tr("Add a photo folder"))
        if folder:
            self.add_folders([Path(folder)])

    def add_folders(self, folders: list[Path]) -> None:
        """Add folders to the library and index them with the current model."""
        self.controller.add_folders(folders)

    def rescan_selected(self) -> None:
        root = self.library_panel.selected_root()
        if root is None:
            self.statusBar().showMessage(self.tr("Select a folder in the library first."), 4000)
            return
        self.controller.rescan(root)

    def remove_selected(self) -> None:
        root = self.library_panel.selected_root()
        if root is None:
            self.statusBar().showMessage(self.tr("Select a folder in the library first."), 4000)
            return
        self.library_panel.remove_root(root)

    def _database_signature(self) -> tuple[tuple[int, int], ...]:
        database = self.context.engine.paths.database
        out = []
        for path in (database, database.with_name(database.name + "-wal")):
            try:
                st = path.stat()
                out.append((st.st_mtime_ns, st.st_size))
            except OSError:
                out.append((0, 0))
        return tuple(out)

    def notice_outside_changes(self) -> None:
        """Refresh the panels when the library changed and none of this window's jobs did it
        (another process wrote to it: the CLI indexing, tagging or purging)."""
        signature = self._database_signature()
        if signature == self._library_signature:
            return
        self._library_signature = signature
        if not self.controller.is_running():
            log.info("the library was changed by another process; refreshing")
            self.context.notify_library_changed()

    def refresh_library_status(self) -> None:
        self.context.run_task(lambda: self.context.library().stats(), self._show_stats,
                              lambda message: self.library_label.setText(message))

    def _show_stats(self, stats: LibraryStats) -> None:
        text = self.tr("Photos: %1 · Folders: %2").replace("%1", f"{stats.photos:,}").replace(
            "%2", str(len(stats.roots)))
        indexed = stats.model_counts.get(self.context.current_model_id(), 0)
        if stats.photos and indexed < stats.photos:
            text += " · " + self.tr("%1 indexed with this model").replace("%1", f"{indexed:,}")
        self.library_label.setText(text)

    # -- indexing ------------------------------------------------------------------------------

    def _on_index_progress(self, p: object) -> None:
        if isinstance(p, Progress):
            self.index_label.setText(progress_text(p))

    def _on_running_changed(self, running: bool) -> None:
        if not running:
            self.index_label.setText(self.tr("Idle"))

    def _on_index_finished(self, report: IndexReport | None) -> None:
        if report is None:
            return
        if report.cancelled:
            self.statusBar().showMessage(self.tr("Indexing stopped; %1 photos were indexed "
                                                 "before that.").replace(
                "%1", str(report.embedded)), 8000)
            return
        message = self.tr("Indexing finished: %1 new photos indexed, %2 skipped.").replace(
            "%1", str(report.embedded)).replace("%2", str(report.skipped))
        if report.gpu_decoded:
            message += " " + self.tr("The GPU decoded %1 of them.").replace(
                "%1", str(report.gpu_decoded))
        if report.offline_roots:
            message += " " + self.tr("%1 folders could not be reached and were left as they "
                                     "were.").replace("%1", str(len(report.offline_roots)))
        self.statusBar().showMessage(message, 10000)

    def forget_missing(self) -> None:
        """Library > Forget missing photos: say what would go (tags the person set included),
        and forget it only when confirmed."""
        def count() -> MissingFiles:
            return self.context.library().missing_files()

        def confirm(missing: MissingFiles) -> None:
            if not missing.files:
                self.statusBar().showMessage(self.tr("No photos are missing."), 8000)
                return
            question = self.tr("Forget %1 photos that are no longer found? They come back by "
                               "themselves when their drive or folder returns, as long as they "
                               "are not forgotten.").replace("%1", str(missing.files))
            if missing.manual_tags:
                question += "\n\n" + self.tr("%1 tags you set on them are deleted too.").replace(
                    "%1", str(missing.manual_tags))
            if self.confirm(self.tr("Forget missing photos"), question):
                self.controller.purge_missing()

        self.context.run_task(count, confirm, lambda message: show_error(self, message))

    def confirm_quit(self, question: str) -> bool:
        """Whether to quit while indexing runs (replaced in tests; yes when dialogs are off)."""
        if not errors.dialogs_enabled:
            return True
        box = QMessageBox(QMessageBox.Icon.Question, self.tr("Quit clipdesk"), question,
                          parent=self)
        quit_button = box.addButton(self.tr("Quit"), QMessageBox.ButtonRole.AcceptRole)
        box.addButton(self.tr("Keep indexing"), QMessageBox.ButtonRole.RejectRole)
        box.exec()
        return box.clickedButton() is quit_button

    def receive_paths(self, paths: list[str]) -> None:
        """A second launch of clipdesk for this data folder handed over its paths."""
        self.showNormal() if self.isMinimized() else self.show()
        self.raise_()
        self.activateWindow()
        found = [Path(p) for p in paths if Path(p).exists()]
        if found:
            self.open_paths(found)

    def resume_unfinished(self) -> None:
        """At start: continue the indexing a quit, crash or kill left unfinished (with the
        current model; work of another model waits for it to be current)."""
        model_id = self.context.current_model_id()

        def unfinished() -> list[Root]:
            return [r for r in self.context.library().roots()
                    if r.pending_model == model_id and r.state is RootState.ONLINE]

        def resume(roots: list[Root]) -> None:
            if not roots:
                return
            log.info("resuming the unfinished indexing of %d folders", len(roots))
            for root in roots:
                self.controller.rescan(root)
            self.statusBar().showMessage(self.tr("Resuming the indexing of %1 folders that did "
                                                 "not finish.").replace("%1", str(len(roots))),
                                         8000)

        self.context.run_task(unfinished, resume)

    def confirm(self, title: str, question: str) -> bool:
        """A yes/no question (replaced in tests)."""
        if not errors.dialogs_enabled:
            return False
        answer = QMessageBox.question(self, title, question)
        return answer == QMessageBox.StandardButton.Yes

    def _on_index_failed(self, message: str) -> None:
        state, _ = self.context.encoder_state(self.context.current_model_id())
        if state == MISSING:
            self.open_model_setup(first_run=True, then_index=True)
            return
        show_error(self, message)

    # -- models --------------------------------------------------------------------------------

    def refresh_models(self) -> None:
        current = self.context.current_model_id()
        models = self.context.usable_models()
        self.model_combo.blockSignals(True)
        self.model_combo.clear()
        for info in models:
            self.model_combo.addItem(info.display_name, info.model_id)
        if self.model_combo.findData(current) < 0:
            self.model_combo.addItem(self.context.model_name(current), current)
        self.model_combo.setCurrentIndex(self.model_combo.findData(current))
        self.model_combo.blockSignals(False)
        self._show_encoder_state(current)

    def _on_model_chosen(self, index: int) -> None:
        model_id = str(self.model_combo.itemData(index))
        if model_id == self.context.current_model_id():
            return
        self.context.set_current_model(model_id)
        self.refresh_library_status()
        # the new model only embeds what it lacks; the other models' vectors stay
        if self.library_panel.roots():
            self.controller.rescan(None)

    def _on_encoder_state(self, model_id: str, _state: str) -> None:
        if model_id == self.context.current_model_id():
            self._show_encoder_state(model_id)

    def _show_encoder_state(self, model_id: str) -> None:
        state, detail = self.context.encoder_state(model_id)
        if state == READY:
            text = self.tr("ready on %1").replace("%1", device_label(detail))
        elif state == LOADING:
            text = self.tr("loading…")
        elif state == MISSING:
            text = self.tr("weights missing")
        elif state == ERROR:
            text = self.tr("could not be loaded")
        else:
            text = ""
        self.device_label.setText(text)
        self.device_label.setToolTip(detail if state in (MISSING, ERROR) else "")

    def open_model_setup(self, *, first_run: bool = False, then_index: bool = False
                         ) -> ModelSetupDialog:
        dialog = ModelSetupDialog(self.context, self, first_run=first_run)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.modelReady.connect(lambda _m: self.refresh_models())
        if then_index:
            dialog.modelReady.connect(lambda _m: self.controller.rescan(None))
        dialog.open()
        return dialog

    def check_first_run(self) -> ModelSetupDialog | None:
        """Open the model setup when no model's weights are on this computer."""
        if self.context.usable_models():
            return None
        return self.open_model_setup(first_run=True)

    # -- other dialogs -------------------------------------------------------------------------

    def open_settings(self) -> SettingsDialog:
        dialog = SettingsDialog(self.context, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()
        return dialog

    def show_about(self) -> None:
        box = QMessageBox(self)
        box.setWindowTitle(self.tr("About clipdesk"))
        box.setTextFormat(Qt.TextFormat.PlainText)
        box.setText(self.tr("clipdesk %1").replace("%1", __version__))
        box.setInformativeText(self.tr(
            "Search your own photos by meaning, in Chinese or English, with CLIP models that "
            "run on this computer. Nothing leaves it.\n\nData folder: %1").replace(
            "%1", str(self.context.engine.paths.root)))
        box.setIconPixmap(self.windowIcon().pixmap(64, 64))
        box.open()

    def find_similar(self, file_id: int) -> None:
        """Show the image search for photos like library photo ``file_id``."""
        self.tabs.setCurrentWidget(self.image_panel)
        self.image_panel.find_similar(file_id)

    # -- drag and drop -------------------------------------------------------------------------

    @staticmethod
    def _droppable(paths: list[Path]) -> tuple[list[Path], list[Path]]:
        folders = [p for p in paths if p.is_dir()]
        images = [p for p in paths if p.suffix.lower() in IMAGE_SUFFIXES and p.is_file()]
        return folders, images

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        mime = event.mimeData()
        folders, images = self._droppable(local_paths(mime.urls()))
        if folders or images or mime.hasImage():
            event.acceptProposedAction()
        else:
            event.ignore()

    def dragMoveEvent(self, event: QDragMoveEvent) -> None:
        event.acceptProposedAction()

    def open_paths(self, paths: list[Path]) -> bool:
        """Folders are added and indexed; otherwise the first photo becomes the image query.

        A drop on the window, and ``clipdesk PATH...`` (a file manager's "Open with"), both
        come here. Returns whether anything could be used.
        """
        folders, images = self._droppable(paths)
        if folders:
            self.add_folders(folders)
        elif images:
            self.tabs.setCurrentWidget(self.image_panel)
            self.image_panel.set_query_image(images[0])
        return bool(folders or images)

    def dropEvent(self, event: QDropEvent) -> None:
        mime = event.mimeData()
        folders, images = self._droppable(local_paths(mime.urls()))
        picture = mime.imageData() if not folders and not images and mime.hasImage() else None
        if not folders and not images and not isinstance(picture, QImage):
            event.ignore()
            return
        event.acceptProposedAction()
        if folders or images:  # folders index; a photo (file or picture from a browser) is a query
            self.open_paths(folders + images)
        elif isinstance(picture, QImage):
            self.tabs.setCurrentWidget(self.image_panel)
            self.image_panel.set_query_image(picture)

    # -- geometry and closing ------------------------------------------------------------------

    def restore_geometry(self) -> None:
        geometry = self.qsettings.value("window/geometry")
        state = self.qsettings.value("window/state")
        if isinstance(geometry, QByteArray):
            self.restoreGeometry(geometry)
        self._state_restored = isinstance(state, QByteArray) and self.restoreState(state)

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if not self._state_restored:  # first start: a sidebar wide enough for folder names
            self._state_restored = True
            self.resizeDocks([self.library_dock], [LIBRARY_WIDTH], Qt.Orientation.Horizontal)

    def save_geometry(self) -> None:
        self.qsettings.setValue("window/geometry", self.saveGeometry())
        self.qsettings.setValue("window/state", self.saveState())
        self.qsettings.sync()

    def close_without_asking(self) -> bool:
        """Close even while indexing runs (a TERM signal, the session ending)."""
        self._ask_before_quit = False
        return self.close()

    def closeEvent(self, event: QCloseEvent) -> None:
        # close = cancel, quit, wait with a timeout; committed batches are already saved, and
        # the unfinished work is recorded in the library: it resumes on the next start
        if self.controller.is_running() and self._ask_before_quit:
            question = self.tr("Indexing is still running. Quit anyway? What is done is kept, "
                               "and the rest continues the next time clipdesk starts.")
            if not self.confirm_quit(question):
                event.ignore()
                return
        if self.controller.is_running():
            self.index_label.setText(self.tr("Stopping…"))
        if not self.controller.shutdown(CLOSE_TIMEOUT_MS):
            log.warning("indexing did not stop in time; its committed batches are kept")
        self.text_panel.shutdown()
        self.image_panel.shutdown()
        self.tagging_panel.shutdown()
        self.evaluation_panel.shutdown()
        self.save_geometry()
        super().closeEvent(event)
