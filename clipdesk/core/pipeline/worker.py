"""One decode worker process: a file in, its metadata, thumbnail and model pixels out.

For every :class:`FileTask` the worker reads and hashes the file; unless the bytes are the ones
already embedded, it decodes the picture once at the size both the model and the thumbnail need
(JPEG by DCT scaling), turns it upright and to 8-bit RGB, makes and stores the thumbnail, and runs
the model's geometric preprocessing (:mod:`.geometry`), writing the uint8 pixels straight into its
shared memory slot. The thumbnail is stored before the file's row is committed (thumbnails are
named by content, so one of a file that is never committed is simply found by the next run); a
thumbnail that cannot be written (a full disk) is reported, and the run stops before that batch.
Plain JPEGs can instead be left to the GPU's decoder: the worker then only reads the header
(:mod:`.jpeg`). Nothing is ever raised for a bad file: the result carries the reason.

The module imports Pillow and the standard library only (not even numpy; never torch, faiss or Qt),
so a worker is ready a tenth of a second after ``spawn`` starts it. A worker ends when the parent
says so, when its pipe closes, or when the parent process is gone (a watchdog thread), so a killed
app leaves no workers behind. """

from __future__ import annotations

import contextlib
import logging
import os
import signal
import stat
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from multiprocessing.connection import Connection
from typing import Any, BinaryIO

from clipdesk.core.hashing import sha256_stream
from clipdesk.core.imaging import (
    HUGE_DECODE_BYTES,
    DecodeBudget,
    ImageDecodeError,
    load_image_file,
    set_pillow_pixel_limit,
)
from clipdesk.core.pipeline import geometry, jpeg
from clipdesk.core.pipeline.geometry import PixelSpec
from clipdesk.core.thumbnails import ThumbnailCache

log = logging.getLogger(__name__)

_WATCHDOG_S = 0.5


@dataclass(frozen=True)
class ThumbnailSpec:
    """How to make thumbnails (a :class:`ThumbnailCache`'s settings, picklable)."""

    folder: str  # the cache's base folder (the size is added by the cache)
    size: int
    format: str
    quality: int

    @classmethod
    def of(cls, cache: ThumbnailCache) -> ThumbnailSpec:
        return cls(str(cache.folder.parent), cache.size, cache.format, cache.quality)

    def cache(self) -> ThumbnailCache:
        return ThumbnailCache(self.folder, self.size, fmt=self.format, quality=self.quality)


@dataclass(frozen=True)
class WorkerConfig:
    """Everything a worker needs, sent once when it starts."""

    spec: PixelSpec | None  # None: send the decoded picture itself (encoders without pixels)
    min_side: int  # decode no smaller than this (model and thumbnail)
    max_pixels: int | None
    thumbnails: ThumbnailSpec | None
    gpu_jpeg: bool = False  # leave plain JPEGs to the GPU decoder
    shm_name: str | None = None  # the shared memory holding the pixel slots
    slot_count: int = 0
    parent_pid: int = 0
    nice: int = 5  # a little below the app, so the window and the encoder stay responsive
    max_decode_bytes: int | None = None  # a picture needing more memory is skipped (None: any)
    huge_bytes: int = HUGE_DECODE_BYTES  # above this, a decode waits for the pool's turn
    threads: int = 1  # compute threads per worker (the OCR workers' ONNX Runtime)


@dataclass(frozen=True)
class FileTask:
    """One file to read. ``slot`` is where its pixels go (None in picture mode)."""

    task_id: int
    path: str
    stored_hash: str | None = None
    has_vector: bool = False  # the model already has a vector for ``stored_hash``
    slot: int | None = None
    cpu_only: bool = False  # the GPU decoder refused it: decode here


@dataclass
class FileResult:
    """What a worker learnt about one file."""

    task_id: int
    size: int = 0
    mtime_ns: int = 0
    content_hash: str | None = None
    width: int | None = None
    height: int | None = None
    taken_at: datetime | None = None
    thumbnail: bytes | None = None  # a thumbnail still to be stored (GPU-decoded files)
    store_error: tuple[int, str] | None = None  # (errno, message): the thumbnail was not stored
    reason: str | None = None  # why it is skipped
    identical: bool = False  # same bytes as stored and already embedded: nothing to compute
    vanished: bool = False  # gone since the scan: left to the next run
    pixels: bool = False  # the model's pixels are in the task's slot
    pixel_bytes: bytes | None = None  # or here, when there is no shared memory
    image: Any = None  # picture mode: the decoded PIL picture
    gpu: jpeg.JpegProbe | None = None  # to be decoded by the GPU (header facts)
    reading: Any = None  # an OCR worker's answer (a clipdesk.core.ocr.store.Reading)
    slot: int | None = None  # set by the pool: the task's slot, held until released
    task: FileTask | None = None  # set by the pool: the task this answers

    @property
    def needs_model(self) -> bool:
        return (self.pixels or self.pixel_bytes is not None or self.image is not None
                or self.gpu is not None)


class StopWorker(BaseException):  # not an Exception: no decode error handler may keep it
    """The parent asked the worker to stop while it waited for its turn."""


class WorkerContext:
    """A worker's per-process state: the slots and the thumbnail cache."""

    def __init__(self, config: WorkerConfig, conn: Connection | None = None) -> None:
        self.config = config
        self.thumbnails = config.thumbnails.cache() if config.thumbnails else None
        self.conn = conn
        self.backlog: deque[FileTask | None] = deque()  # tasks that came while waiting a turn
        self.task_id = 0  # the task being worked on
        self._shm: Any = None
        self.slots: memoryview | None = None
        if config.shm_name and config.spec is not None:
            from multiprocessing import shared_memory

            self._shm = shared_memory.SharedMemory(name=config.shm_name)
            self.slots = self._shm.buf

    def budget(self) -> DecodeBudget:
        """The decode memory budget; huge decodes take turns through the parent."""
        gate = self.huge_turn if self.conn is not None else None
        return DecodeBudget(self.config.max_decode_bytes, self.config.huge_bytes, gate)

    @contextlib.contextmanager
    def huge_turn(self) -> Iterator[None]:
        """Wait for the parent's go-ahead for a huge decode (one at a time in the pool), keeping
        tasks that arrive meanwhile; tell the parent when it is done."""
        assert self.conn is not None
        self.conn.send(("huge", self.task_id))
        while True:
            message = self.conn.recv()
            if message == ("go",):
                break
            if message is None:
                raise StopWorker()
            self.backlog.append(message)
        try:
            yield
        finally:
            self.conn.send(("huge-done", self.task_id))

    def next_task(self) -> FileTask | None:
        if self.backlog:
            return self.backlog.popleft()
        assert self.conn is not None
        task: FileTask | None = self.conn.recv()
        return task

    def put_pixels(self, slot: int, data: bytes) -> None:
        """Write one picture's pixels into ``slot`` of the shared memory."""
        assert self.slots is not None and self.config.spec is not None
        size = self.config.spec.nbytes
        if len(data) != size:
            raise ValueError(f"{len(data)} bytes of pixels, not {size}")
        self.slots[slot * size:(slot + 1) * size] = data

    def close(self) -> None:
        if self.slots is not None:
            self.slots.release()
            self.slots = None
        if self._shm is not None:
            with contextlib.suppress(Exception):
                self._shm.close()


def read_failure(out: FileResult, exc: Exception) -> FileResult:
    """``out`` saying why reading or decoding its file failed with ``exc``: a file gone since
    the scan is left to the next run (``vanished``), anything else is that file's skip reason."""
    if isinstance(exc, FileNotFoundError):
        out.vanished = True
    elif isinstance(exc, ImageDecodeError):
        out.reason = exc.reason
    elif isinstance(exc, OSError):
        out.reason = f"unreadable: {(exc.strerror or str(exc)).lower()}"
    else:
        out.reason = f"cannot decode file ({type(exc).__name__}: {exc})"[:200]
    return out


@contextlib.contextmanager
def opened_file(path: str, out: FileResult) -> Iterator[BinaryIO | None]:
    """``path`` opened for reading without blocking (a FIFO never hangs a worker), with its
    size, modification time and content hash put in ``out``; ``None`` (and ``out.reason``)
    when it is not a regular file. Errors are raised for :func:`read_failure`."""
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
    with os.fdopen(fd, "rb") as fp:
        st = os.fstat(fp.fileno())
        if not stat.S_ISREG(st.st_mode):
            out.reason = "unreadable: not a regular file"
            yield None
            return
        out.size, out.mtime_ns = st.st_size, st.st_mtime_ns
        out.content_hash = sha256_stream(fp)
        yield fp


def process_file(task: FileTask, ctx: WorkerContext) -> FileResult:
    """Read, hash and decode one file. Never raises for a bad file: the reason is recorded."""
    out = FileResult(task.task_id)
    config = ctx.config
    try:
        with opened_file(task.path, out) as fp:
            if fp is None:
                return out
            if task.has_vector and out.content_hash == task.stored_hash:
                out.identical = True
                return out
            if out.size == 0:
                out.reason = "empty file"
                return out
            if config.gpu_jpeg and not task.cpu_only:
                probe = jpeg.probe(fp, out.size, config.max_pixels)
                if probe is not None:
                    out.gpu = probe
                    out.width, out.height, out.taken_at = probe.width, probe.height, probe.taken_at
                    return out
            fp.seek(0)
            ctx.task_id = task.task_id
            loaded = load_image_file(fp, min_side=config.min_side, max_pixels=config.max_pixels,
                                     budget=ctx.budget())
    except StopWorker:
        raise
    except Exception as exc:  # anything from one file is that file's problem
        return read_failure(out, exc)
    out.width, out.height, out.taken_at = loaded.width, loaded.height, loaded.taken_at
    cache = ctx.thumbnails
    if cache is not None and out.content_hash and out.content_hash not in cache:
        try:
            data = cache.encode(loaded.image)
        except Exception as exc:
            out.reason = f"cannot make a thumbnail ({type(exc).__name__}: {exc})"[:200]
            return out
        try:
            cache.put_bytes(out.content_hash, data)
        except OSError as exc:  # the data folder's problem, not this file's: the run stops
            out.store_error = (exc.errno or 0, exc.strerror or str(exc))
            return out
    try:
        if config.spec is None:
            out.image = loaded.image
        else:
            pixels = geometry.apply_image(loaded.image, config.spec).tobytes()
            if ctx.slots is not None and task.slot is not None:
                ctx.put_pixels(task.slot, pixels)
                out.pixels = True
            else:
                out.pixel_bytes = pixels  # no shared memory: through the pipe
    except Exception as exc:
        out.image, out.pixels, out.pixel_bytes = None, False, None
        out.reason = f"cannot prepare the picture ({type(exc).__name__}: {exc})"[:200]
    return out


# -- the process ---------------------------------------------------------------------------------


def worker_main(conn: Connection, config: WorkerConfig) -> None:
    """The decode worker process: announce itself, then answer tasks until told to stop."""
    serve(conn, config, lambda ctx: lambda task: process_file(task, ctx))


Handler = Callable[[FileTask], FileResult]


def serve(conn: Connection, config: WorkerConfig,
          make_handler: Callable[[WorkerContext], Handler]) -> None:
    """A worker process's life: set up, make its handler (load what it needs), announce itself,
    answer tasks with the handler until told to stop, and end without the interpreter's
    teardown. Other kinds of workers (reading text) serve the same way."""
    set_up_worker(config)
    ctx = WorkerContext(config, conn)
    try:
        handle = make_handler(ctx)
        conn.send(("ready", os.getpid()))
        while True:
            try:
                task = ctx.next_task()
                if task is None:
                    break
                result = handle(task)
                conn.send(result)
            except (StopWorker, EOFError, OSError):
                break  # told to stop, or the parent is gone
    finally:
        ctx.close()
        conn.close()
    # Nothing is left to flush or finalise: ending here saves the interpreter's teardown,
    # which is most of the time the app waits for its workers when a job ends.
    with contextlib.suppress(Exception):
        sys.stderr.flush()
    os._exit(0)


def set_up_worker(config: WorkerConfig) -> None:
    # Ctrl+C in a terminal reaches the whole process group: the parent cancels the job and
    # stops the workers itself, so a worker must not die of it half-way through a file
    with contextlib.suppress(ValueError, OSError):
        signal.signal(signal.SIGINT, signal.SIG_IGN)
    if config.nice and hasattr(os, "nice"):
        with contextlib.suppress(OSError):
            os.nice(config.nice)
    set_pillow_pixel_limit(config.max_pixels)
    if config.parent_pid:
        threading.Thread(target=_watch_parent, args=(config.parent_pid,), daemon=True,
                         name="clipdesk-parent-watch").start()


def _watch_parent(parent_pid: int) -> None:
    """End this process as soon as its parent is gone (killed apps leave no workers)."""
    while True:
        time.sleep(_WATCHDOG_S)
        if os.getppid() != parent_pid:
            os._exit(0)
