"""Decode worker processes: crashes, hangs, start failures, cancels and killed parents."""

from __future__ import annotations

import itertools
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from clipdesk.core.errors import PipelineError
from clipdesk.core.indexer import Indexer
from clipdesk.core.jobs import CancelToken
from clipdesk.core.pipeline.geometry import PixelSpec, Resize
from clipdesk.core.pipeline.pool import DecodePool
from clipdesk.core.pipeline.worker import FileResult, FileTask, WorkerConfig
from clipdesk.core.store import Library
from clipdesk.core.thumbnails import ThumbnailCache
from clipdesk.core.types import IndexReport, Progress, Stage
from clipdesk.paths import DataPaths
from tests.conftest import REPO_ROOT
from tests.core.fakes import FakeEncoder, colour, make_photos, write_image
from tests.core.pipeline.workers import (
    DIE_ENV,
    LOG_ENV,
    SLOW_ENV,
    TURN_ENV,
    events,
    faulty_worker,
    spying_worker,
)

SPEC = PixelSpec((Resize((16, 16), 2),), 16, 16, (0.0, 0.0, 0.0), (1.0, 1.0, 1.0))
GONE_WITHIN_S = 20.0  # how long dead workers may take to disappear (a liveness bound)


@pytest.fixture
def worker_log(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    log = tmp_path / "worker-events.jsonl"
    monkeypatch.setenv(LOG_ENV, str(log))
    return log


def alive(pid: int) -> bool:
    """Whether ``pid`` runs (a zombie waiting for a reaper counts as ended)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    except OSError:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        return True
    return stat.rsplit(")", 1)[-1].split()[0] != "Z"


def wait_until_gone(pids: list[int]) -> list[int]:
    deadline = time.monotonic() + GONE_WITHIN_S
    while time.monotonic() < deadline:
        left = [p for p in pids if alive(p)]
        if not left:
            return []
        time.sleep(0.1)
    return [p for p in pids if alive(p)]


def index(data_paths: DataPaths, folder: Path, encoder: Any = None, *,
          token: CancelToken | None = None, progress: Any = None,
          **kwargs: Any) -> IndexReport:
    kwargs.setdefault("worker_target", faulty_worker)
    kwargs.setdefault("decode_workers", 2)
    with Library.open(data_paths, write=True) as lib:
        thumbs = ThumbnailCache(data_paths.thumbnail_dir, size=64)
        indexer = Indexer(lib, encoder or FakeEncoder(), thumbnails=thumbs, batch_size=3,
                          **kwargs)
        return indexer.run([folder], token=token, progress=progress)


def test_a_crashing_decoder_costs_that_file_only(
    data_paths: DataPaths, tmp_path: Path, worker_log: Path
) -> None:
    folder = tmp_path / "photos"
    make_photos(folder, 7)
    write_image(folder / "segfault.png", colour(40))
    report = index(data_paths, folder)
    assert (report.embedded, report.skipped) == (7, 1)
    ((path, reason),) = report.errors
    assert path.name == "segfault.png"
    assert "crashed" in reason and "SIGSEGV" in reason
    pids = [v for e, v in events(worker_log) if e == "pid"]
    assert len(pids) >= 3  # the crashed worker was replaced
    with Library.open(data_paths) as lib:
        (skipped,) = lib.skipped_files()
        assert skipped.path.name == "segfault.png" and skipped.size > 0  # not retried ...
    again = index(data_paths, folder)
    assert (again.embedded, again.skipped, again.unchanged) == (0, 0, 8)  # ... until it changes
    assert not [p for p in pids if alive(p)]


def test_a_file_that_never_finishes_decoding_is_given_up(
    data_paths: DataPaths, tmp_path: Path, worker_log: Path
) -> None:
    folder = tmp_path / "photos"
    make_photos(folder, 4)
    write_image(folder / "hang.png", colour(41))
    report = index(data_paths, folder, file_timeout_s=3.0)  # normal files take milliseconds
    assert (report.embedded, report.skipped) == (4, 1)
    ((path, reason),) = report.errors
    assert path.name == "hang.png" and reason == "decoding took longer than 3 s"
    assert not wait_until_gone([v for e, v in events(worker_log) if e == "pid"])


def test_workers_that_cannot_start_stop_the_run_with_a_sentence(
    data_paths: DataPaths, tmp_path: Path, worker_log: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "photos"
    make_photos(folder, 3)
    monkeypatch.setenv(DIE_ENV, "1")
    with pytest.raises(PipelineError, match=r"could not start .*exit code 3"):
        index(data_paths, folder)
    with Library.open(data_paths) as lib:  # no file was blamed for it
        assert lib.stats().skipped == 0 and lib.stats().photos == 0
    monkeypatch.delenv(DIE_ENV)
    assert index(data_paths, folder).embedded == 3


def test_no_worker_is_left_after_a_cancel(
    data_paths: DataPaths, tmp_path: Path, worker_log: Path
) -> None:
    folder = tmp_path / "photos"
    make_photos(folder, 30)
    token = CancelToken()

    def cancel_early(p: Progress) -> None:
        if p.stage is Stage.EMBEDDING and p.done >= 3:
            token.cancel()

    report = index(data_paths, folder, token=token, progress=cancel_early,
                   worker_target=spying_worker)
    assert report.cancelled and 3 <= report.embedded < 30
    pids = [v for e, v in events(worker_log) if e == "pid"]
    assert len(pids) == 2
    assert not [p for p in pids if alive(p)]  # stopped and reaped before run() returned


def test_no_worker_outlives_a_killed_app(tmp_path: Path, worker_log: Path) -> None:
    folder = tmp_path / "photos"
    make_photos(folder, 200)
    script = tmp_path / "indexing.py"
    script.write_text(textwrap.dedent("""
        import sys, time
        from pathlib import Path
        from clipdesk.core.indexer import Indexer
        from clipdesk.core.store import Library
        from clipdesk.paths import DataPaths
        from tests.core.fakes import FakeEncoder
        from tests.core.pipeline.workers import spying_worker

        class Slow(FakeEncoder):
            def encode_pixels(self, pixels, token=None):
                time.sleep(0.5)
                return super().encode_pixels(pixels, token)

        if __name__ == "__main__":
            paths = DataPaths(Path(sys.argv[1])).ensure()
            with Library.open(paths, write=True) as lib:
                Indexer(lib, Slow(), batch_size=2, decode_workers=3,
                        worker_target=spying_worker).run([Path(sys.argv[2])])
    """), encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    app = subprocess.Popen([sys.executable, str(script), str(tmp_path / "data"), str(folder)],
                           cwd=REPO_ROOT, env=env)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            seen = events(worker_log)
            if sum(e == "pid" for e, _ in seen) == 3 and any(e == "open" for e, _ in seen):
                break
            assert app.poll() is None, "the indexing process ended early"
            time.sleep(0.1)
        else:
            pytest.fail("the workers did not start")
        app.send_signal(signal.SIGKILL)
        app.wait()
    finally:
        if app.poll() is None:
            app.kill()
    pids = [v for e, v in events(worker_log) if e == "pid"]
    assert not wait_until_gone(pids), "decode workers outlived the killed app"


# -- the pool alone ------------------------------------------------------------------------------


def _pool(tasks: list[FileTask], *, workers: int = 2, slots: int = 4, **kwargs: Any) -> DecodePool:
    config = WorkerConfig(spec=SPEC, min_side=16, max_pixels=None, thumbnails=None)
    return DecodePool(config, iter(tasks), workers=workers, slots=slots,
                      target=faulty_worker, **kwargs)


def test_results_come_in_completion_order_and_slots_come_back(
    tmp_path: Path, worker_log: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(SLOW_ENV, "4")  # far longer than the other worker takes to start
    files = make_photos(tmp_path, 6)
    slow = write_image(tmp_path / "slow.png", colour(50))
    tasks = [FileTask(0, str(slow))] + [FileTask(i + 1, str(f)) for i, f in enumerate(files)]
    with _pool(tasks, workers=2, slots=4) as pool:
        results: list[FileResult] = []
        while len(results) < len(tasks):
            result = pool.get(timeout=30)
            assert result.pixels and result.slot is not None and 0 <= result.slot < 4
            pixels = pool.pixels(result.slot)
            assert pixels.shape == (16, 16, 3) and (pixels == pixels[0, 0]).all()
            results.append(result)
            pool.release(result.slot)  # four slots serve seven files
    order = [r.task_id for r in results]
    assert sorted(order) == list(range(7))
    assert order[0] != 0  # the slow file did not hold the others up


def test_a_retry_decodes_on_the_cpu(tmp_path: Path, worker_log: Path) -> None:
    (photo,) = make_photos(tmp_path, 1)
    with _pool([FileTask(7, str(photo))], workers=1) as pool:
        first = pool.get(timeout=30)
        pool.release(first.slot)
        assert first.task is not None and not first.task.cpu_only
        pool.retry(first.task)
        second = pool.get(timeout=30)
        assert second.task_id == 7 and second.task is not None and second.task.cpu_only
        assert second.pixels and np.array_equal(pool.pixels(second.slot or 0)[0, 0],
                                                np.array(colour(0), dtype=np.uint8))


def test_closing_frees_the_shared_memory(tmp_path: Path, worker_log: Path) -> None:
    from multiprocessing import shared_memory

    pool = _pool([FileTask(0, str(make_photos(tmp_path, 1)[0]))]).start()
    name = pool.config.shm_name
    assert name is not None
    pool.get(timeout=30)
    pool.close()
    pool.close()  # idempotent
    with pytest.raises(FileNotFoundError):
        shared_memory.SharedMemory(name=name)


def test_without_enough_shared_memory_pixels_come_through_the_pipes(
    data_paths: DataPaths, tmp_path: Path, worker_log: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A small /dev/shm (a default Docker container) must not look like crashing decoders."""
    import errno

    folder = tmp_path / "photos"
    make_photos(folder, 7)
    reference = DataPaths(tmp_path / "reference").ensure()
    assert index(reference, folder).embedded == 7

    def no_room(fd: int, offset: int, size: int) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "posix_fallocate", no_room, raising=False)
    shared = []
    real = DecodePool.start

    def start(self: DecodePool) -> DecodePool:
        shared.append(self.shared)
        return real(self)

    monkeypatch.setattr(DecodePool, "start", start)
    report = index(data_paths, folder)
    assert shared == [False]
    assert (report.embedded, report.skipped) == (7, 0)
    with Library.open(data_paths) as lib, Library.open(reference) as ref:
        ours = {p.path.name: v for p, v in _vectors(lib)}
        theirs = {p.path.name: v for p, v in _vectors(ref)}
    assert ours.keys() == theirs.keys()
    assert all(np.array_equal(ours[k], theirs[k]) for k in ours)


def _vectors(lib: Library) -> list[tuple[Any, np.ndarray]]:
    photos = lib.photos(lib.file_ids())
    vectors = lib.vector_map("fake:histogram", list(photos))
    return [(photos[i], v) for i, v in vectors.items()]


def test_huge_pictures_decode_one_at_a_time_and_a_crash_passes_the_turn_on(
    data_paths: DataPaths, tmp_path: Path, worker_log: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Memory stays bounded: a picture that needs more than ``huge_bytes`` to decode waits for
    its turn, one at a time in the whole pool; a worker dying in its turn does not block it."""
    from PIL import Image

    folder = tmp_path / "photos"
    make_photos(folder, 4)
    for i in range(4):  # 1.2 MP RGB: about 9 MB to decode with its working copy
        Image.new("RGB", (1200, 1000), colour(60 + i)).save(folder / f"big{i}.png")
    Image.new("RGB", (1200, 1000), (9, 9, 9)).save(folder / "big-crash-in-turn.png")
    monkeypatch.setenv(TURN_ENV, "0.3")  # long enough that turns would overlap if they could
    with Library.open(data_paths, write=True) as lib:
        indexer = Indexer(lib, FakeEncoder(), batch_size=3, decode_workers=3,
                          worker_target=faulty_worker, file_timeout_s=60)
        indexer.pipeline.huge_bytes = 4 << 20
        report = indexer.run([folder])
    assert (report.embedded, report.skipped) == (8, 1)
    ((path, reason),) = report.errors
    assert path.name == "big-crash-in-turn.png" and "crashed" in reason
    open_turns: dict[int, float] = {}
    turns: list[tuple[float, float]] = []
    for event, (pid, at) in ((e, v) for e, v in events(worker_log) if e.startswith("turn")):
        if event == "turn-in":
            open_turns[pid] = at
        else:
            turns.append((open_turns.pop(pid), at))
    assert len(turns) == 4 and len(open_turns) == 1  # the crashed one never ended its turn
    (crashed_at,) = open_turns.values()
    turns.sort()
    assert all(a[1] <= b[0] for a, b in itertools.pairwise(turns)), turns
    assert not any(start < crashed_at < end for start, end in turns)
