from __future__ import annotations

import hashlib

import pytest
from sqlalchemy import func, select

from reviewer.accounts.actor import Actor
from reviewer.errors import PermissionDenied
from reviewer.store.models import AWAITING_REVIEW, QUEUED, SCAN_FAILED, SUPERSEDED, AuditEvent, Finding, Item
from reviewer.workflow import scanning, submit
from tests.workflow.conftest import result
from tests.workflow.helpers import client, scanned, submitted, user


def test_submit_commits_row_and_event_then_enqueues(db, enqueuer) -> None:
    item_id = submitted(db, "内容")
    assert enqueuer.sent == [("scan_item", item_id)]
    with db.session() as s:
        item = s.get(Item, item_id)
        assert item.state == QUEUED and item.content_sha256 == hashlib.sha256("内容".encode()).hexdigest()
        event = s.execute(select(AuditEvent).where(AuditEvent.action == "submit")).scalar_one()
        assert event.item_id == item_id and "内容" not in event.data


def test_nothing_enqueued_when_transaction_rolls_back(db, enqueuer) -> None:
    with pytest.raises(RuntimeError), db.session() as s:
        submit.submit(s, client(s, "cms1"), external_id="x", content=b"a")
        raise RuntimeError("boom")
    assert enqueuer.sent == []


def test_identical_repost_is_idempotent_and_new_content_supersedes(db) -> None:
    first = submitted(db, "v1")
    assert submitted(db, "v1") == first
    second = submitted(db, "v2")
    assert second != first
    with db.session() as s:
        old, new = s.get(Item, first), s.get(Item, second)
        assert old.state == SUPERSEDED and old.superseded_by_id == second and new.version == 2
        assert s.scalar(select(func.count()).select_from(Item)) == 2


def test_same_external_id_in_other_unit_is_separate(db) -> None:
    assert submitted(db, "v", cms="cms1") != submitted(db, "v", cms="cms2")


def test_reviewer_cannot_submit(db) -> None:
    with pytest.raises(PermissionDenied), db.session() as s:
        submit.submit(s, user(s, "rev1"), external_id="x", content=b"a")


def test_file_names_lose_their_directories() -> None:
    assert submit.safe_file_name("../../etc/passwd") == "passwd"
    assert submit.safe_file_name("C:\\x\\..\\a.docx") == "a.docx"
    assert submit.safe_file_name("..") == "content.txt"


def test_scan_records_findings_once(db) -> None:
    item_id = submitted(db)
    item = scanned(db, item_id, result("review", "info"))
    assert item.state == AWAITING_REVIEW and item.review_count == 1 and item.info_count == 1 and item.rules_version == "rv1"
    with db.session() as s:  # a redelivered task records nothing twice
        assert scanning.start_scan(s, item_id) is None
        assert scanning.record_scan(s, item_id, result("review", "info")) is False
    with db.session() as s:
        assert s.scalar(select(func.count()).select_from(Finding)) == 2
        actions = list(s.execute(select(AuditEvent.action).where(AuditEvent.item_id == item_id).order_by(AuditEvent.seq)).scalars())
        assert actions == ["submit", "scan_started", "scan"]


def test_unreadable_document_fails_closed(db) -> None:
    item_id = submitted(db)
    item = scanned(db, item_id, result(error="文件损坏"))
    assert item.state == SCAN_FAILED and item.scan_error == "文件损坏" and item.verdict == "error"


def test_too_many_attempts_fail_closed(db) -> None:
    item_id = submitted(db)
    for _ in range(scanning.MAX_SCAN_ATTEMPTS):
        with db.session() as s:
            assert scanning.start_scan(s, item_id) is not None
    with db.session() as s:
        assert scanning.start_scan(s, item_id) is None
        assert s.get(Item, item_id).state == SCAN_FAILED


def test_superseded_while_scanning_is_not_recorded(db) -> None:
    item_id = submitted(db, "v1")
    with db.session() as s:
        scanning.start_scan(s, item_id)
    submitted(db, "v2")
    with db.session() as s:
        assert scanning.record_scan(s, item_id, result()) is False
        assert s.get(Item, item_id).state == SUPERSEDED


def test_actor_of_client_token(db) -> None:
    with db.session() as s:
        a = client(s, "cms1")
        assert isinstance(a, Actor) and a.name == "client:cms1" and a.role == "publisher" and a.unit_code == "U1"
