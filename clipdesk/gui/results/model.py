"""The list model of search results: ranked hits plus what the library knows of each photo.

One reset per search (``beginResetModel``/``endResetModel``) swaps in a new tuple of rows, so 10 000
results cost one signal, not 10 000. Thumbnails come from a :class:`ThumbnailLoader` through
``Qt.DecorationRole``; asking for one that is not in memory starts loading it, and its arrival
updates just the rows that show it.
"""

from __future__ import annotations

import html
import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import IntEnum
from pathlib import Path
from typing import Any

from PySide6.QtCore import (
    QAbstractListModel,
    QMimeData,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
    Slot,
)

from clipdesk.core.store.records import Tag
from clipdesk.core.types import Photo, SearchHit
from clipdesk.gui.names import file_name, file_url, shown
from clipdesk.gui.results.thumbs import ThumbnailLoader, ThumbRequest

log = logging.getLogger(__name__)

AnyIndex = QModelIndex | QPersistentModelIndex


class ResultRole(IntEnum):
    """Custom data roles of :class:`ResultsModel`."""

    FILE_ID = Qt.ItemDataRole.UserRole + 1  # int
    PATH = Qt.ItemDataRole.UserRole + 2  # pathlib.Path
    SCORE = Qt.ItemDataRole.UserRole + 3  # float
    RANK = Qt.ItemDataRole.UserRole + 4  # int, 1-based
    PHOTO = Qt.ItemDataRole.UserRole + 5  # clipdesk.core.types.Photo or None
    THUMB_KEY = Qt.ItemDataRole.UserRole + 6  # str
    THUMB_FAILED = Qt.ItemDataRole.UserRole + 7  # bool: the thumbnail cannot be made
    RESULT = Qt.ItemDataRole.UserRole + 8  # ResultItem
    TAGS = Qt.ItemDataRole.UserRole + 9  # tuple[str, ...]: tag labels (manual first, best first)


@dataclass(frozen=True)
class ResultItem:
    """One row: the hit, the photo record (when the library has it) and its thumbnail request."""

    hit: SearchHit
    photo: Photo | None
    thumb: ThumbRequest
    tags: tuple[str, ...] = ()  # labels of the photo's tags (automatic and manual)

    @property
    def file_id(self) -> int:
        return self.hit.file_id

    @property
    def path(self) -> Path:
        return self.hit.path

    @property
    def score(self) -> float:
        return self.hit.score


class ResultsModel(QAbstractListModel):
    """Read-only rows of :class:`ResultItem`, draggable to other apps as files."""

    MIME_URLS = "text/uri-list"

    def __init__(
        self, loader: ThumbnailLoader | None = None, parent: QObject | None = None
    ) -> None:
        super().__init__(parent)
        self._items: tuple[ResultItem, ...] = ()
        self._rows_by_key: dict[str, list[int]] = {}
        self._loader: ThumbnailLoader | None = None
        self.set_thumbnail_loader(loader)

    # -- content ---------------------------------------------------------------------------------

    def set_thumbnail_loader(self, loader: ThumbnailLoader | None) -> None:
        if self._loader is not None:
            self._loader.thumbnailReady.disconnect(self._on_thumbnail_ready)
        self._loader = loader
        if loader is not None:
            loader.thumbnailReady.connect(self._on_thumbnail_ready)

    @property
    def thumbnail_loader(self) -> ThumbnailLoader | None:
        return self._loader

    def set_results(
        self,
        hits: Sequence[SearchHit],
        photos: Mapping[int, Photo] | None = None,
        tags: Mapping[int, Sequence[str]] | None = None,
    ) -> None:
        """Show ``hits`` (in their order); ``photos`` adds metadata and thumbnail keys,
        ``tags`` the tag labels of each file id (see :func:`tag_labels`)."""
        photos = photos or {}
        tags = tags or {}
        items = tuple(
            ResultItem(
                hit,
                photo,
                ThumbRequest.for_photo(hit.path, _hash(photo)),
                tuple(tags.get(hit.file_id, ())),
            )
            for hit, photo in ((h, photos.get(h.file_id)) for h in hits)
        )
        rows: dict[str, list[int]] = {}
        for row, item in enumerate(items):
            rows.setdefault(item.thumb.key, []).append(row)
        self.beginResetModel()
        if self._loader is not None:
            self._loader.cancel_pending()  # the old rows' waiting thumbnails are not needed now
        self._items = items
        self._rows_by_key = rows
        self.endResetModel()

    def clear(self) -> None:
        self.set_results(())

    def item(self, row: int) -> ResultItem | None:
        return self._items[row] if 0 <= row < len(self._items) else None

    def items(self) -> tuple[ResultItem, ...]:
        return self._items

    def hits(self) -> tuple[SearchHit, ...]:
        return tuple(item.hit for item in self._items)

    def row_of_file(self, file_id: int) -> int | None:
        """The first row showing ``file_id``, if any."""
        return next((r for r, it in enumerate(self._items) if it.file_id == file_id), None)

    def item_at(self, index: AnyIndex) -> ResultItem | None:
        return self.item(index.row()) if index.isValid() else None

    def items_at(self, indexes: Iterable[AnyIndex]) -> list[ResultItem]:
        rows = sorted({i.row() for i in indexes if i.isValid()})
        return [self._items[r] for r in rows if r < len(self._items)]

    # -- Qt model API ----------------------------------------------------------------------------

    def rowCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._items)

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or index.row() >= len(self._items):
            return None
        item = self._items[index.row()]
        if role == Qt.ItemDataRole.DecorationRole:
            return self._loader.pixmap(item.thumb) if self._loader is not None else None
        if role == Qt.ItemDataRole.DisplayRole:
            return file_name(item.path)
        if role == Qt.ItemDataRole.ToolTipRole:
            # explicit, escaped rich text: Qt would guess "<b>x</b>.jpg" to be markup
            path = html.escape(shown(item.path))
            return f"<p style='white-space:pre'>{path}<br>{item.score:.3f}</p>"
        if role == ResultRole.SCORE:
            return item.score
        if role == ResultRole.FILE_ID:
            return item.file_id
        if role == ResultRole.PATH:
            return item.path
        if role == ResultRole.RANK:
            return item.hit.rank
        if role == ResultRole.PHOTO:
            return item.photo
        if role == ResultRole.THUMB_KEY:
            return item.thumb.key
        if role == ResultRole.THUMB_FAILED:
            return self._loader is not None and self._loader.has_failed(item.thumb.key)
        if role == ResultRole.RESULT:
            return item
        if role == ResultRole.TAGS:
            return item.tags
        return None

    def flags(self, index: AnyIndex) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return (
            Qt.ItemFlag.ItemIsEnabled
            | Qt.ItemFlag.ItemIsSelectable
            | Qt.ItemFlag.ItemIsDragEnabled
            | Qt.ItemFlag.ItemNeverHasChildren
        )

    def mimeTypes(self) -> list[str]:
        return [self.MIME_URLS, "text/plain"]

    def mimeData(self, indexes: Sequence[QModelIndex]) -> QMimeData:
        return files_mime_data(item.path for item in self.items_at(indexes))

    def supportedDragActions(self) -> Qt.DropAction:
        return Qt.DropAction.CopyAction

    # -- thumbnails ------------------------------------------------------------------------------

    @Slot(str)
    def _on_thumbnail_ready(self, key: str) -> None:
        rows = self._rows_by_key.get(key)
        if not rows:
            return
        roles = [Qt.ItemDataRole.DecorationRole, ResultRole.THUMB_FAILED]
        for row in rows:
            index = self.index(row, 0)
            self.dataChanged.emit(index, index, roles)


def files_mime_data(paths: Iterable[Path]) -> QMimeData:
    """Mime data that file managers, mail clients and editors accept as "these files"."""
    paths = list(paths)
    mime = QMimeData()
    mime.setUrls([file_url(p) for p in paths])
    mime.setText("\n".join(shown(p) for p in paths))
    return mime


def tag_labels(tags: Mapping[int, Sequence[Tag]]) -> dict[int, tuple[str, ...]]:
    """The labels of ``Library.tags()``'s answer, in its order, each label once."""
    return {i: tuple(dict.fromkeys(t.label for t in found)) for i, found in tags.items()}


def _hash(photo: Photo | None) -> str | None:
    return photo.content_hash if photo is not None else None
