"""Reviewer and auditor pages (zh-CN), served by the API app from local templates and assets only."""

from __future__ import annotations

from typing import Any


def install(app: Any) -> None:
    """Called by reviewer.api.app.create_app: adds the pages to the app (they read `app.state.db`), the HTML error
    pages for browsers, and the rule titles the pages show."""
    from reviewer.web import errorpages, render
    from reviewer.web.names import rule_directories
    from reviewer.web.routes import router

    app.include_router(router)
    errorpages.install(app)
    render.RULE_DIRECTORIES[:] = list(rule_directories(getattr(app.state, "settings", None)))
