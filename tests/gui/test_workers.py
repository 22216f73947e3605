"""JobWorker, start/stop, AppContext tasks and model loading; the Qt binding's refcounting."""

from __future__ import annotations

import sys
import threading
import time
from typing import Any

import pytest
from PySide6.QtCore import QObject, Signal
from pytestqt.qtbot import QtBot

from clipdesk.core.errors import StoreError
from clipdesk.core.jobs import CancelToken, ProgressCallback
from clipdesk.core.types import Progress, Stage
from clipdesk.gui.context import ERROR, MISSING, READY, AppContext
from clipdesk.gui.workers import JobWorker, running_jobs, start_job, stop_job

MAIN = threading.get_ident()


def test_emit_keeps_references() -> None:
    """PySide6 6.12.0 drops a reference to True on every emit (fatal on Python < 3.12)."""

    class Emitter(QObject):
        ping = Signal(object)

    emitter = Emitter()
    before = sys.getrefcount(True)
    for i in range(200):
        emitter.ping.emit(i)
    assert sys.getrefcount(True) >= before - 5


def test_job_reports_on_the_gui_thread(qtbot: QtBot) -> None:
    def job(token: CancelToken, progress: ProgressCallback) -> str:
        for i in range(5):
            token.check()
            progress(Progress(Stage.EMBEDDING, i + 1, 5))
        return "ok"

    worker: JobWorker[str] = JobWorker(job, name="test", min_interval=0.0)
    seen: list[tuple[int, bool]] = []
    worker.progress.connect(lambda p: seen.append((p.done, threading.get_ident() == MAIN)))
    with qtbot.waitSignal(worker.finished, timeout=10_000) as blocker:
        start_job(worker)
    assert blocker.args == ["ok"]
    qtbot.waitUntil(lambda: not running_jobs())
    assert seen and all(on_main for _, on_main in seen)
    assert seen[-1][0] == 5


def test_progress_is_throttled_but_keeps_stage_changes_and_the_end(qtbot: QtBot) -> None:
    def job(token: CancelToken, progress: ProgressCallback) -> None:
        for i in range(200):
            progress(Progress(Stage.EMBEDDING, i + 1, 200))
        progress(Progress(Stage.DONE, 1, 1))

    worker: JobWorker[None] = JobWorker(job, min_interval=10.0)
    seen: list[Progress] = []
    worker.progress.connect(seen.append)
    with qtbot.waitSignal(worker.done, timeout=10_000):
        start_job(worker)
    assert [(p.stage, p.done) for p in seen] == [
        (Stage.EMBEDDING, 1), (Stage.EMBEDDING, 200), (Stage.DONE, 1)]


def test_errors_become_plain_sentences(qtbot: QtBot, caplog: pytest.LogCaptureFixture) -> None:
    def known(token: CancelToken, progress: ProgressCallback) -> None:
        raise StoreError("The library database is damaged.")

    def bug(token: CancelToken, progress: ProgressCallback) -> None:
        raise ZeroDivisionError("division by zero")

    for fn, expected in ((known, "The library database is damaged."), (bug, "Something")):
        worker: JobWorker[None] = JobWorker(fn)
        with qtbot.waitSignal(worker.failed, timeout=10_000) as blocker:
            start_job(worker)
        assert blocker.args[0].startswith(expected)
        assert "Traceback" not in blocker.args[0]
        assert worker.wait(5_000)
    assert "ZeroDivisionError" in caplog.text  # the traceback went to the log


def test_cancel_pause_and_stop_with_timeout(qtbot: QtBot) -> None:
    started = threading.Event()

    def job(token: CancelToken, progress: ProgressCallback) -> None:
        started.set()
        while True:
            token.check()
            time.sleep(0.005)

    worker: JobWorker[None] = JobWorker(job)
    cancelled: list[bool] = []
    worker.cancelled.connect(lambda: cancelled.append(True))
    start_job(worker)
    assert started.wait(5)
    worker.pause()
    assert worker.paused
    assert stop_job(worker, 5_000)  # a paused job is woken by the cancel
    qtbot.waitUntil(lambda: cancelled == [True], timeout=5_000)
    assert not worker.is_running()


def test_run_task_calls_back_on_the_gui_thread(qtbot: QtBot, app_context: AppContext) -> None:
    results: list[tuple[Any, bool]] = []
    app_context.run_task(lambda: threading.get_ident(),
                         lambda v: results.append((v != MAIN, threading.get_ident() == MAIN)))

    def fail() -> None:
        raise StoreError("No photos are indexed yet.")

    app_context.run_task(fail, lambda _v: results.append(("done", False)),
                         lambda message: results.append((message, threading.get_ident() == MAIN)))
    qtbot.waitUntil(lambda: len(results) == 2, timeout=10_000)
    assert (True, True) in results
    assert ("No photos are indexed yet.", True) in results


def test_model_loads_in_the_background(qtbot: QtBot, app_context: AppContext) -> None:
    model_id = app_context.current_model_id()
    states: list[str] = []
    app_context.encoderStateChanged.connect(lambda m, s: states.append(s))
    with qtbot.waitSignal(app_context.encoderStateChanged, timeout=60_000,
                          check_params_cb=lambda m, s: s in (READY, ERROR)):
        app_context.request_encoder(model_id)
    assert states[0] == "loading" and states[-1] == READY
    assert app_context.encoder_state(model_id) == (READY, "cpu")
    assert app_context.encoder_if_ready(model_id) is not None
    app_context.request_encoder(model_id)  # already loaded: nothing happens
    assert states[-1] == READY and len(states) == 2


def test_missing_model_state(qtbot: QtBot, app_context: AppContext) -> None:
    state, detail = app_context.encoder_state("cn_clip:ViT-B-16")
    assert state == MISSING and "clip_cn_vit-b-16.pt" in detail
    with qtbot.waitSignal(app_context.encoderStateChanged, timeout=5_000) as blocker:
        app_context.request_encoder("cn_clip:ViT-B-16")
    assert blocker.args == ["cn_clip:ViT-B-16", MISSING]
