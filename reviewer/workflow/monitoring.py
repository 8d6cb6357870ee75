"""The 巡检 in the running system: each unit's site and schedule, runs stored with their time and rules version,
alerts (in the same list as the post-release rescan's), and the officer's handling. Every run and every handling is
an event in the review log. The crawl itself is reviewer.monitor; this module never fetches anything."""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.orm import Session

from reviewer.accounts.actor import WORKER, Actor, as_actor
from reviewer.accounts.manage import get_unit
from reviewer.audit import events as audit
from reviewer.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from reviewer.monitor.model import Report, Resource, Status
from reviewer.store.models import Alert, MonitorResult, MonitorRun, MonitorSite, Unit, User, utcnow

if TYPE_CHECKING:  # pragma: no cover
    from reviewer.scan.scanner import Scanner
    from reviewer.store.session import Database

_EVERY = re.compile(r"^\s*(\d+)\s*([smhd]?)\s*$", re.I)
_UNITS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}
MIN_EVERY = 300


def parse_every(text: str) -> int:
    """"24h", "30m", "7d", "3600" → seconds (at least 5 minutes: a public website is not polled)."""
    m = _EVERY.match(text or "")
    if not m:
        raise InvalidInput(f"巡检间隔“{text[:40]}”无法识别：请写成 24h、30m、7d 或秒数")
    seconds = int(m.group(1)) * _UNITS[m.group(2).lower()]
    if seconds < MIN_EVERY:
        raise InvalidInput("巡检间隔至少为 5 分钟（5m）")
    return seconds


def configure(session: Session, unit: Unit, urls: list[str], every_seconds: int | None, actor: Actor | User,
              max_pages: int | None = None) -> MonitorSite:
    from urllib.parse import urlsplit

    for url in urls:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise InvalidInput(f"网站地址“{url[:200]}”不是 http:// 或 https:// 开头的网址")
    site = session.get(MonitorSite, unit.id)
    if site is None:
        site = MonitorSite(unit_id=unit.id, urls="[]", max_pages=2000)
        session.add(site)
    if urls:
        site.urls = json.dumps(urls, ensure_ascii=False)
    site.every_seconds = every_seconds
    if max_pages:
        site.max_pages = max_pages
    site.next_run_at = utcnow() if every_seconds else None
    site.updated_at = utcnow()
    session.flush()
    audit.append(session, "monitor_site_set", as_actor(actor), unit_code=unit.code,
                 data={"urls": json.loads(site.urls), "every_seconds": every_seconds, "max_pages": site.max_pages})
    return site


def claim_due(session: Session, now: datetime | None = None) -> list[int]:
    """Units whose scheduled run is due; their next run is moved forward in the same transaction, so a beat that
    fires twice (or two beats) start one run, not two."""
    now = now or utcnow()
    due: list[int] = []
    for site in session.execute(select(MonitorSite).where(MonitorSite.every_seconds.is_not(None))).scalars():
        at = site.next_run_at
        if at is not None and at.tzinfo is None:
            at = at.replace(tzinfo=now.tzinfo)
        if at is None or at <= now:
            site.next_run_at = now + timedelta(seconds=site.every_seconds or 86400)
            due.append(site.unit_id)
    return due


def start_run(session: Session, unit_id: int, trigger: str, urls: list[str]) -> MonitorRun:
    run = MonitorRun(unit_id=unit_id, trigger=trigger, state="running", urls=json.dumps(urls, ensure_ascii=False),
                     started_at=utcnow())
    session.add(run)
    session.flush()
    return run


def fail_run(session: Session, run_id: int, error: str) -> None:
    run = session.get(MonitorRun, run_id)
    if run is None or run.state != "running":
        return
    run.state, run.error, run.finished_at = "failed", error[:2000], utcnow()
    unit = session.get(Unit, run.unit_id)
    audit.append(session, "monitor_run", WORKER, unit_code=unit.code if unit else "",
                 data={"run_id": run.id, "state": "failed", "trigger": run.trigger})


def _alert_reason(r: Resource) -> str | None:
    if r.status is Status.CHANGED:
        return "巡检：网上内容在签署后被改动"
    if r.status is Status.UNSIGNED and str(r.verdict) in ("review", "block"):
        return "巡检：未经审查签署的内容有发现"
    if r.status is Status.SIGNED and str(r.verdict) == "block":
        return "巡检：已签署的内容按当前规则应禁止发布"
    return None


def record(session: Session, run_id: int, report: Report) -> MonitorRun:
    """Store every resource with its evidence, raise alerts, log the run. Idempotent: a finished run is left alone."""
    run = session.get(MonitorRun, run_id)
    if run is None:
        raise NotFound(f"巡检记录 {run_id} 不存在")
    if run.state != "running":
        return run
    unit = session.get(Unit, run.unit_id)
    assert unit is not None
    counts = report.summary()
    run.rules_version = report.rules_version
    for key in ("pages", "attachments", "signed", "changed", "unsigned", "unreadable"):
        setattr(run, key, counts[key])
    run.external = json.dumps(report.external[:500], ensure_ascii=False)
    run.not_checked = len(report.not_checked)
    run.problems = sum(1 for r in report.resources if r.status is not Status.SIGNED or str(r.verdict) != "pass")
    alerts = 0
    for seq, r in enumerate(report.resources):
        row = MonitorResult(
            run_id=run.id, seq=seq, url=r.url[:2000], kind=r.kind, status=str(r.status), verdict=str(r.verdict),
            item_id=r.item_id, reason=r.reason, title=r.title[:1000],
            findings=json.dumps([f.to_dict() for f in r.findings], ensure_ascii=False),
            differences=json.dumps([d.to_dict() for d in r.differences], ensure_ascii=False),
            live_text=r.live_text[:200_000], sha256=r.sha256,
        )
        session.add(row)
        session.flush()
        why = _alert_reason(r)
        if why and not _already_known(session, unit.id, row):
            rules = sorted({f.rule for f in r.findings if str(f.severity) in ("block", "review")})
            alert = Alert(item_id=r.item_id, unit_id=unit.id, rules_version=report.rules_version, verdict=str(r.verdict),
                          summary=f"{why}：{r.url[:300]}" + (f"（{'、'.join(rules)[:300]}）" if rules else ""),
                          monitor_result_id=row.id, created_at=utcnow())
            session.add(alert)
            session.flush()
            alerts += 1
            audit.append(session, "alert", WORKER, unit_code=unit.code, item_id=r.item_id,
                         data={"alert_id": alert.id, "source": "monitor", "monitor_result_id": row.id,
                               "status": str(r.status), "verdict": str(r.verdict), "rules": rules})
    run.state, run.finished_at = "done", utcnow()
    audit.append(session, "monitor_run", WORKER if run.trigger == "schedule" else as_actor(_cli_actor()),
                 unit_code=unit.code,
                 data={"run_id": run.id, "state": "done", "trigger": run.trigger, "rules_version": report.rules_version,
                       **counts, "alerts": alerts, "not_checked": run.not_checked})
    return run


def _cli_actor() -> Actor:
    import os

    name = os.environ.get("REVIEWER_OPERATOR", "").strip()
    return Actor(f"cli:{name}" if name else "system", "admin", None, "")


def _already_known(session: Session, unit_id: int, row: MonitorResult) -> bool:
    """The same content at the same URL with the same status was alerted (still open) or handled before."""
    earlier = session.execute(
        select(MonitorResult.id, MonitorResult.handled_at).join(MonitorRun, MonitorRun.id == MonitorResult.run_id)
        .where(MonitorRun.unit_id == unit_id, MonitorResult.url == row.url, MonitorResult.sha256 == row.sha256,
               MonitorResult.status == row.status, MonitorResult.verdict == row.verdict, MonitorResult.id != row.id)
    ).all()
    if not earlier:
        return False
    if any(handled is not None for _id, handled in earlier):
        return True
    ids = [i for i, _h in earlier]
    return session.execute(
        select(Alert.id).where(Alert.monitor_result_id.in_(ids), Alert.resolved_at.is_(None)).limit(1)
    ).first() is not None


def _result_for(session: Session, result_id: int, who: Actor) -> tuple[MonitorResult, MonitorRun]:
    row = session.get(MonitorResult, result_id)
    run = session.get(MonitorRun, row.run_id) if row is not None else None
    if row is None or run is None or (who.role != "admin" and who.unit_id != run.unit_id):
        raise NotFound("巡检结果不存在")
    return row, run


def handle(session: Session, result_id: int, actor: Actor | User, reason: str) -> MonitorResult:
    """The officer marks a problem handled (taken down, corrected, or explained), with a reason; its alert is closed."""
    who = as_actor(actor)
    if who.role not in ("officer", "admin"):
        raise PermissionDenied("只有保密员可以处理巡检发现的问题")
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput("请填写处理说明（例如：已撤下、已按签署版本恢复、已补充审查）")
    row, run = _result_for(session, result_id, who)
    if row.handled_at is not None:
        raise Conflict("该问题已处理")
    row.handled_at, row.handled_by, row.handled_reason = utcnow(), who.name, reason[:2000]
    for alert in session.execute(select(Alert).where(Alert.monitor_result_id == row.id)).scalars():
        alert.resolved_at = row.handled_at
    unit = session.get(Unit, run.unit_id)
    audit.append(session, "monitor_handled", who, unit_code=unit.code if unit else "", item_id=row.item_id,
                 data={"monitor_result_id": row.id, "run_id": run.id, "status": row.status, "reason": reason[:500]})
    return row


def open_item(session: Session, result_id: int, actor: Actor | User, reason: str = "") -> int:
    """Put the live content into the unit's review queue as a new item (一事一审 for what went online unreviewed);
    the result is then handled with a note naming the item."""
    from reviewer.workflow.submit import submit

    who = as_actor(actor)
    if who.role not in ("officer", "admin"):
        raise PermissionDenied("只有保密员可以为巡检发现的问题提交审查")
    row, run = _result_for(session, result_id, who)
    if row.opened_item_id is not None:
        return row.opened_item_id
    unit = session.get(Unit, run.unit_id)
    assert unit is not None
    system = Actor(f"monitor:{who.name}", "admin", unit.id, unit.code)
    text = (row.title + "\n\n" if row.title else "") + row.live_text
    done = submit(session, system, external_id=f"monitor-{row.id}", content=text.encode("utf-8"),
                  title=(row.title or row.url)[:500], channel="网站巡检", author="", file_name="content.txt", unit=unit)
    row.opened_item_id = done.item.id
    handle(session, row.id, who, (reason.strip() or "已提交审查") + f"（稿件编号 {done.item.id}）")
    return done.item.id


def record_from_cli(unit_code: str, urls: list[str], report: Report) -> str:
    """`reviewer monitor` stores its run too, when the database has the monitor's tables. Returns a note or ""."""
    from sqlalchemy.exc import SQLAlchemyError

    from reviewer.errors import ReviewerError
    from reviewer.settings import Settings
    from reviewer.workflow.runtime import open_database

    try:
        db = open_database(Settings.from_env())
    except (ReviewerError, SQLAlchemyError, ValueError):
        return "提示：未能打开数据库，本次巡检结果未保存"
    try:
        with db.session() as session:
            unit = get_unit(session, unit_code)
            run = start_run(session, unit.id, "cli", urls)
            record(session, run.id, report)
            return ""
    except (ReviewerError, SQLAlchemyError) as exc:
        return f"提示：本次巡检结果未保存到数据库（{type(exc).__name__}；如尚未升级数据库，请运行 reviewer db upgrade）"
    finally:
        db.dispose()


def site_of(session: Session, unit_code: str) -> MonitorSite | None:
    return session.get(MonitorSite, get_unit(session, unit_code).id)


def run_site(db: Database, scanner: Scanner, unit_id: int, trigger: str = "schedule") -> str:
    """One run for a unit's configured site (the worker's task): start it (committed, so a crash leaves a `running`
    row to see), crawl outside any transaction, then record. Returns done | failed | skipped."""
    from reviewer.monitor.fetch import Politeness
    from reviewer.monitor.run import Options, monitor
    from reviewer.workflow.monitor import approved_versions

    with db.session() as session:
        site = session.get(MonitorSite, unit_id)
        unit = session.get(Unit, unit_id)
        if site is None or unit is None:
            return "skipped"
        urls = json.loads(site.urls or "[]")
        if not urls:
            return "skipped"
        approved = approved_versions(session, unit)
        run_id = start_run(session, unit_id, trigger, urls).id
        max_pages = site.max_pages
    try:
        report = monitor(urls, approved, scanner, options=Options(max_pages=max_pages, politeness=Politeness.from_env()))
    except Exception as exc:  # noqa: BLE001 - a crashed run is recorded as failed (with its cause), never lost
        with db.session() as session:
            fail_run(session, run_id, f"巡检异常：{type(exc).__name__}")
        return "failed"
    with db.session() as session:
        record(session, run_id, report)
    return "done"


# -- what the officer's and auditor's pages read -----------------------------------------------------------------------
VIEW_ROLES = ("officer", "auditor", "admin")


def visible_units(session: Session, actor: Actor | User) -> list[Unit]:
    """An officer sees the 巡检 of the own unit; auditors and administrators see every unit's."""
    who = as_actor(actor)
    if who.role not in VIEW_ROLES:
        raise PermissionDenied("只有保密员、审计员可以查看网站巡检")
    query = select(Unit).order_by(Unit.code)
    if who.role == "officer":
        query = query.where(Unit.id == who.unit_id)
    return list(session.execute(query).scalars())


def runs(session: Session, unit_id: int, limit: int = 50) -> list[MonitorRun]:
    return list(session.execute(
        select(MonitorRun).where(MonitorRun.unit_id == unit_id).order_by(MonitorRun.id.desc()).limit(limit)
    ).scalars())


def problems(session: Session, run_id: int) -> list[MonitorResult]:
    return list(session.execute(
        select(MonitorResult).where(MonitorResult.run_id == run_id,
                                    (MonitorResult.status != "signed") | (MonitorResult.verdict != "pass"))
        .order_by(MonitorResult.seq)
    ).scalars())


def result_view(session: Session, result_id: int, actor: Actor | User) -> tuple[MonitorResult, MonitorRun, str]:
    """A result with its run and the text of the approved version it names (what was signed, as a reader sees it)."""
    who = as_actor(actor)
    if who.role not in VIEW_ROLES:
        raise PermissionDenied("只有保密员、审计员可以查看网站巡检")
    row, run = _result_for(session, result_id, Actor(who.name, "admin", None, "") if who.role == "auditor" else who)
    signed = ""
    if row.item_id is not None:
        from reviewer.monitor.match import readable_text
        from reviewer.store.models import Item

        item = session.get(Item, row.item_id)
        if item is not None and item.purged_at is not None:
            signed = "（所签版本的内容已按保存期限清除）"
        elif item is not None:
            signed = (item.title + "\n\n" if item.title else "") + readable_text(item.content, item.file_name)
    return row, run, signed
