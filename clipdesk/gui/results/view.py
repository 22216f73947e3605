"""The results grid: a ``QListView`` in icon mode with uniform items, a context menu, drag-out.

Uniform item sizes and batched layout keep 10 000 results cheap to lay out; per-pixel scrolling
keeps them smooth. Thumbnails are only asked for (through the model) by the items painted, so
what is on screen loads first. An empty grid shows a helpful sentence instead of white space.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QEvent, QModelIndex, QPoint, QRect, QSize, Qt, Signal
from PySide6.QtGui import (
    QAction,
    QContextMenuEvent,
    QDrag,
    QKeyEvent,
    QKeySequence,
    QMouseEvent,
    QPainter,
    QPaintEvent,
    QPalette,
    QPixmap,
    QResizeEvent,
    QShowEvent,
)
from PySide6.QtWidgets import QAbstractItemView, QListView, QMenu, QStyle, QWidget

from clipdesk.gui.results import actions
from clipdesk.gui.results.delegate import DEFAULT_ICON_SIZE, ResultDelegate
from clipdesk.gui.results.model import ResultItem, ResultRole, ResultsModel
from clipdesk.gui.results.preview import PreviewDialog

log = logging.getLogger(__name__)

DRAG_ICON = 96
MIN_ICON_SIZE = 64  # the thumbnail sizes the grid offers (slider, Ctrl++ / Ctrl+- / Ctrl+0)
MAX_ICON_SIZE = 384
ICON_STEP = 32
THUMB_STEP = 64  # thumbnails are made in steps of this size and scaled to what is shown


def thumbnail_target(icon_size: int) -> int:
    """The size thumbnails are made at for ``icon_size`` px items: the next step up, so moving
    the size slider a little rescales what is there instead of decoding everything again."""
    return -(-max(1, icon_size) // THUMB_STEP) * THUMB_STEP


class ResultsView(QListView):
    """Thumbnail grid over a :class:`ResultsModel`."""

    findSimilarRequested = Signal(int)  # file id: "find photos like this one"
    previewOpened = Signal(object)  # the PreviewDialog just shown
    iconSizeChanged = Signal(int)  # the thumbnail size shown, in logical pixels
    showFolderChanged = Signal(bool)  # each item shows its folder under its name

    def __init__(self, parent: QWidget | None = None, *, icon_size: int = DEFAULT_ICON_SIZE):
        super().__init__(parent)
        self._delegate = ResultDelegate(self, icon_size=icon_size)
        self.setItemDelegate(self._delegate)
        self.setViewMode(QListView.ViewMode.IconMode)
        self.setMovement(QListView.Movement.Static)
        self.setFlow(QListView.Flow.LeftToRight)
        self.setWrapping(True)
        self.setResizeMode(QListView.ResizeMode.Adjust)
        self.setUniformItemSizes(True)
        self.setLayoutMode(QListView.LayoutMode.Batched)
        self.setBatchSize(1000)
        self.setWordWrap(False)
        self.setMouseTracking(True)
        self.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.setSelectionRectVisible(True)
        self.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.setHorizontalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.setDragEnabled(True)
        self.setDragDropMode(QAbstractItemView.DragDropMode.DragOnly)
        self.setDefaultDropAction(Qt.DropAction.CopyAction)
        self._empty_message = ""
        self.last_preview: PreviewDialog | None = None
        self.doubleClicked.connect(self.open_preview)
        self.zoom_in_action = self._view_action(
            "zoom_in", self.tr("Larger Thumbnails"), lambda: self.zoom(1),
            QKeySequence(QKeySequence.StandardKey.ZoomIn), QKeySequence("Ctrl+="))
        self.zoom_out_action = self._view_action(
            "zoom_out", self.tr("Smaller Thumbnails"), lambda: self.zoom(-1),
            QKeySequence(QKeySequence.StandardKey.ZoomOut))
        self.zoom_reset_action = self._view_action(
            "zoom_reset", self.tr("Default Thumbnail Size"),
            lambda: self.set_icon_size(DEFAULT_ICON_SIZE), QKeySequence("Ctrl+0"))
        self.show_folder_action = self._view_action(
            "show_folders", self.tr("Show Folders"), None)
        self.show_folder_action.setCheckable(True)
        self.show_folder_action.setIconText(self.tr("Folders"))  # on a tool button
        self.show_folder_action.setToolTip(self.tr("Show each photo’s folder under its name"))
        self.show_folder_action.toggled.connect(self.set_show_folder)

    def _view_action(self, name: str, text: str, slot: Callable[[], object] | None,
                     *keys: QKeySequence) -> QAction:
        """An action of the grid itself (its shortcuts work while the grid has the focus)."""
        action = QAction(text, self)
        action.setObjectName(name)
        keys = tuple(k for k in keys if not k.isEmpty())
        if keys:
            action.setShortcuts(list(keys))
            action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            self.addAction(action)
        if slot is not None:
            action.triggered.connect(slot)
        return action

    # -- set-up ----------------------------------------------------------------------------------

    def results_model(self) -> ResultsModel | None:
        model = self.model()
        return model if isinstance(model, ResultsModel) else None

    def setModel(self, model: ResultsModel | None) -> None:  # type: ignore[override]
        super().setModel(model)
        self._sync_thumbnail_target()

    @property
    def icon_size(self) -> int:
        return self._delegate.icon_size

    def set_icon_size(self, size: int) -> None:
        """Show thumbnails ``size`` px wide (kept within the sizes offered)."""
        size = max(MIN_ICON_SIZE, min(MAX_ICON_SIZE, int(size)))
        if size == self._delegate.icon_size:
            return
        self._delegate.set_icon_size(size)
        self._sync_thumbnail_target()
        self._update_grid()
        self.iconSizeChanged.emit(size)

    def zoom(self, steps: int) -> None:
        """Larger (``steps`` > 0) or smaller thumbnails, one size step per step."""
        current = self._delegate.icon_size
        base = (current // ICON_STEP) * ICON_STEP
        if steps > 0:
            target = base + steps * ICON_STEP
        else:
            target = (base if base < current else base - ICON_STEP) + (steps + 1) * ICON_STEP
        self.set_icon_size(target)

    @property
    def show_folder(self) -> bool:
        return self._delegate.show_folder

    def set_show_folder(self, on: bool) -> None:
        """Show each photo's folder (elided in the middle) under its name."""
        on = bool(on)
        self.show_folder_action.setChecked(on)
        if on == self._delegate.show_folder:
            return
        self._delegate.set_show_folder(on)
        self._update_grid()
        self.showFolderChanged.emit(on)

    def set_stacking(self, on: bool) -> None:
        """Stack near-identical photos or not; the current photo and the selection stay."""
        model = self.results_model()
        if model is None or model.is_stacking() == bool(on):
            return
        current = self.currentIndex().data(ResultRole.FILE_ID)
        chosen = {it.file_id for it in self.selected_items()}
        model.set_stacking(on)
        self._restore(model, current, chosen)

    def _restore(self, model: ResultsModel, current: object, chosen: set[int]) -> None:
        selection = self.selectionModel()
        for row, item in enumerate(model.items()):
            if item.file_id in chosen:
                selection.select(model.index(row, 0),
                                 selection.SelectionFlag.Select)
        if isinstance(current, int):
            found = model.row_of_file(current)
            if found is not None:
                index = model.index(found, 0)
                selection.setCurrentIndex(index, selection.SelectionFlag.NoUpdate)
                self.scrollTo(index)

    def toggle_stack(self, index: QModelIndex) -> bool:
        """Open (or close) the stack of the item at ``index``; False when it is not in one."""
        model = self.results_model()
        return model is not None and index.isValid() and model.toggle_stack(index.row())

    def _update_grid(self) -> None:
        """Spread the columns over the whole width (calibre's habit): equal cells, no ragged
        empty strip on the right."""
        cell = self._delegate.cell_size(self.fontMetrics())
        # the width QListView lays out in: it keeps room for the vertical scroll bar even while
        # that is hidden (flow left-to-right, scroll bar as needed)
        bar = self.style().pixelMetric(
            QStyle.PixelMetric.PM_ScrollBarExtent, None, self.verticalScrollBar()
        )
        width = self.maximumViewportSize().width() - bar - 2 * self.spacing() - 2
        available = max(cell.width(), width)
        columns = max(1, available // cell.width())
        grid = QSize(available // columns, cell.height() + 2)
        if grid != self.gridSize():
            self.setGridSize(grid)

    def set_empty_message(self, text: str) -> None:
        """The sentence shown while there are no results (plain text; empty: none)."""
        self._empty_message = text
        self.viewport().update()

    @property
    def empty_message(self) -> str:
        return self._empty_message

    def _sync_thumbnail_target(self) -> None:
        model = self.results_model()
        loader = model.thumbnail_loader if model is not None else None
        if loader is not None:
            target = thumbnail_target(self._delegate.icon_size)
            loader.set_target(target, self.devicePixelRatioF())

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self._sync_thumbnail_target()

    def event(self, event: QEvent) -> bool:
        kind = event.type()
        if kind == QEvent.Type.DevicePixelRatioChange:
            self._sync_thumbnail_target()
        handled = super().event(event)
        if kind in (QEvent.Type.FontChange, QEvent.Type.StyleChange):
            self._update_grid()
        return handled

    def updateGeometries(self) -> None:
        super().updateGeometries()
        step = max(8, self._delegate.icon_size // 4)  # a wheel notch moves a few rows of pixels
        self.verticalScrollBar().setSingleStep(step)

    # -- painting --------------------------------------------------------------------------------

    def paintEvent(self, event: QPaintEvent) -> None:
        super().paintEvent(event)
        model = self.model()
        if self._empty_message and (model is None or model.rowCount() == 0):
            painter = QPainter(self.viewport())
            painter.setPen(self.palette().color(QPalette.ColorRole.PlaceholderText))
            box = self.viewport().rect().adjusted(24, 24, -24, -24)
            flags = int(Qt.AlignmentFlag.AlignCenter) | int(Qt.TextFlag.TextWordWrap)
            painter.drawText(box, flags, self._empty_message)
            painter.end()

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._update_grid()
        if self._empty_message:
            self.viewport().update()

    # -- items -----------------------------------------------------------------------------------

    def selected_items(self) -> list[ResultItem]:
        model = self.results_model()
        if model is None:
            return []
        return model.items_at(self.selectionModel().selectedIndexes())

    def _items_for(self, index: QModelIndex) -> list[ResultItem]:
        """The selection when ``index`` is part of it, else just ``index``'s item."""
        model = self.results_model()
        if model is None or not index.isValid():
            return []
        if self.selectionModel().isSelected(index):
            return self.selected_items()
        item = model.item_at(index)
        return [item] if item is not None else []

    def open_preview(self, index: QModelIndex) -> PreviewDialog | None:
        model = self.results_model()
        item = model.item_at(index) if model is not None else None
        if item is None:
            return None
        thumb = index.data(Qt.ItemDataRole.DecorationRole)
        dialog = PreviewDialog(
            item.path,
            photo=item.photo,
            score=item.score,
            file_id=item.file_id,
            thumbnail=thumb if isinstance(thumb, QPixmap) else None,
            tags=item.tags,
            parent=self.window(),
            grid=self,  # the loupe walks through this grid's results, and syncs it on return
            row=index.row(),
        )
        dialog.findSimilarRequested.connect(self.findSimilarRequested)
        dialog.show()
        self.last_preview = dialog
        self.previewOpened.emit(dialog)
        return dialog

    def find_similar(self, index: QModelIndex) -> None:
        model = self.results_model()
        item = model.item_at(index) if model is not None else None
        if item is not None:
            self.findSimilarRequested.emit(item.file_id)

    # -- context menu ----------------------------------------------------------------------------

    def build_context_menu(self, index: QModelIndex) -> QMenu | None:
        """The menu for the item at ``index`` (acting on the selection when it is selected)."""
        items = self._items_for(index)
        if not items:
            return None
        first = items[0]
        paths = [it.path for it in items]
        menu = QMenu(self)
        preview = menu.addAction(self.tr("Preview"))
        preview.setObjectName("preview")
        preview.triggered.connect(lambda: self.open_preview(index))
        opener = menu.addAction(self.tr("Open with System Viewer"))
        opener.setObjectName("open")
        opener.triggered.connect(lambda: _open_all(paths))
        folder = menu.addAction(self.tr("Show in Folder"))
        folder.setObjectName("show_in_folder")
        folder.triggered.connect(lambda: actions.show_in_folder(first.path, self))
        menu.addSeparator()
        copy_path = menu.addAction(
            self.tr("Copy Path") if len(paths) == 1 else self.tr("Copy Paths")
        )
        copy_path.setObjectName("copy_path")
        copy_path.setShortcut(QKeySequence(QKeySequence.StandardKey.Copy))
        copy_path.triggered.connect(lambda: actions.copy_paths(paths))
        copy_image = menu.addAction(self.tr("Copy Image"))
        copy_image.setObjectName("copy_image")
        copy_image.triggered.connect(lambda: actions.copy_image(first.path))
        menu.addSeparator()
        similar = menu.addAction(self.tr("Find Similar"))
        similar.setObjectName("find_similar")
        similar.triggered.connect(lambda: self.findSimilarRequested.emit(first.file_id))
        model = self.results_model()
        stack = model.stack_items(index.row()) if model is not None else ()
        if model is not None and len(stack) > 1:
            menu.addSeparator()
            if model.is_stack_open(index.row()):
                fold = menu.addAction(self.tr("Stack Again"))
            else:
                fold = menu.addAction(self.tr("Show All %n", "", len(stack)))
            fold.setObjectName("toggle_stack")
            fold.triggered.connect(lambda: self.toggle_stack(index))
        menu.addSeparator()
        menu.addAction(self.show_folder_action)
        return menu

    def mousePressEvent(self, event: QMouseEvent) -> None:
        """A click on a stack's "×N" badge opens or closes the stack (and selects nothing)."""
        pos = event.position().toPoint()
        if event.button() == Qt.MouseButton.LeftButton and self._on_stack_badge(pos):
            self.toggle_stack(self.indexAt(pos))
            event.accept()
            return
        super().mousePressEvent(event)

    def _on_stack_badge(self, pos: QPoint) -> bool:
        index = self.indexAt(pos)
        size = index.data(ResultRole.STACK_SIZE) if index.isValid() else None
        if not isinstance(size, int) or size < 2:
            return False
        badge = self._delegate.stack_badge_rect(self.visualRect(index), size, self.fontMetrics())
        return badge.adjusted(-2, -2, 2, 2).contains(pos.toPointF())

    def stack_badge_center(self, index: QModelIndex) -> QPoint:
        """The middle of the stack badge of the item at ``index`` (viewport coordinates)."""
        size = index.data(ResultRole.STACK_SIZE)
        badge = self._delegate.stack_badge_rect(
            self.visualRect(index), size if isinstance(size, int) else 1, self.fontMetrics())
        return badge.center().toPoint()

    def contextMenuEvent(self, event: QContextMenuEvent) -> None:
        index = self.indexAt(event.pos())
        menu = self.build_context_menu(index)
        if menu is not None:
            menu.exec(event.globalPos())
            menu.deleteLater()

    def context_action(self, menu: QMenu, name: str) -> QAction | None:
        """The action called ``name`` (its objectName) in ``menu``; for tests and automation."""
        return next((a for a in menu.actions() if a.objectName() == name), None)

    # -- keyboard and drag -----------------------------------------------------------------------

    def keyPressEvent(self, event: QKeyEvent) -> None:
        index = self.currentIndex()
        if event.matches(QKeySequence.StandardKey.Copy):
            paths = [it.path for it in self.selected_items()]
            if paths:
                actions.copy_paths(paths)
            event.accept()
            return
        if index.isValid() and event.key() in (
            Qt.Key.Key_Space,
            Qt.Key.Key_Return,
            Qt.Key.Key_Enter,
        ):
            self.open_preview(index)
            event.accept()
            return
        super().keyPressEvent(event)

    def startDrag(self, supportedActions: Qt.DropAction) -> None:
        model = self.results_model()
        indexes = self.selectionModel().selectedIndexes()
        if model is None or not indexes:
            return
        drag = QDrag(self)
        drag.setMimeData(model.mimeData(indexes))
        pixmap = self.currentIndex().data(Qt.ItemDataRole.DecorationRole)
        if isinstance(pixmap, QPixmap) and not pixmap.isNull():
            ratio = pixmap.devicePixelRatio()
            side = round(DRAG_ICON * ratio)
            icon = pixmap.scaled(
                side,
                side,
                Qt.AspectRatioMode.KeepAspectRatio,
                Qt.TransformationMode.SmoothTransformation,
            )
            icon.setDevicePixelRatio(ratio)
            drag.setPixmap(icon)
            size = icon.deviceIndependentSize()
            drag.setHotSpot(QPoint(int(size.width() / 2), int(size.height() / 2)))
        drag.exec(Qt.DropAction.CopyAction, Qt.DropAction.CopyAction)

    def visual_rect_of_row(self, row: int) -> QRect:
        model = self.model()
        return self.visualRect(model.index(row, 0)) if model is not None else QRect()


def _open_all(paths: list[Path]) -> None:
    for path in paths[:20]:  # a few dozen viewer windows would not help anyone
        actions.open_file(path)
