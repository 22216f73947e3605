"""Finding photo files (stat only) and comparing them with what the store knows.

:func:`scan_root` walks a root folder with ``os.scandir`` and an explicit stack (no recursion, so
no depth limit). It never leaves the root: a symlink whose target lies outside is not followed,
and directories are remembered by ``(st_dev, st_ino)`` so symlink loops end. Real directories are
walked before symlinked ones, so a symlink to a folder that is also reachable directly adds
nothing. Hidden and system folders (``.git``, ``$RECYCLE.BIN``, ``@eaDir`` ...) and the data
folder itself are skipped; folders that cannot be listed are recorded and skipped. Files are
kept when :func:`clipdesk.core.imaging.is_supported` accepts their name; none is opened.

:func:`diff_files` sorts scanned files into new / changed / unchanged / moved / missing. A move is
a new path whose content hash equals that of a missing file of the same size; only new files
with the size of some missing file are hashed, so a plain re-scan reads no file at all.
"""

from __future__ import annotations

import logging
import os
import stat
from collections import defaultdict
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from clipdesk.core.hashing import sha256_file
from clipdesk.core.imaging import is_supported
from clipdesk.core.jobs import CancelToken
from clipdesk.core.store.records import StoredFile

log = logging.getLogger(__name__)

SKIPPED_DIR_NAMES = frozenset({
    "$recycle.bin", "system volume information", "recycler", "@eadir", "#recycle", "#snapshot",
    "__macosx", "lost+found", "$windows.~bt", "$windows.~ws", "node_modules",
})
_HIDDEN_ATTRS = 0x2 | 0x4  # FILE_ATTRIBUTE_HIDDEN | FILE_ATTRIBUTE_SYSTEM (Windows)
_PROGRESS_EVERY = 1000


@dataclass(frozen=True)
class ScannedFile:
    relpath: str  # POSIX separators, relative to the root
    size: int
    mtime_ns: int


@dataclass
class RootScan:
    root: Path
    reachable: bool  # False: missing, not a folder, or not listable (treat as offline)
    files: list[ScannedFile] = field(default_factory=list)
    unreadable: list[Path] = field(default_factory=list)  # sub-folders that could not be listed
    empty: bool = False  # the root folder itself has no entries at all (an empty mount point?)
    reason: str = ""


def _hidden(entry: os.DirEntry[str]) -> bool:
    if entry.name.startswith("."):
        return True
    if os.name != "nt":
        return False
    attrs = getattr(entry.stat(follow_symlinks=False), "st_file_attributes", 0)
    return bool(attrs & _HIDDEN_ATTRS)


def _enter(
    path: str, visited: set[tuple[int, int]], excluded: set[tuple[int, int]], scan: RootScan
) -> bool:
    """Whether to walk ``path``: not seen before (by device and inode) and not excluded."""
    try:
        st = os.stat(path)
    except OSError as exc:
        log.info("cannot enter %s: %s", path, exc)
        scan.unreadable.append(Path(path))
        return False
    key = (st.st_dev, st.st_ino)
    if key in visited or key in excluded:
        return False
    visited.add(key)
    return True


def _inside(target: str, root: str) -> bool:
    return target == root or target.startswith(root.rstrip(os.sep) + os.sep)


def scan_root(
    root: Path,
    *,
    exclude: Collection[Path] = (),
    token: CancelToken | None = None,
    progress: Callable[[int, str], None] | None = None,
) -> RootScan:
    """Every supported file under ``root`` (see the module notes). ``progress(found, folder)``
    is called every thousand files; ``token`` is checked once per folder."""
    root_real = os.path.realpath(root)
    try:
        st = os.stat(root_real)
    except OSError as exc:
        return RootScan(root, False, reason=exc.strerror or str(exc))
    if not stat.S_ISDIR(st.st_mode):
        return RootScan(root, False, reason="not a folder")
    excluded: set[tuple[int, int]] = set()
    for skip in exclude:
        try:
            ex = os.stat(skip)
        except OSError:
            continue
        excluded.add((ex.st_dev, ex.st_ino))
    visited = {(st.st_dev, st.st_ino)}
    result = RootScan(root, True)
    stack: list[tuple[str, str]] = [(root_real, "")]
    deferred: list[tuple[str, str]] = []  # symlinked folders: walked after every real one
    while stack:
        if token is not None:
            token.check()
        folder, rel = stack.pop()
        try:
            with os.scandir(folder) as it:
                entries = sorted(it, key=lambda e: e.name)
        except OSError as exc:
            if folder == root_real:
                return RootScan(root, False, reason=exc.strerror or str(exc))
            log.info("cannot list %s: %s", folder, exc)
            result.unreadable.append(Path(folder))
            continue
        if folder == root_real and not entries:
            result.empty = True
        subdirs: list[tuple[str, str, bool]] = []
        for entry in entries:
            try:
                if _hidden(entry):
                    continue
                link = entry.is_symlink()
                if link and not _inside(os.path.realpath(entry.path), root_real):
                    continue  # never leave the root
                if entry.is_dir():
                    if entry.name.lower() not in SKIPPED_DIR_NAMES:
                        subdirs.append((entry.path, rel + entry.name + "/", link))
                elif entry.is_file() and is_supported(entry.name):
                    est = entry.stat()
                    result.files.append(ScannedFile(rel + entry.name, est.st_size,
                                                    est.st_mtime_ns))
                    if progress is not None and len(result.files) % _PROGRESS_EVERY == 0:
                        progress(len(result.files), folder)
            except OSError as exc:  # vanished or broken entry: ignore it
                log.debug("skipping %s: %s", entry.path, exc)
        for path, sub_rel, link in reversed(subdirs):
            if link:
                deferred.append((path, sub_rel))
            elif _enter(path, visited, excluded, result):
                stack.append((path, sub_rel))
        # symlinked folders are entered only once no real folder is left, and only if the
        # folder they point to was not walked already
        while not stack and deferred:
            path, sub_rel = deferred.pop()
            if _enter(path, visited, excluded, result):
                stack.append((path, sub_rel))
    if progress is not None:
        progress(len(result.files), str(root))
    return result


@dataclass
class Diff:
    """How scanned files relate to stored rows. ``root_id`` pairs say where a file was found."""

    new: list[tuple[int, ScannedFile]] = field(default_factory=list)
    changed: list[tuple[StoredFile, ScannedFile]] = field(default_factory=list)
    unchanged: list[StoredFile] = field(default_factory=list)
    moved: list[tuple[StoredFile, int, ScannedFile]] = field(default_factory=list)
    missing: list[StoredFile] = field(default_factory=list)


def diff_files(
    scanned: Mapping[int, Sequence[ScannedFile]],
    stored: Mapping[int, Mapping[str, StoredFile]],
    *,
    root_paths: Mapping[int, Path],
    protected: Mapping[int, Sequence[str]] | None = None,
    hasher: Callable[[Path], str] = sha256_file,
    on_hash: Callable[[int, int, str], None] | None = None,
    token: CancelToken | None = None,
) -> Diff:
    """Compare the scans of reachable roots (``root id -> files``) with their stored rows.

    Moves may cross roots. Each missing row is matched at most once, so of several new copies of
    a moved file one takes the row (and its vectors) and the others are new files with rows of
    their own. A file that cannot be hashed is simply new. Rows under a ``protected`` folder
    prefix (``"sub/dir/"``, folders that could not be listed this time) are never missing.
    """
    diff = Diff()
    for root_id, files in scanned.items():
        known = stored.get(root_id, {})
        shielded = tuple((protected or {}).get(root_id, ()))
        seen: set[str] = {path for path in known if shielded and path.startswith(shielded)}
        for f in files:
            seen.add(f.relpath)
            row = known.get(f.relpath)
            if row is None:
                diff.new.append((root_id, f))
            elif row.size != f.size or row.mtime_ns != f.mtime_ns:
                diff.changed.append((row, f))
            else:
                diff.unchanged.append(row)
        diff.missing.extend(row for path, row in known.items() if path not in seen)
    if not diff.missing or not diff.new:
        return diff
    by_key: dict[tuple[int, str], list[StoredFile]] = defaultdict(list)
    for row in diff.missing:
        if row.content_hash:
            by_key[(row.size, row.content_hash)].append(row)
    sizes = {size for size, _ in by_key}
    candidates = [(r, f) for r, f in diff.new if f.size in sizes]
    moved_new: set[tuple[int, str]] = set()
    moved_rows: set[int] = set()
    for done, (root_id, f) in enumerate(candidates, start=1):
        if token is not None:
            token.check()
        path = root_paths[root_id] / f.relpath
        if on_hash is not None:
            on_hash(done, len(candidates), str(path))
        try:
            digest = hasher(path)
        except OSError as exc:
            log.info("cannot hash %s: %s", path, exc)
            continue
        rows = by_key.get((f.size, digest))
        if rows:
            row = rows.pop(0)
            diff.moved.append((row, root_id, f))
            moved_new.add((root_id, f.relpath))
            moved_rows.add(row.id)
    if moved_rows:
        diff.new = [(r, f) for r, f in diff.new if (r, f.relpath) not in moved_new]
        diff.missing = [row for row in diff.missing if row.id not in moved_rows]
    return diff
