"""The workflow's side of the 巡检 (reviewer.monitor): what a unit has signed, handed to the monitor as `Approved`.

Every approved or released version of the unit, with the URLs the CMS reported with /released (matched first) and the
names of those who signed it (the unit reviewer and, where there was one, the secrecy officer)."""

from __future__ import annotations

import json

from sqlalchemy import select
from sqlalchemy.orm import Session

from reviewer.accounts.manage import get_unit
from reviewer.monitor.model import Approved
from reviewer.store.models import APPROVED, RELEASED, AuditEvent, Item, Review, Unit, User


def approved_versions(session: Session, unit: Unit | str) -> list[Approved]:
    if isinstance(unit, str):
        unit = get_unit(session, unit)
    items = list(session.execute(
        select(Item).where(Item.unit_id == unit.id, Item.state.in_((APPROVED, RELEASED)), Item.purged_at.is_(None)).order_by(Item.id)
    ).scalars())
    ids = [i.id for i in items]
    urls: dict[int, list[str]] = {}
    signers: dict[int, list[str]] = {}
    when: dict[int, str] = {}
    if ids:
        for item_id, data in session.execute(
            select(AuditEvent.item_id, AuditEvent.data).where(AuditEvent.action == "released", AuditEvent.item_id.in_(ids))
        ):
            url = str(json.loads(data or "{}").get("url") or "")
            if url and item_id is not None:
                urls.setdefault(item_id, []).append(url)
        for item_id, name, username, at in session.execute(
            select(Review.item_id, User.display_name, User.username, Review.created_at)
            .join(User, User.id == Review.reviewer_id)
            .where(Review.item_id.in_(ids), Review.decision == "approve").order_by(Review.id)
        ):
            signers.setdefault(item_id, []).append(name or username)
            when[item_id] = at.isoformat(timespec="seconds") if at else ""
    return [
        Approved(item_id=i.id, title=i.title or "", file_name=i.file_name or "content.txt", content=i.content,
                 content_sha256=i.content_sha256, urls=tuple(urls.get(i.id, ())), external_id=i.external_id,
                 version=i.version, signers=tuple(signers.get(i.id, ())), approved_at=when.get(i.id, ""))
        for i in items
    ]
