"""Whoever can write the database (a DBA, anyone with the database password, but not the data directory's keys) tries
to make a sign-off pass that the rules forbid, then hides it. Each history is made through the real code paths
(API, workflow, accounts) on a fresh database; the attack is SQL on that database; `reviewer audit verify` with no
flags must name it. Before issue 17 every one of these verified clean (docs/accounts.md, 职责分离)."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select, text

from reviewer.accounts import identity
from reviewer.accounts import manage as accounts
from reviewer.audit import checkpoints
from reviewer.audit import verify as audit_verify
from reviewer.audit.chain import event_hash
from reviewer.cli import main
from reviewer.store.models import AuditEvent, utcnow
from reviewer.workflow.receipts import load_or_create_key
from tests.security.conftest import App
from tests.web.helpers import make_item

TEXT = "区文化和旅游局关于二〇二六年春节期间公园开放时间的通知。"
SECRET = "澄江九号"


def _sha(s: str) -> str:
    return hashlib.sha256(s.encode()).hexdigest()


def _sql(a: App, statement: str, **params: object) -> None:
    with a.db.session() as s:
        s.execute(text(statement), params)


def _verify(a: App) -> audit_verify.FullReport:
    """What `reviewer audit verify` runs with no flags: the data directory's checkpoints and keys."""
    with a.db.session() as s:
        return audit_verify.run(s, receipt_key=load_or_create_key(a.data_dir).public, settings=a.settings)


def _approve(a: App, who: str, item_id: int, content: str = TEXT, **extra: object) -> int:
    r = a.client(who).post(f"/api/v1/items/{item_id}/review", json={"content_sha256": _sha(content), "decision": "approve", **extra})
    return r.status_code


def _named(report: audit_verify.FullReport, *words: str) -> bool:
    return any(all(w in u for w in words) for u in report.unexplained)


def test_rehashed_log_is_caught_by_the_default_install_without_flags(
    inproc: App, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """No REVIEWER_CHECKPOINT_* at all: the data directory anchors the log (every 100 events by default)."""
    assert inproc.settings.checkpoint_dir is None and not checkpoints.witness_configured(inproc.settings)
    for i in range(2):
        make_item(inproc.db, f"{TEXT}{i}", external_id=f"anchor-{i}")
    target = make_item(inproc.db, TEXT + SECRET, [(SECRET, "block")], external_id="anchor-x")
    with inproc.db.session() as s:
        seq = s.execute(select(AuditEvent.seq).where(AuditEvent.item_id == target, AuditEvent.action == "scan")).scalar_one()
    with inproc.db.session() as s:  # the sweeper's time rule: M minutes later the quiet head is signed
        checkpoints.checkpoint_now(s, force=True)
    assert _verify(inproc).ok
    # the insider turns the block scan into a pass and re-hashes every later event: the chain alone verifies again
    with inproc.db.session() as s:
        rows = list(s.scalars(select(AuditEvent).where(AuditEvent.seq >= seq - 1).order_by(AuditEvent.seq)))
        prev = rows[0].hash
        for ev in rows[1:]:
            if ev.seq == seq:
                ev.data = ev.data.replace('"verdict":"block"', '"verdict":"pass"').replace('"block":1', '"block":0')
            ev.prev_hash = prev
            ev.hash = event_hash(prev, seq=ev.seq, at=ev.at, actor=ev.actor, actor_role=ev.actor_role, unit_code=ev.unit_code,
                                 item_id=ev.item_id, action=ev.action, data=ev.data)
            prev = ev.hash
    _sql(inproc, "UPDATE items SET verdict='pass', block_count=0 WHERE id=:i", i=target)
    _sql(inproc, "DELETE FROM findings WHERE item_id=:i", i=target)
    report = _verify(inproc)
    assert not report.ok and not report.chain.ok and "检查点" in (report.chain.broken.reason if report.chain.broken else "")
    monkeypatch.setenv("REVIEWER_DATABASE_URL", str(inproc.settings.database_url))
    monkeypatch.setenv("REVIEWER_DATA_DIR", str(inproc.data_dir))
    monkeypatch.delenv("REVIEWER_CHECKPOINT_DIR", raising=False)
    assert main(["audit", "verify"]) == 1  # no flags
    assert "检查点" in capsys.readouterr().err


def test_an_install_that_cannot_anchor_says_so_loudly(inproc: App, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    from reviewer.settings import Settings

    broken = Settings.from_env({"REVIEWER_DATABASE_URL": str(inproc.settings.database_url), "REVIEWER_DATA_DIR": str(inproc.data_dir),
                                "REVIEWER_CHECKPOINT_EVERY": "0"})
    assert checkpoints.anchoring_problems(broken)
    with inproc.db.session() as s:
        report = audit_verify.run(s, receipt_key=load_or_create_key(inproc.data_dir).public, settings=broken)
    assert any("警告" in w and "检查点" in w for w in report.anchor_warnings)
    # no checkpoint file at all (an old install, or a data directory without the file): verify and the page warn
    (checkpoints.anchor_dir(inproc.settings) / checkpoints.FILE_NAME).unlink()
    monkeypatch.setenv("REVIEWER_DATABASE_URL", str(inproc.settings.database_url))
    monkeypatch.setenv("REVIEWER_DATA_DIR", str(inproc.data_dir))
    main(["audit", "verify"])
    assert "没有读到任何签名检查点" in capsys.readouterr().err
    c = inproc.client()
    from tests.web.helpers import login

    assert login(c, "aud").status_code == 303  # type: ignore[arg-type]
    page = c.get("/audit/verify").text
    assert "anchor-warning" in page and "没有读到任何签名检查点" in page


def test_author_id_changed_in_the_database(shared_app: App) -> None:
    """rev1 wrote the draft (CMS id emp-1 linked to rev1); the writer blanks the author id, rev1 approves it alone
    (U1 accepts one reviewer for unknown authors), and the writer puts the id back."""
    with shared_app.db.session() as s:
        identity.link(s, accounts.get_user(s, "rev1"), "emp-1")
    own = make_item(shared_app.db, TEXT, external_id="au-1", author_id="emp-1")
    assert _approve(shared_app, "rev1", own) == 403  # the guard holds
    _sql(shared_app, "UPDATE items SET author_id='' WHERE id=:i", i=own)
    assert _approve(shared_app, "rev1", own) == 200  # the attack succeeds at the gate …
    _sql(shared_app, "UPDATE items SET author_id='emp-1' WHERE id=:i", i=own)
    report = _verify(shared_app)
    assert not report.ok and _named(report, "作者标识", "被改动"), report.unexplained
    # the same by pointing the link at somebody else instead of touching the item
    other = make_item(shared_app.db, TEXT + "二", external_id="au-2", author_id="emp-1")
    with shared_app.db.session() as s:
        rev1b = accounts.get_user(s, "rev1b").id
    _sql(shared_app, "UPDATE cms_accounts SET user_id=:u", u=rev1b)
    assert _approve(shared_app, "rev1", other, TEXT + "二") == 200
    report = _verify(shared_app)
    assert _named(report, "账号对应关系没有审查日志依据") and _named(report, "发布系统账号关联", "不一致"), report.unexplained


def test_unit_policy_flipped_for_one_sign_off(shared_app: App) -> None:
    with shared_app.db.session() as s:
        accounts.set_unknown_author(s, accounts.get_unit(s, "U1"), "officer")  # logged: unknown authors need the officer
    item = make_item(shared_app.db, TEXT, external_id="po-1")
    assert _approve(shared_app, "rev1", item) == 200
    with shared_app.db.session() as s:
        assert s.execute(text("SELECT state FROM items WHERE id=:i"), {"i": item}).scalar_one() == "awaiting_officer"
    item2 = make_item(shared_app.db, TEXT + "二", external_id="po-2")
    _sql(shared_app, "UPDATE units SET unknown_author='reviewer' WHERE code='U1'")
    assert _approve(shared_app, "rev1", item2, TEXT + "二") == 200  # approved alone
    _sql(shared_app, "UPDATE units SET unknown_author='officer' WHERE code='U1'")
    report = _verify(shared_app)
    assert not report.ok and _named(report, f"稿件 {item2}", "单位策略"), report.unexplained
    # block policy: revise → officer for one block item, then back
    blocked = make_item(shared_app.db, TEXT + SECRET, [(SECRET, "block")], external_id="po-3")
    with shared_app.db.session() as s:
        fid = s.execute(text("SELECT id FROM findings WHERE item_id=:i"), {"i": blocked}).scalar_one()
    body = {"findings": [{"finding_id": fid, "disposition": "false_positive", "reason": "公开的工程代号"}]}
    assert _approve(shared_app, "rev1", blocked, TEXT + SECRET, **body) == 409
    _sql(shared_app, "UPDATE units SET block_policy='officer' WHERE code='U1'")
    assert _approve(shared_app, "rev1", blocked, TEXT + SECRET, **body) == 200
    assert _approve(shared_app, "off1", blocked, TEXT + SECRET) == 200
    _sql(shared_app, "UPDATE units SET block_policy='revise' WHERE code='U1'")
    assert _named(_verify(shared_app), f"稿件 {blocked}", "单位策略")


def test_inserted_token_and_raised_role(shared_app: App) -> None:
    item = make_item(shared_app.db, TEXT, external_id="tk-1")
    # a token row for the auditor with role reviewer: acts with the account's current role (auditor) → refused
    raw = "rvw_" + secrets.token_urlsafe(32)
    with shared_app.db.session() as s:
        aud = accounts.get_user(s, "aud")
        rev1 = accounts.get_user(s, "rev1")
        unit_id, aud_id, rev1_id = aud.unit_id, aud.id, rev1.id
    _sql(shared_app, "INSERT INTO api_tokens (token_hash, prefix, unit_id, user_id, role, created_at, expires_at) "
                 "VALUES (:h, :p, :u, :user, 'reviewer', :now, :exp)",
         h=_sha(raw), p=raw[:12], u=unit_id, user=aud_id, now=utcnow(), exp=utcnow() + timedelta(days=9))
    shared_app.tokens["forged-aud"] = raw
    assert _approve(shared_app, "forged-aud", item) == 403
    # a token row for a real reviewer: the sign-off goes through, verify names the credential
    raw2 = "rvw_" + secrets.token_urlsafe(32)
    _sql(shared_app, "INSERT INTO api_tokens (token_hash, prefix, unit_id, user_id, role, created_at, expires_at) "
                 "VALUES (:h, :p, :u, :user, 'reviewer', :now, :exp)",
         h=_sha(raw2), p=raw2[:12], u=unit_id, user=rev1_id, now=utcnow(), exp=utcnow() + timedelta(days=9))
    shared_app.tokens["forged-rev1"] = raw2
    assert _approve(shared_app, "forged-rev1", item) == 200
    report = _verify(shared_app)
    assert _named(report, f"稿件 {item}", "令牌", "没有签发记录") and _named(report, "API 令牌", "没有签发"), report.unexplained
    # the auditor's role raised in the database, then signing with the auditor's real token
    item2 = make_item(shared_app.db, TEXT + "二", external_id="tk-2")
    _sql(shared_app, "UPDATE users SET role='reviewer' WHERE id=:i", i=aud_id)
    assert _approve(shared_app, "aud", item2, TEXT + "二") == 200
    _sql(shared_app, "UPDATE users SET role='auditor' WHERE id=:i", i=aud_id)
    assert _named(_verify(shared_app), f"稿件 {item2}", "aud", "角色"), _verify(shared_app).unexplained


def test_inserted_web_session_signs_on_the_page(shared_app: App) -> None:
    from reviewer.web.security import SESSION_COOKIE, token_hash
    from tests.web.helpers import csrf_of

    item = make_item(shared_app.db, TEXT, external_id="ws-1")
    raw, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(16)
    with shared_app.db.session() as s:
        rev1 = accounts.get_user(s, "rev1").id
    _sql(shared_app, "INSERT INTO web_sessions (session_hash, user_id, csrf_token, created_at, expires_at, last_seen_at) "
                 "VALUES (:h, :u, :c, :now, :exp, :now)", h=token_hash(raw), u=rev1, c=csrf, now=utcnow(),
         exp=utcnow() + timedelta(hours=2))
    c = shared_app.client()
    c.cookies.set(SESSION_COOKIE, raw)
    page = c.get(f"/review/items/{item}")
    assert page.status_code == 200
    r = c.post(f"/review/items/{item}/sign", data={"csrf_token": csrf_of(page.text), "content_sha256": _sha(TEXT), "decision": "approve"})
    assert r.status_code == 303, r.text[:500]
    assert _named(_verify(shared_app), f"稿件 {item}", "登录会话", "没有签署人的登录记录")


def test_honest_history_with_links_tokens_sessions_and_policies_verifies_clean(inproc: App) -> None:
    """No false alarms from the new checks: a link, a policy change through the CLI functions, a rotated token, a
    page sign-off from a real login, an officer co-sign."""
    from tests.web.helpers import csrf_of, login

    with inproc.db.session() as s:
        identity.link(s, accounts.get_user(s, "rev1b"), "emp-2")
        accounts.set_unknown_author(s, accounts.get_unit(s, "U1"), "officer")
        new = accounts.rotate_token(s, inproc.tokens["rev1"][:12])
        inproc.tokens["rev1"] = new.token
    a = make_item(inproc.db, TEXT, external_id="ok-1", author_id="emp-2")
    assert _approve(inproc, "rev1", a) == 200  # known author, another person: approved alone
    b = make_item(inproc.db, TEXT + "二", external_id="ok-2")
    assert _approve(inproc, "rev1", b, TEXT + "二") == 200  # unknown author → officer
    c = inproc.client()
    assert login(c, "off1").status_code == 303  # type: ignore[arg-type]
    page = c.get(f"/review/items/{b}")
    r = c.post(f"/review/items/{b}/sign", data={"csrf_token": csrf_of(page.text), "content_sha256": _sha(TEXT + "二"),
                                                "decision": "approve"})
    assert r.status_code == 303, r.text[:300]
    report = _verify(inproc)
    assert report.ok, report.unexplained
