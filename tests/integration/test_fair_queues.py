"""One unit's hundred drafts cannot hold another unit's draft behind them (workflow/fairshare.py), with a real
redis-server, real Celery worker processes and the HTTP API: unit U1's CMS submits many drafts, then U2's CMS one;
U2's draft is scanned (and its render check run) after at most (worker processes + 1) of U1's, where the old FIFO
queues put it last."""

from __future__ import annotations

import base64

import httpx
import pytest
from sqlalchemy import select

from reviewer.store.models import AuditEvent, Item, RenderCheck
from tests.reliability._helpers import open_db
from tests.render import make as m
from tests.services import Stack, wait_for

pytestmark = pytest.mark.integration

PROCESSES = 1  # the worker below runs one task at a time: the bound is PROCESSES + 1 positions


def _submit(cms: httpx.Client, external_id: str, **extra: str) -> int:
    r = cms.post("/api/v1/items", json={"external_id": external_id, "title": "通知", **extra})
    assert r.status_code == 201, r.text
    return int(r.json()["id"])


def _state(client: httpx.Client, item_id: int) -> str:
    return str(client.get(f"/api/v1/items/{item_id}").json()["state"])


def test_another_units_draft_is_scanned_within_a_bounded_number_of_turns(stack: Stack) -> None:
    cms1, cms2 = stack.client("cms1"), stack.client("cms2")
    many = [_submit(cms1, f"a-{i}", content=f"本局召开第{i}次防汛工作会议。") for i in range(12)]
    one = _submit(cms2, "b-1", content="本单位开展防汛演练。")
    stack.worker(queues="celery,scan_large", concurrency=PROCESSES)  # starts with all thirteen waiting
    for item_id in [*many, one]:
        wait_for(lambda i=item_id: _state(cms2 if i == one else cms1, i) == "awaiting_review", 90, 0.2,
                 what=f"scan of {item_id}")
    db = open_db(stack.database_url, stack.data_dir)
    try:
        with db.session() as s:
            order = list(s.execute(select(AuditEvent.item_id).where(AuditEvent.action == "scan").order_by(AuditEvent.seq))
                         .scalars())
    finally:
        db.dispose()
    assert sorted(order) == sorted([*many, one])  # each draft scanned exactly once
    # FIFO scans it 13th; its unit's turn comes after at most one draft per worker process in flight
    assert order.index(one) <= PROCESSES, order


@pytest.mark.slow  # Chromium and OCR in a real worker (~40 s); the claim's order is also tested in tests/workflow
def test_another_units_render_check_runs_within_a_bounded_number_of_turns(stack: Stack) -> None:
    cms1, cms2 = stack.client("cms1"), stack.client("cms2")

    def html(external_id: str, text: str) -> dict[str, str]:
        return {"external_id": external_id, "file_name": "n.html",
                "content_base64": base64.b64encode(m.html(f"<p>{text}</p>")).decode()}

    scanner = stack.worker(queues="celery,scan_large")  # text scans only: every render check waits for its queue
    many = [_submit(cms1, **html(f"ra-{i}", f"第{i}次会议纪要")) for i in range(3)]
    for item_id in many:
        wait_for(lambda i=item_id: _state(cms1, i) == "awaiting_review", 90, 0.2, what=f"scan of {item_id}")
    one = _submit(cms2, **html("rb-1", "演练通知"))  # its render message is the last in the queue
    wait_for(lambda: _state(cms2, one) == "awaiting_review", 90, 0.2, what="scan of U2's draft")
    scanner.stop()
    stack.worker(queues="render", concurrency=PROCESSES)
    db = open_db(stack.database_url, stack.data_dir)
    try:
        def finished() -> dict[int, object] | None:
            with db.session() as s:
                rows = dict(s.execute(select(RenderCheck.item_id, RenderCheck.finished_at)
                                      .where(RenderCheck.state != "pending")).all())
            return rows if one in rows else None

        done = wait_for(finished, 240, 0.5, what="U2's render check")
        with db.session() as s:
            assert s.get(Item, one) is not None
        before = [i for i in many if i in done and done[i] < done[one]]  # type: ignore[operator]
        # FIFO runs it 4th (after all three of U1's)
        assert len(before) <= PROCESSES, (before, done)
    finally:
        db.dispose()
