"""HTML error pages in Chinese, with the navigation, for everything a browser asks outside /api/ (unknown routes,
405, 422, missing static files). The API keeps its JSON errors (reviewer.api.errors)."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from starlette.exceptions import HTTPException as StarletteHTTPException

HEADING = {
    400: "请求无效",
    401: "请先登录",
    403: "无权访问",
    404: "页面不存在",
    405: "不支持该操作",
    409: "无法完成：稿件状态已变化",
    413: "提交的内容过大",
    422: "请求参数有误",
    500: "服务器内部错误",
    503: "服务暂时不可用",
}
MESSAGE = {
    404: "您要找的页面或稿件不存在，或不在您的权限范围内。",
    405: "该地址不支持此请求方式（例如直接在地址栏打开了只能由表单提交的地址）。",
    422: "请求中的参数格式不正确，请返回上一页检查后重试。",
}


def heading(status: int) -> str:
    return HEADING.get(status, "无法完成")


def is_page_request(request: Request) -> bool:
    return not request.url.path.startswith("/api/")


def _user(request: Request) -> tuple[Any, str]:
    """The logged-in person, for the navigation; none when there is no valid session (or no database)."""
    from reviewer.web.deps import viewer

    db = getattr(request.app.state, "db", None)
    if db is None:
        return None, ""
    try:
        with db.session() as s:
            v = viewer(request, s)
            return v.user, v.csrf_token
    except Exception:  # noqa: BLE001 - an error page must render even when the session cannot be read
        return None, ""


def error_page(request: Request, status: int, message: str = "") -> Response:
    from reviewer.web.render import page

    user, csrf = _user(request)
    return page(request, "error.html", status_code=status, user=user, csrf_token=csrf, heading=heading(status),
                message=message or MESSAGE.get(status, "请求未能完成。"), status=status)


def not_found_page(request: Request, message: str = "") -> Response:
    return error_page(request, 404, message)


def install(app: Any) -> None:
    """Wrap the app's JSON handlers: page requests get HTML, /api/ requests keep JSON."""
    json_http = app.exception_handlers.get(StarletteHTTPException)
    json_validation = app.exception_handlers.get(RequestValidationError)

    async def http(request: Request, exc: StarletteHTTPException) -> Response:
        if is_page_request(request) or json_http is None:
            detail = exc.detail if isinstance(exc.detail, str) and not exc.detail.isascii() else ""
            resp = error_page(request, exc.status_code, detail)
            if exc.status_code == 405 and exc.headers:
                resp.headers.update(exc.headers)
            return resp
        return await json_http(request, exc)  # type: ignore[no-any-return]

    async def validation(request: Request, exc: RequestValidationError) -> Response:
        if is_page_request(request) or json_validation is None:
            from reviewer.api.errors import validation_message

            return error_page(request, 422, "请求参数有误：" + "；".join(validation_message(e) for e in exc.errors()))
        return await json_validation(request, exc)  # type: ignore[no-any-return]

    app.add_exception_handler(StarletteHTTPException, http)
    app.add_exception_handler(RequestValidationError, validation)
