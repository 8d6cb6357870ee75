"""`reviewer rescan --released`: re-scan every released item with the current rules, fanned out over Celery."""

from __future__ import annotations

import argparse


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("rescan", help="用当前规则复扫已发布稿件（新发现形成发布后预警）")
    p.add_argument("--released", action="store_true", required=True, help="复扫全部已发布稿件")
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from reviewer.cli.worker import queue_enqueuer, report_failures
    from reviewer.settings import Settings
    from reviewer.workflow import rescan
    from reviewer.workflow.runtime import open_database

    settings = Settings.from_env()
    enqueuer = queue_enqueuer(settings)
    db = open_database(settings, enqueuer)
    try:
        with db.session() as session:
            ids = rescan.fan_out(session)
    finally:
        db.dispose()
    print(f"已安排 {len(ids)} 件已发布稿件的复扫任务（成功投递 {enqueuer.sent} 个）；新的“禁止发布/需人工审查”发现将形成发布后预警")
    return report_failures(enqueuer)
