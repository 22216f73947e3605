"""Reading the text in photos for real (the PP-OCRv4 models inside rapidocr's wheel) through the
indexer, and searching by it, on real photos with Chinese and English signs drawn on them."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from clipdesk.core.engine import Engine
from clipdesk.core.jobs import CancelToken
from clipdesk.core.models.base import ModelInfo
from clipdesk.core.ocr import runner
from clipdesk.core.ocr.reader import ocr_installed
from clipdesk.core.ocr.store import ReadState, TextStore
from clipdesk.core.search import PhotoText, Query
from clipdesk.core.types import Progress, Stage
from clipdesk.paths import DataPaths

# never imported here: its OpenCV brings its own Qt, which must not meet PySide6 in one process
pytestmark = pytest.mark.skipif(not ocr_installed(), reason="rapidocr_onnxruntime is not installed")


@pytest.fixture
def engine(data_paths: DataPaths, tiny_open_clip: ModelInfo) -> Engine:
    engine = Engine(data_paths)
    engine.settings.device = "cpu"
    engine.settings.model_id = tiny_open_clip.model_id
    engine.settings.decode_workers = 2
    return engine


def _ids(engine: Engine, *paths: Path) -> list[int]:
    reader = engine.reader()
    return [p.id for p in (reader.photo_by_path(path) for path in paths) if p is not None]


def test_each_photo_is_found_by_a_word_of_its_text(engine: Engine,
                                                   signs: dict[str, Path]) -> None:
    stages: list[Stage] = []
    report = engine.index([signs["folder"]], read_text=True,
                          progress=lambda p: stages.append(p.stage))
    assert report is not None and not report.cancelled
    assert (report.embedded, report.texts_read) == (6, 6) and report.texts_found >= 2
    assert Stage.READING in stages
    invoice, exit_ = _ids(engine, signs["invoice"], signs["exit"])

    def only(words: str) -> list[int]:
        result = engine.search(Query(words, photo_text=PhotoText.ONLY))
        assert result.texts_read == 6
        return [h.file_id for h in result.hits]

    assert only("发票") == [invoice]
    assert only("增值税") == [invoice]
    assert only("EXIT") == [exit_]
    assert only("exit") == [exit_]  # any case
    assert only('"emergency exit"') == [exit_]
    assert only("sunset") == []  # no photo shows it: no false hit
    assert only("出口") == []
    # fused with CLIP: every photo still comes, the one showing the words first
    fused = engine.search(Query("EXIT", photo_text=PhotoText.FUSE, top_k=10))
    assert fused.hits[0].file_id == exit_ and len(fused.hits) == 6
    assert fused.word_hits == frozenset({exit_})
    plain = engine.search(Query("EXIT", top_k=10))
    assert plain.texts_read is None and plain.word_hits == frozenset()
    # the live count: text matches count whatever their CLIP score
    plan = engine.plan(Query("发票", photo_text=PhotoText.ONLY))
    assert engine.count(plan, 1.0) == {engine.settings.model_id: 1}
    plan = engine.plan(Query("发票", photo_text=PhotoText.FUSE))
    assert engine.count(plan, 1.0) == {engine.settings.model_id: 1}
    # where the words are: the line's box covers the sign drawn at (30, 30)
    photo = engine.reader().photo(invoice)
    store = engine.text_store(create=False)
    assert photo is not None and photo.content_hash and store is not None
    reading = store.reading(photo.content_hash)
    assert reading is not None and reading.state is ReadState.TEXT
    line = next(li for li in reading.lines if "发票" in li.text)
    xs, ys = line.box[0::2], line.box[1::2]
    assert min(xs) < 0.3 and min(ys) < 0.3 and line.confidence > 0.8
    counts = engine.text_counts()
    assert (counts.read, counts.failed) == (6, 0)


def test_reading_is_incremental_and_copies_share_it(engine: Engine,
                                                    signs: dict[str, Path]) -> None:
    engine.index([signs["folder"]], read_text=True)
    copy = signs["folder"] / "copy of the invoice.jpg"
    shutil.copy(signs["invoice"], copy)
    report = engine.index(read_text=True)
    assert report is not None and report.texts_read == 0  # the same bytes were read before
    found = engine.search(Query("发票", photo_text=PhotoText.ONLY)).hits
    assert sorted(h.file_id for h in found) == sorted(_ids(engine, signs["invoice"], copy))
    # turned off (the default): indexing reads nothing
    (signs["folder"] / "plain-0.jpg").unlink()
    report = engine.index()
    assert report is not None and report.texts_read == 0


def test_search_before_any_reading_says_so(engine: Engine, signs: dict[str, Path]) -> None:
    engine.index([signs["folder"]])
    result = engine.search(Query("发票", photo_text=PhotoText.ONLY))
    assert result.hits == () and result.texts_read == 0
    assert not (engine.paths.root / "text.sqlite3").exists()  # a search makes no file


def test_a_cancelled_run_keeps_what_it_read(engine: Engine, signs: dict[str, Path],
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    engine.index([signs["folder"]])
    monkeypatch.setattr(runner, "COMMIT_EVERY", 1)
    token = CancelToken()

    def cancel(p: Progress) -> None:
        if p.stage is Stage.READING and p.done >= 1:
            token.cancel()

    first = engine.read_text(token=token, progress=cancel)
    assert first.cancelled and 1 <= first.read < 6
    second = engine.read_text()
    assert not second.cancelled and first.read + second.read == 6
    assert engine.text_counts().read == 6


class _Photos:
    """A library's view for the runner: these (id, path, hash) rows."""

    def __init__(self, rows: list[tuple[int, Path, str]]) -> None:
        self.rows = rows

    def hashed_photos(self, after: int, limit: int, root_ids: object) -> list[
            tuple[int, Path, str]]:
        return [r for r in self.rows if r[0] > after][:limit]

    def known_hashes(self, hashes: list[str]) -> set[str]:
        return {r[2] for r in self.rows} & set(hashes)


def test_a_bad_or_crashing_photo_is_a_recorded_failure(signs: dict[str, Path], tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    from clipdesk.core.hashing import sha256_stream
    from tests.core.pipeline.workers import LOG_ENV, faulty_ocr_worker

    monkeypatch.setenv(LOG_ENV, str(tmp_path / "events.jsonl"))
    bad = signs["folder"] / "bad.jpg"
    bad.write_bytes(b"\xff\xd8 not really a jpeg")
    crash = signs["folder"] / "segfault.jpg"
    shutil.copy(signs["folder"] / "plain-1.jpg", crash)
    with crash.open("ab") as fp:
        fp.write(b"!")  # other bytes than plain-1
    files = [signs["exit"], bad, crash, signs["invoice"]]
    rows = []
    for n, path in enumerate(files, start=1):
        with path.open("rb") as fp:
            rows.append((n, path, sha256_stream(fp)))
    store = TextStore(tmp_path / "text.sqlite3")
    report = runner.read_text(_Photos(rows), store, workers=2,  # type: ignore[arg-type]
                              target=faulty_ocr_worker)
    assert (report.read, report.failed, report.with_text) == (2, 2, 2)
    failures = store.failures()
    assert set(failures) == {rows[1][2], rows[2][2]}
    assert "not an image" in failures[rows[1][2]] or "cannot" in failures[rows[1][2]]
    assert "crashed" in failures[rows[2][2]]
    # a failure is not tried again until the bytes change
    again = runner.read_text(_Photos(rows), store, workers=2,  # type: ignore[arg-type]
                             target=faulty_ocr_worker)
    assert again.read == again.failed == 0
    store.close()
