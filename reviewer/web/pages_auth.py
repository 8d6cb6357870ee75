"""Log in, log out, the start page and the local static assets."""

from __future__ import annotations

import secrets
import threading
from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from reviewer.accounts import throttle
from reviewer.accounts.actor import Actor
from reviewer.audit import events as audit
from reviewer.store.models import User
from reviewer.web import security
from reviewer.web.deps import (
    NEXT_COOKIE,
    LoginRequired,
    check_csrf,
    database,
    html_errors,
    safe_next,
    session_expired,
    viewer,
)
from reviewer.web.render import page, redirect

router = APIRouter(include_in_schema=False)

STATIC = Path(__file__).parent / "static"
_STATIC_TYPES = {
    "style.css": "text/css; charset=utf-8",
    "review.js": "text/javascript; charset=utf-8",
    "files.js": "text/javascript; charset=utf-8",
    "favicon.svg": "image/svg+xml",
}
ANONYMOUS = Actor("anonymous", "", None, "")
HOME = {"reviewer": "/review", "officer": "/officer", "auditor": "/audit", "admin": "/audit"}


@router.get("/static/{name}")
def static(request: Request, name: str) -> Response:
    # A fixed list, not a directory mount: nothing but these files can ever be served.
    kind = _STATIC_TYPES.get(name)
    if kind is None:
        from reviewer.web.errorpages import not_found_page

        return not_found_page(request, f"没有名为“{name[:80]}”的页面资源")
    resp = Response((STATIC / name).read_bytes(), media_type=kind)
    resp.headers["X-Content-Type-Options"] = "nosniff"
    resp.headers["Cache-Control"] = "no-cache"
    return resp


@router.get("/")
@html_errors
def index(request: Request) -> Response:
    with database(request).session() as s:
        try:
            v = viewer(request, s)
        except LoginRequired:
            return redirect("/login")
        return redirect(HOME.get(v.role, "/login"))


def _login_form(request: Request, error: str = "", status_code: int = 200, username: str = "",
                next_path: str | None = None, expired: bool | None = None) -> Response:
    token = secrets.token_urlsafe(32)
    if next_path is None:
        next_path = safe_next(request.cookies.get(NEXT_COOKIE)) or ""
    if expired is None:
        with database(request).session() as s:
            expired = session_expired(s, request.cookies.get(security.SESSION_COOKIE))
    resp = page(request, "login.html", status_code=status_code, login_csrf=token, error=error, username=username,
                next_path=next_path, expired=expired)
    security.set_cookie(resp, request, security.LOGIN_CSRF_COOKIE, token, max_age=3600)
    return resp


def _throttles(request: Request) -> tuple[throttle.AddressThrottle, throttle.VerifyGate]:
    """One address throttle and one password-check gate per application (created with the first login)."""
    state = request.app.state
    with _THROTTLES_LOCK:
        if getattr(state, "login_addresses", None) is None:
            state.login_gate = throttle.VerifyGate()
            state.login_addresses = throttle.AddressThrottle()
    return state.login_addresses, state.login_gate


_THROTTLES_LOCK = threading.Lock()


@router.get("/login")
def login_form(request: Request) -> Response:
    return _login_form(request)


@router.post("/login")
async def login(request: Request) -> Response:
    form = await request.form()
    username = str(form.get("username") or "").strip()[:100]
    password = str(form.get("password") or "")[:1000]
    next_path = safe_next(str(form.get("next") or "")) or ""
    # Login CSRF: the form's token must match the cookie set with the form (double submit).
    if not security.same(str(form.get("csrf_token") or ""), request.cookies.get(security.LOGIN_CSRF_COOKIE)):
        return _login_form(request, "登录表单已失效，请重新输入", 403, username, next_path, False)

    address = request.client.host if request.client else "unknown"
    addresses, gate = _throttles(request)

    def work() -> tuple[str | None, str, int]:
        db = database(request)
        # Throttled per account and per address, at most a few password checks at once (accounts/throttle.py).
        outcome = throttle.password_login(db, username, password, address, channel="web", addresses=addresses,
                                          gate=gate) if username and password else None
        if outcome is None or outcome.user_id is None:
            return None, outcome.error if outcome and outcome.status == 429 else "", outcome.status if outcome else 401
        with db.session() as s:
            user = s.get(User, outcome.user_id)
            if user is None or user.role not in security.PAGE_ROLES:
                if user is not None:
                    audit.append(s, "login_failed", user, data={"channel": "web", "reason": "role"})
                return None, "", 401
            # No session fixation: any session the browser presents is ended and a new id issued.
            security.end_session(s, request.cookies.get(security.SESSION_COOKIE))
            raw = security.start_session(s, user)
            ws = security.load_session(s, raw)
            audit.append(s, "login", user, data={"channel": "web", "session_id": ws.id if ws is not None else None})
            return raw, "", 200

    raw, throttled, status = await run_in_threadpool(work)
    if raw is None:
        if throttled:
            resp = _login_form(request, throttled, 429, username, next_path, False)
            resp.headers["Retry-After"] = "60"
            return resp
        return _login_form(request, "用户名或密码错误，或该账号不能登录审查页面", 401, username, next_path, False)
    resp = redirect(next_path or "/")
    lifetime = int(request.app.state.settings.session_absolute_hours * 3600)
    security.set_cookie(resp, request, security.SESSION_COOKIE, raw, max_age=lifetime)
    security.clear_cookie(resp, request, security.LOGIN_CSRF_COOKIE)
    security.clear_cookie(resp, request, NEXT_COOKIE)
    return resp


@router.post("/logout")
@html_errors
async def logout(request: Request) -> Response:
    form = await request.form()

    def work() -> None:
        with database(request).session() as s:
            v = viewer(request, s)
            check_csrf(v, str(form.get("csrf_token") or ""))
            security.end_session(s, request.cookies.get(security.SESSION_COOKIE))
            audit.append(s, "logout", v.user, data={"channel": "web"})

    await run_in_threadpool(work)
    resp = redirect("/login")
    security.clear_cookie(resp, request, security.SESSION_COOKIE)
    return resp
