"""The sweeper respects a running scan's lease (workflow/jobs.py, workflow/sweep.py); a dead worker's lease runs out."""

from __future__ import annotations

from datetime import timedelta

from reviewer.store.models import SCANNING, Item, utcnow
from reviewer.store.session import Database
from reviewer.workflow import scanning
from reviewer.workflow.jobs import _leased
from reviewer.workflow.sweep import sweep
from tests.workflow.conftest import RecordingEnqueuer
from tests.workflow.helpers import submitted


def test_a_leased_scan_is_not_sent_again_an_expired_one_is(db: Database, enqueuer: RecordingEnqueuer) -> None:
    item_id = submitted(db)
    with db.session() as s:
        item = scanning.start_scan(s, item_id)
        assert item is not None and item.state == SCANNING
        item.enqueued_at = utcnow() - timedelta(minutes=10)  # long ago: the old sweeper re-sent it
        item.scan_lease_until = utcnow() + timedelta(seconds=20)
    enqueuer.sent.clear()
    with db.session() as s:
        assert sweep(s, older_than_seconds=3).items == []
        assert _leased(s, item_id)
    assert ("scan_item", item_id) not in enqueuer.sent
    with db.session() as s:
        item = s.get(Item, item_id)
        assert item is not None
        item.scan_lease_until = utcnow() - timedelta(seconds=1)  # the worker died: nobody renewed it
    with db.session() as s:
        assert sweep(s, older_than_seconds=3).items == [item_id]
        assert not _leased(s, item_id)
    assert ("scan_item", item_id) in enqueuer.sent


def test_scan_tasks_carry_routing_hints_without_loading_the_content(db: Database) -> None:
    from reviewer.settings import Settings
    from reviewer.workflow.runtime import _hints
    from workers.app import DEFAULT_QUEUE, LARGE_QUEUE, route_scan

    item_id = submitted(db, "正文" * 10)
    with db.session() as s:  # a fresh session: the item is not loaded, one small query answers
        assert _hints(s, "scan_item", item_id) == {"size": 60, "file_name": "content.txt"}
        assert _hints(s, "deliver_callback", item_id) == {}
    settings = Settings.from_env({"REVIEWER_LARGE_DRAFT_BYTES": "100"})
    assert route_scan(settings, 60, "content.txt") == DEFAULT_QUEUE
    assert route_scan(settings, 101, "content.txt") == LARGE_QUEUE
    assert route_scan(settings, 60, "通知.PDF") == LARGE_QUEUE and route_scan(settings, 60, "a.docx") == LARGE_QUEUE
