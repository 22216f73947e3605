"""``clipdesk-cli index --read-text`` and ``search --ocr`` / ``--text-in-photo``: real OCR on
coco-mini photos with a Chinese and an English sign drawn on them."""

from __future__ import annotations

from pathlib import Path

import pytest

from clipdesk.cli import EXIT_ERROR
from clipdesk.config import load_settings
from clipdesk.core.models.base import ModelInfo
from clipdesk.core.ocr.reader import ocr_installed
from clipdesk.paths import DataPaths
from tests.cli_run import run, run_json

# never imported here: its OpenCV brings its own Qt, which must not meet PySide6 in one process
pytestmark = pytest.mark.skipif(not ocr_installed(), reason="rapidocr_onnxruntime is not installed")


def test_read_text_then_search_by_the_words(capsys: pytest.CaptureFixture[str],
                                            data_paths: DataPaths, tiny_open_clip: ModelInfo,
                                            signs: dict[str, Path]) -> None:
    data = ("--data-dir", str(data_paths.root))
    model = ("--model", tiny_open_clip.model_id)
    indexed = run_json(capsys, *data, "index", str(signs["folder"]), *model)
    assert indexed["texts_read"] == 0  # off by default
    # searching the words before any text was read says what to do
    code, out, err = run(capsys, *data, "search", "发票", "--text-in-photo", *model)
    assert code == 0 and "no matches" in err and "index --read-text" in err

    indexed = run_json(capsys, *data, "index", "--read-text", *model)
    assert (indexed["texts_read"], indexed["embedded"]) == (6, 0) and indexed["texts_found"] >= 2
    assert load_settings(data_paths.settings_file).read_text  # the choice lasts

    found = run_json(capsys, *data, "search", "发票", "--text-in-photo", *model)
    assert [Path(h["path"]).name for h in found["hits"]] == [signs["invoice"].name]
    assert any("发票" in line for line in found["hits"][0]["text"])
    assert found["texts_read"] == 6
    fused = run_json(capsys, *data, "search", "EXIT", "--ocr", "--top-k", "6", *model)
    assert len(fused["hits"]) == 6 and Path(fused["hits"][0]["path"]).name == "exit.jpg"
    assert [h for h in fused["hits"] if "text" in h] == fused["hits"][:1]
    code, out, _ = run(capsys, *data, "search", '"emergency exit"', "--text-in-photo", *model)
    assert code == 0 and "exit.jpg" in out and "「EMERGENCY" in out  # the line it shows
    code, _, err = run(capsys, *data, "search", "--ocr", *model, "--", "-people")
    assert code == EXIT_ERROR and "need words" in err
    with pytest.raises(SystemExit):
        run(capsys, *data, "search", "x", "--ocr", "--text-in-photo")
    assert "not allowed with" in capsys.readouterr().err

    status = run_json(capsys, *data, "status")
    assert status["text"] == {"read": 6, "with_text": status["text"]["with_text"], "failed": 0,
                              "reading": True}
    code, out, _ = run(capsys, *data, "status")
    assert "text read in 6 photos" in out and "is on" in out
    # new photos are read as they are indexed, since the setting is on now
    indexed = run_json(capsys, *data, "index", "--no-read-text", *model)
    assert indexed["texts_read"] == 0 and not load_settings(data_paths.settings_file).read_text
