"""What the workflow needs from its surroundings, reached through `session.info["runtime"]` (set by store.Database).

The workflow never imports the API, the pages or Celery: it hands work to an `Enqueuer` after commit. With no
enqueuer (unit tests, a page-only process) nothing is sent and the sweeper picks the items up later."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any, Protocol

from sqlalchemy.orm import Session

from reviewer.settings import Settings
from reviewer.store.session import Database, on_commit

log = logging.getLogger(__name__)


class Enqueuer(Protocol):
    """`scan_item` may also accept keyword hints (`size`, `file_name`) to route the task (workers/app.py); an
    enqueuer whose scan_item takes only the id gets only the id."""

    def scan_item(self, item_id: int) -> None: ...

    def deliver_callback(self, delivery_id: int) -> None: ...

    def rescan_released(self, item_id: int) -> None: ...


@dataclass
class Runtime:
    settings: Settings
    enqueuer: Enqueuer | None = None


def runtime_of(session: Session) -> Runtime:
    runtime = session.info.get("runtime")
    if runtime is None:
        raise RuntimeError("session has no runtime; build it with reviewer.workflow.runtime.open_database(settings)")
    return runtime


def enqueue(session: Session, task: str, object_id: int) -> None:
    """Send `task(object_id)` once the current transaction has committed. A broker failure is logged, never raised:
    the row is already durable and the sweeper re-sends it."""
    runtime = session.info.get("runtime")
    if runtime is None or runtime.enqueuer is None:
        return
    send = getattr(runtime.enqueuer, task)
    hints = _hints(session, task, object_id) if getattr(runtime.enqueuer, "accepts_hints", False) else {}

    def _send() -> None:
        try:
            send(object_id, **hints)
        except Exception as exc:  # noqa: BLE001 - broker down: the sweeper recovers; the cause is logged
            log.warning("任务 %s(%s) 未能送入消息队列，将由补投重新发送（%s）", task, object_id, type(exc).__name__)

    on_commit(session, _send)


def _hints(session: Session, task: str, object_id: int) -> dict[str, Any]:
    """What a router needs to pick a queue: the draft's size and file name (from the session when the item is
    loaded already, else one small query — never the content itself)."""
    if task not in ("scan_item", "rescan_released"):
        return {}
    from sqlalchemy import func, select
    from sqlalchemy.orm.util import identity_key

    from reviewer.store.models import Item

    loaded = session.identity_map.get(identity_key(Item, object_id))
    if loaded is not None and "content" in loaded.__dict__:
        return {"size": len(loaded.content or b""), "file_name": loaded.file_name or ""}
    row = session.execute(select(func.length(Item.content), Item.file_name).where(Item.id == object_id)).first()
    if row is None:
        return {}
    return {"size": int(row[0] or 0), "file_name": row[1] or ""}


def open_database(settings: Settings, enqueuer: Enqueuer | None = None, *, pool_size: int = 5) -> Database:
    """The one way processes (API, pages, workers, CLI) open the database with the workflow runtime wired in."""
    return Database(str(settings.database_url), info={"runtime": Runtime(settings, enqueuer)}, pool_size=pool_size)
