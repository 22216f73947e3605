"""One writer per data folder, across processes; a killed writer's lock is recovered."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from clipdesk.core.errors import StoreError, StoreLocked
from clipdesk.core.store import Library
from clipdesk.core.store.lock import WriterLock, read_holder_pid
from clipdesk.paths import DataPaths

REPO = Path(__file__).resolve().parents[3]

_CHILD = textwrap.dedent("""
    import sys, time
    from clipdesk.core.errors import StoreLocked
    from clipdesk.core.store import Library
    from clipdesk.paths import DataPaths
    paths = DataPaths.resolve(sys.argv[1])
    mode = sys.argv[2]
    try:
        lib = Library.open(paths, write=(mode != "read"))
    except StoreLocked as exc:
        print("LOCKED:", exc, flush=True)
        sys.exit(3)
    if mode == "read":
        print("READ:", lib.stats().photos, flush=True)
        sys.exit(0)
    print("WRITING", flush=True)
    if mode == "hold":
        time.sleep(600)
    lib.close()
""")


def _child(data_dir: Path, mode: str) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.Popen([sys.executable, "-c", _CHILD, str(data_dir), mode], cwd=REPO,
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _run(data_dir: Path, mode: str) -> tuple[int, str]:
    proc = _child(data_dir, mode)
    out, err = proc.communicate(timeout=120)
    return proc.returncode, out + err


def test_a_second_writer_process_is_refused_with_our_pid(data_paths: DataPaths) -> None:
    with Library.open(data_paths, write=True):
        code, out = _run(data_paths.root, "write")
    assert code == 3, out
    assert f"pid {os.getpid()}" in out
    assert "already writing" in out and str(data_paths.root) in out


def test_readers_in_other_processes_work_while_a_writer_holds_the_lock(
    data_paths: DataPaths,
) -> None:
    with Library.open(data_paths, write=True):
        code, out = _run(data_paths.root, "read")
    assert code == 0 and "READ: 0" in out, out


def test_the_lock_is_free_again_after_the_writer_closes(data_paths: DataPaths) -> None:
    Library.open(data_paths, write=True).close()
    code, out = _run(data_paths.root, "write")
    assert code == 0 and "WRITING" in out, out


@pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL is POSIX")
def test_the_lock_of_a_killed_writer_is_recovered(data_paths: DataPaths) -> None:
    holder = _child(data_paths.root, "hold")
    try:
        assert holder.stdout is not None
        assert holder.stdout.readline().strip() == "WRITING"
        with pytest.raises(StoreLocked, match=f"pid {holder.pid}"):
            Library.open(data_paths, write=True)
        holder.send_signal(signal.SIGKILL)
        holder.wait(timeout=60)
    finally:
        if holder.poll() is None:
            holder.kill()
            holder.wait()
    assert read_holder_pid(data_paths.lock_file) == holder.pid  # the dead pid is still written
    with Library.open(data_paths, write=True) as lib:  # ... but the OS released its lock
        assert lib.writable
        assert read_holder_pid(data_paths.lock_file) == os.getpid()


def test_a_second_writer_in_the_same_process_is_refused(data_paths: DataPaths) -> None:
    with Library.open(data_paths, write=True), pytest.raises(StoreLocked):
        Library.open(data_paths, write=True)


def test_lock_object_acquires_and_releases(tmp_path: Path) -> None:
    lock = WriterLock(tmp_path / "w.lock")
    with lock:
        assert lock.held and read_holder_pid(lock.path) == os.getpid()
        with pytest.raises(StoreLocked):
            WriterLock(tmp_path / "w.lock").acquire()
    assert not lock.held
    with WriterLock(tmp_path / "w.lock") as again:
        assert again.held


def test_a_reader_cannot_write(data_paths: DataPaths) -> None:
    with Library.open(data_paths) as lib:
        assert not lib.writable
        with pytest.raises(StoreError, match="reading only"):
            lib.add_root(data_paths.root / "photos")
