"""LibraryAccess: one shared reader, writers one at a time (queued, not refused), listeners."""

from __future__ import annotations

import threading
import time

import pytest

from clipdesk.core.errors import StoreLocked
from clipdesk.core.jobs import Cancelled, CancelToken
from clipdesk.core.store.access import LibraryAccess
from clipdesk.core.store.lock import WriterLock
from clipdesk.core.types import Progress, Stage
from clipdesk.paths import DataPaths


def test_the_reader_is_opened_once_and_reopened_after_close(data_paths: DataPaths) -> None:
    access = LibraryAccess(data_paths)
    first = access.reader()
    assert access.reader() is first
    access.close_reader()
    second = access.reader()
    assert second is not first
    access.close()


def test_a_writer_tells_the_listeners_when_it_closes_even_after_an_error(
    data_paths: DataPaths,
) -> None:
    access = LibraryAccess(data_paths)
    heard: list[str] = []
    access.add_listener(lambda: heard.append("a"))

    def broken() -> None:
        raise RuntimeError("a listener's bug")

    access.add_listener(broken)  # logged, does not stop the others or the job
    with access.writer() as lib:
        lib.add_root(data_paths.root / "photos")
    assert heard == ["a"]
    with pytest.raises(ValueError), access.writer():
        raise ValueError("the job failed half-way")
    assert heard == ["a", "a"]
    access.remove_listener(broken)
    access.remove_listener(broken)  # twice is harmless
    assert [r.path for r in access.reader().roots()] == [data_paths.root / "photos"]


def test_wait_s_zero_refuses_at_once_when_another_process_writes(data_paths: DataPaths) -> None:
    access = LibraryAccess(data_paths, wait_s=0)
    with WriterLock(data_paths.lock_file), pytest.raises(StoreLocked, match="already writing"):
        access.when_free(lambda: WriterLock(data_paths.lock_file).acquire())


def test_a_queued_writer_reports_waiting_once_and_proceeds_when_the_holder_leaves(
    data_paths: DataPaths,
) -> None:
    access = LibraryAccess(data_paths)
    seen: list[Progress] = []
    holder = WriterLock(data_paths.lock_file).acquire()  # stands for another process
    threading.Timer(0.7, holder.release).start()
    started = time.monotonic()
    with access.writer(progress=seen.append) as lib:
        lib.add_root(data_paths.root / "photos")
    assert time.monotonic() - started >= 0.5
    waiting = [p for p in seen if p.stage is Stage.WAITING]
    assert len(waiting) == 1
    assert waiting[0].current.isdigit()  # the holder's pid, for the sentence the person sees


def test_a_queued_writer_can_be_cancelled(data_paths: DataPaths) -> None:
    access = LibraryAccess(data_paths)
    token = CancelToken()
    with WriterLock(data_paths.lock_file):
        threading.Timer(0.3, token.cancel).start()
        with pytest.raises(Cancelled), access.writer(token):
            pytest.fail("the writer must not open while the lock is held")


def test_writing_jobs_of_one_process_take_turns(data_paths: DataPaths) -> None:
    access = LibraryAccess(data_paths)
    order: list[str] = []
    second_waiting = threading.Event()

    def second() -> None:
        def progress(p: Progress) -> None:
            if p.stage is Stage.WAITING:
                second_waiting.set()

        with access.writer(progress=progress):
            order.append("second")

    with access.writer():
        thread = threading.Thread(target=second)
        thread.start()
        assert second_waiting.wait(5)  # queued behind this one, not refused
        order.append("first")
    thread.join(5)
    assert order == ["first", "second"]


def test_a_turn_waiting_in_this_process_can_be_cancelled(data_paths: DataPaths) -> None:
    access = LibraryAccess(data_paths)
    token = CancelToken()
    with access.turn():
        token.cancel()
        with pytest.raises(Cancelled), access.turn(token):
            pytest.fail("two turns at once")


def test_exclusive_closes_the_reader_and_holds_its_reopening_back(data_paths: DataPaths) -> None:
    """While a backup takes the library file's place, a read waits; after it, a read opens the
    new file, and the listeners hear of the change."""
    access = LibraryAccess(data_paths)
    old = access.reader()
    heard: list[str] = []
    access.add_listener(lambda: heard.append("changed"))
    opened: list[object] = []
    with access.exclusive():
        with pytest.raises(StoreLocked):  # the writer lock is held too
            WriterLock(data_paths.lock_file).acquire()
        reading = threading.Thread(target=lambda: opened.append(access.reader()))
        reading.start()
        reading.join(0.5)
        assert reading.is_alive() and opened == []  # held back
        assert heard == []
    reading.join(5)
    assert opened and opened[0] is not old
    assert heard == ["changed"]
