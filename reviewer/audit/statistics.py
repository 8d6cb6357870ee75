"""Yearly and monthly figures by unit for the 政府信息公开工作年度报告 and for rule owners.

Periods are calendar years/months in Beijing time (UTC+8), the time the reports are written in.
Definitions (each count is of item versions, 一事一审):
- submitted: submitted in the period;
- scanned: scan finished in the period with a verdict (pass/review/block); flagged_*: of those, items with at least one
  finding of that severity;
- scan_failed: items that could not be scanned (fail closed), dated by their scan (or submission) time;
- approved / rejected / returned: items whose final sign-off fell in the period (an approval waiting for the secrecy
  officer's co-sign is not final yet);
- exceptions: items approved by exception (例外批准: a finding still standing — 须修改, or 属实但可公开 at block/review level — approved anyway) by a unit sign-off
  in the period;
- fixed: findings (block or review) of versions returned for revision in the period that the author's next version no
  longer holds (same rule and matched text): 发现并整改 N 处;
- alerts: post-release alerts raised in the period;
- median_hours: median time from submission to the final sign-off, for the items signed off in the period;
- expression_found: 表述问题 (findings of the expression and titles rules, 严重表述错误, that count toward the verdict)
  in the versions scanned in the period; expression_fixed: of those, the ones the draft's latest later scanned version
  no longer has (same rule, same wording; counted as a multiset, so one of two identical miswritings fixed is one).
Per rule: hits and items among scans in the period, and of the findings a reviewer disposed, the share marked 误报."""

from __future__ import annotations

import statistics
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from reviewer.scan.model import SEVERITY_LABEL as _SEVERITY_LABEL
from reviewer.store.models import AWAITING_OFFICER, SCAN_FAILED, Alert, Disposition, Finding, Item, Review, Unit

BEIJING = timezone(timedelta(hours=8), "北京时间")
SEVERITY_LABEL = {str(k): v for k, v in _SEVERITY_LABEL.items()}


def as_utc(at: datetime) -> datetime:
    """SQLite gives back naive datetimes; they are stored in UTC."""
    return at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)


@dataclass(frozen=True, slots=True)
class Period:
    year: int
    month: int | None = None

    @property
    def start(self) -> datetime:
        return datetime(self.year, self.month or 1, 1, tzinfo=BEIJING).astimezone(UTC)

    @property
    def end(self) -> datetime:
        if self.month is None or self.month == 12:
            return datetime(self.year + 1, 1, 1, tzinfo=BEIJING).astimezone(UTC)
        return datetime(self.year, self.month + 1, 1, tzinfo=BEIJING).astimezone(UTC)

    @property
    def label(self) -> str:
        return f"{self.year}年" + (f"{self.month}月" if self.month else "")

    def __post_init__(self) -> None:
        if not 1900 <= self.year <= 9998:
            raise ValueError(f"年份 {self.year} 不在有效范围内")
        if self.month is not None and not 1 <= self.month <= 12:
            raise ValueError(f"月份 {self.month} 应为 1–12")


@dataclass(slots=True)
class UnitStats:
    unit_code: str
    unit_name: str
    submitted: int = 0
    scanned: int = 0
    flagged_block: int = 0
    flagged_review: int = 0
    flagged_info: int = 0
    approved: int = 0
    rejected: int = 0
    returned: int = 0
    scan_failed: int = 0
    exceptions: int = 0
    fixed: int = 0
    alerts: int = 0
    expression_found: int = 0
    expression_fixed: int = 0
    monitor_runs: int = 0
    monitor_pages: int = 0
    monitor_problems: int = 0
    monitor_handled: int = 0
    median_hours: float | None = None
    _durations: list[float] = field(default_factory=list, repr=False)


@dataclass(slots=True)
class RuleStats:
    rule: str
    category: str
    severity: str
    hits: int = 0
    items: int = 0
    must_fix: int = 0  # 须修改 (older records: 确认)
    public_ok: int = 0  # 属实但可公开
    false_positive: int = 0  # 误报

    @property
    def false_positive_share(self) -> float | None:
        disposed = self.must_fix + self.public_ok + self.false_positive
        return self.false_positive / disposed if disposed else None


@dataclass(slots=True)
class Stats:
    period: Period
    units: list[UnitStats]
    total: UnitStats
    rules: list[RuleStats]


# Column order and Chinese headings shared by the page, the CLI and the exports.
UNIT_COLUMNS: list[tuple[str, str]] = [
    ("unit_name", "单位"),
    ("submitted", "提交"),
    ("scanned", "已扫描"),
    ("flagged_block", "含禁止发布项"),
    ("flagged_review", "含需人工审查项"),
    ("flagged_info", "含提示项"),
    ("approved", "批准"),
    ("rejected", "不予发布"),
    ("returned", "退回修改"),
    ("scan_failed", "扫描失败"),
    ("exceptions", "例外批准"),
    ("fixed", "发现并整改（处）"),
    ("alerts", "发布后预警"),
    ("expression_found", "表述问题"),
    ("expression_fixed", "表述问题已改正"),
    ("monitor_runs", "网站巡检次数"),
    ("monitor_pages", "巡检网页和附件"),
    ("monitor_problems", "巡检发现问题"),
    ("monitor_handled", "巡检问题已处理"),
    ("median_hours", "签署用时中位数（小时）"),
]
RULE_COLUMNS: list[tuple[str, str]] = [
    ("rule", "规则"),
    ("category", "类别"),
    ("severity", "级别"),
    ("hits", "命中次数"),
    ("items", "涉及稿件"),
    ("must_fix", "须修改"),
    ("public_ok", "属实但可公开"),
    ("false_positive", "误报"),
    ("false_positive_share", "误报占比"),
]


def _in(col, period: Period):  # type: ignore[no-untyped-def]
    return (col >= period.start) & (col < period.end)


def compute(session: Session, period: Period, unit_code: str = "",
            hidden_rules: Callable[[str], frozenset[str]] | None = None) -> Stats:
    """`hidden_rules(unit code)`: rule ids of that unit the viewer must not see (workflow/scopes.py): left out of the
    rule table (the unit's counts stay)."""
    units = list(session.scalars(select(Unit).order_by(Unit.code)))
    if unit_code:
        units = [u for u in units if u.code == unit_code]
    by_id = {u.id: UnitStats(u.code, u.name) for u in units}
    unit_ids = list(by_id)

    for unit_id, n in session.execute(
        select(Item.unit_id, func.count()).where(_in(Item.submitted_at, period), Item.unit_id.in_(unit_ids)).group_by(Item.unit_id)
    ):
        by_id[unit_id].submitted = n

    scanned_ids: list[int] = []
    item_unit: dict[int, str] = {}
    for item_id, unit_id, verdict, b, r, i in session.execute(
        select(Item.id, Item.unit_id, Item.verdict, Item.block_count, Item.review_count, Item.info_count).where(
            _in(Item.scanned_at, period), Item.unit_id.in_(unit_ids), Item.verdict.in_(("pass", "review", "block"))
        )
    ):
        s = by_id[unit_id]
        s.scanned += 1
        s.flagged_block += b > 0
        s.flagged_review += r > 0
        s.flagged_info += i > 0
        scanned_ids.append(item_id)
        item_unit[item_id] = by_id[unit_id].unit_code

    failed_at = func.coalesce(Item.scanned_at, Item.submitted_at)
    for unit_id, n in session.execute(
        select(Item.unit_id, func.count())
        .where(or_(Item.state == SCAN_FAILED, Item.verdict == "error"), _in(failed_at, period), Item.unit_id.in_(unit_ids))
        .group_by(Item.unit_id)
    ):
        by_id[unit_id].scan_failed = n

    _final_sign_offs(session, period, by_id)
    _exceptions(session, period, by_id)
    _fixed(session, period, by_id)

    for unit_id, n in session.execute(
        select(Alert.unit_id, func.count()).where(_in(Alert.created_at, period), Alert.unit_id.in_(unit_ids)).group_by(Alert.unit_id)
    ):
        by_id[unit_id].alerts = n

    _expression_problems(session, scanned_ids, by_id)
    _monitor_stats(session, period, by_id)

    rows = list(by_id.values())
    total = UnitStats("", "合计")
    for s in rows:
        s.median_hours = _median(s._durations)
        for name, _ in UNIT_COLUMNS[1:-1]:
            setattr(total, name, getattr(total, name) + getattr(s, name))
        total._durations.extend(s._durations)
    total.median_hours = _median(total._durations)
    skip = None
    if hidden_rules is not None:
        hide = hidden_rules

        def skip(item_id: int, rule: str) -> bool:
            return rule in hide(item_unit[item_id])
    return Stats(period, rows, total, _rule_stats(session, scanned_ids, skip))


def _is_expression(suggestion: str | None, category: str) -> bool:
    return bool(suggestion) or category == "表述"


def _expression_problems(session: Session, scanned_ids: list[int], by_id: dict[int, UnitStats]) -> None:
    """表述问题 found in the versions scanned in the period, and how many of them the draft's latest later scanned
    version no longer has (fixed)."""
    found: dict[int, Counter[tuple[str, str]]] = defaultdict(Counter)
    for chunk in _chunks(scanned_ids):
        for item_id, rule, match, suggestion, category in session.execute(
            select(Finding.item_id, Finding.rule, Finding.match, Finding.suggestion, Finding.category).where(
                Finding.item_id.in_(chunk), Finding.severity.in_(("block", "review")))
        ):
            if _is_expression(suggestion, category):
                found[item_id][(rule, match)] += 1
    if not found:
        return
    drafts = {
        row.id: row
        for chunk in _chunks(list(found))
        for row in session.execute(select(Item.id, Item.unit_id, Item.external_id, Item.version).where(Item.id.in_(chunk)))
    }
    for item_id, problems in found.items():
        d = drafts[item_id]
        stats = by_id[d.unit_id]
        stats.expression_found += sum(problems.values())
        later = session.execute(
            select(Item.id).where(Item.unit_id == d.unit_id, Item.external_id == d.external_id, Item.version > d.version,
                                  Item.verdict.in_(("pass", "review", "block")))
            .order_by(Item.version.desc()).limit(1)
        ).scalar()
        if later is None:
            continue
        left: Counter[tuple[str, str]] = Counter()
        for rule, match, suggestion, category in session.execute(
            select(Finding.rule, Finding.match, Finding.suggestion, Finding.category).where(
                Finding.item_id == later, Finding.severity.in_(("block", "review")))
        ):
            if _is_expression(suggestion, category):
                left[(rule, match)] += 1
        stats.expression_fixed += sum((problems - left).values())


def _monitor_stats(session: Session, period: Period, by_id: dict[int, UnitStats]) -> None:
    """巡检 for the annual report: runs finished in the period, resources checked, problems found (not signed, or not
    passing the current rules), and problems handled in the period."""
    from reviewer.store.models import MonitorResult, MonitorRun

    for unit_id, runs, checked, problems in session.execute(
        select(MonitorRun.unit_id, func.count(), func.sum(MonitorRun.pages + MonitorRun.attachments), func.sum(MonitorRun.problems))
        .where(MonitorRun.state == "done", _in(MonitorRun.started_at, period), MonitorRun.unit_id.in_(list(by_id)))
        .group_by(MonitorRun.unit_id)
    ):
        s = by_id[unit_id]
        s.monitor_runs, s.monitor_pages, s.monitor_problems = runs, int(checked or 0), int(problems or 0)
    for unit_id, handled in session.execute(
        select(MonitorRun.unit_id, func.count()).join(MonitorResult, MonitorResult.run_id == MonitorRun.id)
        .where(MonitorResult.handled_at.is_not(None), _in(MonitorResult.handled_at, period), MonitorRun.unit_id.in_(list(by_id)))
        .group_by(MonitorRun.unit_id)
    ):
        by_id[unit_id].monitor_handled = handled


def _median(values: list[float]) -> float | None:
    return round(statistics.median(values), 2) if values else None


def _final_sign_offs(session: Session, period: Period, by_id: dict[int, UnitStats]) -> None:
    """An item's final sign-off is its last review, unless that review is a unit approval still waiting for the
    secrecy officer. Counted in the period the final review was made."""
    touched = select(Review.item_id).where(_in(Review.created_at, period)).distinct()
    last: dict[int, tuple[datetime, int, str]] = {}
    for item_id, created_at, review_id, decision in session.execute(
        select(Review.item_id, Review.created_at, Review.id, Review.decision)
        .where(Review.item_id.in_(touched), Review.withdrawn_at.is_(None))  # a withdrawn sign-off decided nothing
    ):
        key = (as_utc(created_at), review_id, decision)
        if item_id not in last or key[:2] > last[item_id][:2]:
            last[item_id] = key
    if not last:
        return
    items = [
        row
        for chunk in _chunks(list(last))
        for row in session.execute(select(Item.id, Item.unit_id, Item.state, Item.submitted_at).where(Item.id.in_(chunk)))
    ]
    for item_id, unit_id, state, submitted_at in items:
        if unit_id not in by_id:
            continue
        at, _, decision = last[item_id]
        if not (period.start <= at < period.end):
            continue  # signed again after the period: that later review is the final one
        if decision == "approve" and state == AWAITING_OFFICER:
            continue
        s = by_id[unit_id]
        if decision == "approve":
            s.approved += 1
        elif decision == "reject":
            s.rejected += 1
        elif decision == "return":
            s.returned += 1
        else:
            continue
        s._durations.append((at - as_utc(submitted_at)).total_seconds() / 3600)


def _exceptions(session: Session, period: Period, by_id: dict[int, UnitStats]) -> None:
    rows = session.execute(
        select(Item.unit_id, func.count(func.distinct(Review.item_id)))
        .join(Item, Item.id == Review.item_id).join(Disposition, Disposition.review_id == Review.id)
        .join(Finding, Finding.id == Disposition.finding_id)
        .where(_in(Review.created_at, period), Review.stage == "unit", Review.decision == "approve",
               Review.withdrawn_at.is_(None), Item.unit_id.in_(list(by_id)),
               # a finding still standing when approved (workflow/dispositions.py stands())
               Disposition.disposition.in_(("must_fix", "confirmed"))
               | ((Disposition.disposition == "public_ok") & Finding.severity.in_(("block", "review"))))
        .group_by(Item.unit_id)
    )
    for unit_id, n in rows:
        by_id[unit_id].exceptions = n


def _fixed(session: Session, period: Period, by_id: dict[int, UnitStats]) -> None:
    returned = list(session.execute(
        select(Item.id, Item.unit_id, Item.superseded_by_id).join(Review, Review.item_id == Item.id)
        .where(_in(Review.created_at, period), Review.decision == "return", Review.withdrawn_at.is_(None),
               Item.superseded_by_id.is_not(None),
               Item.unit_id.in_(list(by_id)))
        .distinct()
    ))
    for item_id, unit_id, newer_id in returned:
        before = session.execute(select(Finding.rule, Finding.match).where(
            Finding.item_id == item_id, Finding.severity.in_(("block", "review")))).all()
        after = {(r, m) for r, m in session.execute(select(Finding.rule, Finding.match).where(Finding.item_id == newer_id))}
        by_id[unit_id].fixed += sum(1 for r, m in before if (r, m) not in after)


def report_paragraph(st: Stats) -> str:
    """The figures as the paragraph a 政府信息公开工作年度报告 quotes (全年审查 N 件…)."""
    t = st.total
    flagged = t.flagged_block + t.flagged_review
    return (
        f"{st.period.label}，本机关坚持“先审查、后公开”和“一事一审”，对拟公开的 {t.submitted} 件信息进行了保密审查"
        f"（其中自动扫描提示含禁止发布或需人工审查内容的 {flagged} 件次）；经审查批准公开 {t.approved} 件，退回修改 {t.returned} 件，"
        f"不予公开 {t.rejected} 件，例外批准 {t.exceptions} 件；发现并整改问题 {t.fixed} 处，"
        f"其中发现严重表述错误 {t.expression_found} 处、已改正 {t.expression_fixed} 处；"
        f"发布后复查预警 {t.alerts} 次；开展网站巡检 {t.monitor_runs} 次，检查网页和附件 {t.monitor_pages} 个，"
        f"发现问题 {t.monitor_problems} 处、已处理 {t.monitor_handled} 处。"
    )


def _rule_stats(session: Session, scanned_ids: list[int],
                skip: Callable[[int, str], bool] | None = None) -> list[RuleStats]:
    by_rule: dict[str, RuleStats] = {}
    items: dict[str, set[int]] = defaultdict(set)
    severities: dict[str, Counter[str]] = defaultdict(Counter)
    finding_rule: dict[int, str] = {}
    for chunk in _chunks(scanned_ids):
        for fid, item_id, rule, category, severity in session.execute(
            select(Finding.id, Finding.item_id, Finding.rule, Finding.category, Finding.severity).where(Finding.item_id.in_(chunk))
        ):
            if skip is not None and skip(item_id, rule):
                continue
            rs = by_rule.setdefault(rule, RuleStats(rule, category, severity))
            rs.hits += 1
            items[rule].add(item_id)
            severities[rule][severity] += 1
            finding_rule[fid] = rule
    # When both the unit reviewer and the officer disposed a finding, the later disposition counts.
    latest: dict[int, tuple[int, str]] = {}
    fids = list(finding_rule)
    for chunk in _chunks(fids):
        for fid, review_id, disposition in session.execute(
            select(Disposition.finding_id, Disposition.review_id, Disposition.disposition)
            .join(Review, Review.id == Disposition.review_id)
            .where(Disposition.finding_id.in_(chunk), Review.withdrawn_at.is_(None))
        ):
            if fid not in latest or review_id > latest[fid][0]:
                latest[fid] = (review_id, disposition)
    for fid, (_, disposition) in latest.items():
        rs = by_rule[finding_rule[fid]]
        if disposition in ("must_fix", "confirmed"):
            rs.must_fix += 1
        elif disposition == "public_ok":
            rs.public_ok += 1
        elif disposition == "false_positive":
            rs.false_positive += 1
    for rule, rs in by_rule.items():
        rs.items = len(items[rule])
        # The most frequent severity; on a tie the more severe one.
        rs.severity = min(severities[rule].items(), key=lambda kv: (-kv[1], _RANK.get(kv[0], 3)))[0]
    return sorted(by_rule.values(), key=lambda r: (-r.hits, r.rule))


_RANK = {"block": 0, "review": 1, "info": 2}


def _chunks(ids: list[int], size: int = 500) -> list[list[int]]:
    # Bounded IN lists: SQLite limits bound parameters per statement.
    return [ids[i : i + size] for i in range(0, len(ids), size)]


def cell(row: object, name: str) -> object:
    """A value as shown in tables and exports: shares as percentages, missing medians as a dash."""
    value = getattr(row, name)
    if name == "false_positive_share":
        return "—" if value is None else f"{value * 100:.1f}%"
    if name == "median_hours":
        return "—" if value is None else value
    if name == "severity":
        return SEVERITY_LABEL.get(value, value)
    return value
