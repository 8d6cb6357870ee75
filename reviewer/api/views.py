"""Response bodies. Publishers (and admins) get the redacted view: rule ids, categories, severity, location and counts,
never the matched text or its context."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from reviewer.accounts.access import FULL
from reviewer.store.models import STATE_LABEL, Item, Receipt
from reviewer.workflow import render_check


def iso(at: datetime | None) -> str | None:
    if at is None:
        return None
    if at.tzinfo is None:
        at = at.replace(tzinfo=UTC)
    return at.isoformat()


def item_summary(item: Item) -> dict[str, Any]:
    return {
        "id": item.id, "external_id": item.external_id, "version": item.version, "unit": item.unit.code,
        "title": item.title, "channel": item.channel, "author": item.author, "file_name": item.file_name,
        "state": item.state, "state_label": STATE_LABEL.get(item.state, item.state), "content_sha256": item.content_sha256,
        "verdict": item.verdict, "rules_version": item.rules_version,
        "counts": {"block": item.block_count, "review": item.review_count, "info": item.info_count},
        "scan_error": item.scan_error, "submitted_at": iso(item.submitted_at), "scanned_at": iso(item.scanned_at),
        "decided_at": iso(item.decided_at), "released_at": iso(item.released_at), "superseded_by": item.superseded_by_id,
    }


def item_detail(session: Session, item: Item, level: str) -> dict[str, Any]:
    full = level == FULL
    body = item_summary(item)
    findings = []
    for f in item.findings:
        entry: dict[str, Any] = {"id": f.id, "seq": f.seq, "rule": f.rule, "category": f.category, "severity": f.severity,
                                 "location": f.location, "start": f.start, "end": f.end, "message": f.message}
        if full:
            entry.update(match=f.match, context=f.context, explanation=f.explanation)
        if f.page is not None:  # a finding of the render check: its page and box on the rendered page image
            entry.update(page=f.page, box=json.loads(f.box) if f.box else None)
        findings.append(entry)
    body["findings"] = findings
    body["render_check"] = render_check.summary(session, item.id)
    body["reviews"] = [
        {
            "id": r.id, "stage": r.stage, "decision": r.decision, "comment": r.comment, "reviewer": r.reviewer.username,
            "reviewer_name": r.reviewer.display_name, "at": iso(r.created_at), "content_sha256": r.content_sha256,
            "rules_version": r.rules_version,
            "dispositions": [
                {"finding_id": d.finding_id, "disposition": d.disposition, **({"reason": d.reason} if full else {})}
                for d in r.dispositions
            ],
        }
        for r in item.reviews
    ]
    receipt = session.execute(select(Receipt.id).where(Receipt.item_id == item.id)).scalar_one_or_none()
    body["receipt_id"] = receipt
    return body
