"""The list model of search results: ranked hits plus what the library knows of each photo.

One reset per search (``beginResetModel``/``endResetModel``) swaps in a new tuple of rows, so 10 000
results cost one signal, not 10 000. Thumbnails come from a :class:`ThumbnailLoader` through
``Qt.DecorationRole``; asking for one that is not in memory starts loading it, and its arrival
updates just the rows that show it.

The rows are an *arrangement* of the results, which never re-runs the search: sorted (by score,
date taken, name or folder) and stacked -- near-identical photos (:mod:`clipdesk.core.stacks`)
share one row, their best-ranked one, until that stack is opened (its others then follow it) or
stacking is turned off.
"""

from __future__ import annotations

import html
import logging
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import Enum, IntEnum
from pathlib import Path
from typing import Any

from PySide6.QtCore import (
    QAbstractListModel,
    QMimeData,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
    Signal,
    Slot,
)

from clipdesk.core.ocr.store import TextLine
from clipdesk.core.rerank.recheck import CONFIRMED
from clipdesk.core.stacks import Stack, stack_hits
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
    FOLDER = Qt.ItemDataRole.UserRole + 10  # str: the photo's folder, shown
    STACK_SIZE = Qt.ItemDataRole.UserRole + 11  # int: photos in the stack the row heads (else 1)
    STACK_OPEN = Qt.ItemDataRole.UserRole + 12  # bool: the row heads a stack shown open
    STACK_HEAD = Qt.ItemDataRole.UserRole + 13  # int | None: in an open stack, its head's file id
    CHECK = Qt.ItemDataRole.UserRole + 14  # float | None: a VLM's p(yes) for the photo
    WORDS = Qt.ItemDataRole.UserRole + 15  # tuple[TextLine, ...]: its lines holding the words


class SortKey(str, Enum):
    """How the rows are ordered (the search's ranking is kept for equal keys)."""

    SCORE = "score"  # best match first: the search's ranking
    DATE = "date"  # newest first (date taken, else the file's time); undated last
    NAME = "name"  # file name, A to Z
    FOLDER = "folder"  # folder, then name


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

    @property
    def folder(self) -> Path:
        return self.hit.path.parent


@dataclass(frozen=True)
class _Group:
    """A stack: its best-ranked item and the others like it, in rank order."""

    head: ResultItem
    members: tuple[ResultItem, ...] = ()

    @property
    def size(self) -> int:
        return 1 + len(self.members)


@dataclass(frozen=True)
class _Row:
    item: ResultItem
    size: int = 1  # photos in the stack this row heads
    open: bool = False  # the row heads a stack whose others are shown after it
    head: int | None = None  # shown inside an open stack: its head's file id


class ResultsModel(QAbstractListModel):
    """Read-only rows of :class:`ResultItem`, draggable to other apps as files."""

    MIME_URLS = "text/uri-list"

    arrangementChanged = Signal()  # new results, another order, stacks opened/closed or not

    def __init__(
        self, loader: ThumbnailLoader | None = None, parent: QObject | None = None
    ) -> None:
        super().__init__(parent)
        self._items: tuple[ResultItem, ...] = ()
        self._answers: dict[int, float] = {}
        self._words: dict[int, tuple[TextLine, ...]] = {}
        self._rows: tuple[_Row, ...] = ()
        self._groups: tuple[_Group, ...] = ()
        self._all: tuple[ResultItem, ...] = ()  # every result, in rank order
        self._sort = SortKey.SCORE
        self._stacking = True
        self._open: set[int] = set()  # head file ids of the stacks shown open
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
        stacks: Sequence[Stack] | None = None,
    ) -> None:
        """Show ``hits`` (ranked best first); ``photos`` adds metadata and thumbnail keys,
        ``tags`` the tag labels of each file id (see :func:`tag_labels`), ``stacks`` how they
        group (:func:`clipdesk.core.stacks.stack_hits`; default: copies of one photo, told by
        their content hash). Stacks that were open stay open when their head is still one."""
        photos = photos or {}
        tags = tags or {}
        self._answers = {}
        self._words = {}
        items = tuple(
            ResultItem(
                hit,
                photo,
                ThumbRequest.for_photo(hit.path, _hash(photo)),
                tuple(tags.get(hit.file_id, ())),
            )
            for hit, photo in ((h, photos.get(h.file_id)) for h in hits)
        )
        if stacks is None:
            stacks = stack_hits(hits, hashes={i: p.content_hash for i, p in photos.items()})
        groups = _groups(items, stacks)
        self.beginResetModel()
        if self._loader is not None:
            self._loader.cancel_pending()  # the old rows' waiting thumbnails are not needed now
        self._all = items
        self._groups = groups
        self._open &= {g.head.file_id for g in groups if g.members}
        self._set_rows(self._arrange())
        self.endResetModel()
        self.arrangementChanged.emit()

    def clear(self) -> None:
        self.set_results(())

    # -- arrangement -----------------------------------------------------------------------------

    def sort_key(self) -> SortKey:
        return self._sort

    def set_sort_key(self, key: SortKey) -> None:
        """Order the rows by ``key`` (a stack goes by its head; its open others follow it).
        Selection and current item follow their photos."""
        key = SortKey(key)
        if key == self._sort:
            return
        self._sort = key
        rows = self._arrange()
        self.layoutAboutToBeChanged.emit()
        new_row = {row.item.file_id: r for r, row in enumerate(rows)}
        old = self.persistentIndexList()
        moved = [self._moved(index, new_row) for index in old]
        self._set_rows(rows)
        self.changePersistentIndexList(old, moved)
        self.layoutChanged.emit()
        self.arrangementChanged.emit()

    def _moved(self, index: QModelIndex, new_row: Mapping[int, int]) -> QModelIndex:
        row = new_row.get(self._items[index.row()].file_id) if index.isValid() else None
        return self.index(row, 0) if row is not None else QModelIndex()

    def is_stacking(self) -> bool:
        return self._stacking

    def set_stacking(self, on: bool) -> None:
        """Stack near-identical photos (True) or show every photo in its own row (a reset:
        :meth:`ResultsView.set_stacking` keeps the current photo)."""
        if bool(on) == self._stacking:
            return
        self.beginResetModel()
        self._stacking = bool(on)
        self._set_rows(self._arrange())
        self.endResetModel()
        self.arrangementChanged.emit()

    def stack_size(self, row: int) -> int:
        """Photos in the stack that ``row`` heads (1: a photo on its own, or stacking is off)."""
        return self._rows[row].size if 0 <= row < len(self._rows) else 0

    def stack_items(self, row: int) -> tuple[ResultItem, ...]:
        """Every photo of the stack ``row`` heads or belongs to, head first."""
        head = self.stack_head_row(row)
        if head is None:
            return ()
        item = self._rows[head].item
        if self._rows[head].size == 1:
            return (item,)
        group = next(g for g in self._groups if g.head.file_id == item.file_id)
        return (group.head, *group.members)

    def stack_head_row(self, row: int) -> int | None:
        """The row of the stack head of ``row`` (``row`` itself unless it is inside an open
        stack)."""
        if not 0 <= row < len(self._rows):
            return None
        head = self._rows[row].head
        if head is None:
            return row
        return next((r for r in range(row, -1, -1) if self._items[r].file_id == head), None)

    def is_stack_open(self, row: int) -> bool:
        head = self.stack_head_row(row)
        return head is not None and self._rows[head].open

    def toggle_stack(self, row: int) -> bool:
        """Open the stack of ``row`` when closed, close it when open; False when ``row`` is
        not part of a stack."""
        head = self.stack_head_row(row)
        if head is None or self._rows[head].size < 2:
            return False
        if self._rows[head].open:
            self.close_stack(head)
        else:
            self.open_stack(head)
        return True

    def open_stack(self, row: int) -> None:
        """Show the others of the stack ``row`` heads right after it."""
        if not 0 <= row < len(self._rows) or self._rows[row].size < 2 or self._rows[row].open:
            return
        head = self._rows[row].item.file_id
        self._open.add(head)
        rows = self._arrange()
        count = self._rows[row].size - 1
        self.beginInsertRows(QModelIndex(), row + 1, row + count)
        self._set_rows(rows)
        self.endInsertRows()
        self._changed(row)
        self.arrangementChanged.emit()

    def close_stack(self, row: int) -> None:
        """Fold the stack of ``row`` (its head or one of its others) back into its head."""
        head_row = self.stack_head_row(row)
        if head_row is None or not self._rows[head_row].open:
            return
        self._open.discard(self._rows[head_row].item.file_id)
        rows = self._arrange()
        count = self._rows[head_row].size - 1
        self.beginRemoveRows(QModelIndex(), head_row + 1, head_row + count)
        self._set_rows(rows)
        self.endRemoveRows()
        self._changed(head_row)
        self.arrangementChanged.emit()

    def _changed(self, row: int) -> None:
        index = self.index(row, 0)
        self.dataChanged.emit(index, index, [ResultRole.STACK_OPEN])

    def _arrange(self) -> tuple[_Row, ...]:
        groups: Sequence[_Group] = (
            self._groups if self._stacking else [_Group(item) for item in self._all]
        )
        if self._sort != SortKey.SCORE:
            groups = sorted(groups, key=_SORT_KEYS[self._sort])  # stable: rank breaks ties
        rows: list[_Row] = []
        for group in groups:
            head = group.head
            opened = bool(group.members) and head.file_id in self._open
            rows.append(_Row(head, group.size, opened))
            if opened:
                rows.extend(_Row(m, 1, False, head.file_id) for m in group.members)
        return tuple(rows)

    def _set_rows(self, rows: tuple[_Row, ...]) -> None:
        self._rows = rows
        self._items = tuple(row.item for row in rows)
        by_key: dict[str, list[int]] = {}
        for r, item in enumerate(self._items):
            by_key.setdefault(item.thumb.key, []).append(r)
        self._rows_by_key = by_key

    # -- reading ---------------------------------------------------------------------------------

    def all_items(self) -> tuple[ResultItem, ...]:
        """Every result, in the search's ranking (the photos inside closed stacks too)."""
        return self._all

    def photo_count(self) -> int:
        """How many photos the results hold (rows may be fewer: stacks)."""
        return len(self._all)

    def best_score(self) -> float | None:
        return max((item.score for item in self._all), default=None)

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
            return self._tooltip(index.row())
        if role == ResultRole.FOLDER:
            return shown(item.folder)
        if role == ResultRole.STACK_SIZE:
            return self._rows[index.row()].size
        if role == ResultRole.STACK_OPEN:
            return self._rows[index.row()].open
        if role == ResultRole.STACK_HEAD:
            return self._rows[index.row()].head
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
        if role == ResultRole.CHECK:
            return self._answers.get(item.file_id)
        if role == ResultRole.WORDS:
            return self._words.get(item.file_id, ())
        return None

    def set_answers(self, answers: Mapping[int, float]) -> None:
        """A VLM's p(yes) per file id (cleared by :meth:`set_results`)."""
        self._answers = dict(answers)
        if self._items:
            self.dataChanged.emit(self.index(0, 0), self.index(len(self._items) - 1, 0),
                                  [ResultRole.CHECK, Qt.ItemDataRole.ToolTipRole])

    def set_words(self, words: Mapping[int, tuple[TextLine, ...]]) -> None:
        """The lines of text, read in each photo, that hold the words searched for (cleared by
        :meth:`set_results`)."""
        self._words = {i: tuple(lines) for i, lines in words.items() if lines}
        if self._items:
            self.dataChanged.emit(self.index(0, 0), self.index(len(self._items) - 1, 0),
                                  [ResultRole.WORDS, Qt.ItemDataRole.ToolTipRole])

    def _tooltip(self, row: int) -> str:
        """The full path (and score, and the stack's size): explicit, escaped rich text, since
        Qt would guess "<b>x</b>.jpg" to be markup; ``white-space:pre`` keeps a path on one
        line."""
        item, size = self._items[row], self._rows[row].size
        lines = [shown(item.path), f"{item.score:.3f}"]
        answer = self._answers.get(item.file_id)
        if answer is not None:
            lines.append((self.tr("Confirmed by the check: yes %1") if answer >= CONFIRMED
                           else self.tr("Rejected by the check: yes %1")).replace(
                "%1", f"{answer:.2f}"))
        words = self._words.get(item.file_id)
        if words:
            lines.append(self.tr("Shows the words: %1").replace(
                "%1", " / ".join(line.text for line in words)))
        if size > 1:
            lines.append(self.tr("%n near-identical photo(s) in this stack", "", size))
        text = "<br>".join(html.escape(line) for line in lines)
        return f"<p style='white-space:pre'>{text}</p>"

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


def _groups(items: Sequence[ResultItem], stacks: Sequence[Stack]) -> tuple[_Group, ...]:
    """``items`` grouped as ``stacks`` say, in the order of their heads' ranks; items that no
    stack names stand alone."""
    by_id = {item.file_id: item for item in items}
    position = {item.file_id: i for i, item in enumerate(items)}
    used: set[int] = set()
    groups: list[_Group] = []
    for stack in stacks:
        ids = [h.file_id for h in stack.hits if h.file_id in by_id and h.file_id not in used]
        if not ids:
            continue
        used.update(ids)
        ids.sort(key=position.__getitem__)
        groups.append(_Group(by_id[ids[0]], tuple(by_id[i] for i in ids[1:])))
    groups.extend(_Group(item) for item in items if item.file_id not in used)
    groups.sort(key=lambda g: position[g.head.file_id])
    return tuple(groups)


def _name_key(item: ResultItem) -> tuple[str, str]:
    name = item.path.name or str(item.path)
    return name.casefold(), name


def _folder_key(item: ResultItem) -> tuple[str, str]:
    folder = str(item.folder)
    return folder.casefold(), folder


def _date_key(item: ResultItem) -> tuple[bool, float]:
    """Newest first; photos with no known date last."""
    photo = item.photo
    if photo is None:
        return True, 0.0
    if photo.taken_at is not None:
        try:
            return False, -photo.taken_at.timestamp()
        except (OverflowError, OSError, ValueError):
            return True, 0.0
    if photo.mtime_ns:
        return False, -photo.mtime_ns / 1e9
    return True, 0.0


_SORT_KEYS: dict[SortKey, Callable[[_Group], Any]] = {
    SortKey.SCORE: lambda g: g.head.hit.rank,
    SortKey.DATE: lambda g: _date_key(g.head),
    SortKey.NAME: lambda g: (*_name_key(g.head), *_folder_key(g.head)),
    SortKey.FOLDER: lambda g: (*_folder_key(g.head), *_name_key(g.head)),
}
