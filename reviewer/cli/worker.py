"""`reviewer worker [celery arguments]` and `reviewer sweep`."""

from __future__ import annotations

import argparse
import os
import sys
from typing import Any


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    # prefix_chars="+": every argument after `worker` (--concurrency 2, -c 2, --pool=solo …) goes to Celery untouched.
    p = sub.add_parser("worker", help="启动 Celery 扫描进程（其余参数原样传给 celery worker）", prefix_chars="+", add_help=False)
    p.add_argument("celery_args", nargs=argparse.REMAINDER, help="例如 --concurrency 2 --loglevel INFO")
    p.set_defaults(handler=run_worker)
    s = sub.add_parser("sweep", help="重新投递长时间未扫描的稿件和未送达的回调（Redis 丢失消息后的补救）")
    s.add_argument("--older-than", type=float, default=60.0, help="超过多少秒仍未完成的才重新投递（默认 60）")
    s.set_defaults(handler=run_sweep)


def run_worker(args: argparse.Namespace) -> int:
    extra = [a for a in args.celery_args if a != "--"]
    argv = [sys.executable, "-m", "celery", "-A", "workers.app", "worker", *extra]
    if not any(a.startswith("--loglevel") or a == "-l" for a in extra):
        argv.append("--loglevel=INFO")
    os.execv(sys.executable, argv)
    return 0  # pragma: no cover


class RecordingEnqueuer:
    """The Celery enqueuer, counting what was sent and what failed: the workflow logs a failed enqueue and carries on
    (the row is durable), but a person who ran a command must hear that nothing reached the queue."""

    accepts_hints = True

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.sent = 0
        self.failed: list[str] = []

    def _send(self, task: str, object_id: int, **hints: Any) -> None:
        try:
            getattr(self.inner, task)(object_id, **hints)
        except Exception as exc:
            from reviewer.errors import exception_zh

            self.failed.append(exception_zh(exc))
            raise
        self.sent += 1

    def scan_item(self, item_id: int, **hints: Any) -> None:
        self._send("scan_item", item_id, **hints)

    def deliver_callback(self, delivery_id: int, **hints: Any) -> None:
        self._send("deliver_callback", delivery_id, **hints)

    def rescan_released(self, item_id: int, **hints: Any) -> None:
        self._send("rescan_released", item_id, **hints)

    def render_item(self, item_id: int, **hints: Any) -> None:
        self._send("render_item", item_id, **hints)


def queue_enqueuer(settings: Any) -> RecordingEnqueuer:
    """A recording enqueuer on REVIEWER_REDIS_URL, after checking that Redis answers (ReviewerError if it does not:
    nothing is changed in the database then)."""
    import redis

    from reviewer.errors import ServiceUnavailable
    from workers.app import CeleryEnqueuer, make_celery

    try:
        redis.Redis.from_url(str(settings.redis_url), socket_connect_timeout=3, socket_timeout=3).ping()
    except redis.RedisError as exc:
        reason = "口令错误" if isinstance(exc, redis.AuthenticationError) else "无法连接"
        raise ServiceUnavailable(f"Redis（队列，REVIEWER_REDIS_URL）{reason}：未投递任何任务，数据库未作改动。"
                                 "请先启动 redis-server 或检查地址与口令")
    return RecordingEnqueuer(CeleryEnqueuer(make_celery(settings), settings))


def report_failures(enqueuer: RecordingEnqueuer) -> int:
    if not enqueuer.failed:
        return 0
    reasons = "、".join(sorted(set(enqueuer.failed)))
    print(f"错误：{len(enqueuer.failed)} 个任务未能投递到 Redis（{reasons}），已投递 {enqueuer.sent} 个；"
          "工作进程的定时补投会在 Redis 恢复后重试，也可稍后再运行本命令", file=sys.stderr)
    return 3


def run_sweep(args: argparse.Namespace) -> int:
    from reviewer.settings import Settings
    from reviewer.workflow.runtime import open_database
    from reviewer.workflow.sweep import sweep

    settings = Settings.from_env()
    enqueuer = queue_enqueuer(settings)
    db = open_database(settings, enqueuer)
    try:
        with db.session() as session:
            report = sweep(session, older_than_seconds=args.older_than)
    finally:
        db.dispose()
    print(f"重新投递：稿件 {len(report.items)} 件，回调 {len(report.callbacks)} 个（成功投递 {enqueuer.sent} 个任务）")
    return report_failures(enqueuer)
