"""Thin tasks: ids in, call reviewer.workflow.jobs, nothing else. Retries only on transient errors."""

from __future__ import annotations

import logging

from celery import Task
from kombu.exceptions import OperationalError as BrokerError
from redis.exceptions import ConnectionError as RedisConnectionError
from sqlalchemy.exc import InterfaceError, OperationalError

from reviewer.workflow import callbacks, jobs
from workers.app import (
    CALLBACK_TASK,
    MONITOR_DUE_TASK,
    MONITOR_QUEUE,
    MONITOR_TASK,
    NOOP_TASK,
    RENDER_TASK,
    RESCAN_TASK,
    SCAN_TASK,
    app,
    process,
)

log = logging.getLogger(__name__)

TRANSIENT = (OperationalError, InterfaceError, BrokerError, RedisConnectionError, ConnectionError, TimeoutError)
RETRY = {"autoretry_for": TRANSIENT, "retry_backoff": 1, "retry_backoff_max": 60, "retry_jitter": True, "max_retries": 8}


@app.task(name=SCAN_TASK, bind=True, acks_late=True, **RETRY)
def scan_item(self: Task, item_id: int, lane: str | None = None) -> str:
    """A work token of a scan lane (workflow/fairshare.py): scans the waiting draft of the unit served least recently
    (`item_id` is the draft it was sent for; `lane` its queue — older messages without one use the draft's)."""
    scanned, outcome = jobs.run_next_scan(process.db, process.scanners, lane, int(item_id))
    log.info("扫描令牌（为稿件 %s 发出，队列 %s）：处理的稿件 %s，结果 %s", item_id, lane, scanned, outcome)
    return outcome


@app.task(name=RENDER_TASK, bind=True, acks_late=True, time_limit=900, **RETRY)
def render_item(self: Task, item_id: int) -> str:
    """A work token of the render queue (`render`): the render check of the unit served least recently is read as a
    reader sees it; approval waits for it."""
    checked, outcome = jobs.run_next_render(process.db, process.scanners)
    log.info("渲染核对令牌（为稿件 %s 发出）：处理的稿件 %s，结果 %s", item_id, checked, outcome)
    return outcome


@app.task(name=RESCAN_TASK, bind=True, acks_late=True, **RETRY)
def rescan_released(self: Task, item_id: int) -> str:
    outcome = jobs.run_rescan(process.db, process.scanners, int(item_id))
    log.info("发布后复扫：稿件 %s，结果 %s", item_id, outcome)
    return outcome


@app.task(name=CALLBACK_TASK, bind=True, acks_late=True, **RETRY)
def deliver_callback(self: Task, delivery_id: int) -> str:
    status = jobs.run_callback(process.db, int(delivery_id))
    log.info("回调投递：投递记录 %s，状态 %s", delivery_id, status)
    if status == "pending":
        # The receiver is down or answered non-2xx: try again later (the decision itself is already recorded).
        raise self.retry(countdown=min(2 ** self.request.retries, 300), max_retries=callbacks.MAX_ATTEMPTS + 2)
    return status


@app.task(name=NOOP_TASK, acks_late=True)
def noop(n: int = 0) -> int:
    """The engine's own ceiling (bench/pipeline.py): a task that does nothing."""
    return n


@app.task(name=MONITOR_DUE_TASK, acks_late=True)
def monitor_due() -> int:
    """The beat's tick: claim the units whose 巡检 is due and queue one run each."""
    from reviewer.workflow import monitoring

    with process.db.session() as session:
        due = monitoring.claim_due(session)
    for unit_id in due:
        app.send_task(MONITOR_TASK, args=[unit_id], queue=MONITOR_QUEUE)
    return len(due)


@app.task(name=MONITOR_TASK, bind=True, acks_late=True, time_limit=6 * 3600)
def monitor_site(self: Task, unit_id: int) -> str:
    from reviewer.workflow import monitoring

    outcome = monitoring.run_site(process.db, process.scanners.for_unit(process.db, int(unit_id)), int(unit_id))
    log.info("网站巡检：单位 %s，结果 %s", unit_id, outcome)
    return outcome
