"""The database unavailable during a submission: the client gets a clear 503 with a Chinese detail, nothing is
half-written (no item row, no audit event, no queue message) and the retried submission is idempotent.

PostgreSQL: the test's own database is closed to connections (`ALLOW_CONNECTIONS false` + its backends terminated)
under a running uvicorn API server, and separately made to fail in the middle of the submit transaction (after the
item row was inserted) with an operator-intervention error. A database on a closed port and an SQLite database path that
cannot be opened are tried in-process."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

from reviewer.api.app import create_app
from reviewer.settings import Settings
from reviewer.store.models import AuditEvent, Item
from tests.reliability._helpers import figures
from tests.services import Stack, free_port

pytestmark = pytest.mark.integration

DRAFT = {"external_id": "dbdown-1", "title": "通知", "content": "本局2025年共办理政府信息公开申请十二件。"}


def _admin(url: str):  # noqa: ANN202
    return create_engine(make_url(url).set(database="postgres"), isolation_level="AUTOCOMMIT", poolclass=NullPool)


def _block(url: str, allow: bool) -> None:
    name = make_url(url).database
    engine = _admin(url)
    with engine.connect() as conn:
        conn.execute(text(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS {"true" if allow else "false"}'))
        if not allow:
            conn.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :d AND pid <> pg_backend_pid()"),
                         {"d": name})
    engine.dispose()


def _rows(url: str, external_id: str) -> tuple[int, int]:
    engine = create_engine(url, poolclass=NullPool)
    with engine.connect() as conn:
        items = conn.execute(select(func.count()).select_from(Item).where(Item.external_id == external_id)).scalar_one()
        events = conn.execute(
            select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "submit", AuditEvent.data.contains(external_id))
        ).scalar_one()
    engine.dispose()
    return items, events


def _is_clear_503(r) -> bool:  # noqa: ANN001
    return r.status_code == 503 and "数据库" in r.json()["detail"] and not r.json()["detail"].isascii()


@pytest.fixture
def blockable(stack: Stack) -> Iterator[Stack]:
    if not stack.database_url.startswith("postgresql"):
        pytest.skip("blocking connections needs PostgreSQL (the SQLite variants run in-process below)")
    try:
        yield stack
    finally:
        _block(stack.database_url, allow=True)
        with _admin(stack.database_url).connect() as conn:
            conn.execute(text("SELECT 1"))


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_submission_while_database_refuses_connections(blockable: Stack) -> None:
    stack = blockable
    with stack.client("cms1") as cms:
        assert cms.get("/api/v1/me").status_code == 200  # the API's pool holds live connections
        _block(stack.database_url, allow=False)
        refused = [cms.post("/api/v1/items", json=DRAFT) for _ in range(3)]
        assert all(_is_clear_503(r) for r in refused), [(r.status_code, r.text) for r in refused]
        assert cms.get("/api/v1/health").status_code == 503
        _block(stack.database_url, allow=True)
        assert _rows(stack.database_url, DRAFT["external_id"]) == (0, 0), "a refused submission left rows behind"
        assert stack.redis.client().llen("celery") == 0, "a refused submission sent a queue message"
        first = cms.post("/api/v1/items", json=DRAFT)
        again = cms.post("/api/v1/items", json=DRAFT)
    assert first.status_code == 201 and first.json()["created"] is True, first.text
    assert again.status_code == 201 and again.json()["created"] is False and again.json()["id"] == first.json()["id"]
    assert _rows(stack.database_url, DRAFT["external_id"]) == (1, 1)
    figures("database_refuses_connections", database="postgresql", refused_submissions=len(refused), status=503,
            rows_left=0, retried_created=1, retried_again_idempotent=True)


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_database_fails_in_the_middle_of_the_submit_transaction(blockable: Stack) -> None:
    """After the item row is inserted, the audit insert fails as if the server were shutting down (SQLSTATE 57P03)."""
    stack = blockable
    engine = create_engine(stack.database_url, isolation_level="AUTOCOMMIT", poolclass=NullPool)
    with engine.connect() as conn:
        conn.execute(text("""
            CREATE FUNCTION fail_midway() RETURNS trigger AS $$
            BEGIN
              IF NEW.action = 'submit' AND NEW.data LIKE '%midway-%' THEN
                RAISE EXCEPTION 'the database went away' USING ERRCODE = '57P03';
              END IF;
              RETURN NEW;
            END $$ LANGUAGE plpgsql"""))
        conn.execute(text("CREATE TRIGGER fail_midway BEFORE INSERT ON audit_events FOR EACH ROW EXECUTE FUNCTION fail_midway()"))
    draft = dict(DRAFT, external_id="midway-1")
    try:
        with stack.client("cms1") as cms:
            refused = cms.post("/api/v1/items", json=draft)
            assert _is_clear_503(refused), (refused.status_code, refused.text)
            with engine.connect() as conn:
                conn.execute(text("DROP TRIGGER fail_midway ON audit_events"))
            assert _rows(stack.database_url, "midway-1") == (0, 0), "the item row outlived its failed transaction"
            assert stack.redis.client().llen("celery") == 0
            first, again = cms.post("/api/v1/items", json=draft), cms.post("/api/v1/items", json=draft)
    finally:
        with engine.connect() as conn:
            conn.execute(text("DROP TRIGGER IF EXISTS fail_midway ON audit_events"))
        engine.dispose()
    assert first.json()["created"] is True and again.json()["created"] is False and again.json()["id"] == first.json()["id"]
    assert _rows(stack.database_url, "midway-1") == (1, 1)
    figures("database_fails_mid_transaction", database="postgresql", status=refused.status_code, rows_left=0,
            retried_created=1)


@pytest.mark.parametrize("where", ["closed-port", "sqlite-unopenable"])
def test_unreachable_database_answers_503_in_chinese(where: str, tmp_path: Path) -> None:
    if where == "closed-port":
        url = f"postgresql+psycopg://reviewer:reviewer@127.0.0.1:{free_port()}/nowhere?connect_timeout=2"
    else:
        (tmp_path / "db-is-a-directory").mkdir()  # root ignores file modes; a directory cannot be opened as a database
        url = f"sqlite:///{tmp_path / 'db-is-a-directory'}"
    settings = Settings.from_env({"REVIEWER_DATABASE_URL": url, "REVIEWER_DATA_DIR": str(tmp_path / "data")})

    class Null:
        def scan_item(self, item_id: int) -> None: ...
        def deliver_callback(self, delivery_id: int) -> None: ...
        def rescan_released(self, item_id: int) -> None: ...

    app = create_app(settings, enqueuer=Null())
    with TestClient(app, raise_server_exceptions=False) as client:
        r = client.post("/api/v1/items", json=DRAFT, headers={"Authorization": "Bearer rvw_whatever"})
        health = client.get("/api/v1/health")
    assert _is_clear_503(r), (r.status_code, r.text)
    assert health.status_code == 503
    figures(f"database_unreachable_{where}", status=r.status_code, detail=r.json()["detail"])
