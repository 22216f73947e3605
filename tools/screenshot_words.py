"""Screenshots of searching by the words in photos (OCR), in the real window.

    xvfb-run -a -s "-screen 0 1700x1100x24" python tools/screenshot_words.py --out docs \
        --size 1600x1000 --lang zh_CN --suffix=-zh
    xvfb-run -a -s "-screen 0 1700x1100x24" python tools/screenshot_words.py --out docs \
        --size 1024x700 --lang en --suffix=-en-1024

Copies 40 coco-mini photos and draws a sign of words on six of them (a receipt's 增值税发票, an
EXIT sign, …), indexes them with the trained shapes test model (tests/fixtures/models) with
"Read the text in photos" on (the real OCR), then searches the text panel for 发票 (Chinese) or
EXIT (English) with "Also find photos showing them", and opens the first photo in the loupe.
Saves ``screenshot-words<suffix>.png`` (the window) and ``screenshot-words-preview<suffix>.png``
(the loupe with the boxes). The test model knows shapes, not street scenes, so the picture
ranking is noise here: the photos showing the words come first by their text alone.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
COCO = REPO.parent / "shared" / "photos" / "coco-mini" / "images"
SIGNS = ["增值税发票 No.2024", "EMERGENCY EXIT", "停车场 P", "发票专用章", "EXIT →", "OPEN 营业中"]


def main() -> int:
    sys.path.insert(0, str(REPO))
    from tools.screenshot_panels import open_window, screenshot_parser, shapes_engine

    parser = screenshot_parser()
    args = parser.parse_args()
    chinese = args.lang == "zh_CN"
    engine, model, work = shapes_engine("words", chinese)
    from clipdesk.core.search import PhotoText
    from tests.fixtures.signs import draw_sign

    engine.settings.read_text = True
    engine.save_settings()
    folder = work / ("照片" if chinese else "Photos")
    folder.mkdir()
    sources = sorted(COCO.glob("*.jpg"))[20:60]
    for n, src in enumerate(sources):
        if n % 7 == 3 and n // 7 < len(SIGNS):
            draw_sign(src, folder / src.name, SIGNS[n // 7], at=(40, 60 + (n % 3) * 90))
        else:
            shutil.copy(src, folder / src.name)
    engine.index([folder])

    app, pump = open_window(engine, args.lang, args.size, model.model_id)
    width, height = (int(v) for v in args.size.split("x"))
    window = app.window
    panel = window.text_panel
    window.tabs.setCurrentWidget(panel)
    panel.set_photo_text(PhotoText.FUSE)
    finished: list[bool] = []
    panel.searchFinished.connect(lambda: finished.append(True))
    panel.set_query_text("发票" if chinese else "EXIT")
    pump(60, lambda: bool(finished))
    pump(4)
    args.out.mkdir(parents=True, exist_ok=True)
    window.grab().save(str(args.out / f"screenshot-words{args.suffix}.png"))
    dialog = panel.view.open_preview(panel.view.model().index(0, 0))
    assert dialog is not None
    dialog.resize(min(width, 1200), min(height, 800))
    pump(5)
    dialog.grab().save(str(args.out / f"screenshot-words-preview{args.suffix}.png"))
    dialog.close()
    print("saved", sorted(p.name for p in args.out.glob(f"screenshot-words*{args.suffix}.png")))
    app.shutdown()
    return 0


if __name__ == "__main__":
    sys.exit(main())
