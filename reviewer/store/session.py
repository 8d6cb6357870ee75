"""Engine and session setup for both databases.

SQLite (the embedded default): WAL journal, a busy timeout, foreign keys on, and every transaction opened with
`BEGIN IMMEDIATE` so that writers queue on the database lock instead of failing with a stale read snapshot
(workflow transitions read, then write); the threads of one process first queue on an in-process lock, and read-only
sessions (`Database.read_factory`, used for authentication) take no write lock. PostgreSQL: row locks
(`SELECT … FOR UPDATE`) and advisory locks.

`Database` bundles the engine, the session factory and the runtime wiring (settings, the enqueuer) that workflow
functions reach through `session.info` — so the API, the pages and the workers all call the same functions."""

from __future__ import annotations

import hashlib
import os
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import QueuePool

AFTER_COMMIT = "after_commit_callbacks"


def is_sqlite(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


def make_engine(url: str, *, pool_size: int = 5) -> Engine:
    if is_sqlite(url):
        database = make_url(url).database
        if database and database != ":memory:":
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            url,
            connect_args={"timeout": 30, "check_same_thread": False, "isolation_level": None},
            # Keep connections open: closing the last connection of a WAL database checkpoints it (milliseconds each).
            poolclass=QueuePool,
            pool_size=pool_size,
            max_overflow=10,
        )
        event.listen(engine, "connect", _sqlite_on_connect)
        if database and database != ":memory:":
            event.listen(engine, "connect", lambda *_: _private_files(database))
        event.listen(engine, "begin", _sqlite_on_begin)
        _release_writer_after_end(engine)
        return engine
    return create_engine(url, pool_size=pool_size, max_overflow=10, pool_pre_ping=True, pool_recycle=1800)


def _sqlite_on_connect(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    # No busy handler: in WAL mode with BEGIN IMMEDIATE only BEGIN can meet a lock, and _sqlite_on_begin polls for it
    # in sub-millisecond steps (SQLite's own handler sleeps 5…100 ms per step, which dominated latency under load).
    cursor.execute("PRAGMA busy_timeout=0")
    cursor.close()


def _private_files(database: str) -> None:
    """The database and its -wal/-shm files hold every draft: owner-only (0600), whatever the umask was."""
    for suffix in ("", "-wal", "-shm"):
        path = database + suffix
        try:
            if os.stat(path).st_mode & 0o077 and os.stat(path).st_uid == os.geteuid():
                os.chmod(path, 0o600)
        except OSError:
            continue


SQLITE_LOCK_WAIT_SECONDS = 30.0
READ_ONLY = "reviewer_read_only"
_writer_locks: dict[tuple[int, str], threading.Lock] = {}
_writer_locks_guard = threading.Lock()
_holders: dict[int, threading.Lock] = {}  # id(DBAPI connection) -> the writer lock its open transaction holds


def _writer_lock(conn: Any) -> threading.Lock:
    """One in-process writer queue per database file and process (keyed by pid: a forked child starts afresh)."""
    key = (os.getpid(), str(conn.engine.url))
    with _writer_locks_guard:
        return _writer_locks.setdefault(key, threading.Lock())


def _sqlite_on_begin(conn: Any) -> None:
    # The driver's own transaction handling is off (isolation_level=None).
    if conn.get_execution_options().get(READ_ONLY):
        # A read-only unit of work (authentication): a deferred BEGIN reads a WAL snapshot without the write lock.
        conn.exec_driver_sql("BEGIN")
        return
    # Writers take the write lock up front (BEGIN IMMEDIATE). Threads of this process first queue on an in-process
    # lock, held until the COMMIT/ROLLBACK has run: they then wait blocked (the holder keeps the GIL and the CPU)
    # instead of all polling SQLite; only other processes are polled for. The in-process lock is a queue, not the
    # guarantee: SQLite's own write lock still serialises every writer.
    deadline = time.monotonic() + SQLITE_LOCK_WAIT_SECONDS
    dbapi_connection = conn.connection.dbapi_connection
    writer = _writer_lock(conn)
    if not writer.acquire(timeout=SQLITE_LOCK_WAIT_SECONDS):
        raise OperationalError("BEGIN IMMEDIATE", {}, Exception("database is locked (in-process writer queue)"))
    _holders[id(dbapi_connection)] = writer
    pause = 0.0002
    try:
        while True:
            try:
                conn.exec_driver_sql("BEGIN IMMEDIATE")
                return
            except OperationalError as exc:
                if "locked" not in str(exc.orig) and "busy" not in str(exc.orig) or time.monotonic() > deadline:
                    raise
                time.sleep(pause)
                pause = min(pause * 1.5, 0.005)
    except BaseException:
        _release(dbapi_connection)
        raise


def _release(connection: Any, *_: Any) -> None:
    # the dialect's do_commit/do_rollback get the pool's proxy, the pool events the DBAPI connection itself
    dbapi_connection = getattr(connection, "dbapi_connection", connection)
    writer = _holders.pop(id(dbapi_connection), None)
    if writer is not None:
        writer.release()


def _release_writer_after_end(engine: Engine) -> None:
    """Release the in-process writer lock once the transaction has really ended: after the DBAPI COMMIT/ROLLBACK
    (the Connection "commit"/"rollback" events fire before them), and whenever the pool checks in, closes or
    invalidates the connection (a leaked lock would stall this process)."""
    dialect = engine.dialect
    do_commit, do_rollback = dialect.do_commit, dialect.do_rollback

    def commit(dbapi_connection: Any) -> None:
        try:
            do_commit(dbapi_connection)
        finally:
            _release(dbapi_connection)

    def rollback(dbapi_connection: Any) -> None:
        try:
            do_rollback(dbapi_connection)
        finally:
            _release(dbapi_connection)

    dialect.do_commit = commit  # type: ignore[method-assign]
    dialect.do_rollback = rollback  # type: ignore[method-assign]
    for name in ("checkin", "close", "invalidate", "close_detached", "detach"):
        event.listen(engine.pool, name, _release)


def lock(session: Session, key: str) -> None:
    """Serialise a critical section across processes for the rest of the transaction.
    PostgreSQL: a transaction-scoped advisory lock; SQLite: the transaction already holds the write lock."""
    bind = session.get_bind()
    if bind.dialect.name == "postgresql":
        number = int.from_bytes(hashlib.sha256(key.encode()).digest()[:8], "big", signed=True)
        session.execute(text("SELECT pg_advisory_xact_lock(:n)"), {"n": number})


def on_commit(session: Session, callback: Callable[[], None]) -> None:
    """Run `callback` after this session's transaction commits (dropped on rollback).
    Used to enqueue Celery tasks only once the row they refer to is durable."""
    session.info.setdefault(AFTER_COMMIT, []).append(callback)


def _after_commit(session: Session) -> None:
    callbacks = session.info.pop(AFTER_COMMIT, [])
    for callback in callbacks:
        callback()


def _after_rollback(session: Session) -> None:
    session.info.pop(AFTER_COMMIT, None)


class Database:
    """Engine + session factory. `info` is shallow-copied into every session's `Session.info`."""

    def __init__(self, url: str, *, info: dict[str, Any] | None = None, pool_size: int = 5) -> None:
        self.url = url
        self.engine = make_engine(url, pool_size=pool_size)
        self.factory = sessionmaker(self.engine, expire_on_commit=False, info=dict(info or {}))
        # Read-only units of work (no writes, no enqueues): on SQLite they do not take the write lock.
        self.read_factory = sessionmaker(self.engine.execution_options(**{READ_ONLY: True}), expire_on_commit=False, info=dict(info or {}))
        event.listen(self.factory, "after_commit", _after_commit)
        event.listen(self.factory, "after_soft_rollback", lambda s, _t: _after_rollback(s))

    @property
    def info(self) -> dict[str, Any]:
        return self.factory.kw["info"]

    @contextmanager
    def session(self) -> Iterator[Session]:
        """One unit of work: commits on success, rolls back on error."""
        session = self.factory()
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

    @contextmanager
    def read_session(self) -> Iterator[Session]:
        """A read-only unit of work (no writes; on SQLite no write lock). Always rolled back."""
        session = self.read_factory()
        try:
            yield session
        finally:
            session.rollback()
            session.close()

    def dispose(self) -> None:
        self.engine.dispose()
