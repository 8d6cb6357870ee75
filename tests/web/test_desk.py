"""The reviewer's desk through the pages (TestClient on the real app): what cannot be done is said before the work,
nothing entered is lost, failed scans are on the desk, carried-over dispositions, the officer sees the first signer,
error pages are HTML in Chinese."""

from __future__ import annotations

import json
import re
from datetime import timedelta

from sqlalchemy import select, update

from reviewer.accounts import manage as accounts
from reviewer.scan.model import ScanResult
from reviewer.store.models import AuditEvent, Item, Receipt, Review, WebSession, utcnow
from reviewer.workflow import scanning
from tests.web.conftest import Web
from tests.web.helpers import csrf_of, login, make_item

TEXT = "关于做好年度考核工作的通知\n本次考核涉及绝密★长期材料，请联系赵某，电话13900001111。\n附件另发。"
BLOCK = ("绝密★长期", "block", "test.marking", "密级标志", "发现密级标志")
REVIEW = ("13900001111", "review", "test.phone", "个人信息", "发现手机号码")


def _item(web: Web, item_id: int) -> Item:
    with web.db.session() as s:
        item = s.get(Item, item_id)
        assert item is not None
        _ = item.findings, item.unit
        return item


def _form(html: str, item: Item, decision: str, disp: dict[int, tuple[str, str]]) -> dict[str, str]:
    data = {"csrf_token": csrf_of(html), "content_sha256": item.content_sha256, "decision": decision, "comment": "已核"}
    for fid, (d, reason) in disp.items():
        data[f"disp_{fid}"] = d
        data[f"reason_{fid}"] = reason
    return data


def _decisions(html: str) -> set[str]:
    return set(re.findall(r'name="decision" value="(\w+)"', html))


def test_block_policy_says_so_before_any_work_and_offers_no_approval(web: Web) -> None:
    item_id = make_item(web.db, TEXT, [BLOCK, REVIEW], external_id="blk")  # U1: block findings must be revised
    c = web.client()
    login(c, "rev1")
    html = c.get(f"/review/items/{item_id}").text
    blockers = html.index('id="blockers"')
    assert blockers < html.index('id="findings"') and blockers < html.index('id="sign-form"')  # before the work
    assert "本件不能批准" in html and 'data-code="block_policy"' in html
    assert _decisions(html) == {"return", "reject"}  # 批准发布 is not offered
    item = _item(web, item_id)
    forced = _form(html, item, "approve", {f.id: ("false_positive", "核实无误") for f in item.findings})
    resp = c.post(f"/review/items/{item_id}/sign", data=forced)  # crafted: the workflow refuses it all the same
    assert resp.status_code == 409 and _item(web, item_id).state == "awaiting_review"


def test_author_gets_no_sign_form(web: Web) -> None:
    item_id = make_item(web.db, TEXT, [REVIEW], external_id="own", author="REV1B")
    c = web.client()
    login(c, "rev1b")
    html = c.get(f"/review/items/{item_id}").text
    assert "您不能签署本件" in html and 'data-code="author"' in html
    assert 'id="sign-form"' not in html and 'name="decision"' not in html
    other = web.client()
    login(other, "rev1")
    assert 'id="sign-form"' in other.get(f"/review/items/{item_id}").text


def test_undisposed_findings_are_named_and_linked(web: Web) -> None:
    item_id = make_item(web.db, TEXT, [REVIEW, ("附件另发", "info", "test.attach", "附件", "附件提示")], external_id="und")
    c = web.client()
    login(c, "rev1")
    html = c.get(f"/review/items/{item_id}").text
    item = _item(web, item_id)
    phone, attach = item.findings
    resp = c.post(f"/review/items/{item_id}/sign", data=_form(html, item, "approve", {phone.id: ("confirmed", "")}))
    assert resp.status_code == 422 and "尚有 1 条未处置" in resp.text
    error = resp.text[resp.text.index('id="error"'):]
    error = error[: error.index("</div>")]
    assert f'href="#f-{attach.id}"' in error and f'href="#f-{phone.id}"' not in error
    assert "#2" in error
    assert "须修改" in resp.text and "属实但可公开（说明理由）" in resp.text and "误报（说明理由）" in resp.text
    assert 'id="disp-help"' in resp.text and "确认（发现成立）" not in resp.text


def _officer_unit_user(web: Web, name: str) -> None:
    with web.db.session() as s:
        accounts.create_user(s, name, "U2", "officer", display_name=name.upper(), password=name + "-password")


def test_exception_approval_needs_reasons_and_confirmation_and_is_recorded(web: Web) -> None:
    _officer_unit_user(web, "off2b")
    item_id = make_item(web.db, TEXT, [BLOCK, REVIEW], external_id="exc", cms="cms2")  # U2: officer policy
    c = web.client()
    login(c, "rev2")
    html = c.get(f"/review/items/{item_id}").text
    assert 'id="exception-note"' in html and "approve" in _decisions(html)
    item = _item(web, item_id)
    block, phone = item.findings
    # 误报 on a block finding without a reason: refused
    resp = c.post(f"/review/items/{item_id}/sign", data=_form(html, item, "return", {block.id: ("false_positive", " "), phone.id: ("confirmed", "")}))
    assert resp.status_code == 422 and "须写明理由" in resp.text and _item(web, item_id).state == "awaiting_review"
    form = _form(html, item, "approve", {block.id: ("confirmed", "上级已同意公开此标志的样例"), phone.id: ("confirmed", "号码已脱敏")})
    resp = c.post(f"/review/items/{item_id}/sign", data=form)
    assert resp.status_code == 422 and "勾选确认" in resp.text
    assert 'value="上级已同意公开此标志的样例"' in resp.text  # kept
    assert c.post(f"/review/items/{item_id}/sign", data={**form, "exception_confirm": "1"}).status_code == 303
    o = web.client()
    login(o, "off2b")
    html = o.get(f"/review/items/{item_id}").text
    assert "例外批准" in html
    assert 'id="exception-confirm"' in html  # the officer confirms the exception himself
    form = _form(html, _item(web, item_id), "approve", {})
    resp = o.post(f"/review/items/{item_id}/sign", data=form)
    assert resp.status_code == 422 and "保密员复核须本人勾选例外批准确认" in resp.text
    assert o.post(f"/review/items/{item_id}/sign", data={**form, "exception_confirm": "1"}).status_code == 303
    with web.db.session() as s:
        payload = json.loads(s.scalars(select(Receipt.payload).where(Receipt.item_id == item_id)).one())
        # 须修改 (sent as the old value "confirmed") stands at any level: the phone number is part of the exception too
        assert payload["exception_approval"] == [{"finding": block.seq + 1, "rule": "test.marking"},
                                                 {"finding": phone.seq + 1, "rule": "test.phone"}]
        evs = s.scalars(select(AuditEvent).where(AuditEvent.item_id == item_id, AuditEvent.action == "exception_approval")
                        .order_by(AuditEvent.seq)).all()
        assert [json.loads(ev.data)["findings"] for ev in evs] == [[block.seq + 1, phone.seq + 1]] * 2
        assert [json.loads(ev.data)["stage"] for ev in evs] == ["unit", "officer"]
    html = o.get(f"/review/items/{item_id}").text
    assert 'id="receipt-exception"' in html


def test_officer_sees_first_signer_before_the_form_and_starts_from_it(web: Web) -> None:
    _officer_unit_user(web, "off2b")
    item_id = make_item(web.db, TEXT, [BLOCK, REVIEW], external_id="off", cms="cms2")
    c = web.client()
    login(c, "off2")
    html = c.get(f"/review/items/{item_id}").text
    item = _item(web, item_id)
    block, phone = item.findings
    form = _form(html, item, "approve", {block.id: ("confirmed", "样例图片中的标志"), phone.id: ("false_positive", "这是总机号码")})
    assert c.post(f"/review/items/{item_id}/sign", data={**form, "exception_confirm": "1"}).status_code == 303
    # the first signer cannot co-sign: shown what was signed and what happens next (not a refusal), no form
    html = c.get(f"/review/items/{item_id}").text
    assert 'id="own-signature"' in html and "保密员复核" in html and 'id="sign-form"' not in html
    assert "您不能签署本件" not in html
    o = web.client()
    login(o, "off2b")
    html = o.get(f"/review/items/{item_id}").text
    first = html.index('id="first-review"')
    assert first < html.index('id="sign-form"')
    assert "这是总机号码" in html[first: html.index('id="sign-form"')] and "OFF2" in html[first: html.index('id="sign-form"')]
    # the officer writes his own: nothing of the first signer's is entered in his form
    form_html = html[html.index('id="sign-form"'):html.index("</form>", html.index('id="sign-form"'))]
    assert not re.search(r'name="disp_\d+" value="\w+" checked', form_html)
    assert "这是总机号码" not in form_html and "样例图片中的标志" not in form_html
    item = _item(web, item_id)
    own = _form(html, item, "approve", {block.id: ("confirmed", "样例图片，复核同意"), phone.id: ("false_positive", "总机号码，已公开")})
    assert o.post(f"/review/items/{item_id}/sign", data={**own, "exception_confirm": "1"}).status_code == 303
    with web.db.session() as s:  # the history records the officer's own reasons, not the first signer's
        review = s.scalars(select(Review).where(Review.item_id == item_id, Review.stage == "officer")).one()
        assert sorted(d.reason for d in review.dispositions) == ["总机号码，已公开", "样例图片，复核同意"]


def test_stale_form_token_keeps_the_entered_work(web: Web) -> None:
    item_id = make_item(web.db, TEXT, [REVIEW], external_id="stale")
    c = web.client()
    login(c, "rev1")
    html = c.get(f"/review/items/{item_id}").text
    item = _item(web, item_id)
    form = _form(html, item, "approve", {item.findings[0].id: ("false_positive", "单位公开的值班电话")})
    form["csrf_token"] = "from-an-old-tab"
    form["comment"] = "同意发布，请注意排版"
    resp = c.post(f"/review/items/{item_id}/sign", data=form)
    assert resp.status_code == 403 and "表单已失效" in resp.text
    assert 'value="单位公开的值班电话"' in resp.text and "同意发布，请注意排版" in resp.text
    assert re.search(rf'name="disp_{item.findings[0].id}" value="false_positive" checked', resp.text)
    assert _item(web, item_id).state == "awaiting_review"
    retry = {**form, "csrf_token": csrf_of(resp.text)}  # the page carries a valid token: signing again works
    assert c.post(f"/review/items/{item_id}/sign", data=retry).status_code == 303


def test_expired_session_returns_to_the_item_after_login(web: Web) -> None:
    item_id = make_item(web.db, TEXT, [REVIEW], external_id="exp")
    c = web.client()
    login(c, "rev1")
    html = c.get(f"/review/items/{item_id}").text
    with web.db.session() as s:
        s.execute(update(WebSession).values(expires_at=utcnow() - timedelta(minutes=1)))
    item = _item(web, item_id)
    resp = c.post(f"/review/items/{item_id}/sign", data=_form(html, item, "approve", {item.findings[0].id: ("confirmed", "")}))
    assert resp.status_code == 303 and resp.headers["location"] == "/login"
    assert (c.cookies.get("rv_next") or "").strip('"') == f"/review/items/{item_id}"
    page = c.get("/login")
    assert "会话已过期" in page.text and f'name="next" value="/review/items/{item_id}"' in page.text
    back = c.post("/login", data={"csrf_token": csrf_of(page.text), "username": "rev1", "password": "rev1-password",
                                  "next": f"/review/items/{item_id}"})
    assert back.status_code == 303 and back.headers["location"] == f"/review/items/{item_id}"
    assert _item(web, item_id).state == "awaiting_review"  # nothing was signed with the dead session
    fresh = web.client()  # never logged in: no claim of an expired session
    assert "会话已过期" not in fresh.get("/login").text


def test_login_next_cannot_leave_the_site(web: Web) -> None:
    c = web.client()
    for evil in ("https://evil.example/", "//evil.example/review", "/review/../../x", "/\\evil.example", "javascript:alert(1)"):
        c.cookies.set("rv_next", evil)
        page = c.get("/login", params={"next": evil})
        assert 'name="next" value=""' in page.text, evil
        resp = c.post("/login", data={"csrf_token": csrf_of(page.text), "username": "rev1", "password": "rev1-password", "next": evil})
        assert resp.headers["location"] == "/", evil


def test_new_version_carries_over_unchanged_dispositions(web: Web) -> None:
    v1 = make_item(web.db, TEXT, [BLOCK, REVIEW], external_id="carry")
    c = web.client()
    login(c, "rev1")
    html = c.get(f"/review/items/{v1}").text
    item = _item(web, v1)
    block, phone = item.findings
    disp = {block.id: ("confirmed", "须删去密级标志"), phone.id: ("false_positive", "单位公开电话")}
    assert c.post(f"/review/items/{v1}/sign", data=_form(html, item, "return", disp)).status_code == 303
    text2 = TEXT.replace("绝密★长期材料", "相关材料").replace("附件另发", "附件另发，联系人钱某13700002222")
    v2 = make_item(web.db, text2, [REVIEW, ("13700002222", "review", "test.phone", "个人信息", "发现手机号码")], external_id="carry")
    html = c.get(f"/review/items/{v2}").text
    new = _item(web, v2)
    same, added = new.findings
    assert f'id="carried-{same.id}"' in html and f'id="carried-{added.id}"' not in html
    assert re.search(rf'name="disp_{same.id}" value="false_positive" checked', html)
    assert not re.search(rf'name="disp_{added.id}" value="\w+" checked', html)
    assert 'value="单位公开电话"' in html
    assert html.index('id="diff"') < html.index('id="findings"')  # the diff near the top
    queue = c.get("/review").text
    row = queue[queue.index(f'href="/review/items/{v2}"'):]
    assert "退回后重新提交" in row[: row.index("</tr>")]
    old = c.get(f"/review/items/{v1}").text
    assert f'href="/review/items/{v2}"' in old and 'id="superseded"' in old  # the old version links to the new one


def test_carry_over_needs_same_place_and_text(web: Web) -> None:
    v1 = make_item(web.db, TEXT, [REVIEW], external_id="moved")
    c = web.client()
    login(c, "rev1")
    html = c.get(f"/review/items/{v1}").text
    item = _item(web, v1)
    assert c.post(f"/review/items/{v1}/sign", data=_form(html, item, "return", {item.findings[0].id: ("false_positive", "x")})).status_code == 303
    v2 = make_item(web.db, TEXT.replace("13900001111", "13900001112"), [("13900001112", "review", "test.phone", "个人信息", "手机")],
                   external_id="moved")
    html = c.get(f"/review/items/{v2}").text
    assert "沿用上一版本" not in html.split('id="findings"')[1]


def _failed(web: Web, external_id: str) -> int:
    item_id = make_item(web.db, "占位", external_id=external_id)
    with web.db.session() as s:
        item = s.get(Item, item_id)
        assert item is not None
        item.state = "scanning"
    with web.db.session() as s:
        scanning.record_scan(s, item_id, ScanResult(rules_version="rv", error="第 3 页的嵌入字体无法解码，该页文字未读取"))
    return item_id


def test_failed_scans_are_on_the_desk_and_can_be_returned(web: Web) -> None:
    item_id = _failed(web, "fail-1")
    assert _item(web, item_id).state == "scan_failed"
    c = web.client()
    login(c, "rev1")
    queue = c.get("/review").text
    assert f'href="/review/items/{item_id}"' in queue and "扫描失败" in queue
    only = c.get("/review", params={"verdict": "error"}).text
    assert re.findall(r'href="/review/items/(\d+)"', only) == [str(item_id)]
    html = c.get(f"/review/items/{item_id}").text
    assert "扫描未能完整读取本稿件" in html and "嵌入字体无法解码" in html
    assert "扫描未发现问题" not in html
    assert _decisions(html) == {"return", "reject"}
    resp = c.post(f"/review/items/{item_id}/sign", data={"csrf_token": csrf_of(html), "content_sha256": _item(web, item_id).content_sha256,
                                                         "decision": "approve", "comment": ""})
    assert resp.status_code == 409 and _item(web, item_id).state == "scan_failed"
    resp = c.post(f"/review/items/{item_id}/sign", data={"csrf_token": csrf_of(html), "content_sha256": _item(web, item_id).content_sha256,
                                                         "decision": "return", "comment": "请重新导出 PDF"})
    assert resp.status_code == 303 and _item(web, item_id).state == "returned"


def test_queue_states_sorting_and_my_signed_list(web: Web) -> None:
    quiet = make_item(web.db, "公开内容", external_id="q1")
    loud = make_item(web.db, TEXT, [BLOCK], external_id="q2")
    c = web.client()
    login(c, "rev1")
    ids = re.findall(r'href="/review/items/(\d+)"', c.get("/review").text)
    assert ids == [str(quiet), str(loud)]  # oldest first by default
    ids = re.findall(r'href="/review/items/(\d+)"', c.get("/review", params={"sort": "severity"}).text)
    assert ids == [str(loud), str(quiet)]
    assert "待审查" in c.get("/review").text
    html = c.get(f"/review/items/{quiet}").text
    assert c.post(f"/review/items/{quiet}/sign", data=_form(html, _item(web, quiet), "approve", {})).status_code == 303
    mine = c.get("/review/signed").text
    assert f'href="/review/items/{quiet}"' in mine and f'href="/review/items/{loud}"' not in mine and "<td>批准</td>" in mine


def test_original_file_downloads_exactly(web: Web) -> None:
    item_id = make_item(web.db, TEXT, external_id="orig")
    c = web.client()
    login(c, "rev1")
    resp = c.get(f"/review/items/{item_id}/original")
    assert resp.status_code == 200 and resp.content == TEXT.encode() and "attachment" in resp.headers["content-disposition"]
    other = web.client()
    login(other, "rev2")
    assert other.get(f"/review/items/{item_id}/original").status_code == 404
    admin = web.client()
    login(admin, "adm")
    assert admin.get(f"/review/items/{item_id}/original").status_code == 403


def test_error_pages_are_chinese_html_with_navigation(web: Web) -> None:
    c = web.client()
    login(c, "rev1")
    for url, status, heading in [("/no/such/page", 404, "页面不存在"), ("/review/items/1/sign", 405, "不支持该操作"),
                                 ("/review/items/abc", 422, "请求参数有误"), ("/static/nope.css", 404, "页面不存在"),
                                 ("/audit", 403, "无权访问")]:
        resp = c.get(url)
        assert resp.status_code == status, url
        assert resp.headers["content-type"].startswith("text/html"), url
        assert f'<h1 id="error-heading">{heading}</h1>' in resp.text, url
        assert 'href="/review"' in resp.text and "Not Found" not in resp.text and "detail" not in resp.text, url
    api = c.get("/api/v1/no-such-thing")
    assert api.status_code == 404 and api.headers["content-type"].startswith("application/json")


def test_api_errors_name_what_was_wrong(web: Web) -> None:
    from tests.services import seed  # noqa: F401  (the tokens come from the web fixture's seed)

    with web.db.session() as s:
        token = accounts.create_token(s, user=s.scalars(select(accounts.User).where(accounts.User.username == "rev1")).one()).token
    c = web.client()
    h = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    bad = c.post("/api/v1/items/1/review", content=b'{"decision": "approve",', headers=h)
    assert bad.status_code == 422
    detail = bad.json()["detail"]
    assert detail.startswith("请求参数无效：") and "JSON" in detail and not detail.endswith("：")
    bad = c.post("/api/v1/items/1/review", json={"content_sha256": "0" * 64, "decision": "publish"}, headers=h)
    detail = bad.json()["detail"]
    assert "decision" in detail and "approve" in detail and "reject" in detail and "return" in detail


def _docx_item(web: Web) -> int:
    import io

    import docx

    from reviewer.accounts.actor import Actor
    from reviewer.store.models import ApiToken
    from reviewer.workflow import submit

    d = docx.Document()
    d.core_properties.title = "季度工作安排"
    d.core_properties.keywords = "安排 季度"
    d.add_paragraph("请各处室按下表落实。")
    t = d.add_table(rows=2, cols=2)
    for r, (a, b) in enumerate([("事项", "责任处室"), ("汛前检查", "综合处")]):
        t.cell(r, 0).text, t.cell(r, 1).text = a, b
    buf = io.BytesIO()
    d.save(buf)
    with web.db.session() as s:
        token = s.scalars(select(ApiToken).where(ApiToken.client_name == "cms1")).one()
        item_id = submit.submit(s, Actor.of_token(token), external_id="docx-1", content=buf.getvalue(), title="季度安排",
                                file_name="plan.docx").item.id
    with web.db.session() as s:
        scanning.start_scan(s, item_id)
    with web.db.session() as s:
        scanning.record_scan(s, item_id, ScanResult(rules_version="rv"))
    return item_id


def test_docx_page_shows_tables_as_tables_and_named_properties(web: Web) -> None:
    item_id = _docx_item(web)
    c = web.client()
    login(c, "rev1")
    html = c.get(f"/review/items/{item_id}").text
    table = html[html.index('<table class="doc-table"'):]
    table = table[: table.index("</table>")]
    assert table.count("<tr>") == 2 and table.count("<td>") == 4 and "汛前检查" in table and "综合处" in table
    assert "文档属性“标题”：" in html and "文档属性“关键词”：" in html
    doc = html[html.index('<div class="doc">'): html.index('<aside class="side"')]
    assert "文档属性:" not in doc and not re.search(r">[^<]*\b(title|keywords|creator)\b[^<]*<", doc)


def test_receipt_times_are_beijing_time(web: Web) -> None:
    item_id = make_item(web.db, "公开内容", external_id="tz")
    c = web.client()
    login(c, "rev1")
    html = c.get(f"/review/items/{item_id}").text
    assert c.post(f"/review/items/{item_id}/sign", data=_form(html, _item(web, item_id), "approve", {})).status_code == 303
    html = c.get(f"/review/items/{item_id}").text
    with web.db.session() as s:
        issued = json.loads(s.scalars(select(Receipt.payload).where(Receipt.item_id == item_id)).one())["issued_at"]
    from datetime import datetime

    from reviewer.audit.exports import fmt_time

    shown = html[html.index('id="receipt-issued">') + len('id="receipt-issued">'):]
    assert shown.startswith(fmt_time(datetime.fromisoformat(issued)) + "（北京时间）")


def test_auditor_finds_signers_by_name_and_pages_beyond_one_page(web: Web, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from reviewer.web import pages_audit

    signed = []
    c = web.client()
    login(c, "rev1")
    for n in range(3):
        item_id = make_item(web.db, f"公开内容{n}", external_id=f"pg-{n}")
        html = c.get(f"/review/items/{item_id}").text
        assert c.post(f"/review/items/{item_id}/sign", data=_form(html, _item(web, item_id), "approve", {})).status_code == 303
        signed.append(item_id)
    a = web.client()
    login(a, "aud")
    by_name = re.findall(r'href="/audit/items/(\d+)"', a.get("/audit", params={"reviewer": "REV1"}).text)
    assert sorted(map(int, by_name)) == signed
    assert re.findall(r'href="/audit/items/(\d+)"', a.get("/audit", params={"reviewer": "REV1B"}).text) == []
    monkeypatch.setattr(pages_audit, "PAGE_SIZE", 2)
    first = a.get("/audit", params={"reviewer": "rev1"}).text
    second = a.get("/audit", params={"reviewer": "rev1", "page": "2"}).text
    one, two = re.findall(r'href="/audit/items/(\d+)"', first), re.findall(r'href="/audit/items/(\d+)"', second)
    assert len(one) == 2 and len(two) == 1 and sorted(map(int, one + two)) == signed
    assert "page=2" in first and "共 3 件" in first


def test_stats_empty_year_and_numeric_share(web: Web) -> None:
    import io

    item_id = make_item(web.db, TEXT, [REVIEW], external_id="st")
    c = web.client()
    login(c, "rev1")
    html = c.get(f"/review/items/{item_id}").text
    item = _item(web, item_id)
    form = _form(html, item, "approve", {item.findings[0].id: ("false_positive", "公开电话")})
    assert c.post(f"/review/items/{item_id}/sign", data=form).status_code == 303
    a = web.client()
    login(a, "aud")
    empty = a.get("/audit/stats", params={"year": "1999"}).text
    assert 'id="chart-empty"' in empty and '<svg id="stats-chart"' not in empty
    from datetime import datetime

    year = datetime.now().year
    page = a.get("/audit/stats", params={"year": year}).text
    assert 'class="bar-value"' in page
    data = a.get("/audit/stats.xlsx", params={"year": year}).content
    import openpyxl

    book = openpyxl.load_workbook(io.BytesIO(data))
    sheet = book[book.sheetnames[1]]
    rows = [[cell.value for cell in r] for r in sheet.iter_rows()]
    share = rows[0].index("误报占比（%）")
    assert rows[1][share] == 100 and isinstance(rows[1][share], int | float)  # a number, not "100.0%"


def test_idle_expiry_says_so_and_logout_does_not(web: Web) -> None:
    """A real idle expiry (no activity for longer than the idle timeout; the request that finds it ends the session)
    is told on the login page as 会话已过期; a person who pressed 退出 is not told so."""
    item_id = make_item(web.db, TEXT, [REVIEW], external_id="idle")
    c = web.client()
    login(c, "rev1")
    assert c.get(f"/review/items/{item_id}").status_code == 200
    with web.db.session() as s:  # the last activity was 3 hours ago: idle far beyond the timeout
        s.execute(update(WebSession).values(last_seen_at=utcnow() - timedelta(hours=3),
                                            created_at=utcnow() - timedelta(hours=3)))
    resp = c.get(f"/review/items/{item_id}")
    assert resp.status_code == 303 and resp.headers["location"].startswith("/login")
    assert "会话已过期" in c.get("/login").text
    out = web.client()
    login(out, "rev1")
    html = out.get("/review").text
    out.post("/logout", data={"csrf_token": csrf_of(html)})
    assert "会话已过期" not in out.get("/login").text


def test_second_version_shows_the_return_comment_and_finding_changes(web: Web) -> None:
    """v2's page shows v1's return comment and which findings are new, still there, or resolved (not only a text
    diff); each finding carries its tag."""
    v1_text = "关于做好年度考核工作的通知\n本次考核涉及绝密★长期材料，请联系赵某，电话13900001111。\n附件另发。"
    v1 = make_item(web.db, v1_text, [BLOCK, REVIEW], external_id="ver")
    c = web.client()
    login(c, "rev1")
    html = c.get(f"/review/items/{v1}").text
    item = _item(web, v1)
    form = _form(html, item, "return", {f.id: ("confirmed", "") for f in item.findings})
    form["comment"] = "请删除第2段中的个人手机号码"
    assert c.post(f"/review/items/{v1}/sign", data=form).status_code == 303
    v2_text = "关于做好年度考核工作的通知\n本次考核涉及绝密★长期材料，请联系考核办。\n内部资料 注意保存。"
    v2 = make_item(web.db, v2_text, [BLOCK, ("内部资料", "review", "test.internal", "内部标志", "内部标志")],
                   external_id="ver")
    assert v2 != v1
    page = c.get(f"/review/items/{v2}").text
    note = page[page.index('id="returned-note"'):]
    assert "请删除第2段中的个人手机号码" in note[:600] and "REV1" in note[:600]
    assert re.search(r'id="fc-new">1<', page) and re.search(r'id="fc-carried">1<', page)
    assert re.search(r'id="fc-resolved">1<', page)
    v2_item = _item(web, v2)
    internal = next(f for f in v2_item.findings if f.rule == "test.internal")
    marking = next(f for f in v2_item.findings if f.rule == "test.marking")
    head = lambda f: page[page.index(f'id="fh-{f.id}"'):page.index("</div>", page.index(f'id="fh-{f.id}"'))]  # noqa: E731
    assert "新增" in head(internal) and "上一版本已有" in head(marking)


def test_second_reviewer_sees_who_has_it_open_and_who_signed(web: Web) -> None:
    """Two reviewers on one item: the second is told who has it open (a claim that runs out); if the first signs
    while the second works, the second's refusal names who signed and when, and the second's work is shown again."""
    item_id = make_item(web.db, TEXT, [REVIEW], external_id="two")
    first, second = web.client(), web.client()
    login(first, "rev1")
    login(second, "rev1b")
    html1 = first.get(f"/review/items/{item_id}").text
    assert 'id="held-by"' not in html1
    html2 = second.get(f"/review/items/{item_id}").text
    assert 'id="held-by"' in html2 and "REV1（rev1）" in html2[html2.index('id="held-by"'):][:300]
    item = _item(web, item_id)
    fid = item.findings[0].id
    assert first.post(f"/review/items/{item_id}/sign",
                      data=_form(html1, item, "approve", {fid: ("false_positive", "总机号码")})).status_code == 303
    late = second.post(f"/review/items/{item_id}/sign",
                       data={**_form(html2, item, "approve", {fid: ("false_positive", "我的理由")}), "comment": "我的意见"})
    assert late.status_code == 409
    assert re.search(r"本件已由 REV1（rev1） 于 \d{4}-\d\d-\d\d \d\d:\d\d:\d\d 签署（批准）", late.text)
    assert "我的意见" in late.text  # nothing the second reviewer entered is lost
    with web.db.session() as s:  # the claim was released by the signature; an expired claim is no claim
        from reviewer.store.models import ItemClaim

        assert s.get(ItemClaim, item_id) is None
    other = make_item(web.db, TEXT, [REVIEW], external_id="two-b")
    first.get(f"/review/items/{other}")
    with web.db.session() as s:
        s.execute(update(ItemClaim).values(expires_at=utcnow() - timedelta(minutes=1)))
    assert 'id="held-by"' not in second.get(f"/review/items/{other}").text
