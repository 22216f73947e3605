"""Time from launch to the first paint of the main window (prints figures, asserts nothing).

    python benchmarks/bench_startup.py [--runs 5] [--platform offscreen|xcb]

Each run is a fresh interpreter (as a person launching ``clipdesk``): it measures the seconds
from process start to the window's first paint, and which heavy modules were loaded by then
(none should be: torch and the CLIP libraries load after the window shows).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile

PROBE = r"""
import time, sys, json
t0 = float(sys.argv[2])
from PySide6.QtCore import QEvent, QObject, QEventLoop
from clipdesk.app import ClipdeskApp
app = ClipdeskApp(["clipdesk", "--data-dir", sys.argv[1], "--lang", "en"])
out = {}
class Probe(QObject):
    def eventFilter(self, obj, event):
        if event.type() == QEvent.Type.Paint and "paint" not in out:
            out["paint"] = time.time() - t0
            out["heavy"] = [m for m in ("torch", "open_clip", "cn_clip", "faiss")
                            if m in sys.modules]
        return False
probe = Probe()
app.window.installEventFilter(probe)
app.show()
while "paint" not in out:
    app.qapp.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 10)
print(json.dumps(out))
app.window.close()
app.shutdown()
"""


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--platform", default=os.environ.get("QT_QPA_PLATFORM", "offscreen"))
    args = parser.parse_args()
    env = {**os.environ, "QT_QPA_PLATFORM": args.platform}
    times = []
    for i in range(args.runs):
        with tempfile.TemporaryDirectory() as data:
            import time

            result = subprocess.run(
                [sys.executable, "-c", PROBE, data, repr(time.time())],
                capture_output=True, text=True, env=env, timeout=120,
            )
        line = result.stdout.strip().splitlines()[-1] if result.stdout.strip() else "{}"
        out = json.loads(line)
        times.append(out.get("paint", float("nan")))
        print(f"run {i + 1}: first paint after {out.get('paint', float('nan')):.2f} s, "
              f"heavy modules loaded: {out.get('heavy')}")
    print(f"median {statistics.median(times):.2f} s, best {min(times):.2f} s "
          f"({args.platform}, {os.cpu_count()} cores)")


if __name__ == "__main__":
    main()
