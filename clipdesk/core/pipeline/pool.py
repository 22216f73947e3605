"""A pool of decode worker processes feeding pixel slots in shared memory.

The parent hands each worker at most ``in_flight`` :class:`FileTask`s over its own pipe (so it
always knows which files a worker holds) and gives every task a *slot*: one picture's worth of
model pixels in a block of shared memory. A slot stays taken until the consumer has used the
result and called :meth:`DecodePool.release`, so memory is bounded in bytes (slots x pixels)
however fast the workers are or however big the photos are (a worker decodes one photo at a time,
at draft size).

One collector thread talks to the workers: it dispatches tasks, receives results (in completion
order) and watches the processes:

- a worker that dies (a decoder's segfault, the out-of-memory killer) costs the file it was
  working on, which gets a skip reason; its other tasks go to the others and a new worker starts;
- a worker stuck on one file longer than ``file_timeout_s`` is killed, likewise;
- a picture that needs more than ``config.huge_bytes`` of memory to decode (a 200 MP PNG) waits
  for its turn: one such decode at a time in the whole pool, so memory stays bounded; a worker
  that dies during its turn passes it on;
- a worker that cannot even start, three times in a row, fails the pool with a
  :class:`~clipdesk.core.errors.PipelineError` instead of blaming files;
- :meth:`DecodePool.close` stops every worker (asks, then terminates, then kills) and frees the
  shared memory. Workers also end by themselves when the parent process disappears.

Processes are started with ``spawn`` (never ``fork``: the parent may run Qt and torch threads).
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import os
import queue
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from multiprocessing.connection import Connection, wait
from typing import Any

import numpy as np

from clipdesk.core.errors import PipelineError
from clipdesk.core.pipeline.processes import (
    JOIN_S,
    exit_text,
    shared_memory_block,
    stop_process,
)
from clipdesk.core.pipeline.worker import FileResult, FileTask, WorkerConfig, worker_main

log = logging.getLogger(__name__)

START_FAILURES = 3  # workers dying before they are ready, in a row, fail the pool
_POLL_S = 0.25

WorkerTarget = Callable[[Connection, WorkerConfig], None]


@dataclass(eq=False)  # identity: workers are kept in lists and sets
class _Worker:
    process: Any  # multiprocessing.Process (spawn context)
    conn: Connection
    ready: bool = False
    tasks: deque[FileTask] = field(default_factory=deque)
    head_since: float = 0.0  # when the worker started on its first task


class DecodePool:
    """``workers`` processes running ``target`` (normally :func:`worker_main`) over tasks."""

    def __init__(
        self,
        config: WorkerConfig,
        tasks: Iterator[FileTask],
        *,
        workers: int,
        slots: int,
        in_flight: int = 2,
        file_timeout_s: float = 300.0,
        target: WorkerTarget = worker_main,
    ) -> None:
        self._size = max(1, int(workers))
        self._in_flight = max(1, int(in_flight))
        self._timeout = float(file_timeout_s)
        self._target = target
        self._source = tasks
        self._source_done = False
        self._retries: deque[FileTask] = deque()
        self._ctx = multiprocessing.get_context("spawn")
        slots = max(int(slots), self._size * self._in_flight)
        self._shm: Any = None
        self._slots: np.ndarray | None = None
        spec = config.spec
        if spec is not None:
            self._shm = shared_memory_block(slots * spec.nbytes)
            if self._shm is not None:
                self._slots = np.ndarray((slots, *spec.shape), dtype=np.uint8,
                                         buffer=self._shm.buf)
        self.config = replace(config, shm_name=self._shm.name if self._shm else None,
                              slot_count=slots, parent_pid=os.getpid())
        self.slot_count = slots
        self._free: deque[int] = deque(range(slots))
        self._taken: set[int] = set()  # slots held by a task or by an unreleased result
        self._lock = threading.Lock()
        self._out: queue.Queue[FileResult | BaseException] = queue.Queue()
        self._workers: list[_Worker] = []
        self._start_failures = 0
        self._huge_holder: _Worker | None = None  # the one worker decoding a huge picture
        self._huge_queue: deque[_Worker] = deque()  # workers waiting for that turn
        self._stopping = threading.Event()
        self._wake_r, self._wake_w = self._ctx.Pipe(duplex=False)
        self._woken = False
        self._thread: threading.Thread | None = None
        self._closed = False
        self.pids_seen: list[int] = []  # every worker process started (for tests and logs)

    # -- consumer side -----------------------------------------------------------------------

    def start(self) -> DecodePool:
        for _ in range(self._size):
            self._spawn()
        self._thread = threading.Thread(target=self._run, name="clipdesk-decode-pool",
                                        daemon=True)
        self._thread.start()
        return self

    def get(self, timeout: float | None = None) -> FileResult:
        """The next finished file, in completion order. Raises :class:`PipelineError` when the
        pool has failed, ``queue.Empty`` after ``timeout``."""
        item = self._out.get(timeout=timeout)
        if isinstance(item, BaseException):
            self._out.put(item)  # every later call fails the same way
            raise item
        return item

    @property
    def shared(self) -> bool:
        """Whether pixels come through shared memory (else inline, through the pipes)."""
        return self._slots is not None

    def pixels(self, slot: int) -> np.ndarray:
        """The model pixels a worker wrote into ``slot`` (a view: copy before releasing)."""
        if self._slots is None:
            raise RuntimeError("this pool has no pixel slots")
        view: np.ndarray = self._slots[slot]
        return view

    def release(self, *slots: int | None) -> None:
        """The consumer is done with these results: their slots can take the next files."""
        given = [s for s in slots if s is not None]
        if not given:
            return
        with self._lock:
            for slot in given:
                if slot not in self._taken:  # twice would let two files share one slot
                    raise RuntimeError(f"slot {slot} released twice")
                self._taken.discard(slot)
                self._free.append(slot)
        self._wake()

    def retry(self, task: FileTask) -> None:
        """Decode ``task`` again, on the CPU (the GPU decoder refused it)."""
        with self._lock:
            self._retries.append(replace(task, slot=None, cpu_only=True))
        self._wake()

    def close(self) -> None:
        """Stop the workers and free the shared memory (idempotent)."""
        if self._closed:
            return
        self._closed = True
        self._stopping.set()
        self._wake()
        if self._thread is not None:
            self._thread.join()
        for worker in self._workers:
            with contextlib.suppress(OSError, ValueError):
                worker.conn.send(None)
        deadline = time.monotonic() + JOIN_S
        while time.monotonic() < deadline and any(w.process.is_alive() for w in self._workers):
            for worker in self._workers:  # take what they still send, so none blocks on it
                with contextlib.suppress(EOFError, OSError):
                    while worker.conn.poll():
                        worker.conn.recv()
            wait([w.process.sentinel for w in self._workers if w.process.is_alive()],
                 timeout=0.05)
        for worker in self._workers:
            stop_process(worker.process)
            worker.conn.close()
        self._workers.clear()
        self._wake_r.close()
        self._wake_w.close()
        self._slots = None
        if self._shm is not None:
            with contextlib.suppress(Exception):
                self._shm.close()
            with contextlib.suppress(Exception):
                self._shm.unlink()
            self._shm = None

    def __enter__(self) -> DecodePool:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()

    def live_pids(self) -> list[int]:
        return [w.process.pid for w in self._workers if w.process.is_alive()]

    # -- the collector thread --------------------------------------------------------------

    def _wake(self) -> None:
        with self._lock:
            if self._woken:
                return
            self._woken = True
        with contextlib.suppress(OSError, ValueError):
            self._wake_w.send_bytes(b"!")

    def _run(self) -> None:
        try:
            while not self._stopping.is_set():
                self._dispatch()
                self._poll()
                self._check_timeouts()
        except PipelineError as exc:
            self._out.put(exc)
        except BaseException as exc:  # a bug here must not leave the consumer waiting
            log.exception("the decode pool failed")
            self._out.put(PipelineError(f"The decode workers failed: {exc}"))

    def _spawn(self) -> None:
        parent, child = self._ctx.Pipe(duplex=True)
        process = self._ctx.Process(target=self._target, args=(child, self.config),
                                    name="clipdesk-decode", daemon=True)
        process.start()
        child.close()
        self.pids_seen.append(int(process.pid or 0))
        self._workers.append(_Worker(process, parent))

    def _next_task(self) -> FileTask | None:
        with self._lock:
            if not self._free:
                return None
            if self._retries:
                task = self._retries.popleft()
            elif self._source_done:
                return None
            else:
                following = next(self._source, None)
                if following is None:
                    self._source_done = True
                    return None
                task = following
            slot = self._free.popleft()
            self._taken.add(slot)
            return replace(task, slot=slot)

    def _dispatch(self) -> None:
        while True:
            ready = [w for w in self._workers if w.ready and len(w.tasks) < self._in_flight]
            if not ready:
                return
            task = self._next_task()
            if task is None:
                return
            worker = min(ready, key=lambda w: len(w.tasks))
            if not worker.tasks:
                worker.head_since = time.monotonic()
            worker.tasks.append(task)
            with contextlib.suppress(OSError, ValueError):  # it died: _poll sees the sentinel
                worker.conn.send(task)

    def _poll(self) -> None:
        conns: dict[Any, _Worker] = {w.conn: w for w in self._workers}
        sentinels: dict[Any, _Worker] = {w.process.sentinel: w for w in self._workers}
        ready = wait([self._wake_r, *conns, *sentinels], timeout=_POLL_S)
        if self._wake_r in ready:
            with self._lock:
                self._woken = False
            while self._wake_r.poll():
                self._wake_r.recv_bytes()
        dead: list[_Worker] = []
        for item in ready:
            worker = conns.get(item)
            if worker is not None and not self._receive(worker):
                dead.append(worker)
            worker = sentinels.get(item)
            if worker is not None:
                dead.append(worker)
        for worker in dict.fromkeys(dead):
            self._drain(worker)
            self._replace(worker, None)

    def _receive(self, worker: _Worker) -> bool:
        """Take every message waiting on ``worker``'s pipe; False when the pipe is closed."""
        try:
            while worker.conn.poll():
                message = worker.conn.recv()
                if isinstance(message, FileResult):
                    self._deliver(worker, message)
                elif message[:1] == ("ready",):
                    worker.ready = True
                    self._start_failures = 0
                elif message[:1] == ("huge",):
                    self._huge_queue.append(worker)
                    self._grant_huge()
                elif message[:1] == ("huge-done",) and self._huge_holder is worker:
                    self._huge_holder = None
                    self._grant_huge()
        except (EOFError, OSError):
            return False
        return True

    def _drain(self, worker: _Worker) -> None:
        """Results a dying worker sent before it died still count."""
        with contextlib.suppress(EOFError, OSError):
            while worker.conn.poll(0):
                message = worker.conn.recv()
                if isinstance(message, FileResult):
                    self._deliver(worker, message)

    def _grant_huge(self) -> None:
        """Let the next waiting worker decode its huge picture, when no other one does."""
        while self._huge_holder is None and self._huge_queue:
            worker = self._huge_queue.popleft()
            if worker not in self._workers:
                continue
            try:
                worker.conn.send(("go",))
            except (OSError, ValueError):  # it died: _poll replaces it
                continue
            self._huge_holder = worker

    def _deliver(self, worker: _Worker, result: FileResult) -> None:
        task = worker.tasks.popleft() if worker.tasks else None
        if task is None or task.task_id != result.task_id:  # never: pipes keep order
            raise PipelineError("a decode worker answered out of turn")
        worker.head_since = time.monotonic()
        result.slot = task.slot
        result.task = task
        self._out.put(result)

    def _check_timeouts(self) -> None:
        now = time.monotonic()
        for worker in list(self._workers):
            if worker.tasks and now - worker.head_since > self._timeout:
                log.warning("decoding %s took over %.0f s; stopping its worker",
                            worker.tasks[0].path, self._timeout)
                stop_process(worker.process, kill=True)
                self._drain(worker)
                self._replace(worker, f"decoding took longer than {self._timeout:.0f} s")

    def _replace(self, worker: _Worker, reason: str | None) -> None:
        """``worker`` is gone: blame its current file, requeue the rest, start another."""
        if worker not in self._workers:
            return
        worker.process.join(JOIN_S)
        self._workers.remove(worker)
        worker.conn.close()
        if self._huge_holder is worker:  # it died during its huge decode: the next one's turn
            self._huge_holder = None
        self._grant_huge()
        if worker.tasks:
            culprit = worker.tasks.popleft()
            ended = exit_text(worker.process.exitcode)
            why = reason or f"the image decoder crashed on this file ({ended})"
            log.warning("skipping %s: %s", culprit.path, why)
            self._out.put(_failed(culprit, why))
            with self._lock:
                for task in reversed(worker.tasks):
                    if task.slot is not None:
                        self._taken.discard(task.slot)
                        self._free.append(task.slot)
                    self._retries.appendleft(replace(task, slot=None))
        elif not worker.ready:
            self._start_failures += 1
            log.warning("a decode worker could not start (%s)", exit_text(worker.process.exitcode))
            if self._start_failures >= START_FAILURES:
                raise PipelineError(
                    "The decode worker processes could not start "
                    f"({exit_text(worker.process.exitcode)}); see the log for details.")
        if not self._stopping.is_set():
            self._spawn()


def _failed(task: FileTask, reason: str) -> FileResult:
    result = FileResult(task.task_id, reason=reason)
    try:
        st = os.stat(task.path)
        result.size, result.mtime_ns = st.st_size, st.st_mtime_ns
    except FileNotFoundError:
        result.reason, result.vanished = None, True
    except OSError:
        pass
    result.slot = task.slot
    result.task = task
    return result
