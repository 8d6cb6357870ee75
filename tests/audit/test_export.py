from __future__ import annotations

import csv
import io

import openpyxl
from sqlalchemy.orm import Session

from reviewer.audit import exports as export
from reviewer.audit import queries as audit_query
from reviewer.audit.statistics import Period, compute
from tests.audit.fixtures import populate


def test_search_filters(db: Session) -> None:
    populate(db)
    f = audit_query.ItemFilter
    assert {r.external_id for r in audit_query.search_items(db, f(unit_code="B"))} == {"B1", "B0"}
    assert {r.external_id for r in audit_query.search_items(db, f(reviewer="off_a"))} == {"A2"}
    assert {r.external_id for r in audit_query.search_items(db, f(decision="reject"))} == {"A3"}
    assert {r.external_id for r in audit_query.search_items(db, f(rule="pii.mobile"))} == {"A1", "A5"}
    assert {r.external_id for r in audit_query.search_items(db, f(rule="密级标志"))} == {"A1", "A2", "A6"}
    assert {r.external_id for r in audit_query.search_items(db, f(external_id="A3"))} == {"A3"}
    p = Period(2026, 4)
    assert {r.external_id for r in audit_query.search_items(db, f(since=p.start, until=p.end))} == {"A5", "A6"}
    assert audit_query.search_items(db, f(external_id="x' OR 1=1 --")) == []
    a2 = audit_query.search_items(db, f(external_id="A2"))[0]
    assert a2.signers == "rev_a(审查员:批准); off_a(保密员:批准)"


def test_csv_round_trip(db: Session) -> None:
    populate(db)
    db.flush()
    item = audit_query.search_items(db, audit_query.ItemFilter(external_id="A1"))[0]
    item.title = "=HYPERLINK(\"http://evil\")"
    header, rows = export.item_table([item])
    data = export.to_csv(header, rows)
    assert data.startswith("\ufeff".encode())
    back = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert back[0] == header
    assert back[1][header.index("外部编号")] == "A1"
    assert back[1][header.index("标题")] == "'=HYPERLINK(\"http://evil\")"  # formula neutralised
    assert back[1][header.index("内容SHA-256")] == item.content_sha256
    assert back[1][header.index("提交时间（北京时间）")] == "2026-03-01 16:00:00"


def test_xlsx_round_trip(db: Session) -> None:
    populate(db)
    rows = audit_query.search_items(db, audit_query.ItemFilter(unit_code="A"))
    rows[0].title = "=1+1"
    header, table = export.item_table(rows)
    st = compute(db, Period(2026))
    data = export.to_xlsx([("检索结果", header, table), *export.stats_tables(st)])
    book = openpyxl.load_workbook(io.BytesIO(data))
    assert book.sheetnames == ["检索结果", "2026年按单位统计", "2026年规则命中"]
    sheet = book["检索结果"]
    got = [[c.value for c in r] for r in sheet.iter_rows()]
    assert got[0] == header and len(got) == 1 + len(rows)
    assert got[1][header.index("标题")] == "=1+1" and sheet.cell(2, header.index("标题") + 1).data_type == "s"
    units = [[c.value for c in r] for r in book["2026年按单位统计"].iter_rows()]
    assert units[1][:3] == ["甲局", 6, 5] and units[-1][0] == "合计"
