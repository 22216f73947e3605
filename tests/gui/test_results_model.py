"""ResultsModel: 10 000 hits, data roles, resets, drag-out mime data."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QModelIndex, Qt
from pytestqt.qtbot import QtBot

from clipdesk.core.types import FileStatus, Photo, SearchHit
from clipdesk.gui.results.model import ResultItem, ResultRole, ResultsModel

N = 10_000


def fake_hits(n: int = N, folder: Path = Path("/photos")) -> list[SearchHit]:
    return [
        SearchHit(file_id=i + 1, path=folder / f"img{i:05d}.jpg", score=1.0 - i / n, rank=i + 1)
        for i in range(n)
    ]


def fake_photo(hit: SearchHit) -> Photo:
    return Photo(
        id=hit.file_id,
        root_id=1,
        path=hit.path,
        size=1000 + hit.file_id,
        mtime_ns=0,
        width=640,
        height=480,
        taken_at=None,
        status=FileStatus.OK,
        content_hash=f"hash{hit.file_id:08d}",
    )


def test_ten_thousand_hits_and_roles(qtbot: QtBot) -> None:
    model = ResultsModel()
    hits = fake_hits()
    photos = {h.file_id: fake_photo(h) for h in hits[:100]}
    model.set_results(hits, photos)
    assert model.rowCount() == N
    assert model.rowCount(model.index(0, 0)) == 0  # a list: no children
    last = model.index(N - 1, 0)
    assert model.data(last, ResultRole.FILE_ID) == N
    assert model.data(last, ResultRole.RANK) == N
    assert model.data(last, ResultRole.PATH) == Path("/photos/img09999.jpg")
    assert model.data(last, Qt.ItemDataRole.DisplayRole) == "img09999.jpg"
    assert model.data(last, ResultRole.PHOTO) is None  # no metadata given for it
    assert model.data(last, ResultRole.THUMB_KEY) == "path:/photos/img09999.jpg"
    first = model.index(0, 0)
    assert model.data(first, ResultRole.SCORE) == 1.0
    assert model.data(first, ResultRole.PHOTO).width == 640
    assert model.data(first, ResultRole.THUMB_KEY) == "hash00000001"
    assert isinstance(model.data(first, ResultRole.RESULT), ResultItem)
    assert model.data(first, Qt.ItemDataRole.DecorationRole) is None  # no loader
    assert model.data(QModelIndex(), ResultRole.SCORE) is None
    assert model.data(model.index(N, 0), ResultRole.SCORE) is None
    assert model.row_of_file(5) == 4


def test_markup_in_names_stays_text(qtbot: QtBot) -> None:
    model = ResultsModel()
    model.set_results([SearchHit(1, Path("/p/<b>x</b>.jpg"), 0.5, 1)])
    index = model.index(0, 0)
    assert model.data(index, Qt.ItemDataRole.DisplayRole) == "b>.jpg"  # POSIX: "/" splits
    tooltip = model.data(index, Qt.ItemDataRole.ToolTipRole)
    assert "&lt;b&gt;x&lt;/b&gt;.jpg" in tooltip and "<b>" not in tooltip


def test_reset_is_one_signal(qtbot: QtBot) -> None:
    model = ResultsModel()
    model.set_results(fake_hits(50))
    inserted: list[object] = []
    model.rowsInserted.connect(lambda *a: inserted.append(a))
    with qtbot.waitSignals([model.modelAboutToBeReset, model.modelReset]):
        model.set_results(fake_hits())
    assert inserted == []
    assert model.rowCount() == N
    with qtbot.waitSignal(model.modelReset):
        model.clear()
    assert model.rowCount() == 0
    assert model.hits() == ()


def test_drag_out_as_file_urls(qtbot: QtBot) -> None:
    model = ResultsModel()
    model.set_results(fake_hits(3))
    flags = model.flags(model.index(0, 0))
    assert flags & Qt.ItemFlag.ItemIsDragEnabled
    mime = model.mimeData([model.index(2, 0), model.index(0, 0)])
    assert [u.toLocalFile() for u in mime.urls()] == [
        "/photos/img00000.jpg",
        "/photos/img00002.jpg",
    ]
    assert "text/uri-list" in model.mimeTypes()
    assert model.supportedDragActions() == Qt.DropAction.CopyAction
