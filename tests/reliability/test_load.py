"""Load: concurrent publishing systems and reviewers of two units (threads with httpx) against the local stack (uvicorn
API, Celery workers on a private redis-server, a real database) for a fixed time. Reports throughput and errors;
asserts zero 5xx, zero transport errors, zero unexpected statuses and zero lost items.

The default run is short (LOAD_SECONDS, 12 s); the `slow` variant runs 60 s on PostgreSQL with two workers."""

from __future__ import annotations

import os
import statistics
import threading
import time
from collections import Counter
from dataclasses import dataclass, field

import httpx
import pytest

from tests.reliability._helpers import PENDING, FaultWorker, figures, open_db, scan_ledger
from tests.services import Stack, wait_for

pytestmark = pytest.mark.integration
TEXT = "本局2025年共办理政府信息公开申请十二件，均已按时答复。请各单位于3月20日前报送材料。\n"


@dataclass
class Tally:
    lock: threading.Lock = field(default_factory=threading.Lock)
    statuses: Counter[tuple[str, int]] = field(default_factory=Counter)
    unexpected: list[tuple[str, int, str]] = field(default_factory=list)
    transport_errors: list[str] = field(default_factory=list)
    latencies: list[float] = field(default_factory=list)
    submitted: set[int] = field(default_factory=set)
    signed: int = 0

    def call(self, c: httpx.Client, what: str, method: str, url: str, ok: tuple[int, ...], **kw: object) -> httpx.Response | None:
        started = time.monotonic()
        try:
            r = c.request(method, url, **kw)  # type: ignore[arg-type]
        except httpx.HTTPError as exc:
            with self.lock:
                self.transport_errors.append(f"{what}: {type(exc).__name__}")
            return None
        with self.lock:
            self.latencies.append(time.monotonic() - started)
            self.statuses[(what, r.status_code)] += 1
            if r.status_code not in ok:
                self.unexpected.append((what, r.status_code, r.text[:200]))
        return r if r.status_code in ok else None


def _publisher(stack: Stack, who: str, n: int, stop: threading.Event, t: Tally) -> None:
    with stack.client(who) as c:
        i = 0
        while not stop.is_set():
            ext = f"{who}-p{n}-{i}"
            body = {"external_id": ext, "title": f"第{i}号通知", "channel": "通知公告", "author": "撰稿人", "content": f"{TEXT * 20}{ext}"}
            r = t.call(c, "submit", "POST", "/api/v1/items", (201,), json=body)
            if r is not None:
                with t.lock:
                    t.submitted.add(r.json()["id"])
                again = t.call(c, "resubmit", "POST", "/api/v1/items", (201,), json=body)  # idempotent re-post
                if again is not None and (again.json()["id"] != r.json()["id"] or again.json()["created"]):
                    with t.lock:
                        t.unexpected.append(("resubmit", 201, "re-post made a new version"))
                t.call(c, "status", "GET", f"/api/v1/items/{r.json()['id']}", (200,))
                t.call(c, "release-check", "POST", "/api/v1/release-check", (200,), json={"external_id": ext, "content": body["content"]})
            i += 1


def _reviewer(stack: Stack, who: str, stop: threading.Event, t: Tally) -> None:
    with stack.client(who) as c:
        while not stop.is_set():
            q = t.call(c, "queue", "GET", "/api/v1/review-queue?limit=5", (200,))
            items = q.json()["items"] if q is not None else []
            if not items:
                time.sleep(0.1)
                continue
            for it in items:
                full = t.call(c, "item", "GET", f"/api/v1/items/{it['id']}", (200,))
                if full is None:
                    continue
                f = full.json()
                decision = "approve" if not f["counts"]["block"] else "return"
                disp = [{"finding_id": x["id"], "disposition": "false_positive", "reason": "已核实"} for x in f["findings"]]
                r = t.call(c, "sign", "POST", f"/api/v1/items/{it['id']}/review", (200,),
                           json={"content_sha256": f["content_sha256"], "decision": decision, "findings": disp, "comment": "同意"})
                if r is not None:
                    with t.lock:
                        t.signed += 1


def _run(stack: Stack, seconds: float, publishers: int, label: str) -> None:
    t, stop = Tally(), threading.Event()
    threads = [threading.Thread(target=_publisher, args=(stack, cms, n, stop, t)) for n in range(publishers) for cms in ("cms1", "cms2")]
    threads += [threading.Thread(target=_reviewer, args=(stack, rev, stop, t)) for rev in ("rev1", "rev2")]
    started = time.monotonic()
    for th in threads:
        th.start()
    time.sleep(seconds)
    stop.set()
    for th in threads:
        th.join(60)
    elapsed = time.monotonic() - started
    assert not any(th.is_alive() for th in threads), "a load thread did not stop"

    db = open_db(stack.database_url, stack.data_dir)
    try:
        wait_for(lambda: all(scan_ledger(db).states.get(i) not in PENDING for i in t.submitted), 180, 1.0,
                 what="the backlog to be scanned")
        led = scan_ledger(db)
    finally:
        db.dispose()
    lost = [i for i in t.submitted if i not in led.states]
    total = sum(t.statuses.values())
    five_xx = sum(n for (_, code), n in t.statuses.items() if code >= 500)
    lat = sorted(t.latencies)
    figures(f"load_{label}", database=stack.database_url.split(":")[0], seconds=round(elapsed, 1),
            threads=len(threads), workers=len(stack.workers), requests=total, requests_per_s=round(total / elapsed, 1),
            submitted=len(t.submitted), submitted_per_s=round(len(t.submitted) / elapsed, 2), signed=t.signed,
            p50_ms=round(statistics.median(lat) * 1000, 1) if lat else None,
            p99_ms=round(lat[int(len(lat) * 0.99) - 1] * 1000, 1) if lat else None,
            http_5xx=five_xx, unexpected=len(t.unexpected), transport_errors=len(t.transport_errors), items_lost=len(lost),
            scan_failed=sum(1 for i in t.submitted if led.states[i] == "scan_failed"))
    assert not t.transport_errors, t.transport_errors[:5]
    assert five_xx == 0, [u for u in t.unexpected if u[1] >= 500][:5]
    assert not t.unexpected, t.unexpected[:5]
    assert not lost, lost
    assert all(led.scan_results[i] == 1 for i in t.submitted)
    assert all(n == 1 for (_, stage), n in led.reviews.items() if stage == "unit")
    assert len(t.submitted) > 0 and t.signed > 0


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_load_short(stack: Stack) -> None:
    w = FaultWorker(stack.env, stack.log_dir, name="load")
    stack.workers.append(w)
    w.start()
    _run(stack, float(os.environ.get("LOAD_SECONDS", "12")), publishers=1, label="short")


@pytest.mark.slow
@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_load_long_two_workers(stack: Stack) -> None:
    for name in ("load-a", "load-b"):
        w = FaultWorker(stack.env, stack.log_dir, name=name)
        stack.workers.append(w)
        w.start()
    _run(stack, float(os.environ.get("LOAD_SECONDS_LONG", "60")), publishers=2, label="long")
