"""What a unit does with a post-release alert (发布后预警): withdraw the item (the publishing system is told by a
signed callback to take it down: 撤稿通知发布系统) or mark the alert handled with a reason (已处理). Either closes the
alert and is an event in the review log naming who, what and why. The callback carries ids and the reason only,
never a matched term.

    resolve(session, alert_id, actor, action, reason) -> Alert      action: "withdraw" | "handled"
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from reviewer.accounts.actor import Actor, as_actor
from reviewer.audit import events as audit
from reviewer.errors import InvalidInput, InvalidTransition, NotFound, PermissionDenied
from reviewer.store.models import Alert, Item, User, utcnow
from reviewer.workflow import callbacks

ACTIONS = {"withdraw": "撤稿并通知发布系统", "handled": "已处理"}
WITHDRAW_REASON = "发布后按现行规则复查发现需处理的内容，请立即撤下该稿件"


def resolve(session: Session, alert_id: int, actor: User | Actor, action: str, reason: str) -> Alert:
    who = as_actor(actor)
    alert = session.get(Alert, alert_id)
    if alert is None:
        raise NotFound(f"预警 {alert_id} 不存在")
    if who.role not in ("reviewer", "officer") or who.unit_id != alert.unit_id:
        raise PermissionDenied("只有本单位的审查员或保密员可以处理本单位的发布后预警")
    if action not in ACTIONS:
        raise InvalidInput("处理方式只能是“撤稿并通知发布系统”或“已处理”")
    reason = (reason or "").strip()[:2000]
    if action == "handled" and not reason:
        raise InvalidInput("标为“已处理”须写明如何处理（例如已核实可公开、已由发布系统撤下）")
    if alert.item_id is None:
        raise InvalidInput("网站巡检产生的预警请在巡检页面处理（标为已处理或提交审查）")
    if alert.resolved_at is not None:
        raise InvalidTransition("该预警已处理过")
    item = session.get(Item, alert.item_id)
    assert item is not None
    notified = False
    if action == "withdraw":
        notified = _notify_withdrawal(session, item, alert, reason or WITHDRAW_REASON)
    alert.resolved_at = utcnow()
    audit.append(session, "alert_resolved", who, unit_code=item.unit.code, item_id=item.id,
                 data={"alert_id": alert.id, "action": action, "reason": reason, "callback": notified})
    return alert


def _notify_withdrawal(session: Session, item: Item, alert: Alert, reason: str) -> bool:
    """False: the unit has no callback URL (the page says so: the unit must tell its publishing system by hand)."""
    return callbacks.queue_event(session, item, {
        "event": "withdraw", "item_id": item.id, "external_id": item.external_id, "version": item.version,
        "unit": item.unit.code, "alert_id": alert.id, "reason": reason, "at": utcnow().isoformat(),
    }) is not None
