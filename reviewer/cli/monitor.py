"""`reviewer monitor --unit UNIT --url START_URL [--url …] [--max-pages N] [--from-dir DIR] [--format json|text]`

The 巡检 of a unit's public website: every same-origin page and attachment is matched with the unit's approved
versions (signed / changed / unsigned / unreadable) and scanned with the current rules.
Exit status: 0 every resource is signed and passes; 1 some resource is changed or unsigned or has a review/block
finding; 2 some resource could not be read completely (or the input is invalid) — 2 takes precedence over 1."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TextIO
from urllib.parse import urlsplit

from reviewer.errors import ReviewerError, RuleError

DESCRIPTION = (
    "巡检本单位的公开网站：逐页、逐个附件与本单位批准（已签署）的版本比对，并用当前规则审查。\n"
    "  signed 与签署版本一致；changed 签署后被改动；unsigned 未经审查签署；unreadable 无法完整读取。\n"
    "退出状态：0 全部与签署版本一致且未发现问题；1 有被改动或未经签署的内容，或有需审查/禁止发布的发现；"
    "2 有无法完整读取的内容（或参数有误），2 优先于 1。"
)


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    from reviewer.monitor.run import DEFAULT_MAX_PAGES

    p = subparsers.add_parser("monitor", help="巡检本单位公开网站（与签署版本比对并审查）", description=DESCRIPTION,
                              formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--unit", required=True, metavar="单位代码", help="单位代码（用其批准、已发布的版本比对）")
    p.add_argument("--url", action="append", required=True, metavar="起始地址",
                   help="起始网址（可重复；只抓取这些网址所在的网站，不跟随站外链接）")
    p.add_argument("--max-pages", type=int, default=DEFAULT_MAX_PAGES, metavar="页数",
                   help=f"最多抓取的网页数（默认 {DEFAULT_MAX_PAGES}，附件另计）")
    p.add_argument("--from-dir", metavar="目录", help="读取网站的离线镜像（wget --mirror 的目录结构），不联网")
    p.add_argument("--format", choices=["json", "text"], default="text", help="输出格式（默认 text）")
    p.set_defaults(handler=run)


def _bad_url(url: str) -> str | None:
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return f"起始地址“{url[:200]}”不是 http:// 或 https:// 开头的网址"
    return None


def run(args: argparse.Namespace) -> int:
    from reviewer.monitor.fetch import Politeness
    from reviewer.monitor.run import Options, monitor
    from reviewer.scan.scanner import Scanner

    for url in args.url:
        problem = _bad_url(url)
        if problem:
            print(f"错误：{problem}", file=sys.stderr)
            return 2
    if args.max_pages < 1:
        print("错误：--max-pages 至少为 1", file=sys.stderr)
        return 2
    from_dir = Path(args.from_dir) if args.from_dir else None
    if from_dir is not None and not from_dir.is_dir():
        print(f"错误：离线镜像目录“{args.from_dir}”不存在或不是目录", file=sys.stderr)
        return 2
    try:
        scanner = Scanner.load()
    except RuleError as exc:
        print(f"规则错误：{exc.message}", file=sys.stderr)
        return 2
    approved = _approved(args.unit)
    if isinstance(approved, str):
        print(f"错误：{approved}", file=sys.stderr)
        return 2
    report = monitor(args.url, approved, scanner, from_dir=from_dir,
                     options=Options(max_pages=args.max_pages, politeness=Politeness.from_env()))
    saved = _record(args.unit, args.url, report)
    if saved:
        print(saved, file=sys.stderr)
    out = sys.stdout
    if args.format == "json":
        for r in report.resources:
            out.write(json.dumps(r.to_json(), ensure_ascii=False) + "\n")
        out.write(json.dumps({"summary": report.summary(), "external": report.external,
                              "not_checked": report.not_checked, "robots": report.robots,
                              "rules_version": report.rules_version},
                             ensure_ascii=False) + "\n")
    else:
        print_report(out, args.unit, report)
    return report.exit_code()


def _approved(unit: str):  # noqa: ANN202
    """The unit's approved and released versions from the database, or a Chinese error."""
    from sqlalchemy.exc import SQLAlchemyError

    from reviewer.settings import Settings
    from reviewer.workflow.monitor import approved_versions
    from reviewer.workflow.runtime import open_database

    try:
        db = open_database(Settings.from_env())
    except ReviewerError as exc:
        return exc.message
    except (SQLAlchemyError, ValueError) as exc:
        return f"无法打开数据库（{type(exc).__name__}），请检查 REVIEWER_DATABASE_URL"
    try:
        with db.session() as session:
            return approved_versions(session, unit)
    except ReviewerError as exc:
        return exc.message
    except SQLAlchemyError as exc:
        return f"无法读取数据库（{type(exc).__name__}）：请确认数据库可用并已初始化（reviewer db upgrade）"
    finally:
        db.dispose()


def _record(unit: str, urls: list[str], report: object) -> str:
    """Store the run (history, alerts, review log) when the running system's tables are there; the report is printed
    either way. Returns a Chinese note for stderr, or ""."""
    from reviewer.workflow import monitoring

    return monitoring.record_from_cli(unit, urls, report)  # type: ignore[arg-type]


def print_report(out: TextIO, unit: str, report: object) -> None:
    from reviewer.monitor.model import KIND_LABEL, STATUS_LABEL, Report, Status
    from reviewer.scan.model import SEVERITY_LABEL, VERDICT_LABEL, Severity, Verdict

    assert isinstance(report, Report)
    s = report.summary()
    out.write(f"网站巡检报告（单位 {unit}）\n")
    out.write(f"巡检时间：{report.started_at} 至 {report.finished_at}（UTC）  规则版本：{report.rules_version}\n")
    out.write(f"共检查网页 {s['pages']} 个、附件 {s['attachments']} 个：与签署版本一致 {s['signed']}，签署后被改动 {s['changed']}，"
              f"未经审查签署 {s['unsigned']}，无法完整读取 {s['unreadable']}\n")
    problems = [r for r in report.resources if r.status is not Status.SIGNED or r.verdict is not Verdict.PASS]
    if not problems:
        out.write("\n未发现问题：所有网页和附件均与签署的版本一致，且按当前规则未发现问题。\n")
    else:
        out.write(f"\n问题页面（{len(problems)} 个）\n")
    for n, r in enumerate(problems, 1):
        out.write(f"\n{n}. [{KIND_LABEL[r.kind]}] {r.url}\n")
        if r.title:
            out.write(f"   标题：{r.title}\n")
        out.write(f"   状态：{STATUS_LABEL[r.status]}；审查结论：{VERDICT_LABEL[r.verdict]}\n")
        out.write(f"   原因：{r.reason or '—'}\n")
        if r.item_id is not None:
            out.write(f"   对应的审查记录：稿件编号 {r.item_id}\n")
            out.write(f"   签署人：{'、'.join(r.signers) or '（无记录）'}\n")
        elif r.status is Status.UNREADABLE:
            out.write("   对应的审查记录：无法判断（未能完整读取）\n")
        else:
            out.write("   对应的审查记录：无（没有与之相符的批准版本）\n")
        for d in r.differences[:10]:
            op = {"replace": "改为", "delete": "删去", "insert": "增加"}[d.op]
            out.write(f"   差异（{op}）：签署版本“{d.signed[:80]}” → 网上内容“{d.live[:80]}”\n")
        for f in r.findings:
            if f.severity == Severity.INFO:
                continue
            out.write(f"   [{SEVERITY_LABEL[f.severity]}] {f.message}（规则 {f.rule}，位置：{f.location or '正文'}）\n")
    if report.external:
        out.write(f"\n站外链接（只列出，未访问）：{len(report.external)} 个\n")
        for url in report.external[:50]:
            out.write(f"   {url}\n")
    if report.not_checked:
        out.write(f"\n超过页数上限未检查的网页：{len(report.not_checked)} 个（可用 --max-pages 调大）\n")
        for url in report.not_checked[:20]:
            out.write(f"   {url}\n")
    for note in report.robots:
        out.write(f"robots 规则：{note}\n")
