"""Reviewer and secrecy-officer pages: the unit's queue, the items I signed, the item page, the sign-off form.

The pages collect what the signer decided and hand it to workflow.review.sign_off, which alone decides whether
the sign-off is allowed (unit, author, dispositions, block policy, content hash). Before any work the item page asks
workflow.desk.blockers — the same reasons sign_off enforces — and offers only what would be accepted. One item per
form: there is no bulk action anywhere."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from reviewer.accounts import access
from reviewer.actor import Actor
from reviewer.audit import events as audit_events
from reviewer.errors import NotFound, PermissionDenied, ReviewerError
from reviewer.store.models import (
    AWAITING_OFFICER,
    AWAITING_REVIEW,
    SCAN_FAILED,
    STATE_LABEL,
    Item,
    Review,
    User,
    utcnow,
)
from reviewer.web import itemview, pages_render
from reviewer.web.deps import check_csrf, checked_id, database, html_errors, viewer
from reviewer.web.render import page, redirect
from reviewer.web.security import apply_headers
from reviewer.workflow import alerts as alert_actions
from reviewer.workflow import claims, delegation, desk, fairshare, render_check, rulelog, scopes, withdraw
from reviewer.workflow.retention import PURGED_LABEL
from reviewer.workflow.review import DispositionInput, sign_off

router = APIRouter(include_in_schema=False)
SIGNER_ROLES = ("reviewer", "officer")
_RANK = {"block": 0, "review": 1, "pass": 2, None: 3, "error": -1}
QUEUE_STATE = {AWAITING_REVIEW: "待审查", AWAITING_OFFICER: "待保密员复核", SCAN_FAILED: "扫描失败"}
SORTS = {"age": "提交时间（早→晚）", "severity": "严重程度（高→低）", "newest": "提交时间（晚→早）"}


def queue_state(item: Item, rendering: set[int] | frozenset[int] = frozenset()) -> str:
    if item.id in rendering:
        return "核对中"
    return QUEUE_STATE.get(item.state, STATE_LABEL.get(item.state, "—"))


def _failed(s: Session, user: User) -> list[Item]:
    """Failed scans of the unit wait for a return (退回修改): they are part of the desk, never hidden."""
    return list(s.scalars(
        select(Item).where(Item.unit_id == user.unit_id, Item.state == SCAN_FAILED).order_by(Item.submitted_at, Item.id)
    ))


def _sorted(items: list[Item], sort: str) -> list[Item]:
    def age(i: Item) -> datetime:
        return i.submitted_at

    if sort == "severity":
        return sorted(items, key=lambda i: (_RANK.get(i.verdict, 3), -i.block_count, -i.review_count, age(i), i.id))
    if sort == "newest":
        return sorted(items, key=lambda i: (age(i), i.id), reverse=True)
    stage = {AWAITING_OFFICER: 0, AWAITING_REVIEW: 1, SCAN_FAILED: 2}
    return sorted(items, key=lambda i: (stage.get(i.state, 3), age(i), i.id))


def _queue(request: Request, officer: bool) -> Response:
    q = request.query_params
    verdict, channel, author = q.get("verdict", ""), q.get("channel", ""), q.get("author", "").strip()[:100]
    needle = q.get("q", "").strip()[:200]
    sort = q.get("sort", "") if q.get("sort", "") in SORTS else "age"
    with database(request).session() as s:
        v = viewer(request, s, "officer") if officer else viewer(request, s, *SIGNER_ROLES)
        # a reviewer with a delegation in force (委托代签) also sees the items waiting for the officer
        queue = access.review_queue(s, delegation.acting(s, Actor.of_user(v.user)), limit=1000)
        if officer:
            queue = [i for i in queue if i.state == AWAITING_OFFICER]
        else:
            queue = queue + _failed(s, v.user)
        channels = sorted({i.channel for i in queue})
        render_states = render_check.states_among(s, [i.id for i in queue])
        shown = {i.id: render_check.shown_verdict(i, render_states.get(i.id)) for i in queue}
        items = _sorted([
            i for i in queue
            if (not verdict or shown[i.id] == verdict) and (not channel or i.channel == channel)
            and (author in (i.author or ""))
            and (not needle or needle in (i.title or "") or needle == i.external_id or needle == str(i.id))
        ], sort)
        alerts = access.alerts(s, v.user)[:50]
        rendering = {i for i, st in render_states.items() if st == render_check.PENDING}
        return page(
            request, "queue.html", user=v.user, csrf_token=v.csrf_token, items=items, officer=officer, total=len(queue),
            alerts=alerts, channels=channels, sorts=SORTS, queue_state=lambda it: queue_state(it, rendering),
            shown=shown, alert_titles={i: t for i, t in s.execute(
                select(Item.id, Item.title).where(Item.id.in_([a.item_id for a in alerts])))},
            resubmitted=desk.resubmitted_after_return(s, items),
            rule_changes=rulelog.recent_changes(
                s, unit_code=v.user.unit.code,
                hidden=scopes.hidden_everywhere(s, request.app.state.settings, v.user.unit.code)) if officer else [],
            filters={"verdict": verdict, "channel": channel, "author": author, "sort": sort, "q": needle},
            queue_waits=fairshare.waits(s, request.app.state.settings) if officer else None,
        )


@router.get("/review")
@html_errors
def review_queue(request: Request) -> Response:
    return _queue(request, officer=False)


@router.get("/officer")
@html_errors
def officer_queue(request: Request) -> Response:
    return _queue(request, officer=True)


@router.get("/review/signed")
@html_errors
def signed_by_me(request: Request) -> Response:
    """The items this person signed, newest first: what I decided, and where each item stands now."""
    with database(request).session() as s:
        v = viewer(request, s, *SIGNER_ROLES)
        reviews = list(s.scalars(
            select(Review).where(Review.reviewer_id == v.user.id).order_by(Review.created_at.desc(), Review.id.desc()).limit(500)
        ))
        for r in reviews:
            _ = r.item.findings
        return page(request, "signed.html", user=v.user, csrf_token=v.csrf_token, reviews=reviews)


def _defaults(view: itemview.ItemView, item: Item, carried: dict[int, desk.Carried]) -> dict[str, str]:
    """What the form starts from: carried-over dispositions for a new version. The officer starts from an empty form:
    the first signer's dispositions and reasons are shown beside it, never entered as the officer's own (谁审查谁负责)."""
    out: dict[str, str] = {}
    if item.state == AWAITING_OFFICER:
        return out
    for fid, c in carried.items():
        out[f"disp_{fid}"] = c.disposition
        out[f"reason_{fid}"] = c.reason
    return out


def _item_page(request: Request, item_id: int, status_code: int = 200, error: str = "",
               entered: dict[str, str] | None = None, kept: bool = False) -> Response:
    with database(request).session() as s:
        v = viewer(request, s, *SIGNER_ROLES, "auditor", "admin")
        if v.role in itemview.READ_ALL_ROLES:
            return redirect(f"/audit/items/{item_id}")
        item, level = access.readable_item(s, v.user, checked_id(item_id))
        view = itemview.load(s, item, level)
        prev_id, next_id = itemview.neighbours(s, item, v.user)
        found = desk.blockers(s, item, v.user)
        carried = desk.carried_over(s, item) if item.state == AWAITING_REVIEW else {}
        form = {**_defaults(view, item, carried), **(entered or {})}
        undisposed = [f for f in view.findings if not form.get(f"disp_{f.id}")]
        first_review = next((r for r in reversed(view.reviews)
                             if r.stage == "unit" and r.decision == "approve" and r.withdrawn_at is None), None)
        newer = s.get(Item, item.superseded_by_id) if item.superseded_by_id else None
        rendered = pages_render.rendered_view(s, item)
        item_alerts = [a for a in access.alerts(s, v.user) if a.item_id == item.id] if v.role in SIGNER_ROLES else []
        own_review = next((r for r in reversed(view.reviews) if r.reviewer_id == v.user.id and r.withdrawn_at is None), None)
        held = None
        if item.state in (AWAITING_REVIEW, AWAITING_OFFICER) and desk.can_sign(found) and own_review is None:
            held = claims.touch(s, item, v.user)  # another signer who has it open, if any
        return page(
            request, "item.html", status_code=status_code, user=v.user, csrf_token=v.csrf_token, v=view, item=item,
            prev_id=prev_id, next_id=next_id, error=error, entered=form, kept=kept, blockers=found,
            can_sign=desk.can_sign(found), can_approve=desk.can_approve(found), carried=carried,
            undisposed=undisposed, first_review=first_review if item.state == AWAITING_OFFICER else None,
            newer=newer, exception_possible=bool(view.findings) if item.state == AWAITING_REVIEW
            else item.state == AWAITING_OFFICER and bool(view.findings),
            exception_note=item.state == AWAITING_REVIEW and desk.has_block(item) and item.unit.block_policy == "officer",
            rendered=rendered, shown_verdict=render_check.shown_verdict(item, rendered.state if rendered else None),
            own_review=own_review, withdrawable=own_review is not None and not withdraw.can_withdraw(s, own_review, v.user),
            next_step=desk.next_step(item) if own_review else "", item_alerts=item_alerts, held=held,
            open_for_signing=item.state in (AWAITING_REVIEW, AWAITING_OFFICER, SCAN_FAILED),
            notice=f"已签署。稿件当前状态为“{STATE_LABEL.get(item.state, item.state)}”" if request.query_params.get("done")
            else f"已撤回您的签署。稿件当前状态为“{STATE_LABEL.get(item.state, item.state)}”" if request.query_params.get("withdrawn")
            else "",
        )


@router.get("/review/items/{item_id}")
@html_errors
def item_page(request: Request, item_id: int) -> Response:
    return _item_page(request, item_id)


@router.post("/review/alerts/{alert_id}/resolve")
@html_errors
async def resolve_alert(request: Request, alert_id: int) -> Response:
    form = await request.form()
    with database(request).session() as s:
        v = viewer(request, s, *SIGNER_ROLES)
        check_csrf(v, str(form.get("csrf_token", "")))
        alert = alert_actions.resolve(s, checked_id(alert_id), v.user, str(form.get("action", "")), str(form.get("reason", ""))[:2000])
        item_id = alert.item_id
    return redirect(f"/review/items/{item_id}?alert=done#item-alerts")


@router.post("/review/reviews/{review_id}/withdraw")
@html_errors
async def withdraw_sign_off(request: Request, review_id: int) -> Response:
    """The signer withdraws his own sign-off before release (workflow.withdraw decides whether he may)."""
    form = await request.form()
    with database(request).session() as s:
        v = viewer(request, s, *SIGNER_ROLES)
        check_csrf(v, str(form.get("csrf_token", "")))
        review = s.get(Review, checked_id(review_id))
        if review is None:
            raise NotFound(f"签署记录 {review_id} 不存在")
        item_id = review.item_id
        error: ReviewerError | None = None
        try:
            withdraw.withdraw(s, review.id, Actor.of_user(v.user, session_id=v.session_id), str(form.get("reason", ""))[:2000])
        except ReviewerError as exc:
            s.rollback()
            if isinstance(exc, NotFound):
                raise
            error = exc
    if error is not None:
        return _item_page(request, item_id, status_code=error.http_status, error=error.message)
    return redirect(f"/review/items/{item_id}?withdrawn=1")


@router.get("/review/items/{item_id}/sheet")
@html_errors
def approval_sheet(request: Request, item_id: int) -> Response:
    """The 保密审查审批单 for filing (归档): the item, its versions, findings (rule names and places, never the matched
    text), every signer's dispositions and reasons with times, and the receipt — one printable page. Printing it is
    logged."""
    with database(request).session() as s:
        v = viewer(request, s, *SIGNER_ROLES, "auditor")
        item, level = access.readable_item(s, v.user, checked_id(item_id))
        if level != access.FULL:
            raise NotFound(f"稿件 {item_id} 不存在")
        versions, _events = itemview.history(s, item)
        view = itemview.load(s, item, level, with_diff=False)
        audit_events.append(s, "approval_sheet", v.user, unit_code=item.unit.code, item_id=item.id,
                            data={"version": item.version})
        return page(request, "sheet.html", user=v.user, csrf_token=v.csrf_token, item=item, v=view, versions=versions,
                    now=utcnow(),
                    shown_verdict=render_check.shown_verdict(item, getattr(render_check.state_of(s, item.id), "state", None)))


@router.get("/review/items/{item_id}/original")
@html_errors
def original(request: Request, item_id: int) -> Response:
    """The file exactly as submitted (the bytes whose SHA-256 is signed), as a download, never rendered inline."""
    from urllib.parse import quote

    with database(request).session() as s:
        v = viewer(request, s, *SIGNER_ROLES, "auditor")
        item, level = access.readable_item(s, v.user, checked_id(item_id))
        if level != access.FULL:
            raise PermissionDenied("您的角色不能下载稿件原文")
        if item.purged_at is not None:
            raise NotFound(f"稿件 {item.id} 的原始文件{PURGED_LABEL}")
        name = item.file_name or "content.txt"
        resp = Response(item.content, media_type="application/octet-stream")
        # reading draft content outside the review page is an event naming the person and the item
        audit_events.append(s, "draft_read", Actor.of_user(v.user, session_id=v.session_id), unit_code=item.unit.code,
                            item_id=item.id, data={"what": "original", "channel": "web", "bytes": len(item.content)})
    ascii_name = name.encode("ascii", "ignore").decode().replace('"', "") or "original"
    resp.headers["Content-Disposition"] = f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name)}"
    return apply_headers(resp)


@router.post("/review/items/{item_id}/sign")
@html_errors
async def sign(request: Request, item_id: int) -> Response:
    form = {k: str(val) for k, val in (await request.form()).multi_items()}

    def work() -> Response:
        with database(request).session() as s:
            v = viewer(request, s, *SIGNER_ROLES)  # errors here (login, role) become error pages / the login form
            access.readable_item(s, v.user, checked_id(item_id))  # other units' items do not exist for this person
            try:
                check_csrf(v, form.get("csrf_token"))
            except PermissionDenied:
                stale = True
            else:
                stale = False
        if stale:  # a form from an older session or tab: nothing is signed, everything entered is shown again
            return _item_page(request, item_id, status_code=403, entered=form, kept=True,
                              error="表单已失效（CSRF 校验失败：页面打开期间重新登录过，或在别处退出）。您填写的内容已保留在下方，请核对后再次签署。")
        dispositions = [
            DispositionInput(int(key[5:]), value, form.get(f"reason_{key[5:]}", "")[:2000])
            for key, value in form.items()
            if key.startswith("disp_") and key[5:].isdecimal() and value
        ]
        try:
            with database(request).session() as s:
                v = viewer(request, s, *SIGNER_ROLES)
                sign_off(s, item_id, Actor.of_user(v.user, session_id=v.session_id), form.get("content_sha256", ""),
                         form.get("decision", ""), form.get("comment", "")[:5000], dispositions,
                         form.get("exception_confirm") == "1",
                         [int(k[9:]) for k, val in form.items() if k.startswith("feedback_") and k[9:].isdecimal() and val])
                signed = s.get(Item, item_id)
                if signed is not None:
                    claims.release(s, signed, v.user)  # signed: the next signer (the officer) is not told it is held
        except ReviewerError as exc:
            # The workflow refused (hash, dispositions, policy, author …): show the page again with the reason and
            # what the signer entered.
            return _item_page(request, item_id, status_code=exc.http_status, error=exc.message, entered=form, kept=True)
        return redirect(f"/review/items/{item_id}?done=1")

    return await run_in_threadpool(work)
