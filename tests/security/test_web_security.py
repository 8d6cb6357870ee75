"""The pages: CSRF on every form (every POST page route is enumerated; a new one without a probe fails), session
fixation, cookie flags, logout ending the session on the server, and security headers on every page response."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from reviewer.store.models import AuditEvent, FingerprintSet, Item
from reviewer.web.security import LOGIN_CSRF_COOKIE, SESSION_COOKIE
from tests.reliability._helpers import figures
from tests.security.conftest import App, make_app
from tests.security.test_authorization_matrix import REGISTERED, app_routes
from tests.web.helpers import csrf_of, login, make_item

TEXT = "关于召开年度工作会议的通知。"


def _events(a: App) -> int:
    with a.db.session() as s:
        return int(s.execute(select(func.count()).select_from(AuditEvent)).scalar_one())


def _registered(a: App) -> list[str]:
    """What the registration form registered (not the registrations the management probes start from)."""
    with a.db.session() as s:
        return [r for r in s.execute(select(FingerprintSet.rule_id)).scalars() if not r.startswith("csrf-manage-")]


def _page_posts(a: App) -> set[str]:
    return {p for m, p in app_routes(a.app) if m == "POST" and not p.startswith("/api/")}


def _signed_and_delegated(a: App) -> tuple[int, int, tuple[str, str]]:
    """An approval signed by rev1 (to withdraw) and a delegation set by off1 (to revoke)."""
    from datetime import UTC, datetime, timedelta

    from reviewer.accounts import manage as accounts
    from reviewer.workflow import delegation
    from reviewer.workflow.review import sign_off

    item_id = make_item(a.db, TEXT + "撤回", external_id="csrf-withdraw")
    with a.db.session() as s:
        item = s.get(Item, item_id)
        review = sign_off(s, item_id, accounts.get_user(s, "rev1"), item.content_sha256, "approve", "同意")  # type: ignore[union-attr]
        off1, rev1b = accounts.get_user(s, "off1"), accounts.get_user(s, "rev1b")
        start = datetime.now(UTC) + timedelta(days=1)
        made = delegation.create(s, off1, off1.id, rev1b.id, start, start + timedelta(days=1))
        return review.id, made.id, (str(off1.id), str(rev1b.id))
def _registration(a: App, rule_id: str) -> int:
    """A registration of U1 made by its officer through the workflow; returns its id."""
    from reviewer.accounts import manage as accounts
    from reviewer.scan.fingerprints import read_source
    from reviewer.workflow import fingerprints as registry

    with a.db.session() as s:
        registry.register(s, rule_id, [read_source(REGISTERED.encode(), "通报.txt")], actor=accounts.get_user(s, "off1"))
        return int(s.execute(select(FingerprintSet.id).where(FingerprintSet.rule_id == rule_id)).scalar_one())


def _monitor_problem(a: App) -> int:
    """A 巡检 run of U1 with one unsigned page; returns its result id."""
    from reviewer.accounts import manage as accounts
    from reviewer.monitor.model import Report, Resource, Status
    from reviewer.scan.model import Verdict
    from reviewer.store.models import MonitorResult
    from reviewer.workflow import monitoring

    report = Report(rules_version="rv", resources=[Resource("https://u1.example/x.html", "page", Status.UNSIGNED,
                                                            Verdict.PASS, [], None, "未签署")])
    with a.db.session() as s:
        run = monitoring.start_run(s, accounts.get_unit(s, "U1").id, "cli", [])
        monitoring.record(s, run.id, report)
        return int(s.execute(select(func.max(MonitorResult.id))).scalar_one())


def test_every_form_refuses_a_missing_or_wrong_csrf_token(inproc: App) -> None:
    item_id = make_item(inproc.db, TEXT, external_id="csrf-1")
    with inproc.db.session() as s:
        sha = s.get(Item, item_id).content_sha256  # type: ignore[union-attr]
    probes = {"/login", "/logout", "/review/items/{item_id}/sign", "/fingerprints", "/monitor/results/{result_id}/handle",
              "/review/alerts/{alert_id}/resolve", "/admin/{act}", "/review/reviews/{review_id}/withdraw",
              "/officer/delegations", "/officer/delegations/{delegation_id}/revoke", "/fingerprints/{set_id}/{act}"}
    assert _page_posts(inproc) == probes, f"a POST page route without a CSRF probe: {_page_posts(inproc) - probes}"
    review_id, delegation_id, people = _signed_and_delegated(inproc)
    tried = 0
    for bad in (None, "", "wrong-token", "x" * 43):
        extra = {} if bad is None else {"csrf_token": bad}
        # login: the double-submit token must match the cookie set with the form
        c = inproc.client()
        c.get("/login")
        r = c.post("/login", data={"username": "rev1", "password": "rev1-password", **extra})
        assert r.status_code == 403 and SESSION_COOKIE not in r.cookies, (bad, r.status_code)
        tried += 1
        # logged-in forms
        c = inproc.client()
        assert login(c, "rev1").status_code == 303
        before = _events(inproc)
        r = c.post(f"/review/items/{item_id}/sign", data={"content_sha256": sha, "decision": "approve", **extra})
        assert r.status_code == 403 and "CSRF" in r.text, (bad, r.status_code)
        r = c.post("/logout", data=extra)
        assert r.status_code == 403, (bad, r.status_code)
        assert c.get("/review").status_code == 200  # still logged in: the forged logout did nothing
        assert _events(inproc) == before
        tried += 2
        # the officer's registration form (multipart): refused before anything is registered
        c = inproc.client()
        assert login(c, "off1").status_code == 303
        before = _events(inproc)
        r = c.post("/fingerprints", data={"rule_id": f"csrf-probe-{tried}", **extra},
                   files=[("files", ("通报.txt", REGISTERED.encode(), "text/plain"))])
        assert r.status_code == 403 and "CSRF" in r.text, (bad, r.status_code)
        assert _events(inproc) == before and not _registered(inproc)
        tried += 1
        # replacing, retiring or deleting a registration: refused, the registration untouched, nothing logged
        set_id = _registration(inproc, f"csrf-manage-{tried}")
        before = _events(inproc)
        for act in ("retire", "delete", "replace"):
            r = c.post(f"/fingerprints/{set_id}/{act}", data={"reason": "探针", **extra},
                       files=[("files", ("新.txt", REGISTERED.encode(), "text/plain"))])
            assert r.status_code == 403 and "CSRF" in r.text, (bad, act, r.status_code)
        with inproc.db.session() as s:
            row = s.get(FingerprintSet, set_id)
            assert row is not None and row.retired_at is None
        assert _events(inproc) == before
        tried += 3
        # the officer's handling of a 巡检 problem: refused, nothing handled, nothing logged
        rid = _monitor_problem(inproc)
        before = _events(inproc)
        r = c.post(f"/monitor/results/{rid}/handle", data={"reason": "已处理", **extra})
        assert r.status_code == 403 and "CSRF" in r.text and _events(inproc) == before, (bad, r.status_code)
        tried += 1
        # a post-release alert handled by the unit's reviewer: refused, still open, nothing logged
        from reviewer.store.models import Alert, User

        with inproc.db.session() as s:
            alert = Alert(item_id=item_id, unit_id=s.get(Item, item_id).unit_id, rules_version="rv",  # type: ignore[union-attr]
                          verdict="review", summary="x ×1")
            s.add(alert)
            s.flush()
            alert_id = alert.id
        c = inproc.client()
        assert login(c, "rev1").status_code == 303
        before = _events(inproc)
        r = c.post(f"/review/alerts/{alert_id}/resolve", data={"action": "handled", "reason": "已核实", **extra})
        assert r.status_code == 403 and "CSRF" in r.text and _events(inproc) == before, (bad, r.status_code)
        with inproc.db.session() as s:
            assert s.get(Alert, alert_id).resolved_at is None  # type: ignore[union-attr]
        # the admin's forms: nothing created, nothing logged
        c = inproc.client()
        assert login(c, "adm").status_code == 303
        before = _events(inproc)
        r = c.post("/admin/user-add", data={"username": f"csrf.probe{tried}", "display_name": "探针", "unit": "U1",
                                            "role": "reviewer", **extra})
        assert r.status_code == 403 and "CSRF" in r.text and _events(inproc) == before, (bad, r.status_code)
        with inproc.db.session() as s:
            assert s.query(User).filter_by(username=f"csrf.probe{tried}").first() is None
        tried += 2
        # withdrawing one's own sign-off, and the officer's delegation forms: refused, nothing changed, nothing logged
        c = inproc.client()
        assert login(c, "rev1").status_code == 303
        before = _events(inproc)
        r = c.post(f"/review/reviews/{review_id}/withdraw", data={"reason": "重新核对", **extra})
        assert r.status_code == 403 and "CSRF" in r.text and _events(inproc) == before, (bad, r.status_code)
        c = inproc.client()
        assert login(c, "off1").status_code == 303
        before = _events(inproc)
        r = c.post("/officer/delegations", data={"absent_id": people[0], "delegate_id": people[1],
                                                 "starts_at": "2030-01-01T08:00", "ends_at": "2030-01-02T08:00", **extra})
        assert r.status_code == 403 and "CSRF" in r.text and _events(inproc) == before, (bad, r.status_code)
        r = c.post(f"/officer/delegations/{delegation_id}/revoke", data=extra)
        assert r.status_code == 403 and "CSRF" in r.text and _events(inproc) == before, (bad, r.status_code)
        from reviewer.store.models import Delegation, Review

        with inproc.db.session() as s:
            assert s.get(Review, review_id).withdrawn_at is None  # type: ignore[union-attr]
            assert s.get(Delegation, delegation_id).revoked_at is None  # type: ignore[union-attr]
            assert s.query(Delegation).count() == 1
        tried += 3
    # another person's valid token is a wrong token too
    other = inproc.client()
    login(other, "rev1b")
    stolen = csrf_of(other.get("/review").text)
    c = inproc.client()
    login(c, "rev1")
    r = c.post(f"/review/items/{item_id}/sign", data={"csrf_token": stolen, "content_sha256": sha, "decision": "approve"})
    assert r.status_code == 403
    with inproc.db.session() as s:
        assert s.get(Item, item_id).state == "awaiting_review"  # type: ignore[union-attr]
    officer = inproc.client()
    login(officer, "off1")
    r = officer.post("/fingerprints", data={"csrf_token": stolen, "rule_id": "csrf-stolen"},
                     files=[("files", ("通报.txt", REGISTERED.encode(), "text/plain"))])
    assert r.status_code == 403 and not _registered(inproc)
    # positive control: the same form with the officer's own token registers (the refusals above were the token's)
    r = officer.post("/fingerprints", data={"csrf_token": csrf_of(officer.get("/fingerprints").text), "rule_id": "csrf-ok"},
                     files=[("files", ("通报.txt", REGISTERED.encode(), "text/plain"))])
    assert r.status_code == 303, r.text[:300]
    assert _registered(inproc) == ["csrf-ok"]
    figures("csrf", forms=len(probes), forged_posts_refused=tried + 1)


def test_session_fixation_is_prevented(inproc: App) -> None:
    c = inproc.client()
    planted = "attacker-chosen-session-id-0123456789abcdef"
    c.cookies.set(SESSION_COOKIE, planted, domain="testserver.local")
    assert login(c, "rev1").status_code == 303
    first = c.cookies.get(SESSION_COOKIE)
    assert first and first != planted
    assert c.get("/review").status_code == 200
    # logging in again while holding a valid session: a new id, and the old one is dead
    assert login(c, "rev1").status_code == 303
    second = c.cookies.get(SESSION_COOKIE)
    assert second and second != first
    replay = inproc.client()
    replay.cookies.set(SESSION_COOKIE, first, domain="testserver.local")
    assert replay.get("/review").headers.get("location", "").endswith("/login")
    # logout ends the session on the server, not just in the browser
    token = csrf_of(c.get("/review").text)
    assert c.post("/logout", data={"csrf_token": token}).status_code == 303
    replay.cookies.set(SESSION_COOKIE, second, domain="testserver.local")
    assert replay.get("/review").headers.get("location", "").endswith("/login")


def _set_cookies(r) -> dict[str, str]:  # noqa: ANN001
    return {h.split("=", 1)[0]: h for h in r.headers.get_list("set-cookie")}


@pytest.mark.parametrize("mode", ["http", "https", "forced"])
def test_cookie_flags(sqlite_database_url: str, tmp_path, monkeypatch: pytest.MonkeyPatch, mode: str) -> None:  # noqa: ANN001
    if mode == "forced":
        monkeypatch.setenv("REVIEWER_COOKIE_SECURE", "1")
    a = make_app(sqlite_database_url, tmp_path / "data")
    try:
        c = a.client(base_url="https://testserver" if mode == "https" else "http://testserver")
        form = c.get("/login")
        login_cookie = _set_cookies(form)[LOGIN_CSRF_COOKIE]
        value = login_cookie.split("=", 1)[1].split(";", 1)[0]
        c.cookies.clear()  # a Secure cookie is not sent back over http: hand it back explicitly, as a TLS proxy would
        r = c.post("/login", data={"csrf_token": csrf_of(form.text), "username": "rev1", "password": "rev1-password"},
                   headers={"Cookie": f"{LOGIN_CSRF_COOKIE}={value}"})
        session_cookie = _set_cookies(r)[SESSION_COOKIE]
        for header in (login_cookie, session_cookie):
            flags = header.lower()
            assert "httponly" in flags and "samesite=strict" in flags and "path=/" in flags, header
            assert ("secure" in re.split(r";\s*", flags)) is (mode != "http"), header
    finally:
        a.db.dispose()


HEADERS = {
    "content-security-policy": lambda v: "default-src 'self'" in v and "unsafe-inline" not in v and "unsafe-eval" not in v
    and "frame-ancestors 'none'" in v and "object-src 'none'" in v,
    "x-frame-options": lambda v: v == "DENY",
    "x-content-type-options": lambda v: v == "nosniff",
    "referrer-policy": lambda v: v in ("no-referrer", "same-origin", "strict-origin"),
}


def test_security_headers_on_every_page_response(inproc: App) -> None:
    item_id = make_item(inproc.db, TEXT, external_id="hdr-1")
    pages = sorted(p for m, p in app_routes(inproc.app) if m == "GET" and not p.startswith(("/api/", "/docs", "/redoc", "/openapi")))
    concrete = {p: p.replace("{item_id}", str(item_id)).replace("{fmt}", "csv").replace("{name}", "style.css") for p in pages}
    checked = 0
    for who in (None, "rev1", "aud"):
        c = inproc.client()
        if who:
            login(c, who)
        for path in [*concrete.values(), "/review/items/999999", "/audit/items/999999", "/static/secret.txt", "/audit?since=bad"]:
            r = c.get(path)
            if path.startswith("/static/"):  # fixed files, served as text/css or text/javascript only
                assert r.headers["x-content-type-options"] == "nosniff"
                # a file not in the list is a Chinese HTML error page (issue 12), never the file
                kinds = ("text/html",) if r.status_code == 404 else ("text/css", "text/javascript")
                assert r.headers["content-type"].startswith(kinds), r.headers
                continue
            for name, ok in HEADERS.items():
                assert name in r.headers and ok(r.headers[name]), (who, path, r.status_code, name, r.headers.get(name))
            checked += 1
    figures("security_headers", page_responses_checked=checked)



def test_no_page_loads_anything_from_outside(inproc: App) -> None:
    """Offline network: FastAPI's /docs and /redoc pull their scripts from a CDN, so they are not served;
    the OpenAPI document itself is."""
    c = inproc.client()
    for path in ("/docs", "/redoc"):
        assert c.get(path).status_code == 404, path
    assert c.get("/openapi.json").json()["info"]["title"] == "保密审查 API"
