"""The sweeper: re-sends work whose queue message may have been lost (Redis restarted or flushed, a worker killed
before acking). Safe to run from several processes at once: every task it re-sends is idempotent.

Runs periodically inside every worker (workers/app.py) and on demand with `reviewer sweep`. An item being scanned
holds a lease (workflow/jobs.py) renewed while its scan runs: the sweeper leaves it alone until the lease runs
out (the worker died), so a slow scan is never started a second time on another worker."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from reviewer.audit import checkpoints
from reviewer.store.models import SCANNING, CallbackDelivery, Item, utcnow
from reviewer.workflow.runtime import enqueue
from reviewer.workflow.states import PENDING_SCAN

DEFAULT_AFTER_SECONDS = 60.0


@dataclass(frozen=True, slots=True)
class SweepReport:
    items: list[int]
    callbacks: list[int]


def sweep(
    session: Session, *, older_than_seconds: float = DEFAULT_AFTER_SECONDS, callbacks_older_than_seconds: float = 900.0, limit: int = 1000
) -> SweepReport:
    now = utcnow()
    cutoff = now - timedelta(seconds=older_than_seconds)
    # Callbacks retry themselves with backoff for several minutes; only re-send those whose retries were lost.
    callback_cutoff = utcnow() - timedelta(seconds=callbacks_older_than_seconds)
    items = list(
        session.execute(
            select(Item).where(
                Item.state.in_(PENDING_SCAN), or_(Item.enqueued_at.is_(None), Item.enqueued_at < cutoff),
                # not while a scan holds its lease
                or_(Item.state != SCANNING, Item.scan_lease_until.is_(None), Item.scan_lease_until < now),
            )
            .order_by(Item.id).limit(limit).with_for_update(of=Item, skip_locked=True)
        ).scalars()
    )
    for item in items:
        item.enqueued_at = now
        enqueue(session, "scan_item", item.id)
    deliveries = list(
        session.execute(
            select(CallbackDelivery).where(CallbackDelivery.status == "pending", CallbackDelivery.created_at < callback_cutoff)
            .order_by(CallbackDelivery.id).limit(limit)
        ).scalars()
    )
    for delivery in deliveries:
        enqueue(session, "deliver_callback", delivery.id)
    # the review log's time checkpoint when it is quiet, and checkpoints some external sink did not take yet
    checkpoints.checkpoint_now(session)
    checkpoints.redeliver(session)
    return SweepReport([i.id for i in items], [d.id for d in deliveries])
