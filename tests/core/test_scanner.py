"""Scanning folders (stat only, no recursion, never outside the root) and diffing with the store."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from clipdesk.core import scanner
from clipdesk.core.hashing import sha256_file
from clipdesk.core.jobs import Cancelled, CancelToken
from clipdesk.core.scanner import ScannedFile, diff_files, scan_root
from clipdesk.core.store import StoredFile
from clipdesk.core.types import FileStatus

needs_symlinks = pytest.mark.skipif(sys.platform == "win32", reason="symlinks need privileges")


def touch(path: Path, data: bytes = b"x") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def names(scan: scanner.RootScan) -> list[str]:
    return sorted(f.relpath for f in scan.files)


def test_finds_supported_files_by_name_and_stats_them(tmp_path: Path) -> None:
    touch(tmp_path / "a.jpg", b"12345")
    touch(tmp_path / "B.JPEG")
    touch(tmp_path / "sub" / "c.png")
    touch(tmp_path / "sub" / "deeper" / "d.webp")
    touch(tmp_path / "notes.txt")
    touch(tmp_path / "movie.mp4")
    touch(tmp_path / "noext")
    scan = scan_root(tmp_path)
    assert scan.reachable and not scan.unreadable and not scan.empty
    assert names(scan) == ["B.JPEG", "a.jpg", "sub/c.png", "sub/deeper/d.webp"]
    a = next(f for f in scan.files if f.relpath == "a.jpg")
    st = (tmp_path / "a.jpg").stat()
    assert (a.size, a.mtime_ns) == (5, st.st_mtime_ns)


def test_scanning_opens_no_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for i in range(5):
        touch(tmp_path / f"d{i}" / "p.jpg")
    opened: list[str] = []
    real_open = open

    def spy(file: object, *args: object, **kwargs: object) -> object:
        opened.append(str(file))
        return real_open(file, *args, **kwargs)  # type: ignore[call-overload]

    monkeypatch.setattr("builtins.open", spy)
    assert len(scan_root(tmp_path).files) == 5
    assert not [p for p in opened if p.startswith(str(tmp_path))]


def test_hidden_and_system_folders_and_the_data_folder_are_skipped(tmp_path: Path) -> None:
    touch(tmp_path / "keep.jpg")
    touch(tmp_path / ".hidden.jpg")
    for folder in (".git", ".thumbnails", "@eaDir", "$RECYCLE.BIN", "__MACOSX",
                   "System Volume Information", "data"):
        touch(tmp_path / folder / "x.jpg")
    scan = scan_root(tmp_path, exclude=[tmp_path / "data"])
    assert names(scan) == ["keep.jpg"]


def test_a_tree_deeper_than_the_recursion_limit(tmp_path: Path) -> None:
    depth = sys.getrecursionlimit() + 50
    levels = [tmp_path / "deep"]
    levels[0].mkdir()
    for _ in range(depth):  # os.makedirs itself recurses, so build it level by level
        levels.append(levels[-1] / "d")
        levels[-1].mkdir()
    touch(levels[-1] / "bottom.jpg")
    touch(levels[1] / "top.jpg")
    try:
        scan = scan_root(levels[0])
        assert names(scan) == sorted(["d/" * depth + "bottom.jpg", "d/top.jpg"])
    finally:  # pytest's clean-up (shutil.rmtree) recurses too: take the tree down here
        (levels[-1] / "bottom.jpg").unlink()
        (levels[1] / "top.jpg").unlink()
        for level in reversed(levels):
            level.rmdir()


@needs_symlinks
def test_symlink_loops_terminate(tmp_path: Path) -> None:
    touch(tmp_path / "a" / "b" / "p.jpg")
    (tmp_path / "a" / "b" / "up").symlink_to(tmp_path / "a")  # loop to an ancestor
    (tmp_path / "a" / "self").symlink_to(".", target_is_directory=True)
    (tmp_path / "x").symlink_to(tmp_path / "y")  # two links pointing at each other
    (tmp_path / "y").symlink_to(tmp_path / "x")
    scan = scan_root(tmp_path)
    assert names(scan) == ["a/b/p.jpg"]


@needs_symlinks
def test_symlinks_out_of_the_root_are_not_followed(tmp_path: Path) -> None:
    root, outside = tmp_path / "root", tmp_path / "outside"
    touch(root / "in.jpg")
    touch(outside / "secret.jpg")
    (root / "to_outside").symlink_to(outside)
    (root / "file_outside.jpg").symlink_to(outside / "secret.jpg")
    (root / "to_root").symlink_to(tmp_path)  # the root's parent
    assert names(scan_root(root)) == ["in.jpg"]


@needs_symlinks
def test_a_symlink_to_a_folder_inside_the_root_adds_nothing_twice(tmp_path: Path) -> None:
    touch(tmp_path / "real" / "p.jpg")
    (tmp_path / "a_link").symlink_to(tmp_path / "real")  # sorts before "real"
    assert names(scan_root(tmp_path)) == ["real/p.jpg"]


@needs_symlinks
def test_a_symlink_to_an_otherwise_hidden_folder_inside_the_root_is_followed(
    tmp_path: Path,
) -> None:
    touch(tmp_path / ".stash" / "p.jpg")
    (tmp_path / "shown").symlink_to(tmp_path / ".stash")
    assert names(scan_root(tmp_path)) == ["shown/p.jpg"]


@pytest.mark.skipif(sys.platform == "win32" or os.geteuid() == 0,
                    reason="needs POSIX permissions and a non-root user")
def test_unreadable_folders_are_recorded_and_skipped(tmp_path: Path) -> None:
    touch(tmp_path / "ok" / "a.jpg")
    locked = tmp_path / "locked"
    touch(locked / "b.jpg")
    locked.chmod(0)
    try:
        scan = scan_root(tmp_path)
    finally:
        locked.chmod(0o755)
    assert names(scan) == ["ok/a.jpg"] and scan.unreadable == [locked]


def test_unlistable_folders_are_recorded_and_skipped(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The same as above without needing a non-root user: listing the folder fails."""
    touch(tmp_path / "ok" / "a.jpg")
    touch(tmp_path / "locked" / "b.jpg")
    real = os.scandir

    def scandir(path: str) -> object:
        if os.path.basename(path) == "locked":
            raise PermissionError(13, "Permission denied", path)
        return real(path)

    monkeypatch.setattr(os, "scandir", scandir)
    scan = scan_root(tmp_path)
    assert scan.reachable
    assert names(scan) == ["ok/a.jpg"] and scan.unreadable == [tmp_path / "locked"]


def test_unreachable_roots(tmp_path: Path) -> None:
    assert not scan_root(tmp_path / "gone").reachable
    assert not scan_root(touch(tmp_path / "file.jpg")).reachable
    (tmp_path / "empty").mkdir()
    empty = scan_root(tmp_path / "empty")
    assert empty.reachable and empty.empty and not empty.files


def test_progress_and_cancel(tmp_path: Path) -> None:
    for i in range(2500):
        touch(tmp_path / f"d{i % 3}" / f"{i}.jpg")
    seen: list[int] = []
    scan = scan_root(tmp_path, progress=lambda n, folder: seen.append(n))
    assert len(scan.files) == 2500 and seen[-1] == 2500 and 1000 in seen
    token = CancelToken()
    token.cancel()
    with pytest.raises(Cancelled):
        scan_root(tmp_path, token=token)


# -- diff ------------------------------------------------------------------------------------


def stored(id_: int, relpath: str, size: int = 10, mtime: int = 1, hash_: str | None = None,
           root: int = 1) -> StoredFile:
    return StoredFile(id_, root, relpath, size, mtime, hash_ or f"h-{relpath}", FileStatus.OK)


def test_diff_sorts_new_changed_unchanged_missing() -> None:
    rows = {"same.jpg": stored(1, "same.jpg"), "size.jpg": stored(2, "size.jpg"),
            "time.jpg": stored(3, "time.jpg"), "gone.jpg": stored(4, "gone.jpg", size=99)}
    files = [ScannedFile("same.jpg", 10, 1), ScannedFile("size.jpg", 11, 1),
             ScannedFile("time.jpg", 10, 2), ScannedFile("new.jpg", 5, 1)]
    hashed: list[Path] = []

    def hasher(path: Path) -> str:
        hashed.append(path)
        return "never"

    diff = diff_files({1: files}, {1: rows}, root_paths={1: Path("/r")}, hasher=hasher)
    assert [r.id for r in diff.unchanged] == [1]
    assert sorted(r.id for r, _ in diff.changed) == [2, 3]
    assert [(r, f.relpath) for r, f in diff.new] == [(1, "new.jpg")]
    assert [r.id for r in diff.missing] == [4]
    assert not diff.moved
    assert hashed == []  # no missing file has the new file's size: nothing read


def test_diff_finds_moves_by_content_and_duplicates_get_their_own_rows() -> None:
    rows_a = {"old/cat.jpg": stored(1, "old/cat.jpg", size=50, hash_="CAT"),
              "dog.jpg": stored(2, "dog.jpg", size=50, hash_="DOG")}
    files_a = [ScannedFile("dog.jpg", 50, 1), ScannedFile("new/cat.jpg", 50, 7),
               ScannedFile("new/cat copy.jpg", 50, 8), ScannedFile("other.jpg", 50, 9),
               ScannedFile("tiny.jpg", 3, 1)]
    files_b = [ScannedFile("dog again.jpg", 50, 1)]  # a copy of a file that still exists
    hashes = {"new/cat.jpg": "CAT", "new/cat copy.jpg": "CAT", "other.jpg": "OTHER",
              "dog again.jpg": "DOG"}
    hashed: list[str] = []

    def hasher(path: Path) -> str:
        hashed.append(path.name)
        return hashes[str(path).split("/", 3)[3]]

    diff = diff_files({1: files_a, 2: files_b}, {1: rows_a, 2: {}},
                      root_paths={1: Path("/r/a"), 2: Path("/r/b")}, hasher=hasher)
    assert [(row.id, root, f.relpath) for row, root, f in diff.moved] == [(1, 1, "new/cat.jpg")]
    assert sorted(f.relpath for _, f in diff.new) == [
        "dog again.jpg", "new/cat copy.jpg", "other.jpg", "tiny.jpg"]
    assert diff.missing == []
    assert "tiny.jpg" not in hashed  # a size no missing file has is never hashed


def test_rows_under_folders_that_could_not_be_listed_are_not_missing() -> None:
    rows = {"locked/a.jpg": stored(1, "locked/a.jpg", hash_="A"),
            "locked2.jpg": stored(2, "locked2.jpg", hash_="B"),
            "open/b.jpg": stored(3, "open/b.jpg")}
    diff = diff_files({1: [ScannedFile("elsewhere/a.jpg", 10, 5)]}, {1: rows},
                      root_paths={1: Path("/r")}, protected={1: ["locked/"]},
                      hasher=lambda p: "A")
    assert sorted(r.id for r in diff.missing) == [2, 3]
    assert not diff.moved  # a kept row is no source for a move either


def test_diff_moves_across_roots() -> None:
    rows = {1: {"a.jpg": stored(1, "a.jpg", hash_="A")}, 2: {}}
    diff = diff_files({1: [], 2: [ScannedFile("x/a.jpg", 10, 5)]}, rows,
                      root_paths={1: Path("/one"), 2: Path("/two")}, hasher=lambda p: "A")
    assert [(row.id, root) for row, root, _ in diff.moved] == [(1, 2)]


def test_content_hash_is_sha256(tmp_path: Path) -> None:
    import hashlib

    data = os.urandom(3 << 20)
    assert sha256_file(touch(tmp_path / "f.jpg", data)) == hashlib.sha256(data).hexdigest()
