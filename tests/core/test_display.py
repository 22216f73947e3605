"""Outside text shown safely: control characters, separators, bidi controls, non-UTF-8 bytes."""

from __future__ import annotations

import json
import logging
import os

from clipdesk.core.display import PrintableFormatter, json_text, printable


def test_ordinary_names_are_left_alone() -> None:
    for name in ("IMG_0001.jpg", "海边的日落.png", "Überfahrt – 2023.heic", "emoji 👨‍👩‍👧.jpg",
                 "C:\\Users\\me\\photo.jpg"):
        assert printable(name) == name


def test_control_characters_become_visible_escapes() -> None:
    assert printable("\x1b]0;PWNED\x07.jpg") == "\\x1b]0;PWNED\\x07.jpg"
    assert printable("a\rb\nc\td.jpg") == "a\\rb\\nc\\td.jpg"
    assert printable("del\x7f c1\x9b.jpg") == "del\\x7f c1\\x9b.jpg"
    assert printable("line\u2028sep.jpg") == "line\\u2028sep.jpg"
    assert printable("invoice\u202egpj.exe") == "invoice\\u202egpj.exe"  # right-to-left override
    shown = printable("\x1b[2J\x1b[31mred")
    assert "\x1b" not in shown and shown.isprintable()


def test_bytes_that_were_not_utf8_show_as_hex() -> None:
    name = os.fsdecode(b"000\xffbad.jpg")
    assert printable(name) == "000\\xffbad.jpg"
    assert printable(name).encode("utf-8")  # printable, encodable


def test_json_keeps_names_lossless_and_valid_utf8() -> None:
    name = os.fsdecode(b"\xff\xfe\xe6\xb5\xb7.jpg")  # two bad bytes, then a valid "海"
    text = json_text({"path": name, "ctrl": "\x1b", "zh": "海边"})
    text.encode("utf-8")  # no lone surrogate left in the output
    assert "海边" in text and "\\udcff" in text and "\\u001b" in text
    assert os.fsencode(json.loads(text)["path"]) == b"\xff\xfe\xe6\xb5\xb7.jpg"


def test_log_messages_are_printable() -> None:
    formatter = PrintableFormatter("%(levelname)s: %(message)s")
    record = logging.LogRecord("x", logging.WARNING, __file__, 1, "cannot read %s",
                               ("\x1b]0;x\x07.jpg",), None)
    assert formatter.format(record) == "WARNING: cannot read \\x1b]0;x\\x07.jpg"
