"""The release gate (先审查、后公开): a CMS asks before publishing whether exactly this content *and metadata* was
approved, and reports publication afterwards.

Proof, not state: the answer is yes only when the version is approved (or released), is the current version of its
external id, and its stored receipt verifies with the receipt signing key and binds exactly the body, title, channel
and file name asked about — and the row still matches its own hashes. A state set directly in the database, an
edited body or a forged receipt answers no. The answer also says which version is current, because a receipt of a
superseded version still verifies offline: a CMS must rely on release-check, not on a receipt it kept."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from reviewer.accounts.actor import Actor, as_actor
from reviewer.audit import events as audit
from reviewer.audit.binding import BOUND_FIELDS, FIELD_LABEL, document_sha256
from reviewer.errors import Conflict, InvalidInput, PermissionDenied
from reviewer.store.models import APPROVED, RELEASED, STATE_LABEL, Alert, AuditEvent, Item, Receipt, User, utcnow
from reviewer.workflow import receipts, rulelog
from reviewer.workflow.items import get_item
from reviewer.workflow.states import move
from reviewer.workflow.submit import safe_file_name


def _receipt(session: Session, item: Item) -> Receipt | None:
    return session.execute(select(Receipt).where(Receipt.item_id == item.id)).scalar_one_or_none()


def release_check(
    session: Session, actor: Actor | User, external_id: str, content: bytes, *, title: str = "", channel: str = "",
    file_name: str = "content.txt",
) -> dict[str, Any]:
    """approved is true only when this very content and metadata is the current, approved version with a valid receipt."""
    who = as_actor(actor)
    sha = hashlib.sha256(content).hexdigest()
    asked = {"title": (title or "")[:500], "channel": (channel or "")[:200], "file_name": safe_file_name(file_name)}
    doc_sha = document_sha256(sha, asked["title"], asked["channel"], asked["file_name"])
    versions = list(
        session.execute(
            select(Item).where(Item.unit_id == who.unit_id, Item.external_id == external_id).order_by(Item.version.desc())
        ).scalars()
    )
    current = versions[0] if versions else None
    match = next((v for v in versions if v.content_sha256 == sha and v.document_sha256 == doc_sha), None)
    body_match = match or next((v for v in versions if v.content_sha256 == sha), None)
    approved = False
    proof: list[str] = []
    receipt = None
    if match is None and body_match is not None:
        differ = [FIELD_LABEL[k] for k in BOUND_FIELDS if getattr(body_match, k) != asked[k]]
        reason = (f"正文与第 {body_match.version} 版一致，但{'、'.join(differ) or '元数据'}与该版本不一致："
                  "标题、栏目或文件名的改动须作为新版本提交审查")
    elif match is None:
        reason = "未找到与此内容完全一致的已提交版本" if versions else "该 external_id 没有提交记录"
    elif match.superseded_by_id is not None:
        reason = f"此内容已被新版本取代（当前为第 {current.version if current else '?'} 版）"
    elif match.state not in (APPROVED, RELEASED):
        reason = f"此内容尚未批准（当前状态：{STATE_LABEL.get(match.state, match.state)}）"
    else:
        receipt = _receipt(session, match)
        proof = receipts.problems(session, match, receipt)
        current_rules = current_rules_problem(session, match)
        approved = not proof and current_rules is None
        reason = ("此内容已通过保密审查，发布回执验证通过" if approved else
                  ("状态为已批准，但没有可验证的发布回执：" + "；".join(proof)) if proof else str(current_rules))
    audit.append(session, "release_check", who, item_id=match.id if match else None,
                 data={"external_id": external_id, "content_sha256": sha, "document_sha256": doc_sha, "approved": approved,
                       **({"proof_failed": len(proof)} if proof else {})})
    return {
        "approved": approved, "external_id": external_id, "content_sha256": sha, "document_sha256": doc_sha, "reason": reason,
        "item_id": match.id if match else None, "version": match.version if match else None,
        "state": match.state if match else None, "receipt_id": receipt.id if receipt is not None and approved else None,
        "is_current": match is not None and current is not None and match.id == current.id,
        "current": ({"item_id": current.id, "version": current.version, "state": current.state} if current else None),
    }


def current_rules_problem(session: Session, item: Item) -> str | None:
    """Approval was under the rules of its day: an open block alert (a re-scan under newer rules found a block
    finding) or rules changed since without a re-scan of this item refuse the release (Chinese reason), else None."""
    open_block = session.execute(
        select(Alert.id).where(Alert.item_id == item.id, Alert.resolved_at.is_(None), Alert.verdict.in_(("block", "error"))).limit(1)
    ).first()
    if open_block is not None:
        return "该稿件有未处理的预警：按现行规则复扫发现“禁止发布”级别的内容（或无法完整复扫），不能发布；请由审查员处理预警或退回修改"
    current = rulelog.last_logged(session, item.unit.code)
    if current is None or current == item.rules_version:
        return None
    checked = {item.rules_version}
    checked.update(session.execute(select(Alert.rules_version).where(Alert.item_id == item.id)).scalars())
    for raw in session.execute(select(AuditEvent.data).where(AuditEvent.item_id == item.id, AuditEvent.action == "rescan")).scalars():
        try:
            checked.add(str(json.loads(raw).get("rules_version")))
        except ValueError:
            continue
    if current not in checked:
        return (f"规则已更新（现行规则集版本 {current}），该稿件是按旧规则（{item.rules_version}）审查的，尚未按现行规则复扫，"
                "暂不能发布；请运行 reviewer rescan --released，复扫无新发现后再核验")
    return None


def mark_released(
    session: Session, item_id: int, actor: Actor | User, content_sha256: str | None = None, url: str = "",
    document_sha256: str | None = None, *, require_hash: bool = False,
) -> Item:
    """`require_hash` (the HTTP API): the caller must say which content it published — a call without a hash cannot
    bind the publication to what was approved."""
    who = as_actor(actor)
    item = get_item(session, item_id, for_update=True)
    if who.role not in ("publisher", "admin") or (who.role != "admin" and who.unit_id != item.unit_id):
        raise PermissionDenied("只有本单位的发布系统可以登记发布")
    if content_sha256 and content_sha256.lower() != item.content_sha256:
        raise Conflict("登记发布的内容与批准的内容不一致（content_sha256 不匹配）")
    if document_sha256 and document_sha256.lower() != item.document_sha256:
        raise Conflict("登记发布的标题、栏目、文件名或正文与批准的版本不一致（document_sha256 不匹配）")
    if item.state == RELEASED:
        return item  # idempotent
    if item.state != APPROVED or item.superseded_by_id is not None:
        raise Conflict(f"只有已批准的稿件才能发布（当前状态：{STATE_LABEL.get(item.state, item.state)}）")
    proof = receipts.problems(session, item, _receipt(session, item))
    if proof:
        raise Conflict("该稿件没有可验证的发布回执，不能登记发布：" + "；".join(proof))
    if require_hash and not (content_sha256 or document_sha256):
        raise InvalidInput("登记发布须提供所发布内容的哈希：release-check 答复中的 document_sha256（或 content_sha256）")
    move(item, RELEASED)
    item.released_at = utcnow()
    audit.append(session, "released", who, unit_code=item.unit.code, item_id=item.id,
                 data={"content_sha256": item.content_sha256, "document_sha256": item.document_sha256, "version": item.version,
                       "url": url[:500]})
    return item
