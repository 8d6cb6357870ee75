"""What every page needs: the database (opened once by the app) and the logged-in person."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fastapi import Request
from sqlalchemy import select
from sqlalchemy.orm import Session

from reviewer.errors import NotFound, PermissionDenied, ReviewerError
from reviewer.store.models import User
from reviewer.store.session import Database
from reviewer.web.security import SESSION_COOKIE, load_session, same


class LoginRequired(ReviewerError):
    """No valid session: pages redirect to the login form."""

    http_status = 401


def database(request: Request) -> Database:
    return request.app.state.db  # type: ignore[no-any-return]


@dataclass(frozen=True, slots=True)
class Viewer:
    user: User
    csrf_token: str
    session_id: int | None = None  # the web session (its login event names it): a sign-off records it

    @property
    def role(self) -> str:
        return self.user.role


def viewer(request: Request, session: Session, *roles: str) -> Viewer:
    ws = load_session(session, request.cookies.get(SESSION_COOKIE))
    if ws is None:
        raise LoginRequired("请先登录")
    if roles and ws.user.role not in roles:
        raise PermissionDenied("您的角色无权访问此页面")
    _ = ws.user.unit  # loaded while the session is open; templates read it after
    request.state.todo = todo_counts(session, ws.user)
    return Viewer(ws.user, ws.csrf_token, ws.id)


def todo_counts(session: Session, user: User) -> dict[str, int]:
    """What waits for this person, for the navigation (待审查 3、待保密员复核 1、预警 2): own unit only."""
    from sqlalchemy import func

    from reviewer.store.models import AWAITING_OFFICER, AWAITING_REVIEW, SCAN_FAILED, Alert, Item

    if user.role not in ("reviewer", "officer"):
        return {}

    def count(*where: Any) -> int:
        return int(session.scalar(select(func.count()).select_from(Item).where(Item.unit_id == user.unit_id, *where)) or 0)

    out = {"review": count(Item.state.in_((AWAITING_REVIEW, SCAN_FAILED)))}
    if user.role == "officer":
        out["officer"] = count(Item.state == AWAITING_OFFICER)
    out["alerts"] = int(session.scalar(select(func.count()).select_from(Alert).where(
        Alert.unit_id == user.unit_id, Alert.resolved_at.is_(None))) or 0)
    return out


def checked_id(item_id: int) -> int:
    """Ids beyond the column's range cannot exist; asking the database would overflow its integer type."""
    if not 0 < item_id < 2**31:
        raise NotFound(f"稿件 {item_id} 不存在")
    return item_id


def check_csrf(v: Viewer, submitted: str | None) -> None:
    if not same(v.csrf_token, submitted):
        raise PermissionDenied("表单已失效（CSRF 校验失败），请刷新页面后重试")


NEXT_COOKIE = "rv_next"


def return_path(request: Request) -> str | None:
    """Where the person was when the session turned out to be gone: their page, or for a sign-off form its item page
    (where the draft kept in the browser is restored)."""
    path = request.url.path
    if request.method != "GET":
        path = path.removesuffix("/sign")
    return safe_next(path) if path not in ("/", "/login") else None


def session_expired(session: Session, raw: str | None) -> bool:
    """The browser still holds a session that ran out of time (not one that was logged out or never existed)."""
    from datetime import UTC, datetime

    from reviewer.store.models import WebSession, utcnow
    from reviewer.web.security import timeouts, token_hash

    if not raw or len(raw) > 200:
        return False
    ws = session.scalars(select(WebSession).where(WebSession.session_hash == token_hash(raw))).first()
    if ws is None:
        return False

    def aware(value: datetime) -> datetime:
        return value if value.tzinfo else value.replace(tzinfo=UTC)

    idle = timeouts(session)[1]
    seen = aware(ws.last_seen_at or ws.created_at)
    if ws.revoked_at is not None:
        # ended by the idle timeout (load_session revokes it when it finds it idle), not by 退出: the revocation came
        # more than the idle time after the last activity
        return aware(ws.revoked_at) - seen > idle
    now = utcnow()
    return aware(ws.expires_at) <= now or now - seen > idle


def safe_next(value: str | None) -> str | None:
    """Only a local page path (no scheme, no host, no backslash tricks) may follow the login."""
    import re

    if value and re.fullmatch(r"/(review|officer|audit)(/[A-Za-z0-9_./-]*)?", value) and "//" not in value and ".." not in value:
        return value
    return None


def html_errors(endpoint):  # type: ignore[no-untyped-def]
    """Domain errors on pages become Chinese error pages (or the login form); the API's JSON mapping is not used
    here. Only ReviewerError is caught: anything else is a bug and surfaces as one."""
    import functools
    import inspect

    from reviewer.web.render import redirect

    def _handle(request: Request, exc: ReviewerError):  # type: ignore[no-untyped-def]
        if isinstance(exc, LoginRequired):
            # Back to this page after logging in again: remembered in a short-lived cookie, so the login address
            # stays /login (nothing a third party could put in a link).
            resp = redirect("/login")
            back = return_path(request)
            if back:
                from reviewer.web.security import set_cookie

                set_cookie(resp, request, NEXT_COOKIE, back, max_age=3600)
            return resp
        from reviewer.web.errorpages import error_page

        return error_page(request, exc.http_status, exc.message)

    if inspect.iscoroutinefunction(endpoint):

        @functools.wraps(endpoint)
        async def wrapped_async(request: Request, *args, **kwargs):  # type: ignore[no-untyped-def]
            try:
                return await endpoint(request, *args, **kwargs)
            except ReviewerError as exc:
                return _handle(request, exc)

        return wrapped_async

    @functools.wraps(endpoint)
    def wrapped(request: Request, *args, **kwargs):  # type: ignore[no-untyped-def]
        try:
            return endpoint(request, *args, **kwargs)
        except ReviewerError as exc:
            return _handle(request, exc)

    return wrapped
