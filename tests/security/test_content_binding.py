"""A sign-off is bound to the exact content the signer saw, and the release gate to the exact content approved:
a stale `content_sha256`, a superseded version, and content differing by one character are all refused."""

from __future__ import annotations

import hashlib

import pytest
from sqlalchemy import func, select

from reviewer.store.models import AuditEvent, Item, Review
from tests.reliability._helpers import figures
from tests.security.conftest import App
from tests.web.helpers import csrf_of, login, make_item

META = {"title": "关于开展安全检查的通知", "channel": "通知公告"}  # make_item's title and channel: release-check binds them too
TEXT = "关于2026年春季防汛工作的通知\n各乡镇人民政府：请于4月1日前完成隐患排查。联系电话：010-12345678。"


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def _reviews(a: App, item_id: int) -> int:
    with a.db.session() as s:
        return int(s.execute(select(func.count()).select_from(Review).where(Review.item_id == item_id)).scalar_one())


def one_character_variants(text: str) -> dict[str, str]:
    return {
        "last char dropped": text[:-1],
        "char appended": text + "。",
        "trailing newline": text + "\n",
        "one digit changed": text.replace("4月1日", "4月2日"),
        "full-width colon to ascii": text.replace("：", ":", 1),
        "space inserted": text.replace("各乡镇", "各 乡镇"),
        "zero-width space": text.replace("隐患", "隐\u200b患"),
        "NFD for NFC": text.replace("春", "春\u0301"),
        "CRLF newline": text.replace("\n", "\r\n"),
        "homoglyph": text.replace("010", "O10"),
        "BOM prefixed": "\ufeff" + text,
    }


def test_stale_hash_is_refused_on_api_and_page(inproc: App) -> None:
    item_id = make_item(inproc.db, TEXT, external_id="bind-1")
    stale = [_sha(TEXT + " "), "0" * 64, _sha(TEXT).upper()[:-1] + "0", ""]
    api = inproc.client("rev1")
    for h in stale:
        r = api.post(f"/api/v1/items/{item_id}/review", json={"content_sha256": h, "decision": "approve"})
        assert r.status_code in (409, 422), (h, r.status_code)
    page = inproc.client()
    login(page, "rev1")
    token = csrf_of(page.get(f"/review/items/{item_id}").text)
    for h in stale:
        r = page.post(f"/review/items/{item_id}/sign", data={"csrf_token": token, "content_sha256": h, "decision": "approve"})
        assert r.status_code == 409, (h, r.status_code)
    assert _reviews(inproc, item_id) == 0
    ok = api.post(f"/api/v1/items/{item_id}/review", json={"content_sha256": _sha(TEXT), "decision": "approve"})
    assert ok.status_code == 200, ok.text  # the right hash still works: the refusals were about the hash


def test_superseded_version_cannot_be_signed_or_released(inproc: App) -> None:
    v1 = make_item(inproc.db, TEXT, external_id="bind-2")
    cms = inproc.client("cms1")
    v2 = cms.post("/api/v1/items", json={"external_id": "bind-2", "content": TEXT + "（修订）"}).json()
    assert v2["created"] and v2["version"] == 2
    r = inproc.client("rev1").post(f"/api/v1/items/{v1}/review", json={"content_sha256": _sha(TEXT), "decision": "approve"})
    assert r.status_code == 409 and cms.get(f"/api/v1/items/{v1}").json()["state"] == "superseded"
    page = inproc.client()
    login(page, "rev1")
    token = csrf_of(page.get("/review").text)
    r = page.post(f"/review/items/{v1}/sign", data={"csrf_token": token, "content_sha256": _sha(TEXT), "decision": "approve"})
    assert r.status_code == 409
    check = cms.post("/api/v1/release-check", json={"external_id": "bind-2", "content": TEXT, **META}).json()
    assert check["approved"] is False and "取代" in check["reason"]
    assert cms.post(f"/api/v1/items/{v1}/released", json={}).status_code == 409
    assert _reviews(inproc, v1) == 0


def test_approved_then_superseded_is_no_longer_releasable(inproc: App) -> None:
    v1 = make_item(inproc.db, TEXT, external_id="bind-3")
    rev, cms = inproc.client("rev1"), inproc.client("cms1")
    assert rev.post(f"/api/v1/items/{v1}/review", json={"content_sha256": _sha(TEXT), "decision": "approve"}).status_code == 200
    assert cms.post("/api/v1/release-check", json={"external_id": "bind-3", "content": TEXT, **META}).json()["approved"] is True
    cms.post("/api/v1/items", json={"external_id": "bind-3", "content": TEXT + "补充"})
    assert cms.post("/api/v1/release-check", json={"external_id": "bind-3", "content": TEXT, **META}).json()["approved"] is False
    assert cms.post("/api/v1/release-check", json={"external_id": "bind-3", "content": TEXT + "补充", **META}).json()["approved"] is False
    assert cms.post(f"/api/v1/items/{v1}/released", json={}).status_code == 409


def test_release_check_refuses_content_one_character_off(inproc: App) -> None:
    item_id = make_item(inproc.db, TEXT, external_id="bind-4")
    rev, cms = inproc.client("rev1"), inproc.client("cms1")
    assert rev.post(f"/api/v1/items/{item_id}/review", json={"content_sha256": _sha(TEXT), "decision": "approve"}).status_code == 200
    variants = one_character_variants(TEXT)
    assert all(v != TEXT for v in variants.values())
    for name, content in variants.items():
        body = cms.post("/api/v1/release-check", json={"external_id": "bind-4", "content": content, **META}).json()
        assert body["approved"] is False, name
    assert cms.post("/api/v1/release-check", json={"external_id": "bind-4", "content": TEXT, **META}).json()["approved"] is True
    # recording publication of different content is refused too
    r = cms.post(f"/api/v1/items/{item_id}/released", json={"content_sha256": _sha(TEXT[:-1])})
    assert r.status_code == 409
    with inproc.db.session() as s:
        assert s.get(Item, item_id).state == "approved"  # type: ignore[union-attr]
        checks = s.execute(select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "release_check")).scalar_one()
    assert checks == len(variants) + 1  # every check is on the record
    figures("content_binding", one_char_variants_refused=len(variants), stale_hashes_refused=4)


@pytest.mark.parametrize("stage", ["officer"])
def test_officer_cosign_is_bound_to_content_too(inproc: App, stage: str) -> None:
    # U2's policy lets a secrecy officer co-sign a block finding; the co-sign must carry the same hash.
    text = TEXT + "绝密"
    item_id = make_item(inproc.db, text, [("绝密", "block")], external_id="bind-5", cms="cms2")
    rev2, off2 = inproc.client("rev2"), inproc.client("off2")
    with inproc.db.session() as s:
        fid = s.get(Item, item_id).findings[0].id  # type: ignore[union-attr]
    r = rev2.post(f"/api/v1/items/{item_id}/review", json={"content_sha256": _sha(text), "decision": "approve",
                                                           "findings": [{"finding_id": fid, "disposition": "confirmed", "reason": "样例"}],
                                                           "exception_confirmed": True})  # 例外批准 (issue 12)
    assert r.status_code == 200 and r.json()["item"]["state"] == "awaiting_officer"
    r = off2.post(f"/api/v1/items/{item_id}/review", json={"content_sha256": _sha(TEXT), "decision": "approve",
                                                           "exception_confirmed": True})
    assert r.status_code == 409
    r = off2.post(f"/api/v1/items/{item_id}/review", json={"content_sha256": _sha(text), "decision": "approve",
                                                           "exception_confirmed": True})
    assert r.status_code == 200 and r.json()["item"]["state"] == "approved"


def test_a_clean_scan_is_never_a_release(inproc: App) -> None:
    """The scan assists, it never approves: a draft with no findings still needs a named sign-off before release."""
    item_id = make_item(inproc.db, TEXT, external_id="bind-6")  # scanned, no findings
    cms = inproc.client("cms1")
    assert cms.get(f"/api/v1/items/{item_id}").json()["state"] == "awaiting_review"
    assert cms.post("/api/v1/release-check", json={"external_id": "bind-6", "content": TEXT, **META}).json()["approved"] is False
    assert cms.post(f"/api/v1/items/{item_id}/released", json={}).status_code == 409
    assert cms.get(f"/api/v1/items/{item_id}/receipt").status_code == 404
