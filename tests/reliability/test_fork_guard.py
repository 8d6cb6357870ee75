"""A Celery prefork pool forks its children from the main process, where the sweeper thread writes to the database.
SQLite keeps a process's WAL locks in memory shared by its connections: a child forked while the sweeper held the
write lock inherits that state and can never write ("database is locked" on every task; found when the prefork
SIGKILL test failed in whole-suite runs: the replacement children were forked mid-sweep). workers/app.py makes every
fork wait for the sweeper's database work (FORK_GUARD, os.register_at_fork)."""

from __future__ import annotations

import os
import sqlite3
import threading
import time
from pathlib import Path

import pytest


def _fork_while_a_thread_writes(db: Path, guard: threading.Lock | None) -> int:
    """A thread holds SQLite's write lock (inside `guard` when given) while the main thread forks; the child opens a
    new connection and writes once the thread has committed. Returns the child's exit code (0: it wrote)."""
    setup = sqlite3.connect(db, isolation_level=None)
    setup.execute("PRAGMA journal_mode=WAL")
    setup.execute("CREATE TABLE IF NOT EXISTS t (x)")
    holding, done = threading.Event(), threading.Event()

    def sweeper() -> None:
        conn = sqlite3.connect(db, isolation_level=None, timeout=5)
        if guard is not None:
            guard.acquire()
        try:
            conn.execute("BEGIN IMMEDIATE")
            conn.execute("INSERT INTO t VALUES (1)")
            holding.set()
            time.sleep(0.5)
            conn.execute("COMMIT")
        finally:
            if guard is not None:
                guard.release()
            done.set()

    thread = threading.Thread(target=sweeper)
    thread.start()
    assert holding.wait(5)
    pid = os.fork()
    if pid == 0:  # the pool child
        code = 1
        try:
            time.sleep(0.8)  # the sweeper has committed by now
            conn = sqlite3.connect(db, isolation_level=None, timeout=2)
            conn.execute("BEGIN IMMEDIATE")
            conn.execute("INSERT INTO t VALUES (2)")
            conn.execute("COMMIT")
            code = 0
        finally:
            os._exit(code)
    thread.join(10)
    _pid, status = os.waitpid(pid, 0)
    setup.close()
    return os.waitstatus_to_exitcode(status)


def test_a_child_forked_while_the_sweeper_writes_can_never_write(tmp_path: Path) -> None:
    """The hazard itself (no guard): the child's writes fail although the parent committed long before."""
    assert _fork_while_a_thread_writes(tmp_path / "a.sqlite3", None) != 0


def test_the_workers_fork_guard_makes_the_fork_wait_for_the_sweeper(tmp_path: Path) -> None:
    pytest.importorskip("celery")
    from workers.app import FORK_GUARD

    assert _fork_while_a_thread_writes(tmp_path / "b.sqlite3", FORK_GUARD) == 0
