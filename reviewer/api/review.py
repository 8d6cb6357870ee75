"""Routes for reviewers and secrecy officers (own unit only), receipts and keys."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, Field
from sqlalchemy import select

from reviewer.accounts import access
from reviewer.api.deps import Ctx, context, roles
from reviewer.api.views import iso, item_detail, item_summary
from reviewer.audit import keyring
from reviewer.audit.keys import KeyProblem
from reviewer.errors import NotFound
from reviewer.store.models import Receipt
from reviewer.workflow import delegation, receipts, review, withdraw

router = APIRouter(prefix="/api/v1", tags=["审查"])


DISPOSITION_HELP = (
    "对该发现的处置：must_fix 须修改（发现成立，稿件须修改）；public_ok 属实但可公开（须写明理由）；"
    "false_positive 误报（须写明理由）；confirmed 为旧值，等同 must_fix。fixed（已修改）不能用于本版本的发现："
    "扫描在本版本中找到的发现仍然存在，作者修改后新版本中不再出现的发现自动显示为已修改。"
    "批准时若仍有成立的发现（must_fix，或“禁止发布”“需人工审查”级别的 public_ok），属例外批准："
    "须逐条写明理由、exception_confirmed 为 true，并由本单位保密员复核签署后才生效"
)


class DispositionBody(BaseModel):
    finding_id: int
    disposition: Literal["must_fix", "public_ok", "false_positive", "fixed", "confirmed"] = Field(description=DISPOSITION_HELP)
    reason: str = Field("", max_length=2000, description="处置理由：public_ok 与 false_positive 必填，例外批准时每条仍成立的发现必填；"
                                                         "理由按本单位规则检查，含须保密审查的内容即拒绝")


class ReviewBody(BaseModel):
    content_sha256: str = Field(min_length=64, max_length=64, description="审查时所见内容的 SHA-256（须与稿件一致）")
    decision: Literal["approve", "reject", "return"]
    comment: str = Field("", max_length=5000)
    findings: list[DispositionBody] = Field(default_factory=list, description="逐条处置：must_fix 须修改 / public_ok 属实但可公开 / false_positive 误报（confirmed 同 must_fix）")
    exception_confirmed: bool = Field(False, description="例外批准确认：批准时仍有成立的发现（须修改，或“禁止发布”“需人工审查”级别的属实但可公开）须为 true，"
                                                     "并逐条填写理由；稿件随后须由本单位保密员复核（保密员复核时也须为 true）")
    feedback: list[int] = Field(default_factory=list, max_length=500,
                                description="按位置反馈：所列发现只以位置（如“正文 第 3 段第 12–15 字”）附在意见后发给发布系统，不含内容")


@router.get("/review-queue", summary="本单位待审队列（先到先审）")
def review_queue(limit: int = Query(200, ge=1, le=1000), offset: int = Query(0, ge=0, le=10_000_000),
                 ctx: Ctx = Depends(roles("reviewer", "officer"))) -> dict[str, Any]:
    items = access.review_queue(ctx.session, delegation.acting(ctx.session, ctx.actor), limit=limit, offset=offset)
    return {"items": [item_summary(i) for i in items]}


@router.post("/items/{item_id}/review", summary="签署审查意见（一事一审）")
def sign_off(item_id: int, body: ReviewBody, ctx: Ctx = Depends(roles("reviewer", "officer"))) -> dict[str, Any]:
    dispositions = [review.DispositionInput(d.finding_id, d.disposition, d.reason) for d in body.findings]
    signed = review.sign_off(ctx.session, item_id, ctx.actor, body.content_sha256, body.decision, body.comment, dispositions,
                               body.exception_confirmed, body.feedback)
    ctx.commit()
    item, level = access.readable_item(ctx.session, ctx.actor, item_id)
    return {"review_id": signed.id, "stage": signed.stage, "item": item_detail(ctx.session, item, level, actor=ctx.actor)}


class WithdrawBody(BaseModel):
    reason: str = Field(min_length=1, max_length=2000, description="撤回理由（必填；按本单位规则检查，含须保密审查的内容即拒绝）")


@router.post("/reviews/{review_id}/withdraw", summary="撤回本人的签署（发布前）")
def withdraw_sign_off(review_id: int, body: WithdrawBody, ctx: Ctx = Depends(roles("reviewer", "officer"))) -> dict[str, Any]:
    """只有签署人本人、在稿件发布前、且其后没有他人签署时可以撤回；稿件回到该签署之前的状态，已签发的发布回执随之撤销
    （release-check 不再通过），发布系统收到签名回调。"""
    withdrawn = withdraw.withdraw(ctx.session, review_id, ctx.actor, body.reason)
    ctx.commit()
    item, level = access.readable_item(ctx.session, ctx.actor, withdrawn.item_id)
    return {"review_id": withdrawn.id, "withdrawn": True, "item": item_detail(ctx.session, item, level, actor=ctx.actor)}


@router.get("/items/{item_id}/receipt", summary="发布回执（Ed25519 签名）")
def get_receipt(item_id: int, ctx: Ctx = Depends(context)) -> dict[str, Any]:
    access.readable_item(ctx.session, ctx.actor, item_id)
    receipt = ctx.session.execute(select(Receipt).where(Receipt.item_id == item_id)).scalar_one_or_none()
    if receipt is None:
        raise NotFound("该稿件尚未批准，没有发布回执")
    return receipts.as_dict(receipt)


@router.get("/alerts", summary="发布后预警（规则更新后复扫发现的问题）")
def list_alerts(open_only: bool = True, ctx: Ctx = Depends(roles("reviewer", "officer", "auditor"))) -> dict[str, Any]:
    # not the admin: which released draft raised an alert after a rule change tells which names were added to the list
    return {
        "alerts": [
            {"id": a.id, "item_id": a.item_id, "rules_version": a.rules_version, "verdict": a.verdict, "summary": a.summary,
             "created_at": iso(a.created_at), "resolved_at": iso(a.resolved_at), "monitor_result_id": a.monitor_result_id}
            for a in access.alerts(ctx.session, ctx.actor, open_only=open_only)
        ]
    }


@router.get("/me", summary="当前令牌的身份")
def me(ctx: Ctx = Depends(context)) -> dict[str, Any]:
    a = ctx.actor
    return {"name": a.name, "display_name": a.display_name, "role": a.role, "unit": a.unit_code}


public = APIRouter(prefix="/api/v1", tags=["公开"])


@public.get("/keys", summary="回执验签公钥（供发布系统离线验证；含已退役与已标记泄露的旧密钥及其有效期）")
def keys(request: Request) -> dict[str, Any]:
    """Every receipt key by id (audit.keyring), the current one first (a client that reads `keys[0]` still gets the
    signing key). A receipt is verified with the key its `key_id` names, and trusted only if it was issued before
    that key's `valid_until` (retired) and before its `compromised_at`."""
    data_dir = request.app.state.settings.data_dir
    try:
        receipts.load_or_create_key(data_dir)
    except KeyProblem:
        pass  # the key file is gone (approvals answer 503 and say so): the recorded public keys still verify receipts
    trust = keyring.trust(data_dir, "receipt")
    current = trust.current
    ordered = sorted(trust.entries, key=lambda e: (current is None or e.key_id != current.key_id, e.created_at), reverse=False)
    return {
        "current_key_id": current.key_id if current else None,
        "keys": [{"key_id": e.key_id, "algorithm": "Ed25519", "public_key_pem": e.public_key_pem, "status": e.status,
                  "created_at": e.created_at, "valid_from": e.created_at, "valid_until": e.retired_at,
                  "retired_at": e.retired_at, "compromised_at": e.compromised_at} for e in ordered],
    }

