"""Operations endpoints: `/api/v1/health` (each component, non-200 when one is down) and `/metrics` (Prometheus text).

Health checks, each bounded by a short timeout so that a hung component makes the answer 503, not a hung request:
  database  SELECT 1 and the schema at the migration head
  redis     PING on REVIEWER_REDIS_URL
  workers   Celery `inspect active_queues` (1 s): every queue of workers.app.QUEUES needs a worker consuming it
            (the monitor queue only once a unit has a scheduled 巡检)
  render    the render engines of this machine (PDFium, OCR, LibreOffice, Chromium; reviewer.render.engines)
The answer carries no secrets: component states, counts, queue names and Chinese reasons."""

from __future__ import annotations

import os
import secrets
import time
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, PlainTextResponse

from reviewer.web.security import apply_headers
from reviewer.workflow import fairshare

router = APIRouter(tags=["运维"])
WORKER_TIMEOUT = 1.0
REDIS_TIMEOUT = 1.0


def _check_database(request: Request) -> dict[str, Any]:
    from sqlalchemy import text

    from reviewer.store.migrate import current_head, current_revision, known_revision

    try:
        with request.app.state.db.session() as session:
            session.execute(text("SELECT 1"))
            current = current_revision(session.connection())
    except Exception as exc:  # noqa: BLE001 - any failure here is "the database is down"; its class is shown
        return {"ok": False, "detail": f"无法连接数据库（{type(exc).__name__}）"}
    head = current_head()
    if current == head:
        return {"ok": True, "revision": current}
    if current is not None and not known_revision(current):  # migrated by a newer release: a rollout in progress
        return {"ok": True, "revision": current, "detail": f"数据库结构比本程序（{head}）新：升级过程中，请尽快升级本进程"}
    return {"ok": False, "revision": current,
            "detail": f"数据库结构版本 {current or '无'}，本程序需要 {head}：请运行 reviewer db upgrade"}


def _redis_client(url: str) -> Any:
    import redis

    return redis.Redis.from_url(url, socket_connect_timeout=REDIS_TIMEOUT, socket_timeout=REDIS_TIMEOUT)


def _check_redis(url: str) -> dict[str, Any]:
    try:
        _redis_client(url).ping()
    except Exception as exc:  # noqa: BLE001
        return {"ok": False, "detail": f"无法连接 Redis（{type(exc).__name__}）"}
    return {"ok": True}


def _check_workers(request: Request, redis_ok: bool) -> dict[str, Any]:
    from workers.app import MONITOR_QUEUE, QUEUES, make_celery

    queues: dict[str, list[str]] = {q: [] for q in QUEUES}
    if redis_ok:
        app = getattr(request.app.state, "ops_celery", None)
        if app is None:
            app = request.app.state.ops_celery = make_celery(request.app.state.settings)
        try:
            replies = app.control.inspect(timeout=WORKER_TIMEOUT).active_queues() or {}
        except Exception:  # noqa: BLE001 - the broker went away between the checks: no worker is known
            replies = {}
        for worker, consumed in replies.items():
            for q in consumed or []:
                if q.get("name") in queues:
                    queues[q["name"]].append(worker)
    # the 巡检 queue needs a worker only once a unit has a scheduled crawl (reviewer units set --monitor-every)
    idle = [q for q, workers in queues.items() if not workers and (q != MONITOR_QUEUE or _monitor_scheduled(request))]
    out: dict[str, Any] = {"ok": not idle, "queues": {q: len(w) for q, w in queues.items()}}
    if idle:
        out["detail"] = f"以下队列没有工作进程：{'、'.join(idle)}（reviewer worker -Q {','.join(idle)}）"
    return out


def _monitor_scheduled(request: Request) -> bool:
    from sqlalchemy import select

    from reviewer.store.models import MonitorSite

    try:
        with request.app.state.db.session() as s:
            return s.execute(select(MonitorSite.unit_id).where(MonitorSite.every_seconds.is_not(None)).limit(1)).first() is not None
    except Exception:  # noqa: BLE001 - the database check reports the database; here: count the queue as needed
        return True


def _check_render() -> dict[str, Any]:
    from reviewer.render.engines import missing

    gone = missing()
    return {"ok": not gone, **({"detail": "缺少渲染引擎：" + "；".join(gone)} if gone else {})}


@router.get("/api/v1/health", summary="健康检查：数据库、Redis、各队列的工作进程、渲染引擎")
def health(request: Request) -> JSONResponse:
    settings = request.app.state.settings
    started = time.monotonic()
    redis = _check_redis(str(settings.redis_url))
    components = {
        "database": _check_database(request),
        "redis": redis,
        "workers": _check_workers(request, redis["ok"]),
        "render": _check_render(),
    }
    ok = all(c["ok"] for c in components.values())
    body = {
        "status": "ok" if ok else "degraded",
        "components": components,
        "seconds": round(time.monotonic() - started, 3),
        # `reviewer stack` checks that the API answering on its port is the one it started
        "instance": os.environ.get("REVIEWER_INSTANCE_ID", ""),
    }
    return JSONResponse(body, status_code=200 if ok else 503)


def _line(out: list[str], name: str, value: float, labels: dict[str, str] | None = None) -> None:
    if labels:
        inner = ",".join(f'{k}="{_escape(v)}"' for k, v in labels.items())
        out.append(f"{name}{{{inner}}} {_num(value)}")
    else:
        out.append(f"{name} {_num(value)}")


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def _num(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:.3f}"


def _meta(out: list[str], name: str, kind: str, text: str) -> None:
    out.append(f"# HELP {name} {text}")
    out.append(f"# TYPE {name} {kind}")


def render_metrics(request: Request) -> str:
    from reviewer.workflow.metrics import collect
    from workers.app import QUEUES

    settings = request.app.state.settings
    out: list[str] = []
    database_up = 1
    waits: list[fairshare.QueueWait] = []
    try:
        with request.app.state.db.session() as session:
            m = collect(session)
            waits = fairshare.waits(session, settings)
    except Exception:  # noqa: BLE001 - the scrape still answers: reviewer_up{component="database"} 0
        database_up, m = 0, None
    depths: dict[str, int] = {}
    redis_up = 1
    try:
        client = _redis_client(str(settings.redis_url))
        depths = {q: int(client.llen(q)) for q in QUEUES}
    except Exception:  # noqa: BLE001
        redis_up = 0
    _meta(out, "reviewer_up", "gauge", "1 if the component answers (database, redis)")
    _line(out, "reviewer_up", database_up, {"component": "database"})
    _line(out, "reviewer_up", redis_up, {"component": "redis"})
    _meta(out, "reviewer_queue_depth", "gauge", "messages waiting in each Celery queue")
    for q in QUEUES:
        if q in depths:
            _line(out, "reviewer_queue_depth", depths[q], {"queue": q})
    if m is not None:
        _meta(out, "reviewer_items", "gauge", "items per state")
        for state, n in sorted(m.items_by_state.items()):
            _line(out, "reviewer_items", n, {"state": state})
        _meta(out, "reviewer_oldest_awaiting_review_seconds", "gauge", "age of the oldest item awaiting review")
        _line(out, "reviewer_oldest_awaiting_review_seconds", m.oldest_awaiting_seconds)
        _meta(out, "reviewer_unit_awaiting_review", "gauge", "items awaiting review per unit")
        for u in m.units:
            _line(out, "reviewer_unit_awaiting_review", u.awaiting, {"unit": u.unit})
        _meta(out, "reviewer_unit_wait_seconds", "gauge", "age of the oldest item awaiting review per unit")
        for u in m.units:
            _line(out, "reviewer_unit_wait_seconds", u.oldest_seconds, {"unit": u.unit})
        # the fair share of the scan and render queues (workflow/fairshare.py): what waits for a worker, per unit
        _meta(out, "reviewer_unit_queue_waiting", "gauge", "drafts waiting in a scan or render queue per unit")
        for w in waits:
            _line(out, "reviewer_unit_queue_waiting", w.waiting, {"unit": w.unit, "queue": w.lane})
        _meta(out, "reviewer_unit_queue_wait_seconds", "gauge",
              "age of the oldest draft waiting in a scan or render queue per unit")
        for w in waits:
            _line(out, "reviewer_unit_queue_wait_seconds", w.oldest_seconds, {"unit": w.unit, "queue": w.lane})
        _meta(out, "reviewer_scans_last_minute", "gauge", "scans finished in the last 60 seconds")
        _line(out, "reviewer_scans_last_minute", m.scans_last_minute)
        _meta(out, "reviewer_scan_failures_last_minute", "gauge", "scans that failed in the last 60 seconds")
        _line(out, "reviewer_scan_failures_last_minute", m.scan_failures_last_minute)
        _meta(out, "reviewer_render_checks_last_minute", "gauge", "render checks finished in the last 60 seconds")
        _line(out, "reviewer_render_checks_last_minute", m.render_checks_last_minute)
        _meta(out, "reviewer_render_failures_last_minute", "gauge", "render checks that failed in the last 60 seconds")
        _line(out, "reviewer_render_failures_last_minute", m.render_failures_last_minute)
        _meta(out, "reviewer_render_checks", "gauge", "render checks per state")
        for state, n in sorted(m.render_checks_by_state.items()):
            _line(out, "reviewer_render_checks", n, {"state": state})
        _meta(out, "reviewer_audit_events_total", "counter", "events in the review log")
        _line(out, "reviewer_audit_events_total", m.events_total)
    return "\n".join(out) + "\n"


@router.get("/metrics", summary="Prometheus 指标（队列深度、各单位等待、每分钟扫描与核对、失败、最久待审）")
def metrics(request: Request) -> PlainTextResponse:
    token = str(request.app.state.settings.metrics_token)
    if token:
        given = request.headers.get("authorization", "").removeprefix("Bearer ").strip()
        if not secrets.compare_digest(given.encode(), token.encode()):
            return apply_headers(PlainTextResponse("需要指标令牌（REVIEWER_METRICS_TOKEN）\n", status_code=401))  # type: ignore[return-value]
    return apply_headers(  # type: ignore[return-value]
        PlainTextResponse(render_metrics(request), media_type="text/plain; version=0.0.4; charset=utf-8"))
