from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from reviewer.accounts import manage as accounts
from reviewer.store.models import Alert, AuditEvent, CallbackDelivery, Item, utcnow
from reviewer.workflow import callbacks, release, rescan, sweep
from reviewer.workflow.review import sign_off
from tests.workflow.conftest import result
from tests.workflow.helpers import all_disposed, client, scanned, submitted, user


def test_sweep_resends_only_items_pending_too_long(db, enqueuer) -> None:
    fresh = submitted(db, "a", external_id="a")
    stuck = submitted(db, "b", external_id="b")
    done = submitted(db, "c", external_id="c")
    scanned(db, done, result())
    with db.session() as s:
        s.get(Item, stuck).enqueued_at = utcnow() - timedelta(minutes=5)
        s.get(Item, done).enqueued_at = utcnow() - timedelta(minutes=5)
    enqueuer.sent.clear()
    with db.session() as s:
        report = sweep.sweep(s, older_than_seconds=60)
    assert report.items == [stuck] and enqueuer.sent == [("scan_item", stuck)]
    assert fresh not in report.items


def _approved_with_callback(db) -> int:  # noqa: ANN001
    with db.session() as s:
        accounts.set_callback(s, accounts.get_unit(s, "U1"), "http://127.0.0.1:9/never")
    item_id = submitted(db)
    scanned(db, item_id, result())
    with db.session() as s:
        good = s.get(Item, item_id).content_sha256
    with db.session() as s:
        sign_off(s, item_id, user(s, "rev1"), good, "approve", "")
    return item_id


def test_dead_callback_retries_then_gives_up_without_touching_the_decision(db) -> None:
    item_id = _approved_with_callback(db)
    with db.session() as s:
        delivery_id = s.execute(select(CallbackDelivery.id)).scalar_one()
    for attempt in range(1, callbacks.MAX_ATTEMPTS + 1):
        with db.session() as s:
            assert callbacks.prepare(s, delivery_id) is not None
        with db.session() as s:
            status = callbacks.record_attempt(s, delivery_id, "ConnectError")
        assert status == ("failed" if attempt == callbacks.MAX_ATTEMPTS else "pending")
    with db.session() as s:
        assert s.get(Item, item_id).state == "approved"
        assert s.get(CallbackDelivery, delivery_id).status == "failed"
        assert callbacks.prepare(s, delivery_id) is None
        assert s.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "callback_failed")) == 1


def test_callback_signature_is_hmac_sha256() -> None:
    import hashlib
    import hmac

    assert callbacks.signature("k", b"body") == hmac.new(b"k", b"body", hashlib.sha256).hexdigest()


def test_rescan_alerts_once_per_rules_version(db) -> None:
    item_id = submitted(db)
    scanned(db, item_id, result("review"))
    with db.session() as s:
        good = s.get(Item, item_id).content_sha256
    fp = all_disposed(db, item_id)
    with db.session() as s:
        sign_off(s, item_id, user(s, "rev1"), good, "approve", "", fp)
    with db.session() as s:
        release.mark_released(s, item_id, client(s, "cms1"))
    with db.session() as s:
        assert rescan.released_item_ids(s) == [item_id]
        assert rescan.record_rescan(s, item_id, result("review", rules_version="rv1")) is None  # same rules
    newer = result("review", "block", rules_version="rv2")
    with db.session() as s:
        alert = rescan.record_rescan(s, item_id, newer)
        assert alert is not None and alert.verdict == "block" and "rule.1" in alert.summary
    with db.session() as s:
        rescan.record_rescan(s, item_id, newer)
        assert s.scalar(select(func.count()).select_from(Alert)) == 1
