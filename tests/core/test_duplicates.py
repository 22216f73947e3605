"""Near-duplicate groups: union-find over each photo's nearest neighbours and equal content
hashes, checked against an all-pairs computation; the photo to keep comes first."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from clipdesk.core.duplicates import best_first, find_duplicates, group_pairs, near_pairs
from clipdesk.core.engine import Engine
from clipdesk.core.errors import ClipdeskError
from clipdesk.core.types import FileStatus, Photo
from clipdesk.paths import DataPaths


def _brute_groups(ids: np.ndarray, vectors: np.ndarray, threshold: float) -> list[list[int]]:
    sim = vectors @ vectors.T
    parent = list(range(len(ids)))

    def find(x: int) -> int:
        while parent[x] != x:
            x = parent[x]
        return x

    for a in range(len(ids)):
        for b in range(a + 1, len(ids)):
            if sim[a, b] >= threshold:
                parent[find(b)] = find(a)
    groups: dict[int, list[int]] = {}
    for k in range(len(ids)):
        groups.setdefault(find(k), []).append(int(ids[k]))
    return sorted(sorted(g) for g in groups.values() if len(g) > 1)


def test_pairs_and_groups_equal_all_pairs() -> None:
    rng = np.random.default_rng(0)
    base = rng.normal(size=(30, 16))
    copies = base[:10] + rng.normal(scale=0.02, size=(10, 16))  # near copies of the first 10
    chain = base[10:11] + rng.normal(scale=0.05, size=(3, 16))  # three near one photo
    vectors = np.concatenate([base, copies, chain]).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    ids = np.arange(100, 100 + len(vectors), dtype=np.int64)

    def search(q: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        sim = q @ vectors.T
        order = np.argsort(-sim, axis=1)[:, :k]
        return np.take_along_axis(sim, order, 1), ids[order]

    pairs = near_pairs(ids, vectors, search, 0.95)
    assert all(a < b and s >= 0.95 for a, b, s in pairs)
    groups = group_pairs(pairs)
    assert sorted(g for g, _ in groups) == _brute_groups(ids, vectors, 0.95)
    assert len(groups) == 11 and groups[0][0] == [110, 140, 141, 142]  # three near one photo
    # equal content hashes join even without similar vectors; the lowest link is reported
    joined = group_pairs([(1, 2, 0.97)], {3: "h", 4: "h", 1: None})
    assert joined == [([1, 2], 0.97), ([3, 4], 1.0)]


def _photo(i: int, w: int, h: int, size: int, taken: datetime | None) -> Photo:
    return Photo(i, 1, Path(f"/p/{i}.jpg"), size, 0, w, h, taken, FileStatus.OK)


def test_the_best_photo_comes_first() -> None:
    early, late = datetime(2020, 1, 1), datetime(2021, 1, 1)
    photos = [_photo(1, 100, 100, 50, early), _photo(2, 200, 100, 10, late),
              _photo(3, 200, 100, 20, None), _photo(4, 200, 100, 20, early)]
    assert [p.id for p in best_first(photos)] == [4, 3, 2, 1]


@pytest.fixture
def library(data_paths: DataPaths, coco_mini: Path, tmp_path: Path) -> tuple[Engine, str]:
    from tests.fixtures.train_test_models import import_test_models

    engine = Engine(data_paths)
    engine.settings.device = "cpu"
    model, _ = import_test_models(data_paths)
    folder = tmp_path / "photos"
    folder.mkdir()
    sources = sorted((coco_mini / "images").glob("*.jpg"))[:10]
    for src in sources:
        shutil.copy(src, folder / src.name)
    for src in sources[:3]:
        shutil.copy(src, folder / f"copy-{src.name}")  # the same bytes
        with Image.open(src) as im:
            im.convert("RGB").resize((im.width // 2, im.height // 2)).save(
                folder / f"small-{src.name}", quality=85)
    engine.index([folder], model_id=model.model_id)
    return engine, model.model_id


def test_library_groups_equal_all_pairs(library: tuple[Engine, str]) -> None:
    engine, model_id = library
    reader = engine.reader()
    ids = reader.file_ids()
    vectors = reader.vectors(model_id, ids)
    photos = reader.photos(ids)
    for threshold in (0.99, 0.96):
        groups = find_duplicates(reader, model_id, threshold)
        expected = _brute_groups(ids, vectors, threshold)
        assert sorted(sorted(g.file_ids) for g in groups) == expected
        for g in groups:
            assert g.best == best_first([photos[i] for i in g.file_ids])[0].id
    # every copy joins its original, exact or not
    named = {p.path.name: i for i, p in photos.items()}
    groups = find_duplicates(reader, model_id, 0.95)
    for name in [p.path.name for p in photos.values() if p.path.name.startswith("copy-")]:
        original = named[name.removeprefix("copy-")]
        group = next(g for g in groups if original in g.file_ids)
        assert named[name] in group.file_ids and named["small-" + name[5:]] in group.file_ids


def test_the_command_line_lists_the_groups(library: tuple[Engine, str],
                                           capsys: pytest.CaptureFixture[str]) -> None:
    from tests.cli_run import run, run_json

    engine, model_id = library
    data = ("--data-dir", str(engine.paths.root))
    engine.close()
    # at 1.0 only the same content joins: the three byte-for-byte copies
    groups = run_json(capsys, *data, "duplicates", "--model", model_id, "--threshold", "1")
    copies = [g for g in groups if g["exact"]]
    assert copies == groups
    assert len(copies) == 3 and all(len(g["others"]) == 1 for g in copies)
    for g in copies:
        assert Path(g["others"][0]).name.removeprefix("copy-") == Path(g["keep"]).name \
            or Path(g["keep"]).name.removeprefix("copy-") == Path(g["others"][0]).name
    near = run_json(capsys, *data, "duplicates", "--threshold", "0.999")
    assert all(len(g["file_ids"]) == 3 and not g["exact"] for g in near[:3])  # with the small
    code, out, _ = run(capsys, *data, "duplicates", "--threshold", "0.999")
    assert code == 0 and "keep " in out and f"{len(near)} groups" in out
    code, _, err = run(capsys, *data, "duplicates", "--model", "user:nope")
    assert code != 0 and "nope" in err


def test_a_scan_answers_every_threshold_from_its_pairs(library: tuple[Engine, str]) -> None:
    engine, model_id = library
    scan = engine.scan_duplicates(model_id, 0.85)
    for threshold in (0.85, 0.9, 0.95, 0.99, 1.0):
        groups = scan.groups(threshold)
        assert scan.count(threshold) == len(groups)
        assert [g.file_ids for g in groups] == [
            g.file_ids for g in engine.find_duplicates(model_id, threshold)]
    assert scan.count(1.0) >= 3  # the byte-for-byte copies, at any threshold
    with pytest.raises(ValueError):
        scan.count(0.5)  # below what was searched for


def _fake_trash(folder: Path, refuse: set[str]) -> Callable[[str], None]:
    """A trash that moves files into ``folder`` (refusing the names in ``refuse``)."""
    folder.mkdir(exist_ok=True)

    def trash(path: str) -> None:
        if Path(path).name in refuse:
            raise PermissionError(13, "Permission denied", path)
        shutil.move(path, folder / Path(path).name)

    return trash


def test_the_others_go_to_the_trash_and_leave_the_library(library: tuple[Engine, str],
                                                         tmp_path: Path) -> None:
    engine, model_id = library
    groups = engine.find_duplicates(model_id, 0.99)
    others = [i for g in groups for i in g.others]
    photos = engine.reader().photos(others)
    refused = photos[others[0]].path.name
    bin_ = tmp_path / "trash"
    report = engine.trash_photos(others, groups=groups, trash=_fake_trash(bin_, {refused}))
    assert sorted(report.moved) == sorted(others[1:]) and not report.ok
    assert [n.file_id for n in report.not_moved] == [others[0]]
    assert "no permission" in report.not_moved[0].reason
    assert sorted(p.name for p in bin_.iterdir()) == sorted(
        photos[i].path.name for i in others[1:])
    assert photos[others[0]].path.exists()  # refused: left where it was
    # the moved photos are missing (kept, hidden), not forgotten; the best of each group stays
    reader = engine.reader()
    assert set(reader.file_ids().tolist()).isdisjoint(others[1:])
    assert all(g.best in set(reader.file_ids().tolist()) for g in groups)
    assert engine.reader().missing_files().files == len(others) - 1
    # emptying a group is refused before anything moves
    with pytest.raises(ClipdeskError, match="keep at least one"):
        engine.trash_photos(list(groups[0].file_ids), groups=groups,
                            trash=_fake_trash(bin_, set()))


def test_recompressed_and_cropped_copies_join_their_originals_and_nothing_else(
        data_paths: DataPaths, coco_mini: Path, tmp_path: Path) -> None:
    """With the trained shapes test model (distinct coco photos up to 0.973 alike, these copies
    0.983 or more, measured): at 0.98 each original's group is exactly it and its copies."""
    from tests.fixtures.train_test_models import import_test_models

    engine = Engine(data_paths)
    engine.settings.device = "cpu"
    model, _ = import_test_models(data_paths)
    folder = tmp_path / "photos"
    folder.mkdir()
    sources = sorted((coco_mini / "images").glob("*.jpg"))[:12]
    expected: dict[str, set[str]] = {}
    for n, src in enumerate(sources):
        shutil.copy(src, folder / src.name)
        if n >= 4:
            continue
        with Image.open(src) as opened:
            im = opened.convert("RGB")
        im.save(folder / f"q40-{src.name}", quality=40)  # re-compressed
        expected[src.name] = {src.name, f"q40-{src.name}"}
        if n != 2:  # a 95% centre crop (the third photo's crop is only 0.975 alike)
            dx, dy = im.width * 5 // 200, im.height * 5 // 200
            im.crop((dx, dy, im.width - dx, im.height - dy)).save(
                folder / f"crop-{src.name}", quality=90)
            expected[src.name].add(f"crop-{src.name}")
    engine.index([folder], model_id=model.model_id)
    groups = engine.find_duplicates(model.model_id, 0.98)
    photos = engine.reader().photos(i for g in groups for i in g.file_ids)
    found = sorted(sorted(photos[i].path.name for i in g.file_ids) for g in groups)
    assert found == sorted(sorted(names) for names in expected.values())
    assert all(photos[g.best].path.name in expected for g in groups)  # the original is kept
