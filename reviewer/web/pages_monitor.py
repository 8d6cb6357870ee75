"""The 巡检 pages (docs/monitor.md): for the secrecy officer (own unit) and auditors (every unit) — the site and its
schedule, the last run and the history, every problem of a run; a problem's evidence (the approved version beside the
live content, the difference highlighted, the findings in the live page) and, for the officer, the actions: submit
the live content for review, or mark the problem handled with a reason. The workflow decides who may do what."""

from __future__ import annotations

import json

from fastapi import APIRouter, Request
from fastapi.responses import Response

from reviewer.errors import NotFound, ReviewerError
from reviewer.monitor.model import KIND_LABEL, STATUS_LABEL
from reviewer.store.models import MonitorSite, Unit
from reviewer.web.deps import check_csrf, checked_id, database, html_errors, viewer
from reviewer.web.render import page, redirect

router = APIRouter(include_in_schema=False)
# The secrecy officer (own unit) and auditors. Not the admin: the evidence holds the live page and its matched terms,
# which an admin never sees (tests/security/test_term_secrecy.py).
ROLES = ("officer", "auditor")
LABELS = {"status": {str(k): v for k, v in STATUS_LABEL.items()}, "kind": KIND_LABEL}


@router.get("/monitor")
@html_errors
def monitor_page(request: Request) -> Response:
    from reviewer.workflow import monitoring

    with database(request).session() as s:
        v = viewer(request, s, *ROLES)
        units = monitoring.visible_units(s, v.user)
        code = request.query_params.get("unit", "")
        unit = next((u for u in units if u.code == code), units[0] if units else None)
        if unit is None:
            raise NotFound("没有可查看的单位")
        history = monitoring.runs(s, unit.id)
        run_id = request.query_params.get("run", "")
        chosen = next((r for r in history if str(r.id) == run_id), history[0] if history else None)
        rows = monitoring.problems(s, chosen.id) if chosen is not None else []
        site = s.get(MonitorSite, unit.id)
        return page(request, "monitor.html", user=v.user, csrf_token=v.csrf_token, units=units, unit=unit,
                    history=history, run=chosen, rows=rows, LABELS=LABELS,
                    site_urls=json.loads(site.urls) if site else [], site=site)


def _id(raw: str) -> int:
    """Path ids are read here, after the role check, so a caller without the role learns nothing from a malformed id."""
    if not raw.isdigit():
        raise NotFound("巡检结果不存在")
    return checked_id(int(raw))


def _result(request: Request, result_id: str, error: str = "", status_code: int = 200) -> Response:
    from reviewer.workflow import monitoring

    with database(request).session() as s:
        v = viewer(request, s, *ROLES)
        row, run, signed = monitoring.result_view(s, _id(result_id), v.user)
        unit = s.get(Unit, run.unit_id)
        return page(request, "monitor_result.html", status_code=status_code, user=v.user, csrf_token=v.csrf_token,
                    row=row, run=run, unit=unit, signed=signed, findings=json.loads(row.findings or "[]"),
                    differences=json.loads(row.differences or "[]"), LABELS=LABELS, error=error)


@router.get("/monitor/results/{result_id}")
@html_errors
def result_page(request: Request, result_id: str) -> Response:
    return _result(request, result_id)


@router.post("/monitor/results/{result_id}/handle")
@html_errors
async def handle(request: Request, result_id: str) -> Response:
    from reviewer.workflow import monitoring

    form = await request.form()
    action = str(form.get("action", "handle"))
    try:
        with database(request).session() as s:
            v = viewer(request, s, "officer")
            check_csrf(v, str(form.get("csrf_token", "")))
            if action == "open":
                monitoring.open_item(s, _id(result_id), v.user, str(form.get("reason", "")))
            else:
                monitoring.handle(s, _id(result_id), v.user, str(form.get("reason", "")))
    except ReviewerError as exc:
        if exc.http_status in (401, 403):
            raise
        return _result(request, result_id, error=exc.message, status_code=exc.http_status)
    return redirect(f"/monitor/results/{_id(result_id)}")
