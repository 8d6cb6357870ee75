"""`reviewer audit verify|head|export|stats`: the review log and the yearly figures, read-only.

verify exits 1 and names the first broken event when a row was edited, deleted or reordered in the database, when
the chain no longer matches a signed checkpoint of the external witness (REVIEWER_CHECKPOINT_DIR or --checkpoints),
and names every item, review, disposition or receipt row the log does not explain; head prints the chain head to
record outside the system (pass it back with --expect-head); checkpoint signs the head now; checkpoint-key prints
the public key an auditor checks checkpoints with."""

from __future__ import annotations

import argparse
import sys
import unicodedata
from collections.abc import Callable, Sequence
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    audit = sub.add_parser("audit", help="审查日志校验、链头、导出与统计").add_subparsers(
        dest="audit_command", metavar="子命令", required=True
    )
    v = audit.add_parser("verify", help="校验整条审查日志的哈希链；断裂时指出第一条出问题的事件并以非零状态退出")
    v.add_argument("--expect-head", default="", help="此前在系统外记录的链头哈希（64 位十六进制，可发现链尾被删除）")
    v.add_argument("--checkpoints", action="append", default=[], metavar="路径",
                   help="外部检查点文件或目录（可多次指定；默认 REVIEWER_CHECKPOINT_DIR）")
    v.add_argument("--checkpoint-key", default="", metavar="PEM文件",
                   help="检查点验签公钥（reviewer audit checkpoint-key 或 reviewer keys list --pem 的输出，审计员自行保存的副本，"
                        "可含多把公钥；只接受其中的密钥；默认用数据目录密钥登记册中的全部检查点密钥）")
    v.set_defaults(handler=verify)
    c = audit.add_parser("checkpoint", help="立即签署当前链头并写入外部检查点（可由 cron 定时调用）")
    c.set_defaults(handler=checkpoint_cmd)
    k = audit.add_parser("checkpoint-key", help="打印检查点验签公钥（PEM），供审计员在系统外保存")
    k.set_defaults(handler=checkpoint_key_cmd)
    h = audit.add_parser("head", help="打印当前链头（序号与哈希），供在系统外记录")
    h.set_defaults(handler=head)
    from reviewer.audit.queries import DISPOSITION_LABEL

    e = audit.add_parser("export", help="按检索条件导出稿件与签署记录（含每条发现的处置与理由），或用 --log 导出审查日志（CSV 或 XLSX）；"
                                        "导出本身记入审查日志")
    e.add_argument("--format", choices=["csv", "xlsx"], default="csv")
    e.add_argument("--out", required=True, help="输出文件；- 表示标准输出（仅 CSV）")
    e.add_argument("--log", action="store_true", help="导出审查日志的事件（每条一句中文），而不是稿件")
    e.add_argument("--since", help="提交日期（导出日志时为事件日期）起（含），YYYY-MM-DD，北京时间")
    e.add_argument("--until", help="提交日期（导出日志时为事件日期）止（含），YYYY-MM-DD")
    e.add_argument("--unit", default="", help="单位代码")
    e.add_argument("--reviewer", default="", help="签署人用户名")
    e.add_argument("--decision", choices=["approve", "reject", "return"], default=None)
    e.add_argument("--rule", default="", help="规则编号或类别")
    e.add_argument("--disposition", choices=[*DISPOSITION_LABEL, "exception"], default=None,
                   help="只导出有发现被标为该处置的稿件（" + "、".join(f"{k}：{v}" for k, v in DISPOSITION_LABEL.items())
                        + "）；exception：例外批准的稿件。与 --log 同用时：只导出标为该处置的处置事件")
    e.add_argument("--item-id", type=int, default=None)
    e.add_argument("--external-id", default="")
    e.add_argument("--actor", default="", help="（--log）操作人的用户名或姓名")
    e.add_argument("--action", default="", help="（--log）事件类型，如 exception_approval（例外批准）、login（登录）")
    e.set_defaults(handler=export_cmd)
    st = audit.add_parser("stats", help="按年或月、按单位的统计（政府信息公开工作年度报告用）")
    st.add_argument("--year", type=int, required=True)
    st.add_argument("--month", type=int, default=None)
    st.add_argument("--unit", default="", help="只统计此单位")
    st.add_argument("--rules", action="store_true", help="同时列出各规则命中与误报占比")
    st.add_argument("--format", choices=["table", "csv", "xlsx"], default="table")
    st.add_argument("--out", default="-", help="csv/xlsx 输出文件（xlsx 必须指定）")
    st.set_defaults(handler=stats_cmd)


def _with_session(fn: Callable[[Any], int]) -> int:
    from sqlalchemy.exc import OperationalError, ProgrammingError

    from reviewer.settings import Settings
    from reviewer.workflow.runtime import open_database

    db = open_database(Settings.from_env())
    try:
        with db.session() as s:
            return fn(s)
    except (OperationalError, ProgrammingError) as exc:
        # Not a chain break: the database could not be read at all (down, or never initialised).
        print(f"无法读取数据库（{type(exc.orig).__name__}）：请检查 REVIEWER_DATABASE_URL，新库请先运行 reviewer db upgrade", file=sys.stderr)
        return 3
    finally:
        db.dispose()


def _valid_head(value: str) -> str | None:
    value = value.strip().lower()
    return value if len(value) == 64 and all(c in "0123456789abcdef" for c in value) else None


def verify(args: argparse.Namespace) -> int:
    from reviewer.audit import keyring
    from reviewer.audit import verify as audit_verify
    from reviewer.audit.checkpoints import checkpoint_trust
    from reviewer.audit.exports import fmt_time
    from reviewer.audit.keyring import Trust
    from reviewer.settings import Settings

    expected = None
    if args.expect_head.strip():
        expected = _valid_head(args.expect_head)
        if expected is None:
            print(f"--expect-head 的值“{args.expect_head.strip()[:80]}”不是链头哈希：应为 64 位十六进制数字"
                  "（reviewer audit head 输出的第二行），未执行校验", file=sys.stderr)
            return 2
    settings = Settings.from_env()
    from reviewer.audit import checkpoints as cps

    paths = [Path(p) for p in args.checkpoints] or cps.verify_paths(settings)
    for p in paths:
        if not p.exists():
            print(f"检查点路径 {p} 不存在，未执行校验", file=sys.stderr)
            return 2
    public: Trust | None = None
    if args.checkpoint_key:
        try:
            public = keyring.pinned(Path(args.checkpoint_key).read_text(encoding="utf-8"), "checkpoint",
                                    checkpoint_trust(settings))
        except (OSError, UnicodeDecodeError):
            public = None
        if public is None:
            print(f"{args.checkpoint_key} 不是 Ed25519 公钥（PEM），未执行校验", file=sys.stderr)
            return 2

    def run(s: Any) -> int:
        report = audit_verify.run(s, expected_head=expected, checkpoint_key=public, checkpoint_paths=paths, settings=settings)
        chain = report.chain
        if chain.expected_found is not None:
            seq, at = chain.expected_found
            print(f"外部记录的链头是第 {seq} 号事件（记录于 {fmt_time(at) or '—'}，北京时间），在链中找到且之前的记录完整。")
        if paths:
            print(f"签名检查点：读取 {report.checkpoints_read} 个（{report.checkpoint_source}），与链吻合 {chain.checkpoints_matched} 个"
                  + (f"，最后吻合的是第 {chain.last_checkpoint} 号事件" if chain.last_checkpoint else ""))
        for warning in report.anchor_warnings:
            print(f"！！！{warning}", file=sys.stderr)
        for r in report.checkpoints_rejected:
            print(f"检查点无效：{r}", file=sys.stderr)
        for w in report.key_warnings[:50]:
            print(f"！！！不可信的回执：{w}", file=sys.stderr)
        if not chain.ok:
            b = chain.broken
            assert b is not None
            where = f"第 {b.seq} 号事件" + (f"（记录 id {b.event_id}）" if b.event_id is not None else "")
            print(f"校验未通过：{where}处断裂。{b.reason}", file=sys.stderr)
            print(f"此前 {chain.checked} 条事件校验无误（至第 {chain.head_seq} 号）。", file=sys.stderr)
            return 1
        if report.unexplained_total:
            print(f"校验未通过：哈希链完整（{chain.checked} 条事件），但有 {report.unexplained_total} 处数据库记录没有审查日志依据：",
                  file=sys.stderr)
            for line in report.unexplained:
                print(f"  - {line}", file=sys.stderr)
            if report.unexplained_total > len(report.unexplained):
                print(f"  …… 另有 {report.unexplained_total - len(report.unexplained)} 处未列出", file=sys.stderr)
            return 1
        if report.checkpoints_rejected:
            print("校验未通过：外部检查点中有无效的记录（见上）", file=sys.stderr)
            return 1
        print(f"校验通过：共 {chain.checked} 条事件，哈希链完整；{report.rows_checked} 条稿件、签署、处置与回执记录均有日志依据。")
        print(f"链头：第 {chain.head_seq} 号  {chain.head_hash}")
        return 0

    return _with_session(run)


def checkpoint_cmd(args: argparse.Namespace) -> int:
    from reviewer.audit import checkpoints

    def run(s: Any) -> int:
        cp = checkpoints.checkpoint_now(s, force=True)
        if cp is None:
            print("链头自上个检查点以来没有变化（或日志为空），无需新检查点")
            return 0
        seq = cp.seq
        s.commit()
        print(f"已签署第 {seq} 号事件的检查点（写入数据目录" + ("及外部见证" if checkpoints.witness_configured(s.info["runtime"].settings)
                                                           else "；未配置外部见证 REVIEWER_CHECKPOINT_DIR 等") + "）")
        return 0

    return _with_session(run)


def checkpoint_key_cmd(args: argparse.Namespace) -> int:
    from reviewer.audit.checkpoints import checkpoint_key
    from reviewer.settings import Settings

    key = checkpoint_key(Settings.from_env())
    print(key.public_pem(), end="")
    print(f"# key_id {key.key_id}", file=sys.stderr)
    return 0


def head(args: argparse.Namespace) -> int:
    from reviewer.audit import queries as audit_query
    from reviewer.audit.exports import fmt_time

    def run(s: Any) -> int:
        h = audit_query.head(s)
        print(f"链头序号 {h.seq}  时间 {fmt_time(h.at) or '—'}（北京时间）")
        print(h.hash)
        return 0

    return _with_session(run)


def _day(value: str | None, end: bool = False) -> datetime | None:
    from reviewer.audit.statistics import BEIJING

    if not value:
        return None
    d = date.fromisoformat(value)
    start = datetime(d.year, d.month, d.day, tzinfo=BEIJING)
    return start + timedelta(days=1) if end else start


ITEM_QUERY: tuple[str, ...] = ("since", "until", "unit", "reviewer", "decision", "rule", "disposition", "item_id", "external_id")
LOG_QUERY: tuple[str, ...] = ("since", "until", "unit", "actor", "action", "item_id")


def export_cmd(args: argparse.Namespace) -> int:
    from reviewer.audit import exports as export
    from reviewer.audit import queries as audit_query
    from reviewer.audit.events import ACTIONS
    from reviewer.settings import Settings
    from reviewer.web import names

    try:
        since, until = _day(args.since), _day(args.until, end=True)
    except ValueError:
        print("日期应为 YYYY-MM-DD 格式", file=sys.stderr)
        return 2
    if since and until and since >= until:
        print(f"起始日期 {args.since} 晚于截止日期 {args.until}：请对调或修改日期", file=sys.stderr)
        return 2
    if args.format == "xlsx" and args.out == "-":
        print("XLSX 须用 --out 指定文件", file=sys.stderr)
        return 2
    if not args.log and (args.actor or args.action):
        print("--actor 与 --action 只用于导出审查日志（--log）", file=sys.stderr)
        return 2
    if args.log and args.action and args.action not in ACTIONS:
        print(f"没有“{args.action[:64]}”这种事件；可用：" + "、".join(f"{k}（{v}）" for k, v in ACTIONS.items()), file=sys.stderr)
        return 2
    dirs = names.rule_directories(Settings.from_env())

    def run(s: Any) -> int:
        from sqlalchemy import or_, select

        from reviewer.audit import events as audit_events
        from reviewer.cli.admin import _operator
        from reviewer.errors import ReviewerError
        from reviewer.store.models import User
        from reviewer.workflow.fingerprints import registered_titles

        registered = registered_titles(s)

        def rule_title(rule: str) -> str:
            return registered.get(rule) or names.rule_title(rule, "", dirs)

        if args.log:
            actors: tuple[str, ...] = ()
            if args.actor:
                actors = tuple(s.scalars(select(User.username).where(or_(
                    User.username == args.actor, User.display_name.contains(args.actor, autoescape=True)))))
                if not actors:
                    print(f"没有姓名或用户名为“{args.actor[:100]}”的账号", file=sys.stderr)
                    return 2
            disposition = args.disposition if args.disposition in audit_query.DISPOSITION_LABEL else ""
            action = "disposition" if disposition else "exception_approval" if args.disposition == "exception" else args.action
            if args.disposition and args.action and action != args.action:
                print("--disposition 与 --action 只能给一个", file=sys.stderr)
                return 2
            ef = audit_query.EventFilter(since=since, until=until, unit_code=args.unit, actors=actors, action=action,
                                         item_id=args.item_id, disposition=disposition)
            events, _ = audit_query.search_events(s, ef, limit=10_000_000)
            people = {u: d for u, d in s.execute(select(User.username, User.display_name)) if d}
            header, table = export.event_table(events, lambda e: names.event_columns(e, people, dirs))
            sheets = [("审查日志", header, table)]
            count, keys = len(events), LOG_QUERY
        else:
            f = audit_query.ItemFilter(
                since=since, until=until, unit_code=args.unit, reviewer=args.reviewer, decision=args.decision or "",
                rule=args.rule, item_id=args.item_id, external_id=args.external_id,
                disposition="" if args.disposition in (None, "exception") else args.disposition,
                exception=args.disposition == "exception")
            rows = audit_query.search_items(s, f, limit=1_000_000)
            header, table = export.item_table(rows, rule_title)
            sheets = [("检索结果", header, table),
                      ("处置与理由", *export.disposition_table(rows, rule_title, names.location))]
            count, keys = len(rows), ITEM_QUERY
        data = export.to_csv(header, table) if args.format == "csv" else export.to_xlsx(sheets)
        # taking records out of the system is an event, naming the account (when proven) and the OS user
        query = {k: v for k, v in vars(args).items() if k in keys and v}
        try:
            who = _operator(s)
        except ReviewerError as exc:
            print(f"错误：{exc.message}", file=sys.stderr)
            return 1
        audit_events.append(s, "export", who, data={"format": args.format, "rows": count, "channel": "cli", "query": query,
                                                     **({"exported": "log"} if args.log else {})})
        s.commit()
        _write(args.out, data)
        what = "条审查日志事件" if args.log else "条记录"
        print(f"已导出 {count} {what}" + ("" if args.out == "-" else f"到 {args.out}"), file=sys.stderr)
        return 0

    return _with_session(run)



def _write(out: str, data: bytes) -> None:
    if out == "-":
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
    else:
        Path(out).write_bytes(data)


def stats_cmd(args: argparse.Namespace) -> int:
    from reviewer.audit import exports as export
    from reviewer.audit.statistics import Period, compute, report_paragraph

    try:
        period = Period(args.year, args.month)
    except ValueError as exc:
        print(str(exc), file=sys.stderr)
        return 2
    if args.format == "xlsx" and args.out == "-":
        print("XLSX 须用 --out 指定文件", file=sys.stderr)
        return 2

    from reviewer.settings import Settings
    from reviewer.web import names

    dirs = names.rule_directories(Settings.from_env())

    def run(s: Any) -> int:
        from reviewer.workflow.fingerprints import registered_titles

        registered = registered_titles(s)
        st = compute(s, period, unit_code=args.unit)
        tables = export.stats_tables(st, numeric=args.format != "table",
                                     rule_title=lambda rule: registered.get(rule) or names.rule_title(rule, "", dirs))
        if not args.rules:
            tables = tables[:1]
        if args.format == "xlsx":
            _write(args.out, export.to_xlsx(tables))
        elif args.format == "csv":
            _write(args.out, b"".join(export.to_csv(h, rows) for _, h, rows in tables))
        else:
            for i, (title, header, rows) in enumerate(tables):
                if i:
                    print()
                print(f"保密审查统计：{title}（北京时间）")
                print(render_table(header, rows))
            print()
            print("可用于政府信息公开工作年度报告的表述：")
            print(report_paragraph(st))
        return 0

    return _with_session(run)


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def render_table(header: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """A plain-text table aligned for CJK (wide characters count double)."""
    cells = [[str(h) for h in header], *[["" if v is None else str(v) for v in row] for row in rows]]
    widths = [max(_width(r[i]) for r in cells) for i in range(len(header))]

    def line(r: list[str]) -> str:
        out = []
        for i, c in enumerate(r):
            pad = " " * (widths[i] - _width(c))
            out.append(c + pad if i == 0 else pad + c)
        return "  ".join(out).rstrip()

    sep = "  ".join("-" * w for w in widths)
    return "\n".join([line(cells[0]), sep, *(line(r) for r in cells[1:])])
