"""A unit's callback receiver that is down, then slow (answers after the 5 s client timeout), then back: every decision
is recorded at once (sign-off is not held up), and each is delivered, correctly signed, once the receiver answers."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator

import pytest
from sqlalchemy import select

from reviewer.accounts import manage as accounts
from reviewer.store.models import CallbackDelivery
from reviewer.workflow.callbacks import signature
from tests.reliability._helpers import FaultWorker, Receiver, figures, open_db, terminal
from tests.services import Stack, wait_for

pytestmark = pytest.mark.integration
SQLITE_ONLY = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
TEXT = "本局2025年共办理政府信息公开申请十二件，均已按时答复。"


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    try:
        yield r
    finally:
        r.stop()


@SQLITE_ONLY
def test_decisions_survive_a_dead_then_slow_callback_receiver(stack: Stack, receiver: Receiver) -> None:
    db = open_db(stack.database_url, stack.data_dir)
    try:
        with db.session() as s:
            secret = accounts.set_callback(s, accounts.get_unit(s, "U1"), receiver.url)  # registered, but nobody listens
        w = FaultWorker(stack.env, stack.log_dir, name="cb")
        stack.workers.append(w)
        w.start()
        decisions = {"approve": "cb-approve", "return": "cb-return", "reject": "cb-reject"}
        signed_in: list[float] = []
        with stack.client("cms1") as cms, stack.client("rev1") as rev:
            items = {}
            for decision, ext in decisions.items():
                item = cms.post("/api/v1/items", json={"external_id": ext, "content": f"{TEXT}{ext}"}).json()
                full = terminal(rev, item["id"])
                assert full["state"] == "awaiting_review", full
                disp = [{"finding_id": f["id"], "disposition": "false_positive", "reason": "公开信息"} for f in full["findings"]]
                started = time.monotonic()
                r = rev.post(f"/api/v1/items/{item['id']}/review",
                             json={"content_sha256": item["content_sha256"], "decision": decision, "findings": disp})
                signed_in.append(time.monotonic() - started)
                assert r.status_code == 200, r.text
                items[item["id"]] = decision
            # The decisions are recorded while the receiver is down.
            for item_id, decision in items.items():
                state = cms.get(f"/api/v1/items/{item_id}").json()["state"]
                assert state == {"approve": "approved", "return": "returned", "reject": "rejected"}[decision]

        def deliveries() -> list[CallbackDelivery]:
            with db.session() as s:
                rows = list(s.execute(select(CallbackDelivery).order_by(CallbackDelivery.id)).scalars())
                s.expunge_all()
                return rows

        wait_for(lambda: all(d.attempts >= 2 and d.last_error for d in deliveries()) and len(deliveries()) == 3, 60, 0.2,
                 what="failed attempts against the dead receiver")
        failed_while_down = sum(d.attempts for d in deliveries())
        assert all(d.status == "pending" for d in deliveries())

        receiver.delay = 6.0  # slower than the sender's 5 s timeout
        receiver.start()
        before = {d.id: d.attempts for d in deliveries()}
        wait_for(lambda: receiver.started_requests >= 1 and any(d.attempts > before[d.id] for d in deliveries()), 60, 0.2,
                 what="a timed-out attempt against the slow receiver")
        assert all(d.status == "pending" for d in deliveries())
        slow_timeouts = sum(d.attempts for d in deliveries()) - failed_while_down

        receiver.delay = 0.0  # back to normal
        wait_for(lambda: all(d.status == "delivered" for d in deliveries()), 120, 0.3, what="every decision delivered")
        got = {}
        for delivery_id, body, sig in receiver.received:
            assert sig == "sha256=" + signature(secret or "", body)
            got[int(delivery_id)] = json.loads(body)
        rows = deliveries()
        assert {d.id for d in rows} <= set(got), "a delivery marked delivered never reached the receiver"
        assert sorted((p["item_id"], p["decision"]) for p in got.values()) == sorted(items.items())
    finally:
        db.dispose()
    assert max(signed_in) < 5.0, f"sign-off waited on the callback: {signed_in}"
    figures("callback_down_then_slow", decisions=len(items), failed_attempts_while_down=failed_while_down,
            timed_out_attempts_while_slow=slow_timeouts, delivered=len(rows), lost=0,
            duplicate_deliveries_received=len(receiver.received) - len(got), max_signoff_latency_s=round(max(signed_in), 2))
