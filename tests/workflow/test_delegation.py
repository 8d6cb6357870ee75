"""委托代签 (issue 20): the secrecy officer names a reviewer who may co-sign as officer for a period; the delegate signs
only inside it; it is logged; `audit verify` accounts for a delegated signature and rejects one outside the period or
resting on a delegation the log does not hold."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace

import pytest
from sqlalchemy import select

from reviewer.audit import verify as audit_verify
from reviewer.audit.accountability import Replay
from reviewer.audit.keys import load_or_create_key
from reviewer.errors import InvalidInput, PermissionDenied
from reviewer.store.models import AuditEvent, Delegation, Item, utcnow
from reviewer.workflow import delegation, desk
from reviewer.workflow.review import DispositionInput, sign_off
from tests.workflow.conftest import result
from tests.workflow.helpers import scanned, signer, submitted, user


def _waiting_for_officer(db, ext: str = "dl-1") -> tuple[int, str]:  # type: ignore[no-untyped-def]
    """U1: a 须修改 finding approved as an exception by rev1, waiting for the officer's co-sign."""
    item_id = submitted(db, external_id=ext)
    item = scanned(db, item_id, result("review"))
    with db.session() as s:
        fid = s.get(Item, item_id).findings[0].id  # type: ignore[union-attr]
        sign_off(s, item_id, signer(s, "rev1"), item.content_sha256, "approve", "",
                 [DispositionInput(fid, "must_fix", "经主管领导同意")], exception_confirmed=True)
    return item_id, item.content_sha256


def _delegate(db, start: datetime, end: datetime, who: str = "rev1b") -> int:  # type: ignore[no-untyped-def]
    with db.session() as s:
        return delegation.create(s, user(s, "off1"), user(s, "off1").id, user(s, who).id, start, end, "外出学习").id


def _verify(db, tmp_path: Path) -> list[str]:  # type: ignore[no-untyped-def]
    with db.session() as s:
        report = audit_verify.run(s, receipt_key=load_or_create_key(tmp_path / "data").public)
        assert report.chain.ok
        return report.unexplained


def test_the_delegate_cosigns_as_officer_within_the_period(db, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    item_id, sha = _waiting_for_officer(db)
    with db.session() as s, pytest.raises(PermissionDenied):  # no delegation yet: a reviewer cannot co-sign
        sign_off(s, item_id, signer(s, "rev1b"), sha, "approve", "", exception_confirmed=True)
    did = _delegate(db, utcnow() - timedelta(hours=1), utcnow() + timedelta(days=3))
    with db.session() as s:
        assert desk.blockers(s, s.get(Item, item_id), user(s, "rev1b")) == []  # type: ignore[arg-type]  # the page offers him the form
        sign_off(s, item_id, signer(s, "rev1b"), sha, "approve", "代保密员复核同意", exception_confirmed=True)
    with db.session() as s:
        assert s.get(Item, item_id).state == "approved"  # type: ignore[union-attr]
        ev = s.scalars(select(AuditEvent).where(AuditEvent.action == "officer_sign_off")).one()
        assert ev.actor == "rev1b" and ev.actor_role == "officer" and json.loads(ev.data)["delegation_id"] == did
        set_ev = s.scalars(select(AuditEvent).where(AuditEvent.action == "delegation_set")).one()
        assert set_ev.actor == "off1" and "外出学习" not in set_ev.data
    assert _verify(db, tmp_path) == []


def test_no_signing_outside_the_period_or_after_revocation(db) -> None:  # type: ignore[no-untyped-def]
    item_id, sha = _waiting_for_officer(db)
    _delegate(db, utcnow() + timedelta(days=1), utcnow() + timedelta(days=2))  # not yet begun
    with db.session() as s, pytest.raises(PermissionDenied):
        sign_off(s, item_id, signer(s, "rev1b"), sha, "approve", "", exception_confirmed=True)
    did = _delegate(db, utcnow() - timedelta(hours=1), utcnow() + timedelta(days=1))
    with db.session() as s:
        delegation.revoke(s, user(s, "off1"), did)
    with db.session() as s, pytest.raises(PermissionDenied):
        sign_off(s, item_id, signer(s, "rev1b"), sha, "approve", "", exception_confirmed=True)
    with db.session() as s:
        assert s.get(Item, item_id).state == "awaiting_officer"  # type: ignore[union-attr]
        assert [a for a in s.scalars(select(AuditEvent.action).order_by(AuditEvent.seq)) if a.startswith("delegation")] == [
            "delegation_set", "delegation_set", "delegation_revoked"]


def test_who_may_set_a_delegation_and_to_whom(db) -> None:  # type: ignore[no-untyped-def]
    now = utcnow()
    with db.session() as s:
        off1, rev1, rev1b, rev2, aud = (user(s, n) for n in ("off1", "rev1", "rev1b", "rev2", "aud"))
        with pytest.raises(PermissionDenied):
            delegation.create(s, rev1, off1.id, rev1b.id, now, now + timedelta(days=1))  # a reviewer cannot
        for absent, delegate in ((off1.id, rev2.id), (user(s, "off2").id, rev1.id), (rev1.id, rev1b.id),
                                 (off1.id, aud.id), (off1.id, off1.id), (off1.id, 99999)):
            with pytest.raises(InvalidInput):
                delegation.create(s, off1, absent, delegate, now, now + timedelta(days=1))
        with pytest.raises(InvalidInput, match="90"):
            delegation.create(s, off1, off1.id, rev1.id, now, now + timedelta(days=91))
        with pytest.raises(InvalidInput, match="晚于"):
            delegation.create(s, off1, off1.id, rev1.id, now, now - timedelta(hours=1))
        with pytest.raises(InvalidInput, match="委托说明"):
            delegation.create(s, off1, off1.id, rev1.id, now, now + timedelta(days=1), "参照秘密★5年文件外出")
    with db.session() as s:
        assert s.scalars(select(Delegation)).first() is None


def test_verify_rejects_a_delegation_inserted_in_the_database(db, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    item_id, sha = _waiting_for_officer(db)
    with db.session() as s:  # a row without its delegation_set event
        s.add(Delegation(unit_id=user(s, "off1").unit_id, absent_id=user(s, "off1").id, delegate_id=user(s, "rev1b").id,
                         role="officer", starts_at=utcnow() - timedelta(hours=1), ends_at=utcnow() + timedelta(days=1),
                         reason="", created_by_id=user(s, "off1").id))
    with db.session() as s:
        sign_off(s, item_id, signer(s, "rev1b"), sha, "approve", "", exception_confirmed=True)
    assert any("没有由保密员设置的日志记录" in p for p in _verify(db, tmp_path))


def _ev(seq: int, action: str, actor: str, role: str, at: datetime) -> SimpleNamespace:
    return SimpleNamespace(seq=seq, action=action, actor=actor, actor_role=role, unit_code="U1", item_id=7, at=at)


@pytest.mark.parametrize(("signed_at", "revoked", "ok"), [
    (datetime(2026, 5, 2, tzinfo=UTC), False, True),
    (datetime(2026, 4, 30, tzinfo=UTC), False, False),  # before the period
    (datetime(2026, 5, 9, tzinfo=UTC), False, False),  # after it
    (datetime(2026, 5, 2, tzinfo=UTC), True, False),  # ended before the signature
])
def test_replay_accounts_for_the_period(signed_at: datetime, revoked: bool, ok: bool) -> None:
    replay = Replay()
    t0 = datetime(2026, 4, 1, tzinfo=UTC)
    events = [
        (_ev(1, "user_created", "adm", "admin", t0), {"user_id": 1, "username": "off1", "role": "officer"}),
        (_ev(2, "user_created", "adm", "admin", t0), {"user_id": 2, "username": "rev1b", "role": "reviewer"}),
        (_ev(3, "token_created", "adm", "admin", t0), {"token_id": 5, "user_id": 2}),
        (_ev(4, "delegation_set", "off1", "officer", t0), {
            "delegation_id": 9, "delegate_id": 2, "role": "officer", "starts_at": "2026-05-01T00:00:00+00:00",
            "ends_at": "2026-05-08T00:00:00+00:00"}),
    ]
    if revoked:
        events.append((_ev(5, "delegation_revoked", "off1", "officer", datetime(2026, 5, 1, 12, tzinfo=UTC)),
                       {"delegation_id": 9}))
    events.append((_ev(6, "officer_sign_off", "rev1b", "officer", signed_at), {
        "signer_id": 2, "credential": {"token_id": 5}, "delegation_id": 9, "author_user_id": None,
        "authorship": "unknown", "stage": "officer"}))
    for ev, data in events:
        replay.feed(ev, data)
    role_problems = [p for p in replay.problems if "委托" in p or "角色" in p]
    assert (role_problems == []) is ok, role_problems
