"""`reviewer audit verify`: the hash chain, the external checkpoints, and every row against the events that explain it.

A row of `items`, `findings`, `reviews`, `dispositions` or `receipts` is only as good as the review-log events that
recorded its creation and each change. This verifier replays the log (state per item, the scan's counts and findings
digest, each sign-off with its signer, each disposition, each receipt with its payload hash) and names every row the
log does not explain:

- an item whose state, version, body, title/channel/file name, verdict or counts differ from what the log recorded
  (e.g. `UPDATE items SET state='approved'`, an edited body or title), or that has no submit event;
- findings whose number or digest (seq, rule, severity, position) differ from the scan event (or, after the render
  check, from its `render_check` event, which records the findings it added and the scan notes it removed);
- a review without its sign-off event, or whose signer, stage, decision or signed hash differ from it
  (e.g. `UPDATE reviews SET reviewer_id=…`);
- a disposition without its event or with another disposition;
- a receipt without its event, whose payload changed, whose signature does not verify or that does not bind the row;
- and, the other way round, events whose review, disposition or receipt row is gone (a receipt revoked by a logged
  withdrawal is gone by design); a review marked withdrawn without its `signoff_withdrawn` event (or withdrawn in the
  log, not in the row, or withdrawn by someone other than its signer) — a withdrawn approval signs no receipt;
- every sign-off against who could sign, with which credential, under which unit policy and author identity, and
  every scan against the rule-set versions logged before it (audit.accountability); and the units, users, tokens
  and CMS links as they are now against the log.

With `settings`, the data directory's signed checkpoints are read without flags (anchoring on by default) and the
report says loudly when the install cannot anchor (`anchor_warnings`).

Read-only. Memory grows with the number of items (one small record each), not with the log's length."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from sqlalchemy import select
from sqlalchemy.orm import Session

from reviewer.audit import checkpoints as cps
from reviewer.audit import keyring, keyrotation
from reviewer.audit.accountability import Replay
from reviewer.audit.binding import (
    body_sha256_of,
    document_sha256_of,
    findings_sha256,
    receipt_distrust,
    receipt_problems,
)
from reviewer.audit.events import PURGE_ACTION
from reviewer.audit.keyring import Trust, trust_of
from reviewer.audit.queries import ChainReport, _iter_events
from reviewer.audit.queries import verify as verify_chain
from reviewer.settings import Settings
from reviewer.store.models import (
    APPROVED,
    AWAITING_OFFICER,
    AWAITING_REVIEW,
    QUEUED,
    REJECTED,
    RELEASED,
    RETURNED,
    SCAN_FAILED,
    SCANNING,
    STATE_LABEL,
    SUPERSEDED,
    Disposition,
    Finding,
    Item,
    Receipt,
    Review,
    Unit,
    User,
)

STATE_OF_ACTION = {
    "submit": QUEUED, "scan_started": SCANNING, "scan": AWAITING_REVIEW, "scan_failed": SCAN_FAILED,
    "sign_off": AWAITING_OFFICER, "approve": APPROVED, "officer_sign_off": APPROVED, "reject": REJECTED,
    "return": RETURNED, "released": RELEASED, "superseded": SUPERSEDED,
}
REVIEW_ACTIONS = ("sign_off", "approve", "officer_sign_off", "reject", "return")
MAX_LISTED = 1000


@dataclass(slots=True)
class _ItemLog:
    state: str = ""
    state_seq: int = 0
    submit: dict[str, Any] | None = None
    scan: dict[str, Any] | None = None
    superseded_by: int | None = None


@dataclass(slots=True)
class FullReport:
    chain: ChainReport
    unexplained: list[str] = field(default_factory=list)
    unexplained_total: int = 0
    rows_checked: int = 0
    checkpoints_read: int = 0
    checkpoints_rejected: list[str] = field(default_factory=list)
    checkpoint_source: str = ""
    anchor_warnings: list[str] = field(default_factory=list)  # Chinese: why the chain is not (fully) anchored
    key_warnings: list[str] = field(default_factory=list)  # Chinese: receipts signed by a key marked compromised

    @property
    def ok(self) -> bool:
        return self.chain.ok and not self.unexplained_total and not self.checkpoints_rejected

    def add(self, text: str) -> None:
        self.unexplained_total += 1
        if len(self.unexplained) < MAX_LISTED:
            self.unexplained.append(text)


def _data(raw: str) -> dict[str, Any]:
    try:
        value = json.loads(raw or "{}")
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def _label(state: str) -> str:
    return STATE_LABEL.get(state, state)


def _batches(session: Session, model: Any, batch: int = 500) -> Iterator[Any]:
    last = 0
    while True:
        stmt = select(model).where(model.id > last).order_by(model.id).limit(batch)
        rows = list(session.scalars(stmt))
        if not rows:
            return
        yield from rows
        last = rows[-1].id
        session.expunge_all()


def run(
    session: Session,
    *,
    receipt_key: Ed25519PublicKey | Trust | None = None,
    expected_head: str | None = None,
    checkpoint_key: Ed25519PublicKey | Trust | None = None,
    checkpoint_paths: list[Path] | None = None,
    settings: Settings | None = None,
) -> FullReport:
    """With `settings` and no explicit paths/keys, the data directory's checkpoints (and the configured witness
    directory) are read with the data directory's keyring (audit.keyring: every checkpoint and receipt key it ever
    used, each trusted for its dates): anchoring needs no flags. The keyring and the key files are checked against
    the review log's key events (keyrotation.problems)."""
    # first, before anything below may record an old install's key in a new keyring: a deleted keyring is seen as such
    key_problems = keyrotation.problems(session, settings.data_dir) if settings is not None else []
    if settings is not None:
        if checkpoint_paths is None:
            checkpoint_paths = cps.verify_paths(settings)
        if checkpoint_key is None:
            checkpoint_key = cps.checkpoint_trust(settings)
        if receipt_key is None:
            receipt_key = receipt_trust(settings)
    if receipt_key is None:
        raise ValueError("verify needs the receipt keys (receipt_key or settings)")
    receipts_trust = receipt_key if isinstance(receipt_key, Trust) else trust_of(receipt_key)
    loaded = cps.read(checkpoint_paths or [], checkpoint_key) if checkpoint_key is not None and checkpoint_paths else None
    chain = verify_chain(session, expected_head=expected_head, checkpoints=loaded.checkpoints if loaded else ())
    report = FullReport(chain)
    if loaded is not None:
        report.checkpoints_read = len(loaded.checkpoints)
        report.checkpoints_rejected = loaded.rejected
        report.checkpoint_source = "、".join(str(p) for p in checkpoint_paths or [])
    report.anchor_warnings = _anchor_warnings(settings, chain, loaded)
    if loaded is not None and loaded.distrusted:
        report.anchor_warnings.append(f"警告：{len(loaded.distrusted)} 个检查点由已标记泄露的密钥在泄露时间之后签出，"
                                      "不予信任、未用于锚定（" + "；".join(loaded.distrusted[:5]) + "）")
    if chain.ok:
        for problem in key_problems:
            report.add(problem)
        cross_check(session, report, receipts_trust)
    return report


def receipt_trust(settings: Settings) -> Trust:
    from reviewer.audit.keys import RECEIPT_KEY_FILE, KeyProblem, load_or_create_key

    try:
        load_or_create_key(settings.data_dir, RECEIPT_KEY_FILE)  # an install from before the keyring records its key
    except KeyProblem:
        pass  # the key file is missing: keyrotation.problems names it, the keyring still verifies old receipts
    return keyring.trust(settings.data_dir, "receipt")


def _anchor_warnings(settings: Settings | None, chain: ChainReport, loaded: cps.Loaded | None) -> list[str]:
    out = []
    if settings is not None:
        problems = cps.anchoring_problems(settings)
        if problems:
            out.append(cps.ANCHOR_WARNING.format(problems="；".join(problems)))
    if chain.head_seq and (loaded is None or not loaded.checkpoints):
        out.append("警告：没有读到任何签名检查点，哈希链没有锚定：整条链被改写并重算哈希将无法发现")
    elif chain.head_seq and chain.ok and chain.last_checkpoint is not None and settings is not None:
        behind = chain.head_seq - chain.last_checkpoint
        if behind > 2 * max(settings.checkpoint_every, 1) + 10:
            out.append(f"警告：最后一个吻合的签名检查点是第 {chain.last_checkpoint} 号事件，其后 {behind} 条事件没有锚定"
                       "（检查点没有按时生成：请检查数据目录与工作进程）")
    return out


def cross_check(session: Session, report: FullReport, receipt_key: Trust) -> None:
    items: dict[int, _ItemLog] = {}
    reviews: dict[int, tuple[int, str, int | None, dict[str, Any]]] = {}  # review_id -> (seq, actor, item_id, data)
    disps: dict[tuple[int, int], tuple[int, dict[str, Any]]] = {}
    receipts: dict[int, tuple[int, dict[str, Any]]] = {}
    purged: set[int] = set()
    withdrawn: dict[int, tuple[int, str]] = {}  # review id -> (seq, who withdrew it)
    revoked: set[int] = set()  # receipt ids revoked by a withdrawal
    replay = Replay()
    for ev in _iter_events(session):
        data = _data(ev.data)
        replay.feed(ev, data)
        if ev.item_id is not None and ev.action in STATE_OF_ACTION:
            log = items.setdefault(ev.item_id, _ItemLog())
            target = STATE_OF_ACTION[ev.action]
            if not (ev.action == "superseded" and log.state == RELEASED):  # a released version stays released
                log.state, log.state_seq = target, ev.seq
            if ev.action == "submit":
                log.submit = data
            elif ev.action in ("scan", "scan_failed"):
                log.scan = {**data, "_action": ev.action}
            elif ev.action == "superseded":
                log.superseded_by = data.get("superseded_by")
        if ev.item_id is not None and ev.action == "render_check" and "item_findings_sha256" in data:
            # the render check added findings and removed the scan's notes it answered (workflow.render_check.record):
            # from here on the item's findings, counts and verdict are the ones this event records
            log = items.setdefault(ev.item_id, _ItemLog())
            if log.scan is not None and log.scan.get("_action") == "scan":
                log.scan = {**log.scan, "findings": data.get("item_findings"), "findings_sha256": data["item_findings_sha256"],
                            "verdict": data.get("verdict", log.scan.get("verdict")),
                            "counts": data.get("counts", log.scan.get("counts"))}
        if ev.item_id is not None and ev.action == "signoff_withdrawn" and "review_id" in data:
            log = items.setdefault(ev.item_id, _ItemLog())
            log.state, log.state_seq = str(data.get("state", "")), ev.seq
            withdrawn[int(data["review_id"])] = (ev.seq, ev.actor)
            if data.get("revoked_receipt_id") is not None:
                revoked.add(int(data["revoked_receipt_id"]))
        if ev.action in REVIEW_ACTIONS and "review_id" in data:
            reviews[int(data["review_id"])] = (ev.seq, ev.actor, ev.item_id, data)
        elif ev.action == "disposition" and "review_id" in data:
            disps[(int(data["review_id"]), int(data.get("finding_id", 0)))] = (ev.seq, data)
        elif ev.action == "receipt" and "receipt_id" in data:
            receipts[int(data["receipt_id"])] = (ev.seq, data)
        elif ev.action == PURGE_ACTION:
            purged.update(int(i) for i in data.get("items") or [] if isinstance(i, int))

    units = {u.id: u.code for u in session.scalars(select(Unit))}
    usernames = {u.id: u.username for u in session.scalars(select(User))}
    approvers: dict[int, list[str]] = {}
    seen_reviews: set[int] = set()
    for r in _batches(session, Review):
        report.rows_checked += 1
        seen_reviews.add(r.id)
        who = usernames.get(r.reviewer_id, f"用户#{r.reviewer_id}")
        if r.decision == "approve" and r.id not in withdrawn:
            approvers.setdefault(r.item_id, []).append(who)
        ev = reviews.get(r.id)
        name = f"签署 #{r.id}（稿件 {r.item_id}）"
        if r.withdrawn_at is not None and r.id not in withdrawn:
            report.add(f"{name}：标为已撤回，但审查日志中没有撤回事件")
        elif r.withdrawn_at is None and r.id in withdrawn:
            report.add(f"{name}：第 {withdrawn[r.id][0]} 号事件记录该签署已撤回，数据库中却仍为有效签署")
        elif r.id in withdrawn and withdrawn[r.id][1] != who:
            report.add(f"{name}：第 {withdrawn[r.id][0]} 号事件记录的撤回人 {withdrawn[r.id][1]} 不是签署人 {who}")
        if ev is None:
            report.add(f"{name}：审查日志中没有对应的签署事件")
            continue
        seq, actor, ev_item, data = ev
        if actor != who:
            report.add(f"{name}：签署人为 {who}，但第 {seq} 号事件记录的签署人是 {actor}")
        wrong = [label for key, label, value in (("stage", "阶段", r.stage), ("decision", "意见", r.decision),
                                                  ("content_sha256", "所签内容哈希", r.content_sha256))
                 if key in data and data[key] != value]
        if "document_sha256" in data and data["document_sha256"] != r.document_sha256:
            wrong.append("所签稿件哈希")
        if wrong:
            report.add(f"{name}：{'、'.join(wrong)}与第 {seq} 号事件的记录不一致")
        if ev_item != r.item_id:
            report.add(f"{name}：所属稿件与第 {seq} 号事件不一致")
    for rid, (seq, *_rest) in reviews.items():
        if rid not in seen_reviews:
            report.add(f"第 {seq} 号事件记录的签署 #{rid} 在数据库中不存在（被删除）")

    seen_disps: set[tuple[int, int]] = set()
    for d in _batches(session, Disposition):
        report.rows_checked += 1
        key = (d.review_id, d.finding_id)
        seen_disps.add(key)
        ev2 = disps.get(key)
        if ev2 is None:
            report.add(f"处置 #{d.id}（签署 #{d.review_id}，发现 #{d.finding_id}）：审查日志中没有对应的处置事件")
        elif ev2[1].get("disposition") != d.disposition:
            report.add(f"处置 #{d.id}（签署 #{d.review_id}，发现 #{d.finding_id}）：处置为“{d.disposition}”，"
                       f"第 {ev2[0]} 号事件记录的是“{ev2[1].get('disposition')}”")
    for key, (seq, _) in disps.items():
        if key not in seen_disps:
            report.add(f"第 {seq} 号事件记录的处置（签署 #{key[0]}，发现 #{key[1]}）在数据库中不存在（被删除）")

    findings: dict[int, list[Any]] = {}
    for f in session.execute(select(Finding.item_id, Finding.seq, Finding.rule, Finding.severity, Finding.start, Finding.end)):
        findings.setdefault(f.item_id, []).append(f)
    receipt_rows: dict[int, Receipt] = {}
    seen_receipts: set[int] = set()
    for rc in _batches(session, Receipt):
        report.rows_checked += 1
        seen_receipts.add(rc.id)
        receipt_rows[rc.item_id] = rc
        ev3 = receipts.get(rc.id)
        if ev3 is None:
            report.add(f"发布回执 #{rc.id}（稿件 {rc.item_id}）：审查日志中没有对应的回执事件")
        elif "payload_sha256" in ev3[1] and ev3[1]["payload_sha256"] != hashlib.sha256(rc.payload.encode("utf-8")).hexdigest():
            report.add(f"发布回执 #{rc.id}（稿件 {rc.item_id}）：回执内容与第 {ev3[0]} 号事件记录的不一致")
    for rid, (seq, _) in receipts.items():
        if rid not in seen_receipts and rid not in revoked:
            report.add(f"第 {seq} 号事件记录的发布回执 #{rid} 在数据库中不存在（被删除）")
    session.expunge_all()

    for problem in replay.problems:
        report.add(problem)
    report.rows_checked += replay.check_rows(session, report.add)
    session.expunge_all()

    for item in _batches(session, Item, batch=100):
        report.rows_checked += 1
        _check_item(report, item, items.get(item.id), findings.get(item.id, []), receipt_rows.get(item.id),
                    units.get(item.unit_id, ""), approvers.get(item.id, []), receipt_key, item.id in purged)


def _check_item(
    report: FullReport, item: Item, log: _ItemLog | None, findings: list[Any], receipt: Receipt | None, unit_code: str,
    approvers: list[str], receipt_key: Trust, purged: bool = False,
) -> None:
    name = f"稿件 {item.id}（{item.external_id} 第 {item.version} 版）"
    if log is None or log.submit is None:
        report.add(f"{name}：审查日志中没有提交事件（该行不是经系统提交产生的）")
        return
    sub = log.submit
    if item.purged_at is not None and not purged:
        report.add(f"{name}：标为“已按保存期限清除”，但审查日志中没有清除事件")
    # a purged item (the log's purge event names it) has no bytes to hash: its recorded hash must still be the one
    # the submit event recorded; content deleted without a purge event is an edited body like any other
    body_sha = body_sha256_of(item, purged)
    if body_sha != item.content_sha256 or sub.get("content_sha256", item.content_sha256) != item.content_sha256:
        report.add(f"{name}：正文与提交时记录的 SHA-256 不一致（正文在数据库中被改动或删除）")
    elif "document_sha256" in sub and (sub["document_sha256"] != document_sha256_of(item, purged)
                                       or item.document_sha256 != sub["document_sha256"]):
        report.add(f"{name}：标题、栏目或文件名与提交时记录的稿件哈希不一致（在数据库中被改动）")
    if sub.get("version", item.version) != item.version or sub.get("external_id", item.external_id) != item.external_id:
        report.add(f"{name}：外部编号或版本号与提交事件不一致")
    if item.state != log.state:
        report.add(f"{name}：状态为“{_label(item.state)}”，但审查日志记录的最后状态是“{_label(log.state)}”"
                   f"（第 {log.state_seq} 号事件），该状态没有日志依据")
    if (item.superseded_by_id or None) != (log.superseded_by or None):
        report.add(f"{name}：“被取代”标记与审查日志不一致")
    scan = log.scan
    if scan is not None and scan.get("_action") == "scan":
        counts = scan.get("counts") or {}
        got = {"block": item.block_count, "review": item.review_count, "info": item.info_count}
        if scan.get("verdict") != item.verdict or (counts and counts != got) or scan.get("rules_version") != item.rules_version:
            report.add(f"{name}：扫描结论、各级发现数或规则集版本与扫描事件不一致")
        if "findings" in scan and (scan["findings"] != len(findings) or scan.get("findings_sha256") != findings_sha256(findings)):
            report.add(f"{name}：扫描发现（{len(findings)} 条）与扫描事件记录的（{scan['findings']} 条及其摘要）不一致")
    elif scan is None and findings:
        report.add(f"{name}：有 {len(findings)} 条扫描发现，但审查日志中没有扫描事件")
    if item.state in (APPROVED, RELEASED):
        if receipt is None:
            report.add(f"{name}：状态为“{_label(item.state)}”，但没有发布回执")
        else:
            for problem in receipt_problems(receipt_key, receipt, item, unit_code, approvers, purged=purged, check_trust=False):
                if "旧格式" not in problem:  # receipts issued before format 2 bind the body only; release-check refuses them
                    report.add(f"{name}：{problem}")
            distrust = receipt_distrust(receipt_key, receipt)
            if distrust and "泄露" in distrust:  # signed by a key marked compromised: the log binds it, the CMS must not
                report.key_warnings.append(f"{name}：{distrust}")
