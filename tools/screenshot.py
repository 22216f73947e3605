"""Take a screenshot of the real clipdesk window with search results (for the README).

Run under a real X server, e.g.::

    xvfb-run -s "-screen 0 1500x950x24" python tools/screenshot.py \
        --photos ../shared/photos/coco-mini/images --checkpoint W --config C.json \
        --query "一只狗" --lang zh_CN --out docs/screenshot.png

It imports the model (a user checkpoint, as a person would), indexes the folder with the real
indexer, opens the real main window, types the query, waits for the grid and its thumbnails, and
saves the window as PNG. ``--tab`` picks another panel (``tagging``, ``evaluation``).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--photos", type=Path, required=True)
    parser.add_argument("--checkpoint", type=Path, required=True)
    parser.add_argument("--config", type=Path)
    parser.add_argument("--name", default="screenshot-model")
    parser.add_argument("--query", default="a dog")
    parser.add_argument("--lang", default="en")
    parser.add_argument("--tab", default="text")
    parser.add_argument("--size", default="1400x900")
    parser.add_argument("--data-dir", type=Path)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()

    from clipdesk.core.engine import Engine
    from clipdesk.paths import DataPaths

    data_dir = args.data_dir or Path(tempfile.mkdtemp(prefix="clipdesk-shot-"))
    engine = Engine(DataPaths(data_dir))
    slug = f"user:{args.name}"
    try:
        info = engine.registry.get(slug)
    except Exception:
        info = engine.registry.import_model(args.checkpoint, config=args.config, name=args.name)
    engine.settings.model_id = info.model_id
    engine.settings.device = "cpu"
    engine.save_settings()
    encoder = engine.encoder(info.model_id)
    with engine.library(write=True) as library:
        engine.indexer(library, encoder).run([args.photos.resolve()])

    from PySide6.QtCore import QCoreApplication, QEventLoop, QTimer

    from clipdesk.app import ClipdeskApp

    app = ClipdeskApp(["clipdesk", "--data-dir", str(data_dir), "--lang", args.lang])
    width, height = (int(v) for v in args.size.split("x"))
    app.window.resize(width, height)
    app.show()
    app.start_background()

    def pump(seconds: float) -> None:
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            QCoreApplication.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 50)
            time.sleep(0.02)

    deadline = time.monotonic() + 120
    while app.context.encoder_if_ready(info.model_id) is None and time.monotonic() < deadline:
        pump(0.2)
    window = app.window
    if args.tab == "text":
        window.text_panel.set_query_text(args.query)
    tabs = {"text": window.text_panel, "image": window.image_panel}
    for name, attr in (("tagging", "tagging_panel"), ("evaluation", "evaluation_panel")):
        if hasattr(window, attr):
            tabs[name] = getattr(window, attr)
    panel = tabs[args.tab]
    parent = panel.parentWidget()
    while parent is not None and not hasattr(parent, "setCurrentWidget"):
        parent = parent.parentWidget()
    if parent is not None:
        parent.setCurrentWidget(panel)
    pump(6.0)  # search, then thumbnails off the GUI thread
    QTimer.singleShot(0, lambda: None)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    ok = window.grab().save(str(args.out))
    print(f"saved {args.out}: {ok}")
    app.shutdown()
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
