"""Self-approval, tried through the running service (real API server, real worker, real Redis): the CMS sends the
drafter's stable account id (`author_id`); the reviewer linked to that id cannot approve, however the free-text
author is spelled; a draft whose author is unknown goes to the secrecy officer instead of being approved by one
person (the unit default)."""

from __future__ import annotations

import pytest

from reviewer.accounts import manage as accounts
from tests.reliability._helpers import figures, open_db, terminal
from tests.services import Stack

pytestmark = pytest.mark.integration
SQLITE_ONLY = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
TEXT = "街道办事处关于开展秋季爱国卫生运动的通知。"


@SQLITE_ONLY
def test_self_approval_by_spelling_or_by_omission_fails(stack: Stack) -> None:
    db = open_db(stack.database_url, stack.data_dir)
    try:
        with db.session() as s:
            accounts.set_unknown_author(s, accounts.get_unit(s, "U1"), "officer")  # the default of a new unit
            rev1 = accounts.get_user(s, "rev1")
            rev1.display_name = "孙海涛"
            from reviewer.accounts import identity

            identity.link(s, rev1, "emp-40417")
            accounts.create_user(s, "qianli", "U1", "publisher", display_name="钱立", cms_id="emp-10001")
    finally:
        db.dispose()
    stack.worker()
    attempts = [
        ("by-id", "", "emp-40417"), ("by-id-width", "某科员", "ＥＭＰ-４０４１７"), ("by-id-zw", "某科员", "emp-40417\u200b"),
        ("name-case", "REV1", ""), ("name-space", "孙 海涛", ""), ("name-zw", "孙海涛\u200b", ""), ("name-trad", "孫海濤", ""),
        ("empty", "", ""), ("unmapped", "孙海涛同事", "emp-99999"),
    ]
    outcomes: dict[str, str] = {}
    with stack.client("cms1") as cms, stack.client("rev1") as rev, stack.client("off1") as off, stack.client("rev1b") as other:
        for ext, author, author_id in attempts:
            item = cms.post("/api/v1/items", json={"external_id": ext, "content": f"{TEXT}{ext}", "author": author,
                                                   "author_id": author_id}).json()
            assert terminal(rev, item["id"])["state"] == "awaiting_review"
            r = rev.post(f"/api/v1/items/{item['id']}/review", json={"content_sha256": item["content_sha256"], "decision": "approve"})
            state = cms.get(f"/api/v1/items/{item['id']}").json()["state"]
            outcomes[ext] = f"{r.status_code}:{state}"
            assert state != "approved", f"{ext}: approved by the author alone"
            if r.status_code == 403:
                assert "作者" in r.json()["detail"]
                # someone else signs; an author known by id lets one other reviewer approve
                r2 = other.post(f"/api/v1/items/{item['id']}/review",
                                json={"content_sha256": item["content_sha256"], "decision": "approve"})
                assert r2.status_code == 200, r2.text
            else:
                assert r.status_code == 200 and state == "awaiting_officer", (ext, r.text)
                r2 = off.post(f"/api/v1/items/{item['id']}/review",
                              json={"content_sha256": item["content_sha256"], "decision": "approve"})
                assert r2.status_code == 200, r2.text
                assert cms.get(f"/api/v1/items/{item['id']}").json()["state"] == "approved"
        # a draft by a known other drafter: one reviewer approves
        item = cms.post("/api/v1/items", json={"external_id": "known", "content": f"{TEXT}known", "author": "钱立",
                                               "author_id": "emp-10001"}).json()
        terminal(rev, item["id"])
        r = rev.post(f"/api/v1/items/{item['id']}/review", json={"content_sha256": item["content_sha256"], "decision": "approve"})
        assert r.status_code == 200 and r.json()["item"]["state"] == "approved", r.text
    assert outcomes["by-id"].startswith("403") and outcomes["name-trad"].startswith("403")
    assert outcomes["empty"] == "200:awaiting_officer" and outcomes["unmapped"] == "200:awaiting_officer"
    figures("self_approval", attempts=len(attempts), approved_by_author=0, outcomes=outcomes)
