"""Redis restarted, flushed or down while items are queued (real redis-server, real Celery worker): the row is committed
before the message is sent, and the sweeper in every worker re-sends whatever is still pending, so no item is lost."""

from __future__ import annotations

import time

import pytest

from tests.reliability._helpers import PENDING, FaultWorker, figures, open_db, scan_ledger, terminal
from tests.services import Stack

pytestmark = pytest.mark.integration
SQLITE_ONLY = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)  # Redis faults do not depend on the database

TEXT = "本局2025年共办理政府信息公开申请十二件，均已按时答复。"


def _submit(stack: Stack, prefix: str, n: int) -> list[int]:
    ids = []
    with stack.client("cms1") as cms:
        for i in range(n):
            r = cms.post("/api/v1/items", json={"external_id": f"{prefix}-{i}", "content": f"{TEXT}（{prefix}第{i}号）"})
            assert r.status_code == 201, r.text
            ids.append(r.json()["id"])
    return ids


def _assert_all_scanned_once(stack: Stack, ids: list[int]) -> int:
    db = open_db(stack.database_url, stack.data_dir)
    try:
        led = scan_ledger(db)
    finally:
        db.dispose()
    lost = [i for i in ids if led.states.get(i, "missing") in (*PENDING, "missing")]
    assert not lost, f"items lost: {lost}"
    assert all(led.states[i] == "awaiting_review" for i in ids), {i: led.states[i] for i in ids}
    assert all(led.scan_results[i] == 1 for i in ids), {i: led.scan_results[i] for i in ids}
    return len(lost)


@SQLITE_ONLY
def test_redis_restarted_and_down_while_items_are_queued(stack: Stack) -> None:
    queued = _submit(stack, "restart", 8)  # no worker yet: the messages sit in Redis
    assert stack.redis.client().llen("celery") >= 8
    stack.redis.restart()  # no persistence: every queued message is gone
    assert stack.redis.client().llen("celery") == 0

    stack.redis.stop()  # and while Redis is down, submissions still succeed: the row is what counts
    started = time.monotonic()
    down = _submit(stack, "down", 3)
    down_latency = (time.monotonic() - started) / 3
    stack.redis.start()

    with stack.client("cms1") as cms:
        assert all(cms.get(f"/api/v1/items/{i}").json()["state"] == "queued" for i in queued + down)
        w = FaultWorker(stack.env, stack.log_dir, name="after-restart")
        stack.workers.append(w)
        w.start()
        for i in queued + down:
            terminal(cms, i, timeout=90)
    lost = _assert_all_scanned_once(stack, queued + down)
    assert "补投：重新发送了" in w.log()
    figures("redis_restart", faults=["restart with 8 queued", "down during 3 submissions"], items=len(queued + down),
            items_lost=lost, submit_latency_while_redis_down_s=round(down_latency, 2))


@SQLITE_ONLY
def test_redis_flushed_while_a_worker_is_busy(stack: Stack) -> None:
    w = FaultWorker(stack.env, stack.log_dir, name="busy")
    stack.workers.append(w)
    w.start()
    ids = []
    flushes = 0
    for round_ in range(3):
        ids += _submit(stack, f"flush{round_}", 10)
        stack.redis.flushall()  # in the middle of the stream: some scanned, some queued, perhaps one in flight
        flushes += 1
    with stack.client("cms1") as cms:
        for i in ids:
            terminal(cms, i, timeout=120)
    lost = _assert_all_scanned_once(stack, ids)
    figures("redis_flushall", flushes=flushes, items=len(ids), items_lost=lost)


@SQLITE_ONLY
def test_redis_restarted_under_a_running_worker(stack: Stack) -> None:
    """The broker goes away under a consuming worker and comes back: the worker reconnects (or the sweeper of a
    worker re-sends), and what was queued before, during and after the outage is all scanned."""
    w = FaultWorker(stack.env, stack.log_dir, name="reconnect")
    stack.workers.append(w)
    w.start()
    ids = _submit(stack, "before", 6)
    stack.redis.stop()
    ids += _submit(stack, "during", 3)
    time.sleep(2)  # the worker notices the lost connection
    stack.redis.start()
    ids += _submit(stack, "after", 6)
    with stack.client("cms1") as cms:
        for i in ids:
            terminal(cms, i, timeout=120)
    assert w.proc is not None and w.proc.poll() is None, "the worker died with the broker"
    lost = _assert_all_scanned_once(stack, ids)
    figures("redis_restart_under_worker", items=len(ids), items_lost=lost, worker_survived=True)
