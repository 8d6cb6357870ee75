"""Data retention: purge the drafts' bytes of items whose review ended before a cut-off (`reviewer purge`).

Purged: the submitted content (the original file; items.content becomes empty), the rendered page images
(render_pages.png and the visible text read from them) and the matched text and context of the findings (they quote the draft). Kept: every row, every
hash (content, document, pages, findings digest), the reviews, receipts and the whole review log — what binds the
approvals — so `reviewer audit verify` still passes: it accepts an empty body only for the items a `content_purged`
event names (audit.verify), and content deleted without one is still caught.

Only items whose review is over: released, rejected, returned or superseded, ended (released, decided, or
submitted when neither) before the cut-off, and with no open post-release alert. Never an item queued, scanning,
awaiting review or the officer, failed to scan or approved and not yet released.

`plan` is the dry run (counts only, changes nothing); `purge` acts in batches, each batch one transaction with
its event (who, cut-off, how many, which item ids)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, CursorResult, exists, func, select, update
from sqlalchemy.orm import Session

from reviewer.accounts.actor import Actor
from reviewer.audit import events as audit
from reviewer.store.models import REJECTED, RELEASED, RETURNED, SUPERSEDED, Alert, Finding, Item, RenderPage, utcnow

PURGEABLE = (RELEASED, REJECTED, RETURNED, SUPERSEDED)
BATCH = 200
PURGED_LABEL = "已按保存期限清除"


@dataclass(frozen=True, slots=True)
class PurgePlan:
    before: datetime
    item_ids: list[int]
    content_bytes: int
    page_images: int


def _ended() -> ColumnElement[datetime]:
    return func.coalesce(Item.released_at, Item.decided_at, Item.submitted_at)


def candidates(session: Session, before: datetime) -> list[int]:
    open_alert = exists().where(Alert.item_id == Item.id, Alert.resolved_at.is_(None))
    stmt = (select(Item.id).where(Item.state.in_(PURGEABLE), Item.purged_at.is_(None), _ended() < before, ~open_alert)
            .order_by(Item.id))
    return list(session.execute(stmt).scalars())


def plan(session: Session, before: datetime) -> PurgePlan:
    """What `purge` would remove (the dry run): changes nothing."""
    ids = candidates(session, before)
    size = pages = 0
    for start in range(0, len(ids), BATCH):
        chunk = ids[start:start + BATCH]
        size += int(session.execute(select(func.coalesce(func.sum(func.length(Item.content)), 0))
                                    .where(Item.id.in_(chunk))).scalar_one())
        pages += int(session.execute(select(func.count(RenderPage.id)).where(RenderPage.item_id.in_(chunk))).scalar_one())
    return PurgePlan(before, ids, size, pages)


def purge(session: Session, before: datetime, actor: Actor) -> PurgePlan:
    """Purge every candidate, one committed batch (rows + event) at a time."""
    ids = candidates(session, before)
    session.rollback()  # end the read: each batch below is its own transaction
    done: list[int] = []
    total_pages = 0
    for start in range(0, len(ids), BATCH):
        chunk = ids[start:start + BATCH]
        # re-check inside the batch's transaction: an item that changed meanwhile is left alone
        chunk = candidates_in(session, chunk, before)
        if not chunk:
            continue
        pages = _count(session.execute(update(RenderPage).where(RenderPage.item_id.in_(chunk)).values(png=b"", visible="")))
        texts = _count(session.execute(update(Finding).where(Finding.item_id.in_(chunk)).values(match="", context="")))
        session.execute(update(Item).where(Item.id.in_(chunk)).values(content=b"", purged_at=utcnow()))
        audit.append(session, "content_purged", actor,
                     data={"before": before.isoformat(), "count": len(chunk), "items": chunk, "page_images": pages,
                           "finding_texts": texts, "batch": start // BATCH + 1})
        session.commit()
        done.extend(chunk)
        total_pages += pages
    return PurgePlan(before, done, 0, total_pages)


def candidates_in(session: Session, ids: list[int], before: datetime) -> list[int]:
    open_alert = exists().where(Alert.item_id == Item.id, Alert.resolved_at.is_(None))
    stmt = select(Item.id).where(Item.id.in_(ids), Item.state.in_(PURGEABLE), Item.purged_at.is_(None), _ended() < before,
                                 ~open_alert).with_for_update()
    return list(session.execute(stmt).scalars())


def _count(result: object) -> int:
    return int(result.rowcount or 0) if isinstance(result, CursorResult) else 0
