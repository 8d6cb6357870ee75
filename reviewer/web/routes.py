"""The pages (zh-CN). `router` is included by the app (reviewer.api.app.create_app via reviewer.web.install); it needs `app.state.db`
(a reviewer.store.session.Database). Static assets are served from this package: nothing is loaded from the
internet."""

from __future__ import annotations

from fastapi import APIRouter

from reviewer.web import (
    pages_admin,
    pages_audit,
    pages_auth,
    pages_delegation,
    pages_fingerprints,
    pages_monitor,
    pages_render,
    pages_review,
)

router = APIRouter(include_in_schema=False)
router.include_router(pages_auth.router)
router.include_router(pages_admin.router)
router.include_router(pages_review.router)
router.include_router(pages_audit.router)
router.include_router(pages_fingerprints.router)
router.include_router(pages_render.router)
router.include_router(pages_monitor.router)
router.include_router(pages_delegation.router)
