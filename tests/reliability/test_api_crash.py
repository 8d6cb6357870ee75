"""The API server SIGKILLed in the middle of a stream of submissions, twice, and restarted on the same port: every
submission the server acknowledged (201) exists and is scanned; publishers that retry after a dropped connection
create each draft exactly once (idempotent re-post); no item without its submit event or vice versa."""

from __future__ import annotations

import os
import signal
import threading
import time

import httpx
import pytest
from sqlalchemy import func, select

from reviewer.store.models import AuditEvent, Item
from tests.reliability._helpers import FaultWorker, figures, open_db, terminal
from tests.services import ApiServer, Stack

pytestmark = pytest.mark.integration
TEXT = "本局2025年共办理政府信息公开申请十二件，均已按时答复。"
PER_THREAD = 60


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_api_sigkilled_during_submissions(stack: Stack) -> None:
    assert stack.api is not None
    port = stack.api.port
    acknowledged: dict[str, int] = {}
    retries = 0
    lock = threading.Lock()

    def publisher(n: int) -> None:
        nonlocal retries
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=10,
                          headers={"Authorization": f"Bearer {stack.seed.tokens['cms1']}"}) as c:
            for i in range(PER_THREAD):
                ext = f"crash-{n}-{i}"
                for _attempt in range(100):  # bounded: retry the same draft until the server answers
                    try:
                        r = c.post("/api/v1/items", json={"external_id": ext, "content": f"{TEXT}{ext}"})
                    except httpx.HTTPError:
                        r = None
                    if r is not None and r.status_code == 201:
                        with lock:
                            acknowledged[ext] = r.json()["id"]
                        break
                    assert r is None or r.status_code >= 500, (r.status_code, r.text)
                    with lock:
                        retries += 1
                    time.sleep(0.2)
                time.sleep(0.05)

    threads = [threading.Thread(target=publisher, args=(n,)) for n in range(3)]
    for t in threads:
        t.start()
    kills = 0
    for _ in range(2):
        time.sleep(0.8)
        assert all(t.is_alive() for t in threads), "the stream ended before the kill: make it longer"
        os.killpg(stack.api.proc.pid, signal.SIGKILL)  # type: ignore[union-attr]
        stack.api.proc.wait(10)  # type: ignore[union-attr]
        kills += 1
        time.sleep(0.5)
        stack.api = ApiServer(stack.env, stack.log_dir, port=port).start()
    for t in threads:
        t.join(180)
    assert not any(t.is_alive() for t in threads)
    assert len(acknowledged) == 3 * PER_THREAD, "a publisher gave up"
    assert retries > 0, "no request was cut off: the kills missed the stream"

    db = open_db(stack.database_url, stack.data_dir)
    try:
        with db.session() as s:
            per_ext = dict(s.execute(select(Item.external_id, func.count()).group_by(Item.external_id)).all())
            ids = set(s.execute(select(Item.id)).scalars())
            submits = dict(s.execute(select(AuditEvent.item_id, func.count()).where(AuditEvent.action == "submit")
                                     .group_by(AuditEvent.item_id)).all())
    finally:
        db.dispose()
    assert all(per_ext.get(ext) == 1 for ext in acknowledged), {e: per_ext.get(e) for e in acknowledged if per_ext.get(e) != 1}
    assert set(acknowledged.values()) == ids, "an item exists that no publisher was told about, or the reverse"
    assert all(submits.get(i) == 1 for i in ids) and set(submits) == ids
    w = FaultWorker(stack.env, stack.log_dir, name="after-crash")
    stack.workers.append(w)
    w.start()
    with stack.client("cms1") as cms:
        for item_id in acknowledged.values():
            assert terminal(cms, item_id, timeout=120)["state"] == "awaiting_review"
    figures("api_sigkill", api_sigkills=kills, submissions=len(acknowledged), client_retries=retries, items_lost=0,
            duplicate_items=0)
