"""Reading the text in photos: photos per second with and without text (prints figures).

    python benchmarks/bench_ocr.py [--photos 159] [--workers 0]

Two sets of the same real photos (coco-mini, 640 px JPEGs): as they are (street scenes, food,
animals: a few show small real text), and with a sign of Chinese and English words drawn on
each. Each set is read by the real "read text" stage (``clipdesk.core.ocr.runner.read_text``:
PP-OCRv4 through ONNX Runtime in the decode pool's worker processes, readings committed to
``text.sqlite3``), from a cold start (worker start and model load included). Prints photos/s for
each set, the ratio, how many photos showed text, and whether every drawn word was found.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from clipdesk.core.hashing import sha256_stream
from clipdesk.core.ocr.match import parse_words
from clipdesk.core.ocr.runner import read_text, worker_split
from clipdesk.core.ocr.store import TextStore

COCO = Path(__file__).resolve().parents[2] / "shared" / "photos" / "coco-mini" / "images"
WORDS = ["发票", "出口", "收据", "EXIT", "OPEN", "SALE", "停车场", "HOTEL"]


class Photos:
    """What the runner asks of a library: the photos to read, by id."""

    def __init__(self, paths: list[Path]) -> None:
        self.rows = []
        for n, path in enumerate(paths, start=1):
            with path.open("rb") as fp:
                self.rows.append((n, path, sha256_stream(fp)))

    def hashed_photos(self, after: int, limit: int, root_ids: object
                      ) -> list[tuple[int, Path, str]]:
        return [r for r in self.rows if r[0] > after][:limit]

    def known_hashes(self, hashes: list[str]) -> set[str]:
        return {r[2] for r in self.rows} & set(hashes)


def measure(paths: list[Path], folder: Path, workers: int) -> tuple[float, int, TextStore]:
    store = TextStore(folder / "text.sqlite3")
    started = time.perf_counter()
    report = read_text(Photos(paths), store, workers=workers)  # type: ignore[arg-type]
    seconds = time.perf_counter() - started
    assert report.read + report.failed == len(paths), report
    return seconds, report.with_text, store


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--photos", type=int, default=159)
    parser.add_argument("--workers", type=int, default=0, help="0: the app's default")
    args = parser.parse_args()
    if not COCO.is_dir():
        sys.exit(f"needs the coco-mini photos at {COCO}")
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from tests.fixtures.signs import draw_sign

    sources = sorted(COCO.glob("*.jpg"))[: args.photos]
    processes, threads = worker_split(args.workers)
    print(f"{len(sources)} photos (640 px JPEG), {processes} worker processes x {threads} "
          f"threads, {os.cpu_count()} cores")
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        signed = root / "signed"
        signed.mkdir()
        drawn = {}
        for n, src in enumerate(sources):
            word = WORDS[n % len(WORDS)]
            dest = signed / f"{n:04d}.jpg"
            draw_sign(src, dest, f"{word} No.{n:03d}", at=(40, 40 + (n % 5) * 60), size=36)
            drawn[dest] = word
        (root / "a").mkdir()
        (root / "b").mkdir()
        plain_s, plain_text, _ = measure(sources, root / "a", args.workers)
        sign_s, sign_text, store = measure(sorted(drawn), root / "b", args.workers)
        found = sum(1 for dest, word in drawn.items()
                    if any(h == sha for h, _ in store.find(parse_words(word))
                           for sha in [Photos([dest]).rows[0][2]]))
        plain_rate, sign_rate = len(sources) / plain_s, len(drawn) / sign_s
        print(f"photos as they are: {plain_rate:.2f} photos/s ({plain_s:.1f} s; "
              f"{plain_text} show some text)")
        print(f"with a sign of words: {sign_rate:.2f} photos/s ({sign_s:.1f} s; "
              f"{sign_text} show text)")
        print(f"ratio without/with text: {plain_rate / sign_rate:.2f}x")
        print(f"drawn words found by search: {found} of {len(drawn)}")
        store.close()


if __name__ == "__main__":
    main()
