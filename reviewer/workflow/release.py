"""The release gate (先审查、后公开): a CMS asks before publishing whether exactly this content was approved, and
reports publication afterwards."""

from __future__ import annotations

import hashlib
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from reviewer.accounts.actor import Actor, as_actor
from reviewer.audit import events as audit
from reviewer.errors import Conflict, PermissionDenied
from reviewer.store.models import APPROVED, RELEASED, STATE_LABEL, Item, Receipt, User, utcnow
from reviewer.workflow.items import get_item
from reviewer.workflow.states import move


def release_check(session: Session, actor: Actor | User, external_id: str, content: bytes) -> dict[str, Any]:
    """approved is true only when this very content (SHA-256 equality) is an approved, not superseded version."""
    who = as_actor(actor)
    sha = hashlib.sha256(content).hexdigest()
    versions = list(
        session.execute(
            select(Item).where(Item.unit_id == who.unit_id, Item.external_id == external_id).order_by(Item.version.desc())
        ).scalars()
    )
    match = next((v for v in versions if v.content_sha256 == sha), None)
    approved = match is not None and match.superseded_by_id is None and match.state in (APPROVED, RELEASED)
    if match is None:
        reason = "未找到与此内容完全一致的已提交版本" if versions else "该 external_id 没有提交记录"
    elif approved:
        reason = "此内容已通过保密审查"
    elif match.superseded_by_id is not None:
        reason = "此内容已被新版本取代"
    else:
        reason = f"此内容尚未批准（当前状态：{STATE_LABEL.get(match.state, match.state)}）"
    receipt = session.execute(select(Receipt).where(Receipt.item_id == match.id)).scalar_one_or_none() if approved and match else None
    audit.append(session, "release_check", who, item_id=match.id if match else None,
                 data={"external_id": external_id, "content_sha256": sha, "approved": approved})
    return {
        "approved": approved, "external_id": external_id, "content_sha256": sha, "reason": reason,
        "item_id": match.id if match else None, "version": match.version if match else None,
        "state": match.state if match else None, "receipt_id": receipt.id if receipt else None,
    }


def mark_released(session: Session, item_id: int, actor: Actor | User, content_sha256: str | None = None, url: str = "") -> Item:
    who = as_actor(actor)
    item = get_item(session, item_id, for_update=True)
    if who.role not in ("publisher", "admin") or (who.role != "admin" and who.unit_id != item.unit_id):
        raise PermissionDenied("只有本单位的发布系统可以登记发布")
    if content_sha256 and content_sha256.lower() != item.content_sha256:
        raise Conflict("登记发布的内容与批准的内容不一致（content_sha256 不匹配）")
    if item.state == RELEASED:
        return item  # idempotent
    if item.state != APPROVED or item.superseded_by_id is not None:
        raise Conflict(f"只有已批准的稿件才能发布（当前状态：{STATE_LABEL.get(item.state, item.state)}）")
    move(item, RELEASED)
    item.released_at = utcnow()
    audit.append(session, "released", who, unit_code=item.unit.code, item_id=item.id,
                 data={"content_sha256": item.content_sha256, "version": item.version, "url": url[:500]})
    return item
