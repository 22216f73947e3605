"""File names for the window: shown readably, handed to the system exactly.

Qt strings cannot hold the bytes of a file name that is not valid UTF-8 (PySide6 silently drops
them, so ``000\\xffbad.jpg`` would be shown -- and opened -- as ``000bad.jpg``). :func:`shown`
gives the text to display (those bytes as ``\\xff``, control characters escaped), and
:func:`file_url` a ``file:`` URL that carries the exact bytes, percent-encoded, for opening,
showing in the file manager and dragging out.
"""

from __future__ import annotations

import os
import urllib.parse
from pathlib import Path

from PySide6.QtCore import QByteArray, QUrl

from clipdesk.core.display import printable


def shown(path: str | os.PathLike[str]) -> str:
    """``path`` (or a name) as text for a label, tooltip or list."""
    return printable(os.fspath(path))


def file_url(path: str | os.PathLike[str]) -> QUrl:
    """A ``file:`` URL of ``path`` that keeps every byte of its name."""
    text = os.fspath(path)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raw = os.fsencode(os.path.abspath(text))
        return QUrl.fromEncoded(QByteArray(b"file://" + urllib.parse.quote_from_bytes(raw)
                                           .encode("ascii")))
    return QUrl.fromLocalFile(text)


def file_name(path: Path) -> str:
    """The last part of ``path``, shown."""
    return shown(path.name or str(path))
