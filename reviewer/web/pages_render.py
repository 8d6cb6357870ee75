"""The rendered pages of an item (what the reader will see, as the render check rendered it) (the original file is served by pages_review.original).

Both are access-checked like the item page: only people who may read the item's full text (the unit's reviewers and
officers, auditors) get them; other units' items do not exist for the caller."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from reviewer.accounts import access
from reviewer.accounts.access import FULL
from reviewer.actor import Actor
from reviewer.audit import events as audit
from reviewer.errors import NotFound
from reviewer.store.models import Item
from reviewer.web.deps import checked_id, database, html_errors, viewer
from reviewer.web.security import apply_headers
from reviewer.workflow import render_check
from reviewer.workflow.retention import PURGED_LABEL

router = APIRouter(include_in_schema=False)
READERS = ("reviewer", "officer", "auditor")


@dataclass
class PageView:
    number: int
    width: int
    height: int
    sha256: str
    ocr: str
    label: str = ""  # an archive member's page: `压缩包“a.zip” › b.pdf · 第1页`
    boxes: list[dict[str, object]] = field(default_factory=list)


@dataclass
class RenderedView:
    item_id: int
    state: str
    label: str
    error: str | None
    pages: list[PageView]
    kind: str = ""


def rendered_view(session: Session, item: Item) -> RenderedView | None:
    """What the `_rendered_pages.html` partial shows: pages with the findings' boxes (None: no render check)."""
    summary = render_check.summary(session, item.id)
    if summary is None:
        return None
    pages = [PageView(p.page, p.width, p.height, p.sha256, p.ocr, p.label or "")
             for p in render_check.pages_of(session, item.id)]
    by_number = {p.number: p for p in pages}
    for f in item.findings:
        if f.page in by_number and f.box:
            x0, y0, x1, y1 = json.loads(f.box)
            by_number[f.page].boxes.append({"id": f.id, "severity": f.severity, "x": x0, "y": y0, "w": max(1, x1 - x0),
                                            "h": max(1, y1 - y0), "title": f.message})
    return RenderedView(item.id, str(summary["state"]), str(summary["label"]), summary["error"], pages,  # type: ignore[arg-type]
                        str(summary["kind"]))


def _readable(request: Request, s: Session, item_id: int) -> Item:
    v = viewer(request, s, *READERS)
    item, level = access.readable_item(s, v.user, checked_id(item_id))
    if level != FULL:
        raise NotFound(f"稿件 {item_id} 不存在")
    _log_read(request, s, v, item)
    return item


_READ_LOGGED = "page_reads_logged"


def _log_read(request: Request, s: Session, v: Any, item: Item) -> None:
    """Page images are draft content: the first one a login session fetches of an item is an event (naming the person
    and the item); the other pages of that item in that session are the same reading."""
    seen: set[tuple[int | None, int]] = getattr(request.app.state, _READ_LOGGED, None) or set()
    key = (v.session_id, item.id)
    if key in seen:
        return
    if len(seen) > 100_000:
        seen.clear()
    seen.add(key)
    setattr(request.app.state, _READ_LOGGED, seen)
    audit.append(s, "draft_read", Actor.of_user(v.user, session_id=v.session_id), unit_code=item.unit.code, item_id=item.id,
                 data={"what": "page_images", "channel": "web"})


@router.get("/review/items/{item_id}/pages/{number}.png")
@html_errors
def page_image(request: Request, item_id: int, number: str) -> Response:
    with database(request).session() as s:
        item = _readable(request, s, item_id)
        wanted = int(number) if number.isdecimal() and len(number) < 6 else -1  # parsed here: errors stay pages
        page = next((p for p in render_check.pages_of(s, item.id) if p.page == wanted), None)
        if page is None:
            raise NotFound(f"稿件 {item_id} 没有第 {number} 页的渲染图像")
        if item.purged_at is not None or not page.png:
            raise NotFound(f"稿件 {item_id} 的页面图像{PURGED_LABEL}")
        png = page.png
    return apply_headers(Response(png, media_type="image/png", headers={"Cache-Control": "private, no-store"}))
