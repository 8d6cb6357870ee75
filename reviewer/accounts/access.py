"""Who may read what. One table, used by the API and the pages alike.

| role      | items of own unit       | items of other units | matched terms/context |
|-----------|-------------------------|----------------------|-----------------------|
| publisher | read (redacted)         | no (404)             | never                 |
| reviewer  | read, sign unit stage   | no (404)             | yes                   |
| officer   | read, sign both stages  | no (404)             | yes                   |
| auditor   | read                    | read                 | yes                   |
| admin     | read (redacted)         | read (redacted)      | never                 |
"""

from __future__ import annotations

from typing import cast

from sqlalchemy import select
from sqlalchemy.orm import Session

from reviewer.actor import Actor, as_actor
from reviewer.errors import NotFound, PermissionDenied
from reviewer.store.items import get_item
from reviewer.store.models import AWAITING_OFFICER, AWAITING_REVIEW, Alert, Item, Unit, User

FULL = "full"  # findings with match and context
REDACTED = "redacted"  # rule ids, categories, severity, location, counts only


def view_level(actor: Actor | User, item: Item) -> str | None:
    who = as_actor(actor)
    if who.role == "auditor":
        # another unit's item scanned with rules of a scope without the auditor's unit: no text, no such findings
        # (workflow/scopes.py); the auditor of the item's own unit (or of a group sharing the rules) reads it all
        return REDACTED if who.unit_id != item.unit_id and _private(who, item) else FULL
    if who.role == "admin":
        return REDACTED
    if who.unit_id != item.unit_id:
        return None
    if who.role in ("reviewer", "officer"):
        return FULL
    if who.role == "publisher":
        return REDACTED
    return None


def _private(who: Actor, item: Item) -> bool:
    from sqlalchemy.orm import object_session

    from reviewer.accounts.scopes import Hider

    session = object_session(item)
    if session is None:
        return True  # fail closed: cannot tell
    hider = session.info.get(("hider", who.name))
    if hider is None:
        hider = session.info[("hider", who.name)] = Hider(session, who)
    return bool(hider.private(item.unit.code))


def _unit_code(session: Session, unit_id: int) -> str:
    unit = session.get(Unit, unit_id)
    return unit.code if unit is not None else ""


def readable_item(session: Session, actor: Actor | User, item_id: int) -> tuple[Item, str]:
    """The item and the caller's view level; other units' items are reported as not found (no existence leak)."""
    item = get_item(session, item_id)
    level = view_level(actor, item)
    if level is None:
        raise NotFound(f"稿件 {item_id} 不存在")
    return item, level


def review_queue(session: Session, actor: Actor | User, *, limit: int = 200, offset: int = 0) -> list[Item]:
    """Items waiting for this person's sign-off, own unit only, oldest first.
    Reviewers: awaiting_review. Officers: awaiting_officer first, then awaiting_review."""
    who = as_actor(actor)
    if who.role not in ("reviewer", "officer"):
        raise PermissionDenied("只有审查员或保密员有待审队列")
    states = [AWAITING_REVIEW] if who.role == "reviewer" else [AWAITING_OFFICER, AWAITING_REVIEW]
    query = (
        select(Item).where(Item.unit_id == who.unit_id, Item.state.in_(states))
        .order_by((Item.state != states[0]), Item.submitted_at, Item.id).limit(limit).offset(offset)
    )
    return list(session.execute(query).scalars())


def alerts(session: Session, actor: Actor | User, *, open_only: bool = True) -> list[Alert]:
    who = as_actor(actor)
    # not the admin (nor the CMS): an alert on a released draft after a rule change names a term added to the list
    if who.role not in ("reviewer", "officer", "auditor"):
        raise PermissionDenied("无权查看发布后预警")
    query = select(Alert).order_by(Alert.id.desc())
    if who.role in ("reviewer", "officer"):
        query = query.where(Alert.unit_id == who.unit_id)
    if open_only:
        query = query.where(Alert.resolved_at.is_(None))
    rows = list(session.execute(query).scalars())
    if who.role == "auditor":  # other units' alerts: without the names of rules outside the viewer's scope
        from reviewer.accounts.scopes import Hider, Masked

        hider = Hider(session, who)
        rows = [a if a.unit_id == who.unit_id else
                cast(Alert, Masked(a, {"summary": hider.summary(_unit_code(session, a.unit_id), a.summary)})) for a in rows]
    return rows
