"""Auditor pages (保密办, 纪检, unit leadership): search, item history, exports, statistics, chain verification.

Every route here is a GET and only reads: auditors can see everything and change nothing."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, datetime, timedelta
from types import SimpleNamespace
from typing import Any
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from reviewer.accounts import access
from reviewer.audit import events as audit_events
from reviewer.audit import exports as export
from reviewer.audit import queries as audit_query
from reviewer.audit.binding import (
    ADMIN_HIDDEN,
    ADMIN_HIDDEN_FIELDS,
    HIDDEN,
    METADATA_LOCATION,
    hidden_metadata,
    public_reason,
)
from reviewer.audit.events import ACTIONS
from reviewer.audit.statistics import BEIJING, RULE_COLUMNS, UNIT_COLUMNS, Period, cell, compute, report_paragraph
from reviewer.errors import InvalidInput, NotFound, PermissionDenied
from reviewer.store.models import Finding, Item, Unit, User
from reviewer.web import itemview, names
from reviewer.web.chart import SERIES, bar_chart
from reviewer.web.deps import checked_id, database, html_errors, viewer
from reviewer.web.render import RULE_DIRECTORIES, page
from reviewer.web.render import rule_name_of as rule_name
from reviewer.web.security import apply_headers
from reviewer.workflow import render_check
from reviewer.workflow.review import DECISIONS
from reviewer.workflow.scopes import Hider

router = APIRouter(include_in_schema=False)
AUDIT_ROLES = ("auditor", "admin")
# The log, the statistics and the bursts show verdicts, counts and rule hits: auditors only (an admin who may submit
# drafts would read the term list back from them).
AUDITOR_ONLY = ("auditor",)
# Events whose position in an item's history depends on what the scan found.
SCAN_EVENTS = frozenset({"scan", "scan_failed", "render_check", "disposition", "exception_approval", "rescan", "alert"})
SEARCH_FIELDS = ("since", "until", "unit", "reviewer", "decision", "rule", "item_id", "external_id", "disposition")
LOG_FIELDS = ("since", "until", "unit", "actor", "action", "item_id")
EXCEPTION = "exception"  # the search's 处置 filter: items approved as an exception (例外批准)


_DAY = re.compile(r"\s*(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?\s*")


def _day(value: str, name: str) -> datetime | None:
    """A day as people write it: 2026-01-31, 2026-1-31, 2026/1/31, 2026.1.31 or 2026年1月31日 (Beijing time)."""
    if not value.strip():
        return None
    m = _DAY.fullmatch(value[:40])
    try:
        if m is None:
            raise ValueError(value)
        d = date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    except ValueError as exc:
        raise InvalidInput(f"{name}“{value[:40]}”不是日期：请写成 年-月-日，如 2026-01-31 或 2026年1月31日") from exc
    return datetime(d.year, d.month, d.day, tzinfo=BEIJING)


def _range(q: dict[str, str]) -> tuple[datetime | None, datetime | None]:
    since, until = _day(q.get("since", ""), "起始日期"), _day(q.get("until", ""), "截止日期")
    if since and until and since > until:
        raise InvalidInput(f"起始日期 {q['since']} 晚于截止日期 {q['until']}：请对调或修改日期")
    return since, until


def _unit_code(s: Session, value: str) -> str:
    """A unit named by its code or its name (办公室 finds BGS); an unknown one is said, not silently empty."""
    value = value.strip()[:100]
    if not value:
        return ""
    unit = s.scalars(select(Unit).where(or_(Unit.code == value, Unit.name == value))).first()
    if unit is None:
        unit = s.scalars(select(Unit).where(Unit.name.contains(value, autoescape=True))).first() if value.isprintable() else None
    if unit is None:
        raise InvalidInput(f"没有名称或代码为“{value}”的单位")
    return unit.code


def _usernames(s: Session, value: str) -> tuple[str, ...]:
    """A person named by username or by name (whole or part: 王审查 finds shencha); nobody is said, not silently empty."""
    value = value.strip()[:100]
    if not value:
        return ()
    if s.scalars(select(User.username).where(User.username == value)).first():
        return (value,)
    found = tuple(s.scalars(select(User.username).where(User.display_name.contains(value, autoescape=True)))) \
        if value.isprintable() else ()
    if not found:
        raise InvalidInput(f"没有姓名或用户名为“{value}”的账号")
    return found


def _namer(s: Session) -> Callable[[str], str]:
    """A rule id → its Chinese title; a registered document (stored in the database) → its names."""
    from reviewer.workflow.fingerprints import registered_titles

    registered = registered_titles(s)
    return lambda rule: registered.get(rule) or rule_name(rule)


def _rule_ids(s: Session, value: str) -> tuple[str, ...]:
    """Rule ids whose Chinese title contains `value` (居民身份证号码 finds id-card), among the rules of any finding."""
    value = value.strip()
    if not value:
        return ()
    name = _namer(s)
    return tuple(r for r in audit_query.rules_found(s) if value in name(r))  # ids only: a search names no rule


def _item_filter(q: dict[str, str], s: Session) -> audit_query.ItemFilter:
    since, until = _range(q)
    rule = q.get("rule", "").strip()[:200]
    rules = _rule_ids(s, rule)
    item_id = q.get("item_id", "").strip()
    if item_id and (not item_id.isdecimal() or len(item_id) > 12):
        raise InvalidInput("稿件编号应为数字")
    if q.get("decision") and q["decision"] not in DECISIONS:
        raise InvalidInput("签署意见只能是批准发布、退回修改或不予发布")
    disposition = q.get("disposition", "")
    if disposition and disposition != EXCEPTION and disposition not in audit_query.DISPOSITION_LABEL:
        raise InvalidInput("处置只能是 " + "、".join([*audit_query.DISPOSITION_LABEL.values(), "例外批准"]) + " 之一")
    return audit_query.ItemFilter(
        since=since,
        until=until + timedelta(days=1) if until else None,  # the end date is included
        unit_code=_unit_code(s, q.get("unit", "")),
        reviewer=q.get("reviewer", "").strip()[:100],
        decision=q.get("decision", ""),
        rule="" if rules else rule,  # a title names its rules; otherwise the id or category as typed
        rules=rules,
        item_id=int(item_id) if item_id else None,
        external_id=q.get("external_id", "").strip()[:200],
        disposition="" if disposition == EXCEPTION else disposition,
        exception=disposition == EXCEPTION,
    )


def _mask_rows(s: Any, user: User, rows: list[audit_query.ItemRow],
               f: audit_query.ItemFilter | None = None) -> list[audit_query.ItemRow]:
    """Rules outside the viewer's scope are not named (workflow/scopes.py), and a search by such a rule finds none of
    that unit's items. For a scan-blind viewer (admin): nothing the scanner produced — no counts, verdict or rules hit
    — and the title as submitted (masking it only where a finding sits would itself tell which names are listed). For
    an auditor of another unit whose rules they are outside of: the title or channel of an item that holds a finding
    reads as HIDDEN."""
    hider = Hider(s, user)
    kept = []
    for r in rows:
        hidden = hider.rules(r.unit_code)
        if hidden:
            if f is not None and ((f.rule and f.rule in hidden) or (f.rules and set(f.rules) <= hidden)):
                continue
            r.rules_hit = ", ".join(x for x in r.rules_hit.split(", ") if x and x not in hidden)
            r.dispositions = [d for d in r.dispositions if d.rule not in hidden]
        kept.append(r)
    rows = kept
    if user.role != "auditor":
        for r in rows:
            r.block_count = r.review_count = r.info_count = None  # type: ignore[assignment]
            r.rules_hit = ""
            r.dispositions = []  # which findings there were, and what they were judged to be: scan results
            for name in ADMIN_HIDDEN_FIELDS:
                if hasattr(r, name):
                    setattr(r, name, ADMIN_HIDDEN)
            if hasattr(r, "verdict"):
                r.verdict = None  # type: ignore[assignment]
        return rows
    redacted = [r for r in rows if hider.private(r.unit_code)]
    if not redacted:
        return rows
    ids = [r.item_id for r in redacted]
    found: dict[int, set[str]] = {}
    for chunk in (ids[i : i + 500] for i in range(0, len(ids), 500)):
        for item_id, location in s.execute(
            select(Finding.item_id, Finding.location).where(Finding.item_id.in_(chunk), Finding.location.in_(METADATA_LOCATION))
        ):
            found.setdefault(item_id, set()).add(METADATA_LOCATION[location])
    for r in redacted:
        for name in found.get(r.item_id, ()):
            if name in ("title", "channel"):
                setattr(r, name, HIDDEN)
    return rows


def _scan_filters_for_auditors(role: str, q: dict[str, str]) -> None:
    """Searching by rule returns the drafts a rule hit: an oracle of the term list for anyone who may submit."""
    if role != "auditor" and q.get("rule"):
        raise PermissionDenied("按规则检索仅限审计员：管理员看不到任何扫描结果")
    if role != "auditor" and q.get("disposition"):
        raise PermissionDenied("按处置检索仅限审计员：管理员看不到任何扫描结果")


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
        _scan_filters_for_auditors(v.user.role, q)
        units = list(s.scalars(select(Unit).order_by(Unit.code)))
        pg = _page_number(request)
        try:
            f = _item_filter(q, s)
            total = audit_query.count_items(s, f)
            rows = _mask_rows(s, v.user, audit_query.search_items(s, f, limit=PAGE_SIZE, offset=(pg - 1) * PAGE_SIZE), f)
            error = ""
        except InvalidInput as exc:
            rows, error, total = [], exc.message, 0
        export_qs = urlencode({k: val for k, val in q.items() if val})
        return page(request, "audit_search.html", status_code=422 if error else 200, user=v.user, csrf_token=v.csrf_token,
                    rname=_namer(s),
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
        _scan_filters_for_auditors(v.user.role, q)
        f = _item_filter(q, s)
        rows = _mask_rows(s, v.user, audit_query.search_items(s, f, limit=100_000), f)
        name = _namer(s)
        header, table = export.item_table(rows, name)
        sheets = [("检索结果", header, table)]
        if v.user.role == "auditor":  # one row per finding and signer: the disposition and the reason written
            sheets.append(("处置与理由", *export.disposition_table(rows, name, names.location)))
        # Exporting is itself an event of the review log: who took which search out of the system, and how much.
        audit_events.append(s, "export", v.user, data={"format": fmt, "rows": len(rows), "query": {k: val for k, val in q.items() if val}})
    stamp = datetime.now(BEIJING).strftime("%Y%m%d-%H%M%S")
    if fmt == "csv":
        return _download(export.to_csv(header, table), "text/csv; charset=utf-8", f"保密审查检索结果-{stamp}.csv")
    return _download(export.to_xlsx(sheets), XLSX, f"保密审查检索结果-{stamp}.xlsx")


class _Masked:
    """An item (or receipt) whose fields that hold a finding read as HIDDEN, everything else as the original."""

    def __init__(self, obj: Any, masked: dict[str, str | None]) -> None:
        self._obj, self._masked = obj, masked

    def __getattr__(self, name: str) -> Any:
        if name in self._masked:
            return self._masked[name]
        return getattr(self._obj, name)


def redact_view(view: itemview.ItemView) -> itemview.ItemView:
    """What a scan-blind viewer (admin) may see of one version: the item as submitted, its state, the reviewers'
    decisions and comments and the receipt — nothing the scanner produced (no findings, severities, verdict, counts,
    dispositions): a listed and an unlisted name must look the same (issue 17)."""
    reviews: list[Any] = [
        SimpleNamespace(
            id=r.id, reviewer=r.reviewer, stage=r.stage, decision=r.decision, comment=r.comment, created_at=r.created_at,
            content_sha256=r.content_sha256, document_sha256=r.document_sha256, rules_version=r.rules_version,
            withdrawn_at=r.withdrawn_at, withdrawn_reason=r.withdrawn_reason, dispositions=[],
        )
        for r in view.reviews
    ]
    view.findings, view.reviews = [], reviews
    masked: dict[str, str | None] = {"scan_error": public_reason(view.item.scan_error) or None, "verdict": None,
                                     "block_count": None, "review_count": None, "info_count": None,
                                     **dict.fromkeys(ADMIN_HIDDEN_FIELDS, ADMIN_HIDDEN)}
    if view.receipt is not None:  # the receipt's payload names the title, channel and file name
        view.receipt = _Masked(view.receipt, {"payload": "（回执所签的标题、栏目与文件名管理员不可见）"})  # type: ignore[assignment]
    view.item = _Masked(view.item, masked)  # type: ignore[assignment]
    view.parts, view.changes, view.previous = [], [], None
    return view


def _shown_verdicts(s: Session, versions: list[Item]) -> dict[int, str]:
    states = render_check.states_among(s, [ver.id for ver in versions])
    return {ver.id: render_check.shown_verdict(ver, states.get(ver.id)) for ver in versions}


@router.get("/audit/items/{item_id}")
@html_errors
def item_history(request: Request, item_id: int) -> Response:
    with database(request).session() as s:
        v = viewer(request, s, *AUDIT_ROLES)
        item, level = access.readable_item(s, v.user, checked_id(item_id))
        versions, events = itemview.history(s, item)
        views = [itemview.load(s, ver, access.view_level(v.user, ver) or level) for ver in versions]
        views = [view if view.full else redact_view(view) for view in views]
        blind = level != access.FULL and v.user.role != "auditor"
        if blind:  # the events' contents carry verdicts, counts and rule ids: the admin sees who did what, when
            events = [ev for ev in events if ev.action not in SCAN_EVENTS]
        hider = Hider(s, v.user)  # findings and events of rules outside the viewer's scope are not shown
        if hider.private(item.unit.code):
            for view in views:
                if view.full:
                    continue  # (never: a private unit's item is redacted for the viewer — access.view_level)
                hidden = hider.rules(item.unit.code)
                view.findings = [f for f in view.findings if f.rule not in hidden]
                for r in view.reviews:
                    r.dispositions = [d for d in r.dispositions if d.finding.rule not in hidden]
                view.finding_changes = None
            events = [hider.event(e) for e in events]  # type: ignore[misc]
        shown: Any = _Masked(item, dict.fromkeys(ADMIN_HIDDEN_FIELDS, ADMIN_HIDDEN)) if blind else item
        if not blind and level != access.FULL and hidden_metadata(item):
            shown = _Masked(item, dict.fromkeys(hidden_metadata(item), HIDDEN))
        return page(request, "audit_item.html", user=v.user, csrf_token=v.csrf_token, item=shown, views=views,
                    events=events, actions=ACTIONS, people=_people(s), blind=blind,
                    shown_verdicts=_shown_verdicts(s, versions))


DISPOSITION_EVENT = "disposition:"  # the log's event filter "处置发现：误报" is `disposition:false_positive`


def log_actions() -> list[tuple[str, str]]:
    """The log's event filter: 例外批准 and each disposition (误报 …) first, then every kind of event."""
    common = [("exception_approval", ACTIONS["exception_approval"])]
    common += [(DISPOSITION_EVENT + k, f"处置发现：{label}") for k, label in audit_query.DISPOSITION_LABEL.items()]
    return common + [(k, label) for k, label in ACTIONS.items() if k != "exception_approval"]


def _event_filter(q: dict[str, str], s: Session) -> audit_query.EventFilter:
    since, until = _range(q)
    if q["item_id"] and (not q["item_id"].isdecimal() or len(q["item_id"]) > 12):
        raise InvalidInput("稿件编号应为数字")
    action, disposition = q["action"][:64], ""
    if action.startswith(DISPOSITION_EVENT):
        action, disposition = "disposition", action[len(DISPOSITION_EVENT):]
        if disposition not in audit_query.DISPOSITION_LABEL:
            raise InvalidInput("没有这种处置")
    return audit_query.EventFilter(
        since=since, until=until + timedelta(days=1) if until else None,
        unit_code=_unit_code(s, q["unit"]), actors=_usernames(s, q["actor"]), action=action,
        item_id=int(q["item_id"]) if q["item_id"] else None, disposition=disposition,
    )


@router.get("/audit/log")
@html_errors
def log(request: Request) -> Response:
    q = {k: request.query_params.get(k, "") for k in LOG_FIELDS}
    with database(request).session() as s:
        v = viewer(request, s, *AUDITOR_ONLY)
        error = ""
        rows: list = []  # type: ignore[type-arg]
        total = 0
        try:
            rows, total = audit_query.search_events(s, _event_filter(q, s), limit=500)
            hider = Hider(s, v.user)  # other units' rule and registration names are not shown (workflow/scopes.py)
            rows = [hider.event(e) for e in rows]
        except InvalidInput as exc:
            error = exc.message
        return page(request, "audit_log.html", status_code=422 if error else 200, user=v.user, csrf_token=v.csrf_token,
                    rows=rows, total=total, q=q, actions=ACTIONS, action_choices=log_actions(), error=error,
                    people=_people(s), export_qs=urlencode({k: val for k, val in q.items() if val}))


LOG_EXPORT_LIMIT = 200_000


@router.get("/audit/log.{fmt}")
@html_errors
def log_export(request: Request, fmt: str) -> Response:
    """The review log itself, as the page filters it, with each event as a sentence; the export is logged."""
    if fmt not in ("csv", "xlsx"):
        raise NotFound("只支持 CSV 与 XLSX 导出")
    q = {k: request.query_params.get(k, "") for k in LOG_FIELDS}
    with database(request).session() as s:
        v = viewer(request, s, *AUDITOR_ONLY)
        rows, total = audit_query.search_events(s, _event_filter(q, s), limit=LOG_EXPORT_LIMIT)
        hider = Hider(s, v.user)
        people, dirs = _people(s), tuple(RULE_DIRECTORIES)
        header, table = export.event_table([hider.event(e) for e in rows], lambda e: names.event_columns(e, people, dirs))
        audit_events.append(s, "export", v.user, data={"format": fmt, "rows": len(rows), "exported": "log",
                                                         "query": {k: val for k, val in q.items() if val}})
    stamp = datetime.now(BEIJING).strftime("%Y%m%d-%H%M%S")
    if fmt == "csv":
        return _download(export.to_csv(header, table), "text/csv; charset=utf-8", f"保密审查日志-{stamp}.csv")
    return _download(export.to_xlsx([("审查日志", header, table)]), XLSX, f"保密审查日志-{stamp}.xlsx")


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
        v = viewer(request, s, *AUDITOR_ONLY)
        period = _period(request)
        st = compute(s, period, hidden_rules=Hider(s, v.user).rules)
        return page(request, "audit_stats.html", user=v.user, csrf_token=v.csrf_token, st=st, chart=bar_chart(st.units),
                    rname=_namer(s),
                    paragraph=report_paragraph(st),
                    series=SERIES, unit_columns=UNIT_COLUMNS, rule_columns=RULE_COLUMNS, cell=cell,
                    qs=request.url.query)


@router.get("/audit/stats.{fmt}")
@html_errors
def stats_export(request: Request, fmt: str) -> Response:
    if fmt not in ("csv", "xlsx"):
        raise NotFound("只支持 CSV 与 XLSX 导出")
    with database(request).session() as s:
        v = viewer(request, s, *AUDITOR_ONLY)
        period = _period(request)
        tables = export.stats_tables(compute(s, period, hidden_rules=Hider(s, v.user).rules), numeric=True,
                                     rule_title=_namer(s))
        audit_events.append(s, "export", v.user, data={"format": fmt, "statistics": period.label})
    name = f"保密审查统计-{period.label}"
    if fmt == "csv":
        title, header, rows = tables[0]
        return _download(export.to_csv(header, rows), "text/csv; charset=utf-8", f"{name}.csv")
    return _download(export.to_xlsx(tables), XLSX, f"{name}.xlsx")


@router.get("/audit/verify")
@html_errors
def verify_page(request: Request) -> Response:
    from reviewer.audit import verify as audit_verify

    raw = request.query_params.get("expected_head", "").strip()
    expected = raw.lower()
    error = ""
    if raw and (len(expected) != 64 or any(c not in "0123456789abcdef" for c in expected)):
        error = "外部记录的链头哈希应为 64 位十六进制数字（reviewer audit head 输出的第二行）；未按它核对"
        expected = ""
    with database(request).session() as s:
        v = viewer(request, s, *AUDIT_ROLES)
        settings = request.app.state.settings
        full = audit_verify.run(s, expected_head=expected or None, settings=settings)  # every key of the keyring
        paths = full.checkpoint_source
        return page(request, "audit_verify.html", status_code=422 if error else 200, user=v.user, csrf_token=v.csrf_token,
                    report=full.chain, full=full, expected=expected, error=error, checkpoints_configured=bool(paths))


@router.get("/audit/bursts")
@html_errors
def bursts_page(request: Request) -> Response:
    """Unusual submission bursts: one token sending many drafts in a short window (probing the term list)."""
    days_s = request.query_params.get("days", "7")
    threshold_s = request.query_params.get("threshold", "20")
    window_s = request.query_params.get("window", "10")
    if not (days_s.isdecimal() and threshold_s.isdecimal() and window_s.isdecimal()) or not (
        1 <= int(days_s) <= 366 and 1 <= int(threshold_s) <= 100000 and 1 <= int(window_s) <= 1440
    ):
        raise InvalidInput("天数（1–366）、阈值（1–100000）与时间窗（1–1440 分钟）应为正整数")
    with database(request).session() as s:
        v = viewer(request, s, *AUDITOR_ONLY)
        until = datetime.now(BEIJING) + timedelta(minutes=1)
        rows = audit_query.submission_bursts(s, until - timedelta(days=int(days_s)), until, window_minutes=int(window_s),
                                             threshold=int(threshold_s))
        return page(request, "audit_bursts.html", user=v.user, csrf_token=v.csrf_token, rows=rows,
                    q={"days": days_s, "threshold": threshold_s, "window": window_s})
