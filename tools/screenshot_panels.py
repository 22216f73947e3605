"""Screenshots of the tagging and evaluation panels with the trained shapes test models.

    xvfb-run -s "-screen 0 1700x1100x24" python tools/screenshot_panels.py --out docs \
        --size 1600x1000 --lang zh_CN
    xvfb-run -s "-screen 0 1700x1100x24" python tools/screenshot_panels.py --out docs \
        --size 1024x700 --lang en --suffix=-en-1024

Imports the shapes test models (tests/fixtures/models) the way a person imports a checkpoint,
indexes a generated shapes folder, then drives the real panels: colour labels (Chinese with the
Chinese model, English with the English one) tagged with live preview, and an evaluation of
colour class folders (folder name = label). Saves ``screenshot-tagging<suffix>.png`` and
``screenshot-evaluation<suffix>.png`` (suffix ``-zh`` unless given), and
``screenshot-checked<suffix>.png``: the evaluation's hits checked by a vision-language model,
``--vlm FOLDER`` or else a tiny random-weight LLaVA from the tests (its answers are noise: the
picture shows the table, not a result).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
COLOURS_ZH = {"red": "红色", "blue": "蓝色", "green": "绿色", "yellow": "黄色", "purple": "紫色",
              "orange": "橙色"}


def screenshot_parser() -> argparse.ArgumentParser:
    """The options every screenshot tool takes: --out, --size, --lang, --suffix."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", type=Path, default=REPO / "docs")
    parser.add_argument("--size", default="1400x900")
    parser.add_argument("--lang", default="zh_CN", choices=["zh_CN", "en"])
    parser.add_argument("--suffix", default="-zh")
    return parser


def shapes_engine(prefix: str, chinese: bool) -> tuple[Any, Any, Path]:
    """``(engine, model, work folder)``: a fresh data folder in a temporary ``work`` folder with
    the trained shapes test models imported, the Chinese one (or the English one) current, on
    the CPU."""
    sys.path.insert(0, str(REPO))
    from clipdesk.core.engine import Engine
    from clipdesk.paths import DataPaths
    from tests.fixtures.train_test_models import import_test_models

    work = Path(tempfile.mkdtemp(prefix=f"clipdesk-{prefix}-"))
    engine = Engine(DataPaths(work / "data"))
    en, cn = import_test_models(engine.paths)
    model = cn if chinese else en
    engine.settings.model_id = model.model_id
    engine.settings.device = "cpu"
    return engine, model, work


def open_window(engine: Any, lang: str, size: str, model_id: str
                ) -> tuple[Any, Callable[..., None]]:
    """The real app over ``engine``'s data folder at ``size`` ("WxH"), in ``lang``, with
    ``model_id`` loaded; and ``pump(seconds, until=None)``, which runs its events."""
    from PySide6.QtCore import QCoreApplication, QEventLoop

    from clipdesk.app import ClipdeskApp

    app = ClipdeskApp(["clipdesk", "--data-dir", str(engine.paths.root), "--lang", lang])
    width, height = (int(v) for v in size.split("x"))
    app.window.resize(width, height)
    app.show()
    app.start_background()

    def pump(seconds: float, until: object = None) -> None:
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            QCoreApplication.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 50)
            if callable(until) and until():
                return
            time.sleep(0.02)

    pump(60, lambda: app.context.encoder_if_ready(model_id) is not None)
    return app, pump


def main() -> int:
    parser = screenshot_parser()
    parser.add_argument("--vlm", type=Path, help="a VLM folder for the checked table")
    args = parser.parse_args()
    chinese = args.lang == "zh_CN"
    names = COLOURS_ZH if chinese else {k: k for k in COLOURS_ZH}
    engine, model, work = shapes_engine("panels", chinese)
    from tests.fixtures.shapes import CLASSES, generate_folder

    engine.save_settings()
    library_dir = work / ("形状照片" if chinese else "Shapes")
    generate_folder(library_dir, 96, seed=11,
                    classes=[c.key for c in CLASSES if c.colour.key in COLOURS_ZH])
    dataset = work / ("颜色评估" if chinese else "Colour classes")
    for i, (key, name) in enumerate(names.items()):
        generate_folder(dataset / name, 12, seed=100 + i,
                        classes=[c.key for c in CLASSES if c.colour.key == key])
    with engine.library(write=True) as library:
        engine.indexer(library, engine.encoder(model.model_id)).run([library_dir])

    app, pump = open_window(engine, args.lang, args.size, model.model_id)
    window = app.window
    args.out.mkdir(parents=True, exist_ok=True)

    tagging = window.tagging_panel
    window.tabs.setCurrentWidget(tagging)
    pump(2)
    tagging.editor.set_labels_text("\n".join(names.values()))
    done: list[bool] = []
    tagging.scoresReady.connect(lambda: done.append(True))
    tagging.score_photos()
    pump(120, lambda: bool(done))
    tagging.show_tag(names["red"])
    pump(5)
    window.grab().save(str(args.out / f"screenshot-tagging{args.suffix}.png"))

    evaluation = window.evaluation_panel
    window.tabs.setCurrentWidget(evaluation)
    evaluation.set_dataset(dataset)
    evaluation.set_models([model.model_id])
    finished: list[object] = []
    evaluation.evaluationFinished.connect(finished.append)
    evaluation.start()
    pump(300, lambda: bool(finished))
    pump(3)
    window.grab().save(str(args.out / f"screenshot-evaluation{args.suffix}.png"))

    from tests.fixtures.tiny_vlm_models import build_tiny_vlm

    vlm = args.vlm or build_tiny_vlm(work / "tiny-llava", "llava", seed=5)
    view = evaluation.check_view
    evaluation.result_tabs.setCurrentWidget(view)
    view.picker.set_folder(str(vlm))
    checked: list[object] = []
    view.checkFinished.connect(checked.append)
    view.start()
    pump(300, lambda: bool(checked))
    pump(2)
    window.grab().save(str(args.out / f"screenshot-checked{args.suffix}.png"))
    print("saved", sorted(p.name for p in args.out.glob(f"screenshot-*{args.suffix}.png")))
    app.shutdown()
    return 0


if __name__ == "__main__":
    sys.exit(main())
