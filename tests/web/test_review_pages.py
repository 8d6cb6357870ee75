"""Queue, item page (highlights, XSS inert, diff), sign-off through the form, officer co-sign, access."""

from __future__ import annotations

import re

from sqlalchemy import select

from reviewer.store.models import Item, Receipt, Review
from tests.web.conftest import Web
from tests.web.helpers import csrf_of, login, make_item

TEXT = "关于开展安全检查的通知\n各科室：本次检查涉及机密★10年文件，联系人手机13812345678。\n特此通知。"
XSS = '<script>alert(1)</script><img src=x onerror="alert(2)">'


def _form(page_html: str, item: Item, decision: str, **dispositions: str) -> dict[str, str]:
    data = {"csrf_token": csrf_of(page_html), "content_sha256": item.content_sha256, "decision": decision, "comment": "已核"}
    for f in item.findings:
        if str(f.id) in dispositions or "all" in dispositions:
            data[f"disp_{f.id}"] = dispositions.get(str(f.id), dispositions.get("all", ""))
            data[f"reason_{f.id}"] = "核实"
    return data


def _item(web: Web, item_id: int) -> Item:
    with web.db.session() as s:
        item = s.get(Item, item_id)
        assert item is not None
        _ = item.findings
        return item


def test_queue_is_own_unit_oldest_first_with_filters(web: Web) -> None:
    a = make_item(web.db, "甲文", external_id="a", channel="通知公告")
    b = make_item(web.db, "乙文", [("乙文", "review")], external_id="b", channel="工作动态", author="李四")
    make_item(web.db, "他单位", external_id="x", cms="cms2", title="第二单位的稿件")
    c = web.client()
    login(c, "rev1")
    html = c.get("/review").text
    ids = [int(i) for i in re.findall(r'href="/review/items/(\d+)"', html)]
    assert ids == [a, b]
    assert "第二单位的稿件" not in html
    assert re.findall(r'href="/review/items/(\d+)"', c.get("/review", params={"channel": "工作动态"}).text) == [str(b)]
    assert re.findall(r'href="/review/items/(\d+)"', c.get("/review", params={"author": "李"}).text) == [str(b)]
    assert re.findall(r'href="/review/items/(\d+)"', c.get("/review", params={"verdict": "pass"}).text) == [str(a)]


def test_item_page_highlights_each_finding_in_place(web: Web) -> None:
    item_id = make_item(web.db, TEXT, [("机密★10年", "block"), ("13812345678", "review")])
    c = web.client()
    login(c, "rev1")
    resp = c.get(f"/review/items/{item_id}")
    assert resp.status_code == 200
    html = resp.text
    item = _item(web, item_id)
    for f in item.findings:
        assert re.search(rf'<mark class="hl sev-{f.severity}" data-findings="{f.id}" id="hl-{f.id}" aria-describedby="fh-{f.id}">{re.escape(f.match)}</mark>', html)
        assert f'id="f-{f.id}"' in html and f'name="disp_{f.id}"' in html
    assert f'name="content_sha256" value="{item.content_sha256}"' in html
    assert "禁止发布" in html and "测试说明" in html
    assert "批量" not in html.replace("不设批量操作", "")


def test_untrusted_text_is_escaped(web: Web) -> None:
    text = f"正文{XSS}结尾"
    item_id = make_item(web.db, text, [("<script>", "review")], title=XSS, channel=XSS, author=XSS)
    c = web.client()
    login(c, "rev1")
    for url in ("/review", f"/review/items/{item_id}"):
        html = c.get(url).text
        assert "<script>alert" not in html and "<img src=x" not in html
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
        assert 'onerror="alert' not in html


def test_sign_off_through_the_form_issues_a_receipt(web: Web) -> None:
    item_id = make_item(web.db, TEXT, [("13812345678", "review")])
    c = web.client()
    login(c, "rev1")
    html = c.get(f"/review/items/{item_id}").text
    item = _item(web, item_id)
    # Without the disposition of every finding the workflow refuses; the page says why and keeps the input.
    resp = c.post(f"/review/items/{item_id}/sign", data=_form(html, item, "approve"))
    assert resp.status_code == 422 and "逐条处置" in resp.text
    resp = c.post(f"/review/items/{item_id}/sign", data=_form(html, item, "approve", all="false_positive"))
    assert resp.status_code == 303
    page = c.get(resp.headers["location"]).text
    assert "已批准" in page and 'id="receipt"' in page
    with web.db.session() as s:
        assert s.scalars(select(Receipt).where(Receipt.item_id == item_id)).first() is not None
        review = s.scalars(select(Review).where(Review.item_id == item_id)).one()
        assert review.reviewer.username == "rev1" and [d.disposition for d in review.dispositions] == ["false_positive"]


def test_sign_off_needs_csrf_and_current_hash(web: Web) -> None:
    item_id = make_item(web.db, TEXT)
    c = web.client()
    login(c, "rev1")
    html = c.get(f"/review/items/{item_id}").text
    item = _item(web, item_id)
    forged = _form(html, item, "approve")
    forged["csrf_token"] = "x"
    assert c.post(f"/review/items/{item_id}/sign", data=forged).status_code == 403
    stale = _form(html, item, "approve")
    stale["content_sha256"] = "0" * 64
    resp = c.post(f"/review/items/{item_id}/sign", data=stale)
    assert resp.status_code == 409 and "不一致" in resp.text
    assert _item(web, item_id).state == "awaiting_review"


def test_other_units_items_do_not_exist_for_a_reviewer(web: Web) -> None:
    other = make_item(web.db, "第二单位正文", external_id="y", cms="cms2")
    c = web.client()
    login(c, "rev1")
    assert c.get(f"/review/items/{other}").status_code == 404
    html = c.get("/review").text
    item = _item(web, other)
    assert c.post(f"/review/items/{other}/sign", data=_form(html, item, "approve")).status_code == 404
    assert _item(web, other).state == "awaiting_review"


def test_author_cannot_sign_own_item(web: Web) -> None:
    item_id = make_item(web.db, TEXT, author="rev1")
    c = web.client()
    login(c, "rev1")
    html = c.get(f"/review/items/{item_id}").text
    resp = c.post(f"/review/items/{item_id}/sign", data=_form(html, _item(web, item_id), "approve"))
    assert resp.status_code == 403 and "本人" in resp.text


def test_officer_co_sign(web: Web) -> None:
    item_id = make_item(web.db, TEXT, [("机密★10年", "block")], external_id="z", cms="cms2")
    c = web.client()
    login(c, "rev2")
    html = c.get(f"/review/items/{item_id}").text
    assert 'id="exception-confirm"' in html  # confirming a block finding and approving is an exception, said up front
    form = _form(html, _item(web, item_id), "approve", all="confirmed")
    refused = c.post(f"/review/items/{item_id}/sign", data=form)
    assert refused.status_code == 422 and "例外批准" in refused.text and _item(web, item_id).state == "awaiting_review"
    assert 'value="核实"' in refused.text  # what was entered is kept
    no_reason = {**form, "exception_confirm": "1", **{k: "" for k in form if k.startswith("reason_")}}
    refused = c.post(f"/review/items/{item_id}/sign", data=no_reason)
    assert refused.status_code == 422 and "未填写理由" in refused.text
    assert c.post(f"/review/items/{item_id}/sign", data={**form, "exception_confirm": "1"}).status_code == 303
    assert _item(web, item_id).state == "awaiting_officer"
    o = web.client()
    login(o, "off2")
    queue = o.get("/officer").text
    assert f'href="/review/items/{item_id}"' in queue
    html = o.get(f"/review/items/{item_id}").text
    assert "保密员复核" in html and "REV2" in html  # the first sign-off is shown
    assert o.post(f"/review/items/{item_id}/sign", data=_form(html, _item(web, item_id), "approve")).status_code == 422
    assert o.post(f"/review/items/{item_id}/sign",  # an exception: the officer confirms it himself
                  data={**_form(html, _item(web, item_id), "approve"), "exception_confirm": "1"}).status_code == 303
    assert _item(web, item_id).state == "approved"
    r = web.client()
    login(r, "rev2")
    assert r.get("/officer").status_code == 403


def test_new_version_shows_diff_against_reviewed_version(web: Web) -> None:
    v1 = make_item(web.db, "第一段不变。\n第二段原文含旧数字123。\n第三段。", external_id="doc-v")
    c = web.client()
    login(c, "rev1")
    html = c.get(f"/review/items/{v1}").text
    assert c.post(f"/review/items/{v1}/sign", data=_form(html, _item(web, v1), "return")).status_code == 303
    v2 = make_item(web.db, "第一段不变。\n第二段改写含新数字456。\n第三段。\n新增第四段。", external_id="doc-v")
    html = c.get(f"/review/items/{v2}").text
    assert 'id="diff"' in html and "第 1 版" in html
    assert '<tr class="ddel">' in html and '<tr class="dadd">' in html
    assert "<em>旧数字123</em>" in html or "<em>旧</em>" in html
    assert "新增第四段。" in html


def test_auditor_cannot_sign(web: Web) -> None:
    item_id = make_item(web.db, TEXT)
    c = web.client()
    login(c, "aud")
    assert c.get(f"/review/items/{item_id}").headers["location"] == f"/audit/items/{item_id}"
    html = c.get("/audit").text
    resp = c.post(f"/review/items/{item_id}/sign", data=_form(html, _item(web, item_id), "approve"))
    assert resp.status_code == 403
    assert _item(web, item_id).state == "awaiting_review"


def test_queue_lists_open_post_release_alerts_of_the_unit(web: Web) -> None:
    from reviewer.store.models import Alert

    item_id = make_item(web.db, TEXT)
    other = make_item(web.db, "第二单位", external_id="q", cms="cms2")
    with web.db.session() as s:
        item, o = s.get(Item, item_id), s.get(Item, other)
        assert item is not None and o is not None
        s.add(Alert(item_id=item_id, unit_id=item.unit_id, rules_version="rv2", verdict="block", summary="新规则命中 1 条"))
        s.add(Alert(item_id=other, unit_id=o.unit_id, rules_version="rv2", verdict="block", summary="他单位预警"))
    c = web.client()
    login(c, "rev1")
    html = c.get("/review").text
    assert 'id="alerts"' in html and "新规则命中 1 条" in html and "他单位预警" not in html
    assert html.count('id="alerts"') == 1, "the alerts section is rendered once, in the page body"
    title = html[html.index("<title>"):html.index("</title>")]
    assert "<section" not in title and "新规则" not in title, title


def test_alert_on_the_item_page_with_titles_and_logged_actions(web: Web) -> None:
    """A post-release alert reads with the item's title and the rules' Chinese titles (not a raw rule id or a hash),
    shows on the item's own page, and is closed there: 已处理 needs a reason; 撤稿 sends the publishing system a
    signed withdraw callback (ids and reason, no term); each action is a logged event; another unit cannot act."""
    import json

    from sqlalchemy import select

    from reviewer.store.models import Alert, AuditEvent, CallbackDelivery, Unit

    first = make_item(web.db, "公开通知一", external_id="al-1", title="关于春季防火的通知")
    second = make_item(web.db, "公开通知二", external_id="al-2", title="关于夏季防汛的通知")
    with web.db.session() as s:
        unit = s.get(Item, first).unit  # type: ignore[union-attr]
        unit.callback_url = "https://cms.example.gov.cn/hook"
        a1 = Alert(item_id=first, unit_id=unit.id, rules_version="3064aba5e0f1", verdict="block", summary="id-card ×1")
        a2 = Alert(item_id=second, unit_id=unit.id, rules_version="3064aba5e0f1", verdict="review", summary="id-card ×2")
        s.add_all([a1, a2])
        s.flush()
        ids = a1.id, a2.id
        assert isinstance(s.get(Unit, unit.id), Unit)
    c = web.client()
    login(c, "rev1")
    queue = c.get("/review").text
    alerts = queue[queue.index('id="alerts"'):]
    assert "关于春季防火的通知" in alerts and "居民身份证号码 ×1" in alerts
    assert "id-card" not in alerts and "3064aba5" not in alerts
    page = c.get(f"/review/items/{first}").text
    assert 'id="item-alerts"' in page and "居民身份证号码" in page[page.index('id="item-alerts"'):]
    token = csrf_of(page)
    other = web.client()
    login(other, "rev2")
    other_token = csrf_of(other.get("/review").text)
    refused = other.post(f"/review/alerts/{ids[0]}/resolve", data={"csrf_token": other_token, "action": "handled",
                                                                  "reason": "x"})
    assert refused.status_code == 403
    no_reason = c.post(f"/review/alerts/{ids[1]}/resolve", data={"csrf_token": token, "action": "handled", "reason": ""})
    assert no_reason.status_code == 422 and "须写明" in no_reason.text
    done = c.post(f"/review/alerts/{ids[1]}/resolve", data={"csrf_token": token, "action": "handled",
                                                           "reason": "核实为公开的示例号码，无需撤稿"})
    assert done.status_code == 303
    withdrawn = c.post(f"/review/alerts/{ids[0]}/resolve", data={"csrf_token": token, "action": "withdraw", "reason": ""})
    assert withdrawn.status_code == 303
    with web.db.session() as s:
        assert all(s.get(Alert, i).resolved_at is not None for i in ids)  # type: ignore[union-attr]
        events = s.scalars(select(AuditEvent).where(AuditEvent.action == "alert_resolved")).all()
        assert sorted(json.loads(e.data)["action"] for e in events) == ["handled", "withdraw"]
        assert {e.actor for e in events} == {"rev1"}
        delivery = s.scalars(select(CallbackDelivery).where(CallbackDelivery.item_id == first)).one()
        body = json.loads(delivery.payload)
        assert body["event"] == "withdraw" and body["external_id"] == "al-1" and "id-card" not in delivery.payload
    assert 'id="item-alerts"' not in c.get(f"/review/items/{first}").text  # closed


def test_a_sign_form_without_a_decision_is_answered_in_chinese_by_the_server(web: Web) -> None:
    """No browser validation bubble (it speaks the browser's language): the form is `novalidate`, no radio is
    `required`, and the server says in Chinese what is missing, with no raw code."""
    item_id = make_item(web.db, TEXT, [("13812345678", "review")])
    c = web.client()
    login(c, "rev1")
    html = c.get(f"/review/items/{item_id}").text
    form = re.search(r'<form[^>]*id="sign-form"[^>]*>', html)
    assert form and "novalidate" in form.group(0)
    assert not re.search(r'<input[^>]*name="decision"[^>]*required', html)
    data = _form(html, _item(web, item_id), "approve", all="false_positive")
    del data["decision"]
    resp = c.post(f"/review/items/{item_id}/sign", data=data)
    assert resp.status_code == 422 and "请选择审查结论" in resp.text
    assert not re.search(r"approve|reject|decision", re.sub(r"<[^>]+>", "", resp.text).split("请选择审查结论")[1][:60])
