"""The library sidebar: root folders with photo counts and state; re-scan, remove, skipped files.

Each folder shows its name, with as much of its parent as tells it apart from another root of the
same name ("Photos — alice" and "Photos — bob"); its full path is the row's tooltip.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path

from PySide6.QtCore import QEvent, QObject, QPoint, Qt, Signal
from PySide6.QtGui import QDesktopServices, QFont, QPalette
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMenu,
    QMessageBox,
    QPushButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from clipdesk.core.types import Root, RootState
from clipdesk.gui.context import AppContext
from clipdesk.gui.dialogs.errors import plain_tooltip
from clipdesk.gui.dialogs.skipped import SkippedFilesDialog
from clipdesk.gui.indexing import IndexingController
from clipdesk.gui.names import file_name, file_url, shown

log = logging.getLogger(__name__)

COL_FOLDER, COL_PHOTOS, COL_STATE, COL_ERRORS = range(4)
ROOT_ROLE = Qt.ItemDataRole.UserRole


class LibraryPanel(QWidget):
    """Lists the library's root folders; refreshed (off the GUI thread) on libraryChanged.

    ``refreshed()`` is emitted after the list was redrawn; ``addFolderRequested()`` when the
    person asks to add a folder."""

    refreshed = Signal()
    addFolderRequested = Signal()

    def __init__(self, context: AppContext, controller: IndexingController,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.context = context
        self.controller = controller
        self._roots: list[Root] = []
        self._loading = False
        self._dirty = False
        self.dialogs_modal = True  # tests switch the skipped-files dialog to non-modal

        self.tree = QTreeWidget()
        self.tree.setColumnCount(4)
        self.tree.setHeaderLabels([self.tr("Folder"), self.tr("Photos"), self.tr("State"),
                                   self.tr("Skipped")])
        self.tree.setRootIsDecorated(False)
        self.tree.setUniformRowHeights(True)
        self.tree.setTextElideMode(Qt.TextElideMode.ElideMiddle)
        self.tree.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.tree.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.tree.customContextMenuRequested.connect(self._context_menu)
        self.tree.itemClicked.connect(self._on_clicked)
        header = self.tree.header()
        header.setStretchLastSection(False)
        header.setSectionResizeMode(COL_FOLDER, QHeaderView.ResizeMode.Stretch)
        for col in (COL_PHOTOS, COL_ERRORS):
            header.setSectionResizeMode(col, QHeaderView.ResizeMode.ResizeToContents)
        # a long state ("640 of 1,908 indexed · unfinished") must not squeeze the folder names
        # out of a narrow sidebar: it gets at most a share of the width (elided; tooltip whole)
        header.setSectionResizeMode(COL_STATE, QHeaderView.ResizeMode.Interactive)
        self.tree.viewport().installEventFilter(self)

        self.empty_hint = QLabel(self.tr("Drop photo folders here, or add one with "
                                         "File > Add folder (Ctrl+O)."))
        self.empty_hint.setWordWrap(True)
        add = QPushButton(self.tr("Add folder…"))
        add.clicked.connect(self.addFolderRequested)
        rescan = QPushButton(self.tr("Re-scan all"))
        rescan.clicked.connect(lambda: self.controller.rescan(None))
        buttons = QHBoxLayout()
        buttons.addWidget(add)
        buttons.addWidget(rescan)
        buttons.addStretch(1)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.tree, 1)
        layout.addWidget(self.empty_hint)
        layout.addLayout(buttons)

        context.libraryChanged.connect(self.refresh)
        controller.runningChanged.connect(lambda _running: self._redraw())
        self.refresh()

    # -- data ----------------------------------------------------------------------------------

    def roots(self) -> list[Root]:
        return list(self._roots)

    def refresh(self) -> None:
        """Read the roots in the background and redraw (coalesces overlapping requests)."""
        if self._loading:
            self._dirty = True
            return
        self._loading = True
        self.context.run_task(lambda: self.context.library().roots(), self._on_roots,
                              self._on_error)

    def _on_roots(self, roots: list[Root]) -> None:
        self._loading = False
        self._roots = roots
        self._redraw()
        if self._dirty:
            self._dirty = False
            self.refresh()

    def _on_error(self, message: str) -> None:
        self._loading = False
        log.warning("could not read the library roots: %s", message)

    def state_text(self, root: Root) -> str:
        active = self.controller.active_paths()
        indexing = active is None or any(
            root.path == p or root.path in p.parents or p in root.path.parents for p in active)
        if root.state is RootState.OFFLINE:
            state = self.tr("offline")
        elif indexing:
            state = self.tr("indexing")
        elif root.unfinished and root.found_count:
            done = root.photo_count + root.skipped_count
            state = self.tr("%1 of %2 indexed · unfinished (Re-scan resumes)").replace(
                "%1", f"{min(done, root.found_count):,}").replace("%2", f"{root.found_count:,}")
        elif root.unfinished:
            state = self.tr("unfinished (Re-scan resumes)")
        else:
            state = self.tr("indexed")
        if root.missing_count:
            state += " · " + self.tr("%1 missing").replace("%1", str(root.missing_count))
        return state

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.tree.viewport() and event.type() == QEvent.Type.Resize:
            self._fit_columns()
        return super().eventFilter(watched, event)

    def _fit_columns(self) -> None:
        wanted = max(self.tree.sizeHintForColumn(COL_STATE),
                     self.tree.header().sectionSizeHint(COL_STATE))
        share = self.tree.viewport().width() * 35 // 100
        self.tree.setColumnWidth(COL_STATE, max(48, min(wanted, share)))

    def _redraw(self) -> None:
        selected = self.selected_root()
        self.tree.clear()
        link = self.palette().color(QPalette.ColorRole.Link)
        labels = folder_labels([root.path for root in self._roots])
        for root, (name, parent) in zip(self._roots, labels, strict=True):
            # the folder's name, and its parent when two roots share a name
            label = self.tr("%1 — %2").replace("%2", parent).replace("%1", name) if parent \
                else name
            item = QTreeWidgetItem([label, str(root.photo_count), self.state_text(root),
                                    str(root.skipped_count) if root.skipped_count else ""])
            item.setData(COL_FOLDER, ROOT_ROLE, root.id)
            path_tip = plain_tooltip(shown(root.path))
            for column in (COL_FOLDER, COL_PHOTOS):  # the whole row tells its path
                item.setToolTip(column, path_tip)
            item.setToolTip(COL_STATE, plain_tooltip(shown(root.path) + "\n"
                                                     + self.state_text(root)))
            item.setTextAlignment(COL_PHOTOS, Qt.AlignmentFlag.AlignRight
                                  | Qt.AlignmentFlag.AlignVCenter)
            if root.skipped_count:
                font = QFont(item.font(COL_ERRORS))
                font.setUnderline(True)
                item.setFont(COL_ERRORS, font)
                item.setForeground(COL_ERRORS, link)
                item.setToolTip(COL_ERRORS, self.tr("Show the files that could not be read"))
            if root.state is RootState.OFFLINE:
                item.setToolTip(COL_STATE, plain_tooltip(
                    shown(root.path) + "\n" + self.tr("The folder cannot be reached (an unplugged "
                                                      "drive?). Its photos stay in the library.")))
            self.tree.addTopLevelItem(item)
            if selected is not None and root.id == selected.id:
                self.tree.setCurrentItem(item)
        self.empty_hint.setVisible(not self._roots)
        self._fit_columns()
        self.refreshed.emit()

    def selected_root(self) -> Root | None:
        item = self.tree.currentItem()
        return self._root_of(item) if item is not None else None

    def _root_of(self, item: QTreeWidgetItem) -> Root | None:
        root_id = item.data(COL_FOLDER, ROOT_ROLE)
        return next((r for r in self._roots if r.id == root_id), None)

    # -- actions -------------------------------------------------------------------------------

    def _on_clicked(self, item: QTreeWidgetItem, column: int) -> None:
        root = self._root_of(item)
        if root is not None and column == COL_ERRORS and root.skipped_count:
            self.show_skipped(root)

    def show_skipped(self, root: Root | None = None) -> SkippedFilesDialog:
        dialog = SkippedFilesDialog(self.context, root.id if root is not None else None, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        if self.dialogs_modal:
            dialog.open()
        else:
            dialog.show()
        return dialog

    def remove_root(self, root: Root, *, confirm: bool = True) -> None:
        if confirm:
            answer = QMessageBox.question(
                self, self.tr("Remove folder"),
                self.tr("Remove “%1” from the library? The photos stay where they are; only "
                        "clipdesk’s index of them is deleted.").replace("%1", shown(root.path)))
            if answer != QMessageBox.StandardButton.Yes:
                return
        self.controller.remove_root(root)

    def _context_menu(self, pos: QPoint) -> None:
        item = self.tree.itemAt(pos)
        root = self._root_of(item) if item is not None else None
        menu = QMenu(self)
        if root is not None:
            menu.addAction(self.tr("Re-scan"), lambda: self.controller.rescan(root))
            menu.addAction(self.tr("Open folder"), lambda: open_folder(root.path))
            if root.skipped_count:
                menu.addAction(self.tr("Show skipped files"), lambda: self.show_skipped(root))
            menu.addSeparator()
            menu.addAction(self.tr("Remove from library…"), lambda: self.remove_root(root))
        else:
            menu.addAction(self.tr("Add folder…"), self.addFolderRequested.emit)
        menu.exec(self.tree.viewport().mapToGlobal(pos))


def open_folder(path: Path) -> None:
    QDesktopServices.openUrl(file_url(path))


def folder_labels(paths: Sequence[Path]) -> list[tuple[str, str]]:
    """(name, parent) to show for each folder: the parent is empty unless another folder has
    the same name, and then it is as many of the last parent folders as tell them apart
    (``alice``, or ``2019/alice`` when that is not enough), shown."""
    names = [file_name(p) for p in paths]
    out: list[tuple[str, str]] = []
    for path, name in zip(paths, names, strict=True):
        twins = [p for p, n in zip(paths, names, strict=True) if n == name and p != path]
        if not twins:
            out.append((name, ""))
            continue
        parents = path.parent.parts
        depth = 1
        while depth < len(parents) and any(
            q.parent.parts[-depth:] == parents[-depth:] for q in twins
        ):
            depth += 1
        tail = parents[-depth:]
        out.append((name, shown(Path(*tail) if tail else path.parent)))
    return out
