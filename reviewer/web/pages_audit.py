"""Auditor pages (保密办, 纪检, unit leadership): search, item history, exports, statistics, chain verification.

Every route here is a GET and only reads: auditors can see everything and change nothing."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from reviewer.accounts import access
from reviewer.audit import events as audit_events
from reviewer.audit import exports as export
from reviewer.audit import queries as audit_query
from reviewer.audit.events import ACTIONS
from reviewer.audit.statistics import BEIJING, RULE_COLUMNS, UNIT_COLUMNS, Period, cell, compute
from reviewer.errors import InvalidInput, NotFound
from reviewer.store.models import Unit, User
from reviewer.web import itemview
from reviewer.web.chart import SERIES, bar_chart
from reviewer.web.deps import checked_id, database, html_errors, viewer
from reviewer.web.render import page
from reviewer.web.render import rule_name_of as rule_name
from reviewer.web.security import apply_headers
from reviewer.workflow.review import DECISIONS

router = APIRouter(include_in_schema=False)
AUDIT_ROLES = ("auditor", "admin")
SEARCH_FIELDS = ("since", "until", "unit", "reviewer", "decision", "rule", "item_id", "external_id")


def _day(value: str, name: str) -> datetime | None:
    if not value:
        return None
    try:
        d = date.fromisoformat(value)
    except ValueError as exc:
        raise InvalidInput(f"{name}应为 年-月-日 格式的日期") from exc
    return datetime(d.year, d.month, d.day, tzinfo=BEIJING)


def _item_filter(q: dict[str, str]) -> audit_query.ItemFilter:
    since = _day(q.get("since", ""), "起始日期")
    until = _day(q.get("until", ""), "截止日期")
    item_id = q.get("item_id", "").strip()
    if item_id and (not item_id.isdecimal() or len(item_id) > 12):
        raise InvalidInput("稿件编号应为数字")
    if q.get("decision") and q["decision"] not in DECISIONS:
        raise InvalidInput("签署意见只能是批准发布、退回修改或不予发布")
    return audit_query.ItemFilter(
        since=since,
        until=until + timedelta(days=1) if until else None,  # the end date is included
        unit_code=q.get("unit", "").strip()[:64],
        reviewer=q.get("reviewer", "").strip()[:100],
        decision=q.get("decision", ""),
        rule=q.get("rule", "").strip()[:200],
        item_id=int(item_id) if item_id else None,
        external_id=q.get("external_id", "").strip()[:200],
    )


def _people(s: Session) -> dict[str, str]:
    """Usernames → names, so that the log shows people, not account names."""
    return {u: d for u, d in s.execute(select(User.username, User.display_name)) if d}


def _query(request: Request) -> dict[str, str]:
    return {k: request.query_params.get(k, "") for k in SEARCH_FIELDS}


@router.get("/audit")
@html_errors
def search(request: Request) -> Response:
    q = _query(request)
    with database(request).session() as s:
        v = viewer(request, s, *AUDIT_ROLES)
        units = list(s.scalars(select(Unit).order_by(Unit.code)))
        pg = _page_number(request)
        try:
            f = _item_filter(q)
            total = audit_query.count_items(s, f)
            rows = audit_query.search_items(s, f, limit=PAGE_SIZE, offset=(pg - 1) * PAGE_SIZE)
            error = ""
        except InvalidInput as exc:
            rows, error, total = [], exc.message, 0
        export_qs = urlencode({k: val for k, val in q.items() if val})
        return page(request, "audit_search.html", status_code=422 if error else 200, user=v.user, csrf_token=v.csrf_token,
                    rows=rows, q=q, units=units, error=error, export_qs=export_qs, total=total, page_no=pg,
                    pages=max(1, -(-total // PAGE_SIZE)), page_size=PAGE_SIZE)


PAGE_SIZE = 500


def _page_number(request: Request) -> int:
    raw = request.query_params.get("page", "1")
    return int(raw) if raw.isdecimal() and 0 < len(raw) <= 6 and int(raw) > 0 else 1


def _download(data: bytes, media_type: str, filename: str) -> Response:
    resp = Response(data, media_type=media_type)
    resp.headers["Content-Disposition"] = f"attachment; filename=\"{filename.encode('ascii', 'ignore').decode() or 'export'}\"; filename*=UTF-8''{quote(filename)}"
    return apply_headers(resp)


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@router.get("/audit/export.{fmt}")
@html_errors
def export_search(request: Request, fmt: str) -> Response:
    if fmt not in ("csv", "xlsx"):
        raise NotFound("只支持 CSV 与 XLSX 导出")
    with database(request).session() as s:
        v = viewer(request, s, *AUDIT_ROLES)
        q = _query(request)
        rows = audit_query.search_items(s, _item_filter(q), limit=100_000)
        header, table = export.item_table(rows, rule_name)
        # Exporting is itself an event of the review log: who took which search out of the system, and how much.
        audit_events.append(s, "export", v.user, data={"format": fmt, "rows": len(rows), "query": {k: val for k, val in q.items() if val}})
    stamp = datetime.now(BEIJING).strftime("%Y%m%d-%H%M%S")
    if fmt == "csv":
        return _download(export.to_csv(header, table), "text/csv; charset=utf-8", f"review-search-{stamp}.csv")
    return _download(export.to_xlsx([("检索结果", header, table)]), XLSX, f"review-search-{stamp}.xlsx")


@router.get("/audit/items/{item_id}")
@html_errors
def item_history(request: Request, item_id: int) -> Response:
    with database(request).session() as s:
        v = viewer(request, s, *AUDIT_ROLES)
        item, level = access.readable_item(s, v.user, checked_id(item_id))
        versions, events = itemview.history(s, item)
        views = [itemview.load(s, ver, access.view_level(v.user, ver) or level) for ver in versions]
        return page(request, "audit_item.html", user=v.user, csrf_token=v.csrf_token, item=item, views=views,
                    events=events, actions=ACTIONS, people=_people(s))


@router.get("/audit/log")
@html_errors
def log(request: Request) -> Response:
    q = {k: request.query_params.get(k, "") for k in ("since", "until", "unit", "actor", "action", "item_id")}
    with database(request).session() as s:
        v = viewer(request, s, *AUDIT_ROLES)
        error = ""
        rows: list = []  # type: ignore[type-arg]
        total = 0
        try:
            until = _day(q["until"], "截止日期")
            if q["item_id"] and (not q["item_id"].isdecimal() or len(q["item_id"]) > 12):
                raise InvalidInput("稿件编号应为数字")
            f = audit_query.EventFilter(
                since=_day(q["since"], "起始日期"), until=until + timedelta(days=1) if until else None,
                unit_code=q["unit"][:64], actor=q["actor"][:200], action=q["action"][:64],
                item_id=int(q["item_id"]) if q["item_id"] else None,
            )
            rows, total = audit_query.search_events(s, f, limit=500)
        except InvalidInput as exc:
            error = exc.message
        return page(request, "audit_log.html", user=v.user, csrf_token=v.csrf_token, rows=rows, total=total, q=q,
                    actions=ACTIONS, error=error, people=_people(s))


def _period(request: Request) -> Period:
    year_s = request.query_params.get("year", "") or str(datetime.now(BEIJING).year)
    month_s = request.query_params.get("month", "")
    if not year_s.isdecimal() or (month_s and not month_s.isdecimal()):
        raise InvalidInput("年份与月份应为数字")
    try:
        return Period(int(year_s), int(month_s) if month_s else None)
    except ValueError as exc:
        raise InvalidInput(str(exc)) from exc


@router.get("/audit/stats")
@html_errors
def stats_page(request: Request) -> Response:
    with database(request).session() as s:
        v = viewer(request, s, *AUDIT_ROLES)
        period = _period(request)
        st = compute(s, period)
        return page(request, "audit_stats.html", user=v.user, csrf_token=v.csrf_token, st=st, chart=bar_chart(st.units),
                    series=SERIES, unit_columns=UNIT_COLUMNS, rule_columns=RULE_COLUMNS, cell=cell,
                    qs=request.url.query)


@router.get("/audit/stats.{fmt}")
@html_errors
def stats_export(request: Request, fmt: str) -> Response:
    if fmt not in ("csv", "xlsx"):
        raise NotFound("只支持 CSV 与 XLSX 导出")
    with database(request).session() as s:
        v = viewer(request, s, *AUDIT_ROLES)
        period = _period(request)
        tables = export.stats_tables(compute(s, period), numeric=True)
        audit_events.append(s, "export", v.user, data={"format": fmt, "statistics": period.label})
    name = f"review-stats-{period.year}" + (f"-{period.month:02d}" if period.month else "")
    if fmt == "csv":
        title, header, rows = tables[0]
        return _download(export.to_csv(header, rows), "text/csv; charset=utf-8", f"{name}.csv")
    return _download(export.to_xlsx(tables), XLSX, f"{name}.xlsx")


@router.get("/audit/verify")
@html_errors
def verify_page(request: Request) -> Response:
    expected = request.query_params.get("expected_head", "").strip().lower()[:64]
    with database(request).session() as s:
        v = viewer(request, s, *AUDIT_ROLES)
        report = audit_query.verify(s, expected_head=expected or None)
        return page(request, "audit_verify.html", status_code=200, user=v.user, csrf_token=v.csrf_token, report=report,
                    expected=expected)
