"""The lists of the duplicates review: the groups (the photo to keep's thumbnail and what the
group is), and one group's photos as tiles, the suggested one to keep marked "Keep" and each
other one with a check box (checked: it goes to the trash).

Both are plain ``QListWidget``: arrows move, Space ticks a tile (the item delegate's own key
handling), Tab leaves. Thumbnails come from the results grid's
:class:`~clipdesk.gui.results.thumbs.ThumbnailLoader` (off the GUI thread, cached), asked for
only for what a list shows.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from datetime import datetime

from PySide6.QtCore import QDate, QLocale, QSize, Qt, Signal
from PySide6.QtGui import QColor, QFont, QIcon, QPainter, QPixmap
from PySide6.QtWidgets import QAbstractItemView, QListView, QListWidget, QListWidgetItem, QWidget

from clipdesk.core.duplicates import DuplicateGroup
from clipdesk.core.types import Photo
from clipdesk.gui.dialogs.errors import plain_tooltip
from clipdesk.gui.formats import date_format
from clipdesk.gui.names import file_name, shown
from clipdesk.gui.results.thumbs import ThumbnailLoader, ThumbRequest

FILE_ID = Qt.ItemDataRole.UserRole
THUMB_KEY = Qt.ItemDataRole.UserRole + 1
TILE = 168  # a photo tile's thumbnail, logical pixels
GROUP_ICON = 56
KEEP_TINT = QColor(46, 160, 67, 70)  # the tile of the photo to keep: green, see-through
NAME_CHARS = 26  # a longer file name is shortened in the middle (the tooltip has the path)


def short_name(photo: Photo, limit: int = NAME_CHARS) -> str:
    name = file_name(photo.path)
    if len(name) <= limit:
        return name
    half = (limit - 1) // 2
    return name[:half] + "…" + name[-half:]


def photo_facts(photo: Photo) -> str:
    """"4000×3000 · 2.1 MB" and the date taken (or, undated, the file's date) on a second
    line, in the UI's locale."""
    locale = QLocale()
    size = locale.formattedDataSize(photo.size)
    pixels = f"{photo.width}×{photo.height}" if photo.width and photo.height else "—"
    when = photo.taken_at or datetime.fromtimestamp(photo.mtime_ns / 1e9)
    day = locale.toString(QDate(when.year, when.month, when.day), date_format(locale))
    return f"{pixels} · {size}\n{day}"


class _ThumbList(QListWidget):
    """A list whose items show thumbnails from ``loader`` (their ``THUMB_KEY``)."""

    def __init__(self, loader: ThumbnailLoader, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.loader = loader
        self._requests: dict[str, ThumbRequest] = {}
        loader.thumbnailReady.connect(self._on_thumbnail)

    def _icon(self, pixmap: QPixmap) -> QIcon:
        return QIcon(pixmap)

    def _set_thumb(self, item: QListWidgetItem, photo: Photo) -> None:
        request = ThumbRequest.for_photo(photo.path, photo.content_hash)
        self._requests[request.key] = request
        item.setData(THUMB_KEY, request.key)
        pixmap = self.loader.pixmap(request)
        if pixmap is not None:
            item.setIcon(self._icon(pixmap))

    def clear_items(self) -> None:
        self._requests.clear()
        self.clear()

    def _on_thumbnail(self, key: str) -> None:
        request = self._requests.get(key)
        if request is None:
            return
        pixmap = self.loader.cached(key)
        if pixmap is None:
            return
        icon = self._icon(pixmap)
        for row in range(self.count()):
            item = self.item(row)
            if item.data(THUMB_KEY) == key:
                item.setIcon(icon)


class GroupList(_ThumbList):
    """One row per group: the thumbnail of the photo to keep, the photos, how alike."""

    def __init__(self, loader: ThumbnailLoader, parent: QWidget | None = None) -> None:
        super().__init__(loader, parent)
        self.setIconSize(QSize(GROUP_ICON, GROUP_ICON))
        self.setUniformItemSizes(True)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setAccessibleName(self.tr("Duplicate groups"))

    def _icon(self, pixmap: QPixmap) -> QIcon:
        """The thumbnail centred on a square, so that every row's text starts at one place."""
        ratio = pixmap.devicePixelRatio()
        side = round(GROUP_ICON * ratio)
        square = QPixmap(side, side)
        square.fill(Qt.GlobalColor.transparent)
        scaled = pixmap.scaled(side, side, Qt.AspectRatioMode.KeepAspectRatio,
                               Qt.TransformationMode.SmoothTransformation)
        painter = QPainter(square)
        painter.drawPixmap((side - scaled.width()) // 2, (side - scaled.height()) // 2, scaled)
        painter.end()
        square.setDevicePixelRatio(ratio)
        return QIcon(square)

    def show_groups(self, groups: Sequence[DuplicateGroup], photos: dict[int, Photo],
                    to_trash: Callable[[DuplicateGroup], int]) -> None:
        current = max(0, self.currentRow())
        self.blockSignals(True)
        self.clear_items()
        for n, group in enumerate(groups, start=1):
            item = QListWidgetItem(self.group_text(n, group, to_trash(group)))
            item.setData(FILE_ID, group.best)
            self._set_thumb(item, photos[group.best])
            item.setToolTip(plain_tooltip(shown(photos[group.best].path)))
            self.addItem(item)
        self.blockSignals(False)
        if groups:
            self.setCurrentRow(min(current, len(groups) - 1))

    def group_text(self, n: int, group: DuplicateGroup, checked: int) -> str:
        if group.exact:
            kind = self.tr("exact copies")
        else:
            # rounded down: 0.9996 is not "≥ 1.000", which reads as the same content
            low = math.floor(group.similarity * 1000) / 1000
            kind = self.tr("alike ≥ %1").replace("%1", f"{low:.3f}")
        head = self.tr("Group %1 · %n photo(s)", "", len(group.file_ids)).replace("%1", str(n))
        return f"{head} · {kind}\n" + self.tr("%1 to the trash").replace("%1", str(checked))

    def update_text(self, row: int, group: DuplicateGroup, checked: int) -> None:
        item = self.item(row)
        if item is not None:
            item.setText(self.group_text(row + 1, group, checked))


class GroupPhotos(_ThumbList):
    """The photos of one group as tiles: the one to keep first, the others checkable."""

    checksChanged = Signal()  # the person ticked or unticked a photo

    def __init__(self, loader: ThumbnailLoader, parent: QWidget | None = None) -> None:
        super().__init__(loader, parent)
        self.setViewMode(QListView.ViewMode.IconMode)
        self.setResizeMode(QListView.ResizeMode.Adjust)
        self.setMovement(QListView.Movement.Static)
        self.setWrapping(True)
        self.setWordWrap(True)
        self.setSpacing(8)
        self.setIconSize(QSize(TILE, TILE))
        lines = self.fontMetrics().lineSpacing()
        self.setGridSize(QSize(TILE + 48, TILE + 5 * lines + 16))
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setAccessibleName(self.tr("Photos of the group"))
        self._loading = False
        self.itemChanged.connect(self._on_item_changed)

    def show_group(self, group: DuplicateGroup | None, photos: dict[int, Photo],
                   unchecked: set[int]) -> None:
        self._loading = True
        self.clear_items()
        if group is not None:
            best = photos[group.best]
            for file_id in group.file_ids:
                photo = photos[file_id]
                item = QListWidgetItem()
                item.setData(FILE_ID, file_id)
                item.setTextAlignment(Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop)
                flags = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
                if file_id == group.best:
                    mark = self.tr("Keep (suggested)")
                    font = QFont(self.font())
                    font.setBold(True)
                    item.setFont(font)
                    item.setBackground(KEEP_TINT)
                else:
                    flags |= Qt.ItemFlag.ItemIsUserCheckable
                    same = photo.content_hash is not None and \
                        photo.content_hash == best.content_hash
                    mark = self.tr("Exact copy") if same else self.tr("Alike")
                item.setFlags(flags)
                if file_id != group.best:
                    item.setCheckState(Qt.CheckState.Unchecked if file_id in unchecked
                                       else Qt.CheckState.Checked)
                item.setText(f"{short_name(photo)}\n{mark}\n{photo_facts(photo)}")
                item.setToolTip(plain_tooltip(shown(photo.path)))
                self._set_thumb(item, photo)
                self.addItem(item)
            self.setCurrentRow(0)
        self._loading = False

    def checked_ids(self) -> list[int]:
        return [int(self.item(r).data(FILE_ID)) for r in range(self.count())
                if self.item(r).flags() & Qt.ItemFlag.ItemIsUserCheckable
                and self.item(r).checkState() == Qt.CheckState.Checked]

    def item_of(self, file_id: int) -> QListWidgetItem | None:
        for row in range(self.count()):
            if self.item(row).data(FILE_ID) == file_id:
                return self.item(row)
        return None

    def _on_item_changed(self, _item: QListWidgetItem) -> None:
        if not self._loading:
            self.checksChanged.emit()
