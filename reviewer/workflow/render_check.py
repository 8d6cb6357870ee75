"""The render check in the life of an item: after the text scan is recorded the item gets a RenderCheck; drafts that
are rendered (HTML, Office, PDF, images) wait for the `render` queue's task, plain text is done at once (what is read
is what is seen). Approval waits until the check is `done`; a failed check can never be approved (fail closed).

    request(session, item_id)              in the text scan's transaction (jobs.run_scan)
    start(session, item_id) -> (bytes, name) | None     the render task, under the row lock
    record(session, item_id, report)       findings (with page and box), page images and their hashes
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
from reviewer.scan.model import Finding as ScanFinding
from reviewer.scan.model import verdict_of
from reviewer.store.models import AWAITING_OFFICER, AWAITING_REVIEW, Finding, Item, RenderCheck, RenderPage, utcnow
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
    got = _locked(session, item_id)
    if got is None:
        return False
    item, check = got
    if check.state != PENDING:
        return False
    next_seq = (session.execute(select(func.max(Finding.seq)).where(Finding.item_id == item_id)).scalar() or -1) + 1
    for i, f in enumerate(report.findings):
        session.add(Finding(
            item_id=item_id, seq=next_seq + i, rule=f.rule, category=f.category, severity=str(f.severity),
            start=f.start, end=f.end, match=f.match, context=f.context, location=f.location[:300], message=f.message,
            explanation=f.explanation, page=f.page, box=json.dumps(list(f.box)) if f.box else None,
        ))
    for p in report.pages:
        session.add(RenderPage(item_id=item_id, page=p.number, width=p.width, height=p.height, sha256=p.sha256,
                               png=p.png, ocr=p.ocr, label=p.where[:2000] if p.member else ""))
    if report.findings:
        session.flush()
        rows = session.execute(select(Finding.severity).where(Finding.item_id == item_id)).scalars().all()
        item.block_count = sum(1 for s in rows if s == "block")
        item.review_count = sum(1 for s in rows if s == "review")
        item.info_count = sum(1 for s in rows if s == "info")
        item.verdict = str(verdict_of([_severity_only(s) for s in rows]))
    check.kind = report.kind
    check.page_hashes = json.dumps(report.page_hashes)
    check.pages_sha256 = pages_digest(report.page_hashes)
    check.seconds = report.seconds
    if report.error:
        _fail(session, item, check, report.error)
        return True
    check.state = DONE
    check.finished_at = utcnow()
    audit.append(session, "render_check", WORKER, unit_code=item.unit.code, item_id=item_id,
                 data={"state": DONE, "kind": report.kind, "pages": len(report.pages), "pages_sha256": check.pages_sha256,
                       "findings": len(report.findings), "rules": sorted({f.rule for f in report.findings})})
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


def _fail(session: Session, item: Item, check: RenderCheck, reason: str) -> None:
    check.state = FAILED
    check.error = reason[:2000]
    check.finished_at = utcnow()
    audit.append(session, "render_check", WORKER, unit_code=item.unit.code, item_id=item.id,
                 data={"state": FAILED, "reason": check.error, "attempts": check.attempts})


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


def pending_among(session: Session, item_ids: list[int]) -> set[int]:
    """The items among `item_ids` whose render check has not finished (the queue shows them as 核对中)."""
    out: set[int] = set()
    for i in range(0, len(item_ids), 500):
        chunk = item_ids[i : i + 500]
        out.update(session.scalars(select(RenderCheck.item_id).where(RenderCheck.item_id.in_(chunk),
                                                                     RenderCheck.state == PENDING)))
    return out


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
