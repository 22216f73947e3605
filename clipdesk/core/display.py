"""File names and other outside text made safe to show on one line of a terminal.

A file may be named ``\\x1b]0;PWNED\\x07.jpg`` (retitles the terminal), ``a\\rb.jpg`` (overwrites
the line) or ``a\\nb.jpg`` (splits a record), or carry bytes that are not UTF-8 (kept by Python as
lone surrogates, ``os.fsdecode``). :func:`printable` shows all of these as visible escapes and
leaves every other character, Chinese included, as it is. Machine-readable output (``--json``)
escapes them by its own rules and does not need this.
"""

from __future__ import annotations

import json
import logging
import re
from typing import Any

# C0 controls, DEL and C1 controls; the line and paragraph separators; and the bidirectional
# overrides and isolates, which can make a name read as another one ("Trojan source")
_ESCAPED = frozenset(
    [*range(0x00, 0x20), *range(0x7F, 0xA0), 0x2028, 0x2029, *range(0x202A, 0x202F),
     *range(0x2066, 0x206A)]
)
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}
_SURROGATE = re.compile("[\ud800-\udfff]")


def printable(text: object) -> str:
    """``text`` (or its ``str``) with control characters, separators, bidi controls and bytes
    that were not UTF-8 shown as escapes (``\\n``, ``\\x1b``, ``\\u202e``, ``\\xff``)."""
    value = str(text)
    if value.isprintable() and value.isascii():
        return value  # the common case, checked in C
    out: list[str] = []
    for ch in value:
        code = ord(ch)
        if 0xDC80 <= code <= 0xDCFF:  # a byte that was not UTF-8 (surrogateescape)
            out.append(f"\\x{code - 0xDC00:02x}")
        elif 0xD800 <= code <= 0xDFFF:  # any other lone surrogate
            out.append(f"\\u{code:04x}")
        elif code in _ESCAPED:
            out.append(_NAMED.get(ch) or (f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"))
        else:
            out.append(ch)
    return "".join(out)


def json_text(value: Any, *, indent: int | None = 2) -> str:
    """``value`` as JSON that is readable (not ASCII-escaped) and always valid UTF-8: bytes of a
    file name that were not UTF-8 are written as ``\\udcXX`` escapes, which ``json.loads`` and
    ``os.fsencode`` turn back into the name."""
    text = json.dumps(value, ensure_ascii=False, indent=indent)
    return _SURROGATE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


class PrintableFormatter(logging.Formatter):
    """A log formatter whose messages go through :func:`printable` (file names in log lines
    cannot drive the terminal); tracebacks keep their lines."""

    def formatMessage(self, record: logging.LogRecord) -> str:
        record.message = printable(record.message)
        return super().formatMessage(record)
