"""Response bodies, by what the caller may see (accounts.access.view_level).

- Reviewers, officers and auditors (FULL): every finding with its matched text, context, explanation and position.
- Everyone else — admins, publishers and publishing systems (REDACTED): the state of the items, the reviewers'
  decisions and comments and the receipt — nothing the scanner produced (no findings, rule ids, severities, counts,
  verdict, render-check figures or dispositions, and the title as submitted rather than masked): what they see must
  not differ between a draft with a listed name and one without, or one submission of candidate names would recover
  the term list (issue 17). The former opt-in severity counts for publishing systems (units.publisher_counts) are
  gone for the same reason.
Scan errors are shown to non-FULL callers without quoted names or exception text (audit.binding.public_reason)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from reviewer.accounts.access import FULL
from reviewer.audit.binding import ADMIN_HIDDEN, ADMIN_HIDDEN_FIELDS, public_reason
from reviewer.store.models import STATE_LABEL, Item, Receipt
from reviewer.workflow import render_check
from reviewer.workflow.scopes import Hider

PUBLISHER = "publisher"


def iso(at: datetime | None) -> str | None:
    if at is None:
        return None
    if at.tzinfo is None:
        at = at.replace(tzinfo=UTC)
    return at.isoformat()


def item_summary(item: Item, level: str = FULL, role: str = "") -> dict[str, Any]:
    full = level == FULL
    body: dict[str, Any] = {
        "id": item.id, "external_id": item.external_id, "version": item.version, "unit": item.unit.code,
        "title": item.title, "channel": item.channel, "author": item.author, "file_name": item.file_name,
        "state": item.state, "state_label": STATE_LABEL.get(item.state, item.state), "content_sha256": item.content_sha256,
        "document_sha256": item.document_sha256, "rules_version": item.rules_version,
        "scan_error": item.scan_error if full else public_reason(item.scan_error) or None,
        "submitted_at": iso(item.submitted_at), "scanned_at": iso(item.scanned_at),
        "decided_at": iso(item.decided_at), "released_at": iso(item.released_at), "superseded_by": item.superseded_by_id,
        # the retention purge removed the content, page images and finding texts (hashes and records stay)
        "purged_at": iso(item.purged_at), "content_status": "已按保存期限清除" if item.purged_at else "保留",
    }
    if not full and role != PUBLISHER:  # the admin: no metadata of any draft (the same for every draft)
        for name in ADMIN_HIDDEN_FIELDS:
            body[name] = ADMIN_HIDDEN
    if full:
        body["verdict"] = item.verdict
        body["counts"] = {"block": item.block_count, "review": item.review_count, "info": item.info_count}
    return body


def _finding(f: Any, full: bool) -> dict[str, Any]:
    if full:
        return {"id": f.id, "seq": f.seq, "rule": f.rule, "category": f.category, "severity": f.severity, "location": f.location,
                "start": f.start, "end": f.end, "message": f.message, "match": f.match, "context": f.context,
                "explanation": f.explanation, "suggestion": f.suggestion or "",
                **({"page": f.page, "box": json.loads(f.box) if f.box else None} if f.page is not None else {})}
    return {"id": f.id, "seq": f.seq, "rule": f.rule, "category": f.category, "severity": f.severity,
            # a wording finding's message names the right form (应为：…), which points at the matched text
            "message": "表述问题" if f.suggestion else public_reason(f.message)}


def item_detail(session: Session, item: Item, level: str, role: str = "", actor: Any = None) -> dict[str, Any]:
    full = level == FULL
    publisher = not full  # scan-blind: admins, publishers and publishing systems alike
    check = None if publisher else render_check.summary(session, item.id)
    if not publisher:
        # the item and its findings are read again after the check: on PostgreSQL (read committed) each statement sees
        # the latest commit, so a check read as finished must not be shown with the findings from before it finished
        session.expire(item)
    body = item_summary(item, level, role)
    # another unit's viewer: no finding of a rule outside their scope (workflow/scopes.py)
    hidden = Hider(session, actor).rules(item.unit.code) if actor is not None else frozenset()
    if not publisher:
        body["findings"] = [_finding(f, full) for f in item.findings if f.rule not in hidden]
        body["render_check"] = check
    body["reviews"] = [
        {
            "id": r.id, "stage": r.stage, "decision": r.decision, "comment": r.comment, "reviewer": r.reviewer.username,
            "reviewer_name": r.reviewer.display_name, "at": iso(r.created_at), "content_sha256": r.content_sha256,
            "document_sha256": r.document_sha256, "rules_version": r.rules_version,
            "withdrawn_at": iso(r.withdrawn_at),  # withdrawn by its signer (no longer a signature)
            **({} if publisher else {"dispositions": [
                {"finding_id": d.finding_id, "disposition": d.disposition, **({"reason": d.reason} if full else {})}
                for d in r.dispositions if d.finding.rule not in hidden
            ]}),
        }
        for r in item.reviews
    ]
    receipt = session.execute(select(Receipt.id).where(Receipt.item_id == item.id)).scalar_one_or_none()
    body["receipt_id"] = receipt
    return body
