"""The render check in the life of an item: after the text scan is recorded the item gets a RenderCheck; drafts that
are rendered (HTML, Office, PDF, images) wait for the `render` queue's task, plain text is done at once (what is read
is what is seen). Approval waits until the check is `done`; a failed check can never be approved (fail closed).

    request(session, item_id)              in the text scan's transaction (jobs.run_scan)
    start(session, item_id) -> (bytes, name) | None     the render task, under the row lock
    record(session, item_id, report)       findings (with page and box), page images and their hashes; removes the
                                           text scan's scanned-page / image-member notes the check read by OCR
    approval_blocker(session, item) -> str | None       the guard in review.sign_off
    bound_fields(session, item) -> dict    what the sign-off event and the receipt bind (page image hashes)

Idempotent under redelivery: each step checks the check's state under the item's row lock."""

from __future__ import annotations

import hashlib
import json
from typing import TYPE_CHECKING

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from reviewer.accounts.actor import WORKER
from reviewer.audit import events as audit
from reviewer.audit.binding import findings_sha256
from reviewer.scan.model import Finding as ScanFinding
from reviewer.scan.model import verdict_of
from reviewer.store.models import (
    AWAITING_OFFICER,
    AWAITING_REVIEW,
    Disposition,
    Finding,
    Item,
    RenderCheck,
    RenderPage,
    utcnow,
)
from reviewer.workflow.runtime import enqueue

if TYPE_CHECKING:  # pragma: no cover
    from reviewer.render.model import RenderReport

PENDING, DONE, FAILED = "pending", "done", "failed"
MAX_ATTEMPTS = 3
WAITING = "正在核对显示内容…"
TASK = "render_item"


def pages_digest(hashes: list[str]) -> str:
    return hashlib.sha256(("\n".join(hashes)).encode("ascii")).hexdigest()


def reads_images(data: bytes, file_name: str) -> bool:
    from reviewer.render import kind_of

    return kind_of(data, file_name) == "image"


def request(session: Session, item_id: int) -> RenderCheck | None:
    """Create the item's check once its text scan is recorded (awaiting review); send the task after commit."""
    from reviewer.render import kind_of

    item = session.get(Item, item_id)
    if item is None or item.state not in (AWAITING_REVIEW, AWAITING_OFFICER):
        return None
    check = session.get(RenderCheck, item_id)
    if check is not None:
        return check
    kind = kind_of(item.content, item.file_name)
    check = RenderCheck(item_id=item_id, state=PENDING if kind else DONE, kind=kind or "text", page_hashes="[]")
    if kind is None:
        check.pages_sha256 = pages_digest([])
        check.finished_at = utcnow()
    session.add(check)
    session.flush()
    if kind is not None:
        runtime = session.info.get("runtime")
        if runtime is not None and hasattr(runtime.enqueuer, TASK):
            enqueue(session, TASK, item_id)
    return check


def _locked(session: Session, item_id: int) -> tuple[Item, RenderCheck] | None:
    item = session.execute(select(Item).where(Item.id == item_id).with_for_update(of=Item)).scalar_one_or_none()
    check = session.get(RenderCheck, item_id) if item is not None else None
    if item is None or check is None:
        return None
    return item, check


def start(session: Session, item_id: int) -> tuple[bytes, str] | None:
    """The draft to render, or None when there is nothing to do (done, failed, unknown)."""
    got = _locked(session, item_id)
    if got is None:
        return None
    item, check = got
    if check.state != PENDING:
        return None
    check.attempts += 1
    if check.attempts > MAX_ATTEMPTS:
        _fail(session, item, check, f"渲染核对已尝试 {MAX_ATTEMPTS} 次仍未完成，按核对失败处理（不得批准）")
        return None
    return item.content, item.file_name


def record(session: Session, item_id: int, report: RenderReport) -> bool:
    """Store the render check's findings and pages. When it completed, the text scan's notes it has answered — a page
    flagged as a scan (`extract.scanned_page`) or an archive's image member (`extract.image_member`) that it read by
    OCR — are removed (as scan_rendered drops them: the OCR text was scanned, a clean scan passes); the review log's
    `render_check` event names them (seq, rule) and records the item's findings digest, counts and verdict after the
    change (`reviewer audit verify` replays it). An image member left unread fails the check (fail closed)."""
    from reviewer.render.members import IMAGE_MEMBER_RULE, READ_NOTES, UNREAD_IMAGE, is_read, read_locations

    got = _locked(session, item_id)
    if got is None:
        return False
    item, check = got
    if check.state != PENDING:
        return False
    last = session.execute(select(func.max(Finding.seq)).where(Finding.item_id == item_id)).scalar()
    next_seq = 0 if last is None else last + 1  # not `or -1`: a text scan with one finding has seq 0
    for i, f in enumerate(report.findings):
        session.add(Finding(
            item_id=item_id, seq=next_seq + i, rule=f.rule, category=f.category, severity=str(f.severity),
            start=f.start, end=f.end, match=f.match, context=f.context, location=f.location[:300], message=f.message,
            explanation=f.explanation, page=f.page, box=json.dumps(list(f.box)) if f.box else None,
            suggestion=f.suggestion,
        ))
    for p in report.pages:
        session.add(RenderPage(item_id=item_id, page=p.number, width=p.width, height=p.height, sha256=p.sha256,
                               png=p.png, ocr=p.ocr, label=p.where[:2000] if p.member else "", visible=p.visible))
    # the text scan's findings a reader can see, boxed on the pages where the reader sees them (render findings
    # already carry their page and box)
    if report.error is None:
        from reviewer.render.locate import place

        shown = [row for row in item.findings if row.page is None and row.match]
        where = place([(row.id, row.match, row.start) for row in shown], report.pages)
        for row in shown:
            if row.id in where:
                row.page, box = where[row.id]
                row.box = json.dumps(list(box))
    # the text scan's notes the render check answered (nothing when it did not complete: read_locations is empty)
    read = {where[:300] for where in read_locations(report)}
    notes = list(session.execute(select(Finding).where(Finding.item_id == item_id, Finding.rule.in_(READ_NOTES))
                                 .order_by(Finding.seq)).scalars())
    disposed = set(session.execute(select(Disposition.finding_id).where(Disposition.finding_id.in_([n.id for n in notes])))
                   .scalars()) if notes else set()
    answered = [n for n in notes if is_read(n.rule, n.location, read)]
    unread = report.error is None and any(n.rule == IMAGE_MEMBER_RULE and n not in answered for n in notes)
    # only before anyone has signed (a note a reviewer already disposed of stays with its disposition), and only when
    # the check is done: a failed one removes nothing
    superseded = [] if unread else [n for n in answered if item.state == AWAITING_REVIEW and n.id not in disposed]
    for n in superseded:
        session.delete(n)
    session.flush()
    rows = session.execute(select(Finding.seq, Finding.rule, Finding.severity, Finding.start, Finding.end)
                           .where(Finding.item_id == item_id)).all()
    if report.findings or superseded:
        item.block_count = sum(1 for r in rows if r.severity == "block")
        item.review_count = sum(1 for r in rows if r.severity == "review")
        item.info_count = sum(1 for r in rows if r.severity == "info")
        item.verdict = str(verdict_of([_severity_only(r.severity) for r in rows]))
    # what `reviewer audit verify` compares the findings and the item with from now on (the scan event's figures before)
    after = {"item_findings": len(rows), "item_findings_sha256": findings_sha256(rows), "verdict": item.verdict,
             "counts": {"block": item.block_count, "review": item.review_count, "info": item.info_count},
             "superseded": [{"seq": n.seq, "rule": n.rule} for n in superseded]}
    check.kind = report.kind
    check.page_hashes = json.dumps(report.page_hashes)
    check.pages_sha256 = pages_digest(report.page_hashes)
    check.seconds = report.seconds
    if report.error or unread:
        _fail(session, item, check, report.error or UNREAD_IMAGE, after)
        return True
    check.state = DONE
    check.finished_at = utcnow()
    audit.append(session, "render_check", WORKER, unit_code=item.unit.code, item_id=item_id,
                 data={"state": DONE, "kind": report.kind, "pages": len(report.pages), "pages_sha256": check.pages_sha256,
                       "findings": len(report.findings), "rules": sorted({f.rule for f in report.findings}), **after})
    return True


def record_failure(session: Session, item_id: int, reason: str) -> bool:
    got = _locked(session, item_id)
    if got is None or got[1].state != PENDING:
        return False
    _fail(session, got[0], got[1], reason)
    return True


def _severity_only(severity: str) -> ScanFinding:
    from reviewer.scan.model import Severity

    return ScanFinding("", "", Severity(severity), 0, 0, "", "", "")


def _fail(session: Session, item: Item, check: RenderCheck, reason: str, after: dict[str, object] | None = None) -> None:
    check.state = FAILED
    check.error = reason[:2000]
    check.finished_at = utcnow()
    audit.append(session, "render_check", WORKER, unit_code=item.unit.code, item_id=item.id,
                 data={"state": FAILED, "reason": check.error, "attempts": check.attempts, **(after or {})})


def approval_blocker(session: Session, item: Item) -> str | None:
    """Why the item cannot be approved yet because of its render check (None: it may be)."""
    check = session.get(RenderCheck, item.id)
    if check is None:
        return None  # scanned before render checks existed, or outside the worker (unit tests of the workflow)
    if check.state == PENDING:
        return f"{WAITING}渲染核对完成后才能批准（审查员看到的须是读者将看到的内容）"
    if check.state == FAILED:
        return f"显示内容核对失败，不得批准：{check.error or '原因未知'}"
    return None


def states_among(session: Session, item_ids: list[int]) -> dict[int, str]:
    """The render-check state (pending | done | failed) of each item among `item_ids` that has one."""
    out: dict[int, str] = {}
    for i in range(0, len(item_ids), 500):
        chunk = item_ids[i : i + 500]
        out.update((item_id, state) for item_id, state in session.execute(
            select(RenderCheck.item_id, RenderCheck.state).where(RenderCheck.item_id.in_(chunk))))
    return out


def shown_verdict(item: Item, render_state: str | None) -> str:
    """The conclusion a person is shown for an item: never `pass` (未发现问题) while anything is unread. A failed
    scan or a failed render check is `error` (无法完整读取); a clean scan whose render check is still running is
    `pending` (核对中, no conclusion yet)."""
    verdict = item.verdict or ""
    if item.state == "scan_failed" or verdict == "error" or render_state == FAILED:
        return "error"
    if render_state == PENDING and verdict in ("pass", ""):
        return "pending"
    return verdict


def bound_fields(session: Session, item: Item) -> dict[str, object]:
    """The rendered pages' hashes, bound by the sign-off event and the receipt."""
    check = session.get(RenderCheck, item.id)
    if check is None or check.state != DONE:
        return {}
    return {"rendered_pages_sha256": check.pages_sha256, "rendered_pages": json.loads(check.page_hashes)}


def state_of(session: Session, item_id: int) -> RenderCheck | None:
    return session.get(RenderCheck, item_id)


def pages_of(session: Session, item_id: int) -> list[RenderPage]:
    return list(session.execute(select(RenderPage).where(RenderPage.item_id == item_id).order_by(RenderPage.page))
                .scalars())


def pending_ids(session: Session, older_than_seconds: float, limit: int = 100) -> list[int]:
    """Checks still pending after `older_than_seconds` (a lost message): the sweeper sends them again."""
    from datetime import timedelta

    cutoff = utcnow() - timedelta(seconds=older_than_seconds)
    return list(session.execute(select(RenderCheck.item_id).where(RenderCheck.state == PENDING,
                                                                  RenderCheck.requested_at < cutoff).limit(limit)).scalars())


STATE_LABEL = {PENDING: WAITING, DONE: "显示内容已核对", FAILED: "显示内容核对失败（不得批准）"}


def summary(session: Session, item_id: int) -> dict[str, object] | None:
    check = session.get(RenderCheck, item_id)
    if check is None:
        return None
    return {"state": check.state, "label": STATE_LABEL.get(check.state, check.state), "kind": check.kind,
            "error": check.error, "pages": len(json.loads(check.page_hashes or "[]")), "pages_sha256": check.pages_sha256,
            "page_hashes": json.loads(check.page_hashes or "[]")}
