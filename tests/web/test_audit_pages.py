"""Auditor pages: read everything, change nothing; search, history, exports, statistics with the chart, verify."""

from __future__ import annotations

import csv
import io
import re

import openpyxl
from sqlalchemy import select, text

from reviewer.store.models import Item
from tests.web.conftest import Web
from tests.web.helpers import csrf_of, login, make_item

TEXT = "本次检查涉及机密★10年文件，联系人手机13812345678。"


def _signed(web: Web) -> tuple[int, int]:
    a = make_item(web.db, TEXT, [("13812345678", "review")], external_id="a-1", title="甲稿")
    b = make_item(web.db, "第二单位公开稿", external_id="b-1", cms="cms2", title="乙稿")
    c = web.client()
    login(c, "rev1")
    html = c.get(f"/review/items/{a}").text
    with web.db.session() as s:
        item = s.get(Item, a)
        assert item is not None
        form = {"csrf_token": csrf_of(html), "content_sha256": item.content_sha256, "decision": "approve", "comment": "同意"}
        form.update({f"disp_{f.id}": "false_positive" for f in item.findings})
        form.update({f"reason_{f.id}": "公开的办公电话" for f in item.findings})  # 误报 needs a reason
    assert c.post(f"/review/items/{a}/sign", data=form).status_code == 303
    return a, b


def test_only_auditors_and_admins(web: Web) -> None:
    c = web.client()
    login(c, "rev1")
    for url in ("/audit", "/audit/stats", "/audit/verify", "/audit/log", "/audit/export.csv"):
        assert c.get(url).status_code == 403, url
    anon = web.client()
    assert anon.get("/audit").headers["location"] == "/login"
    assert anon.get("/audit/export.csv").headers["location"] == "/login"


def test_search_and_history(web: Web) -> None:
    a, b = _signed(web)
    c = web.client()
    login(c, "aud")
    html = c.get("/audit").text
    assert f'href="/audit/items/{a}"' in html and f'href="/audit/items/{b}"' in html  # every unit
    html = c.get("/audit", params={"reviewer": "rev1", "decision": "approve"}).text
    assert f'href="/audit/items/{a}"' in html and f'href="/audit/items/{b}"' not in html
    html = c.get("/audit", params={"unit": "U2"}).text
    assert f'href="/audit/items/{b}"' in html and f'href="/audit/items/{a}"' not in html
    assert f'/audit/items/{a}"' in c.get("/audit", params={"rule": "test.review"}).text
    assert "没有符合条件" in c.get("/audit", params={"external_id": "' OR 1=1 --"}).text
    resp = c.get("/audit", params={"item_id": "1; DROP TABLE items"})
    assert resp.status_code == 422 and "数字" in resp.text
    hist = c.get(f"/audit/items/{a}").text
    assert "第 1 版" in hist and "同意" in hist and "误报" in hist and "生成发布回执" in hist
    assert '<mark class="hl sev-review"' in hist and "13812345678" in hist  # auditors see the exact content


def test_admin_sees_no_matched_terms(web: Web) -> None:
    a, _ = _signed(web)
    c = web.client()
    login(c, "adm")
    hist = c.get(f"/audit/items/{a}").text
    assert "13812345678" not in hist and "不能查看稿件全文" in hist


def test_export_csv_and_xlsx_of_a_search(web: Web) -> None:
    a, b = _signed(web)
    c = web.client()
    login(c, "aud")
    resp = c.get("/audit/export.csv", params={"unit": "U1"})
    assert resp.status_code == 200 and resp.headers["content-type"].startswith("text/csv")
    assert "attachment" in resp.headers["content-disposition"]
    rows = list(csv.reader(io.StringIO(resp.content.decode("utf-8-sig"))))
    assert rows[0][:3] == ["稿件编号", "外部编号", "版本"] and [r[0] for r in rows[1:]] == [str(a)]
    assert "REV1（rev1，审查员：批准）" in rows[1]  # the signer by name, not an account string
    assert "需人工审查" in rows[1] and "review" not in rows[1]  # verdicts in Chinese
    with web.db.session() as s:  # exporting is itself a logged event
        from reviewer.store.models import AuditEvent

        ev = s.scalars(select(AuditEvent).where(AuditEvent.action == "export").order_by(AuditEvent.seq.desc())).first()
        assert ev is not None and ev.actor == "aud" and '"rows":1' in ev.data and '"unit":"U1"' in ev.data
    resp = c.get("/audit/export.xlsx")
    book = openpyxl.load_workbook(io.BytesIO(resp.content))
    assert {r[0].value for r in book["检索结果"].iter_rows(min_row=2)} == {a, b}


def test_stats_page_has_table_and_chart(web: Web) -> None:
    _signed(web)
    c = web.client()
    login(c, "aud")
    from datetime import datetime

    year = datetime.now().year
    html = c.get("/audit/stats", params={"year": year}).text
    assert '<svg id="stats-chart"' in html and "第一单位" in html
    assert len(re.findall(r'<rect class="bar"', html)) == 2 * 6  # two units × six series
    assert "test.review" in html and "100.0%" in html  # the one disposition was a false positive
    assert c.get("/audit/stats", params={"year": "x"}).status_code == 422
    csv_resp = c.get("/audit/stats.csv", params={"year": year})
    assert csv_resp.content.decode("utf-8-sig").splitlines()[0].startswith("单位,提交")
    assert c.get("/audit/stats.xlsx", params={"year": year}).status_code == 200


def test_verify_page_names_the_first_broken_event(web: Web) -> None:
    _signed(web)
    c = web.client()
    login(c, "aud")
    html = c.get("/audit/verify").text
    assert 'data-ok="1"' in html
    with web.db.session() as s:
        s.execute(text("UPDATE audit_events SET data = '{}' WHERE seq = 2"))
    html = c.get("/audit/verify").text
    assert 'data-ok="0"' in html and "第 2 号事件" in html


def test_log_page(web: Web) -> None:
    a, _ = _signed(web)
    c = web.client()
    login(c, "aud")
    html = c.get("/audit/log", params={"item_id": str(a)}).text
    assert "批准" in html and "提交" in html
    assert "登录" in c.get("/audit/log", params={"action": "login"}).text


SQL_META = ["' OR '1'='1", "1; DROP TABLE items; --", "%", "_", "\\", "\" OR \"\"=\"", "机密' --", "\x00"]


def test_sql_metacharacters_in_every_search_field(web: Web) -> None:
    a, b = _signed(web)
    c = web.client()
    login(c, "aud")
    for value in SQL_META:
        for field in ("unit", "reviewer", "decision", "rule", "item_id", "external_id", "since", "until"):
            resp = c.get("/audit", params={field: value})
            assert resp.status_code in (200, 422), (field, value)
            assert f'href="/audit/items/{a}"' not in resp.text, (field, value)  # nothing matches a metacharacter
        for field in ("unit", "actor", "action", "item_id", "since", "until"):
            resp = c.get("/audit/log", params={field: value})
            assert resp.status_code in (200, 422), (field, value)
        assert c.get("/audit/export.csv", params={"external_id": value}).content.decode("utf-8-sig").count("\n") == 1
    r = web.client()
    login(r, "rev1")
    for value in SQL_META:
        for field in ("verdict", "channel", "author"):
            resp = r.get("/review", params={field: value})
            assert resp.status_code == 200 and "没有符合条件" in resp.text, (field, value)
    with web.db.session() as s:
        assert s.get(Item, a) is not None and s.get(Item, b) is not None


def test_out_of_range_ids(web: Web) -> None:
    c = web.client()
    login(c, "aud")
    assert c.get("/audit/items/99999999999999999999").status_code == 404
    assert c.get("/audit", params={"item_id": "99999999999999999999"}).status_code == 422
    assert c.get("/audit", params={"item_id": "²"}).status_code == 422
    r = web.client()
    login(r, "rev1")
    assert r.get("/review/items/99999999999999999999").status_code == 404


def test_people_units_and_rules_are_found_by_the_names_people_use(web: Web) -> None:
    """An auditor searches the log by a person's name (REV1 finds rev1's events), a unit by its name (第一单位), items
    by a rule's Chinese title (居民身份证号码 finds id-card findings); what matches nothing is said, never silently
    empty; a range whose start is after its end is said too."""
    idcard = "登记表：身份证号11010519491231002X。"
    a = make_item(web.db, idcard, [("11010519491231002X", "review", "id-card", "个人信息", "发现身份证号码")],
                  external_id="id-1", title="丙稿")
    other, _ = _signed(web)
    c = web.client()
    login(c, "aud")
    by_name = c.get("/audit/log", params={"actor": "REV1"}).text
    by_user = c.get("/audit/log", params={"actor": "rev1"}).text
    assert "批准" in by_name and by_name.count("<tr") == by_user.count("<tr") > 2
    assert "没有姓名或用户名为“王不存在”的账号" in c.get("/audit/log", params={"actor": "王不存在"}).text
    unit_by_name = c.get("/audit/log", params={"unit": "第一单位"}).text
    assert unit_by_name.count("<tr") == c.get("/audit/log", params={"unit": "U1"}).text.count("<tr") > 2
    assert "没有名称或代码为“办公室”的单位" in c.get("/audit/log", params={"unit": "办公室"}).text
    found = c.get("/audit", params={"rule": "居民身份证号码"}).text
    assert f'href="/audit/items/{a}"' in found and f'href="/audit/items/{other}"' not in found
    assert f'href="/audit/items/{a}"' in c.get("/audit", params={"rule": "id-card"}).text  # the id still works
    assert f'href="/audit/items/{other}"' in c.get("/audit", params={"unit": "第一单位"}).text
    for path in ("/audit", "/audit/log"):
        resp = c.get(path, params={"since": "2026-05-01", "until": "2026-04-01"})
        assert "起始日期 2026-05-01 晚于截止日期 2026-04-01" in resp.text
