"""Named access rules beyond the matrix: an author never signs their own draft (API and page); a revoked token stops
working at the very next request of a running server (revoked from another process with the CLI); a deactivated
person's page session ends at once; an auditor's every attempt to change something is refused and changes nothing."""

from __future__ import annotations

import re
import subprocess

import pytest
from sqlalchemy import func, select

from reviewer.accounts import manage as accounts
from reviewer.store.models import AuditEvent, Item, User
from tests.reliability._helpers import figures, open_db
from tests.security.conftest import App
from tests.security.test_authorization_matrix import app_routes
from tests.services import PYTHON, REPO, Stack
from tests.web.helpers import csrf_of, login, make_item


def _events(a: App) -> int:
    with a.db.session() as s:
        return int(s.execute(select(func.count()).select_from(AuditEvent)).scalar_one())


@pytest.mark.parametrize("author", ["rev1", "REV1"])  # username or display name
def test_an_author_cannot_sign_their_own_draft(inproc: App, author: str) -> None:
    item_id = make_item(inproc.db, "本局召开工作会议。", author=author, external_id=f"own-{author}")
    with inproc.db.session() as s:
        sha = s.get(Item, item_id).content_sha256  # type: ignore[union-attr]
    page = inproc.client()
    login(page, "rev1")
    before = _events(inproc)
    r = inproc.client("rev1").post(f"/api/v1/items/{item_id}/review", json={"content_sha256": sha, "decision": "approve"})
    assert r.status_code == 403 and "作者" in r.json()["detail"]
    token = csrf_of(page.get(f"/review/items/{item_id}").text)
    r = page.post(f"/review/items/{item_id}/sign", data={"csrf_token": token, "content_sha256": sha, "decision": "approve"})
    assert r.status_code == 403
    with inproc.db.session() as s:
        assert s.get(Item, item_id).state == "awaiting_review"  # type: ignore[union-attr]
    assert _events(inproc) == before
    # and another reviewer of the unit may
    r = inproc.client("rev1b").post(f"/api/v1/items/{item_id}/review", json={"content_sha256": sha, "decision": "approve"})
    assert r.status_code == 200, r.text


def test_an_auditor_cannot_change_anything(inproc: App) -> None:
    item_id = make_item(inproc.db, "本局召开工作会议。", external_id="aud-1")
    with inproc.db.session() as s:
        sha = s.get(Item, item_id).content_sha256  # type: ignore[union-attr]
    api, page = inproc.client("aud"), inproc.client()
    login(page, "aud")
    token = csrf_of(page.get("/audit").text)
    mutating = sorted(r for r in app_routes(inproc.app) if r[0] not in ("GET", "HEAD"))
    bodies = {
        "/api/v1/items": {"external_id": "aud-new", "content": "x"},
        "/api/v1/release-check": {"external_id": "aud-1", "content": "本局召开工作会议。"},
        "/api/v1/items/{item_id}/released": {},
        "/api/v1/items/{item_id}/review": {"content_sha256": sha, "decision": "approve"},
        "/api/v1/reviews/{review_id}/withdraw": {"reason": "撤回"},
    }
    before, tried = _events(inproc), 0
    for method, path in mutating:
        url = re.sub(r"\{[a-z_]+\}", "1", path.replace("{item_id}", str(item_id)))  # any other id: a number
        if path.startswith("/api/"):
            r = api.request(method, url, json=bodies[path])
            assert r.status_code in (401, 403), (path, r.status_code, r.text)
        elif path in ("/login", "/logout"):
            continue  # an auditor may log in and out; that changes no item
        else:
            r = page.request(method, url, data={"csrf_token": token, "content_sha256": sha, "decision": "approve"})
            assert r.status_code in (401, 403), (path, r.status_code)
        tried += 1
    with inproc.db.session() as s:
        assert s.get(Item, item_id).state == "awaiting_review"  # type: ignore[union-attr]
    assert _events(inproc) == before
    assert tried >= 5


@pytest.mark.integration
@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_revoked_token_stops_working_at_once(stack: Stack) -> None:
    with stack.client("rev1") as rev, stack.client("cms1") as cms:
        assert rev.get("/api/v1/me").status_code == 200
        assert cms.get("/api/v1/items").status_code == 200
        for who in ("rev1", "cms1"):
            out = subprocess.run([PYTHON, "-m", "reviewer", "tokens", "revoke", stack.seed.tokens[who]], cwd=REPO, env=stack.env,
                                 capture_output=True, text=True, timeout=60)
            assert out.returncode == 0, out.stderr
        r1, r2 = rev.get("/api/v1/me"), cms.post("/api/v1/items", json={"external_id": "after-revoke", "content": "x"})
    assert r1.status_code == 401 and r2.status_code == 401, (r1.text, r2.text)
    assert "吊销" in r1.json()["detail"]
    db = open_db(stack.database_url, stack.data_dir)
    try:
        with db.session() as s:
            assert s.execute(select(func.count()).select_from(Item).where(Item.external_id == "after-revoke")).scalar_one() == 0
    finally:
        db.dispose()
    figures("revoked_token", revoked=2, requests_after_revoke=2, accepted_after_revoke=0)


def test_a_deactivated_person_is_logged_out_at_once(inproc: App) -> None:
    page = inproc.client()
    assert login(page, "rev1").status_code == 303
    assert page.get("/review").status_code == 200
    with inproc.db.session() as s:
        s.execute(select(User).where(User.username == "rev1")).scalar_one().active = False
    assert page.get("/review").headers.get("location", "").endswith("/login")
    assert inproc.client("rev1").get("/api/v1/me").status_code == 401
    with inproc.db.session() as s:
        accounts.get_user(s, "rev1").active = True
