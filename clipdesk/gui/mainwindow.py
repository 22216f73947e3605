"""The main window: search tabs, library sidebar, indexing bar, menus, status bar, drops."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QByteArray, QSettings, Qt, QTimer, QUrl, Signal
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
    QLineEdit,
    QMainWindow,
    QMessageBox,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from clipdesk import __version__
from clipdesk.core.store.records import LibraryStats, MissingFiles, SearchIndexInfo
from clipdesk.core.types import IndexReport, Root, RootState
from clipdesk.gui.context import ERROR, LOADING, MISSING, READY, AppContext, device_label
from clipdesk.gui.dialogs import errors
from clipdesk.gui.dialogs.errors import show_error
from clipdesk.gui.dialogs.model_setup import ModelSetupDialog
from clipdesk.gui.dialogs.settings import SettingsDialog
from clipdesk.gui.dialogs.tag_manager import TagManagerDialog
from clipdesk.gui.health import LibraryHealth
from clipdesk.gui.indexing import IndexingController, IndexProgressWidget
from clipdesk.gui.panels.duplicates import DuplicatesDialog
from clipdesk.gui.panels.evaluation import EvaluationPanel
from clipdesk.gui.panels.image_search import ImageSearchPanel
from clipdesk.gui.panels.library import LibraryPanel
from clipdesk.gui.panels.tagging import TaggingPanel
from clipdesk.gui.panels.text_search import TextSearchPanel
from clipdesk.gui.results.focusring import FocusRing
from clipdesk.paths import create_private_file

if TYPE_CHECKING:
    from clipdesk.core.store.records import LibraryStats

log = logging.getLogger(__name__)

WATCH_INTERVAL_MS = 2_000  # how often the window looks for changes made by other processes

IMAGE_SUFFIXES = frozenset({".jpg", ".jpeg", ".png", ".webp", ".bmp", ".gif", ".tif", ".tiff",
                            ".heic", ".heif"})
CLOSE_TIMEOUT_MS = 15_000
LIBRARY_WIDTH = 300
# what to do when the chosen model lacks photos (MainWindow.ask_switch)
SWITCH_AND_INDEX, SWITCH_LATER, SWITCH_CANCEL = "index", "later", "cancel"


def _unique_keys(keys: list[QKeySequence]) -> list[QKeySequence]:
    """``keys`` without empty and repeated ones (a platform's standard key may be either)."""
    out: list[QKeySequence] = []
    for key in keys:
        if not key.isEmpty() and key not in out:
            out.append(key)
    return out


def local_paths(urls: list[QUrl]) -> list[Path]:
    return [Path(u.toLocalFile()) for u in urls if u.isLocalFile() and u.toLocalFile()]


class MainWindow(QMainWindow):
    """The clipdesk window over one :class:`AppContext`."""

    restartRequested = Signal()  # the person chose "Restart now" (a new language or device)

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
        self.ask_switch: Callable[[str, int], str] = self._ask_switch  # replaced by tests
        self.ask_restart: Callable[[], bool] = self._ask_restart  # replaced by tests
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
        self.tagging_panel.indexWithRequested.connect(self.index_with)
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
        self.focus_ring = FocusRing(self)  # Tab to a button or field: a frame that can be seen

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
        self.controller.finished.connect(self._on_index_finished)
        self.controller.failed.connect(self._on_index_failed)
        self.refresh_models()
        self.refresh_library_status()
        self.restore_geometry()

    # -- building ------------------------------------------------------------------------------

    def _build_status_bar(self) -> None:
        bar = self.statusBar()
        self.library_label = QLabel()
        self.model_combo = QComboBox()
        self.model_combo.setToolTip(self.tr("The model that indexes and searches"))
        self.model_combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.model_combo.activated.connect(self._on_model_chosen)
        self.device_label = QLabel()
        bar.addWidget(self.library_label, 1)
        bar.addPermanentWidget(QLabel(self.tr("Model:")))
        bar.addPermanentWidget(self.model_combo)
        bar.addPermanentWidget(self.device_label)

    def _build_menus(self) -> None:
        file_menu = self.menuBar().addMenu(self.tr("&File"))
        self.add_folder_action = self._action(self.tr("&Add folder…"), self.choose_folder,
                                              QKeySequence.StandardKey.Open)
        file_menu.addAction(self.add_folder_action)
        self.settings_action = self._action(self.tr("&Settings…"), self.open_settings)
        # Ctrl+, everywhere (Cmd+, on macOS), and the platform's own key where it has another
        self.settings_action.setShortcuts(_unique_keys(
            [QKeySequence("Ctrl+,"), QKeySequence(QKeySequence.StandardKey.Preferences)]))
        self.settings_action.setMenuRole(QAction.MenuRole.PreferencesRole)
        file_menu.addAction(self.settings_action)
        file_menu.addSeparator()
        quit_action = self._action(self.tr("&Quit"), self.close, QKeySequence.StandardKey.Quit)
        quit_action.setShortcut(QKeySequence("Ctrl+Q"))  # also where Quit has no standard key
        quit_action.setMenuRole(QAction.MenuRole.QuitRole)
        file_menu.addAction(quit_action)
        edit_menu = self.menuBar().addMenu(self.tr("&Edit"))
        # no key of its own: Ctrl+Z undoes a tag save where the tagging panel has the focus
        self.undo_tags_action = self._action(self.tr("&Undo tag save"), self.undo_tag_save)
        edit_menu.addAction(self.undo_tags_action)
        self._build_view_menu()

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
        library_menu.addAction(self._action(self.tr("Manage &tags…"), self.open_tag_manager))
        library_menu.addAction(self._action(self.tr("Find &duplicates…"), self.open_duplicates))
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

    def _build_view_menu(self) -> None:
        """View: Ctrl+F to the search box, Ctrl+1..4 to the tabs (listed with their keys)."""
        view_menu = self.menuBar().addMenu(self.tr("&View"))
        self.find_action = self._action(self.tr("&Find"), self.focus_query)
        self.find_action.setShortcuts(_unique_keys(
            [QKeySequence("Ctrl+F"), QKeySequence(QKeySequence.StandardKey.Find)]))
        view_menu.addAction(self.find_action)
        view_menu.addSeparator()
        self.tab_actions: list[QAction] = []
        for number in range(self.tabs.count()):
            action = QAction(self.tabs.tabText(number), self)
            action.setShortcut(QKeySequence(f"Ctrl+{number + 1}"))
            action.triggered.connect(lambda _checked=False, n=number: self.tabs.setCurrentIndex(n))
            view_menu.addAction(action)
            self.tab_actions.append(action)

    def query_field(self) -> QLineEdit | None:
        """The current search tab's query box (None on tabs without one)."""
        panel = self.tabs.currentWidget()
        if panel is self.text_panel:
            return self.text_panel.query_edit
        if panel is self.image_panel:
            return self.image_panel.text_edit
        return None

    def focus_query(self) -> bool:
        """Ctrl+F: the query box of the current search tab gets the focus, its text selected."""
        field = self.query_field()
        if field is None:
            return False
        field.setFocus(Qt.FocusReason.ShortcutFocusReason)
        field.selectAll()
        return True

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
        model_id = self.context.current_model_id()

        def read() -> tuple[LibraryStats, SearchIndexInfo | None]:
            library = self.context.library()
            return library.stats(), library.search_index_info(model_id)

        self.context.run_task(read, lambda found: self._show_stats(*found),
                              lambda message: self.library_label.setText(message))

    def _show_stats(self, stats: LibraryStats, search: SearchIndexInfo | None = None) -> None:
        text = self.tr("Photos: %1 · Folders: %2").replace("%1", f"{stats.photos:,}").replace(
            "%2", str(len(stats.roots)))
        indexed = stats.model_counts.get(self.context.current_model_id(), 0)
        if stats.photos and indexed < stats.photos:
            text += " · " + self.tr("%1 indexed with this model").replace("%1", f"{indexed:,}")
        self.library_label.setText(text)
        self.library_label.setToolTip(self._search_index_tip(search))

    def _search_index_tip(self, info: SearchIndexInfo | None) -> str:
        """How this model's photos are searched (exactly, or approximately with the recall
        the library measured on itself)."""
        if info is None:
            return ""
        if not info.approximate:
            return self.tr("Searched exactly: every photo is compared with the query.")
        return self.tr("A large library: searched approximately, %1 of %2 groups of similar "
                       "photos per query. Measured on this library, a search finds %3% of the "
                       "10 best matches for a photo query and %4% for a text query.").replace(
            "%1", str(info.nprobe)).replace("%2", f"{info.nlist:,}").replace(
            "%3", f"{100 * (info.recall_image or 0):.0f}").replace(
            "%4", f"{100 * (info.recall_text or 0):.0f}")

    # -- indexing ------------------------------------------------------------------------------

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
        """Switch the model that indexes and searches; when it lacks photos, ask before the
        (long) indexing: now, later, or not switch after all."""
        model_id = str(self.model_combo.itemData(index))
        previous = self.context.current_model_id()
        if model_id == previous:
            return

        def decide(stats: LibraryStats) -> None:
            todo = max(0, stats.photos - stats.model_counts.get(model_id, 0))
            choice = self.ask_switch(model_id, todo) if todo else SWITCH_AND_INDEX
            if choice == SWITCH_CANCEL:
                self.model_combo.setCurrentIndex(self.model_combo.findData(previous))
                return
            self.context.set_current_model(model_id)
            self.refresh_library_status()
            # the new model only embeds what it lacks; the other models' vectors stay
            if todo and choice == SWITCH_AND_INDEX:
                self.controller.rescan(None)

        self.context.run_task(lambda: self.context.library().stats(), decide,
                              lambda message: show_error(self, message))

    def _ask_switch(self, model_id: str, todo: int) -> str:
        """Index ``todo`` photos with the newly chosen model now, later, or cancel."""
        if not errors.dialogs_enabled:
            return SWITCH_AND_INDEX
        name = self.context.model_name(model_id)
        question = self.tr("%n photo(s) are not indexed with %1 yet. Index them now? This "
                           "takes a while; the vectors of the other models stay, so switching "
                           "back costs nothing.", "", todo).replace("%1", name)
        box = QMessageBox(QMessageBox.Icon.Question, self.tr("Switch the model"), question,
                          parent=self)
        now = box.addButton(self.tr("Index now"), QMessageBox.ButtonRole.AcceptRole)
        later = box.addButton(self.tr("Switch, index later"), QMessageBox.ButtonRole.ActionRole)
        box.addButton(QMessageBox.StandardButton.Cancel)
        box.setDefaultButton(now)
        box.exec()
        clicked = box.clickedButton()
        return SWITCH_AND_INDEX if clicked is now else SWITCH_LATER if clicked is later \
            else SWITCH_CANCEL

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
        dialog.modelImported.connect(lambda _m: self.refresh_models())  # even if not used now
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
        dialog.saved.connect(self._on_settings_saved)
        dialog.open()
        return dialog

    def _on_settings_saved(self, changed: list[str]) -> None:
        """A new language or device takes effect at the next start: offer it now. Reading the
        text in photos, turned on, starts with the photos already indexed."""
        if "read_text" in changed and self.context.engine.settings.read_text \
                and self.context.library().stats().photos:
            self.controller.rescan(None)
        if {"ui_language", "device"} & set(changed) and self.ask_restart():
            self.restartRequested.emit()

    def _ask_restart(self) -> bool:
        if not errors.dialogs_enabled:
            return False
        box = QMessageBox(QMessageBox.Icon.Question, self.tr("Restart clipdesk"),
                          self.tr("The new language or device is used once clipdesk starts "
                                  "again. Restart now?"), parent=self)
        now = box.addButton(self.tr("Restart now"), QMessageBox.ButtonRole.AcceptRole)
        box.addButton(self.tr("Later"), QMessageBox.ButtonRole.RejectRole)
        box.setDefaultButton(now)
        box.exec()
        return box.clickedButton() is now

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

    def open_duplicates(self) -> DuplicatesDialog:
        """Library ▸ Find duplicates…: the groups to review; the others to the trash."""
        dialog = DuplicatesDialog(self.context, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()
        return dialog

    def open_tag_manager(self) -> TagManagerDialog:
        """Library ▸ Manage tags…: rename, merge, delete tags; "Show photos" searches them."""
        dialog = TagManagerDialog(self.context, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.showPhotosRequested.connect(self.show_tag_photos)
        dialog.open()
        return dialog

    def show_tag_photos(self, label: str) -> None:
        """The text search filtered by the tag ``label`` (the label is the query when the
        query box is empty: a text search needs words)."""
        self.tabs.setCurrentWidget(self.text_panel)
        if not self.text_panel.query_text():
            self.text_panel.set_query_text(label, search=False)
        self.text_panel.filters.set_tag(label)

    def undo_tag_save(self) -> None:
        """Edit ▸ Undo tag save: the newest tag change is undone (in the tagging panel's job)."""
        self.tabs.setCurrentWidget(self.tagging_panel)
        self.tagging_panel.undo_last_save()

    def index_with(self, model_id: str) -> None:
        """"Index with <model>…" (the tagging panel's language fix): after a yes, that model
        becomes the current one and indexes every folder (the other models' vectors stay)."""
        name = self.context.model_name(model_id)
        question = self.tr("Index your photos with %1? It reads the language of your labels. "
                           "This can take a while; the vectors of the other models are kept."
                           ).replace("%1", name)
        if not self.confirm(self.tr("Index with %1").replace("%1", name), question):
            return
        self.context.set_current_model(model_id)
        self.refresh_library_status()
        self.controller.rescan(None)

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
            self.progress_widget.label.setText(self.tr("Stopping…"))
        if not self.controller.shutdown(CLOSE_TIMEOUT_MS):
            log.warning("indexing did not stop in time; its committed batches are kept")
        self.text_panel.shutdown()
        self.image_panel.shutdown()
        self.tagging_panel.shutdown()
        self.evaluation_panel.shutdown()
        self.save_geometry()
        super().closeEvent(event)
