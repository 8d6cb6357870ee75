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


MOBILE_TITLE = "手机号码"  # rules/personal/mobile.yaml


def _signed_with_reason(web: Web, reason: str) -> tuple[int, int]:
    """Item a (U1): its one finding marked 误报 with `reason`, approved; item b (U2): an exception approval logged."""
    from reviewer.accounts import manage as accounts
    from reviewer.audit import events as audit

    # a built-in rule (its Chinese title comes from rules/personal/mobile.yaml)
    a = make_item(web.db, TEXT, [("13812345678", "review", "mobile", "个人信息", "发现一串号码", "说明")], external_id="a-1",
                  title="甲稿")
    b = make_item(web.db, "第二单位公开稿", external_id="b-1", cms="cms2", title="乙稿")
    c = web.client()
    login(c, "rev1")
    html = c.get(f"/review/items/{a}").text
    with web.db.session() as s:
        item = s.get(Item, a)
        assert item is not None
        form = {"csrf_token": csrf_of(html), "content_sha256": item.content_sha256, "decision": "approve", "comment": "同意"}
        form.update({f"disp_{f.id}": "false_positive" for f in item.findings})
        form.update({f"reason_{f.id}": reason for f in item.findings})
    assert c.post(f"/review/items/{a}/sign", data=form).status_code == 303
    with web.db.session() as s:  # the event an exception approval writes (workflow/review.py)
        audit.append(s, "exception_approval", accounts.get_user(s, "off2"), item_id=b,
                     data={"review_id": 0, "findings": [1], "rules": ["test.block"]})
    return a, b


def test_exports_carry_each_disposition_and_its_reason(web: Web, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from reviewer.audit import queries

    reason = "公开的办公电话，经核实可以公开"
    a, b = _signed_with_reason(web, reason)
    # the label comes from the one label table (new dispositions get their words there, not in the export)
    monkeypatch.setitem(queries.DISPOSITION_LABEL, "false_positive", "误报（表中的名称）")
    c = web.client()
    login(c, "aud")
    rows = list(csv.reader(io.StringIO(c.get("/audit/export.csv", params={"unit": "U1"}).content.decode("utf-8-sig"))))
    cell = rows[1][rows[0].index("处置与理由")]
    assert "误报（表中的名称）" in cell and reason in cell and "REV1（rev1）" in cell and "false_positive" not in cell
    assert MOBILE_TITLE in cell and "（mobile）" not in cell  # the rule by its title
    book = openpyxl.load_workbook(io.BytesIO(c.get("/audit/export.xlsx").content))
    assert book.sheetnames == ["检索结果", "处置与理由"]
    sheet = book["处置与理由"]
    header = [x.value for x in sheet[1]]
    got = [[x.value for x in r] for r in sheet.iter_rows(min_row=2)]
    assert len(got) == 1 and got[0][header.index("稿件编号")] == a and got[0][header.index("理由")] == reason
    assert got[0][header.index("处置")] == "误报（表中的名称）" and got[0][header.index("签署环节")] == "审查员"
    assert got[0][header.index("规则")] == MOBILE_TITLE and got[0][header.index("规则编号")] == "mobile"
    # the statistics' XLSX names rules by their titles too, ids in their own column
    from datetime import datetime as dt

    stats = openpyxl.load_workbook(io.BytesIO(c.get("/audit/stats.xlsx", params={"year": dt.now().year}).content))
    rules_sheet = stats[stats.sheetnames[1]]
    head = [x.value for x in rules_sheet[1]]
    rows_ = [[x.value for x in r] for r in rules_sheet.iter_rows(min_row=2)]
    assert head[:2] == ["规则", "规则编号"] and [MOBILE_TITLE, "mobile"] in [r[:2] for r in rows_]
    from datetime import datetime

    assert isinstance(got[0][header.index("签署时间（北京时间）")], datetime)  # a real time, not text
    results = book["检索结果"]
    head = [x.value for x in results[1]]
    assert isinstance(results.cell(2, head.index("提交时间（北京时间）") + 1).value, datetime)
    title_col = results.cell(1, head.index("签署人") + 1).column_letter
    assert (results.column_dimensions[title_col].width or 0) > 12  # columns sized to their text
    # the admin (scan-blind) gets no dispositions and cannot search by them
    adm = web.client()
    login(adm, "adm")
    text_ = adm.get("/audit/export.csv").content.decode("utf-8-sig")
    assert reason not in text_ and "误报" not in text_
    assert adm.get("/audit", params={"disposition": "false_positive"}).status_code == 403


def test_search_and_log_filter_false_positives_and_exception_approvals(web: Web) -> None:
    a, b = _signed_with_reason(web, "核实")
    c = web.client()
    login(c, "aud")
    html = c.get("/audit", params={"disposition": "false_positive"}).text
    assert f'href="/audit/items/{a}"' in html and f'href="/audit/items/{b}"' not in html
    html = c.get("/audit", params={"disposition": "exception"}).text
    assert f'href="/audit/items/{b}"' in html and f'href="/audit/items/{a}"' not in html
    assert c.get("/audit", params={"disposition": "whatever"}).status_code == 422
    form = c.get("/audit/log").text
    assert '<option value="exception_approval">例外批准</option>' in form
    assert '<option value="disposition:false_positive">处置发现：误报</option>' in form
    log = c.get("/audit/log", params={"action": "disposition:false_positive"}).text
    assert "共 1 条" in log and "标为“误报”" in log
    log = c.get("/audit/log", params={"action": "exception_approval"}).text
    assert "共 1 条" in log and f'href="/audit/items/{b}"' in log
    assert c.get("/audit/log", params={"action": "disposition:nonsense"}).status_code == 422


def test_the_log_can_be_exported_and_the_export_is_logged(web: Web) -> None:
    from reviewer.store.models import AuditEvent
    from reviewer.web import names

    a, _ = _signed_with_reason(web, "核实")
    c = web.client()
    login(c, "aud")
    resp = c.get("/audit/log.csv", params={"actor": "REV1"})
    assert resp.status_code == 200 and "attachment" in resp.headers["content-disposition"]
    assert "filename*=UTF-8''%E4%BF%9D%E5%AF%86%E5%AE%A1%E6%9F%A5%E6%97%A5%E5%BF%97" in resp.headers["content-disposition"]  # 保密审查日志
    rows = list(csv.reader(io.StringIO(resp.content.decode("utf-8-sig"))))
    assert rows[0] == ["序号", "时间（北京时间）", "操作人", "角色", "单位", "稿件编号", "事件", "内容", "本条哈希"]
    assert len(rows) > 2 and all(r[2] == "REV1（rev1）" for r in rows[1:])  # only rev1's events, by name
    assert any(r[6] == "处置发现" and "标为“误报”" in r[7] for r in rows[1:])
    assert not any("{" in r[7] for r in rows[1:])  # sentences, not data
    with web.db.session() as s:
        ev = s.scalars(select(AuditEvent).where(AuditEvent.action == "export").order_by(AuditEvent.seq.desc())).first()
        assert ev is not None and ev.actor == "aud"
        sentence = names.event_sentence(ev.action, ev.data)
    assert sentence == f"导出审查日志 {len(rows) - 1} 条为 CSV 文件，检索条件：操作人 REV1"
    book = openpyxl.load_workbook(io.BytesIO(c.get("/audit/log.xlsx", params={"item_id": str(a)}).content))
    sheet = book["审查日志"]
    assert all(r[5].value == a for r in sheet.iter_rows(min_row=2)) and sheet.max_row > 2
    assert c.get("/audit/log.csv", params={"since": "2026-02-01", "until": "2026-01-01"}).status_code == 422
    assert c.get("/audit/log.pdf").status_code == 404


def test_registered_documents_are_named_in_the_statistics_search_and_exports(web: Web) -> None:
    from datetime import datetime as dt

    from reviewer.accounts import manage as accounts
    from reviewer.scan.fingerprints import read_source
    from reviewer.workflow import fingerprints as registry

    text_ = "\n".join(["各区县人民政府、市政府各部门要按照本方案确定的目标任务，结合实际制定具体落实措施，明确责任分工和时间节点。",
                       "市发展改革委会同市财政局建立项目储备库，对申报项目实行动态管理，每季度向市政府报告一次推进情况。"])
    with web.db.session() as s:
        made = registry.register(s, "reg-minutes", [read_source(text_.encode(), "纪要.txt", "2024年第3次党组会议纪要")],
                                 actor=accounts.get_user(s, "off1"))
    make_item(web.db, "摘抄：" + text_, [(text_[:20], "block", made.rule_id, "登记文件", "与登记文件高度相似", "说明")],
              external_id="fp-1", title="摘抄稿")
    c = web.client()
    login(c, "aud")
    year = dt.now().year
    stats = c.get("/audit/stats", params={"year": year}).text
    table = stats[stats.index('id="rule-stats"'):]
    assert "2024年第3次党组会议纪要" in table and "未命名规则" not in table
    assert "2024年第3次党组会议纪要" in c.get("/audit", params={"external_id": "fp-1"}).text
    book = openpyxl.load_workbook(io.BytesIO(c.get("/audit/stats.xlsx", params={"year": year}).content))
    assert any("2024年第3次党组会议纪要" in str(r[0].value) for r in book[book.sheetnames[1]].iter_rows(min_row=2))
    # searching by the document's name finds the item
    assert "摘抄稿" in c.get("/audit", params={"rule": "党组会议纪要"}).text


def test_dates_are_typed_as_people_write_them(web: Web) -> None:
    """No browser date widget (its mm/dd/yyyy follows the browser's language): a text field that takes 2026-1-31,
    2026/1/31 or 2026年1月31日, and says in Chinese what it could not read."""
    a, _ = _signed(web)
    c = web.client()
    login(c, "aud")
    for path in ("/audit", "/audit/log"):
        form = c.get(path).text
        assert 'type="date"' not in form and 'placeholder="年-月-日"' in form
    from datetime import datetime as dt

    today = dt.now()
    for since in (f"{today.year}-{today.month}-1", f"{today.year}/{today.month}/1", f"{today.year}年{today.month}月1日"):
        r = c.get("/audit", params={"since": since, "until": f"{today.year}年12月31日"})
        assert r.status_code == 200 and f'href="/audit/items/{a}"' in r.text, since
        assert c.get("/audit/log", params={"since": since}).status_code == 200
    for bad in ("2026-13-01", "明天", "2026年2月30日"):
        r = c.get("/audit/log", params={"since": bad})
        assert r.status_code == 422 and "不是日期" in r.text, bad
    r = c.get("/audit", params={"since": "2026年3月2日", "until": "2026-3-1"})
    assert r.status_code == 422 and "晚于截止日期" in r.text
