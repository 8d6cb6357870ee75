"""Withdrawing a sign-off (撤回签署) before release, by its signer, with a reason.

    withdraw(session, review_id, actor, reason) -> Review

Guards (each a domain error in Chinese): only the signer himself; not already withdrawn; the item is not released
and not replaced by a newer version; it is the last standing signature on the item (a unit signer whose approval the
officer has since co-signed asks the officer to withdraw first); a reason, scanned like comments (no listed term).

Effect, in one transaction: the review row is marked withdrawn (it stays, with its dispositions, for the record) and
no longer counts as a signature anywhere; the item returns to the state before that signature (待审查, or 待保密员复核
when the officer's co-sign is withdrawn, or 扫描失败 for a failed scan that had been returned); a receipt already
issued is revoked (its row removed — release-check then answers no — and its id and payload hash kept in the event);
the event `signoff_withdrawn` records it; the publishing system is told by a signed callback (no reason text)."""

from __future__ import annotations

import hashlib

from sqlalchemy import select
from sqlalchemy.orm import Session

from reviewer.accounts.actor import Actor, as_actor
from reviewer.audit import events as audit
from reviewer.errors import InvalidInput, InvalidTransition, NotFound, PermissionDenied
from reviewer.store.models import (
    APPROVED,
    AWAITING_OFFICER,
    AWAITING_REVIEW,
    REJECTED,
    RELEASED,
    RETURNED,
    SCAN_FAILED,
    STATE_LABEL,
    Item,
    Receipt,
    Review,
    User,
    utcnow,
)
from reviewer.workflow import callbacks, comments
from reviewer.workflow.items import get_item

# the only moves back a withdrawal makes (workflow.states.TRANSITIONS holds the forward ones)
BACK = {
    AWAITING_OFFICER: frozenset({AWAITING_REVIEW}),
    APPROVED: frozenset({AWAITING_REVIEW, AWAITING_OFFICER}),
    REJECTED: frozenset({AWAITING_REVIEW, AWAITING_OFFICER, SCAN_FAILED}),
    RETURNED: frozenset({AWAITING_REVIEW, AWAITING_OFFICER, SCAN_FAILED}),
}


def standing_reviews(session: Session, item: Item) -> list[Review]:
    return list(session.scalars(
        select(Review).where(Review.item_id == item.id, Review.withdrawn_at.is_(None)).order_by(Review.id)))


def can_withdraw(session: Session, review: Review, actor: User | Actor) -> str:
    """Empty when this person may withdraw this signature now, else the Chinese reason why not."""
    who = as_actor(actor)
    item = review.item
    if review.reviewer_id != who.user_id or who.user_id is None:
        return "只有签署人本人可以撤回自己的签署"
    if review.withdrawn_at is not None:
        return "该签署已经撤回"
    if item.state == RELEASED:
        return "稿件已发布，签署不能再撤回；如发现问题，请通知发布系统撤稿"
    if item.superseded_by_id is not None:
        return "作者已提交新版本，本版本的签署不能再撤回"
    standing = standing_reviews(session, item)
    if not standing or standing[-1].id != review.id:
        return "在您签署之后本件已有其他签署（如保密员复核），须先由后签署的人撤回"
    if item.state not in BACK:
        return f"稿件当前状态为“{STATE_LABEL.get(item.state, item.state)}”，签署不能撤回"
    return ""


def _previous_state(item: Item, review: Review) -> str:
    if review.stage == "officer":
        return AWAITING_OFFICER
    if item.verdict == "error":  # only a failed scan's draft was signed (returned/rejected) without a readable text
        return SCAN_FAILED
    return AWAITING_REVIEW


def withdraw(session: Session, review_id: int, actor: User | Actor, reason: str) -> Review:
    who = as_actor(actor)
    found = session.get(Review, review_id)
    if found is None:
        raise NotFound(f"签署记录 {review_id} 不存在")
    item = get_item(session, found.item_id, for_update=True)
    if who.unit_id != item.unit_id:
        raise NotFound(f"签署记录 {review_id} 不存在")  # another unit's signatures do not exist for this person
    review = session.get(Review, review_id, populate_existing=True)
    assert review is not None
    refusal = can_withdraw(session, review, who)
    if refusal:
        raise PermissionDenied(refusal) if refusal.startswith("只有签署人") else InvalidTransition(refusal)
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput("撤回签署须写明理由")
    comments.check_text(session, reason[:2000], "撤回理由", item.unit.code)
    before, target = item.state, _previous_state(item, review)
    if target not in BACK.get(before, frozenset()):
        raise InvalidTransition(f"稿件当前状态为“{STATE_LABEL.get(before, before)}”，签署不能撤回")
    now = utcnow()
    review.withdrawn_at, review.withdrawn_reason = now, reason[:2000]
    item.state = target
    item.decided_at = None
    revoked: dict[str, object] = {}
    receipt = session.scalars(select(Receipt).where(Receipt.item_id == item.id)).first()
    if receipt is not None:  # revoked: release-check answers no, and a new approval issues a new receipt
        revoked = {"revoked_receipt_id": receipt.id,
                   "revoked_payload_sha256": hashlib.sha256(receipt.payload.encode("utf-8")).hexdigest()}
        session.delete(receipt)
    session.flush()
    audit.append(session, "signoff_withdrawn", who, unit_code=item.unit.code, item_id=item.id, data={
        "review_id": review.id, "stage": review.stage, "decision": review.decision, "previous_state": before,
        "state": target, "reason_sha256": hashlib.sha256(reason.encode("utf-8")).hexdigest(), **revoked})
    callbacks.queue_event(session, item, {
        "event": "signoff_withdrawn", "item_id": item.id, "external_id": item.external_id, "version": item.version,
        "unit": item.unit.code, "state": item.state, "withdrawn_decision": review.decision, "stage": review.stage,
        "receipt_revoked": bool(revoked), "reviewer": review.reviewer.username, "at": now.isoformat(),
    })
    return review
