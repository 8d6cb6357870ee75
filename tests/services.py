"""Real services for tests: a private redis-server, Celery worker processes, a uvicorn API server and fresh
databases (SQLite file, or a fresh PostgreSQL database on REVIEWER_TEST_POSTGRES_URL). Loaded as a pytest plugin from
tests/conftest.py. Everything binds to 127.0.0.1 on free ports and is stopped even when a test fails.

Helpers (import them, they are stable):
    free_port() -> int
    RedisServer(tmp_dir).start() / .stop() / .restart() / .flushall() / .url / .client()
    fresh_sqlite_url(tmp_dir) -> str            migrated SQLite database file
    fresh_postgres_url(base_url) -> str          CREATE DATABASE + migrate; drop_postgres(url) drops it
    service_env(database_url, redis_url, data_dir, **extra) -> dict   environment for subprocesses
    Worker(env, log_dir, name=…, pool="solo", concurrency=1).start() / .stop() / .kill()  (SIGKILL the whole group)
    ApiServer(env, log_dir).start() / .stop() / .url
    seed(database_url, data_dir) -> Seed         units, users (passwords) and tokens for the flow
    wait_for(predicate, timeout, interval) -> value

Fixtures:
    redis_server            (module) a running private redis-server
    database_url            (function) migrated database; parametrized over sqlite and postgresql
                            (postgresql skipped with a reason when REVIEWER_TEST_POSTGRES_URL is unset)
    sqlite_database_url     (function) migrated SQLite only
    stack                   (function) redis + database + data dir + seed + API server; start workers with
                            stack.worker() (stopped at teardown)
"""

from __future__ import annotations

import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest

REPO = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
T = TypeVar("T")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_for(predicate: Callable[[], T], timeout: float = 20.0, interval: float = 0.05, what: str = "condition") -> T:
    deadline = time.monotonic() + timeout
    last_error: BaseException | None = None
    while time.monotonic() < deadline:
        try:
            value = predicate()
            if value:
                return value
        except Exception as exc:  # noqa: BLE001 - polling a service that is still starting
            last_error = exc
        time.sleep(interval)
    raise TimeoutError(f"timed out waiting for {what}" + (f" (last error: {last_error!r})" if last_error else ""))


def _stop_process(proc: subprocess.Popen[bytes] | None, timeout: float = 10.0) -> None:
    if proc is None or proc.poll() is not None:
        return
    try:
        os.killpg(proc.pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    try:
        proc.wait(timeout)
    except subprocess.TimeoutExpired:
        _kill_group(proc)


def _kill_group(proc: subprocess.Popen[bytes]) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    proc.wait(10)


class RedisServer:
    """A private redis-server on a free loopback port, no persistence, files in `directory`."""

    def __init__(self, directory: Path, port: int | None = None) -> None:
        self.directory = Path(directory)
        self.port = port or free_port()
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def client(self) -> Any:
        import redis

        return redis.Redis(host="127.0.0.1", port=self.port, socket_connect_timeout=2)

    def start(self) -> RedisServer:
        binary = shutil.which("redis-server") or "/usr/bin/redis-server"
        self.directory.mkdir(parents=True, exist_ok=True)
        log = open(self.directory / "redis.log", "ab")  # noqa: SIM115 - handed to the child
        self.proc = subprocess.Popen(
            [binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
             "--dir", str(self.directory), "--protected-mode", "yes", "--daemonize", "no"],
            stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )
        log.close()
        wait_for(lambda: self.client().ping(), 10, what="redis-server")
        return self

    def stop(self) -> None:
        _stop_process(self.proc)
        self.proc = None

    def restart(self) -> None:
        self.stop()
        self.start()

    def flushall(self) -> None:
        self.client().flushall()


def fresh_sqlite_url(directory: Path) -> str:
    from reviewer.store.migrate import upgrade

    directory.mkdir(parents=True, exist_ok=True)
    url = f"sqlite:///{directory / f'reviewer-{secrets.token_hex(4)}.sqlite3'}"
    upgrade(url)
    return url


def fresh_postgres_url(base_url: str) -> str:
    """A new database on the server of `base_url` (the role needs CREATEDB), migrated."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url
    from sqlalchemy.pool import NullPool

    from reviewer.store.migrate import upgrade

    name = f"reviewer_t_{secrets.token_hex(6)}"
    admin = create_engine(base_url, isolation_level="AUTOCOMMIT", poolclass=NullPool)
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    url = make_url(base_url).set(database=name).render_as_string(hide_password=False)
    upgrade(url)
    return url


def drop_postgres(url: str) -> None:
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import DBAPIError
    from sqlalchemy.pool import NullPool

    parsed = make_url(url)
    admin = create_engine(parsed.set(database="postgres").render_as_string(hide_password=False), isolation_level="AUTOCOMMIT",
                          poolclass=NullPool)

    try:
        for attempt in range(5):
            try:
                with admin.connect() as conn:
                    # FORCE ends our own leftover sessions; an autovacuum worker in the database runs as the
                    # superuser, which a non-superuser role may not terminate (InsufficientPrivilege): then
                    # alternately a plain DROP (PostgreSQL cancels autovacuum itself), retried while it winds down
                    force = " WITH (FORCE)" if attempt % 2 == 0 else ""
                    conn.execute(text(f'DROP DATABASE IF EXISTS "{parsed.database}"{force}'))
                return
            except DBAPIError:
                if attempt == 4:
                    raise
                time.sleep(0.5 * (attempt + 1))
    finally:
        admin.dispose()


def service_env(database_url: str, redis_url: str, data_dir: Path, **extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        REVIEWER_DATABASE_URL=database_url, REVIEWER_REDIS_URL=redis_url, REVIEWER_DATA_DIR=str(data_dir),
        PYTHONPATH=str(REPO) + os.pathsep + env.get("PYTHONPATH", ""), PYTHONUNBUFFERED="1",
        # the tests' callback receivers listen on http://127.0.0.1: allowed explicitly, as an administrator would
        REVIEWER_CALLBACK_ALLOW_HTTP="1", REVIEWER_CALLBACK_ALLOW_HOSTS="127.0.0.1",
    )
    env.update(extra)
    # load tests and benchmarks send far more drafts per token than a CMS may (REVIEWER_SUBMIT_RATE); the limit's own
    # tests set it explicitly
    env.setdefault("REVIEWER_SUBMIT_RATE", "1000000/minute")
    return env


class Worker:
    """A real `celery -A workers.app worker` process (its own process group, so kill() takes the pool children too)."""

    def __init__(self, env: dict[str, str], log_dir: Path, name: str | None = None, pool: str = "solo", concurrency: int = 1,
                 queues: str | None = None) -> None:
        self.env = env
        self.queues = queues  # "-Q" (comma-separated); None: every queue
        self.name = name or f"w{secrets.token_hex(3)}"
        self.log_path = Path(log_dir) / f"worker-{self.name}.log"
        self.pool = pool
        self.concurrency = concurrency
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self, wait: bool = True) -> Worker:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        log = open(self.log_path, "ab")  # noqa: SIM115
        self.proc = subprocess.Popen(
            [PYTHON, "-m", "celery", "-A", "workers.app", "worker", f"--pool={self.pool}", "-c", str(self.concurrency),
             "-n", f"{self.name}@%h", "--loglevel=INFO", "--without-gossip", "--without-mingle", "--without-heartbeat",
             *(["-Q", self.queues] if self.queues else [])],
            cwd=REPO, env=self.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )
        log.close()
        if wait:
            wait_for(lambda: self._ready(), 60, 0.1, what=f"celery worker {self.name}")
        return self

    def _ready(self) -> bool:
        if self.proc is not None and self.proc.poll() is not None:
            raise RuntimeError(f"worker exited: {self.log()[-2000:]}")
        return "ready." in self.log()

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def stop(self) -> None:
        _stop_process(self.proc, timeout=15)

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            _kill_group(self.proc)


class ApiServer:
    """A real uvicorn process serving reviewer.api.app on a free loopback port."""

    def __init__(self, env: dict[str, str], log_dir: Path, port: int | None = None) -> None:
        self.env = env
        self.port = port or free_port()
        self.log_path = Path(log_dir) / f"api-{self.port}.log"
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> ApiServer:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        log = open(self.log_path, "ab")  # noqa: SIM115
        self.proc = subprocess.Popen(
            [PYTHON, "-m", "reviewer", "serve", "--host", "127.0.0.1", "--port", str(self.port)],
            cwd=REPO, env=self.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )
        log.close()

        def up() -> bool:
            if self.proc is not None and self.proc.poll() is not None:
                raise RuntimeError(f"API server exited: {self.log_path.read_text(errors='replace')[-2000:]}")
            # the API answers (503 too: a component it reports on, e.g. a worker, may not be running yet)
            r = httpx.get(self.url + "/api/v1/health", timeout=5)
            return r.status_code in (200, 503) and "components" in r.json()

        wait_for(up, 60, 0.1, what="API server")
        return self

    def stop(self) -> None:
        _stop_process(self.proc)


@dataclass
class Seed:
    """Two units (U1 policy revise with an officer, U2 policy officer), people and tokens; passwords are
    `<username>-password`. Both units accept one reviewer's approval of drafts whose author is unknown
    (unknown_author="reviewer"); tests/security/test_identity.py covers the default (officer co-signs)."""

    tokens: dict[str, str] = field(default_factory=dict)  # name -> bearer token


def seed(database_url: str, data_dir: Path) -> Seed:
    from reviewer.accounts import manage as accounts
    from reviewer.settings import Settings
    from reviewer.workflow.runtime import open_database

    settings = Settings.from_env({"REVIEWER_DATABASE_URL": database_url, "REVIEWER_DATA_DIR": str(data_dir)})
    db = open_database(settings)
    out = Seed()
    try:
        with db.session() as s:
            u1 = accounts.create_unit(s, "U1", "第一单位", unknown_author="reviewer")
            u2 = accounts.create_unit(s, "U2", "第二单位", block_policy="officer", unknown_author="reviewer")
            for name, unit, role in [
                ("rev1", "U1", "reviewer"), ("rev1b", "U1", "reviewer"), ("off1", "U1", "officer"), ("aud", "U1", "auditor"),
                ("rev2", "U2", "reviewer"), ("off2", "U2", "officer"), ("adm", "U1", "admin"),
            ]:
                user = accounts.create_user(s, name, unit, role, display_name=name.upper(), password=name + "-password")
                out.tokens[name] = accounts.create_token(s, user=user).token
            out.tokens["cms1"] = accounts.create_token(s, unit=u1, client_name="cms1").token
            out.tokens["cms2"] = accounts.create_token(s, unit=u2, client_name="cms2").token
    finally:
        db.dispose()
    return out


@dataclass
class Stack:
    redis: RedisServer
    database_url: str
    data_dir: Path
    log_dir: Path
    env: dict[str, str]
    seed: Seed
    api: ApiServer | None = None
    workers: list[Worker] = field(default_factory=list)

    def worker(self, **kw: Any) -> Worker:
        w = Worker(self.env, self.log_dir, **kw)
        self.workers.append(w)
        return w.start()

    def client(self, who: str) -> httpx.Client:
        assert self.api is not None
        return httpx.Client(base_url=self.api.url, headers={"Authorization": f"Bearer {self.seed.tokens[who]}"}, timeout=30)

    def stop(self) -> None:
        for w in self.workers:
            w.stop()
        if self.api is not None:
            self.api.stop()


# ---------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    server = RedisServer(tmp_path_factory.mktemp("redis")).start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def sqlite_database_url(tmp_path: Path) -> str:
    return fresh_sqlite_url(tmp_path / "db")


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield fresh_sqlite_url(tmp_path / "db")
        return
    base = os.environ.get("REVIEWER_TEST_POSTGRES_URL")
    if not base:
        pytest.skip("REVIEWER_TEST_POSTGRES_URL 未设置（scripts/test.sh 会启动 PostgreSQL 并设置它）")
    url = fresh_postgres_url(base)
    try:
        yield url
    finally:
        drop_postgres(url)


@pytest.fixture
def stack(redis_server: RedisServer, database_url: str, tmp_path: Path) -> Iterator[Stack]:
    """Redis + migrated database + seeded accounts + a running API server. Start workers with stack.worker()."""
    redis_server.flushall()
    data_dir = tmp_path / "data"
    env = service_env(database_url, redis_server.url, data_dir, REVIEWER_SWEEP_INTERVAL="1", REVIEWER_SWEEP_AFTER="3")
    st = Stack(redis_server, database_url, data_dir, tmp_path / "logs", env, seed(database_url, data_dir))
    try:
        st.api = ApiServer(env, st.log_dir).start()
        yield st
    finally:
        st.stop()
