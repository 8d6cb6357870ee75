"""Sign-off (一事一审; 谁审查谁负责): one named person's decision on one item version.

    sign_off(session, item_id, actor, content_sha256, decision, comment, dispositions) -> Review

Guards, in order (each raises a domain error with a Chinese message):
- the item version is open for review (awaiting_review, or awaiting_officer for the officer's co-sign) — 409;
- `content_sha256` equals the item's (the signer saw exactly this content) — 409;
- the signer is a reviewer/officer of the item's own unit (谁发布谁审查) — 403; the author never signs their own draft — 403;
- approve: every finding has a disposition (workflow.dispositions: 须修改 / 属实但可公开 / 误报, the last two with a
  reason); block findings are never approved by a unit reviewer alone: with the unit policy "revise" (default)
  approval is refused, with "officer" the item goes to awaiting_officer and a secrecy officer of the same unit (not the
  first signer) co-signs; a finding that still stands (须修改, or 属实但可公开 at block/review level) is approved only as
  an exception: a reason for each, the signer's confirmation, and the officer's co-sign (who confirms it himself);
- the author is an identity (accounts/identity.py): the signer whose account the item's CMS author id maps to is
  refused; an item whose author is unknown (no id, or an unmapped one) also needs the officer's co-sign.
One transaction; every step writes its audit event; approval issues the signed release receipt; the unit's callback
(if any) is queued after commit."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from reviewer.accounts import identity
from reviewer.accounts.actor import Actor, as_actor
from reviewer.audit import events as audit
from reviewer.errors import Conflict, InvalidInput, InvalidTransition, PermissionDenied
from reviewer.store.models import (
    APPROVED,
    AWAITING_OFFICER,
    AWAITING_REVIEW,
    REJECTED,
    RETURNED,
    SCAN_FAILED,
    STATE_LABEL,
    Disposition,
    Item,
    Review,
    User,
    utcnow,
)
from reviewer.workflow import callbacks, comments, delegation, desk, receipts, render_check
from reviewer.workflow import dispositions as disp
from reviewer.workflow.items import get_item
from reviewer.workflow.states import move

DECISIONS = ("approve", "reject", "return")
DECISION_LABEL = {"approve": "批准发布", "reject": "不予发布", "return": "退回修改"}
DISPOSITIONS = disp.DISPOSITIONS  # must_fix | fixed | public_ok | false_positive (see workflow/dispositions.py)
DISPOSITION_LABEL = disp.LABEL
REVIEWER_ROLES = ("reviewer", "officer")
BLOCK_MUST_REVISE = "本稿件含“禁止发布”级别的发现，本单位规定此类稿件必须修改后重新提交，不能批准；请选择“退回修改”或“不予发布”"


@dataclass(frozen=True, slots=True)
class DispositionInput:
    finding_id: int
    disposition: str  # must_fix | public_ok | false_positive (`confirmed` is read as must_fix)
    reason: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "disposition", disp.normalize(self.disposition))


def sign_off(
    session: Session,
    item_id: int,
    actor: User | Actor,
    content_sha256: str,
    decision: str,
    comment: str = "",
    dispositions: Iterable[DispositionInput] = (),
    exception_confirmed: bool = False,
    feedback: Iterable[int] = (),
) -> Review:
    who = delegation.acting(session, as_actor(actor))  # a delegate signs in the role delegated to him, for the period
    item = get_item(session, item_id, for_update=True)
    if who.user_id is None or who.role not in REVIEWER_ROLES:
        raise PermissionDenied("只有审查员或保密员可以签署审查意见")
    if who.unit_id != item.unit_id:
        raise PermissionDenied("只能审查本单位发布的稿件（谁发布谁审查）")
    if item.state == AWAITING_REVIEW or (item.state == SCAN_FAILED and decision in ("return", "reject")):
        stage = "unit"
    elif item.state == AWAITING_OFFICER:
        stage = "officer"
    else:
        raise InvalidTransition(f"{desk.signed_by(session, item)}稿件当前状态为“{STATE_LABEL.get(item.state, item.state)}”，不能签署审查意见")
    # the body's hash, or the document hash over body + title, channel and file name (audit.binding); either names
    # this version, whose metadata cannot change (a changed title is a new version)
    if (content_sha256 or "").lower() not in {item.content_sha256, item.document_sha256 or item.content_sha256}:
        raise Conflict("所审内容与该稿件当前版本不一致（content_sha256 不匹配），请刷新后重新审查")
    if decision not in DECISIONS:
        raise InvalidInput("请选择审查结论：批准发布、退回修改或不予发布")
    # Identities, not names: the author's CMS id mapped to an account; unknown authors need a second person.
    authorship = identity.check_signer(session, item, who)
    if stage == "officer":
        if who.role != "officer":
            raise PermissionDenied("该稿件含“禁止发布”级别的发现，需由本单位保密员复核签署")
        first = _unit_signer(session, item)
        if first is not None and first == who.user_id:
            raise PermissionDenied("保密员复核须由另一人签署，不能复核本人的审查")

    findings = {f.id: f for f in item.findings}
    given: dict[int, DispositionInput] = {}
    for d in dispositions:
        if d.finding_id not in findings:
            raise InvalidInput(f"发现 {d.finding_id} 不属于该稿件")
        if d.disposition not in DISPOSITIONS:
            raise InvalidInput("处置须为：须修改（must_fix）、属实但可公开（public_ok）或误报（false_positive）")
        if d.finding_id in given:
            raise InvalidInput(f"发现 {d.finding_id} 的处置重复")
        given[d.finding_id] = d
    exceptions = desk.enforce(session, item, who, decision, given, exception_confirmed)
    # what the signer wrote reaches the CMS and the admin: no term of the list in it (workflow.comments)
    comments.check_text(session, comment or "", "审查意见", item.unit.code)
    for d in given.values():
        comments.check_text(session, d.reason or "", f"对发现 {d.finding_id} 的处置理由", item.unit.code)
    lines = comments.location_feedback(item, feedback)
    if lines:
        comment = "\n".join([*([comment] if (comment or "").strip() else []), "按位置反馈：", *lines])
    has_block = item.block_count > 0 or any(f.severity == "block" for f in findings.values())
    target = {"reject": REJECTED, "return": RETURNED}.get(decision, APPROVED)
    if decision == "approve":
        waiting = render_check.approval_blocker(session, item)  # what the reader sees must be checked first
        if waiting:
            raise InvalidTransition(waiting)
        if stage == "unit":
            if has_block:
                if item.unit.block_policy != "officer":
                    raise InvalidTransition(BLOCK_MUST_REVISE)
                target = AWAITING_OFFICER
            if exceptions:  # a finding still stands: the officer's second signature (例外批准)
                target = AWAITING_OFFICER
            if authorship == identity.Authorship.UNKNOWN:
                target = AWAITING_OFFICER

    review = Review(
        item_id=item.id, reviewer_id=who.user_id, stage=stage, decision=decision, comment=comment or "",
        content_sha256=item.content_sha256, document_sha256=item.document_sha256, rules_version=item.rules_version or "",
        created_at=utcnow(),
    )
    session.add(review)
    session.flush()
    for d in given.values():
        session.add(Disposition(review_id=review.id, finding_id=d.finding_id, disposition=d.disposition, reason=d.reason or ""))
    move(item, target)
    if target != AWAITING_OFFICER:
        item.decided_at = utcnow()
    session.flush()

    unit_code = item.unit.code
    for d in given.values():
        f = findings[d.finding_id]
        audit.append(session, "disposition", who, unit_code=unit_code, item_id=item.id,
                     data={"review_id": review.id, "finding_id": f.id, "rule": f.rule, "severity": f.severity, "disposition": d.disposition})
    action = {"reject": "reject", "return": "return"}.get(decision) or (
        "sign_off" if target == AWAITING_OFFICER else ("officer_sign_off" if stage == "officer" else "approve")
    )
    if exceptions:
        audit.append(session, "exception_approval", who, unit_code=unit_code, item_id=item.id,
                     data={"review_id": review.id, "stage": stage, "findings": [f.seq + 1 for f in exceptions],
                           "rules": [f.rule for f in exceptions]})
    audit.append(session, action, who, unit_code=unit_code, item_id=item.id,
                 data={"review_id": review.id, "stage": stage, "decision": decision, "content_sha256": item.content_sha256,
                       "document_sha256": item.document_sha256,
                       "rules_version": item.rules_version, "dispositions": len(given), "findings": len(findings),
                       **identity.decision_record(session, item, who, authorship),
                       **delegation.record(who),
                       **render_check.bound_fields(session, item)})
    if target == APPROVED:
        receipts.issue(session, item, who)
    if target in (APPROVED, REJECTED, RETURNED):
        callbacks.queue_decision(session, item, review)
    return review


def _unit_signer(session: Session, item: Item) -> int | None:
    return session.execute(
        select(Review.reviewer_id).where(Review.item_id == item.id, Review.stage == "unit", Review.decision == "approve",
                                         Review.withdrawn_at.is_(None))
        .order_by(Review.id.desc()).limit(1)
    ).scalar_one_or_none()
