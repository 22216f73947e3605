from __future__ import annotations

import json
from pathlib import Path

from clipdesk.config import SETTINGS_VERSION, Settings, load_settings, save_settings


def test_missing_file_gives_defaults(tmp_path: Path) -> None:
    assert load_settings(tmp_path / "nope.json") == Settings()


def test_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "settings.json"
    settings = Settings(device="cpu", batch_size=16, ui_language="zh_CN", search_threshold=0.25)
    save_settings(settings, path)
    assert load_settings(path) == settings
    assert json.loads(path.read_text())["version"] == SETTINGS_VERSION
    assert not list(tmp_path.glob(".settings-*")), "temp file left behind"


def test_bad_values_fall_back_to_defaults(tmp_path: Path) -> None:
    path = tmp_path / "settings.json"
    path.write_text(
        json.dumps(
            {
                "device": "tpu",
                "batch_size": -3,
                "thumbnail_size": "big",
                "top_k": 50,
                "search_threshold": 1,
                "unknown_key": 1,
                "ui_language": "fr",
            }
        )
    )
    loaded = load_settings(path)
    assert loaded.device == "auto"
    assert loaded.batch_size == 0
    assert loaded.thumbnail_size == 256
    assert loaded.ui_language == "system"
    assert loaded.top_k == 50  # valid values are kept
    assert loaded.search_threshold == 1.0  # ints are accepted for floats


def test_corrupt_file_is_kept_aside(tmp_path: Path) -> None:
    path = tmp_path / "settings.json"
    path.write_text("{not json")
    assert load_settings(path) == Settings()
    assert (tmp_path / "settings.json.bad").read_text() == "{not json"
    assert not path.exists()


def test_version_1_default_decode_threads_become_automatic(tmp_path: Path) -> None:
    path = tmp_path / "settings.json"
    path.write_text(json.dumps({"version": 1, "decode_workers": 2, "device": "cpu"}))
    assert load_settings(path).decode_workers == 0  # one worker process per core
    path.write_text(json.dumps({"version": 1, "decode_workers": 6}))
    assert load_settings(path).decode_workers == 6  # a choice is kept
    path.write_text(json.dumps({"version": 2, "decode_workers": 2}))
    assert load_settings(path).decode_workers == 2


def test_pipeline_settings_are_validated(tmp_path: Path) -> None:
    assert Settings().decode_workers == 0 and Settings().gpu_decode is True
    path = tmp_path / "settings.json"
    path.write_text(json.dumps({"decode_workers": -1, "gpu_decode": "yes"}))
    loaded = load_settings(path)
    assert loaded.decode_workers == 0 and loaded.gpu_decode is True
    path.write_text(json.dumps({"decode_workers": 12, "gpu_decode": False}))
    loaded = load_settings(path)
    assert loaded.decode_workers == 12 and loaded.gpu_decode is False
