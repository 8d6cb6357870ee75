"""Scan transitions, called by the worker: queued → scanning → awaiting_review | scan_failed.

Idempotent under redelivery (acks_late, the sweeper, a killed worker): each step checks the state under the row
lock, so recording a result twice is a no-op and findings are never duplicated (Finding.seq is unique per item)."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.orm import Session

from reviewer.accounts.actor import WORKER
from reviewer.audit import events as audit
from reviewer.audit.binding import findings_sha256, public_reason
from reviewer.errors import NotFound
from reviewer.scan.model import Finding as ScanFinding
from reviewer.scan.model import ScanResult, Verdict
from reviewer.store.models import AWAITING_REVIEW, QUEUED, SCAN_FAILED, SCANNING, Finding, Item, Unit, utcnow
from reviewer.workflow.states import move

if TYPE_CHECKING:  # pragma: no cover
    from reviewer.scan.scanner import Scanner

MAX_SCAN_ATTEMPTS = 5

# Every field a reader sees next to the body, with the location its findings carry.
METADATA_FIELDS = (("title", "标题"), ("channel", "栏目"), ("file_name", "文件名"))


def scan_metadata(scanner: Scanner, **fields: str) -> list[ScanFinding]:
    """Scan the title, channel and file name like the body; findings are located `标题`, `栏目`, `文件名` and their
    offsets index that field."""
    out: list[ScanFinding] = []
    for name, label in METADATA_FIELDS:
        text = fields.get(name) or ""
        if name == "file_name" and text == "content.txt":
            continue  # the default name of a body sent as text: nothing a reader sees
        if text:
            out.extend(replace(f, location=label) for f in scanner.scan(text).findings)
    return out


def with_metadata(scanner: Scanner, result: ScanResult, *, title: str, channel: str, file_name: str) -> ScanResult:
    """The body's scan result plus the findings in the metadata (a read error of the body stays an error)."""
    extra = scan_metadata(scanner, title=title, channel=channel, file_name=file_name)
    return ScanResult(rules_version=result.rules_version, findings=[*extra, *result.findings], error=result.error,
                      encoding=result.encoding)


def without_rules(result: ScanResult, rules: frozenset[str]) -> ScanResult:
    """The result without the findings of `rules` (the built-in expression pack of a unit that switched it off)."""
    if not rules or not any(f.rule in rules for f in result.findings):
        return result
    return ScanResult(rules_version=result.rules_version, findings=[f for f in result.findings if f.rule not in rules],
                      error=result.error, encoding=result.encoding)


def expression_checks(session: Session, item_id: int) -> bool:
    """Whether the built-in expression pack applies to this item's unit (units.expression_checks)."""
    value = session.execute(select(Unit.expression_checks).join(Item, Item.unit_id == Unit.id).where(Item.id == item_id)).scalar()
    return value is not False


def _locked_item(session: Session, item_id: int) -> tuple[Item, str]:
    """The item under its row lock, with its unit's code in the same query (the audit event needs it; no lazy load)."""
    row = session.execute(
        select(Item, Unit.code).join(Unit, Unit.id == Item.unit_id).where(Item.id == item_id).with_for_update(of=Item)
    ).first()
    if row is None:
        raise NotFound(f"稿件 {item_id} 不存在")
    return row[0], row[1]


def start_scan(session: Session, item_id: int) -> Item | None:
    """Mark the item as being scanned. Returns None when there is nothing to do (already scanned, superseded …)."""
    item, unit_code = _locked_item(session, item_id)
    if item.state not in (QUEUED, SCANNING):
        return None
    if item.scan_attempts >= MAX_SCAN_ATTEMPTS:
        # A draft that keeps killing or stalling the worker: stop trying and fail closed.
        _fail(session, item, f"扫描已尝试 {item.scan_attempts} 次仍未完成，按扫描失败处理（不得批准）", unit_code)
        return None
    first = item.state == QUEUED
    move(item, SCANNING)
    item.scan_attempts += 1
    if first:
        audit.append(session, "scan_started", WORKER, unit_code=unit_code, item_id=item.id, data={"attempt": item.scan_attempts})
    return item


def record_scan(session: Session, item_id: int, result: ScanResult) -> bool:
    """Store the findings and move to awaiting_review (or scan_failed when the document could not be read)."""
    item, unit_code = _locked_item(session, item_id)
    if item.state not in (QUEUED, SCANNING):
        return False
    if result.error or result.verdict == Verdict.ERROR:
        item.rules_version = result.rules_version
        _fail(session, item, result.error or "文档无法完整读取", unit_code)
        return True
    rows = []
    for seq, f in enumerate(result.findings):
        rows.append(
            Finding(
                item_id=item.id, seq=seq, rule=f.rule, category=f.category, severity=str(f.severity), start=f.start, end=f.end,
                match=f.match, context=f.context, location=f.location[:300], message=f.message, explanation=f.explanation,
                suggestion=f.suggestion,
            )
        )
    session.add_all(rows)
    counts = result.counts()
    item.verdict = str(result.verdict)
    item.rules_version = result.rules_version
    item.encoding = result.encoding
    item.block_count, item.review_count, item.info_count = counts["block"], counts["review"], counts["info"]
    item.scanned_at = utcnow()
    item.scan_error = None
    move(item, AWAITING_REVIEW)
    audit.append(
        session, "scan", WORKER, unit_code=unit_code, item_id=item.id,
        data={
            "verdict": item.verdict, "rules_version": item.rules_version, "counts": counts,
            "rules": sorted({f.rule for f in result.findings}), "content_sha256": item.content_sha256,
            "findings": len(rows), "findings_sha256": findings_sha256(rows),
        },
    )
    return True


def record_scan_failure(session: Session, item_id: int, reason: str, rules_version: str | None = None) -> bool:
    item, unit_code = _locked_item(session, item_id)
    if item.state not in (QUEUED, SCANNING):
        return False
    if rules_version:
        item.rules_version = rules_version
    _fail(session, item, reason, unit_code)
    return True


def _fail(session: Session, item: Item, reason: str, unit_code: str) -> None:
    move(item, SCAN_FAILED)
    item.verdict = str(Verdict.ERROR)
    item.scan_error = reason[:2000]
    item.scanned_at = utcnow()
    audit.append(
        session, "scan_failed", WORKER, unit_code=unit_code, item_id=item.id,
        # the reason without quoted names or exception text: an embedded file's name can be a term
        data={"reason": public_reason(item.scan_error), "rules_version": item.rules_version, "attempts": item.scan_attempts},
    )
