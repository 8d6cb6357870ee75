"""Response bodies, by what the caller may see (accounts.access.view_level).

- Reviewers, officers and auditors (FULL): every finding with its matched text, context, explanation and position.
- Admins (REDACTED): each finding's rule id, category, severity and the rule's message only — no position, location,
  matched text, context or explanation: each of these can carry or point at a term of the secret list.
- Publishing systems (REDACTED, role publisher): the state of their items, the reviewers' decisions and comments and
  the receipt — none of the scanner's findings (no rule ids, no positions, no verdict: one submission of candidate
  names would otherwise recover the term list). A unit may opt in to severity counts (units.publisher_counts).
Scan errors are shown to non-FULL callers without quoted names or exception text (audit.binding.public_reason)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from reviewer.accounts.access import FULL
from reviewer.audit.binding import HIDDEN, hidden_metadata, public_reason
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
    }
    if not full and role != PUBLISHER:
        # the title, channel or file name itself holds a finding: shown to those who may see findings only
        for name in hidden_metadata(item):
            body[name] = HIDDEN
    if role != PUBLISHER or item.unit.publisher_counts:
        body["verdict"] = item.verdict
        body["counts"] = {"block": item.block_count, "review": item.review_count, "info": item.info_count}
    return body


def _finding(f: Any, full: bool) -> dict[str, Any]:
    if full:
        return {"id": f.id, "seq": f.seq, "rule": f.rule, "category": f.category, "severity": f.severity, "location": f.location,
                "start": f.start, "end": f.end, "message": f.message, "match": f.match, "context": f.context,
                "explanation": f.explanation,
                **({"page": f.page, "box": json.loads(f.box) if f.box else None} if f.page is not None else {})}
    return {"id": f.id, "seq": f.seq, "rule": f.rule, "category": f.category, "severity": f.severity,
            "message": public_reason(f.message)}


def item_detail(session: Session, item: Item, level: str, role: str = "", actor: Any = None) -> dict[str, Any]:
    full = level == FULL
    publisher = role == PUBLISHER and not full
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
