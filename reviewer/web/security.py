"""Login sessions of the pages: server-side, a fresh random id at every login, CSRF token per session.

The cookie holds a random id; the database only its SHA-256 (a stolen database cannot be replayed as cookies).
Cookies are HttpOnly and SameSite=Strict, and Secure when the pages are served over HTTPS or
REVIEWER_COOKIE_SECURE=1 (set it behind a TLS-terminating proxy).

Timeouts: a session ends after SESSION_IDLE (30 min) without a request and SESSION_LIFETIME (12 h) after login,
whichever comes first (REVIEWER_SESSION_IDLE_MINUTES / REVIEWER_SESSION_ABSOLUTE_HOURS). Deactivating a user,
changing their role or resetting their password revokes their sessions at once (accounts/manage.py)."""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from datetime import datetime, timedelta

from fastapi import Request, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from reviewer.accounts import manage as accounts
from reviewer.accounts import passwords
from reviewer.store.models import User, WebSession, utcnow

SESSION_COOKIE = "rv_session"
LOGIN_CSRF_COOKIE = "rv_login_csrf"
SESSION_LIFETIME = timedelta(hours=12)  # defaults; Settings.session_absolute_hours / session_idle_minutes rule
SESSION_IDLE = timedelta(minutes=30)
TOUCH_EVERY = timedelta(seconds=60)  # last_seen_at is written at most once a minute per session
PAGE_ROLES = ("reviewer", "officer", "auditor", "admin")

SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; object-src 'none'; "
        "base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
    "Cross-Origin-Opener-Policy": "same-origin",
}


def apply_headers(response: Response) -> Response:
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    return response


def token_hash(value: str) -> str:
    return hashlib.sha256(value.encode("utf-8")).hexdigest()


def same(a: str | None, b: str | None) -> bool:
    return bool(a) and bool(b) and hmac.compare_digest(str(a), str(b))


def cookie_secure(request: Request) -> bool:
    forced = os.environ.get("REVIEWER_COOKIE_SECURE", "").strip().lower()
    if forced in ("1", "true", "yes"):
        return True
    if forced in ("0", "false", "no"):
        return False
    return request.url.scheme == "https"


def set_cookie(response: Response, request: Request, name: str, value: str, max_age: int | None) -> None:
    response.set_cookie(
        name, value, max_age=max_age, path="/", httponly=True, samesite="strict", secure=cookie_secure(request)
    )


def clear_cookie(response: Response, request: Request, name: str) -> None:
    response.delete_cookie(name, path="/", httponly=True, samesite="strict", secure=cookie_secure(request))


def authenticate(session: Session, username: str, password: str) -> User | None:
    """Unthrottled check (kept for callers outside the login page; the page uses accounts.throttle)."""
    user = session.scalars(select(User).where(User.username == username)).first()
    if user is None or not user.password_hash:
        passwords.verify_dummy(password)  # same cost as a real check: response time does not tell which usernames exist
        return None
    return user if accounts.verify_password(user, password) else None


def timeouts(session: Session) -> tuple[timedelta, timedelta]:
    """(absolute lifetime, idle timeout) from the settings the session's database was opened with."""
    settings = getattr(session.info.get("runtime"), "settings", None)
    if settings is None:
        return SESSION_LIFETIME, SESSION_IDLE
    return timedelta(hours=settings.session_absolute_hours), timedelta(minutes=settings.session_idle_minutes)


def start_session(session: Session, user: User) -> str:
    """A new random id every login (no session fixation). Returns the cookie value."""
    raw = secrets.token_urlsafe(32)
    session.add(
        WebSession(
            session_hash=token_hash(raw),
            user_id=user.id,
            csrf_token=secrets.token_urlsafe(32),
            created_at=utcnow(),
            expires_at=utcnow() + timeouts(session)[0],
            last_seen_at=utcnow(),
        )
    )
    session.flush()
    return raw


def load_session(session: Session, raw: str | None) -> WebSession | None:
    if not raw or len(raw) > 200:
        return None
    ws = session.scalars(select(WebSession).where(WebSession.session_hash == token_hash(raw))).first()
    if ws is None or ws.revoked_at is not None:
        return None
    now = utcnow()
    if _aware(ws.expires_at) <= now or not ws.user.active or ws.user.role not in PAGE_ROLES:
        return None
    seen = _aware(ws.last_seen_at or ws.created_at)
    if now - seen > timeouts(session)[1]:
        ws.revoked_at = now  # idle: ended (takes effect if the caller's transaction commits; refused either way)
        return None
    if now - seen > TOUCH_EVERY:
        ws.last_seen_at = now
    return ws


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=utcnow().tzinfo)


def end_session(session: Session, raw: str | None) -> WebSession | None:
    ws = load_session(session, raw)
    if ws is not None:
        ws.revoked_at = utcnow()
        session.flush()
    return ws
