"""Login, sessions, CSRF, cookie flags and security headers."""

from __future__ import annotations

from tests.web.conftest import Web
from tests.web.helpers import csrf_of, login


def test_login_sets_strict_httponly_cookie_and_headers(web: Web) -> None:
    c = web.client()
    form = c.get("/login")
    assert form.status_code == 200 and "登录" in form.text
    assert "default-src 'self'" in form.headers["content-security-policy"]
    assert "frame-ancestors 'none'" in form.headers["content-security-policy"]
    assert form.headers["x-content-type-options"] == "nosniff"
    assert form.headers["x-frame-options"] == "DENY"
    assert form.headers["referrer-policy"] == "no-referrer"
    resp = login(c, "rev1")
    assert resp.status_code == 303 and resp.headers["location"] == "/"
    cookie = [h for h in resp.headers.get_list("set-cookie") if h.startswith("rv_session=")][0]
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie.replace("Strict", "strict")
    assert "Secure" not in cookie  # plain http in this test; see test_secure_cookie_when_forced
    assert c.get("/", follow_redirects=False).headers["location"] == "/review"


def test_secure_cookie_when_forced(web: Web, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("REVIEWER_COOKIE_SECURE", "1")
    c = web.client()
    c.base_url = "https://testserver"  # a Secure login-form cookie only travels over https
    resp = login(c, "rev1")
    cookie = [h for h in resp.headers.get_list("set-cookie") if h.startswith("rv_session=")][0]
    assert "Secure" in cookie


def test_wrong_password_and_unknown_user(web: Web) -> None:
    c = web.client()
    assert login(c, "rev1", "wrong").status_code == 401
    assert login(c, "nobody", "x").status_code == 401
    assert "rv_session" not in c.cookies
    assert c.get("/review").headers["location"] == "/login"


def test_login_requires_form_token(web: Web) -> None:
    c = web.client()
    c.get("/login")
    resp = c.post("/login", data={"csrf_token": "forged", "username": "rev1", "password": "rev1-password"})
    assert resp.status_code == 403 and "rv_session" not in c.cookies


def test_new_session_id_at_every_login(web: Web) -> None:
    """Session fixation: a session id planted before login is never the one used after login."""
    c = web.client()
    login(c, "rev1")
    first = c.cookies["rv_session"]
    planted = web.client()
    planted.cookies.set("rv_session", first, domain="testserver.local")  # attacker plants a known id in the victim's browser
    login(planted, "rev1b")
    second = planted.cookies["rv_session"]
    assert second != first
    # The planted (previous) session was ended by the new login: the attacker's copy no longer works.
    assert c.get("/review").headers.get("location") == "/login"
    assert planted.get("/review").status_code == 200


def test_logout_needs_csrf_and_ends_the_session(web: Web) -> None:
    c = web.client()
    login(c, "rev1")
    page = c.get("/review")
    assert c.post("/logout", data={"csrf_token": "nope"}).status_code == 403
    assert c.get("/review").status_code == 200
    raw = c.cookies["rv_session"]
    assert c.post("/logout", data={"csrf_token": csrf_of(page.text)}).headers["location"] == "/login"
    other = web.client()
    other.cookies.set("rv_session", raw, domain="testserver.local")
    assert other.get("/review").headers["location"] == "/login"


def test_login_events_are_in_the_log(web: Web) -> None:
    from sqlalchemy import select

    from reviewer.store.models import AuditEvent

    c = web.client()
    login(c, "rev1", "bad")
    login(c, "rev1")
    with web.db.session() as s:
        actions = [(e.actor, e.action) for e in s.scalars(select(AuditEvent).where(AuditEvent.action.like("login%")))]
    assert actions == [("rev1", "login_failed"), ("rev1", "login")]


def test_static_assets_are_local(web: Web) -> None:
    c = web.client()
    assert c.get("/static/style.css").headers["content-type"].startswith("text/css")
    assert c.get("/static/review.js").status_code == 200
    assert c.get("/static/..%2Fsecurity.py").status_code == 404
    html = c.get("/login").text
    assert "http://" not in html and "https://" not in html
