"""Names that are not UTF-8, in the window: shown with their bytes, handed on exactly."""

from __future__ import annotations

import os
import urllib.parse
from pathlib import Path

import pytest

from clipdesk.gui.names import file_name, file_url, shown


def test_shown_keeps_the_odd_bytes_visible() -> None:
    name = os.fsdecode(b"000\xffbad.jpg")
    assert shown(name) == "000\\xffbad.jpg"
    assert file_name(Path("/photos") / name) == "000\\xffbad.jpg"
    assert shown("/photos/海边.jpg") == "/photos/海边.jpg"


@pytest.mark.skipif(os.name != "posix", reason="POSIX names are bytes")
def test_file_url_carries_the_exact_bytes(qapp: object) -> None:
    odd = Path(os.fsdecode(b"/photos/\xe9t\xe9/000\xffbad.jpg"))
    url = file_url(odd)
    encoded = bytes(url.toEncoded().data())
    assert encoded == b"file:///photos/%E9t%E9/000%FFbad.jpg"
    assert urllib.parse.unquote_to_bytes(encoded[len(b"file://"):]) == os.fsencode(odd)
    plain = file_url(Path("/photos/海边 1.jpg"))
    assert plain.toLocalFile() == "/photos/海边 1.jpg"
