"""The loupe: a larger look at one result, and a way to walk through the others.

Opened from a results grid, it knows that grid's results (in the order shown then): ←/→ and
Page Up/Down go to the previous/next one, a filmstrip under the photo shows the neighbours (a
click jumps there), and closing it (Esc) makes the grid's current item the photo shown last.
The photo fits the window, or zooms (wheel, +/−, "fit" = 0, "100 %" = 1) and pans by dragging;
F, F11 or a double-click fill the screen with it (Esc leaves that first).

Pictures are decoded off the GUI thread: at screen size first (the thumbnail shows meanwhile),
at full resolution only when the zoom needs it. The neighbours are decoded ahead, a few screen
sized pictures are kept, and decodes nobody waits for any more (the key held down) are skipped.
Every piece of text is plain text: a file named ``<b>x</b>.jpg`` is shown as those characters.
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import shiboken6
from PySide6.QtCore import (
    QAbstractProxyModel,
    QItemSelectionModel,
    QLocale,
    QMargins,
    QSize,
    Qt,
    Signal,
)
from PySide6.QtGui import QAction, QColor, QFont, QImage, QKeySequence, QPalette, QPixmap
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QFormLayout,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSizePolicy,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from clipdesk.core.ocr.store import TextLine
from clipdesk.core.types import Photo
from clipdesk.gui.formats import moment_text
from clipdesk.gui.names import file_name, shown
from clipdesk.gui.results import actions
from clipdesk.gui.results.background import run_in_pool
from clipdesk.gui.results.filmstrip import Filmstrip, FilmstripModel
from clipdesk.gui.results.focusring import FocusRing
from clipdesk.gui.results.loupe import PhotoCanvas
from clipdesk.gui.results.model import ResultItem, ResultRole, ResultsModel
from clipdesk.gui.results.thumbs import ThumbnailLoader, ThumbRequest, pil_to_qimage

log = logging.getLogger(__name__)

PREVIEW_SIDE = 1024  # decode no larger than needed for a shortest side of this (at least)
CACHED_PICTURES = 4  # screen-sized pictures kept (the neighbours, the way back)
SIDE_PANEL_WIDTH = 290
CANVAS_BACKGROUND = QColor(38, 38, 38)  # a neutral dark grey: photos look right on it


@dataclass(frozen=True)
class LoupeEntry:
    """One photo the loupe can show."""

    path: Path
    photo: Photo | None = None
    score: float | None = None
    file_id: int | None = None
    tags: tuple[str, ...] = ()
    thumb: ThumbRequest | None = None
    words: tuple[TextLine, ...] = ()  # the lines read in it that hold the words searched for

    @classmethod
    def of(cls, item: ResultItem, words: tuple[TextLine, ...] = ()) -> LoupeEntry:
        return cls(item.path, item.photo, item.score, item.file_id, item.tags, item.thumb,
                   words)


@dataclass(frozen=True)
class Decoded:
    """A decoded picture and the full size of the photo it shows (upright)."""

    image: QImage
    natural: QSize


def decode_picture(path: Path, min_side: int | None) -> Decoded | None:
    """``path`` decoded no larger than needed for ``min_side`` (None: full resolution), or None
    when it cannot be read. Safe to call from worker threads."""
    from clipdesk.core.imaging import ImageDecodeError, load_image_file

    try:
        loaded = load_image_file(path, min_side=min_side)
    except ImageDecodeError as exc:
        log.info("cannot load %s: %s", path, exc.reason)
        return None
    # converted here, in the worker, to the screen's own format: the GUI thread only wraps it
    image = pil_to_qimage(loaded.image).convertToFormat(QImage.Format.Format_RGB32)
    return Decoded(image, QSize(loaded.width, loaded.height))


class PreviewDialog(QDialog):
    """Non-modal loupe over one photo or a grid's results.

    ``findSimilarRequested(file_id)`` when asked; ``rowChanged(row)`` when another photo shows;
    ``returnedToGrid(file_id)`` when it closed and the grid's current item followed it.
    """

    findSimilarRequested = Signal(int)
    rowChanged = Signal(int)
    returnedToGrid = Signal(int)

    def __init__(
        self,
        path: Path,
        *,
        photo: Photo | None = None,
        score: float | None = None,
        file_id: int | None = None,
        thumbnail: QPixmap | None = None,
        tags: Sequence[str] = (),
        parent: QWidget | None = None,
        grid: QAbstractItemView | None = None,
        row: int = -1,
    ) -> None:
        super().__init__(parent)
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose, True)
        self.setWindowFlag(Qt.WindowType.WindowMaximizeButtonHint, True)
        self._grid = grid
        self._loader: ThumbnailLoader | None = None
        entries: list[LoupeEntry] = []
        if grid is not None:
            entries, self._loader = _grid_entries(grid)
        if not 0 <= row < len(entries):
            entries = [LoupeEntry(Path(path), photo, score,
                                  file_id if file_id is not None else (photo.id if photo else None),
                                  tuple(tags))]
            row = 0
        self._entries: tuple[LoupeEntry, ...] = tuple(entries)
        self._row = -1
        self._opened_row = row  # the photo the grid's thumbnail was given for
        self._full_window = False
        self._was_maximized = False
        self._margins = QMargins()
        self._first_thumbnail = (
            thumbnail if thumbnail is not None and not thumbnail.isNull() else None
        )
        self._cache: OrderedDict[Path, Decoded] = OrderedDict()
        self._wanted: set[tuple[Path, bool]] = set()  # decodes still worth doing
        self._wanted_lock = threading.Lock()
        self._loading: set[tuple[Path, bool]] = set()
        self._screen_side = self._pick_screen_side()
        # the current photo (kept as attributes: tests and callers read them)
        self.path = self._entries[row].path
        self.photo: Photo | None = None
        self.file_id: int | None = None
        self.tags: tuple[str, ...] = ()

        self._build()
        self._build_actions()
        if self._loader is not None:
            self._loader.thumbnailReady.connect(self._on_thumbnail_ready)
        self.finished.connect(self._return_to_grid)
        self.focus_ring = FocusRing(self)  # Tab to a button: a frame that can be seen
        self._size_to_parent()
        self.show_row(row)
        self.canvas.setFocus()

    # -- building --------------------------------------------------------------------------------

    def _build(self) -> None:
        self.canvas = PhotoCanvas(self)
        palette = self.canvas.palette()
        palette.setColor(QPalette.ColorRole.Window, CANVAS_BACKGROUND)
        palette.setColor(QPalette.ColorRole.PlaceholderText, QColor(190, 190, 190))
        self.canvas.setPalette(palette)
        self.canvas.zoomChanged.connect(self._show_zoom)
        self.canvas.doubleClicked.connect(self.toggle_full_window)
        self.canvas.fullResolutionWanted.connect(self._load_full_resolution)
        self.image_label = self.canvas  # the name older callers know (``.pixmap()``)

        side = QWidget(self)
        side.setFixedWidth(SIDE_PANEL_WIDTH)
        self.side_panel = side
        self.name_label = _plain("", side)
        self.name_label.setWordWrap(True)
        title_font = QFont(self.name_label.font())
        title_font.setBold(True)
        title_font.setPointSizeF(title_font.pointSizeF() * 1.15)
        self.name_label.setFont(title_font)
        self.position_label = _plain("", side)
        self.position_label.setEnabled(False)  # dimmed: where we are, not content

        form = QFormLayout()
        form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.WrapLongRows)
        self.path_label = _plain("", side)
        self.path_label.setWordWrap(True)
        form.addRow(self.tr("Path:"), self.path_label)
        self.size_label = _plain("", side)
        form.addRow(self.tr("Size:"), self.size_label)
        self.dimensions_label = _plain("", side)
        form.addRow(self.tr("Dimensions:"), self.dimensions_label)
        self.date_label = _plain("", side)
        form.addRow(self.tr("Date:"), self.date_label)
        self.score_label = _plain("", side)
        form.addRow(self.tr("Score:"), self.score_label)
        self.tags_label = _plain("", side)
        self.tags_label.setWordWrap(True)
        form.addRow(self.tr("Tags:"), self.tags_label)
        self.words_label = _plain("", side)
        self.words_label.setWordWrap(True)
        self.words_title = _plain(self.tr("Words:"), side)
        form.addRow(self.words_title, self.words_label)

        self.previous_button = _tool("‹", self.tr("Previous photo"), "←", side)
        self.previous_button.clicked.connect(self.show_previous)
        self.next_button = _tool("›", self.tr("Next photo"), "→", side)
        self.next_button.clicked.connect(self.show_next)
        self.zoom_out_button = _tool("−", self.tr("Zoom out"), "−", side)
        self.zoom_out_button.clicked.connect(self.canvas.zoom_out)
        self.zoom_in_button = _tool("+", self.tr("Zoom in"), "+", side)
        self.zoom_in_button.clicked.connect(self.canvas.zoom_in)
        self.fit_button = _tool(self.tr("Fit"), self.tr("Fit the photo in the window"), "0", side)
        self.fit_button.setCheckable(True)
        self.fit_button.clicked.connect(self.canvas.fit)
        self.actual_button = _tool(self.tr("100 %"), self.tr("Actual size"), "1", side)
        self.actual_button.clicked.connect(self.canvas.actual_size)
        self.zoom_label = _plain("", side)
        self.zoom_label.setMinimumWidth(self.zoom_label.fontMetrics().horizontalAdvance("8888 %"))
        self.zoom_label.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        self.full_button = QPushButton(self.tr("Full Window"), side)
        self.full_button.setToolTip(self.tr("Full Window") + " (F, F11)")
        self.full_button.clicked.connect(self.toggle_full_window)

        navigation = QHBoxLayout()
        navigation.addWidget(self.previous_button)
        navigation.addWidget(self.position_label, 1, Qt.AlignmentFlag.AlignCenter)
        navigation.addWidget(self.next_button)
        zoom = QHBoxLayout()
        for button in (self.zoom_out_button, self.zoom_in_button, self.fit_button,
                       self.actual_button):
            zoom.addWidget(button)
        zoom.addWidget(self.zoom_label, 1)

        self.open_button = QPushButton(self.tr("Open"), side)
        self.open_button.clicked.connect(lambda: actions.open_file(self.path))
        self.folder_button = QPushButton(self.tr("Show in Folder"), side)
        self.folder_button.clicked.connect(lambda: actions.show_in_folder(self.path, self))
        self.similar_button = QPushButton(self.tr("Find Similar"), side)
        self.similar_button.clicked.connect(self._find_similar)
        self.close_button = QPushButton(self.tr("Close"), side)
        self.close_button.clicked.connect(self.reject)
        buttons = QGridLayout()
        buttons.addWidget(self.open_button, 0, 0)
        buttons.addWidget(self.folder_button, 0, 1)
        buttons.addWidget(self.similar_button, 1, 0)
        buttons.addWidget(self.close_button, 1, 1)
        for push in (self.open_button, self.folder_button, self.similar_button,
                     self.close_button, self.full_button):
            push.setAutoDefault(False)  # Enter does not press whatever button has focus

        self.hint_label = _plain(self.tr("← → other photos · F full window · Esc back to the "
                                         "results"), side)
        self.hint_label.setWordWrap(True)
        self.hint_label.setEnabled(False)

        side_layout = QVBoxLayout(side)
        side_layout.setContentsMargins(0, 0, 0, 0)
        side_layout.addWidget(self.name_label)
        side_layout.addLayout(navigation)
        side_layout.addSpacing(6)
        side_layout.addLayout(form)
        side_layout.addStretch(1)
        side_layout.addLayout(zoom)
        side_layout.addWidget(self.full_button)
        side_layout.addSpacing(6)
        side_layout.addLayout(buttons)
        side_layout.addWidget(self.hint_label)

        self.filmstrip = Filmstrip(self)
        names = [file_name(e.path) for e in self._entries]
        self.filmstrip.setModel(FilmstripModel([e.thumb for e in self._entries], names,
                                               self._loader, self.filmstrip))
        self.filmstrip.rowClicked.connect(self.show_row)
        self.filmstrip.setVisible(len(self._entries) > 1)

        top = QHBoxLayout()
        top.setSpacing(12)
        top.addWidget(self.canvas, 1)
        top.addWidget(side)
        self._layout = QVBoxLayout(self)
        self._layout.addLayout(top, 1)
        self._layout.addWidget(self.filmstrip)

    def _build_actions(self) -> None:
        """Window-wide keys: they win over the focused button (arrows move photos, not focus)."""

        def add(name: str, keys: list[QKeySequence], slot: object) -> QAction:
            action = QAction(self)
            action.setObjectName(name)
            unique: list[QKeySequence] = []
            for key in keys:  # a standard key may repeat another one, or be empty
                if not key.isEmpty() and key not in unique:
                    unique.append(key)
            action.setShortcuts(unique)
            action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
            action.triggered.connect(slot)
            self.addAction(action)
            return action

        seq = QKeySequence
        standard = QKeySequence.StandardKey
        add("previous", [seq(Qt.Key.Key_Left), seq(Qt.Key.Key_PageUp), seq(Qt.Key.Key_Backspace)],
            self.show_previous)
        add("next", [seq(Qt.Key.Key_Right), seq(Qt.Key.Key_PageDown)], self.show_next)
        add("first", [seq(Qt.Key.Key_Home)], lambda: self.show_row(0))
        add("last", [seq(Qt.Key.Key_End)], lambda: self.show_row(len(self._entries) - 1))
        add("zoom_in", [seq(Qt.Key.Key_Plus), seq(Qt.Key.Key_Equal), seq(standard.ZoomIn)],
            self.canvas.zoom_in)
        add("zoom_out", [seq(Qt.Key.Key_Minus), seq(standard.ZoomOut)], self.canvas.zoom_out)
        add("fit", [seq(Qt.Key.Key_0), seq("Ctrl+0")], self.canvas.fit)
        add("actual_size", [seq(Qt.Key.Key_1)], self.canvas.actual_size)
        add("full_window", [seq(Qt.Key.Key_F), seq(Qt.Key.Key_F11), seq(standard.FullScreen)],
            self.toggle_full_window)

    def _size_to_parent(self) -> None:
        """Most of the window it was opened from (or of the screen), never beyond the screen."""
        screen = self.screen().availableGeometry()
        parent = self.parentWidget()
        base = parent.window().size() if parent is not None else QSize(1100, 800)
        width = min(max(900, round(base.width() * 0.92)), screen.width() - 40)
        height = min(max(640, round(base.height() * 0.92)), screen.height() - 60)
        self.resize(width, height)

    def _pick_screen_side(self) -> int:
        screen = self.screen()
        geometry = screen.geometry()
        side = round(min(geometry.width(), geometry.height()) * screen.devicePixelRatio())
        return max(PREVIEW_SIDE, side)

    # -- navigation ------------------------------------------------------------------------------

    @property
    def row(self) -> int:
        """The position of the photo shown in the results it walks through."""
        return self._row

    def count(self) -> int:
        return len(self._entries)

    def entry(self, row: int) -> LoupeEntry | None:
        return self._entries[row] if 0 <= row < len(self._entries) else None

    def show_next(self) -> None:
        self.show_row(self._row + 1)

    def show_previous(self) -> None:
        self.show_row(self._row - 1)

    def show_row(self, row: int) -> None:
        """Show the photo at ``row`` (ignored outside the results)."""
        entry = self.entry(row)
        if entry is None or row == self._row:
            return
        self._row = row
        self.path, self.photo, self.tags = entry.path, entry.photo, entry.tags
        self.file_id = entry.file_id if entry.file_id is not None else (
            entry.photo.id if entry.photo else None)
        self._show_text(entry)
        self.canvas.clear(self.tr("Loading…"))
        natural = _natural_of(entry.photo)
        thumbnail = self._first_thumbnail if row == self._opened_row else None
        if thumbnail is None and entry.thumb is not None and self._loader is not None:
            thumbnail = self._loader.pixmap(entry.thumb)
        if thumbnail is not None and not thumbnail.isNull():
            self.canvas.set_pixmap(thumbnail, natural)
        self._want_pictures(row)
        decoded = self._cache.get(entry.path)
        if decoded is not None:
            self._cache.move_to_end(entry.path)
            self._show_decoded(decoded, full=False)
        self.filmstrip.show_row(row)
        self.previous_button.setEnabled(row > 0)
        self.next_button.setEnabled(row + 1 < len(self._entries))
        self._show_zoom()
        self.rowChanged.emit(row)

    def _show_text(self, entry: LoupeEntry) -> None:
        self.setWindowTitle(f"{file_name(entry.path)} — {self.tr('Preview')}")
        self.name_label.setText(file_name(entry.path))
        total = len(self._entries)
        self.position_label.setText(
            self.tr("%1 of %2").replace("%1", f"{self._row + 1:,}").replace("%2", f"{total:,}")
            if total > 1 else ""
        )
        self.path_label.setText(shown(entry.path))
        self.size_label.setText(self._size_text())
        self.dimensions_label.setText(self._dimensions_text())
        self.date_label.setText(self._date_text())
        self.score_label.setText(f"{entry.score:.4f}" if entry.score is not None else "—")
        self.tags_label.setText(", ".join(entry.tags) if entry.tags else "—")
        # the words searched for were read in it: the lines, and their boxes on the picture
        self.words_label.setText("\n".join(line.text for line in entry.words))
        self.words_label.setVisible(bool(entry.words))
        self.words_title.setVisible(bool(entry.words))
        self.canvas.set_marks([line.box for line in entry.words])
        self.similar_button.setVisible(self.file_id is not None)

    # -- returning to the grid -------------------------------------------------------------------

    def _return_to_grid(self) -> None:
        """The grid's current item becomes the photo shown last (found by its file id)."""
        grid = self._grid
        if grid is None or not shiboken6.isValid(grid) or self.file_id is None:
            return
        model = grid.model()
        if model is None:
            return
        row = _row_of_file(model, self.file_id, self._row)
        if row is None:
            return
        index = model.index(row, 0)
        grid.selectionModel().setCurrentIndex(
            index, QItemSelectionModel.SelectionFlag.ClearAndSelect
        )
        grid.scrollTo(index)
        grid.window().activateWindow()
        grid.setFocus(Qt.FocusReason.OtherFocusReason)
        self.returnedToGrid.emit(self.file_id)

    # -- full window -----------------------------------------------------------------------------

    def is_full_window(self) -> bool:
        return self._full_window

    def toggle_full_window(self) -> None:
        self.set_full_window(not self._full_window)

    def set_full_window(self, on: bool) -> None:
        """The photo alone on the whole screen (True), or with its details and the strip."""
        if on == self._full_window:
            return
        self._full_window = on
        self.side_panel.setVisible(not on)
        self.filmstrip.setVisible(not on and len(self._entries) > 1)
        if on:
            self._was_maximized = self.isMaximized()
            self._margins = self._layout.contentsMargins()
            self._layout.setContentsMargins(0, 0, 0, 0)
            self.showFullScreen()
        else:
            self._layout.setContentsMargins(self._margins)
            if self._was_maximized:
                self.showMaximized()
            else:
                self.showNormal()
        palette = self.canvas.palette()
        palette.setColor(QPalette.ColorRole.Window,
                         QColor(0, 0, 0) if on else CANVAS_BACKGROUND)
        self.canvas.setPalette(palette)
        self.canvas.setFocus()

    def reject(self) -> None:
        """Esc: leave the full window first; then back to the results."""
        if self._full_window:
            self.set_full_window(False)
            return
        super().reject()

    # -- pictures --------------------------------------------------------------------------------

    def _want_pictures(self, row: int) -> None:
        """Decode the photo at ``row`` at screen size, then its neighbours; forget the rest."""
        rows = [r for r in (row, row + 1, row - 1) if 0 <= r < len(self._entries)]
        paths = [self._entries[r].path for r in rows]
        with self._wanted_lock:
            self._wanted = {(p, False) for p in paths}
        for path in paths:
            if path not in self._cache:
                self._start_decode(path, full=False)

    def _load_full_resolution(self) -> None:
        with self._wanted_lock:
            self._wanted.add((self.path, True))
        self._start_decode(self.path, full=True)

    def _start_decode(self, path: Path, *, full: bool) -> None:
        key = (path, full)
        if key in self._loading:
            return
        self._loading.add(key)
        side = None if full else self._screen_side

        def work() -> Decoded | None:
            with self._wanted_lock:
                if key not in self._wanted:
                    return None  # gone past it already (a key held down)
            return decode_picture(path, side)

        run_in_pool(work, lambda decoded: self._on_decoded(key, decoded), self)

    def _on_decoded(self, key: tuple[Path, bool], decoded: Decoded | None) -> None:
        self._loading.discard(key)
        path, full = key
        if decoded is None or decoded.image.isNull():
            with self._wanted_lock:
                skipped = key not in self._wanted
            if path == self.path and not full and not skipped and self.canvas.pixmap().isNull():
                self.canvas.set_message(self.tr("This picture cannot be shown."))
            return
        if not full:
            self._cache[path] = decoded
            self._cache.move_to_end(path)
            while len(self._cache) > CACHED_PICTURES:
                self._cache.popitem(last=False)
        if path == self.path:
            self._show_decoded(decoded, full=full)

    def _show_decoded(self, decoded: Decoded, *, full: bool) -> None:
        if self.photo is None:
            self.dimensions_label.setText(f"{decoded.natural.width()} × {decoded.natural.height()}")
        self.canvas.set_pixmap(QPixmap.fromImage(decoded.image), decoded.natural, full=full)
        self._show_zoom()

    def _on_thumbnail_ready(self, key: str) -> None:
        entry = self.entry(self._row)
        if entry is None or entry.thumb is None or entry.thumb.key != key:
            return
        if self.canvas.pixmap().isNull() and self._loader is not None:
            pixmap = self._loader.cached(key)
            if pixmap is not None:
                self.canvas.set_pixmap(pixmap, _natural_of(entry.photo))

    def _show_zoom(self) -> None:
        self.zoom_label.setText(f"{round(self.canvas.scale() * 100)} %")
        self.fit_button.setChecked(self.canvas.is_fit())

    # -- text ------------------------------------------------------------------------------------

    def _size_text(self) -> str:
        size = self.photo.size if self.photo is not None else _file_size(self.path)
        return QLocale().formattedDataSize(size) if size is not None else "—"

    def _dimensions_text(self) -> str:
        if self.photo is None or not self.photo.width or not self.photo.height:
            return "—"
        return f"{self.photo.width} × {self.photo.height}"

    def _date_text(self) -> str:
        when: datetime | None = None
        if self.photo is not None:
            when = self.photo.taken_at or datetime.fromtimestamp(self.photo.mtime_ns / 1e9)
        else:
            try:
                when = datetime.fromtimestamp(self.path.stat().st_mtime)
            except OSError:
                when = None
        if when is None:
            return "—"
        return moment_text(when)  # "July 6, 2015 10:23 AM", never "7/6/15"

    def _find_similar(self) -> None:
        if self.file_id is not None:
            self.findSimilarRequested.emit(self.file_id)


def _grid_entries(grid: QAbstractItemView) -> tuple[list[LoupeEntry], ThumbnailLoader | None]:
    """The grid's results in the order it shows them, and its thumbnail loader."""
    model = grid.model()
    if model is None:
        return [], None
    entries = []
    for row in range(model.rowCount()):
        index = model.index(row, 0)
        item = index.data(ResultRole.RESULT)
        if isinstance(item, ResultItem):
            entries.append(LoupeEntry.of(item, tuple(index.data(ResultRole.WORDS) or ())))
        else:
            return [], None  # not a results model: the loupe shows just the one photo
    source = model
    while isinstance(source, QAbstractProxyModel) and source.sourceModel() is not None:
        source = source.sourceModel()
    loader = source.thumbnail_loader if isinstance(source, ResultsModel) else None
    return entries, loader


def _row_of_file(model: object, file_id: int, hint: int) -> int | None:
    """The row of ``model`` (a grid's) showing ``file_id``; ``hint`` is tried first."""
    from PySide6.QtCore import QAbstractItemModel

    if not isinstance(model, QAbstractItemModel):
        return None
    if 0 <= hint < model.rowCount() and model.index(hint, 0).data(ResultRole.FILE_ID) == file_id:
        return hint
    for row in range(model.rowCount()):
        if model.index(row, 0).data(ResultRole.FILE_ID) == file_id:
            return row
    return None


def _natural_of(photo: Photo | None) -> QSize | None:
    if photo is None or not photo.width or not photo.height:
        return None
    return QSize(photo.width, photo.height)


def _tool(text: str, name: str, key: str, parent: QWidget) -> QToolButton:
    button = QToolButton(parent)
    button.setText(text)
    button.setToolTip(f"{name} ({key})")
    button.setAccessibleName(name)
    button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
    button.setSizePolicy(QSizePolicy.Policy.Minimum, QSizePolicy.Policy.Fixed)
    return button


def _plain(text: str, parent: QWidget) -> QLabel:
    label = QLabel(parent)
    label.setTextFormat(Qt.TextFormat.PlainText)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    label.setText(text)
    return label


def _file_size(path: Path) -> int | None:
    try:
        return path.stat().st_size
    except OSError:
        return None
