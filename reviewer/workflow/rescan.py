"""Re-scan under new rules: when the rules change, released items *and approved items not yet released* are scanned
again with the current rules. New block or review findings (not among those the sign-off saw) raise an Alert for
the unit — a take-down candidate, and for an approved item a release that release-check now refuses. The stored
findings are never replaced: they are the record of what the reviewer saw."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from reviewer.accounts.actor import WORKER
from reviewer.audit import events as audit
from reviewer.scan.model import ScanResult
from reviewer.store.models import APPROVED, RELEASED, Alert, Item, RenderCheck, RenderPage, Unit, utcnow
from reviewer.workflow.items import get_item
from reviewer.workflow.runtime import enqueue

RESCANNED_STATES = (RELEASED, APPROVED)


def released_item_ids(session: Session, units: Sequence[str] | None = None) -> list[int]:
    """Released items and approved ones waiting for release (their approval was under older rules), of `units` (by
    code; None: every unit)."""
    query = select(Item.id).where(Item.state.in_(RESCANNED_STATES), Item.superseded_by_id.is_(None),
                                  Item.purged_at.is_(None))  # purged: no bytes left to scan
    if units is not None:
        query = query.join(Unit, Unit.id == Item.unit_id).where(Unit.code.in_(list(units)))
    return list(session.execute(query.order_by(Item.id)).scalars())


def fan_out(session: Session, units: Sequence[str] | None = None, item_ids: Sequence[int] | None = None) -> list[int]:
    """Queue one re-scan per released item of `units` (None: every unit), or of `item_ids` (sent after commit)."""
    ids = list(item_ids) if item_ids is not None else released_item_ids(session, units)
    for item_id in ids:
        enqueue(session, "rescan_released", item_id)
    return ids


def _render_answered(session: Session, item_id: int) -> tuple[str, ...]:
    """The text scan's "not verified" notes (scanned page, archive image member) that the item's completed render check
    read by OCR and removed (workflow.render_check.record): the re-scan of the extraction reports them again, they are
    not new (what the pages show is re-read from the text the check stored: visible_pages)."""
    from reviewer.render.members import READ_NOTES

    check = session.get(RenderCheck, item_id)
    return READ_NOTES if check is not None and check.state == "done" else ()


def visible_pages(session: Session, item_id: int) -> tuple[list[tuple[int, str]], str | None]:
    """What the item's completed render check read on its pages (page number, stored visible text), for the re-scan to
    read again under the current rules, and why it cannot (None: it can): a page read by OCR whose text was not kept
    (checked before the text was stored) is not re-read, and the re-scan says so rather than pass it over."""
    check = session.get(RenderCheck, item_id)
    if check is None or check.state != "done":
        return [], None
    rows = session.execute(select(RenderPage.page, RenderPage.visible, RenderPage.ocr)
                           .where(RenderPage.item_id == item_id).order_by(RenderPage.page)).all()
    missing = [r.page for r in rows if not r.visible and r.ocr]
    reason = None
    if missing:
        shown = "、".join(str(n) for n in missing[:10]) + ("等" if len(missing) > 10 else "")
        reason = (f"第 {shown} 页的显示内容（图像识别读出的文字）在核对时未保存，复扫未能按当前规则复核这些页面上显示的文字，"
                  "请重新送审该稿件或人工核对页面图像")
    return [(r.page, r.visible) for r in rows if r.visible], reason


def record_rescan(session: Session, item_id: int, result: ScanResult) -> Alert | None:
    item = get_item(session, item_id, for_update=True)
    if item.state not in RESCANNED_STATES:
        return None
    if result.rules_version == item.rules_version and not result.error:
        return None  # same rules: nothing new to learn
    existing = session.execute(
        select(Alert).where(Alert.item_id == item.id, Alert.rules_version == result.rules_version)
    ).scalar_one_or_none()
    if existing is not None:
        return existing  # idempotent under redelivery
    seen = {(f.rule, f.location, f.start, f.end) for f in item.findings}
    answered = _render_answered(session, item.id)
    new = [f for f in result.findings if str(f.severity) in ("block", "review") and (f.rule, f.location, f.start, f.end) not in seen
           and f.rule not in answered]
    unit_code = item.unit.code
    if not new and not result.error:
        audit.append(session, "rescan", WORKER, unit_code=unit_code, item_id=item.id,
                     data={"rules_version": result.rules_version, "new_findings": 0})
        return None
    by_rule = Counter(f.rule for f in new)
    verdict = "error" if result.error else ("block" if any(str(f.severity) == "block" for f in new) else "review")
    summary = "；".join(f"{rule} ×{n}" for rule, n in sorted(by_rule.items())) or "复扫无法完整读取文档"
    alert = Alert(item_id=item.id, unit_id=item.unit_id, rules_version=result.rules_version, verdict=verdict,
                  summary=summary[:2000], created_at=utcnow())
    session.add(alert)
    session.flush()
    audit.append(session, "alert", WORKER, unit_code=unit_code, item_id=item.id,
                 data={"alert_id": alert.id, "rules_version": result.rules_version, "verdict": verdict, "rules": dict(by_rule)})
    return alert
