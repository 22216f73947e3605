"""Moving photos to the system trash: never deleting, each file on its own, failures told.

:func:`move_to_trash` hands each file to a *trash function* (``trash(path)``; by default
:func:`system_trash`, the ``send2trash`` package: the Freedesktop trash, the macOS Finder's,
the Windows Recycle Bin), one at a time, and reports what happened to each: moved, or not moved
and why in one sentence (the file is gone, no permission, no trash on that drive, changed since
it was indexed). A file that is not moved is left exactly where it was; nothing is ever deleted
outright, not even when a drive has no trash. :func:`check_groups` refuses, before anything is
moved, a choice that would leave a duplicate group without any photo.

The library side (marking the moved photos missing) is the engine's
(:meth:`clipdesk.core.engine.Engine.trash_photos`); this module only touches files.
"""

from __future__ import annotations

import errno
import logging
import os
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from clipdesk.core.errors import ClipdeskError
from clipdesk.core.jobs import CancelToken, ProgressCallback, no_progress
from clipdesk.core.types import Photo, Progress, Stage

if TYPE_CHECKING:
    from clipdesk.core.duplicates import DuplicateGroup

log = logging.getLogger(__name__)

TrashFn = Callable[[str], None]


def system_trash(path: str) -> None:
    """Move ``path`` to the system trash with ``send2trash`` (imported on first use)."""
    from send2trash import send2trash

    send2trash(path)


@dataclass(frozen=True)
class NotMoved:
    """A file left where it was, and why (one sentence)."""

    file_id: int
    path: Path
    reason: str


@dataclass(frozen=True)
class TrashReport:
    """What :func:`move_to_trash` did: the ids moved, and the files left where they were."""

    moved: tuple[int, ...] = ()
    not_moved: tuple[NotMoved, ...] = ()
    cancelled: bool = False  # stopped before the end: the files after ``moved`` were not tried
    unknown: tuple[int, ...] = field(default=())  # ids the library does not know (not tried)

    @property
    def ok(self) -> bool:
        return not self.not_moved and not self.cancelled and not self.unknown


def _reason(exc: OSError, path: Path) -> str:
    """Why ``path`` could not be moved, in one sentence that says nothing was lost."""
    try:
        from send2trash.exceptions import TrashPermissionError
    except ImportError:  # pragma: no cover - send2trash is a dependency
        TrashPermissionError = ()  # type: ignore[assignment,misc]
    if isinstance(exc, TrashPermissionError):
        return (f"{path}: the drive it is on has no trash clipdesk may use; it was not moved "
                f"and nothing was deleted.")
    if isinstance(exc, FileNotFoundError) or exc.errno == errno.ENOENT:
        return f"{path}: the file is no longer there."
    if isinstance(exc, PermissionError) or exc.errno in (errno.EACCES, errno.EPERM):
        return f"{path}: no permission to move it; it was left where it is."
    if exc.errno == errno.EXDEV or "mount point" in str(exc):
        return (f"{path}: there is no trash for the drive it is on; it was not moved and "
                f"nothing was deleted.")
    detail = exc.strerror or str(exc) or type(exc).__name__
    return f"{path}: could not be moved to the trash ({detail}); it was left where it is."


def _changed(photo: Photo) -> str | None:
    """Why ``photo``'s file is not the one that was indexed (None when it is)."""
    try:
        st = os.stat(photo.path)
    except FileNotFoundError:
        return f"{photo.path}: the file is no longer there."
    except OSError:
        return None  # the trash function will say what is wrong
    if st.st_size != photo.size or st.st_mtime_ns != photo.mtime_ns:
        return (f"{photo.path}: it changed since it was indexed; it was not moved (scan its "
                f"folder again and look at it first).")
    return None


def check_groups(file_ids: Iterable[int], groups: Sequence[DuplicateGroup]) -> None:
    """Refuse (:class:`ClipdeskError`) when ``file_ids`` holds every photo of a group: one of
    them always stays (the suggested best, unless the person chose another)."""
    chosen = set(file_ids)
    for n, group in enumerate(groups, start=1):
        if group.file_ids and chosen.issuperset(group.file_ids):
            raise ClipdeskError(f"Group {n} would lose all of its {len(group.file_ids)} "
                                f"photos: keep at least one. Nothing was moved.")


def move_to_trash(photos: Sequence[Photo], trash: TrashFn = system_trash, *,
                  token: CancelToken | None = None,
                  progress: ProgressCallback = no_progress,
                  moved: Callable[[int], None] | None = None) -> TrashReport:
    """Hand each photo's file to ``trash``, one at a time; a failure leaves that file where it
    was and the others go on. ``moved(file_id)`` is called right after each move (so that
    the caller can record it even if a later step fails). Cancelling stops between files."""
    done: list[int] = []
    failed: list[NotMoved] = []
    total = len(photos)
    progress(Progress(Stage.TRASHING, 0, total))
    for n, photo in enumerate(photos):
        if token is not None and token.cancelled:
            log.info("moving to the trash cancelled after %d of %d", n, total)
            return TrashReport(tuple(done), tuple(failed), cancelled=True)
        changed = _changed(photo)
        if changed is not None:
            failed.append(NotMoved(photo.id, photo.path, changed))
        else:
            try:
                trash(str(photo.path))
            except OSError as exc:
                log.warning("could not move %s to the trash: %s", photo.path, exc)
                failed.append(NotMoved(photo.id, photo.path, _reason(exc, photo.path)))
            else:
                done.append(photo.id)
                if moved is not None:
                    moved(photo.id)
        progress(Progress(Stage.TRASHING, n + 1, total, current=str(photo.path)))
    return TrashReport(tuple(done), tuple(failed))
