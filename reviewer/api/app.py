"""The HTTP service: `create_app(settings) -> FastAPI`. OpenAPI at /openapi.json, docs at /docs.

Routes by audience: publisher.py (CMS), review.py (reviewers, officers, receipts, public keys). The reviewer/auditor
pages (reviewer.web) are mounted on the same app when that package provides `install(app)`; they use
`app.state.db` (reviewer.store.session.Database with the workflow runtime) and call the same workflow functions."""

from __future__ import annotations

import importlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.responses import JSONResponse
from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from reviewer.api import ops, publisher, review
from reviewer.api.errors import install_error_handlers
from reviewer.settings import Settings
from reviewer.store.permissions import secure_storage
from reviewer.workflow.runtime import Enqueuer, open_database


class BodyLimit:
    """413 for bodies over the limit (declared length, or counted while reading a chunked body). A plain ASGI
    middleware (BaseHTTPMiddleware costs a task group and a streamed response per request)."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app = app
        self.limit = limit

    def _too_big(self) -> JSONResponse:
        return JSONResponse({"detail": f"请求体过大（上限 {self.limit // (1024 * 1024)} MB）"}, status_code=413)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = Headers(scope=scope).get("content-length")
        if declared is not None:
            if not declared.isdigit() or int(declared) > self.limit:
                await self._too_big()(scope, receive, send)
                return
            await self.app(scope, receive, send)
            return
        if scope["method"] not in ("POST", "PUT", "PATCH"):
            await self.app(scope, receive, send)
            return
        # No declared length: read the whole body, counting, then hand it on in one message.
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.limit:
                await self._too_big()(scope, receive, send)
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)


API_HEADERS = [(b"cache-control", b"no-store"), (b"x-content-type-options", b"nosniff")]
MAX_ID = 2**31 - 1  # ids are INTEGER columns; a larger number cannot name anything
_OUT_OF_RANGE = "资源不存在（编号超出范围）"


class ApiGuard:
    """Every /api/ response: `Cache-Control: no-store` and `X-Content-Type-Options: nosniff` (drafts and findings
    must not stay in a browser or proxy cache, nor be sniffed as another type). A path segment of digits beyond the
    id range answers 404 in Chinese before any route runs (it would overflow the database's integer type)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith("/api/"):
            await self.app(scope, receive, send)
            return
        for segment in scope["path"].split("/"):
            if segment.isascii() and segment.isdigit() and (len(segment.lstrip("0")) > 10 or int(segment) > MAX_ID):
                response = JSONResponse({"detail": _OUT_OF_RANGE, "error": "NotFound"}, status_code=404)
                await response(scope, receive, self._with_headers(send))
                return
        await self.app(scope, receive, self._with_headers(send))

    @staticmethod
    def _with_headers(send: Send) -> Send:
        async def wrapped(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [(k, v) for k, v in message.get("headers", []) if k.lower() not in dict(API_HEADERS)]
                message = {**message, "headers": headers + API_HEADERS}
            await send(message)

        return wrapped


def default_enqueuer(settings: Settings) -> Enqueuer:
    from workers.app import CeleryEnqueuer, make_celery

    return CeleryEnqueuer(make_celery(settings), settings)


def create_app(settings: Settings | None = None, *, enqueuer: Enqueuer | None = None) -> FastAPI:
    settings = settings or Settings.from_env()
    # The data directory and the database files are owner-only; refuse to start when they cannot be made so.
    secure_storage(settings.data_dir, str(settings.database_url))
    # A pool as big as the request concurrency seen in practice: connections beyond the pool are opened and closed
    # per request (on SQLite: PRAGMAs each time).
    db = open_database(settings, enqueuer if enqueuer is not None else default_enqueuer(settings), pool_size=16)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        yield
        db.dispose()

    app = FastAPI(
        lifespan=lifespan,
        title="保密审查 API",
        description="发布前保密审查：提交稿件 → 自动扫描 → 本单位审查员逐件签署 → 签名回执 → 发布前核验。",
        version="1",
        # Swagger UI and ReDoc load their scripts from a CDN, which an offline network cannot reach:
        # serve only the OpenAPI document itself (/openapi.json), which any local tool can open.
        docs_url=None,
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.db = db
    install_error_handlers(app)
    app.add_middleware(BodyLimit, limit=settings.max_upload_bytes + 1024 * 1024)
    app.add_middleware(ApiGuard)
    app.include_router(publisher.router)
    app.include_router(review.router)
    app.include_router(review.public)
    app.include_router(ops.router)
    web = importlib.import_module("reviewer.web")
    install = getattr(web, "install", None)
    if install is not None:
        install(app)

    return app


def create_app_from_env() -> FastAPI:
    """For `uvicorn --factory reviewer.api.app:create_app_from_env`."""
    return create_app(Settings.from_env())
