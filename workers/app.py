"""The Celery app. Broker: Redis at REVIEWER_REDIS_URL. Start with `reviewer worker` (= `celery -A workers.app worker`).

Messages carry ids only. Tasks are acks_late + reject_on_worker_lost (a killed worker's task is delivered again) and
idempotent; every worker also runs the sweeper periodically (REVIEWER_SWEEP_INTERVAL seconds, default 30; items
pending longer than REVIEWER_SWEEP_AFTER seconds, default 60, are sent again), so a lost message is never a lost item.

Queues (QUEUES; `route_scan` decides): plain drafts go to `celery`, large drafts (over REVIEWER_LARGE_DRAFT_BYTES,
default 1 MiB) and container formats (PDF, Office, archives — the slow ones) to `scan_large`, so a big document never
holds up the small ones. A worker started without `-Q` consumes every queue; a deployment that wants small drafts to
flow under any load runs one worker per queue: `reviewer worker -Q celery -c 2` and `reviewer worker -Q scan_large`.

Fair share per unit (reviewer/workflow/fairshare.py): a scan or render message is a work token of its queue; the
worker that runs it claims the waiting draft of the unit that queue served least recently, so one unit's hundred
drafts never hold another unit's draft behind them. One token per draft: nothing is lost, only the order is fair.
Another component adds its queue by appending to QUEUES and, if it needs one, a router to ROUTERS."""

from __future__ import annotations

import logging
import os
import sys
import threading
from collections.abc import Callable
from typing import Any

from celery import Celery
from celery.signals import worker_init, worker_process_shutdown, worker_ready, worker_shutdown
from kombu import Queue

from reviewer.settings import Settings
from reviewer.store.permissions import InsecureStorage, secure_storage
from reviewer.store.session import Database
from reviewer.workflow import fairshare
from reviewer.workflow.jobs import ScannerCache, stop_scan_children
from reviewer.workflow.runtime import open_database
from reviewer.workflow.sweep import sweep

log = logging.getLogger(__name__)

SCAN_TASK = "reviewer.scan_item"
CALLBACK_TASK = "reviewer.deliver_callback"
RESCAN_TASK = "reviewer.rescan_released"
NOOP_TASK = "reviewer.noop"
RENDER_TASK = "reviewer.render_item"
RENDER_QUEUE = fairshare.RENDER_LANE  # "render": its own queue: the text scan reaches the reviewer while pages are rendered and read
MONITOR_TASK = "reviewer.monitor_site"
MONITOR_DUE_TASK = "reviewer.monitor_due"
MONITOR_QUEUE = "monitor"  # a site crawl takes minutes: never in front of a draft

DEFAULT_QUEUE = fairshare.SCAN_LANE  # "celery"
LARGE_QUEUE = fairshare.LARGE_LANE  # "scan_large"
QUEUES: list[str] = [DEFAULT_QUEUE, LARGE_QUEUE, RENDER_QUEUE, MONITOR_QUEUE]
# What each queue carries, for `reviewer worker --help`, `/api/v1/health` and docs/operations.md (one list).
QUEUE_DESCRIPTIONS: dict[str, str] = {
    DEFAULT_QUEUE: "默认队列：纯文本/HTML 小稿件的扫描、回调投递、已发布稿件复扫",
    LARGE_QUEUE: "大稿件（超过 REVIEWER_LARGE_DRAFT_BYTES，默认 1 MiB）和 PDF、Office、压缩包等容器格式的扫描",
    RENDER_QUEUE: "显示内容核对（按读者看到的样子渲染并 OCR 识别）",
    MONITOR_QUEUE: "网站巡检（reviewer monitor 的定时任务：抓取本单位公开网站并与签署版本比对）",
}
HEAVY_SUFFIXES = fairshare.HEAVY_SUFFIXES


def route_scan(settings: Settings, size: int | None = None, file_name: str = "") -> str:
    """The queue of a scan task: `scan_large` for big drafts and slow container formats, else the default
    (workflow.fairshare.lane_of: the same rule the fair claim uses in SQL)."""
    return fairshare.lane_of(settings, size, file_name)


# task name -> router(settings, **hints) -> queue name; tasks without a router go to the default queue.
ROUTERS: dict[str, Callable[..., str]] = {}


def make_celery(settings: Settings) -> Celery:
    app = Celery("reviewer")
    app.conf.update(
        broker_url=str(settings.redis_url),
        broker_connection_retry_on_startup=True,
        broker_transport_options={"visibility_timeout": 3600, "socket_connect_timeout": 3, "socket_timeout": 10},
        broker_pool_limit=10,
        task_ignore_result=True,
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        task_serializer="json",
        accept_content=["json"],
        worker_prefetch_multiplier=1,
        worker_hijack_root_logger=False,
        task_publish_retry_policy={"max_retries": 2, "interval_start": 0, "interval_step": 0.2, "interval_max": 0.5},
        enable_utc=True,
        # A worker started without `-Q` consumes every queue; dedicated renderers: `reviewer worker -Q render`.
        task_default_queue=DEFAULT_QUEUE,
        task_queues=[Queue(name, routing_key=name) for name in QUEUES],
        task_routes={RENDER_TASK: {"queue": RENDER_QUEUE}, MONITOR_TASK: {"queue": MONITOR_QUEUE}},
        # the 巡检 schedule (`reviewer worker -B`, or a separate `celery -A workers.app beat`): every
        # REVIEWER_MONITOR_BEAT seconds the due units' runs are claimed and queued (workflow.monitoring.claim_due)
        beat_schedule={"monitor-due": {"task": MONITOR_DUE_TASK, "schedule": float(os.environ.get("REVIEWER_MONITOR_BEAT", "60"))}},
        beat_schedule_filename=str(settings.data_dir / "celerybeat-schedule"),
    )
    return app


class CeleryEnqueuer:
    """The workflow's Enqueuer interface on top of Celery (send_task by name: no import of the task bodies)."""

    accepts_hints = True  # runtime.enqueue passes size/file_name for routing

    def __init__(self, app: Celery, settings: Settings | None = None) -> None:
        self.app = app
        self.settings = settings or Settings.from_env()

    def _queue(self, task: str, **hints: Any) -> str:
        router = ROUTERS.get(task)
        return router(self.settings, **hints) if router is not None else DEFAULT_QUEUE

    def scan_item(self, item_id: int, **hints: Any) -> None:
        # a work token of the draft's lane (workflow/fairshare.py): the worker scans the fair next draft of that lane
        queue = self._queue(SCAN_TASK, **hints)
        self.app.send_task(SCAN_TASK, args=[item_id], kwargs={"lane": queue}, queue=queue)

    def deliver_callback(self, delivery_id: int, **hints: Any) -> None:
        self.app.send_task(CALLBACK_TASK, args=[delivery_id], queue=self._queue(CALLBACK_TASK, **hints))

    def rescan_released(self, item_id: int, **hints: Any) -> None:
        self.app.send_task(RESCAN_TASK, args=[item_id], queue=self._queue(RESCAN_TASK, **hints))

    def render_item(self, item_id: int, **hints: Any) -> None:
        self.app.send_task(RENDER_TASK, args=[item_id], queue=RENDER_QUEUE)


ROUTERS[SCAN_TASK] = lambda settings, size=None, file_name="", **_: route_scan(settings, size, file_name)
ROUTERS[RESCAN_TASK] = ROUTERS[SCAN_TASK]


settings = Settings.from_env()
app = make_celery(settings)


class _Process:
    """Per-process resources, created lazily after the prefork fork (a database pool must not cross a fork)."""

    def __init__(self) -> None:
        self.pid = -1
        self._db: Database | None = None
        self._scanners: ScannerCache | None = None

    @property
    def db(self) -> Database:
        if self._db is None or self.pid != os.getpid():
            self.pid = os.getpid()
            self._db = open_database(settings, CeleryEnqueuer(app, settings), pool_size=2)
            self._scanners = None
        return self._db

    @property
    def scanners(self) -> ScannerCache:
        _ = self.db
        if self._scanners is None:
            self._scanners = ScannerCache(settings)
        return self._scanners


process = _Process()
_stop = threading.Event()


# Held while the sweeper uses the database; a fork of this process waits for it (os.register_at_fork below). SQLite
# keeps a process's WAL locks in memory shared by all its connections: a pool child forked while the main process's
# sweeper held the write lock inherits that state, and none of its connections can ever write ("database is locked"
# on every task, the items stuck in `scanning`). Forked between two sweeps, a child inherits no lock and writes.
FORK_GUARD = threading.Lock()
os.register_at_fork(before=FORK_GUARD.acquire, after_in_parent=FORK_GUARD.release,
                    after_in_child=FORK_GUARD.release)


def _sweeper(interval: float, after: float) -> None:
    while not _stop.wait(interval):
        try:
            with FORK_GUARD:
                with process.db.session() as session:
                    report = sweep(session, older_than_seconds=after)
                _sweep_renders(max(after, RENDER_SWEEP_AFTER, 3 * settings.render_time_limit))
            if report.items or report.callbacks:
                log.warning("补投：重新发送了 %d 件稿件、%d 个回调", len(report.items), len(report.callbacks))
        except Exception as exc:  # noqa: BLE001 - the sweeper must survive a database or broker outage
            log.warning("补投失败（%s），下一周期再试", type(exc).__name__)


RENDER_SWEEP_AFTER = 900.0  # longer than a render check may take (REVIEWER_RENDER_TIME_LIMIT, default 300 s; 3× it)


def _sweep_renders(after: float) -> None:
    from reviewer.workflow.render_check import pending_ids

    with process.db.session() as session:
        ids = pending_ids(session, after)
    for item_id in ids:
        CeleryEnqueuer(app).render_item(item_id)


@worker_init.connect
def _secure_storage(**_: Any) -> None:
    """At start: data directory 0700, files 0600 (fixed), or refuse to run (SystemExit is not swallowed by Celery)."""
    try:
        secure_storage(settings.data_dir, str(settings.database_url))
    except InsecureStorage as exc:
        log.critical("%s", exc.message)
        print(f"错误：{exc.message}", file=sys.stderr)
        raise SystemExit(2)


@worker_ready.connect
def _start_sweeper(**_: Any) -> None:
    interval = float(os.environ.get("REVIEWER_SWEEP_INTERVAL") or 30)
    after = float(os.environ.get("REVIEWER_SWEEP_AFTER") or 60)
    if interval > 0:
        threading.Thread(target=_sweeper, args=(interval, after), name="reviewer-sweeper", daemon=True).start()


@worker_shutdown.connect
def _stop_sweeper(**_: Any) -> None:
    _stop.set()
    stop_scan_children()


@worker_process_shutdown.connect
def _stop_pool_children(**_: Any) -> None:  # a prefork pool process's own scan child
    stop_scan_children()


import workers.tasks  # noqa: E402,F401  - registers the tasks on `app`
