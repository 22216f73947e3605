"""clipdesk-cli end to end, in-process, with tiny locally built models (no network)."""

from __future__ import annotations

import builtins
import json
import os
import re
import shutil
import sys
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from clipdesk.cli import EXIT_ERROR, EXIT_OK, main, search_index_text
from clipdesk.core.models.base import ModelInfo
from clipdesk.core.store.records import SearchIndexInfo
from clipdesk.paths import DataPaths
from tests.cli_run import run, run_json


@pytest.fixture
def photos(tmp_path: Path, coco_mini: Path) -> Path:
    """A folder of 24 real photos plus one corrupt file."""
    folder = tmp_path / "photos"
    (folder / "sub").mkdir(parents=True)
    for i, src in enumerate(sorted((coco_mini / "images").glob("*.jpg"))[:24]):
        shutil.copy(src, folder / ("sub" if i % 3 == 0 else "") / src.name)
    (folder / "broken.jpg").write_bytes(b"this is not a jpeg")
    return folder


def test_models_list_names_the_builtin_models(
    capsys: pytest.CaptureFixture[str], data_paths: DataPaths
) -> None:
    models = run_json(capsys, "--data-dir", str(data_paths.root), "models", "list")
    ids = {m["id"]: m for m in models}
    assert ids["cn_clip:ViT-B-16"]["recommended"] is True
    assert "zh" in ids["cn_clip:ViT-B-16"]["languages"]
    assert "open_clip:ViT-B-32/laion2b_s34b_b79k" in ids
    assert not ids["cn_clip:ViT-B-16"]["available"]  # no weights on this machine


def test_index_search_and_incremental_rerun(
    capsys: pytest.CaptureFixture[str],
    data_paths: DataPaths,
    tiny_open_clip: ModelInfo,
    photos: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    data = ("--data-dir", str(data_paths.root))
    model = tiny_open_clip.model_id
    report = run_json(capsys, *data, "index", str(photos), "--model", model)
    assert report["embedded"] == 24
    assert report["skipped"] == 1
    assert report["model_id"] == model

    result = run_json(capsys, *data, "search", "a dog", "--model", model, "--top-k", "5")
    assert result["models"] == [model]
    assert [h["rank"] for h in result["hits"]] == [1, 2, 3, 4, 5]
    assert all(Path(h["path"]).parent in (photos, photos / "sub") for h in result["hits"])
    scores = [h["score"] for h in result["hits"]]
    assert scores == sorted(scores, reverse=True)

    # a second run on the unchanged folder opens no image
    opened: list[str] = []
    real_open = builtins.open

    def spy(file: Any, *args: Any, **kwargs: Any) -> Any:
        if str(file).startswith(str(photos)):
            opened.append(str(file))
        return real_open(file, *args, **kwargs)

    monkeypatch.setattr(builtins, "open", spy)
    monkeypatch.setattr(Image, "open", lambda *a, **k: pytest.fail("an image was decoded"))
    report = run_json(capsys, *data, "index", str(photos), "--model", model)
    assert report["embedded"] == 0
    assert report["unchanged"] == 25  # 24 photos + the broken file, not retried
    assert opened == []


def test_status_lists_errors(
    capsys: pytest.CaptureFixture[str],
    data_paths: DataPaths,
    tiny_cn_clip: ModelInfo,
    photos: Path,
) -> None:
    data = ("--data-dir", str(data_paths.root))
    assert run(capsys, *data, "index", str(photos), "--model", tiny_cn_clip.model_id)[0] == 0
    status = run_json(capsys, *data, "status", "--errors")
    assert status["photos"] == 24
    assert status["skipped"] == 1
    assert status["models"] == {tiny_cn_clip.model_id: 24}
    assert status["roots"][0]["path"] == str(photos.resolve())
    [error] = status["errors"]
    assert error["path"].endswith("broken.jpg")
    assert error["reason"]
    index = status["search_indexes"][tiny_cn_clip.model_id]
    assert index["kind"] == "exact" and index["count"] == 24 and index["pending_changes"] == 0
    code, out, _ = run(capsys, *data, "status")
    assert code == 0 and f"{tiny_cn_clip.model_id}: 24 vectors; searched exactly" in out


def test_status_says_how_a_large_library_is_searched() -> None:
    approximate = SearchIndexInfo("ivf", 1_000_000, 1024, 16, 0.981, 0.9724, pending_changes=12)
    assert search_index_text(approximate) == (
        "searched approximately (16 of 1,024 groups scanned), recall@10 0.981 for photo "
        "queries, 0.972 for text queries (+12 changes held in memory)")
    fallen_back = SearchIndexInfo("exact", 200_000, None, None, 0.97, 0.91)
    assert search_index_text(fallen_back).startswith(
        "searched exactly (an approximate index reached only recall@10 0.970")


def test_chinese_query_routes_to_the_chinese_model(
    capsys: pytest.CaptureFixture[str],
    data_paths: DataPaths,
    tiny_open_clip: ModelInfo,
    tiny_cn_clip: ModelInfo,
    photos: Path,
) -> None:
    data = ("--data-dir", str(data_paths.root))
    for info in (tiny_open_clip, tiny_cn_clip):
        assert run(capsys, *data, "index", str(photos), "--model", info.model_id)[0] == 0
    # the user models declare their languages: the tiny cn_clip model speaks Chinese
    result = run_json(capsys, *data, "search", "海边的日落", "--top-k", "3")
    assert result["models"] == [tiny_cn_clip.model_id]
    both = f"{tiny_open_clip.model_id}+{tiny_cn_clip.model_id}"
    result = run_json(capsys, *data, "search", "sunset", "--model", both, "--top-k", "30")
    assert result["models"] == [tiny_open_clip.model_id, tiny_cn_clip.model_id]
    assert len({h["file_id"] for h in result["hits"]}) == 24
    # Chinese words given to the English-only model: searched, with the warning and the fix
    code, _, err = run(capsys, *data, "search", "海边的日落", "--model", tiny_open_clip.model_id)
    assert code == EXIT_OK
    assert f"{tiny_open_clip.model_id} does not read Chinese" in err
    assert f"Use {tiny_cn_clip.model_id}, which reads Chinese" in err


def test_image_query_finds_itself_first(
    capsys: pytest.CaptureFixture[str],
    data_paths: DataPaths,
    tiny_open_clip: ModelInfo,
    photos: Path,
) -> None:
    data = ("--data-dir", str(data_paths.root))
    assert run(capsys, *data, "index", str(photos), "--model", tiny_open_clip.model_id)[0] == 0
    query = next(photos.glob("*.jpg"))
    if query.name == "broken.jpg":
        query = next(p for p in photos.glob("*.jpg") if p.name != "broken.jpg")
    result = run_json(capsys, *data, "search", "--image", str(query), "--top-k", "3")
    assert Path(result["hits"][0]["path"]) == query.resolve()
    assert result["hits"][0]["score"] == pytest.approx(1.0, abs=1e-3)


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["search", "a dog"], "Nothing is indexed yet"),
        (["index", "/no/such/folder"], "Not a folder"),
        (["search", "x", "--model", "cn_clip:nope"], "indexed"),
        (["search"], "Give words to search for"),
        (["search", "--image", "/no/such.jpg"], "No such photo"),
        (["models", "download", "nope:nothing"], "nope:nothing"),
    ],
)
def test_errors_are_one_clear_line(
    capsys: pytest.CaptureFixture[str], data_paths: DataPaths, argv: list[str], message: str
) -> None:
    code, _, err = run(capsys, "--data-dir", str(data_paths.root), *argv)
    assert code == EXIT_ERROR
    assert message in err
    assert "Traceback" not in err
    assert len(err.strip().splitlines()) == 1


def test_index_without_weights_names_the_download(
    capsys: pytest.CaptureFixture[str], data_paths: DataPaths, photos: Path
) -> None:
    code, _, err = run(capsys, "--data-dir", str(data_paths.root), "index", str(photos))
    assert code == EXIT_ERROR
    assert "clip_cn_vit-b-16.pt" in err  # the default model's file, and where it goes
    assert str(data_paths.model_dir) in err


def test_with_no_wait_a_second_writer_is_refused(
    capsys: pytest.CaptureFixture[str],
    data_paths: DataPaths,
    tiny_open_clip: ModelInfo,
    photos: Path,
) -> None:
    from clipdesk.core.store import Library

    with Library.open(data_paths, write=True):
        code, _, err = run(capsys, "--data-dir", str(data_paths.root), "--no-wait", "index",
                           str(photos), "--model", tiny_open_clip.model_id)
    assert code == EXIT_ERROR
    assert "already writing to the data folder" in err


def test_a_second_writer_waits_its_turn_and_says_so(
    capsys: pytest.CaptureFixture[str],
    data_paths: DataPaths,
    tiny_open_clip: ModelInfo,
    tmp_path: Path,
) -> None:
    """Without --no-wait the command is queued behind the other writer (the window indexing,
    another clipdesk-cli) and runs when it is done, instead of failing."""
    import threading

    from clipdesk.core.store.lock import WriterLock
    from tests.core.fakes import make_photos

    make_photos(tmp_path / "few", 3)
    holder = WriterLock(data_paths.lock_file, data_paths.root).acquire()  # another process
    threading.Timer(1.0, holder.release).start()
    code, out, err = run(capsys, "--data-dir", str(data_paths.root), "index",
                         str(tmp_path / "few"), "--model", tiny_open_clip.model_id, "--json")
    assert code == EXIT_OK, err
    assert f"pid {os.getpid()}" in err and "is writing to the library" in err, err
    assert json.loads(out)["embedded"] == 3


def test_index_takes_worker_and_gpu_decode_options(
    capsys: pytest.CaptureFixture[str], data_paths: DataPaths, tiny_open_clip: ModelInfo,
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    from clipdesk.core.engine import Engine
    from tests.core.fakes import make_photos

    folder = tmp_path / "few"
    make_photos(folder, 5)
    data = ("--data-dir", str(data_paths.root))
    seen: list[Any] = []
    real = Engine.indexer

    def spy(self: Engine, library: Any, encoder: Any) -> Any:
        indexer = real(self, library, encoder)
        seen.append((indexer.decode_workers, indexer.gpu_decode))
        return indexer

    monkeypatch.setattr(Engine, "indexer", spy)
    code, out, _ = run(capsys, *data, "index", str(folder), "--model", tiny_open_clip.model_id,
                       "--workers", "1", "--no-gpu-decode")
    assert code == EXIT_OK and seen == [(1, False)]
    assert re.search(r": 5 embedded \([\d,.]+/s\), 5 new, .* in \d+s$", out.strip()), out
    with pytest.raises(SystemExit) as usage:
        run(capsys, *data, "index", str(folder), "--workers", "-1")
    assert usage.value.code == 2
    assert "-1 is out of range (from 0 to 256)" in capsys.readouterr().err


def test_hostile_file_names_cannot_drive_the_terminal(
    capsys: pytest.CaptureFixture[str], data_paths: DataPaths, tiny_open_clip: ModelInfo,
    tmp_path: Path,
) -> None:
    from tests.core.fakes import make_photos, write_image

    root = tmp_path / "\x1b]0;PWNED\x07 photos"
    make_photos(root, 2)
    names = ["\x1b]0;PWNED\x07.jpg", "over\rwrite.jpg", "two\nlines.jpg"]
    for i, name in enumerate(names):
        write_image(root / name, (40 * i, 90, 200))
    (root / "bad\x1b[2J.jpg").write_bytes(b"not a photo")
    data = ("--data-dir", str(data_paths.root))
    model = ("--model", tiny_open_clip.model_id)
    outputs = [run(capsys, *data, "index", str(root), *model),
               run(capsys, *data, "search", "a photo", *model, "--top-k", "10"),
               run(capsys, *data, "status", "--errors")]
    root.rename(tmp_path / "unplugged")
    outputs.append(run(capsys, *data, "index", *model))
    for code, out, err in outputs:
        assert code == EXIT_OK, err
        for text in (out, err):
            assert not any(c in text for c in "\x1b\x07\r"), text
    search_lines = outputs[1][1].splitlines()
    assert len(search_lines) == 5  # one line a hit, none split by a name
    assert any("two\\nlines.jpg" in line for line in search_lines)
    assert "bad\\x1b[2J.jpg: not an image file" in outputs[2][1]
    assert "offline (kept): " in outputs[3][1] and "\\x1b]0;PWNED\\x07 photos" in outputs[3][1]


def test_a_second_writer_is_refused_before_any_model_loads(
    capsys: pytest.CaptureFixture[str], data_paths: DataPaths, tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from clipdesk.core.engine import Engine
    from clipdesk.core.store.lock import WriterLock

    loads: list[str] = []
    monkeypatch.setattr(Engine, "encoder", lambda self, model_id, **kw: loads.append(model_id))
    (tmp_path / "photos").mkdir()
    data = ("--data-dir", str(data_paths.root))
    holder = WriterLock(data_paths.lock_file, data_paths.root).acquire()  # another process
    try:
        code, _, err = run(capsys, *data, "--no-wait", "index", str(tmp_path / "photos"))
        assert code == EXIT_ERROR and "already writing to the data folder" in err, err
    finally:
        holder.release()
    assert loads == []


@pytest.mark.skipif(os.name != "posix" or sys.platform == "darwin",
                    reason="needs a file system that takes any bytes in names")
def test_names_that_are_not_utf8_in_human_and_json_output(
    capsys: pytest.CaptureFixture[str], data_paths: DataPaths, tiny_open_clip: ModelInfo,
    tmp_path: Path,
) -> None:
    from tests.core.fakes import make_photos

    folder = tmp_path / "photos"
    make_photos(folder, 2)
    raw = os.path.join(os.fsencode(folder), b"000\xffbad.png")
    with open(raw, "wb") as out:
        out.write((folder / "img_0001.png").read_bytes() + b"\x00")
    data = ("--data-dir", str(data_paths.root))
    model = ("--model", tiny_open_clip.model_id)
    assert run_json(capsys, *data, "index", str(folder), *model)["embedded"] == 3
    code, out, _ = run(capsys, *data, "search", "a photo", *model)
    assert code == EXIT_OK and "000\\xffbad.png" in out
    hits = run_json(capsys, *data, "search", "a photo", *model)["hits"]
    assert raw in {os.fsencode(h["path"]) for h in hits}  # lossless through JSON


def test_check_backup_and_restore_from_the_command_line(
    capsys: pytest.CaptureFixture[str], data_paths: DataPaths, tmp_path: Path,
) -> None:
    from tests.core.store.test_backup import damage_page, fill, page_of

    fill(data_paths, 3000)
    data = ("--data-dir", str(data_paths.root))
    code, out, _ = run(capsys, *data, "check")
    assert code == EXIT_OK and out.strip().endswith("library.sqlite3: ok")
    made = run_json(capsys, *data, "backup")
    assert Path(made["path"]).is_file()
    listed = run_json(capsys, *data, "restore", "--list")
    assert [b["reason"] for b in listed] == ["manual", "daily"]

    damage_page(data_paths.database, page_of(data_paths.database, "files", nth=2))
    code, _, err = run(capsys, *data, "status")  # one sentence, not a traceback
    assert code == EXIT_ERROR and "is damaged" in err and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1
    code, _, err = run(capsys, *data, "check")
    assert code == EXIT_ERROR and "is damaged" in err and "clipdesk-cli restore" in err
    code, out, _ = run(capsys, *data, "restore")
    assert code == EXIT_OK and "restored the library from" in out
    assert run_json(capsys, *data, "status")["photos"] == 3000
    assert run(capsys, *data, "check")[0] == EXIT_OK


def test_missing_photos_are_reported_and_purged_only_when_asked(
    capsys: pytest.CaptureFixture[str], data_paths: DataPaths, tiny_open_clip: ModelInfo,
    tmp_path: Path,
) -> None:
    from tests.core.fakes import make_photos

    folder = tmp_path / "photos"
    make_photos(folder, 4)
    data = ("--data-dir", str(data_paths.root))
    model = ("--model", tiny_open_clip.model_id)
    assert run_json(capsys, *data, "index", str(folder), *model)["embedded"] == 4
    (folder / "img_0001.png").unlink()
    code, out, _ = run(capsys, *data, "index", *model)
    assert code == EXIT_OK and ", 1 missing," in out and "clipdesk-cli purge" in out
    status = run_json(capsys, *data, "status")
    assert (status["photos"], status["missing"]) == (3, 1)
    code, out, _ = run(capsys, *data, "purge")  # says what it would do, does nothing
    assert code == EXIT_OK and "1 missing photos would be forgotten" in out
    assert run_json(capsys, *data, "status")["missing"] == 1
    assert run_json(capsys, *data, "purge", "--older-than", "30", "--yes")["files"] == 0
    assert run_json(capsys, *data, "purge", "--yes") == {"files": 1, "manual_tags": 0,
                                                          "purged": True}
    assert run_json(capsys, *data, "status")["missing"] == 0


@pytest.mark.parametrize("argv", [
    ("search", "dog", "--top-k", "-1"),
    ("search", "dog", "--top-k", "0"),
    ("search", "dog", "--threshold", "7"),
    ("search", "dog", "--threshold", "nan"),
    ("search", "dog", "--image-weight", "1.5"),
    ("tag", "dog", "--min-prob", "7"),
    ("tag", "dog", "--min-cos", "-2"),
    ("tag", "dog", "--max-tags", "0"),
    ("index", "--batch-size", "0"),
    ("purge", "--older-than", "-3"),
])
def test_numbers_out_of_range_are_usage_errors(
    capsys: pytest.CaptureFixture[str], data_paths: DataPaths, argv: tuple[str, ...]
) -> None:
    """They used to give "no matches" with exit 0, or run for minutes first."""
    with pytest.raises(SystemExit) as usage:
        main(["--data-dir", str(data_paths.root), *argv])
    assert usage.value.code == 2
    err = capsys.readouterr().err
    assert "out of range" in err or "not a number" in err


def test_eval_thresholds_are_range_checked(
    capsys: pytest.CaptureFixture[str], data_paths: DataPaths, tmp_path: Path
) -> None:
    (tmp_path / "set" / "cat").mkdir(parents=True)
    code, _, err = run(capsys, "--data-dir", str(data_paths.root), "eval", str(tmp_path / "set"),
                       "--threshold", "3")
    assert code == EXIT_ERROR and "from -1 to 1" in err


def test_an_unknown_model_is_named_as_unknown(
    capsys: pytest.CaptureFixture[str], data_paths: DataPaths, tiny_open_clip: ModelInfo,
    tmp_path: Path,
) -> None:
    from tests.core.fakes import make_photos

    make_photos(tmp_path / "p", 2)
    data = ("--data-dir", str(data_paths.root))
    assert run(capsys, *data, "index", str(tmp_path / "p"), "--model",
               tiny_open_clip.model_id)[0] == EXIT_OK
    code, _, err = run(capsys, *data, "search", "dog", "--model", "nonexistent:model")
    assert code == EXIT_ERROR and "There is no model 'nonexistent:model'" in err
    assert "index with it first" not in err
    code, _, err = run(capsys, *data, "search", "dog", "--model",
                       "open_clip:ViT-B-32/laion2b_s34b_b79k")  # known, not indexed
    assert code == EXIT_ERROR and "index with it first" in err


def test_models_list_keeps_its_columns(capsys: pytest.CaptureFixture[str],
                                       data_paths: DataPaths) -> None:
    code, out, _ = run(capsys, "--data-dir", str(data_paths.root), "models", "list")
    assert code == EXIT_OK
    lines = out.splitlines()
    footer = lines.index("(* = weights on this computer)")
    header, rows = lines[0], lines[1:footer]
    column = header.index("languages")
    assert all(len(row) > column and row[column - 2:column] == "  " for row in rows)
    assert all(row[0] in " *" and row[1] == " " for row in rows)
    multilingual = next(r for r in rows if "xlm-roberta" in r)
    assert multilingual[column:].startswith("many") and "*" not in multilingual[1:]


def test_transformers_folders_import_index_and_search(
    capsys: pytest.CaptureFixture[str],
    data_paths: DataPaths,
    tiny_hf_folders: dict[str, Path],
    photos: Path,
) -> None:
    data = ("--data-dir", str(data_paths.root))
    imported = run_json(capsys, *data, "models", "import", str(tiny_hf_folders["clip"]),
                        "--name", "HF CLIP")
    assert imported == {"id": "user:hf-clip", "name": "HF CLIP"}
    code, out, err = run(capsys, *data, "models", "import", str(tiny_hf_folders["chinese_clip"]),
                         "--backend", "hf", "--languages", "zh,en")
    assert code == EXIT_OK, err
    assert "imported user:tiny-chinese-clip" in out
    listed = {m["id"]: m for m in run_json(capsys, *data, "models", "list")}
    assert listed["user:hf-clip"]["languages"] == ["en"]
    assert listed["user:tiny-chinese-clip"]["languages"] == ["en", "zh"]
    assert listed["user:hf-clip"]["available"] and listed["user:tiny-chinese-clip"]["available"]

    for model in ("user:hf-clip", "user:tiny-chinese-clip"):
        report = run_json(capsys, *data, "index", str(photos), "--model", model)
        assert report["embedded"] == 24 and report["model_id"] == model
    result = run_json(capsys, *data, "search", "a dog", "--model", "user:hf-clip",
                      "--top-k", "5")
    assert result["models"] == ["user:hf-clip"] and len(result["hits"]) == 5
    scores = [h["score"] for h in result["hits"]]
    assert scores == sorted(scores, reverse=True)
    # a Chinese query goes to the model that reads Chinese
    result = run_json(capsys, *data, "search", "海边的日落", "--top-k", "3")
    assert result["models"] == ["user:tiny-chinese-clip"]
    query = next(p for p in photos.glob("*.jpg") if p.name != "broken.jpg")
    for model in ("user:hf-clip", "user:tiny-chinese-clip"):
        result = run_json(capsys, *data, "search", "--image", str(query), "--model", model,
                          "--top-k", "3")
        assert Path(result["hits"][0]["path"]) == query.resolve()
        assert result["hits"][0]["score"] == pytest.approx(1.0, abs=1e-3)


def test_a_text_tower_shares_the_photos_of_its_image_model(
    capsys: pytest.CaptureFixture[str],
    data_paths: DataPaths,
    tiny_hf_folders: dict[str, Path],
    photos: Path,
) -> None:
    data = ("--data-dir", str(data_paths.root))
    run_json(capsys, *data, "models", "import", str(tiny_hf_folders["clip"]), "--name", "CLIP")
    code, _, err = run(capsys, *data, "models", "import", str(tiny_hf_folders["taiyi"]))
    assert code == EXIT_ERROR and "image vectors it was trained for" in err
    taiyi = run_json(capsys, *data, "models", "import", str(tiny_hf_folders["taiyi"]),
                     "--name", "Taiyi", "--image-model", "user:clip")
    listed = {m["id"]: m for m in run_json(capsys, *data, "models", "list")}
    assert listed[taiyi["id"]]["image_model"] == "user:clip"
    assert listed["hf:IDEA-CCNL/Taiyi-CLIP-Roberta-102M-Chinese"]["image_model"] == \
        "hf:openai/clip-vit-base-patch32"
    assert listed["hf:IDEA-CCNL/Taiyi-CLIP-Roberta-102M-Chinese"]["licence"] == "Apache-2.0"
    code, out, _ = run(capsys, *data, "models", "list")
    assert "user:taiyi -> user:clip" in out

    assert run_json(capsys, *data, "index", str(photos), "--model", "user:clip")["embedded"] == 24
    again = run_json(capsys, *data, "index", str(photos), "--model", "user:taiyi")
    assert again["embedded"] == 0  # its photos are CLIP's, already embedded
    result = run_json(capsys, *data, "search", "一只狗", "--model", "user:taiyi", "--top-k", "4")
    assert result["models"] == ["user:taiyi"] and len(result["hits"]) == 4
    # a Chinese query goes to the text tower that reads Chinese, over CLIP's photos
    assert run_json(capsys, *data, "search", "海边的日落")["models"] == ["user:taiyi"]
    both = run_json(capsys, *data, "search", "dog", "--model", "user:clip+user:taiyi",
                    "--top-k", "24")
    assert sorted(both["models"]) == ["user:clip", "user:taiyi"] and len(both["hits"]) == 24
    status = run_json(capsys, *data, "status")
    assert status["models"]["user:taiyi"] == status["models"]["user:clip"] == 24
    assert status["shares_vectors_of"] == {"user:taiyi": "user:clip"}
    assert "user:taiyi" not in status["search_indexes"]
    code, out, _ = run(capsys, *data, "status")
    assert "user:taiyi: searches the 24 vectors of user:clip" in out


def test_import_refuses_unknown_languages(
    capsys: pytest.CaptureFixture[str], data_paths: DataPaths, tiny_hf_folders: dict[str, Path]
) -> None:
    with pytest.raises(SystemExit):
        main(["--data-dir", str(data_paths.root), "models", "import",
              str(tiny_hf_folders["clip"]), "--languages", "fr"])
    assert "not languages" in capsys.readouterr().err
