"""Append-only, hash-chained audit log: the ONE writer. Called inside the transaction of the change it records.

Concurrency: the chain needs `seq` without gaps and each row's `prev_hash` = the previous row's hash. On PostgreSQL a
transaction-scoped advisory lock serialises appenders across processes; on SQLite every transaction already holds the
write lock (BEGIN IMMEDIATE, see store.session). Call `append` after taking any row locks of the transaction, so the
lock order is always rows → chain (no deadlocks).

Event data holds ids, counts, rule ids, hashes — never draft text or matched terms."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from reviewer.actor import Actor, as_actor
from reviewer.audit import checkpoints
from reviewer.audit.chain import GENESIS, canonical_json, event_hash
from reviewer.store.models import AuditEvent, User, utcnow
from reviewer.store.session import lock

# Actions written by the pipeline, with the label people read.
ACTIONS = {
    "submit": "提交",
    "superseded": "被新版本取代",
    "scan_started": "开始扫描",
    "scan": "扫描完成",
    "scan_failed": "扫描失败",
    "render_check": "显示内容核对",
    "disposition": "处置发现",
    "sign_off": "审查员签署（待保密员复核）",
    "approve": "批准",
    "officer_sign_off": "保密员复核批准",
    "exception_approval": "例外批准",
    "export": "导出检索结果",
    "reject": "不予发布",
    "return": "退回修改",
    "receipt": "生成发布回执",
    "released": "已发布",
    "release_check": "发布前核验",
    "callback_delivered": "回调已送达",
    "callback_failed": "回调失败",
    "rescan": "发布后复扫",
    "alert": "发布后预警",
    "fingerprints_registered": "登记文件",
    "fingerprints_replaced": "替换登记文件",
    "fingerprints_retired": "停用登记文件",
    "fingerprints_deleted": "删除登记文件",
    "rule_scope_changed": "规则范围变更",
    "unit_created": "新建单位",
    "unit_updated": "修改单位",
    "user_created": "新建用户",
    "token_created": "签发令牌",
    "token_revoked": "吊销令牌",
    "login": "登录",
    "logout": "退出登录",
    "login_failed": "登录失败",
    "submit_throttled": "提交过于频繁（已限流）",
    "account_locked": "账号已锁定（登录失败次数过多）",
    "login_refused_locked": "拒绝登录（账号已锁定）",
    "user_unlocked": "解除账号锁定",
    "user_deactivated": "停用用户",
    "user_role_changed": "变更用户角色",
    "password_reset": "重置口令",
    "token_rotated": "轮换令牌",
    "cms_id_linked": "关联发布系统账号",
    "approval_sheet": "打印保密审查审批单",
    "alert_resolved": "处理发布后预警",
    "monitor_run": "网站巡检",
    "monitor_handled": "处理巡检问题",
    "monitor_site_set": "设置巡检网站",
    "draft_read": "读取稿件内容（下载原文、页面图像或导出）",
    "rules_loaded": "启用规则集版本",
    "key_rotated": "轮换签名密钥",
    "key_compromised": "标记签名密钥泄露",
    "content_purged": "按保存期限清除稿件内容",
    "signoff_withdrawn": "撤回签署",
    "delegation_set": "设置委托代签",
    "delegation_revoked": "结束委托代签",
}
PURGE_ACTION = "content_purged"  # workflow.retention writes it; audit.verify accepts the items it names as purged

CHAIN_LOCK = "reviewer:audit-chain"


def append(
    session: Session,
    action: str,
    actor: Actor | User,
    *,
    unit_code: str | None = None,
    item_id: int | None = None,
    data: dict[str, Any] | None = None,
) -> AuditEvent:
    """Add one event to the chain in the caller's transaction (flushed, not committed)."""
    who = as_actor(actor)
    lock(session, CHAIN_LOCK)
    last = session.execute(select(AuditEvent.seq, AuditEvent.hash).order_by(AuditEvent.seq.desc()).limit(1)).first()
    seq = last.seq + 1 if last else 1
    prev_hash = last.hash if last else GENESIS
    at = utcnow()
    if who.os_user:  # a command-line action: the operating-system user is recorded beside the account
        data = {**(data or {}), "os_user": who.os_user}
    payload = canonical_json(data or {})
    unit = who.unit_code if unit_code is None else unit_code
    digest = event_hash(
        prev_hash, seq=seq, at=at, actor=who.name, actor_role=who.role, unit_code=unit, item_id=item_id, action=action, data=payload
    )
    event = AuditEvent(
        seq=seq, at=at, actor=who.name, actor_role=who.role, unit_code=unit, item_id=item_id, action=action, data=payload,
        prev_hash=prev_hash, hash=digest,
    )
    session.add(event)
    session.flush()
    checkpoints.after_append(session, event)  # every N events / M minutes: a signed head for the external witness
    return event
