"""Everything the reviewer's and the auditor's item pages show about one item version, loaded in one place."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from reviewer.accounts import access
from reviewer.extract import extract
from reviewer.store.models import AuditEvent, Finding, Item, Receipt, Review, User
from reviewer.web.highlight import DiffLine, PartView, diff, highlight

# Who may read what (and whether matched terms are shown) is workflow.access's table; who may *sign* is
# workflow.review.sign_off's. The pages only ask.
READ_ALL_ROLES = ("auditor", "admin")


EXPRESSION_CATEGORY = "表述"


def is_expression(finding: Finding) -> bool:
    """A wording finding (严重表述错误: expression and titles rules) rather than a secrecy one."""
    return bool(finding.suggestion) or finding.category == EXPRESSION_CATEGORY


@dataclass(frozen=True, slots=True)
class FindingGroup:
    """Findings of one kind of check, listed under their own heading on the item pages."""

    key: str  # "secrecy" | "expression"
    label: str
    dom_id: str
    findings: list[Finding]


@dataclass(slots=True)
class FindingChanges:
    """This version's findings against the previous reviewed version's, by rule and matched text: 新增 (not there
    before), 仍存在 (there before too), 已解决 (there before, gone now: the previous version's findings)."""

    new: list[Finding]
    carried: list[Finding]
    resolved: list[Finding]

    def tag(self, finding: Finding) -> str:
        return "新增" if finding in self.new else "上一版本已有"


def finding_changes(before: list[Finding], after: list[Finding]) -> FindingChanges:
    def key(f: Finding) -> tuple[str, str]:
        return f.rule, f.match or f.location

    remaining: dict[tuple[str, str], int] = {}
    for f in before:
        remaining[key(f)] = remaining.get(key(f), 0) + 1
    new, carried = [], []
    for f in sorted(after, key=lambda x: x.seq):
        if remaining.get(key(f), 0) > 0:
            remaining[key(f)] -= 1
            carried.append(f)
        else:
            new.append(f)
    left = dict(remaining)
    resolved = []
    for f in sorted(before, key=lambda x: x.seq):
        if left.get(key(f), 0) > 0:
            left[key(f)] -= 1
            resolved.append(f)
    return FindingChanges(new, carried, resolved)


@dataclass(slots=True)
class ItemView:
    item: Item
    full: bool  # the text and matched terms may be shown (access.FULL); otherwise rule ids, severities, counts only
    parts: list[PartView]
    findings: list[Finding]
    placed: set[int]
    text_error: str | None
    reviews: list[Review]
    receipt: Receipt | None
    previous: Item | None = None
    changes: list[DiffLine | None] = field(default_factory=list)
    returned: Review | None = None  # the previous version's 退回修改, with the comment the author was given
    finding_changes: FindingChanges | None = None
    numbers: dict[int, int] = field(default_factory=dict)  # finding id -> the number people read (发现 #n)

    @property
    def groups(self) -> list[FindingGroup]:
        """保密 findings first (the list keeps id="findings"), then 表述 findings when there are any."""
        wording = [f for f in self.findings if is_expression(f)]
        secrecy = [f for f in self.findings if not is_expression(f)]
        groups = [FindingGroup("secrecy", "保密检查", "findings", secrecy)]
        if wording:
            groups.append(FindingGroup("expression", "表述检查（严重表述错误）", "findings-expression", wording))
        return groups


def plain_text(item: Item) -> tuple[list, str | None]:  # type: ignore[type-arg]
    if item.purged_at is not None:  # retention purge: no bytes to read (the page says 已按保存期限清除)
        return [], None
    ex = extract(item.content, item.file_name or "")
    return ex.parts, ex.error


def load(session: Session, item: Item, level: str, with_diff: bool = True) -> ItemView:
    full = level == access.FULL
    parts, error = plain_text(item) if full else ([], None)
    findings = list(item.findings)
    views, placed = highlight(parts, findings)
    reviews = list(session.scalars(select(Review).where(Review.item_id == item.id).order_by(Review.id)))
    for r in reviews:
        _ = r.reviewer, [d.finding for d in r.dispositions]
    receipt = session.scalars(select(Receipt).where(Receipt.item_id == item.id)).first()
    view = ItemView(item, full, views, findings, placed, error, reviews, receipt,
                    numbers={f.id: f.seq + 1 for f in findings})
    if full and with_diff and item.version > 1:
        view.previous = previous_reviewed(session, item)
        if view.previous is not None:
            if view.previous.purged_at is None:  # a purged version has no text left to compare with
                old_parts, _ = plain_text(view.previous)
                view.changes = diff("\n".join(p.text for p in old_parts), "\n".join(p.text for p in parts))
            view.returned = session.scalars(
                select(Review).where(Review.item_id == view.previous.id, Review.decision == "return",
                                     Review.withdrawn_at.is_(None))
                .order_by(Review.id.desc()).limit(1)
            ).first()
            if view.returned is not None:
                _ = view.returned.reviewer
            view.finding_changes = finding_changes(list(view.previous.findings), findings)
    return view


def previous_reviewed(session: Session, item: Item) -> Item | None:
    """The latest earlier version of the same draft that someone signed off: what changed since it was reviewed."""
    signed = select(Review.item_id)
    return session.scalars(
        select(Item)
        .where(Item.unit_id == item.unit_id, Item.external_id == item.external_id, Item.version < item.version, Item.id.in_(signed))
        .order_by(Item.version.desc())
        .limit(1)
    ).first()


def neighbours(session: Session, item: Item, user: User) -> tuple[int | None, int | None]:
    """Previous and next item in the signer's own queue (access.review_queue order), for the n/p keys."""
    ids = [i.id for i in access.review_queue(session, user, limit=1000)]
    if item.id not in ids:
        return None, (ids[0] if ids else None)
    i = ids.index(item.id)
    return (ids[i - 1] if i > 0 else None), (ids[i + 1] if i + 1 < len(ids) else None)


def history(session: Session, item: Item) -> tuple[list[Item], list[AuditEvent]]:
    versions = list(
        session.scalars(
            select(Item).where(Item.unit_id == item.unit_id, Item.external_id == item.external_id).order_by(Item.version)
        )
    )
    events = list(
        session.scalars(select(AuditEvent).where(AuditEvent.item_id.in_([v.id for v in versions])).order_by(AuditEvent.seq))
    )
    return versions, events
