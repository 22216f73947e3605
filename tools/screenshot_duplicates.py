"""Screenshots of the duplicates review (Library ▸ Find duplicates…) in the real window.

    xvfb-run -a -s "-screen 0 1700x1100x24" python tools/screenshot_duplicates.py --out docs \
        --size 1600x1000 --lang zh_CN --suffix=-zh
    xvfb-run -a -s "-screen 0 1700x1100x24" python tools/screenshot_duplicates.py --out docs \
        --size 1024x700 --lang en --suffix=-en-1024

Copies 40 coco-mini photos and makes, for some of them, what a library collects: a byte-for-byte
copy, a half-size copy, a JPEG re-saved at quality 40, a 90% centre crop and a brightened copy.
Indexes them with the trained shapes test model (tests/fixtures/models; it knows drawn shapes,
not photos, so which edits it groups is its own), opens the review at the threshold given
(default 0.95) and saves ``screenshot-duplicates<suffix>.png`` (the review at ``--size``).
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
COCO = REPO.parent / "shared" / "photos" / "coco-mini" / "images"


def main() -> int:
    sys.path.insert(0, str(REPO))
    from tools.screenshot_panels import open_window, screenshot_parser, shapes_engine

    parser = screenshot_parser()
    parser.add_argument("--threshold", type=float, default=0.95)
    args = parser.parse_args()
    chinese = args.lang == "zh_CN"
    sys.path.insert(0, str(REPO / "benchmarks"))
    from bench_duplicate_quality import EDITS

    engine, model, work = shapes_engine("duplicates", chinese)
    engine.save_settings()
    folder = work / ("照片" if chinese else "Photos")
    folder.mkdir()
    sources = sorted(COCO.glob("*.jpg"))[60:100]
    for n, src in enumerate(sources):
        shutil.copy(src, folder / src.name)
        if n % 5 == 0:
            name, edit = list(EDITS.items())[(n // 5) % len(EDITS)]
            edit(src, folder / f"{src.stem}-{name}.jpg")
        if n % 9 == 0:
            shutil.copy(src, folder / f"{src.stem} (copy).jpg")
    engine.index([folder])

    app, pump = open_window(engine, args.lang, args.size, model.model_id)
    width, height = (int(v) for v in args.size.split("x"))
    dialog = app.window.open_duplicates()
    dialog.resize(width, height)
    scanned: list[bool] = []
    dialog.scanned.connect(lambda: scanned.append(True))
    pump(120, lambda: bool(scanned))
    dialog.set_threshold(args.threshold)
    dialog.rebuild()
    pump(6, lambda: dialog.loader.pending() == 0)
    pump(1)
    args.out.mkdir(parents=True, exist_ok=True)
    out = args.out / f"screenshot-duplicates{args.suffix}.png"
    dialog.grab().save(str(out))
    print("saved", out.name, "groups:", len(dialog.groups))
    dialog.close()
    app.shutdown()
    return 0


if __name__ == "__main__":
    sys.exit(main())
