"""What a signer needs to know *before* working on an item, and the rules of exceptional approval.

    blockers(session, item, actor) -> list[Blocker]   why this person cannot sign, or cannot approve, this item now
    enforce(session, item, actor, decision, dispositions, exception_confirmed)   the same reasons, raised, for sign_off
    carried_over(session, item) -> {finding_id: Carried}   dispositions of unchanged findings of the version before

The page and `review.sign_off` ask the same function, so the page never offers what the workflow would refuse.
Nothing here writes; `review.sign_off` calls `enforce` and records the exception in its events and the receipt."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session

from reviewer.accounts.actor import Actor, as_actor
from reviewer.errors import InvalidInput, InvalidTransition, PermissionDenied, ReviewerError
from reviewer.store.models import (
    APPROVED,
    AWAITING_OFFICER,
    AWAITING_REVIEW,
    REJECTED,
    RELEASED,
    RETURNED,
    SCAN_FAILED,
    STATE_LABEL,
    SUPERSEDED,
    Finding,
    Item,
    Review,
    User,
)
from reviewer.workflow import delegation, render_check
from reviewer.workflow.dispositions import FIXED, LABEL, NEEDS_REASON, SIGNABLE, normalize, stands

SIGNER_ROLES = ("reviewer", "officer")
BLOCK_MUST_REVISE = "本稿件含“禁止发布”级别的发现，本单位规定此类稿件必须修改后重新提交，不能批准；请选择“退回修改”或“不予发布”"


class _Disposed(Protocol):
    @property
    def disposition(self) -> str: ...

    @property
    def reason(self) -> str: ...


@dataclass(frozen=True, slots=True)
class Blocker:
    code: str  # role | unit | state | author | officer_stage | first_signer | signed | scan_failed | render_pending | block_policy
    message: str  # Chinese, shown at the top of the item page
    approve_only: bool  # True: approval is impossible, 退回修改/不予发布 stay possible; False: this person cannot sign at all
    status: int = 403

    def error(self) -> ReviewerError:
        if self.status == 409:
            return InvalidTransition(self.message)
        return PermissionDenied(self.message)


def has_block(item: Item) -> bool:
    return item.block_count > 0 or any(f.severity == "block" for f in item.findings)


def unit_signer(session: Session, item: Item) -> int | None:
    return session.execute(
        select(Review.reviewer_id).where(Review.item_id == item.id, Review.stage == "unit", Review.decision == "approve",
                                         Review.withdrawn_at.is_(None))
        .order_by(Review.id.desc()).limit(1)
    ).scalar_one_or_none()


def blockers(session: Session, item: Item, actor: User | Actor) -> list[Blocker]:
    """Every reason, in the order a person should read them. Empty: this person may sign and may approve."""
    who = delegation.acting(session, as_actor(actor))
    out: list[Blocker] = []
    if who.user_id is None or who.role not in SIGNER_ROLES:
        return [Blocker("role", "只有审查员或保密员可以签署审查意见", False)]
    if who.unit_id != item.unit_id:
        return [Blocker("unit", "只能审查本单位发布的稿件（谁发布谁审查）", False)]
    if item.state not in (AWAITING_REVIEW, AWAITING_OFFICER, SCAN_FAILED):
        return [Blocker("state", f"{signed_by(session, item)}稿件当前状态为“{STATE_LABEL.get(item.state, item.state)}”，不能签署审查意见",
                        False, 409)]
    author = (item.author or "").strip()
    if author and author in {who.name, who.display_name}:
        out.append(Blocker("author", "您是本稿件的作者，不能审查本人撰写的稿件，请由本单位其他审查员签署", False))
    if item.state == AWAITING_OFFICER:
        if who.role != "officer":
            out.append(Blocker("officer_stage", f"{signed_by(session, item)}正等待本单位保密员复核；审查员不能再签署", False))
        elif unit_signer(session, item) == who.user_id:
            out.append(Blocker("first_signer", "本稿件的第一签由您签署，保密员复核须由另一名保密员签署", False))
    signed = session.execute(
        select(Review.id).where(Review.item_id == item.id, Review.reviewer_id == who.user_id, Review.withdrawn_at.is_(None)).limit(1)
    ).first()
    if signed is not None and not any(b.code == "first_signer" for b in out):
        out.append(Blocker("signed", "您已签署过本稿件的这一版本，不能重复签署", False))
    if item.state == SCAN_FAILED:
        out.append(Blocker("scan_failed", "扫描未能完整读取本稿件，不得批准；请选择“退回修改”，由作者修正后重新提交", True, 409))
    waiting = render_check.approval_blocker(session, item)  # the render check (workflow/render_check.py)
    if waiting:
        out.append(Blocker("render_pending", waiting, True, 409))
    if item.state == AWAITING_REVIEW and has_block(item) and item.unit.block_policy != "officer":
        out.append(Blocker("block_policy", BLOCK_MUST_REVISE, True, 409))
    return out


NEXT_STEP = {
    AWAITING_OFFICER: "已提交本单位保密员复核，复核后生效",
    APPROVED: "已批准发布，发布回执已生成，等待发布系统发布",
    RELEASED: "已批准并已发布",
    REJECTED: "已决定不予发布，结论已通知发布系统",
    RETURNED: "已退回修改，等待作者修改后重新提交",
    SUPERSEDED: "作者已提交新版本，本版本不再审查",
}


def next_step(item: Item) -> str:
    """After a person signed: what happens next, said neutrally (not as a refusal)."""
    return NEXT_STEP.get(item.state, f"稿件当前状态为“{STATE_LABEL.get(item.state, item.state)}”")


def signed_by(session: Session, item: Item) -> str:
    """`本件已由 王审查（shencha）于 2026-12-05 10:02 签署（批准发布）。` — who a second signer was too late for."""
    from reviewer.audit.exports import fmt_time
    from reviewer.audit.queries import DECISION_LABEL

    last = session.scalars(select(Review).where(Review.item_id == item.id, Review.withdrawn_at.is_(None))
                           .order_by(Review.id.desc()).limit(1)).first()
    if last is None:
        return ""
    person = last.reviewer.display_name or last.reviewer.username
    if person != last.reviewer.username:
        person = f"{person}（{last.reviewer.username}）"
    return f"本件已由 {person} 于 {fmt_time(last.created_at)} 签署（{DECISION_LABEL.get(last.decision, last.decision)}）。"


def can_sign(found: Iterable[Blocker]) -> bool:
    return not any(not b.approve_only for b in found)


def can_approve(found: Iterable[Blocker]) -> bool:
    return not list(found)


def exception_findings(item: Item, dispositions: Mapping[int, _Disposed]) -> list[Finding]:
    """Findings that still stand (须修改, or 属实但可公开 at the block/review level) in an approval: an exception (例外批准)
    that needs a reason for each, the signer's confirmation and the officer's second signature."""
    return [f for f in item.findings
            if f.id in dispositions and stands(getattr(dispositions[f.id], "disposition", ""), f.severity)]


def check_dispositions(item: Item, dispositions: Mapping[int, _Disposed]) -> None:
    """Each answer is one a signer may give, and the answers that say 'this may be published' carry a reason."""
    findings = {f.id: f for f in item.findings}
    for fid, d in dispositions.items():
        f = findings.get(fid)
        if f is None:
            continue
        value = normalize(d.disposition)
        if value == FIXED:
            raise InvalidInput(f"发现 #{f.seq + 1} 是在本版本的内容中找到的，仍然存在，不能标为“已修改”；作者修改后重新提交的"
                               "新版本中不再出现的发现，会在新版本的页面上显示为“已解决（已修改）”")
        if value not in SIGNABLE:
            raise InvalidInput("处置须为：须修改（must_fix）、属实但可公开（public_ok）或误报（false_positive）")
        if value in NEEDS_REASON and not (d.reason or "").strip():
            raise InvalidInput(f"发现 #{f.seq + 1} 标为“{LABEL[value]}”须写明理由")


def enforce(
    session: Session,
    item: Item,
    actor: User | Actor,
    decision: str,
    dispositions: Mapping[int, _Disposed],
    exception_confirmed: bool = False,
) -> list[Finding]:
    """Raises the first reason that forbids this sign-off; returns the findings approved by exception (unit stage: the
    signer's own standing findings; officer stage: those of the unit sign-off the officer co-signs, plus his own)."""
    for b in blockers(session, item, actor):
        if not b.approve_only or decision == "approve":
            raise b.error()
    check_dispositions(item, dispositions)
    if decision != "approve" or item.state not in (AWAITING_REVIEW, AWAITING_OFFICER):
        return []
    if item.state == AWAITING_REVIEW:
        missing_ids = [f.id for f in item.findings if f.id not in dispositions]
        if missing_ids:
            raise InvalidInput(f"批准前须逐条处置全部发现，尚有 {len(missing_ids)} 条未处置")
    exceptions = exception_findings(item, dispositions)
    missing = [f"#{f.seq + 1}" for f in exceptions if not (dispositions[f.id].reason or "").strip()]
    if missing:
        raise InvalidInput(f"批准仍成立的发现（须修改，或属实但可公开的“禁止发布”“需人工审查”项）属例外批准，须逐条写明理由："
                           f"发现 {'、'.join(missing)} 未填写理由")
    if item.state == AWAITING_OFFICER:
        mine = {f.id for f in exceptions}
        exceptions += [f for f in item.findings if f.id not in mine and f.seq + 1 in
                       {int(str(e["finding"])) for e in exception_of(session, item)}]
        if exceptions and not exception_confirmed:
            raise InvalidInput("本件属例外批准（批准时仍有成立的发现），保密员复核须本人勾选例外批准确认，并写明自己的理由")
        return sorted(exceptions, key=lambda f: f.seq)
    if exceptions and not exception_confirmed:
        raise InvalidInput("批准仍成立的发现属例外批准，须勾选确认：您已知悉这些发现仍成立，仍申请批准发布并交由保密员复核签署")
    return exceptions


def exception_of(session: Session, item: Item) -> list[dict[str, object]]:
    """The exception recorded by the unit-stage approval of this item (for the receipt and the officer): one entry
    per finding that still stood when it was approved. Rule ids and finding numbers only, never matched text."""
    review = session.scalars(
        select(Review).where(Review.item_id == item.id, Review.stage == "unit", Review.decision == "approve",
                             Review.withdrawn_at.is_(None))
        .order_by(Review.id.desc()).limit(1)
    ).first()
    if review is None:
        return []
    return [
        {"finding": d.finding.seq + 1, "rule": d.finding.rule}
        for d in sorted(review.dispositions, key=lambda d: d.finding.seq) if stands(d.disposition, d.finding.severity)
    ]


# --- carry-over of dispositions to a new version -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Carried:
    disposition: str
    reason: str
    from_item_id: int
    from_version: int


def _keys(findings: Iterable[Finding]) -> dict[int, tuple[str, str, str, int]]:
    """Same rule, same matched text, same place; the n-th such occurrence pairs with the n-th."""
    seen: dict[tuple[str, str, str], int] = {}
    out = {}
    for f in sorted(findings, key=lambda f: (f.seq, f.id)):
        base = (f.rule, f.match, f.location)
        n = seen.get(base, 0)
        seen[base] = n + 1
        out[f.id] = (*base, n)
    return out


def previous_signed_version(session: Session, item: Item) -> Item | None:
    if item.version <= 1:
        return None
    signed = select(Review.item_id).where(Review.stage == "unit", Review.withdrawn_at.is_(None))
    return session.scalars(
        select(Item)
        .where(Item.unit_id == item.unit_id, Item.external_id == item.external_id, Item.version < item.version,
               Item.id.in_(signed))
        .order_by(Item.version.desc()).limit(1)
    ).first()


def carried_over(session: Session, item: Item) -> dict[int, Carried]:
    """Dispositions the last signed earlier version gave to findings that are unchanged in this version. The page
    pre-fills them, marked 沿用上一版本; the reviewer still submits them as their own."""
    old = previous_signed_version(session, item)
    if old is None:
        return {}
    review = session.scalars(
        select(Review).where(Review.item_id == old.id, Review.stage == "unit", Review.withdrawn_at.is_(None))
        .order_by(Review.id.desc()).limit(1)
    ).first()
    if review is None:
        return {}
    by_finding = {d.finding_id: d for d in review.dispositions}
    old_keys = {key: fid for fid, key in _keys(old.findings).items()}
    out: dict[int, Carried] = {}
    for fid, key in _keys(item.findings).items():
        d = by_finding.get(old_keys.get(key, -1))
        if d is not None:
            out[fid] = Carried(normalize(d.disposition), d.reason, old.id, old.version)
    return out


def resubmitted_after_return(session: Session, items: Iterable[Item]) -> set[int]:
    """Ids of the given items whose previous version was returned for revision (退回后重新提交)."""
    wanted = [i for i in items if i.version > 1]
    if not wanted:
        return set()
    rows = session.execute(
        select(Item.unit_id, Item.external_id, Item.version).join(Review, Review.item_id == Item.id).where(
            Review.decision == "return", Review.withdrawn_at.is_(None), Item.external_id.in_({i.external_id for i in wanted})
        )
    ).all()
    returned = {(r.unit_id, r.external_id, r.version) for r in rows}
    return {i.id for i in wanted if (i.unit_id, i.external_id, i.version - 1) in returned}
