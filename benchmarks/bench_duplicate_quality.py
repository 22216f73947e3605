"""How well the duplicate groups find edited copies of real photos (prints figures).

    python benchmarks/bench_duplicate_quality.py [--model user:shapes-openclip]
        [--models-from DATA_DIR] [--every 2] [--thresholds 0.90,0.92,...]

A labelled set made from coco-mini (``../shared/photos/coco-mini/images``, 159 photos) in a
temporary folder: every photo, and for every ``--every``-th one four edited copies -- half size,
a JPEG re-saved at quality 40, a 90% centre crop, 15% brighter. Everything is indexed with
``--model`` (default: the trained shapes test model of the tests, tests/fixtures/models, which
knows drawn shapes, not photos; ``--models-from`` lends the ``models`` folder of a real data
folder for its models), one neighbour search is made at the lowest threshold, and for each
threshold the groups it gives are scored pairwise:

* a *true pair* is two photos made from the same original (the original and an edit, or two
  edits); a *found pair* is two photos in the same group;
* precision = true pairs found / pairs found, recall = true pairs found / true pairs;
* per edit: recall of (original, edit) pairs, and the precision of the found pairs that hold
  such an edit;
* "false groups": groups that join photos made from different originals, and the largest
  group.
"""

from __future__ import annotations

import argparse
import itertools
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from PIL import Image, ImageEnhance

REPO = Path(__file__).resolve().parents[1]
COCO = REPO.parent / "shared" / "photos" / "coco-mini" / "images"
sys.path.insert(0, str(REPO))

Edit = Callable[[Path, Path], None]


def _half(src: Path, dst: Path) -> None:
    with Image.open(src) as im:
        im.convert("RGB").resize((max(1, im.width // 2), max(1, im.height // 2)),
                                 Image.Resampling.LANCZOS).save(dst, quality=90)


def _jpeg40(src: Path, dst: Path) -> None:
    with Image.open(src) as im:
        im.convert("RGB").save(dst, quality=40)


def _crop90(src: Path, dst: Path) -> None:
    with Image.open(src) as im:
        w, h = im.size
        dx, dy = round(w * 0.05), round(h * 0.05)
        im.convert("RGB").crop((dx, dy, w - dx, h - dy)).save(dst, quality=90)


def _bright(src: Path, dst: Path) -> None:
    with Image.open(src) as im:
        ImageEnhance.Brightness(im.convert("RGB")).enhance(1.15).save(dst, quality=90)


EDITS: dict[str, Edit] = {"half": _half, "jpeg40": _jpeg40, "crop90": _crop90,
                          "bright": _bright}


def make_set(folder: Path, every: int) -> dict[str, tuple[str, str]]:
    """The photos in ``folder``: ``{file name: (original's stem, edit or "original")}``."""
    folder.mkdir(parents=True)
    truth: dict[str, tuple[str, str]] = {}
    for n, src in enumerate(sorted(COCO.glob("*.jpg"))):
        shutil.copy(src, folder / src.name)
        truth[src.name] = (src.stem, "original")
        if n % every == 0:
            for name, edit in EDITS.items():
                out = f"{src.stem}-{name}.jpg"
                edit(src, folder / out)
                truth[out] = (src.stem, name)
    return truth


def score(groups: list[list[str]], truth: dict[str, tuple[str, str]]) -> dict[str, float]:
    """Pairwise figures of ``groups`` (file names) against ``truth``."""
    family: dict[str, list[str]] = {}
    for name, (stem, _) in truth.items():
        family.setdefault(stem, []).append(name)
    true_pairs = {frozenset(p) for members in family.values()
                  for p in itertools.combinations(members, 2)}
    found = {frozenset(p) for g in groups for p in itertools.combinations(g, 2)}
    hit = found & true_pairs
    out = {"found": len(found), "true": len(true_pairs),
           "precision": len(hit) / len(found) if found else 1.0,
           "recall": len(hit) / len(true_pairs) if true_pairs else 1.0,
           "false_groups": sum(len({truth[n][0] for n in g}) > 1 for g in groups),
           "groups": len(groups), "largest": max((len(g) for g in groups), default=0)}
    for edit in EDITS:
        edited = [n for n, (_, e) in truth.items() if e == edit]
        wanted = {frozenset((n, f"{truth[n][0]}.jpg")) for n in edited}
        with_edit = {p for p in found if any(truth[n][1] == edit for n in p)}
        out[f"recall_{edit}"] = len(wanted & found) / len(wanted) if wanted else 1.0
        out[f"precision_{edit}"] = (len(with_edit & true_pairs) / len(with_edit)
                                    if with_edit else 1.0)
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--model", default=None,
                        help="a model id (default: the shapes test model, user:shapes-openclip)")
    parser.add_argument("--models-from", type=Path,
                        help="a data folder whose models folder holds --model's weights")
    parser.add_argument("--every", type=int, default=2, help="edit every n-th photo")
    parser.add_argument("--thresholds",
                        default="0.85,0.90,0.92,0.94,0.95,0.96,0.97,0.98,0.99,0.995,0.998")
    args = parser.parse_args()
    from clipdesk.core.engine import Engine
    from clipdesk.paths import DataPaths

    work = Path(tempfile.mkdtemp(prefix="clipdesk-dupq-"))
    paths = DataPaths(work / "data").ensure()
    if args.models_from is not None:
        shutil.rmtree(paths.model_dir, ignore_errors=True)
        paths.model_dir.symlink_to((args.models_from / "models").resolve())
        model_id = args.model
    else:
        from tests.fixtures.train_test_models import import_test_models

        openclip, _ = import_test_models(paths)
        model_id = args.model or openclip.model_id
    engine = Engine(paths)
    engine.settings.device = "cpu"
    truth = make_set(work / "photos", args.every)
    started = time.perf_counter()
    engine.index([work / "photos"], model_id=model_id)
    indexed = time.perf_counter() - started
    thresholds = [float(t) for t in args.thresholds.split(",")]
    started = time.perf_counter()
    scan = engine.scan_duplicates(model_id, min(thresholds))
    searched = time.perf_counter() - started
    edited = sum(e != "original" for _, e in truth.values())
    print(f"model {model_id}: {len(truth)} photos ({len(truth) - edited} originals, {edited} "
          f"edited copies of every {args.every}th), indexed in {indexed:.0f} s; one neighbour "
          f"search at {min(thresholds)} in {searched:.2f} s kept {scan.pair_count} pairs")
    head = (f"{'threshold':>9} {'groups':>6} {'false':>5} {'largest':>7} {'precision':>9} "
            f"{'recall':>6}  "
            + "  ".join(f"{e + ' R/P':>13}" for e in EDITS))
    print(head)
    for t in thresholds:
        started = time.perf_counter()
        groups = [[scan.photos[i].path.name for i in g.file_ids] for g in scan.groups(t)]
        derived = time.perf_counter() - started
        s = score(groups, truth)
        per_edit = "  ".join(f"{s[f'recall_{e}']:>6.2f}/{s[f'precision_{e}']:<6.2f}"
                             for e in EDITS)
        print(f"{t:>9.3f} {s['groups']:>6} {s['false_groups']:>5} {s['largest']:>7} "
              f"{s['precision']:>9.3f} "
              f"{s['recall']:>6.3f}  {per_edit}   ({derived * 1000:.1f} ms from the pairs)")


if __name__ == "__main__":
    main()
