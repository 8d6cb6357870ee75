"""Login sessions of the pages: server-side, a fresh random id at every login, CSRF token per session.

The cookie holds a random id; the database only its SHA-256 (a stolen database cannot be replayed as cookies).
Cookies are HttpOnly and SameSite=Strict, and Secure when the pages are served over HTTPS or
REVIEWER_COOKIE_SECURE=1 (set it behind a TLS-terminating proxy)."""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from datetime import timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from fastapi import Request, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from reviewer.accounts import manage as accounts
from reviewer.store.models import User, WebSession, utcnow

SESSION_COOKIE = "rv_session"
LOGIN_CSRF_COOKIE = "rv_login_csrf"
SESSION_LIFETIME = timedelta(hours=8)
PAGE_ROLES = ("reviewer", "officer", "auditor", "admin")

_hasher = PasswordHasher()
# Verified when the username is unknown, so a wrong username costs the same time as a wrong password.
_DUMMY_HASH = _hasher.hash(secrets.token_hex(16))

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
    user = session.scalars(select(User).where(User.username == username)).first()
    if user is None or not user.password_hash:
        try:  # same cost as a real check, so response time does not tell which usernames exist
            _hasher.verify(_DUMMY_HASH, password)
        except (VerificationError, InvalidHashError):
            pass
        return None
    return user if accounts.verify_password(user, password) else None


def start_session(session: Session, user: User) -> str:
    """A new random id every login (no session fixation). Returns the cookie value."""
    raw = secrets.token_urlsafe(32)
    session.add(
        WebSession(
            session_hash=token_hash(raw),
            user_id=user.id,
            csrf_token=secrets.token_urlsafe(32),
            created_at=utcnow(),
            expires_at=utcnow() + SESSION_LIFETIME,
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
    expires = ws.expires_at if ws.expires_at.tzinfo else ws.expires_at.replace(tzinfo=utcnow().tzinfo)
    if expires <= utcnow() or not ws.user.active or ws.user.role not in PAGE_ROLES:
        return None
    return ws


def end_session(session: Session, raw: str | None) -> WebSession | None:
    ws = load_session(session, raw)
    if ws is not None:
        ws.revoked_at = utcnow()
        session.flush()
    return ws
