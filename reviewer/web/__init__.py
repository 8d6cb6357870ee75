"""Reviewer and auditor pages (zh-CN), served by the API app from local templates and assets only."""

from __future__ import annotations

from typing import Any


def install(app: Any) -> None:
    """Called by reviewer.api.app.create_app: adds the pages to the app (they read `app.state.db`)."""
    from reviewer.web.routes import router

    app.include_router(router)
