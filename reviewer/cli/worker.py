"""`reviewer worker [celery arguments]` and `reviewer sweep`."""

from __future__ import annotations

import argparse
import os
import sys


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


def run_sweep(args: argparse.Namespace) -> int:
    from reviewer.settings import Settings
    from reviewer.workflow.runtime import open_database
    from reviewer.workflow.sweep import sweep
    from workers.app import CeleryEnqueuer, make_celery

    settings = Settings.from_env()
    db = open_database(settings, CeleryEnqueuer(make_celery(settings)))
    try:
        with db.session() as session:
            report = sweep(session, older_than_seconds=args.older_than)
    finally:
        db.dispose()
    print(f"重新投递：稿件 {len(report.items)} 件，回调 {len(report.callbacks)} 个")
    return 0
