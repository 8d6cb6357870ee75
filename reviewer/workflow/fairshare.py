"""A fair share of the scan and render queues per unit.

The queue message of a scan or render check is a *work token*, not an order: every draft sends one token to its lane
(`celery` for small plain drafts, `scan_large` for big and container drafts, `render` for the render check), and a
worker that runs a token claims the waiting draft of the unit its lane served least recently (`queue_turns`), the
oldest draft of that unit first. So one CMS that submits a hundred heavy drafts cannot hold another unit's draft
behind them: the other unit's draft is taken at the next free turn, after at most one draft of every other waiting
unit (plus what the workers are already doing). The number of tokens equals the number of drafts — nothing is lost,
and the sweeper still re-sends the token of a draft left waiting — only the order is fair.

The claim is atomic: the draft's row is locked (PostgreSQL: `FOR UPDATE SKIP LOCKED`; SQLite: every writer holds the
database lock, `BEGIN IMMEDIATE`) and moved to `scanning` with a lease (scan) or given a lease (render check) in the
same transaction, so two workers never take the same draft.

    lane_of(settings, size, file_name) -> lane        which scan lane a draft belongs to (workers/app.py routes by it)
    claim_scan(session, settings, lane) -> item id | None
    claim_render(session, settings) -> item id | None
    waits(session, settings) -> list[QueueWait]       what waits in each lane, per unit (officer page, /metrics)"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import PurePosixPath
from typing import Any

from sqlalchemy import ColumnElement, and_, func, not_, or_, select
from sqlalchemy.orm import Session

from reviewer.settings import Settings
from reviewer.store.models import SCANNING, Item, QueueTurn, RenderCheck, Unit, utcnow
from reviewer.workflow.states import PENDING_SCAN

SCAN_LANE = "celery"  # the default Celery queue: small plain drafts
LARGE_LANE = "scan_large"  # big drafts and container formats
RENDER_LANE = "render"
SCAN_LANES = (SCAN_LANE, LARGE_LANE)
LANE_LABEL = {SCAN_LANE: "文本扫描", LARGE_LANE: "大稿件扫描", RENDER_LANE: "显示内容核对"}

HEAVY_SUFFIXES = frozenset({".pdf", ".doc", ".docx", ".docm", ".xls", ".xlsx", ".xlsm", ".ppt", ".pptx", ".odt", ".ods",
                            ".odp", ".rtf", ".wps", ".et", ".dps", ".zip", ".ofd"})


def lane_of(settings: Settings, size: int | None = None, file_name: str = "") -> str:
    """The scan lane of a draft: `scan_large` for big drafts and slow container formats, else the default."""
    if size is not None and size > settings.large_draft_bytes:
        return LARGE_LANE
    if PurePosixPath((file_name or "").lower()).suffix in HEAVY_SUFFIXES:
        return LARGE_LANE
    return SCAN_LANE


def _heavy(settings: Settings) -> ColumnElement[bool]:
    """lane_of in SQL (a draft whose lane the two disagree on is still scanned: its own token falls back to it)."""
    name = func.lower(Item.file_name)
    return or_(func.length(Item.content) > settings.large_draft_bytes,
               *[name.like(f"%_{suffix}") for suffix in sorted(HEAVY_SUFFIXES)])


def _in_lane(settings: Settings, lane: str) -> ColumnElement[bool]:
    return _heavy(settings) if lane == LARGE_LANE else not_(_heavy(settings))


def _scan_waiting(now: datetime) -> ColumnElement[bool]:
    """Waiting for a scan: queued, or `scanning` whose lease ran out (its worker died)."""
    return and_(Item.state.in_(PENDING_SCAN),
                or_(Item.state != SCANNING, Item.scan_lease_until.is_(None), Item.scan_lease_until < now))


def _render_waiting(now: datetime) -> ColumnElement[bool]:
    return and_(RenderCheck.state == "pending", or_(RenderCheck.lease_until.is_(None), RenderCheck.lease_until < now))


def _units_in_turn(session: Session, lane: str, waiting: Any, *joins: Any) -> list[int]:
    """The units with a waiting draft in `lane`, least recently served first (never served first of all), ties by
    the oldest waiting draft."""
    oldest = select(Item.unit_id.label("unit_id"), func.min(Item.id).label("oldest"))
    for join in joins:
        oldest = oldest.join(*join)
    sub = oldest.where(waiting).group_by(Item.unit_id).subquery()
    turns = select(QueueTurn.unit_id, QueueTurn.served).where(QueueTurn.lane == lane).subquery()
    rows = session.execute(
        select(sub.c.unit_id).outerjoin(turns, turns.c.unit_id == sub.c.unit_id)
        .order_by(func.coalesce(turns.c.served, 0), sub.c.oldest)
    ).scalars()
    return list(rows)


def _served(session: Session, lane: str, unit_id: int) -> None:
    """The unit's turn in the lane: the lane's counter + 1 (two workers that claim at once may share a number: the
    tie is broken by the oldest draft, nothing is lost)."""
    top = session.execute(select(func.coalesce(func.max(QueueTurn.served), 0)).where(QueueTurn.lane == lane)).scalar_one()
    values = {"lane": lane, "unit_id": unit_id, "served": int(top) + 1, "served_at": utcnow()}
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        pg = pg_insert(QueueTurn).values(**values)
        session.execute(pg.on_conflict_do_update(index_elements=["lane", "unit_id"],
                                                 set_={"served": pg.excluded.served, "served_at": pg.excluded.served_at}))
        return
    from sqlalchemy.dialects.sqlite import insert as sqlite_insert

    lite = sqlite_insert(QueueTurn).values(**values)
    session.execute(lite.on_conflict_do_update(index_elements=["lane", "unit_id"],
                                               set_={"served": lite.excluded.served, "served_at": lite.excluded.served_at}))


def claim_scan(session: Session, settings: Settings, lane: str) -> int | None:
    """The next draft to scan in `lane`, its row locked in this transaction (the caller moves it to `scanning` with a
    lease before committing), or None when nothing waits that another worker is not taking right now."""
    now = utcnow()
    waiting = and_(_scan_waiting(now), _in_lane(settings, lane))
    for unit_id in _units_in_turn(session, lane, waiting):
        item_id = session.execute(
            select(Item.id).where(waiting, Item.unit_id == unit_id).order_by(Item.id).limit(1)
            .with_for_update(of=Item, skip_locked=True)
        ).scalar()
        if item_id is not None:
            _served(session, lane, unit_id)
            return int(item_id)
    return None


def render_lease_seconds(settings: Settings) -> float:
    """How long a claimed render check is left to its worker: three times the render time limit (the task's own hard
    limit is 900 s), at least a minute. A dead worker's check is claimed again once it runs out."""
    return max(60.0, 3 * settings.render_time_limit)


def claim_render(session: Session, settings: Settings) -> int | None:
    """The next item whose render check to run, its check leased in this transaction, or None."""
    now = utcnow()
    waiting = _render_waiting(now)
    join = (RenderCheck, RenderCheck.item_id == Item.id)
    for unit_id in _units_in_turn(session, RENDER_LANE, waiting, join):
        item_id = session.execute(
            select(Item.id).join(*join).where(waiting, Item.unit_id == unit_id).order_by(Item.id).limit(1)
            .with_for_update(of=Item, skip_locked=True)
        ).scalar()
        if item_id is None:
            continue
        check = session.get(RenderCheck, item_id)
        if check is None:  # pragma: no cover - the join found it
            continue
        check.lease_until = now + timedelta(seconds=render_lease_seconds(settings))
        _served(session, RENDER_LANE, unit_id)
        return int(item_id)
    return None


@dataclass(frozen=True, slots=True)
class QueueWait:
    """What waits in one lane for one unit: drafts not yet taken and how long the oldest has waited (seconds)."""

    unit: str
    unit_name: str
    lane: str
    waiting: int
    oldest_seconds: float

    @property
    def lane_label(self) -> str:
        return LANE_LABEL.get(self.lane, self.lane)


def _age(now: datetime, then: datetime | None) -> float:
    if then is None:
        return 0.0
    if then.tzinfo is None:  # SQLite returns naive UTC
        from datetime import UTC

        then = then.replace(tzinfo=UTC)
    return max(0.0, (now - then).total_seconds())


def waits(session: Session, settings: Settings) -> list[QueueWait]:
    """Per unit and lane: drafts waiting for a worker (not yet taken) and the age of the oldest (since submission for
    a scan, since the text scan for a render check). Counts and ages only: no titles or file names."""
    now = utcnow()
    out: list[QueueWait] = []
    for lane in SCAN_LANES:
        rows = session.execute(
            select(Unit.code, Unit.name, func.count(), func.min(Item.submitted_at)).join(Unit, Unit.id == Item.unit_id)
            .where(_scan_waiting(now), _in_lane(settings, lane)).group_by(Unit.code, Unit.name)
        ).all()
        out.extend(QueueWait(code, name, lane, int(n), _age(now, oldest)) for code, name, n, oldest in rows)
    rows = session.execute(
        select(Unit.code, Unit.name, func.count(), func.min(RenderCheck.requested_at))
        .join(Item, Item.id == RenderCheck.item_id).join(Unit, Unit.id == Item.unit_id)
        .where(_render_waiting(now)).group_by(Unit.code, Unit.name)
    ).all()
    out.extend(QueueWait(code, name, RENDER_LANE, int(n), _age(now, oldest)) for code, name, n, oldest in rows)
    return sorted(out, key=lambda w: (w.unit, list(LANE_LABEL).index(w.lane)))
