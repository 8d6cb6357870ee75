"""Races that could let something through, over HTTP against the real server on SQLite and PostgreSQL:
- an approval racing a new version of the same draft: whichever wins, the old content never passes the release check
  and the new content is not approved;
- the same draft posted concurrently: one item; different contents posted concurrently: distinct versions and exactly
  one open (not superseded) version."""

from __future__ import annotations

import hashlib
import threading

import httpx
import pytest
from sqlalchemy import select

from reviewer.store.models import Item
from tests.reliability._helpers import figures, open_db
from tests.services import Stack, wait_for

pytestmark = pytest.mark.integration
TEXT = "本局2025年共办理政府信息公开申请十二件，均已按时答复。"
ROUNDS = 12


def _scanned(stack: Stack, item_id: int) -> None:
    """Record a clean scan directly (no worker needed: the race is about sign-off and submission)."""
    from reviewer.scan.model import ScanResult
    from reviewer.workflow import scanning

    db = open_db(stack.database_url, stack.data_dir)
    try:
        with db.session() as s:
            scanning.start_scan(s, item_id)
        with db.session() as s:
            scanning.record_scan(s, item_id, ScanResult(rules_version="rv-race", findings=[]))
    finally:
        db.dispose()


def _together(*calls):  # type: ignore[no-untyped-def]
    barrier = threading.Barrier(len(calls))
    out: list[object] = [None] * len(calls)

    def run(i: int) -> None:
        barrier.wait(10)
        out[i] = calls[i]()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return out


def test_approval_racing_a_new_version(stack: Stack) -> None:
    wins = {"approval first": 0, "new version first": 0}
    with stack.client("cms1") as cms, stack.client("rev1") as rev, stack.client("cms1") as cms2:
        for n in range(ROUNDS):
            ext, old, new = f"race-{n}", f"{TEXT}{n}", f"{TEXT}{n}（修订）"
            v1 = cms.post("/api/v1/items", json={"external_id": ext, "content": old}).json()
            _scanned(stack, v1["id"])
            signed, posted = _together(
                lambda: rev.post(f"/api/v1/items/{v1['id']}/review",
                                 json={"content_sha256": hashlib.sha256(old.encode()).hexdigest(), "decision": "approve"}),
                lambda: cms2.post("/api/v1/items", json={"external_id": ext, "content": new}),
            )
            assert isinstance(signed, httpx.Response) and isinstance(posted, httpx.Response)
            assert signed.status_code in (200, 409), signed.text
            assert posted.status_code == 201, posted.text
            wins["approval first" if signed.status_code == 200 else "new version first"] += 1
            for content in (old, new):
                check = cms.post("/api/v1/release-check", json={"external_id": ext, "content": content}).json()
                assert check["approved"] is False, (n, content == old, check)
            assert cms.get(f"/api/v1/items/{v1['id']}").json()["state"] == "superseded"
    figures("race_approval_vs_new_version", database=stack.database_url.split(":")[0], rounds=ROUNDS, **wins,
            old_content_released=0)


def test_concurrent_submissions_of_one_draft(stack: Stack) -> None:
    clients = [stack.client("cms1") for _ in range(4)]
    try:
        same = _together(*[lambda c=c: c.post("/api/v1/items", json={"external_id": "dup-1", "content": TEXT}) for c in clients])
        assert all(r.status_code == 201 for r in same)  # type: ignore[union-attr]
        assert len({r.json()["id"] for r in same}) == 1  # type: ignore[union-attr]
        assert sum(r.json()["created"] for r in same) == 1  # type: ignore[union-attr]
        diff = _together(*[lambda c=c, i=i: c.post("/api/v1/items", json={"external_id": "dup-2", "content": f"{TEXT}{i}"})
                           for i, c in enumerate(clients)])
        assert all(r.status_code == 201 for r in diff)  # type: ignore[union-attr]
    finally:
        for c in clients:
            c.close()
    db = open_db(stack.database_url, stack.data_dir)
    try:
        def versions() -> list[tuple[int, str, int | None]]:
            with db.session() as s:
                return list(s.execute(select(Item.version, Item.state, Item.superseded_by_id).where(Item.external_id == "dup-2")).all())

        rows = wait_for(versions, 10)
    finally:
        db.dispose()
    assert sorted(v for v, _, _ in rows) == [1, 2, 3, 4], rows
    assert sum(1 for _, state, by in rows if state != "superseded" and by is None) == 1, rows
