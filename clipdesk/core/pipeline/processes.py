"""Process and shared-memory helpers of the decode pool (standard library only)."""

from __future__ import annotations

import contextlib
import logging
import os
import signal
from typing import Any

log = logging.getLogger(__name__)

MAX_AUTO_WORKERS = 32  # beyond this, more processes cost memory and buy nothing
JOIN_S = 2.0  # how long a process is given to end, at each step of stopping it


def default_workers() -> int:
    """One decode worker per CPU core this process may use (at most ``MAX_AUTO_WORKERS``)."""
    try:
        cores = len(os.sched_getaffinity(0))  # type: ignore[attr-defined,unused-ignore]
    except (AttributeError, OSError):
        cores = os.cpu_count() or 1
    return max(1, min(MAX_AUTO_WORKERS, cores))


def shared_memory_block(size: int) -> Any:
    """A block of shared memory of ``size`` bytes whose pages are really there, or None.

    A small ``/dev/shm`` (64 MB in a default Docker container) would let the block be created
    and then kill a worker with SIGBUS on the first page beyond it, which would look like a
    decoder crashing on every later file; reserving the pages up front turns that into a clean
    fallback (pixels sent through the pipes)."""
    from multiprocessing import shared_memory

    try:
        block = shared_memory.SharedMemory(create=True, size=size)
    except OSError as exc:
        log.warning("no shared memory for the decode workers (%s); sending pixels through "
                    "pipes", exc)
        return None
    fd = getattr(block, "_fd", -1)
    if fd >= 0 and hasattr(os, "posix_fallocate"):
        try:
            os.posix_fallocate(fd, 0, size)
        except OSError as exc:
            log.warning("%d MB of shared memory are not available (%s); sending pixels "
                        "through pipes", size >> 20, exc)
            block.close()
            block.unlink()
            return None
    return block


def exit_text(code: int | None) -> str:
    """How a process ended, in words: "signal 11, SIGSEGV", "exit code 3"."""
    if code is None:
        return "no exit status"
    if code < 0:
        try:
            return f"signal {-code}, {signal.Signals(-code).name}"
        except ValueError:
            return f"signal {-code}"
    return f"exit code {code}"


def stop_process(process: Any, *, kill: bool = False) -> None:
    """Make sure ``process`` has ended: terminate, then kill, waiting briefly for each."""
    if not process.is_alive():
        process.join(0)
        return
    with contextlib.suppress(Exception):
        process.kill() if kill else process.terminate()
    process.join(JOIN_S)
    if process.is_alive():
        with contextlib.suppress(Exception):
            process.kill()
        process.join(JOIN_S)
