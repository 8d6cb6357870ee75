"""The HTTP service: `create_app(settings) -> FastAPI`. OpenAPI at /openapi.json, docs at /docs.

Routes by audience: publisher.py (CMS), review.py (reviewers, officers, receipts, public keys). The reviewer/auditor
pages (reviewer.web) are mounted on the same app when that package provides `install(app)`; they use
`app.state.db` (reviewer.store.session.Database with the workflow runtime) and call the same workflow functions."""

from __future__ import annotations

import importlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from starlette.middleware.base import BaseHTTPMiddleware, RequestResponseEndpoint
from starlette.responses import Response

from reviewer.api import publisher, review
from reviewer.api.errors import install_error_handlers
from reviewer.settings import Settings
from reviewer.workflow.runtime import Enqueuer, open_database


class BodyLimit(BaseHTTPMiddleware):
    """413 for bodies over the limit (declared length, or counted while reading a chunked body)."""

    def __init__(self, app: Any, limit: int) -> None:
        super().__init__(app)
        self.limit = limit

    async def dispatch(self, request: Request, call_next: RequestResponseEndpoint) -> Response:
        declared = request.headers.get("content-length")
        too_big = JSONResponse({"detail": f"请求体过大（上限 {self.limit // (1024 * 1024)} MB）"}, status_code=413)
        if declared is not None:
            if not declared.isdigit() or int(declared) > self.limit:
                return too_big
        elif request.method in ("POST", "PUT", "PATCH"):
            body = b""
            async for chunk in request.stream():
                body += chunk
                if len(body) > self.limit:
                    return too_big
            request._body = body  # noqa: SLF001 - the stream is consumed; hand the body on
        return await call_next(request)


def default_enqueuer(settings: Settings) -> Enqueuer:
    from workers.app import CeleryEnqueuer, make_celery

    return CeleryEnqueuer(make_celery(settings))


def create_app(settings: Settings | None = None, *, enqueuer: Enqueuer | None = None) -> FastAPI:
    settings = settings or Settings.from_env()
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
    app.include_router(publisher.router)
    app.include_router(review.router)
    app.include_router(review.public)
    web = importlib.import_module("reviewer.web")
    install = getattr(web, "install", None)
    if install is not None:
        install(app)

    return app


def create_app_from_env() -> FastAPI:
    """For `uvicorn --factory reviewer.api.app:create_app_from_env`."""
    return create_app(Settings.from_env())
