"""Moving files to the trash one at a time: every failure leaves its file where it was, with a
sentence that says why, and the files after it still go; nothing is ever deleted."""

from __future__ import annotations

import errno
import os
import shutil
from pathlib import Path

import pytest
from send2trash.exceptions import TrashPermissionError

from clipdesk.core.duplicates import DuplicateGroup
from clipdesk.core.errors import ClipdeskError
from clipdesk.core.jobs import CancelToken
from clipdesk.core.trash import check_groups, move_to_trash
from clipdesk.core.types import FileStatus, Photo, Progress, Stage


def _photos(folder: Path, n: int) -> list[Photo]:
    folder.mkdir()
    photos = []
    for i in range(n):
        path = folder / f"p{i}.jpg"
        path.write_bytes(bytes([i]) * (100 + i))
        st = path.stat()
        photos.append(Photo(i + 1, 1, path, st.st_size, st.st_mtime_ns, 10, 10, None,
                            FileStatus.OK))
    return photos


class FakeTrash:
    """Moves files into a folder; ``errors`` maps a file name to what the trash raises."""

    def __init__(self, folder: Path, errors: dict[str, BaseException] | None = None) -> None:
        self.folder = folder
        self.folder.mkdir()
        self.errors = errors or {}
        self.received: list[str] = []

    def __call__(self, path: str) -> None:
        name = Path(path).name
        if name in self.errors:
            raise self.errors[name]
        shutil.move(path, self.folder / name)
        self.received.append(name)


def test_failures_mid_way_leave_their_files_and_the_rest_goes_on(tmp_path: Path) -> None:
    photos = _photos(tmp_path / "photos", 6)
    contents = {p.path.name: p.path.read_bytes() for p in photos}
    trash = FakeTrash(tmp_path / "trash", {
        "p1.jpg": TrashPermissionError(str(photos[1].path)),
        "p2.jpg": PermissionError(errno.EACCES, "Permission denied", str(photos[2].path)),
        "p3.jpg": OSError(errno.EIO, "Input/output error"),
    })
    photos[4].path.unlink()  # gone since it was indexed
    reports: list[Progress] = []
    recorded: list[int] = []
    report = move_to_trash(photos, trash, progress=reports.append, moved=recorded.append)
    assert report.moved == (1, 6) and recorded == [1, 6] and not report.ok
    assert trash.received == ["p0.jpg", "p5.jpg"]
    reasons = {n.path.name: n.reason for n in report.not_moved}
    assert "no trash clipdesk may use" in reasons["p1.jpg"]
    assert "nothing was deleted" in reasons["p1.jpg"]
    assert "no permission" in reasons["p2.jpg"]
    assert "Input/output error" in reasons["p3.jpg"] and "left where it is" in reasons["p3.jpg"]
    assert "no longer there" in reasons["p4.jpg"]
    # nothing lost: every file is either where it was or in the trash, with its bytes
    for name, data in contents.items():
        if name == "p4.jpg":
            continue
        where = tmp_path / "trash" / name if name in trash.received else \
            tmp_path / "photos" / name
        assert where.read_bytes() == data
    assert [(r.stage, r.done, r.total) for r in reports][-1] == (Stage.TRASHING, 6, 6)


def test_a_file_changed_since_indexing_is_not_moved(tmp_path: Path) -> None:
    photos = _photos(tmp_path / "photos", 2)
    photos[0].path.write_bytes(b"edited since")
    os.utime(photos[1].path, ns=(photos[1].mtime_ns, photos[1].mtime_ns + 10**9))
    trash = FakeTrash(tmp_path / "trash")
    report = move_to_trash(photos, trash)
    assert report.moved == () and trash.received == []
    assert all("changed since it was indexed" in n.reason for n in report.not_moved)


def test_an_unexpected_error_keeps_what_was_moved_recorded(tmp_path: Path) -> None:
    photos = _photos(tmp_path / "photos", 3)
    trash = FakeTrash(tmp_path / "trash", {"p1.jpg": RuntimeError("broken trash")})
    recorded: list[int] = []
    with pytest.raises(RuntimeError):
        move_to_trash(photos, trash, moved=recorded.append)
    assert recorded == [1] and photos[1].path.exists() and photos[2].path.exists()


def test_cancelling_stops_between_files(tmp_path: Path) -> None:
    photos = _photos(tmp_path / "photos", 3)
    token = CancelToken()

    class CancelAfterOne(FakeTrash):
        def __call__(self, path: str) -> None:
            super().__call__(path)
            token.cancel()

    report = move_to_trash(photos, CancelAfterOne(tmp_path / "trash"), token=token)
    assert report.moved == (1,) and report.cancelled and not report.ok
    assert photos[1].path.exists() and photos[2].path.exists()


def test_a_group_is_never_emptied() -> None:
    groups = [DuplicateGroup((1, 2, 3), False, 0.97), DuplicateGroup((4, 5), True, 1.0)]
    check_groups([2, 3, 5], groups)  # the best of each stays
    check_groups([1, 3, 4], groups)  # another one stays: the person chose
    with pytest.raises(ClipdeskError, match="Group 2 would lose all of its 2 photos"):
        check_groups([2, 3, 4, 5], groups)
