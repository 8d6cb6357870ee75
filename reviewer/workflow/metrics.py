"""What the database says about the pipeline's health, for `/metrics` (reviewer/api/ops.py): items per state, the
oldest item awaiting review (overall and per unit), scans and render checks in the last minute, failures.

Counts and ages only: no titles, file names or draft text."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from reviewer.store.models import AWAITING_OFFICER, AWAITING_REVIEW, AuditEvent, Item, RenderCheck, Unit, utcnow

AWAITING = (AWAITING_REVIEW, AWAITING_OFFICER)


@dataclass
class UnitWait:
    unit: str
    awaiting: int
    oldest_seconds: float


@dataclass
class PipelineMetrics:
    items_by_state: dict[str, int] = field(default_factory=dict)
    oldest_awaiting_seconds: float = 0.0
    units: list[UnitWait] = field(default_factory=list)
    scans_last_minute: int = 0
    scan_failures_last_minute: int = 0
    render_checks_last_minute: int = 0
    render_failures_last_minute: int = 0
    render_checks_by_state: dict[str, int] = field(default_factory=dict)
    events_total: int = 0


def _age(now: datetime, then: datetime | None) -> float:
    if then is None:
        return 0.0
    if then.tzinfo is None:  # SQLite returns naive UTC
        from datetime import UTC

        then = then.replace(tzinfo=UTC)
    return max(0.0, (now - then).total_seconds())


def collect(session: Session) -> PipelineMetrics:
    now = utcnow()
    minute_ago = now - timedelta(seconds=60)
    m = PipelineMetrics()
    m.items_by_state = {state: int(n) for state, n in session.execute(select(Item.state, func.count()).group_by(Item.state))}
    # waiting since the scan result reached the reviewers (submitted_at when no scan time is stored)
    waiting_since = func.coalesce(Item.scanned_at, Item.submitted_at)
    rows = session.execute(
        select(Unit.code, func.count(), func.min(waiting_since)).join(Unit, Unit.id == Item.unit_id)
        .where(Item.state.in_(AWAITING)).group_by(Unit.code).order_by(Unit.code)
    ).all()
    m.units = [UnitWait(code, int(n), _age(now, oldest)) for code, n, oldest in rows]
    m.oldest_awaiting_seconds = max((u.oldest_seconds for u in m.units), default=0.0)
    recent = dict(session.execute(
        select(AuditEvent.action, func.count()).where(AuditEvent.at >= minute_ago,
                                                      AuditEvent.action.in_(("scan", "scan_failed")))
        .group_by(AuditEvent.action)
    ).all())
    m.scans_last_minute = int(recent.get("scan", 0)) + int(recent.get("scan_failed", 0))
    m.scan_failures_last_minute = int(recent.get("scan_failed", 0))
    finished = dict(session.execute(
        select(RenderCheck.state, func.count()).where(RenderCheck.finished_at >= minute_ago).group_by(RenderCheck.state)
    ).all())
    m.render_checks_last_minute = sum(int(n) for n in finished.values())
    m.render_failures_last_minute = int(finished.get("failed", 0))
    m.render_checks_by_state = {s: int(n) for s, n in session.execute(
        select(RenderCheck.state, func.count()).group_by(RenderCheck.state))}
    m.events_total = int(session.execute(select(func.coalesce(func.max(AuditEvent.seq), 0))).scalar_one())
    return m
