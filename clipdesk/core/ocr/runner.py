"""The "read text" indexing stage: every indexed photo whose content has no reading yet is read,
in worker processes, and its reading stored (:mod:`.store`).

Like embedding, it is incremental (a photo is read once per content: copies, moves and renames
cost nothing), resumable (readings are committed every few photos; a cancelled, quit or killed
run keeps them and the next run reads only what is left) and never stopped by one photo: a
photo that cannot be read gets a recorded failure with its reason, a worker that crashes or
hangs costs that photo only. The library is walked in chunks, so a million photos need no list
of a million paths.
"""

from __future__ import annotations

import logging
import os
import queue
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from clipdesk.core.jobs import Cancelled, CancelToken, ProgressCallback, no_progress
from clipdesk.core.ocr.reader import MAX_SIDE, READER, require_ocr
from clipdesk.core.ocr.store import Reading, ReadState, TextStore
from clipdesk.core.types import Progress, Stage

if TYPE_CHECKING:
    from clipdesk.core.pipeline.pool import WorkerTarget
    from clipdesk.core.pipeline.worker import FileResult
    from clipdesk.core.store import Library

log = logging.getLogger(__name__)

CHUNK = 2000  # photos looked up at a time
COMMIT_EVERY = 32  # readings per transaction
COMMIT_S = 2.0  # ... or after this long
MAX_WORKERS = 8  # each holds its own ONNX Runtime session (about 200 MB)


@dataclass
class TextReport:
    """What one "read text" run did."""

    read: int = 0  # photos read (with or without text)
    with_text: int = 0
    failed: int = 0
    changed: int = 0  # changed or gone since they were indexed: left to the next run
    forgotten: int = 0  # readings of contents no longer in the library, dropped
    cancelled: bool = False
    errors: list[tuple[Path, str]] = field(default_factory=list)


def worker_split(workers: int = 0) -> tuple[int, int]:
    """``(processes, threads each)`` for ``workers`` processes (0: from the CPU count)."""
    cores = os.cpu_count() or 1
    processes = max(1, int(workers)) if workers else max(1, min(cores, MAX_WORKERS))
    return processes, max(1, cores // processes)


def _unread(library: Library, store: TextStore, root_ids: list[int] | None
            ) -> Iterator[tuple[int, Path, str]]:
    """The photos whose content has no reading, one per content, by id."""
    after = 0
    seen: set[str] = set()
    while True:
        rows = library.hashed_photos(after, CHUNK, root_ids)
        if not rows:
            return
        after = rows[-1][0]
        known = store.known([h for _, _, h in rows])
        for file_id, path, digest in rows:
            if digest not in known and digest not in seen:
                seen.add(digest)
                yield file_id, path, digest


def read_text(library: Library, store: TextStore, *, root_ids: list[int] | None = None,
              workers: int = 0, max_pixels: int | None = None, file_timeout_s: float = 120.0,
              token: CancelToken | None = None, progress: ProgressCallback = no_progress,
              target: WorkerTarget | None = None) -> TextReport:
    """Read the text of the photos of ``root_ids`` (None: every root) that have no reading
    (``target``: the worker process's function, for tests)."""
    from clipdesk.core.ocr.worker import ocr_worker_main
    from clipdesk.core.pipeline.pool import DecodePool
    from clipdesk.core.pipeline.worker import FileTask, WorkerConfig

    token = token or CancelToken()
    report = TextReport()
    total = sum(1 for _ in _unread(library, store, root_ids))
    if total:
        require_ocr()
        processes, threads = worker_split(workers)
        config = WorkerConfig(spec=None, min_side=MAX_SIDE * 3 // 4, max_pixels=max_pixels,
                              thumbnails=None, threads=threads)
        hashes: dict[int, str] = {}
        given = _Given()

        def tasks() -> Iterator[FileTask]:
            for n, (_, path, digest) in enumerate(_unread(library, store, root_ids)):
                hashes[n] = digest
                given.count += 1
                yield FileTask(n, str(path), stored_hash=digest)
            given.all = True

        started = time.monotonic()
        progress(Progress(Stage.READING, 0, total))
        pending: list[tuple[str, Reading]] = []
        last_commit = time.monotonic()
        done = 0
        pool = DecodePool(config, tasks(), workers=min(processes, total), slots=processes * 2,
                          file_timeout_s=file_timeout_s, target=target or ocr_worker_main)
        try:
            pool.start()
            while not (given.all and done >= given.count):
                token.check()
                try:
                    result = pool.get(timeout=0.25)
                except queue.Empty:
                    continue
                pool.release(result.slot)
                done += 1
                reading = _reading(result, report)
                if reading is not None and result.task is not None:
                    pending.append((hashes.pop(result.task.task_id), reading))
                if len(pending) >= COMMIT_EVERY or time.monotonic() - last_commit > COMMIT_S:
                    store.put(pending, READER)
                    pending, last_commit = [], time.monotonic()
                    total = max(total, given.count)
                    rate = done / max(time.monotonic() - started, 1e-6)
                    progress(Progress(Stage.READING, done, total, rate=rate,
                                      eta_s=max(total - done, 0) / rate,
                                      current=str(result.task.path if result.task else "")))
        except Cancelled:
            report.cancelled = True
            log.info("reading text cancelled after %d photos", done)
        finally:
            pool.close()
            store.put(pending, READER)  # what was read is kept, also on a cancel or a failure
        progress(Progress(Stage.READING, done, max(total, done)))
        if report.cancelled:
            return report
    report.forgotten = forget_gone(library, store)
    return report


@dataclass
class _Given:
    """How many photos the task source has handed to the pool, and whether that was all."""

    count: int = 0
    all: bool = False


def _reading(result: FileResult, report: TextReport) -> Reading | None:
    """The reading to store for ``result`` (None: the photo changed; leave it)."""
    path = Path(result.task.path) if result.task is not None else Path()
    if result.vanished:
        report.changed += 1
        return None
    if result.reason is not None or not isinstance(result.reading, Reading):
        why = result.reason or "no text reading came back"
        log.info("could not read the text of %s: %s", path, why)
        report.failed += 1
        report.errors.append((path, why))
        return Reading(ReadState.FAILED, reason=why)
    report.read += 1
    if result.reading.state is ReadState.TEXT:
        report.with_text += 1
    return result.reading


def forget_gone(library: Library, store: TextStore) -> int:
    """Drop the readings of contents no file of the library has any more (edited, purged)."""
    gone: list[str] = []
    after = ""
    while True:
        part = store.hashes(after)
        if not part:
            break
        after = part[-1]
        have = library.known_hashes(part)
        gone += [h for h in part if h not in have]
    return store.forget(gone) if gone else 0
