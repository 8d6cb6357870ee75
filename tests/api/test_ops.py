"""Monitoring with the real services: `/api/v1/health` reports each component and answers 503 when one is down
(no worker for a queue, the worker stopped, Redis stopped); `/metrics` is Prometheus text with queue depths, waits per
unit, scans per minute and the oldest item awaiting review. Before, health answered 200 {"status": "ok"} whenever the
database did — with every worker and Redis gone."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import pytest

from tests.services import Stack, fresh_sqlite_url, wait_for

pytestmark = pytest.mark.integration

SAMPLE = re.compile(r'^[a-zA-Z_:][a-zA-Z0-9_:]*(\{[a-zA-Z_][a-zA-Z0-9_]*="[^"\n]*"(,[a-zA-Z_][a-zA-Z0-9_]*="[^"\n]*")*\})? -?\d+(\.\d+)?$')


def _health(stack: Stack) -> tuple[int, dict]:  # type: ignore[type-arg]
    assert stack.api is not None
    r = httpx.get(stack.api.url + "/api/v1/health", timeout=15)
    return r.status_code, r.json()


def _metrics(stack: Stack) -> dict[str, float]:
    assert stack.api is not None
    r = httpx.get(stack.api.url + "/metrics", timeout=15)
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/plain")
    values: dict[str, float] = {}
    for line in r.text.splitlines():
        if line.startswith("#"):
            assert re.match(r"^# (HELP|TYPE) [a-z_]+ \S", line), line
            continue
        assert SAMPLE.match(line), f"not Prometheus text: {line!r}"
        name, value = line.rsplit(" ", 1)
        values[name] = float(value)
    return values


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_health_and_metrics_follow_the_components(stack: Stack) -> None:
    code, body = _health(stack)  # no worker yet
    assert code == 503 and body["status"] == "degraded"
    parts = body["components"]
    assert parts["database"]["ok"] and parts["redis"]["ok"] and not parts["workers"]["ok"]
    assert parts["render"]["ok"], parts["render"]  # this machine has every engine (scripts/setup.sh)
    assert all(n == 0 for n in parts["workers"]["queues"].values()) and "render" in parts["workers"]["detail"]

    partial = stack.worker(queues="celery")  # one queue served, two not
    code, body = _health(stack)
    queues = body["components"]["workers"]["queues"]
    assert code == 503 and queues["celery"] == 1 and queues["scan_large"] == 0 and queues["render"] == 0
    assert "scan_large" in body["components"]["workers"]["detail"]
    assert "celery" not in body["components"]["workers"]["detail"].split("：", 1)[1].split("（")[0]

    stack.worker(queues="scan_large,render")
    code, body = _health(stack)
    assert code == 200 and body["status"] == "ok", body

    with stack.client("cms1") as cms:
        item = cms.post("/api/v1/items", json={"external_id": "ops-1", "content": "本件标注机密★5年，请核实。"}).json()
        wait_for(lambda: cms.get(f"/api/v1/items/{item['id']}").json()["state"] not in ("queued", "scanning"), 60, 0.2,
                 what="scan")
    values = _metrics(stack)
    assert values['reviewer_up{component="database"}'] == 1 and values['reviewer_up{component="redis"}'] == 1
    assert {f'reviewer_queue_depth{{queue="{q}"}}' for q in ("celery", "scan_large", "render")} <= set(values)
    assert values['reviewer_unit_awaiting_review{unit="U1"}'] == 1
    assert values['reviewer_unit_wait_seconds{unit="U1"}'] >= 0 and "reviewer_oldest_awaiting_review_seconds" in values
    assert values["reviewer_scans_last_minute"] >= 1 and values["reviewer_audit_events_total"] >= 3
    assert not any(k for k in values if "机密" in k)  # counts only, never draft text

    partial.stop()  # the celery queue loses its only worker
    code, body = _health(stack)
    assert code == 503 and body["components"]["workers"]["queues"]["celery"] == 0

    stack.redis.stop()
    try:
        code, body = _health(stack)
        assert code == 503 and not body["components"]["redis"]["ok"] and "Redis" in body["components"]["redis"]["detail"]
        assert body["seconds"] < 10  # bounded: a dead component makes the answer 503, not a hung request
        assert _metrics(stack)['reviewer_up{component="redis"}'] == 0
    finally:
        stack.redis.start()


def test_metrics_token(tmp_path: Path) -> None:
    from fastapi.testclient import TestClient

    from reviewer.api.app import create_app
    from reviewer.settings import Settings

    url = fresh_sqlite_url(tmp_path / "db")
    settings = Settings.from_env({"REVIEWER_DATA_DIR": str(tmp_path / "data"), "REVIEWER_DATABASE_URL": url,
                                  "REVIEWER_REDIS_URL": "redis://127.0.0.1:1/0", "REVIEWER_METRICS_TOKEN": "s3cret-metrics"})

    class Null:
        def scan_item(self, item_id: int) -> None: ...
        def deliver_callback(self, delivery_id: int) -> None: ...
        def rescan_released(self, item_id: int) -> None: ...

    with TestClient(create_app(settings, enqueuer=Null())) as client:
        assert client.get("/metrics").status_code == 401
        assert client.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 401
        ok = client.get("/metrics", headers={"Authorization": "Bearer s3cret-metrics"})
        assert ok.status_code == 200 and 'reviewer_up{component="redis"} 0' in ok.text
        health = client.get("/api/v1/health")  # Redis on port 1: down, and said so
        assert health.status_code == 503 and not health.json()["components"]["redis"]["ok"]
