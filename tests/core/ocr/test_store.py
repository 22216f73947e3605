"""The store of text read in photos: readings per content, trigram search, damage, forgetting."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from clipdesk.core.ocr.match import parse_words
from clipdesk.core.ocr.store import Reading, ReadState, TextLine, TextStore

BOX = (0.1, 0.1, 0.5, 0.1, 0.5, 0.2, 0.1, 0.2)


def _text(*lines: str) -> Reading:
    return Reading(ReadState.TEXT, tuple(TextLine(t, 0.9, BOX) for t in lines))


def test_readings_round_trip_and_are_found(tmp_path: Path) -> None:
    store = TextStore(tmp_path / "text.sqlite3")
    store.put([("a", _text("增值税发票", "No. 2024")), ("b", _text("EMERGENCY EXIT")),
               ("c", Reading(ReadState.NONE)),
               ("d", Reading(ReadState.FAILED, reason="not an image file"))], "test")
    assert store.reading("a") == _text("增值税发票", "No. 2024")
    assert store.reading("c") == Reading(ReadState.NONE)
    assert store.reading("zz") is None
    assert store.failures() == {"d": "not an image file"}
    counts = store.counts()
    assert (counts.read, counts.with_text, counts.failed) == (4, 2, 1)
    assert store.find(parse_words("发票")) == [("a", 1.0)]
    assert store.find(parse_words("exit")) == [("b", 1.0)]
    assert store.find(parse_words('"emergency exit"')) == [("b", 1.0)]
    assert store.find(parse_words("no.2024")) == [("a", 1.0)]
    assert store.find(parse_words("sunset")) == []
    assert store.known(["a", "c", "x"]) == {"a", "c"}
    # a reading replaces the one before, in the search index too
    store.put([("a", _text("收据"))], "test")
    assert store.find(parse_words("发票")) == [] and store.find(parse_words("收据"))[0][0] == "a"
    assert store.forget(["a", "b", "nothing"]) == 2
    assert store.find(parse_words("exit")) == [] and store.hashes() == ["c", "d"]
    assert (tmp_path / "text.sqlite3").stat().st_mode & 0o777 == 0o600
    store.close()


def test_a_damaged_file_is_set_aside_and_started_again(tmp_path: Path) -> None:
    path = tmp_path / "text.sqlite3"
    path.write_bytes(b"this is not a database" * 100)
    store = TextStore(path)
    assert store.counts().read == 0
    store.put([("a", _text("EXIT"))], "test")
    assert store.find(parse_words("exit")) == [("a", 1.0)]
    assert [p.name.startswith("text.sqlite3.damaged-") for p in tmp_path.iterdir()].count(True) == 1
    store.close()
    with sqlite3.connect(path) as db:  # a plain SQLite file anyone can inspect
        assert db.execute("SELECT count(*) FROM readings").fetchone() == (1,)


def test_a_line_knows_when_it_holds_the_words() -> None:
    line = TextLine("Emergency EXIT", 0.9, BOX)
    assert line.matches(parse_words("exit")) and line.matches(parse_words('"emergency exit"'))
    assert not line.matches(parse_words("发票"))
