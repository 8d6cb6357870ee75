"""Reading the review log: search events, verify the hash chain, report its head.

Read-only by construction: nothing here adds, changes or removes a row. The verifier recomputes exactly
`chain.event_hash` so that any row edited, deleted or reordered directly in the database is found, and it names
the first broken event. A truncated tail leaves an intact shorter chain; record `head()` outside the system and
pass it back as `expected_head` to catch that too."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import false, func, or_, select
from sqlalchemy.orm import Session, defer

from reviewer.audit.chain import GENESIS, canonical_json, event_hash
from reviewer.store.models import AuditEvent, Disposition, Finding, Item, Review, Unit, User

ACTION_LABEL = {
    "submit": "提交",
    "scan": "扫描完成",
    "scan_failed": "扫描失败",
    "disposition": "处置发现",
    "sign_off": "签署",
    "review": "签署",
    "approve": "批准",
    "reject": "不予发布",
    "return": "退回修改",
    "officer_sign_off": "保密员复核",
    "receipt": "生成发布回执",
    "release": "已发布",
    "released": "已发布",
    "alert": "发布后预警",
    "login": "登录",
    "logout": "退出登录",
    "login_failed": "登录失败",
}


@dataclass(frozen=True, slots=True)
class ChainBreak:
    seq: int  # seq of the first event that does not verify (for a gap: the seq that is missing)
    event_id: int | None
    reason: str  # Chinese, for people


@dataclass(frozen=True, slots=True)
class ChainReport:
    checked: int
    head_seq: int
    head_hash: str
    broken: ChainBreak | None
    expected_found: tuple[int, datetime | None] | None = None  # (seq, at) of the externally recorded head, when found
    checkpoints_matched: int = 0
    last_checkpoint: int | None = None  # seq of the last checkpoint that still matches the chain

    @property
    def ok(self) -> bool:
        return self.broken is None


_COLUMNS = (
    AuditEvent.id,
    AuditEvent.seq,
    AuditEvent.at,
    AuditEvent.actor,
    AuditEvent.actor_role,
    AuditEvent.unit_code,
    AuditEvent.item_id,
    AuditEvent.action,
    AuditEvent.data,
    AuditEvent.prev_hash,
    AuditEvent.hash,
)


def _iter_events(session: Session, batch: int = 2000) -> Iterator[Any]:
    # Plain rows (not ORM objects, so the caller's session does not fill up) in keyset pages by seq:
    # memory stays flat on a long log and the query is the same on SQLite and PostgreSQL.
    last = None
    while True:
        stmt = select(*_COLUMNS).order_by(AuditEvent.seq).limit(batch)
        if last is not None:
            stmt = stmt.where(AuditEvent.seq > last)
        rows = list(session.execute(stmt))
        if not rows:
            return
        yield from rows
        last = rows[-1].seq


def recompute(ev: Any, prev_hash: str) -> str:
    return event_hash(
        prev_hash,
        seq=ev.seq,
        at=ev.at,
        actor=ev.actor,
        actor_role=ev.actor_role,
        unit_code=ev.unit_code,
        item_id=ev.item_id,
        action=ev.action,
        data=ev.data,
    )


def verify(session: Session, expected_head: str | None = None, checkpoints: Sequence[Any] = ()) -> ChainReport:
    """Walk the whole chain in seq order. Stops at the first event that fails and says why.

    `checkpoints` (audit.checkpoints.Checkpoint, signatures already verified): the chain must hold each one's hash at
    its seq. A mismatch means the log was rewritten after the last checkpoint that still matches: the first event
    after it is reported. A checkpoint beyond the head means the tail was cut."""
    prev_hash = GENESIS
    expected_seq = 1
    checked = 0
    head_seq, head_hash = 0, GENESIS
    found: tuple[int, datetime | None] | None = None
    witnessed: dict[int, Any] = {}
    for cp in checkpoints:
        witnessed.setdefault(cp.seq, cp)
    matched, last_ok = 0, 0

    def report(broken: ChainBreak | None) -> ChainReport:
        return ChainReport(checked, head_seq, head_hash, broken, found, matched, last_ok or None)

    for ev in _iter_events(session):
        if ev.seq != expected_seq:
            if ev.seq > expected_seq:
                reason = f"第 {expected_seq} 号事件缺失（下一条是第 {ev.seq} 号）：记录被删除或顺序被改动"
                return report(ChainBreak(expected_seq, None, reason))
            reason = f"序号异常：期望第 {expected_seq} 号，实际为第 {ev.seq} 号"
            return report(ChainBreak(ev.seq, ev.id, reason))
        if ev.prev_hash != prev_hash:
            reason = "前一事件哈希不符：此前的记录被删除、替换或调换了顺序"
            return report(ChainBreak(ev.seq, ev.id, reason))
        if recompute(ev, prev_hash) != ev.hash:
            reason = "事件内容与其哈希不符：该记录在数据库中被改动（或与其他记录调换了顺序）"
            return report(ChainBreak(ev.seq, ev.id, reason))
        cp = witnessed.get(ev.seq)
        if cp is not None:
            if cp.hash != ev.hash:
                first = last_ok + 1
                reason = (f"第 {ev.seq} 号事件的哈希与外部检查点（{cp.source}，{cp.at}）不符：第 {first} 至第 {ev.seq} 号之间的记录"
                          f"被改写并重新计算了哈希" + (f"（第 {last_ok} 号及以前与检查点一致）" if last_ok else ""))
                return report(ChainBreak(first, None, reason))
            matched += 1
            last_ok = ev.seq
        checked += 1
        prev_hash = ev.hash
        head_seq, head_hash = ev.seq, ev.hash
        expected_seq += 1
        if found is None and expected_head is not None and ev.hash == expected_head:
            found = (ev.seq, ev.at)
    beyond = [cp for cp in witnessed.values() if cp.seq > head_seq]
    if beyond:
        cp = min(beyond, key=lambda c: c.seq)
        reason = (f"链尾被截断：外部检查点（{cp.source}，{cp.at}）记录了第 {cp.seq} 号事件，数据库中的日志只到第 {head_seq} 号；"
                  f"第 {head_seq + 1} 号起的记录被删除")
        return report(ChainBreak(head_seq + 1, None, reason))
    if expected_head is not None and found is None:
        reason = "在完整的链中找不到外部记录的链头哈希：链尾的记录可能已被删除或整条链被重写"
        return report(ChainBreak(head_seq + 1, None, reason))
    return report(None)


@dataclass(frozen=True, slots=True)
class Head:
    seq: int
    hash: str
    at: datetime | None


def head(session: Session) -> Head:
    ev = session.scalars(select(AuditEvent).order_by(AuditEvent.seq.desc()).limit(1)).first()
    if ev is None:
        return Head(0, GENESIS, None)
    return Head(ev.seq, ev.hash, ev.at)


@dataclass(frozen=True, slots=True)
class EventFilter:
    since: datetime | None = None  # inclusive, aware
    until: datetime | None = None  # exclusive, aware
    unit_code: str = ""
    actor: str = ""
    action: str = ""
    item_id: int | None = None
    actors: tuple[str, ...] = ()  # any of these usernames (a person searched by name)
    disposition: str = ""  # with action "disposition": only findings marked so (误报: false_positive)


def search_events(session: Session, f: EventFilter, limit: int = 500, offset: int = 0) -> tuple[list[AuditEvent], int]:
    """Events matching the filter, newest first, and the total count. Values are bound parameters, never SQL text."""
    stmt = select(AuditEvent)
    if f.since is not None:
        stmt = stmt.where(AuditEvent.at >= f.since)
    if f.until is not None:
        stmt = stmt.where(AuditEvent.at < f.until)
    if f.unit_code:
        stmt = stmt.where(AuditEvent.unit_code == f.unit_code)
    if f.actor:
        stmt = stmt.where(AuditEvent.actor == f.actor)
    if f.actors:
        stmt = stmt.where(AuditEvent.actor.in_(f.actors))
    if f.action:
        stmt = stmt.where(AuditEvent.action == f.action)
    if f.item_id is not None:
        stmt = stmt.where(AuditEvent.item_id == f.item_id)
    if f.disposition:  # the event's data is canonical JSON (audit.chain): the pair is written exactly so
        stmt = stmt.where(AuditEvent.action == "disposition",
                          AuditEvent.data.contains(canonical_json({"disposition": f.disposition})[1:-1], autoescape=True))
    total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    rows = list(session.scalars(stmt.order_by(AuditEvent.seq.desc()).limit(limit).offset(offset)))
    return rows, total


def events_of_items(session: Session, item_ids: list[int]) -> list[AuditEvent]:
    if not item_ids:
        return []
    return list(session.scalars(select(AuditEvent).where(AuditEvent.item_id.in_(item_ids)).order_by(AuditEvent.seq)))


@dataclass(frozen=True, slots=True)
class ItemFilter:
    """The auditor's search. Time range applies to submission time; the other fields narrow by who signed, how,
    and which rule or category was hit."""

    since: datetime | None = None
    until: datetime | None = None
    unit_code: str = ""
    reviewer: str = ""  # username of anyone who signed the item
    decision: str = ""  # approve | reject | return (any sign-off on the item)
    rule: str = ""  # rule id or category of any finding
    item_id: int | None = None
    external_id: str = ""
    rules: tuple[str, ...] = ()  # any of these rule ids (a rule searched by its title)
    disposition: str = ""  # any finding of the item marked so by a signer (false_positive: 误报)
    exception: bool = False  # approved as an exception (例外批准: a confirmed 禁止发布 finding approved all the same)


@dataclass(slots=True)
class ItemRow:
    item_id: int
    external_id: str
    version: int
    unit_code: str
    title: str
    channel: str
    author: str
    state: str
    verdict: str
    block_count: int
    review_count: int
    info_count: int
    rules_version: str
    content_sha256: str
    submitted_at: datetime
    decided_at: datetime | None
    signers: str  # "张三(审查员:批准); 李四(保密员:批准)"
    decisions: str
    rules_hit: str
    signer_names: str = ""  # for people: "沈查（shencha，审查员：批准）、…"
    # each signer's disposition of each finding, in signing order (exports: 处置与理由)
    dispositions: list[DispositionRow] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class DispositionRow:
    finding_seq: int  # 1-based, as the pages number findings
    rule: str
    severity: str
    location: str
    stage: str
    signer: str  # the person's name (username)
    disposition: str
    reason: str
    decided_at: datetime


def count_items(session: Session, f: ItemFilter) -> int:
    """How many items the search matches (for paging beyond one page of results)."""
    return session.scalar(select(func.count()).select_from(_item_query(f).subquery())) or 0


def search_items(session: Session, f: ItemFilter, limit: int = 1000, offset: int = 0) -> list[ItemRow]:
    stmt = _item_query(f)
    rows = list(session.execute(stmt.order_by(Item.submitted_at.desc(), Item.id.desc()).limit(limit).offset(offset)))
    return _item_rows(session, rows)


def _item_query(f: ItemFilter):  # type: ignore[no-untyped-def]
    stmt = select(Item, Unit.code).join(Unit, Unit.id == Item.unit_id).options(defer(Item.content))  # not the drafts' bytes
    if f.since is not None:
        stmt = stmt.where(Item.submitted_at >= f.since)
    if f.until is not None:
        stmt = stmt.where(Item.submitted_at < f.until)
    if f.unit_code:
        stmt = stmt.where(Unit.code == f.unit_code)
    if f.item_id is not None:
        stmt = stmt.where(Item.id == f.item_id)
    if f.external_id:
        stmt = stmt.where(Item.external_id == f.external_id)
    if f.reviewer or f.decision:
        sub = select(Review.item_id).join(User, User.id == Review.reviewer_id)
        if f.reviewer:  # the username, or the person's name (whole or part of it)
            by_name = User.display_name.contains(f.reviewer, autoescape=True) if f.reviewer.isprintable() else false()
            sub = sub.where(or_(User.username == f.reviewer, by_name))  # NUL would end SQLite's LIKE pattern early
        if f.decision:
            sub = sub.where(Review.decision == f.decision)
        stmt = stmt.where(Item.id.in_(sub))
    if f.rule:
        stmt = stmt.where(Item.id.in_(select(Finding.item_id).where(or_(Finding.rule == f.rule, Finding.category == f.rule))))
    if f.rules:
        stmt = stmt.where(Item.id.in_(select(Finding.item_id).where(Finding.rule.in_(f.rules))))
    if f.disposition:
        stmt = stmt.where(Item.id.in_(select(Review.item_id).join(Disposition, Disposition.review_id == Review.id)
                                      .where(Disposition.disposition == f.disposition)))
    if f.exception:
        stmt = stmt.where(Item.id.in_(select(AuditEvent.item_id).where(AuditEvent.action == "exception_approval")))
    return stmt


def rules_found(session: Session) -> list[str]:
    """The distinct rule ids of all findings (what a search by rule title can name)."""
    return list(session.scalars(select(Finding.rule).distinct()))


def _item_rows(session: Session, rows: list[Any]) -> list[ItemRow]:
    ids = [item.id for item, _ in rows]
    reviews: dict[int, list[tuple[str, str, str]]] = {i: [] for i in ids}
    names: dict[str, str] = {}
    hits: dict[int, set[str]] = {i: set() for i in ids}
    disps: dict[int, list[DispositionRow]] = {}
    for chunk in (ids[i : i + 500] for i in range(0, len(ids), 500)):
        for item_id, username, display, stage, decision in session.execute(
            select(Review.item_id, User.username, User.display_name, Review.stage, Review.decision)
            .join(User, User.id == Review.reviewer_id)
            .where(Review.item_id.in_(chunk), Review.withdrawn_at.is_(None))  # a withdrawn sign-off signs nothing
            .order_by(Review.id)
        ):
            reviews[item_id].append((username, stage, decision))
            names[username] = display or ""
        for item_id, rule in session.execute(select(Finding.item_id, Finding.rule).where(Finding.item_id.in_(chunk))):
            hits[item_id].add(rule)
        for item_id, seq, rule, severity, location, stage, username, display, disp, reason, at, gone in session.execute(
            select(Review.item_id, Finding.seq, Finding.rule, Finding.severity, Finding.location, Review.stage,
                   User.username, User.display_name, Disposition.disposition, Disposition.reason, Review.created_at,
                   Review.withdrawn_at)
            .join(Review, Review.id == Disposition.review_id).join(Finding, Finding.id == Disposition.finding_id)
            .join(User, User.id == Review.reviewer_id).where(Review.item_id.in_(chunk)).order_by(Review.id, Finding.seq)
        ):
            person = f"{display}（{username}）" if display and display != username else username
            if gone is not None:  # kept for the record, marked: the signer withdrew that sign-off
                person += "（该签署已撤回）"
            disps.setdefault(item_id, []).append(DispositionRow(seq + 1, rule, severity, location or "", stage, person,
                                                                disp, reason or "", at))
    out = []
    for item, code in rows:
        rs = reviews[item.id]
        out.append(
            ItemRow(
                item_id=item.id,
                external_id=item.external_id,
                version=item.version,
                unit_code=code,
                title=item.title,
                channel=item.channel,
                author=item.author,
                state=item.state,
                verdict=item.verdict or "",
                block_count=item.block_count,
                review_count=item.review_count,
                info_count=item.info_count,
                rules_version=item.rules_version or "",
                content_sha256=item.content_sha256,
                submitted_at=item.submitted_at,
                decided_at=item.decided_at,
                signers="; ".join(f"{u}({STAGE_LABEL.get(st, st)}:{DECISION_LABEL.get(d, d)})" for u, st, d in rs),
                decisions=",".join(d for _, _, d in rs),
                rules_hit=", ".join(sorted(hits[item.id])),
                signer_names="、".join(
                    f"{names.get(u) or u}（{u}，{STAGE_LABEL.get(st, st)}：{DECISION_LABEL.get(d, d)}）" if names.get(u) and names.get(u) != u
                    else f"{u}（{STAGE_LABEL.get(st, st)}：{DECISION_LABEL.get(d, d)}）"
                    for u, st, d in rs
                ),
                dispositions=disps.get(item.id, []),
            )
        )
    return out


DECISION_LABEL = {"approve": "批准", "reject": "不予发布", "return": "退回修改"}
STAGE_LABEL = {"unit": "审查员", "officer": "保密员"}
# the same table as workflow/dispositions.py LABEL (audit imports nothing from workflow; a test keeps them equal)
DISPOSITION_LABEL = {"must_fix": "须修改", "fixed": "已修改", "public_ok": "属实但可公开", "false_positive": "误报",
                     "confirmed": "须修改"}


@dataclass(frozen=True, slots=True)
class Burst:
    actor: str
    unit_code: str
    window_start: datetime
    submissions: int
    distinct_drafts: int
    throttled: int  # refusals (429) logged in the window


def submission_bursts(
    session: Session, since: datetime, until: datetime, *, window_minutes: int = 10, threshold: int = 20
) -> list[Burst]:
    """Windows of `window_minutes` in which one submitter (token or person) sent at least `threshold` drafts, or was
    refused for submitting too fast: the pattern of someone probing the term list with many small drafts."""
    from collections import defaultdict

    rows = session.execute(
        select(AuditEvent.actor, AuditEvent.unit_code, AuditEvent.at, AuditEvent.action, AuditEvent.item_id)
        .where(AuditEvent.action.in_(("submit", "submit_throttled")), AuditEvent.at >= since, AuditEvent.at < until)
        .order_by(AuditEvent.seq)
    )
    width = max(1, window_minutes) * 60
    buckets: dict[tuple[str, str, int], list[Any]] = defaultdict(lambda: [0, set(), 0])
    for actor, unit_code, at, action, item_id in rows:
        aware = at if at.tzinfo is not None else at.replace(tzinfo=UTC)
        key = (actor, unit_code, int(aware.timestamp()) // width)
        b = buckets[key]
        if action == "submit":
            b[0] += 1
            b[1].add(item_id)
        else:
            b[2] += 1
    out = [
        Burst(actor, unit, datetime.fromtimestamp(slot * width, UTC), n, len(items), throttled)
        for (actor, unit, slot), (n, items, throttled) in buckets.items()
        if n >= threshold or throttled
    ]
    out.sort(key=lambda b: (b.window_start, b.actor), reverse=True)
    return out
