"""`reviewer rescan --released`: re-scan every released item with the current rules, fanned out over Celery."""

from __future__ import annotations

import argparse


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("rescan", help="用当前规则复扫已发布及已批准待发布的稿件（新发现形成预警，发布前核验将拒绝）")
    p.add_argument("--released", action="store_true", required=True, help="复扫全部已发布稿件及已批准尚未发布的稿件")
    p.set_defaults(handler=run)


def _cli_actor():  # noqa: ANN202
    from reviewer.actor import SYSTEM, os_user

    return SYSTEM.__class__(SYSTEM.name, SYSTEM.role, None, "", os_user=os_user())


def run(args: argparse.Namespace) -> int:
    from reviewer.cli.worker import queue_enqueuer, report_failures
    from reviewer.settings import Settings
    from reviewer.workflow import rescan
    from reviewer.workflow.runtime import open_database

    settings = Settings.from_env()
    enqueuer = queue_enqueuer(settings)
    db = open_database(settings, enqueuer)
    try:
        from reviewer.workflow import rulelog
        from reviewer.workflow.jobs import ScannerCache

        scanner = ScannerCache(settings).get(db)  # the current rules, logged before any rescan uses them
        with db.session() as session:
            rulelog.ensure_logged(session, settings, scanner.ruleset, actor=_cli_actor())
        with db.session() as session:
            ids = rescan.fan_out(session)
    finally:
        db.dispose()
    print(f"规则集版本 {scanner.rules_version}；已安排 {len(ids)} 件已发布及已批准待发布稿件的复扫任务（成功投递 {enqueuer.sent} 个）；"
          "新的“禁止发布/需人工审查”发现将形成预警，发布前核验将拒绝")
    return report_failures(enqueuer)
