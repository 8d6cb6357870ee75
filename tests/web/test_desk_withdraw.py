"""The desk pages for issue 20: the disposition form refuses crafted values and missing reasons and never approves a
须修改 finding alone; the signer withdraws his own sign-off from the item page (the receipt is revoked and the CMS's
release-check refuses); the secrecy officer sets a delegation on its own page and the delegate co-signs as officer."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

from sqlalchemy import select

from reviewer.store.models import Delegation, Item, Receipt, Review
from reviewer.workflow import release
from tests.web.conftest import Web
from tests.web.helpers import csrf_of, login, make_item
from tests.workflow.helpers import client as cms_actor

TEXT = "关于做好年度考核工作的通知\n请联系赵某，电话13900001111。\n附件另发。"
PHONE = ("13900001111", "review", "test.phone", "个人信息", "发现手机号码")


def _item(web: Web, item_id: int) -> Item:
    with web.db.session() as s:
        item = s.get(Item, item_id)
        assert item is not None
        _ = item.findings, item.unit
        return item


def _form(html: str, item: Item, decision: str, disp: dict[int, tuple[str, str]], **extra: str) -> dict[str, str]:
    data = {"csrf_token": csrf_of(html), "content_sha256": item.content_sha256, "decision": decision, "comment": "已核", **extra}
    for fid, (d, reason) in disp.items():
        data[f"disp_{fid}"] = d
        data[f"reason_{fid}"] = reason
    return data


def test_the_form_offers_the_named_dispositions_and_refuses_crafted_ones(web: Web) -> None:
    item_id = make_item(web.db, TEXT, [PHONE], external_id="form-1")
    c = web.client()
    login(c, "rev1")
    html = c.get(f"/review/items/{item_id}").text
    item = _item(web, item_id)
    fid = item.findings[0].id
    assert set(re.findall(rf'name="disp_{fid}" value="(\w+)"', html)) == {"must_fix", "public_ok", "false_positive"}
    for value, reason, words in (("fixed", "作者已删", "已修改"), ("bogus", "x", "处置须为"), ("public_ok", " ", "须写明理由"),
                                 ("false_positive", "", "须写明理由"), ("must_fix", "", "例外批准"),
                                 ("must_fix", "经领导同意", "勾选确认"), ("public_ok", "原文秘密★5年可公开", "处置理由")):
        resp = c.post(f"/review/items/{item_id}/sign", data=_form(html, item, "approve", {fid: (value, reason)},
                                                                  exception_confirm="1" if "秘密" in reason else ""))
        assert resp.status_code == 422 and words in resp.text, (value, reason, resp.status_code)
        assert "秘密★5年" not in resp.text.split('id="error"')[1].split("</div>")[0]
        assert _item(web, item_id).state == "awaiting_review"
    ok = _form(html, item, "approve", {fid: ("must_fix", "经领导同意")}, exception_confirm="1")
    assert c.post(f"/review/items/{item_id}/sign", data=ok).status_code == 303
    assert _item(web, item_id).state == "awaiting_officer"  # never approved by the reviewer alone


def test_the_signer_withdraws_from_the_item_page_and_the_cms_cannot_release(web: Web) -> None:
    item_id = make_item(web.db, TEXT, [PHONE], external_id="wd-1")
    c = web.client()
    login(c, "rev1")
    html = c.get(f"/review/items/{item_id}").text
    item = _item(web, item_id)
    form = _form(html, item, "approve", {item.findings[0].id: ("false_positive", "单位公开的值班电话")})
    assert c.post(f"/review/items/{item_id}/sign", data=form).status_code == 303
    page = c.get(f"/review/items/{item_id}").text
    assert 'id="withdraw-form"' in page and "撤回本人的签署" in page
    with web.db.session() as s:
        review_id = s.scalars(select(Review.id).where(Review.item_id == item_id)).one()
        assert release.release_check(s, cms_actor(s, "cms1"), "wd-1", TEXT.encode(), title=item.title,
                                     channel=item.channel)["approved"] is True
    other = web.client()
    login(other, "rev1b")
    assert 'id="withdraw-form"' not in other.get(f"/review/items/{item_id}").text  # not his signature: no form
    token = csrf_of(other.get("/review").text)
    r = other.post(f"/review/reviews/{review_id}/withdraw", data={"csrf_token": token, "reason": "我来撤回"})
    assert r.status_code == 403 and "只有签署人本人" in r.text and _item(web, item_id).state == "approved"
    r = c.post(f"/review/reviews/{review_id}/withdraw", data={"csrf_token": csrf_of(page), "reason": ""})
    assert r.status_code == 422 and "须写明理由" in r.text
    r = c.post(f"/review/reviews/{review_id}/withdraw", data={"csrf_token": csrf_of(page), "reason": "值班电话需再核实"})
    assert r.status_code == 303 and r.headers["location"].endswith("withdrawn=1")
    after = c.get(r.headers["location"]).text
    assert "已撤回您的签署" in after and 'data-withdrawn="' in after and "值班电话需再核实" in after
    assert 'id="sign-form"' in after  # he may sign again
    with web.db.session() as s:
        assert s.scalars(select(Receipt).where(Receipt.item_id == item_id)).first() is None
        answer = release.release_check(s, cms_actor(s, "cms1"), "wd-1", TEXT.encode(), title=item.title, channel=item.channel)
        assert answer["approved"] is False and "尚未批准" in answer["reason"]
    assert "撤回签署" in c.get("/review/signed").text or "已撤回" in c.get("/review/signed").text


def test_the_officer_sets_a_delegation_and_the_delegate_cosigns(web: Web) -> None:
    item_id = make_item(web.db, TEXT, [PHONE], external_id="dl-1")
    c = web.client()
    login(c, "rev1")
    html = c.get(f"/review/items/{item_id}").text
    item = _item(web, item_id)
    form = _form(html, item, "approve", {item.findings[0].id: ("must_fix", "经领导同意")}, exception_confirm="1")
    assert c.post(f"/review/items/{item_id}/sign", data=form).status_code == 303
    d = web.client()
    login(d, "rev1b")
    assert 'id="sign-form"' not in d.get(f"/review/items/{item_id}").text  # awaiting the officer: not for a reviewer
    assert f'href="/review/items/{item_id}"' not in d.get("/review").text
    assert d.get("/officer/delegations").status_code == 403
    o = web.client()
    login(o, "off1")
    page = o.get("/officer/delegations").text
    assert 'id="delegation-form"' in page and 'id="nav-delegations"' in page
    with web.db.session() as s:
        from reviewer.accounts import manage as accounts

        off1, rev1b = accounts.get_user(s, "off1"), accounts.get_user(s, "rev1b")
        ids = {"absent_id": str(off1.id), "delegate_id": str(rev1b.id)}
    now = datetime.now(timezone(timedelta(hours=8)))
    fmt = "%Y-%m-%dT%H:%M"
    bad = o.post("/officer/delegations", data={"csrf_token": csrf_of(page), **ids, "starts_at": now.strftime(fmt),
                                               "ends_at": (now - timedelta(hours=2)).strftime(fmt)})
    assert bad.status_code == 422 and "晚于" in bad.text
    r = o.post("/officer/delegations", data={"csrf_token": csrf_of(page), **ids,
                                             "starts_at": (now - timedelta(hours=1)).strftime(fmt),
                                             "ends_at": (now + timedelta(days=2)).strftime(fmt), "reason": "外出培训"})
    assert r.status_code == 303, r.text[:500]
    listed = o.get("/officer/delegations").text
    assert "生效中" in listed and "外出培训" in listed
    assert f'href="/review/items/{item_id}"' in d.get("/review").text  # his queue now holds the officer's items
    html = d.get(f"/review/items/{item_id}").text
    assert 'id="sign-form"' in html and 'id="exception-confirm"' in html
    sign = _form(html, _item(web, item_id), "approve", {}, exception_confirm="1")
    assert d.post(f"/review/items/{item_id}/sign", data=sign).status_code == 303
    assert _item(web, item_id).state == "approved"
    with web.db.session() as s:
        did = s.scalars(select(Delegation.id)).one()
    r = o.post(f"/officer/delegations/{did}/revoke", data={"csrf_token": csrf_of(listed)})
    assert r.status_code == 303 and "已于" in o.get("/officer/delegations").text


def test_the_log_says_withdrawal_and_delegation_in_sentences() -> None:
    from reviewer.web.names import event_sentence

    text = event_sentence("signoff_withdrawn", {"review_id": 3, "stage": "unit", "decision": "approve", "state": "awaiting_review",
                                                "previous_state": "approved", "revoked_receipt_id": 2, "reason_sha256": "ab" * 32})
    assert text == "撤回签署记录 #3（审查员签署：批准发布），稿件回到“待审查”，发布回执 #2 已撤销，理由见签署记录"
    text = event_sentence("delegation_set", {"delegation_id": 4, "absent": "off1", "delegate": "rev1b", "role": "officer",
                                             "starts_at": "2026-12-05T00:00:00+00:00", "ends_at": "2026-12-06T00:00:00+00:00"})
    assert "off1 外出期间由 rev1b 代行保密员复核签署" in text and "2026-12-05 08:00（北京时间）" in text
    assert "委托代签（委托 #4）" in event_sentence("officer_sign_off", {"stage": "officer", "decision": "approve", "delegation_id": 4})
