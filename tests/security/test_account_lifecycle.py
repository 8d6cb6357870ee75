"""Offboarding and credentials over time, against the running service (real API server; the operator commands run
as separate processes, as in a deployment):

- weak passwords are refused (`1`, a common password with digits added, the username);
- API tokens expire; `tokens rotate` stops the old token at once (or after a grace period); `tokens revoke` too;
- `users deactivate` ends the person's page session and API token at the very next request;
  `users set-role` and `users reset-password` end them as well; every change is in the review log;
- a page session ends after 30 minutes without a request and 12 hours after login, whatever the activity."""

from __future__ import annotations

import subprocess
from datetime import timedelta

import httpx
import pytest
from sqlalchemy import select, update

from reviewer.store.models import ApiToken, AuditEvent, WebSession, utcnow
from tests.reliability._helpers import figures, open_db
from tests.services import PYTHON, REPO, Stack
from tests.web.helpers import login

pytestmark = pytest.mark.integration
SQLITE_ONLY = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
GOOD = "北窗下的老槐树-2031-雪"


def cli(stack: Stack, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run([PYTHON, "-m", "reviewer", *args], env=stack.env, cwd=REPO, input=stdin, capture_output=True,
                          text=True, timeout=60)


def _api(stack: Stack, token: str) -> httpx.Client:
    assert stack.api is not None
    return httpx.Client(base_url=stack.api.url, headers={"Authorization": f"Bearer {token}"}, timeout=30)


def _page(stack: Stack, username: str, password: str | None = None) -> httpx.Client:
    assert stack.api is not None
    c = httpx.Client(base_url=stack.api.url, timeout=30)
    assert login(c, username, password).status_code == 303
    assert c.get("/review").status_code == 200
    return c


def _logged_out(c: httpx.Client) -> bool:
    r = c.get("/review")
    return r.status_code in (302, 303) and r.headers.get("location", "").endswith("/login")


@SQLITE_ONLY
def test_password_policy_on_the_command_line(stack: Stack) -> None:
    refused = {}
    for password in ["1", "Password2026!", "qwertyuiop12", "1qaz2wsx3edc", "zhangwei1988", "aaaaaaaaaaaaaaa", "xiaoli-2024"]:
        out = cli(stack, "users", "add", "xiaoli", "--unit", "U1", "--role", "reviewer", "--password-stdin", stdin=password + "\n")
        assert out.returncode == 1 and "口令" in out.stderr, (password, out.stderr)
        refused[password] = out.stderr.strip()
    out = cli(stack, "users", "add", "xiaoli", "--unit", "U1", "--role", "reviewer", "--password-stdin", stdin=GOOD + "\n")
    assert out.returncode == 0, out.stderr
    _page(stack, "xiaoli", GOOD).close()
    out = cli(stack, "users", "reset-password", "xiaoli", stdin="12345\n")
    assert out.returncode == 1 and "12" in out.stderr
    figures("password_policy", refused=len(refused), accepted=1)


@SQLITE_ONLY
def test_tokens_expire_rotate_and_revoke(stack: Stack) -> None:
    out = cli(stack, "tokens", "create", "--unit", "U1", "--client", "cms-new", "--expires-days", "1")
    assert out.returncode == 0, out.stderr
    token = out.stdout.strip().splitlines()[-1]
    with _api(stack, token) as c:
        assert c.get("/api/v1/me").status_code == 200
    db = open_db(stack.database_url, stack.data_dir)
    try:
        with db.session() as s:
            record = s.execute(select(ApiToken).where(ApiToken.client_name == "cms-new")).scalar_one()
            expires = record.expires_at if record.expires_at.tzinfo else record.expires_at.replace(tzinfo=utcnow().tzinfo)
            assert timedelta(hours=23) < expires - utcnow() <= timedelta(days=1)
            # every token issued by default expires too (90 days)
            assert all(t.expires_at is not None for t in s.execute(select(ApiToken)).scalars())
            record.expires_at = utcnow() - timedelta(seconds=1)  # a day later
    finally:
        db.dispose()
    with _api(stack, token) as c:
        r = c.get("/api/v1/me")
        assert r.status_code == 401 and "过期" in r.json()["detail"]
    # rotation: the old token stops at once, the new one works
    old = stack.seed.tokens["cms1"]
    out = cli(stack, "tokens", "rotate", old[:12])
    assert out.returncode == 0, out.stderr
    new = out.stdout.strip().splitlines()[-1]
    with _api(stack, old) as c:
        assert c.get("/api/v1/me").status_code == 401
    with _api(stack, new) as c:
        assert c.get("/api/v1/me").json()["role"] == "publisher"
    # rotation with a grace period: both work until it ends
    out = cli(stack, "tokens", "rotate", new, "--grace-minutes", "30")
    newer = out.stdout.strip().splitlines()[-1]
    with _api(stack, new) as a, _api(stack, newer) as b:
        assert a.get("/api/v1/me").status_code == 200 and b.get("/api/v1/me").status_code == 200
    out = cli(stack, "tokens", "revoke", newer[:12])
    assert out.returncode == 0, out.stderr
    with _api(stack, newer) as c:
        assert c.get("/api/v1/me").status_code == 401
    figures("token_lifecycle", expired_refused=True, rotated_old_refused=True, revoked_refused=True)


@SQLITE_ONLY
def test_offboarding_ends_sessions_and_tokens_at_once(stack: Stack) -> None:
    pages = {name: _page(stack, name) for name in ("rev1", "rev1b", "off1")}
    tokens = {name: _api(stack, stack.seed.tokens[name]) for name in ("rev1", "rev1b", "off1")}
    for c in tokens.values():
        assert c.get("/api/v1/review-queue").status_code == 200
    assert cli(stack, "users", "deactivate", "rev1").returncode == 0
    assert _logged_out(pages["rev1"]) and tokens["rev1"].get("/api/v1/review-queue").status_code == 401
    assert login(httpx.Client(base_url=pages["rev1"].base_url, timeout=30), "rev1").status_code == 401  # cannot log in again
    out = cli(stack, "users", "set-role", "rev1b", "auditor")
    assert out.returncode == 0, out.stderr
    assert _logged_out(pages["rev1b"]) and tokens["rev1b"].get("/api/v1/review-queue").status_code == 401
    out = cli(stack, "users", "reset-password", "off1", stdin=GOOD + "\n")
    assert out.returncode == 0, out.stderr
    assert _logged_out(pages["off1"]) and tokens["off1"].get("/api/v1/review-queue").status_code == 401
    fresh = httpx.Client(base_url=pages["off1"].base_url, timeout=30)
    assert login(fresh, "off1").status_code == 401  # the old password is gone
    assert login(fresh, "off1", GOOD).status_code == 303
    db = open_db(stack.database_url, stack.data_dir)
    try:
        with db.session() as s:
            actions = set(s.execute(select(AuditEvent.action)).scalars())
    finally:
        db.dispose()
    assert {"user_deactivated", "user_role_changed", "password_reset"} <= actions
    for c in [*pages.values(), *tokens.values()]:
        c.close()
    figures("offboarding", deactivated=1, role_changed=1, password_reset=1, sessions_and_tokens_ended_at_once=True)


@SQLITE_ONLY
def test_page_sessions_have_idle_and_absolute_timeouts(stack: Stack) -> None:
    idle, active, old = _page(stack, "rev1"), _page(stack, "rev2"), _page(stack, "off1")
    db = open_db(stack.database_url, stack.data_dir)
    try:
        with db.session() as s:
            ids = {ws.user.username: ws.id for ws in s.execute(select(WebSession).where(WebSession.revoked_at.is_(None))).scalars()}
            now = utcnow()
            s.execute(update(WebSession).where(WebSession.id == ids["rev1"]).values(last_seen_at=now - timedelta(minutes=31)))
            s.execute(update(WebSession).where(WebSession.id == ids["rev2"]).values(last_seen_at=now - timedelta(minutes=10)))
            # active a minute ago, but logged in more than 12 hours ago
            s.execute(update(WebSession).where(WebSession.id == ids["off1"]).values(
                created_at=now - timedelta(hours=12, minutes=5), expires_at=now - timedelta(minutes=5),
                last_seen_at=now - timedelta(minutes=1)))
    finally:
        db.dispose()
    assert _logged_out(idle), "a session idle for 31 minutes still worked"
    assert _logged_out(old), "a session older than 12 hours still worked"
    assert active.get("/review").status_code == 200  # 10 minutes idle: still fine, and the request renews it
    db = open_db(stack.database_url, stack.data_dir)
    try:
        with db.session() as s:
            seen = s.get(WebSession, ids["rev2"]).last_seen_at  # type: ignore[union-attr]
            seen = seen if seen.tzinfo else seen.replace(tzinfo=utcnow().tzinfo)
            assert utcnow() - seen < timedelta(minutes=1)
    finally:
        db.dispose()
    for c in (idle, active, old):
        c.close()
    figures("session_timeouts", idle_minutes=30, absolute_hours=12, idle_refused=True, absolute_refused=True)
