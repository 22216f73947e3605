"""What the command line shows: one-line progress, safe text, JSON, Ctrl+C handling, exit codes.

Shared by :mod:`clipdesk.cli` and :mod:`clipdesk.cli_eval`. Every human line goes through
:func:`say`, which shows control characters and bytes that were not UTF-8 in file names as
escapes (a file name cannot retitle or rewrite the terminal); :func:`json_text` writes such bytes
as ``\\udcXX`` escapes, so JSON output stays valid UTF-8 and ``os.fsencode`` gives the name back.
"""

from __future__ import annotations

import argparse
import signal
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import FrameType
from typing import TextIO

from clipdesk.core.display import json_text, printable
from clipdesk.core.jobs import CancelToken
from clipdesk.core.types import Progress, Stage

EXIT_OK, EXIT_ERROR, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130


def say(*parts: object, error: bool = False) -> None:
    """Print one human line (on stderr when ``error``), every part made printable."""
    print(printable(" ".join(str(p) for p in parts)), file=sys.stderr if error else sys.stdout)


class ProgressLine:
    """A one-line progress display on stderr: redrawn in place on a terminal, sparse otherwise."""

    def __init__(self, stream: TextIO, enabled: bool = True) -> None:
        self._stream = stream
        self._enabled = enabled
        self._tty = stream.isatty()
        self._last = 0.0
        self._width = 0

    def __call__(self, p: Progress) -> None:
        if p.stage is Stage.WAITING:  # said even with --quiet: it explains the wait
            self.close()
            who = f"another clipdesk process (pid {p.current})" if p.current else \
                "another clipdesk job"
            say(f"clipdesk-cli: {who} is writing to the library; this job starts when it is "
                f"done (Ctrl+C to stop waiting, --no-wait not to wait)", error=True)
            self._width = 0
            return
        if not self._enabled:
            return
        now = time.monotonic()
        finished = p.total and p.done >= p.total
        if not self._tty and now - self._last < 5.0 and not finished:
            return
        self._last = now
        eta = f", ETA {duration(p.eta_s)}" if p.eta_s is not None else ""
        rate = f", {p.rate:.1f}/s" if p.rate else ""
        done, total = p.done, p.total
        if p.stage is Stage.DOWNLOADING:  # bytes, shown in MB
            done, total = done // 1_000_000, total // 1_000_000
        line = f"{p.stage.value}: {done}/{total}{rate}{eta}"
        if self._tty:
            pad = max(0, self._width - len(line))
            self._stream.write("\r" + line + " " * pad)
            self._width = len(line)
        else:
            self._stream.write(line + "\n")
        self._stream.flush()

    def bytes(self, done: int, total: int) -> None:
        if total:
            self(Progress(stage=Stage.DOWNLOADING, done=done, total=total))

    def close(self) -> None:
        if self._enabled and self._tty and self._width:
            self._stream.write("\n")
            self._stream.flush()


def duration(seconds: float) -> str:
    seconds = int(seconds)
    if seconds >= 3600:
        return f"{seconds // 3600}h{seconds % 3600 // 60:02d}m"
    return f"{seconds // 60}m{seconds % 60:02d}s" if seconds >= 60 else f"{seconds}s"


@contextmanager
def cancel_on_interrupt(token: CancelToken) -> Iterator[None]:
    """The first Ctrl+C cancels ``token`` (the job stops after its batch); a second aborts."""
    previous = signal.getsignal(signal.SIGINT)

    def on_interrupt(signum: int, frame: FrameType | None) -> None:
        if token.cancelled:
            raise KeyboardInterrupt
        token.cancel()
        print(file=sys.stderr)
        say("clipdesk-cli: cancelling after this batch (Ctrl+C again to abort)", error=True)

    signal.signal(signal.SIGINT, on_interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


__all__ = ["EXIT_ERROR", "EXIT_INTERRUPTED", "EXIT_OK", "EXIT_USAGE", "ProgressLine",
           "cancel_on_interrupt", "duration", "json_text", "number", "say"]


def number(kind: type[int] | type[float], low: float | None = None,
           high: float | None = None) -> Callable[[str], float]:
    """An argparse ``type`` that accepts only ``kind`` values within [``low``, ``high``]:
    ``--top-k -1`` or ``--threshold 7`` is a usage error, never a silent empty answer."""

    def parse(text: str) -> float:
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"not {'a whole number' if kind is int else 'a number'}: {text}") from None
        if value != value or (low is not None and value < low) or (
                high is not None and value > high):
            if low is not None and high is not None:
                bounds = f"from {low:g} to {high:g}"
            elif low is not None:
                bounds = f"{low:g} or more"
            else:
                bounds = f"{high:g} or less"
            raise argparse.ArgumentTypeError(f"{text} is out of range ({bounds})")
        return value

    parse.__name__ = kind.__name__  # argparse names the type in its messages
    return parse
