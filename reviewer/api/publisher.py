"""Routes for publishing systems (CMS): submit, read own items, release check, record publication."""

from __future__ import annotations

import base64
import binascii
import time
from typing import Any

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, Field, ValidationError
from sqlalchemy import select
from starlette.datastructures import UploadFile

from reviewer.accounts import access
from reviewer.api.deps import Ctx, context, roles
from reviewer.api.ratelimit import SubmitLimiter
from reviewer.api.views import item_detail, item_summary
from reviewer.audit import events as audit
from reviewer.errors import InvalidInput, LimitExceeded, RateLimited
from reviewer.store.models import Item
from reviewer.workflow import release, submit

router = APIRouter(prefix="/api/v1", tags=["发布系统"])


class SubmitBody(BaseModel):
    external_id: str = Field(min_length=1, max_length=200, description="CMS 中稿件的编号；同一编号的新内容即新版本")
    title: str = Field("", max_length=500)
    channel: str = Field("", max_length=200, description="栏目")
    author: str = Field("", max_length=200, description="撰稿人姓名（仅供显示）")
    author_id: str = Field("", max_length=200, description="撰稿人在发布系统中的稳定账号标识（映射到审查账号，作者不得审查本人稿件；"
                                                          "缺失或未映射时须保密员复核）")
    content: str | None = Field(None, description="正文（纯文本或 HTML）")
    content_base64: str | None = Field(None, description="文件内容（base64），与 file_name 一起使用")
    file_name: str = Field("content.txt", max_length=300)


class ReleaseCheckBody(BaseModel):
    external_id: str = Field(min_length=1, max_length=200)
    content: str | None = None
    content_base64: str | None = None
    title: str = Field("", max_length=500, description="将要发布的标题（须与批准的版本一致）")
    channel: str = Field("", max_length=200, description="将要发布的栏目（须与批准的版本一致）")
    file_name: str = Field("content.txt", max_length=300, description="将要发布的文件名（须与批准的版本一致）")


class ReleasedBody(BaseModel):
    content_sha256: str | None = None
    document_sha256: str | None = Field(None, description="release-check 答复中的 document_sha256（正文与标题等元数据）")
    url: str = Field("", max_length=1000)


def _content(text: str | None, b64: str | None) -> bytes:
    if (text is None) == (b64 is None):
        raise InvalidInput("须且只能提供 content 或 content_base64 之一")
    if text is not None:
        return text.encode("utf-8")
    try:
        return base64.b64decode(b64 or "", validate=True)
    except (binascii.Error, ValueError) as exc:
        raise InvalidInput("content_base64 不是有效的 base64") from exc


SUBMIT_DOC: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {"schema": SubmitBody.model_json_schema()},
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["external_id", "file"],
                    "properties": {
                        "external_id": {"type": "string"}, "title": {"type": "string"}, "channel": {"type": "string"},
                        "author": {"type": "string"}, "author_id": {"type": "string"}, "file": {"type": "string", "format": "binary"},
                    },
                }
            },
        },
    }
}


@router.post("/items", status_code=201, openapi_extra=SUBMIT_DOC, summary="提交稿件（先审查、后公开）")
async def submit_item(request: Request, ctx: Ctx = Depends(roles("publisher", "admin"))) -> dict[str, Any]:
    await _rate_limit(request, ctx)
    ctype = request.headers.get("content-type", "")
    if ctype.startswith("multipart/form-data"):
        form = await request.form(max_files=1, max_fields=20)
        upload = form.get("file")
        if not isinstance(upload, UploadFile):
            raise InvalidInput("multipart 请求须包含 file 字段")
        fields = {k: str(form.get(k) or "") for k in ("external_id", "title", "channel", "author", "author_id")}
        data = await upload.read()
        try:  # an over-long field or file name is a 422 like in JSON, not an unhandled ValidationError (500)
            body = SubmitBody(**fields, content_base64="", file_name=upload.filename or "content.txt")
        except ValidationError as exc:
            from fastapi.exceptions import RequestValidationError

            raise RequestValidationError(exc.errors(include_url=False, include_context=False)) from exc
        content = data
    else:
        try:
            body = SubmitBody.model_validate_json(await request.body())
        except ValidationError as exc:
            from fastapi.exceptions import RequestValidationError

            raise RequestValidationError(exc.errors(include_url=False, include_context=False)) from exc
        content = _content(body.content, body.content_base64)
    from starlette.concurrency import run_in_threadpool

    return await run_in_threadpool(_submit, ctx, body, content)


def _limiter(request: Request) -> SubmitLimiter:
    limiter = getattr(request.app.state, "submit_limiter", None)
    if limiter is None:
        limiter = request.app.state.submit_limiter = SubmitLimiter(request.app.state.settings)
    return limiter


_THROTTLE_LOGGED: dict[str, float] = {}


async def _rate_limit(request: Request, ctx: Ctx) -> None:
    """Count the submission against the token's windows; a refusal is logged once a minute per token (an auditor
    sees it next to the burst of submissions, /audit/bursts)."""
    key = f"token:{ctx.actor.token_id}" if ctx.actor.token_id is not None else f"user:{ctx.actor.name}"
    try:
        _limiter(request).hit(key)
    except RateLimited:
        now = time.monotonic()
        if now - _THROTTLE_LOGGED.get(key, -1e9) >= 60:
            _THROTTLE_LOGGED[key] = now
            from starlette.concurrency import run_in_threadpool

            await run_in_threadpool(_log_throttled, ctx)
        raise


def _log_throttled(ctx: Ctx) -> None:
    audit.append(ctx.session, "submit_throttled", ctx.actor, data={"rate": ctx.settings.submit_rate})
    ctx.commit()


def _submit(ctx: Ctx, body: SubmitBody, content: bytes) -> dict[str, Any]:
    if len(content) > ctx.settings.max_upload_bytes:
        raise LimitExceeded(f"稿件内容 {len(content)} 字节，超过上限 {ctx.settings.max_upload_bytes} 字节")
    outcome = submit.submit(
        ctx.session, ctx.actor, external_id=body.external_id, content=content, title=body.title, channel=body.channel,
        author=body.author, file_name=body.file_name, author_id=body.author_id,
    )
    result = {"id": outcome.item.id, "state": outcome.item.state, "version": outcome.item.version,
              "content_sha256": outcome.item.content_sha256, "document_sha256": outcome.item.document_sha256,
              "created": outcome.created}
    ctx.commit()
    return result


@router.get("/items", summary="本单位稿件列表（按 external_id / 状态过滤）")
def list_items(external_id: str | None = None, state: str | None = None, limit: int = 100,
               ctx: Ctx = Depends(roles("publisher", "reviewer", "officer"))) -> dict[str, Any]:
    query = select(Item).where(Item.unit_id == ctx.actor.unit_id).order_by(Item.id.desc()).limit(max(1, min(limit, 1000)))
    if external_id:
        query = query.where(Item.external_id == external_id)
    if state:
        query = query.where(Item.state == state)
    level = access.FULL if ctx.actor.role in ("reviewer", "officer") else access.REDACTED
    return {"items": [item_summary(i, level, ctx.actor.role) for i in ctx.session.execute(query).scalars()]}


@router.get("/items/{item_id}", summary="稿件状态、扫描结果与审查记录")
def get_item(item_id: int, ctx: Ctx = Depends(context)) -> dict[str, Any]:
    item, level = access.readable_item(ctx.session, ctx.actor, item_id)
    return item_detail(ctx.session, item, level, ctx.actor.role, ctx.actor)


@router.post("/release-check", summary="发布前核验：此内容是否已批准")
def release_check(body: ReleaseCheckBody, ctx: Ctx = Depends(roles("publisher"))) -> dict[str, Any]:
    result = release.release_check(ctx.session, ctx.actor, body.external_id, _content(body.content, body.content_base64),
                                   title=body.title, channel=body.channel, file_name=body.file_name)
    ctx.commit()
    return result


@router.post("/items/{item_id}/released", summary="登记已发布")
def mark_released(item_id: int, body: ReleasedBody | None = None, ctx: Ctx = Depends(roles("publisher", "admin"))) -> dict[str, Any]:
    body = body or ReleasedBody(url="", document_sha256=None)
    item = release.mark_released(ctx.session, item_id, ctx.actor, body.content_sha256, body.url, body.document_sha256,
                                 require_hash=True)
    result = {"id": item.id, "state": item.state, "released_at": item.released_at.isoformat() if item.released_at else None}
    ctx.commit()
    return result


