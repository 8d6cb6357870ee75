"""Engine and session setup for both databases.

SQLite (the embedded default): WAL journal, a busy timeout, foreign keys on, and every transaction opened with
`BEGIN IMMEDIATE` so that writers queue on the database lock instead of failing with a stale read snapshot
(workflow transitions read, then write). PostgreSQL: row locks (`SELECT … FOR UPDATE`) and advisory locks.

`Database` bundles the engine, the session factory and the runtime wiring (settings, the enqueuer) that workflow
functions reach through `session.info` — so the API, the pages and the workers all call the same functions."""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.engine import make_url
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
        event.listen(engine, "begin", _sqlite_on_begin)
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


SQLITE_LOCK_WAIT_SECONDS = 30.0


def _sqlite_on_begin(conn: Any) -> None:
    # The driver's own transaction handling is off (isolation_level=None); take the write lock up front.
    deadline = time.monotonic() + SQLITE_LOCK_WAIT_SECONDS
    pause = 0.0002
    while True:
        try:
            conn.exec_driver_sql("BEGIN IMMEDIATE")
            return
        except OperationalError as exc:
            if "locked" not in str(exc.orig) and "busy" not in str(exc.orig) or time.monotonic() > deadline:
                raise
            time.sleep(pause)
            pause = min(pause * 1.5, 0.005)


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

    def dispose(self) -> None:
        self.engine.dispose()
