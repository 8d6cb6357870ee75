"""Delegation (委托代签): while a secrecy officer is away, an officer of the unit names a reviewer of the same unit who
may co-sign as officer (保密员复核) for a stated period.

    create(session, officer, absent_id, delegate_id, starts_at, ends_at, reason) -> Delegation   logged `delegation_set`
    revoke(session, officer, delegation_id) -> Delegation                                     logged `delegation_revoked`
    acting(session, actor) -> Actor      the actor as he may sign now: in the delegated role while a delegation holds
    record(actor) -> dict                what a sign-off event records about it (audit.accountability replays it)

Only an officer sets or ends a delegation; the delegate is an active reviewer of the same unit and never the absent
person; the period is at most 90 days. Outside the period (or after revocation) the delegate signs as what he is."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from reviewer.accounts.actor import Actor, as_actor
from reviewer.audit import events as audit
from reviewer.errors import InvalidInput, NotFound, PermissionDenied
from reviewer.store.models import Delegation, User, utcnow
from reviewer.workflow import comments

DELEGATED_ROLE = "officer"


def as_utc(at: datetime) -> datetime:
    """SQLite gives back naive datetimes (stored in UTC); a naive time from a form is read as UTC by the caller."""
    return at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)


DELEGATE_ROLES = ("reviewer",)
MAX_DAYS = 90


def create(session: Session, officer: Actor | User, absent_id: int, delegate_id: int, starts_at: datetime,
           ends_at: datetime, reason: str = "") -> Delegation:
    who = as_actor(officer)
    if who.role != "officer" or who.user_id is None:
        raise PermissionDenied("只有本单位保密员可以设置委托")
    absent, delegate = session.get(User, absent_id), session.get(User, delegate_id)
    if absent is None or absent.unit_id != who.unit_id:
        raise InvalidInput("外出人员须是本单位的保密员")
    if absent.role != DELEGATED_ROLE:
        raise InvalidInput("外出人员须是本单位的保密员（只能委托保密员的复核签署）")
    if delegate is None or delegate.unit_id != who.unit_id or not delegate.active:
        raise InvalidInput("受委托人须是本单位在职的审查员")
    if delegate.role not in DELEGATE_ROLES:
        raise InvalidInput("受委托人须是本单位的审查员（保密员本身即可复核，无须委托）")
    start, end = as_utc(starts_at), as_utc(ends_at)
    if end <= start:
        raise InvalidInput("委托的结束时间须晚于开始时间")
    if end - start > timedelta(days=MAX_DAYS):
        raise InvalidInput(f"委托期限最长 {MAX_DAYS} 天")
    if end <= utcnow():
        raise InvalidInput("委托的结束时间已过")
    reason = (reason or "").strip()[:500]
    comments.check_text(session, reason, "委托说明", who.unit_code)
    row = Delegation(unit_id=who.unit_id, absent_id=absent.id, delegate_id=delegate.id, role=DELEGATED_ROLE,
                     starts_at=start, ends_at=end, reason=reason, created_by_id=who.user_id, created_at=utcnow())
    session.add(row)
    session.flush()
    audit.append(session, "delegation_set", who, data={
        "delegation_id": row.id, "absent_id": absent.id, "absent": absent.username, "delegate_id": delegate.id,
        "delegate": delegate.username, "role": row.role, "starts_at": start.isoformat(), "ends_at": end.isoformat()})
    return row


def revoke(session: Session, officer: Actor | User, delegation_id: int) -> Delegation:
    who = as_actor(officer)
    if who.role != "officer" or who.user_id is None:
        raise PermissionDenied("只有本单位保密员可以结束委托")
    row = session.get(Delegation, delegation_id, with_for_update=True)
    if row is None or row.unit_id != who.unit_id:
        raise NotFound(f"委托 {delegation_id} 不存在")
    if row.revoked_at is None:
        row.revoked_at = utcnow()
        session.flush()
        audit.append(session, "delegation_revoked", who, data={"delegation_id": row.id, "delegate_id": row.delegate_id})
    return row


def active_for(session: Session, user_id: int, at: datetime | None = None) -> Delegation | None:
    now = as_utc(at) if at is not None else utcnow()
    rows = session.scalars(
        select(Delegation).where(Delegation.delegate_id == user_id, Delegation.revoked_at.is_(None)).order_by(Delegation.id)
    )
    return next((d for d in rows if as_utc(d.starts_at) <= now < as_utc(d.ends_at)), None)


def of_unit(session: Session, unit_id: int) -> list[Delegation]:
    return list(session.scalars(select(Delegation).where(Delegation.unit_id == unit_id).order_by(Delegation.id.desc()).limit(200)))


def acting(session: Session, actor: Actor) -> Actor:
    """A reviewer with a delegation in force signs as officer; everyone else as what they are."""
    if actor.user_id is None or actor.role not in DELEGATE_ROLES:
        return actor
    held = active_for(session, actor.user_id)
    if held is None or held.unit_id != actor.unit_id:
        return actor
    return replace(actor, role=held.role, delegation_id=held.id)


def record(actor: Actor) -> dict[str, object]:
    return {"delegation_id": actor.delegation_id} if actor.delegation_id is not None else {}
