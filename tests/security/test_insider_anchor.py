"""The tail after the last checkpoint, shrunk for what matters (audit/checkpoints.py ANCHORED_ACTIONS): a sign-off, an
approval, a release, a rule-set version, a policy or credential change is checkpointed the moment it is written, so a
database writer who rewrites a just-made sign-off and re-hashes every later event is caught by `reviewer audit verify`
with no flags — before, such an event sat in the tail (up to 100 events / 10 minutes) that nothing anchored."""

from __future__ import annotations

import hashlib
import json

from sqlalchemy import select, text

from reviewer.audit import checkpoints
from reviewer.audit import verify as audit_verify
from reviewer.audit.chain import event_hash
from reviewer.store.models import AuditCheckpoint, AuditEvent
from reviewer.workflow.receipts import load_or_create_key
from tests.security.conftest import App
from tests.web.helpers import make_item

TEXT = "区文化和旅游局关于二〇二六年春节期间公园开放时间的通知。"


def _verify(a: App) -> audit_verify.FullReport:
    with a.db.session() as s:
        return audit_verify.run(s, receipt_key=load_or_create_key(a.data_dir).public, settings=a.settings)


def _rehash_from(a: App, seq: int, edit: dict[str, object]) -> None:
    """The insider's edit of event `seq` (its data), every later hash recomputed: the chain alone verifies again."""
    with a.db.session() as s:
        rows = list(s.scalars(select(AuditEvent).where(AuditEvent.seq >= seq - 1).order_by(AuditEvent.seq)))
        prev = rows[0].hash
        for ev in rows[1:]:
            if ev.seq == seq:
                ev.data = json.dumps({**json.loads(ev.data), **edit}, ensure_ascii=False, separators=(",", ":"),
                                     sort_keys=True)
            ev.prev_hash = prev
            ev.hash = event_hash(prev, seq=ev.seq, at=ev.at, actor=ev.actor, actor_role=ev.actor_role,
                                 unit_code=ev.unit_code, item_id=ev.item_id, action=ev.action, data=ev.data)
            prev = ev.hash


def test_a_just_made_sign_off_is_anchored_and_cannot_be_rewritten(inproc: App) -> None:
    assert inproc.settings.checkpoint_every >= 100 and inproc.settings.checkpoint_minutes >= 10  # the defaults
    for i in range(3):
        make_item(inproc.db, f"{TEXT}{i}", external_id=f"pre-{i}")  # a history: its first event was checkpointed
    item_id = make_item(inproc.db, TEXT, external_id="signed")
    r = inproc.client("rev1").post(f"/api/v1/items/{item_id}/review", json={
        "content_sha256": hashlib.sha256(TEXT.encode()).hexdigest(), "decision": "approve", "comment": "同意发布"})
    assert r.status_code == 200, r.text
    with inproc.db.session() as s:
        seq = s.execute(select(AuditEvent.seq).where(AuditEvent.item_id == item_id, AuditEvent.action == "approve")
                        ).scalar_one()
        head = s.execute(select(AuditEvent.seq).order_by(AuditEvent.seq.desc()).limit(1)).scalar_one()
        anchored = set(s.scalars(select(AuditCheckpoint.seq)))
    assert seq in anchored  # checkpointed at once, not 100 events or 10 minutes later
    assert head - seq < 100  # (the count rule alone would not have reached it)
    lines = (checkpoints.anchor_dir(inproc.settings) / checkpoints.FILE_NAME).read_text().splitlines()
    assert any(json.loads(line)["seq"] == seq for line in lines)  # in the data directory, where the writer cannot go
    assert _verify(inproc).ok
    # the insider rewrites the sign-off (its comment, in the log and in the row) and re-hashes the rest of the chain,
    # then deletes the checkpoint rows from the database as well
    _rehash_from(inproc, seq, {"comment": "已核对，情况属实，同意发布"})
    with inproc.db.session() as s:
        s.execute(text("UPDATE reviews SET comment='已核对，情况属实，同意发布' WHERE item_id=:i"), {"i": item_id})
        s.execute(text("DELETE FROM audit_checkpoints WHERE seq >= :s"), {"s": seq})
    report = _verify(inproc)
    assert not report.ok and report.chain.broken is not None and "检查点" in report.chain.broken.reason


def test_decisions_and_what_they_are_judged_by_are_anchored() -> None:
    """Each kind of event verify judges a sign-off by is anchored at once (and nothing outside the log's actions)."""
    from reviewer.audit.events import ACTIONS
    from reviewer.audit.verify import REVIEW_ACTIONS

    assert set(REVIEW_ACTIONS) <= checkpoints.ANCHORED_ACTIONS
    assert {"released", "receipt", "rules_loaded", "rule_scope_changed", "unit_updated", "token_created",
            "user_role_changed"} <= checkpoints.ANCHORED_ACTIONS
    assert checkpoints.ANCHORED_ACTIONS <= set(ACTIONS)
