"""Decode worker targets for tests: the real worker with a spy or a fault injected.

They run in the spawned worker processes (importable by name, as spawn needs), so monkeypatching
in the test process cannot reach them. Each records what it does, one JSON line per event, to the
file named by ``$CLIPDESK_TEST_WORKER_LOG`` (inherited by spawned processes), and reacts to file
names:

- ``*segfault*``: the process dies of SIGSEGV on that file (a crashing decoder);
- ``*hang*``: the file takes forever to decode;
- ``*vanish*``: the file is deleted just before the worker opens it;
- ``*slow*``: the file takes ``$CLIPDESK_TEST_SLOW_S`` seconds (default half a second);
- ``$CLIPDESK_TEST_WORKER_DIE=1``: the worker dies before it is ready (a broken install);
- ``$CLIPDESK_TEST_DISK_FULL=1``: storing a thumbnail fails with ENOSPC;
- a huge decode's turn is recorded (``turn-in``/``turn-out`` with the monotonic time) and held
  ``$CLIPDESK_TEST_TURN_S`` seconds; a file named ``*crash-in-turn*`` dies during its turn.
"""

from __future__ import annotations

import contextlib
import ctypes
import json
import os
import time
from collections.abc import Iterator
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from clipdesk.core.pipeline import worker
from clipdesk.core.pipeline.worker import FileResult, FileTask, WorkerConfig

LOG_ENV = "CLIPDESK_TEST_WORKER_LOG"
DIE_ENV = "CLIPDESK_TEST_WORKER_DIE"
DISK_FULL_ENV = "CLIPDESK_TEST_DISK_FULL"
SLOW_ENV = "CLIPDESK_TEST_SLOW_S"
TURN_ENV = "CLIPDESK_TEST_TURN_S"


def record(event: str, value: Any) -> None:
    path = os.environ.get(LOG_ENV)
    if path:
        with open(path, "a", encoding="utf-8") as out:
            out.write(json.dumps([event, value]) + "\n")


def events(path: Path) -> list[tuple[str, Any]]:
    if not path.exists():
        return []
    lines = path.read_text(encoding="utf-8").splitlines()
    return [(e, v) for e, v in (json.loads(line) for line in lines if line.strip())]


def spying_worker(conn: Connection, config: WorkerConfig) -> None:
    """The real worker, recording its pid, each file it opens and each decode's arguments."""
    record("pid", os.getpid())
    real_process = worker.process_file
    real_load = worker.load_image_file

    def process(task: FileTask, ctx: Any) -> FileResult:
        record("open", task.path)
        return real_process(task, ctx)

    def load(source: Any, **kwargs: Any) -> Any:
        budget = kwargs.get("budget")
        record("decode", {"path": getattr(source, "name", str(source)),
                          "max_bytes": getattr(budget, "max_bytes", None),
                          **{k: v for k, v in kwargs.items() if k != "budget"}})
        return real_load(source, **kwargs)

    worker.process_file = process  # type: ignore[assignment]
    worker.load_image_file = load  # type: ignore[assignment]
    worker.worker_main(conn, config)


def faulty_worker(conn: Connection, config: WorkerConfig) -> None:
    """The spying worker, plus the faults its file names ask for (see the module docstring)."""
    record("pid", os.getpid())
    if os.environ.get(DIE_ENV) == "1":
        os._exit(3)
    if os.environ.get(DISK_FULL_ENV) == "1":
        import errno

        from clipdesk.core.thumbnails import ThumbnailCache

        def full(self: ThumbnailCache, key: str, data: bytes) -> Path:
            raise OSError(errno.ENOSPC, "No space left on device")

        ThumbnailCache.put_bytes = full  # type: ignore[method-assign]
    real_process = worker.process_file
    real_turn = worker.WorkerContext.huge_turn
    current = {"name": ""}

    @contextlib.contextmanager
    def turn(self: Any) -> Iterator[None]:
        with real_turn(self):
            record("turn-in", [os.getpid(), time.monotonic()])
            if "crash-in-turn" in current["name"]:
                ctypes.string_at(0)
            time.sleep(float(os.environ.get(TURN_ENV, "0")))
            try:
                yield
            finally:
                record("turn-out", [os.getpid(), time.monotonic()])

    worker.WorkerContext.huge_turn = turn  # type: ignore[method-assign]

    def process(task: FileTask, ctx: Any) -> FileResult:
        name = os.path.basename(task.path)
        current["name"] = name
        record("open", task.path)
        if "segfault" in name:
            ctypes.string_at(0)  # SIGSEGV, as a crashing C decoder would
        if "hang" in name:
            time.sleep(3600)
        if "slow" in name:
            time.sleep(float(os.environ.get(SLOW_ENV, "0.5")))
        if "vanish" in name:
            Path(task.path).unlink(missing_ok=True)
        return real_process(task, ctx)

    worker.process_file = process  # type: ignore[assignment]
    worker.worker_main(conn, config)


def faulty_ocr_worker(conn: Connection, config: WorkerConfig) -> None:
    """The real OCR worker, dying of SIGSEGV on ``*segfault*`` and hanging on ``*hang*``."""
    from clipdesk.core.ocr import worker as ocr_worker

    real_read = ocr_worker.read_file

    def read(task: FileTask, ctx: Any, reader: Any) -> FileResult:
        name = os.path.basename(task.path)
        record("open", task.path)
        if "segfault" in name:
            ctypes.string_at(0)
        if "hang" in name:
            time.sleep(3600)
        return real_read(task, ctx, reader)

    ocr_worker.read_file = read  # type: ignore[assignment]
    ocr_worker.ocr_worker_main(conn, config)
