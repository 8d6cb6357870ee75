"""Rows inserted directly into a fresh SQLite database, with known figures for the statistics tests.

The chain helper mirrors audit.append (prev_hash + event_hash) so these tests do not depend on the writer."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from reviewer.audit.chain import GENESIS, canonical_json, event_hash
from reviewer.store.models import (
    Alert,
    AuditEvent,
    Disposition,
    Finding,
    Item,
    Review,
    Unit,
    User,
)


def add_event(
    s: Session, action: str, *, at: datetime, actor: str = "system", role: str = "", unit: str = "", item_id: int | None = None, **data: object
) -> AuditEvent:
    last = s.scalars(select(AuditEvent).order_by(AuditEvent.seq.desc()).limit(1)).first()
    seq, prev = (last.seq + 1, last.hash) if last else (1, GENESIS)
    body = canonical_json(data)
    h = event_hash(prev, seq=seq, at=at, actor=actor, actor_role=role, unit_code=unit, item_id=item_id, action=action, data=body)
    ev = AuditEvent(seq=seq, at=at, actor=actor, actor_role=role, unit_code=unit, item_id=item_id, action=action, data=body, prev_hash=prev, hash=h)
    s.add(ev)
    s.flush()
    return ev


def t(month: int, day: int, hour: int = 10, year: int = 2026) -> datetime:
    return datetime(year, month, day, hour, tzinfo=UTC)


def make_item(s: Session, unit: Unit, ext: str, *, submitted: datetime, scanned: datetime | None, verdict: str | None,
              state: str, findings: list[tuple[str, str, str]] = (), version: int = 1, text: str = "正文") -> Item:  # type: ignore[assignment]
    content = text.encode()
    item = Item(
        external_id=ext, version=version, unit_id=unit.id, title=f"标题{ext}", channel="通知公告", author="作者甲",
        content=content, content_sha256=hashlib.sha256(content).hexdigest(), state=state, verdict=verdict,
        rules_version="r1", submitted_at=submitted, scanned_at=scanned,
        block_count=sum(1 for f in findings if f[2] == "block"),
        review_count=sum(1 for f in findings if f[2] == "review"),
        info_count=sum(1 for f in findings if f[2] == "info"),
    )
    s.add(item)
    s.flush()
    for i, (rule, category, severity) in enumerate(findings):
        s.add(Finding(item_id=item.id, seq=i, rule=rule, category=category, severity=severity, start=0, end=1, location="正文", message="消息"))
    s.flush()
    return item


def sign(s: Session, item: Item, user: User, decision: str, at: datetime, dispositions: dict[int, str] | None = None, stage: str = "unit") -> Review:
    r = Review(item_id=item.id, reviewer_id=user.id, stage=stage, decision=decision, comment="", content_sha256=item.content_sha256, rules_version="r1", created_at=at)
    s.add(r)
    s.flush()
    for finding in item.findings:
        d = (dispositions or {}).get(finding.seq)
        if d:
            s.add(Disposition(review_id=r.id, finding_id=finding.id, disposition=d, reason="理由"))
    s.flush()
    return r


def populate(s: Session) -> dict[str, object]:
    """Two units. Unit A in 2026: 5 items submitted (4 in March, 1 in April), one scan failure, approvals etc.
    Unit B: 1 item in 2026, 1 in 2025 (outside the year)."""
    a = Unit(code="A", name="甲局")
    b = Unit(code="B", name="乙局")
    s.add_all([a, b])
    s.flush()
    ra = User(username="rev_a", display_name="审查员甲", unit_id=a.id, role="reviewer")
    oa = User(username="off_a", display_name="保密员甲", unit_id=a.id, role="officer")
    rb = User(username="rev_b", display_name="审查员乙", unit_id=b.id, role="reviewer")
    s.add_all([ra, oa, rb])
    s.flush()
    # A1: review finding (disposed false positive), approved 2 h after submission.
    a1 = make_item(s, a, "A1", submitted=t(3, 1, 8), scanned=t(3, 1, 8), verdict="review", state="approved",
                   findings=[("pii.mobile", "个人信息", "review"), ("marking.level", "密级标志", "info")])
    sign(s, a1, ra, "approve", t(3, 1, 10), {0: "false_positive", 1: "public_ok"})  # public_ok on info: nothing stands
    # A2: block finding, unit approve then officer approve: final approval by officer 10 h after submission.
    a2 = make_item(s, a, "A2", submitted=t(3, 2, 0), scanned=t(3, 2, 0), verdict="block", state="approved",
                   findings=[("marking.level", "密级标志", "block")])
    sign(s, a2, ra, "approve", t(3, 2, 4), {0: "false_positive"})
    sign(s, a2, oa, "approve", t(3, 2, 10), {0: "confirmed"}, stage="officer")
    # A3: clean, rejected 4 h after.
    a3 = make_item(s, a, "A3", submitted=t(3, 3, 0), scanned=t(3, 3, 0), verdict="pass", state="rejected")
    sign(s, a3, ra, "reject", t(3, 3, 4))
    # A4: scan failed.
    make_item(s, a, "A4", submitted=t(3, 4, 0), scanned=t(3, 4, 0), verdict="error", state="scan_failed")
    # A5 (April): review finding, returned 6 h after; and unit approval awaiting officer (not final) on A6.
    a5 = make_item(s, a, "A5", submitted=t(4, 1, 0), scanned=t(4, 1, 0), verdict="review", state="returned",
                   findings=[("pii.mobile", "个人信息", "review")])
    sign(s, a5, ra, "return", t(4, 1, 6), {0: "confirmed"})
    a6 = make_item(s, a, "A6", submitted=t(4, 2, 0), scanned=t(4, 2, 0), verdict="block", state="awaiting_officer",
                   findings=[("marking.level", "密级标志", "block")])
    sign(s, a6, ra, "approve", t(4, 2, 1), {0: "confirmed"})
    s.add(Alert(item_id=a1.id, unit_id=a.id, rules_version="r2", verdict="review", created_at=t(4, 5)))
    # B1 in 2026, B0 in 2025 (ignored for 2026).
    b1 = make_item(s, b, "B1", submitted=t(5, 1, 0), scanned=t(5, 1, 0), verdict="pass", state="approved")
    sign(s, b1, rb, "approve", t(5, 1, 1))
    b0 = make_item(s, b, "B0", submitted=t(6, 1, 0, year=2025), scanned=t(6, 1, 0, year=2025), verdict="pass", state="approved")
    sign(s, b0, rb, "approve", t(6, 1, 3, year=2025))
    s.flush()
    return {"a": a, "b": b, "ra": ra, "oa": oa, "rb": rb}
