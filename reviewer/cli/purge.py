"""`reviewer purge --before DATE | --older-than DAYS [--yes]`: the retention purge (workflow.retention).

A dry run by default (what would be purged, nothing changed); `--yes` purges and logs it. Dates are Beijing time."""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime, timedelta


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("purge", help="按保存期限清除已结束审查的稿件内容、原始文件与页面图像（默认只预览；审查日志与哈希保留）")
    when = p.add_mutually_exclusive_group(required=True)
    when.add_argument("--before", metavar="日期", help="清除在此日期（北京时间 0 时）之前结束审查的稿件，如 2025-01-01")
    when.add_argument("--older-than", metavar="天数", type=int, help="清除结束审查已超过这么多天的稿件（0 表示所有已结束审查的稿件）")
    p.add_argument("--yes", action="store_true", help="确认执行清除（不加此项只预览将清除哪些稿件，不做任何改动）")
    p.set_defaults(handler=run)


def cutoff(args: argparse.Namespace) -> datetime | str:
    """The cut-off (UTC), or the Chinese reason the arguments are not one."""
    from reviewer.audit.statistics import BEIJING

    # A cut-off at or after now is allowed: it selects every review that has ended (never one still open).
    if args.older_than is not None:
        if args.older_than < 0 or args.older_than > 36500:
            return f"--older-than 的值 {args.older_than} 无效：应为 0 到 36500 之间的整数天数"
        return datetime.now(UTC) - timedelta(days=args.older_than)
    raw = args.before.strip()
    try:
        day = datetime.fromisoformat(raw.replace("/", "-"))
    except ValueError:
        return f"--before 的值“{raw[:40]}”不是日期：应如 2025-01-01 或 2025-01-01T08:00（北京时间）"
    if day.tzinfo is None:
        day = day.replace(tzinfo=BEIJING)
    return day.astimezone(UTC)


def run(args: argparse.Namespace) -> int:
    from reviewer.audit.statistics import BEIJING
    from reviewer.cli.admin import _operator
    from reviewer.render.pagecache import CACHE_DIR, forget_before
    from reviewer.settings import Settings
    from reviewer.workflow import retention
    from reviewer.workflow.runtime import open_database

    before = cutoff(args)
    if isinstance(before, str):
        print(f"{before}，未做任何清除", file=sys.stderr)
        return 2
    shown = before.astimezone(BEIJING).strftime("%Y-%m-%d %H:%M（北京时间）")
    settings = Settings.from_env()
    db = open_database(settings)
    try:
        with db.session() as s:
            if not args.yes:
                p = retention.plan(s, before)
                print(f"预览（未做任何改动）：{shown} 之前结束审查的稿件 {len(p.item_ids)} 件，正文与原始文件共 {p.content_bytes} 字节，"
                      f"页面图像 {p.page_images} 张将被清除；审查日志、哈希、签署与回执保留")
                if p.item_ids:
                    print("确认后加 --yes 执行清除")
                return 0
            who = _operator(s)
            done = retention.purge(s, before, who)
            # the render check's page cache holds pages' visible text: its entries from before the cut-off go too
            cached = forget_before(settings.data_dir / CACHE_DIR, before.timestamp())
            print(f"已清除 {shown} 之前结束审查的稿件 {len(done.item_ids)} 件的内容（页面图像 {done.page_images} 张，"
                  f"显示内容核对的页面缓存 {cached} 条）；已记入审查日志，reviewer audit verify 仍可校验")
            return 0
    finally:
        db.dispose()
