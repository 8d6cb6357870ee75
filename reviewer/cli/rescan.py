"""`reviewer rescan --released`: re-scan released items with the current rules, fanned out over Celery — only the
items of units whose rule scope changed since their scan (docs/rules.md); `--all` re-scans every released item."""

from __future__ import annotations

import argparse


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("rescan", help="用当前规则复扫已发布及已批准待发布的稿件（新发现形成预警，发布前核验将拒绝）")
    p.add_argument("--released", action="store_true", required=True,
                   help="复扫已发布及已批准尚未发布的稿件：只复扫规则有变化的单位（稿件记录的规则集版本与该单位当前规则不同）")
    p.add_argument("--unit", action="append", default=None, metavar="单位代码", help="只复扫这些单位（可重复）")
    p.add_argument("--all", action="store_true", help="不论规则是否变化，复扫全部已发布及已批准待发布的稿件")
    p.set_defaults(handler=run)


def _cli_actor():  # noqa: ANN202
    from reviewer.actor import SYSTEM, os_user

    return SYSTEM.__class__(SYSTEM.name, SYSTEM.role, None, "", os_user=os_user())


def run(args: argparse.Namespace) -> int:
    import sys

    from reviewer.cli.worker import queue_enqueuer, report_failures
    from reviewer.errors import ReviewerError
    from reviewer.settings import Settings
    from reviewer.workflow import rescan, scopes
    from reviewer.workflow.runtime import open_database

    settings = Settings.from_env()
    enqueuer = queue_enqueuer(settings)
    db = open_database(settings, enqueuer)
    try:
        from sqlalchemy import select

        from reviewer.store.models import Unit
        from reviewer.workflow import rulelog
        from reviewer.workflow.jobs import ScannerCache, scope_key

        # the rules in force for each unit's drafts, logged before any rescan uses them (a unit with a rule scope of
        # its own has a version of its own; the others share the deployment-wide one)
        cache = ScannerCache(settings)
        with db.session() as session:
            codes = list(session.scalars(select(Unit.code).order_by(Unit.code)))
        versions: set[str] = set()
        for code in codes:
            with db.session() as session:
                scope = scopes.scope_for(session, settings, code)
            scanner = cache.get(db, scope=scope)
            versions.add(scanner.rules_version)
            with db.session() as session:
                rulelog.ensure_logged(session, settings, scanner.ruleset, actor=_cli_actor(), unit_code=scope_key(scope))
        with db.session() as session:
            if args.all:
                ids = rescan.fan_out(session, units=args.unit)
                units = sorted({c for c in (args.unit or [])}) or ["全部单位"]
            else:
                stale = scopes.stale_released(session, settings, args.unit)
                ids = rescan.fan_out(session, item_ids=[i for v in stale.values() for i in v])
                units = sorted(stale)
    except ReviewerError as exc:
        print(f"错误：{exc.message}", file=sys.stderr)
        return 1
    finally:
        db.dispose()
    print(f"规则集版本 {'、'.join(sorted(versions)) or '—'}；已安排 {len(ids)} 件已发布及已批准待发布稿件的复扫任务（成功投递 {enqueuer.sent} 个；"
          f"单位：{'、'.join(units) or '无——各单位规则均未变化'}）；新的“禁止发布/需人工审查”发现将形成预警，发布前核验将拒绝")
    return report_failures(enqueuer)
