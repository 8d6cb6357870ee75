"""The admin as an insider: a look-alike signer, a command blamed on someone else, and reading drafts without a trace.
Each was demonstrated against the code before issue 17 (a Cyrillic `а` username with the real reviewer's name;
`REVIEWER_OPERATOR=shenji` logged the auditor; downloads and CLI exports wrote no event)."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from reviewer.accounts import manage as accounts
from reviewer.cli import main
from reviewer.errors import Conflict, InvalidInput
from reviewer.store.models import AuditEvent
from tests.security.conftest import App
from tests.web.helpers import login, make_item


def _events(a: App, action: str) -> list[AuditEvent]:
    with a.db.session() as s:
        rows = list(s.scalars(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.seq)))
        s.expunge_all()
        return rows


def test_usernames_are_plain_and_look_alikes_are_refused(shared_app: App) -> None:
    for name in ["shenchа", "rev1\u200b", "审查员", "rev 1", "rev1@u1", "ｒｅｖ１", ""]:  # Cyrillic а, invisible, …
        with shared_app.db.session() as s, pytest.raises(InvalidInput):
            accounts.create_user(s, name, "U1", "reviewer", display_name="新审查员")
    for name in ["REV1", "rev-1", "re.v1", "revl", "revi", "Rev_1"]:  # folded: rev1
        with shared_app.db.session() as s, pytest.raises(Conflict):
            accounts.create_user(s, name, "U2", "reviewer", display_name="另一人")
    with shared_app.db.session() as s:
        accounts.create_user(s, "rev9", "U2", "reviewer", display_name="另一人")


def test_display_names_are_unique_within_a_unit(shared_app: App) -> None:
    with shared_app.db.session() as s:
        accounts.create_user(s, "wangsc", "U1", "reviewer", display_name="王审查")
    for same in ("王审查", "王 审查", "王審查", "王\u200b审查"):
        with shared_app.db.session() as s, pytest.raises(Conflict):
            accounts.create_user(s, "wangsc2", "U1", "reviewer", display_name=same)
    with shared_app.db.session() as s:  # another unit may have its own 王审查; the pages show the username beside it
        accounts.create_user(s, "wangsc2", "U2", "reviewer", display_name="王审查")


def test_cli_attribution_needs_proof(shared_app: App, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
                                     tmp_path: object) -> None:
    monkeypatch.setenv("REVIEWER_DATABASE_URL", str(shared_app.settings.database_url))
    monkeypatch.setenv("REVIEWER_DATA_DIR", str(shared_app.data_dir))
    # a name alone is not trusted: the command is refused, nobody is blamed
    monkeypatch.setenv("REVIEWER_OPERATOR", "aud")
    assert main(["users", "unlock", "rev1"]) == 1
    assert "仅设置 REVIEWER_OPERATOR 不被采信" in capsys.readouterr().err
    assert not _events(shared_app, "user_unlocked")
    # nor is an admin's name without its password
    monkeypatch.setenv("REVIEWER_OPERATOR", "adm")
    assert main(["users", "unlock", "rev1"]) == 1
    # an admin proving itself with its password is named, with the operating-system user
    pw = shared_app.data_dir / "adm-password"
    pw.write_text("adm-password\n", encoding="utf-8")
    monkeypatch.setenv("REVIEWER_OPERATOR_PASSWORD_FILE", str(pw))
    assert main(["users", "unlock", "rev1"]) == 0
    ev = _events(shared_app, "user_unlocked")[-1]
    assert ev.actor == "adm" and ev.actor_role == "admin" and json.loads(ev.data).get("os_user")
    # an auditor's password does not make the auditor an operator
    pw.write_text("aud-password\n", encoding="utf-8")
    monkeypatch.setenv("REVIEWER_OPERATOR", "aud")
    assert main(["users", "unlock", "rev1"]) == 1
    # with an admin's token
    monkeypatch.delenv("REVIEWER_OPERATOR")
    monkeypatch.setenv("REVIEWER_ADMIN_TOKEN", shared_app.tokens["aud"])
    assert main(["users", "unlock", "rev1"]) == 1
    monkeypatch.setenv("REVIEWER_ADMIN_TOKEN", shared_app.tokens["adm"])
    assert main(["users", "unlock", "rev1"]) == 0
    assert _events(shared_app, "user_unlocked")[-1].actor == "adm"
    # and without any: the system, with the operating-system user recorded
    monkeypatch.delenv("REVIEWER_ADMIN_TOKEN")
    assert main(["users", "unlock", "rev1"]) == 0
    ev = _events(shared_app, "user_unlocked")[-1]
    assert ev.actor == "system" and json.loads(ev.data).get("os_user")


def test_every_read_of_draft_content_outside_the_review_page_is_an_event(
    shared_app: App, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    item = make_item(shared_app.db, "区统计局关于开展二〇二六年人口抽样调查的通知。", external_id="read-1")
    c = shared_app.client()
    assert login(c, "rev1").status_code == 303  # type: ignore[arg-type]
    before = len(_events(shared_app, "draft_read"))
    r = c.get(f"/review/items/{item}/original")
    assert r.status_code == 200
    reads = _events(shared_app, "draft_read")
    assert len(reads) == before + 1 and reads[-1].actor == "rev1" and reads[-1].item_id == item
    assert json.loads(reads[-1].data)["what"] == "original"
    monkeypatch.setenv("REVIEWER_DATABASE_URL", str(shared_app.settings.database_url))
    monkeypatch.setenv("REVIEWER_DATA_DIR", str(shared_app.data_dir))
    assert main(["audit", "export", "--out", str(shared_app.data_dir / "x.csv"), "--item-id", str(item)]) == 0
    ev = _events(shared_app, "export")[-1]
    data = json.loads(ev.data)
    assert data["channel"] == "cli" and data["os_user"] and data["rows"] == 1


def _answers(a: App, username: str) -> list[tuple[int, str]]:
    """Six wrong passwords for one username on the login page: (status, the page's error text)."""
    import re

    from tests.web.helpers import csrf_of

    out = []
    for i in range(6):
        c = a.client()
        form = c.get("/login")
        r = c.post("/login", data={"csrf_token": csrf_of(form.text), "username": username, "password": f"wrong-guess-{i}"},
                   headers={"X-Forwarded-For": f"10.0.0.{i}"})
        m = re.search(r'class="msg error"[^>]*>([^<]*)<', r.text)
        out.append((r.status_code, m.group(1) if m else ""))
    return out


def test_wrong_passwords_answer_the_same_for_existing_and_unknown_usernames(shared_app: App) -> None:
    from reviewer.accounts import throttle

    throttle.ADDRESSES.__init__()  # type: ignore[misc]  # a fresh address throttle: only the account rule is tested
    shared_app.app.state.login_addresses = None
    real = _answers(shared_app, "rev2")
    shared_app.app.state.login_addresses = None
    unknown = _answers(shared_app, "nosuchuser")
    assert real == unknown, (real, unknown)
    assert real[4][0] == 429 and real[0][0] == 401  # the fifth locks, for both


def test_released_needs_the_hash_of_what_was_published(shared_app: App) -> None:
    import hashlib

    body = "区水务局关于二〇二六年节约用水宣传周活动的通知。"
    item = make_item(shared_app.db, body, external_id="rel-1")
    sha = hashlib.sha256(body.encode()).hexdigest()
    assert shared_app.client("rev1").post(f"/api/v1/items/{item}/review", json={"content_sha256": sha, "decision": "approve"}).status_code == 200
    cms = shared_app.client("cms1")
    for empty in ({}, {"url": "https://example.gov.cn/a.html"}):
        r = cms.post(f"/api/v1/items/{item}/released", json=empty)
        assert r.status_code == 422 and "哈希" in r.json()["detail"], r.text
    assert cms.get(f"/api/v1/items/{item}").json()["state"] == "approved"
    assert cms.post(f"/api/v1/items/{item}/released", json={"content_sha256": sha}).json()["state"] == "released"
