"""`reviewer rescan --released`: re-scan released items with the current rules, fanned out over Celery — only the
items of units whose rule scope changed since their scan (docs/rules.md); `--all` re-scans every released item."""

from __future__ import annotations

import argparse


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("rescan", help="用当前规则复扫已发布稿件（新发现形成发布后预警）")
    p.add_argument("--released", action="store_true", required=True,
                   help="复扫已发布稿件：只复扫规则范围有变化的单位（稿件记录的规则集版本与该单位当前规则不同）")
    p.add_argument("--unit", action="append", default=None, metavar="CODE", help="只复扫这些单位（可重复）")
    p.add_argument("--all", action="store_true", help="不论规则是否变化，复扫全部已发布稿件")
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    import sys

    from reviewer.errors import ReviewerError
    from reviewer.settings import Settings
    from reviewer.workflow import rescan, scopes
    from reviewer.workflow.runtime import open_database
    from workers.app import CeleryEnqueuer, make_celery

    settings = Settings.from_env()
    db = open_database(settings, CeleryEnqueuer(make_celery(settings)))
    try:
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
    print(f"已投递 {len(ids)} 件已发布稿件的复扫任务（单位：{'、'.join(units) or '无——各单位规则均未变化'}）；"
          "新的“禁止发布/需人工审查”发现将形成发布后预警")
    return 0
