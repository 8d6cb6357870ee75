"""委托代签 (docs/desk.md): the secrecy officer's page for naming, while an officer is away, a reviewer of the same unit
who may co-sign as officer for a stated period, and for ending it early. workflow.delegation decides who may do what;
every change is logged. A separate page (not a section of the officer's queue) so it stays apart from the queue."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy import select

from reviewer.errors import InvalidInput, ReviewerError
from reviewer.store.models import User
from reviewer.web.deps import check_csrf, checked_id, database, html_errors, viewer
from reviewer.web.render import page, redirect
from reviewer.workflow import delegation

router = APIRouter(include_in_schema=False)
BEIJING = timezone(timedelta(hours=8))


def _when(raw: str, label: str) -> datetime:
    """A `datetime-local` value from the form, read as Beijing time (what the page shows)."""
    try:
        return datetime.fromisoformat((raw or "").strip()).replace(tzinfo=BEIJING)
    except ValueError:
        raise InvalidInput(f"{label}格式不正确，请按“年-月-日 时:分”填写") from None


def _page(request: Request, error: str = "", status_code: int = 200, entered: dict[str, str] | None = None) -> Response:
    with database(request).session() as s:
        v = viewer(request, s, "officer")
        people = list(s.scalars(select(User).where(User.unit_id == v.user.unit_id, User.active.is_(True)).order_by(User.username)))
        return page(request, "delegations.html", status_code=status_code, user=v.user, csrf_token=v.csrf_token,
                    delegations=delegation.of_unit(s, v.user.unit_id), now=delegation.as_utc(datetime.now(BEIJING)),
                    officers=[p for p in people if p.role == "officer"],
                    reviewers=[p for p in people if p.role in delegation.DELEGATE_ROLES],
                    error=error, entered=entered or {}, as_utc=delegation.as_utc,
                    notice="已保存" if request.query_params.get("done") else "")


@router.get("/officer/delegations")
@html_errors
def delegations_page(request: Request) -> Response:
    return _page(request)


@router.post("/officer/delegations")
@html_errors
async def create_delegation(request: Request) -> Response:
    form = {k: str(val) for k, val in (await request.form()).items()}
    with database(request).session() as s:
        v = viewer(request, s, "officer")
        check_csrf(v, form.get("csrf_token", ""))
        try:
            absent = int(form.get("absent_id", "") or 0)
            delegate = int(form.get("delegate_id", "") or 0)
            delegation.create(s, v.user, absent, delegate, _when(form.get("starts_at", ""), "开始时间"),
                              _when(form.get("ends_at", ""), "结束时间"), form.get("reason", "")[:500])
        except ValueError:
            error: ReviewerError | None = InvalidInput("请选择外出人员和受委托人")
            s.rollback()
        except ReviewerError as exc:
            error = exc
            s.rollback()
        else:
            error = None
    if error is not None:
        return _page(request, error=error.message, status_code=error.http_status, entered=form)
    return redirect("/officer/delegations?done=1")


@router.post("/officer/delegations/{delegation_id}/revoke")
@html_errors
async def revoke_delegation(request: Request, delegation_id: int) -> Response:
    form = await request.form()
    with database(request).session() as s:
        v = viewer(request, s, "officer")
        check_csrf(v, str(form.get("csrf_token", "")))
        delegation.revoke(s, v.user, checked_id(delegation_id))  # another unit's delegation: NotFound (404)
    return redirect("/officer/delegations?done=1")
