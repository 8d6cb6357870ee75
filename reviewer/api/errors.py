"""The ONE place where failures become HTTP responses. Every body is JSON with a Chinese `detail`."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DataError, DBAPIError, InterfaceError, OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException

from reviewer.errors import ReviewerError

log = logging.getLogger(__name__)

HTTP_DETAIL = {
    400: "请求无效",
    401: "未认证：请在 Authorization 头中提供有效的 Bearer 令牌",
    403: "无权执行此操作",
    404: "资源不存在",
    405: "不支持该请求方法",
    409: "与当前状态冲突",
    413: "请求体过大",
    415: "不支持的内容类型",
    422: "请求参数无效",
    429: "请求过于频繁，请稍后再试",
    503: "服务暂时不可用，请稍后重试",
}
DB_UNAVAILABLE = "数据库暂时不可用，请稍后重试（本次请求未被保存）"


_WHERE = {"body": "请求体", "query": "查询参数", "path": "路径参数", "header": "请求头", "cookie": "Cookie"}


def validation_message(e: Any) -> str:
    """One validation error in Chinese: which field, and what was wrong with it (allowed values where there are any)."""
    loc = [str(x) for x in e.get("loc", ())]
    where = _WHERE.get(loc[0], loc[0]) if loc else "请求"
    field = ".".join(loc[1:])
    kind = str(e.get("type", ""))
    ctx = e.get("ctx") or {}
    if kind == "json_invalid":
        return f"请求体不是有效的 JSON（{ctx.get('error', '格式错误')}，位于第 {loc[1] if len(loc) > 1 else 0} 个字符附近）"
    name = f"{where}字段“{field}”" if field else where
    if kind == "missing":
        return f"缺少{name}"
    if kind == "literal_error" or kind == "enum":
        return f"{name}的值无效，允许的值为：{ctx.get('expected', '')}".replace(" or ", "、").replace("'", "")
    if kind in ("string_too_short", "too_short"):
        return f"{name}过短（至少 {ctx.get('min_length', '')} 个字符）"
    if kind in ("string_too_long", "too_long"):
        return f"{name}过长（至多 {ctx.get('max_length', '')} 个字符）"
    if kind.startswith("int_") or kind.startswith("float_"):
        return f"{name}应为数字"
    if kind.startswith("bool"):
        return f"{name}应为 true 或 false"
    if kind in ("string_type",):
        return f"{name}应为字符串"
    if kind in ("list_type",):
        return f"{name}应为数组"
    if kind in ("model_type", "dict_type", "model_attributes_type"):
        return f"{name}应为 JSON 对象"
    if kind.startswith("greater_than") or kind.startswith("less_than"):
        return f"{name}超出允许范围"
    return f"{name}无效"


def _json(status: int, detail: str, **extra: object) -> JSONResponse:
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else ({"Retry-After": "60"} if status == 429 else None)
    return JSONResponse({"detail": detail, **extra}, status_code=status, headers=headers)


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(ReviewerError)
    async def _domain(_: Request, exc: ReviewerError) -> JSONResponse:
        response = _json(exc.http_status, exc.message, error=type(exc).__name__)
        retry_after = getattr(exc, "retry_after", None)
        if retry_after is not None:
            response.headers["Retry-After"] = str(int(retry_after))
        return response

    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [{"loc": list(e.get("loc", ())), "type": e.get("type", "")} for e in exc.errors()]
        return _json(422, HTTP_DETAIL[422] + "：" + "；".join(validation_message(e) for e in exc.errors()), errors=errors)

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        detail = exc.detail if isinstance(exc.detail, str) and not exc.detail.isascii() else HTTP_DETAIL.get(exc.status_code, "请求失败")
        return _json(exc.status_code, detail)

    @app.exception_handler(OverflowError)
    @app.exception_handler(DataError)
    async def _out_of_range(_: Request, exc: Exception) -> JSONResponse:
        # A number beyond the database's integer range (an id or offset no row can have): the caller's mistake.
        log.info("请求参数超出数据库允许的范围（%s），已按 422 拒绝该请求", type(exc).__name__)
        return _json(422, "请求参数超出允许范围", error="InvalidInput")

    @app.exception_handler(Exception)
    async def _unexpected(_: Request, exc: Exception) -> JSONResponse:
        # Last resort for bugs: still JSON in Chinese; only the type is logged (messages may quote a draft).
        log.error("处理请求时发生未处理的异常 %s，已向调用方返回 500（服务器内部错误）", type(exc).__name__)
        return _json(500, "服务器内部错误，请联系管理员")

    @app.exception_handler(OperationalError)
    @app.exception_handler(InterfaceError)
    async def _database(_: Request, exc: DBAPIError) -> JSONResponse:
        log.warning("数据库不可用（%s），已向调用方返回 503", type(exc.orig).__name__ if exc.orig is not None else type(exc).__name__)
        return _json(503, DB_UNAVAILABLE)
