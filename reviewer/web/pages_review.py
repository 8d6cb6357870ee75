"""Reviewer and secrecy-officer pages: the unit's queue, the item page, the sign-off form.

The pages collect what the signer decided and hand it to workflow.review.sign_off, which alone decides whether
the sign-off is allowed (unit, author, dispositions, block policy, content hash). One item per form: there is no
bulk action anywhere."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from reviewer.accounts import access
from reviewer.errors import ReviewerError
from reviewer.store.models import AWAITING_OFFICER, AWAITING_REVIEW, STATE_LABEL
from reviewer.web import itemview, pages_render
from reviewer.web.deps import check_csrf, checked_id, database, html_errors, viewer
from reviewer.web.render import page, redirect
from reviewer.workflow.review import DispositionInput, sign_off

router = APIRouter(include_in_schema=False)
SIGNER_ROLES = ("reviewer", "officer")


def _queue(request: Request, officer: bool) -> Response:
    q = request.query_params
    verdict, channel, author = q.get("verdict", ""), q.get("channel", ""), q.get("author", "").strip()[:100]
    with database(request).session() as s:
        v = viewer(request, s, "officer") if officer else viewer(request, s, *SIGNER_ROLES)
        queue = access.review_queue(s, v.user, limit=1000)
        if officer:
            queue = [i for i in queue if i.state == AWAITING_OFFICER]
        channels = sorted({i.channel for i in queue})
        items = [
            i for i in queue
            if (not verdict or i.verdict == verdict) and (not channel or i.channel == channel) and (author in (i.author or ""))
        ]
        alerts = access.alerts(s, v.user)[:50]
        return page(
            request, "queue.html", user=v.user, csrf_token=v.csrf_token, items=items, officer=officer, total=len(queue),
            alerts=alerts,
            channels=channels, filters={"verdict": verdict, "channel": channel, "author": author},
        )


@router.get("/review")
@html_errors
def review_queue(request: Request) -> Response:
    return _queue(request, officer=False)


@router.get("/officer")
@html_errors
def officer_queue(request: Request) -> Response:
    return _queue(request, officer=True)


def _item_page(request: Request, item_id: int, status_code: int = 200, error: str = "",
               entered: dict[str, str] | None = None) -> Response:
    with database(request).session() as s:
        v = viewer(request, s, *SIGNER_ROLES, "auditor", "admin")
        if v.role in itemview.READ_ALL_ROLES:
            return redirect(f"/audit/items/{item_id}")
        item, level = access.readable_item(s, v.user, checked_id(item_id))
        view = itemview.load(s, item, level)
        prev_id, next_id = itemview.neighbours(s, item, v.user)
        return page(
            request, "item.html", status_code=status_code, user=v.user, csrf_token=v.csrf_token, v=view, item=item,
            prev_id=prev_id, next_id=next_id, error=error, entered=entered or {},
            rendered=pages_render.rendered_view(s, item),
            open_for_signing=item.state in (AWAITING_REVIEW, AWAITING_OFFICER),
            notice=f"已签署。稿件当前状态为“{STATE_LABEL.get(item.state, item.state)}”" if request.query_params.get("done") else "",
        )


@router.get("/review/items/{item_id}")
@html_errors
def item_page(request: Request, item_id: int) -> Response:
    return _item_page(request, item_id)


@router.post("/review/items/{item_id}/sign")
@html_errors
async def sign(request: Request, item_id: int) -> Response:
    form = {k: str(val) for k, val in (await request.form()).multi_items()}

    def work() -> Response:
        with database(request).session() as s:
            v = viewer(request, s, *SIGNER_ROLES)  # errors here (login, role, CSRF) become error pages
            check_csrf(v, form.get("csrf_token"))
            access.readable_item(s, v.user, checked_id(item_id))  # other units' items do not exist for this person
        dispositions = [
            DispositionInput(int(key[5:]), value, form.get(f"reason_{key[5:]}", "")[:2000])
            for key, value in form.items()
            if key.startswith("disp_") and key[5:].isdecimal() and value
        ]
        try:
            with database(request).session() as s:
                v = viewer(request, s, *SIGNER_ROLES)
                sign_off(s, item_id, v.user, form.get("content_sha256", ""), form.get("decision", ""),
                         form.get("comment", "")[:5000], dispositions)
        except ReviewerError as exc:
            # The workflow refused (hash, dispositions, policy, author …): show the page again with the reason and
            # what the signer entered.
            return _item_page(request, item_id, status_code=exc.http_status, error=exc.message, entered=form)
        return redirect(f"/review/items/{item_id}?done=1")

    return await run_in_threadpool(work)
