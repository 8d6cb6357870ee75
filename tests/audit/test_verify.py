"""`verify` must catch rows edited, deleted and reordered directly in the database, and name the first broken event."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.orm import Session

from reviewer.audit import queries as audit_query
from reviewer.audit.chain import GENESIS
from tests.audit.fixtures import add_event, t


def _chain(db: Session, n: int = 6) -> None:
    for i in range(n):
        add_event(db, "submit", at=t(3, 1, i), actor="client:cms", role="publisher", unit="A", item_id=i + 1, external_id=f"X{i}")
    db.commit()


def test_empty_chain_is_intact(db: Session) -> None:
    report = audit_query.verify(db)
    assert report.ok and report.checked == 0 and report.head_hash == GENESIS
    assert audit_query.head(db).seq == 0


def test_intact_chain_and_head(db: Session) -> None:
    _chain(db)
    report = audit_query.verify(db)
    assert report.ok and report.checked == 6 and report.head_seq == 6
    h = audit_query.head(db)
    assert (h.seq, h.hash) == (6, report.head_hash)
    assert audit_query.verify(db, expected_head=h.hash).ok


def test_edited_data_is_caught(db: Session) -> None:
    _chain(db)
    db.execute(text("UPDATE audit_events SET data = '{\"external_id\":\"forged\"}' WHERE seq = 3"))
    db.commit()
    report = audit_query.verify(db)
    assert not report.ok and report.broken is not None
    assert report.broken.seq == 3 and "改动" in report.broken.reason
    assert report.checked == 2


def test_edited_actor_is_caught(db: Session) -> None:
    _chain(db)
    db.execute(text("UPDATE audit_events SET actor = 'someone_else' WHERE seq = 5"))
    db.commit()
    assert audit_query.verify(db).broken.seq == 5  # type: ignore[union-attr]


def test_edit_with_recomputed_hash_breaks_the_next_link(db: Session) -> None:
    _chain(db)
    ev = db.execute(text("SELECT * FROM audit_events WHERE seq = 2")).mappings().one()
    from reviewer.audit.chain import event_hash

    forged = event_hash(ev["prev_hash"], seq=2, at=t(3, 1, 1), actor="forger", actor_role=ev["actor_role"],
                        unit_code=ev["unit_code"], item_id=ev["item_id"], action=ev["action"], data=ev["data"])
    db.execute(text("UPDATE audit_events SET actor='forger', hash=:h WHERE seq=2"), {"h": forged})
    db.commit()
    broken = audit_query.verify(db).broken
    assert broken is not None and broken.seq == 3 and "前一事件哈希" in broken.reason


def test_deleted_row_is_caught(db: Session) -> None:
    _chain(db)
    db.execute(text("DELETE FROM audit_events WHERE seq = 4"))
    db.commit()
    broken = audit_query.verify(db).broken
    assert broken is not None and broken.seq == 4 and "缺失" in broken.reason


def test_deleted_and_renumbered_is_caught(db: Session) -> None:
    _chain(db)
    db.execute(text("DELETE FROM audit_events WHERE seq = 4"))
    db.execute(text("UPDATE audit_events SET seq = seq - 1 WHERE seq > 4"))
    db.commit()
    broken = audit_query.verify(db).broken
    assert broken is not None and broken.seq == 4


def test_truncated_tail_is_caught_with_recorded_head(db: Session) -> None:
    _chain(db)
    recorded = audit_query.head(db).hash
    db.execute(text("DELETE FROM audit_events WHERE seq = 6"))
    db.commit()
    assert audit_query.verify(db).ok  # a shorter chain is self-consistent…
    report = audit_query.verify(db, expected_head=recorded)  # …but the head recorded outside is gone
    assert not report.ok and report.broken is not None and report.broken.seq == 6


def test_swapped_seq_is_caught(db: Session) -> None:
    _chain(db)
    db.execute(text("UPDATE audit_events SET seq = -1 WHERE seq = 2"))
    db.execute(text("UPDATE audit_events SET seq = 2 WHERE seq = 3"))
    db.execute(text("UPDATE audit_events SET seq = 3 WHERE seq = -1"))
    db.commit()
    broken = audit_query.verify(db).broken
    assert broken is not None and broken.seq == 2


def test_swapped_content_is_caught(db: Session) -> None:
    """Reorder by swapping every column except seq (rows keep their positions but change places in time)."""
    _chain(db)
    cols = "at, actor, actor_role, unit_code, item_id, action, data, prev_hash, hash"
    r2 = db.execute(text(f"SELECT {cols} FROM audit_events WHERE seq = 2")).mappings().one()
    r3 = db.execute(text(f"SELECT {cols} FROM audit_events WHERE seq = 3")).mappings().one()
    db.execute(text("UPDATE audit_events SET hash = 'tmp2' WHERE seq = 2"))
    db.execute(text("UPDATE audit_events SET hash = 'tmp3' WHERE seq = 3"))
    sets = ", ".join(f"{c.strip()} = :{c.strip()}" for c in cols.split(","))
    db.execute(text(f"UPDATE audit_events SET {sets} WHERE seq = 2"), dict(r3))
    db.execute(text(f"UPDATE audit_events SET {sets} WHERE seq = 3"), dict(r2))
    db.commit()
    broken = audit_query.verify(db).broken
    assert broken is not None and broken.seq == 2


def test_search_events(db: Session) -> None:
    _chain(db)
    rows, total = audit_query.search_events(db, audit_query.EventFilter(item_id=3))
    assert total == 1 and rows[0].seq == 3
    rows, total = audit_query.search_events(db, audit_query.EventFilter(since=t(3, 1, 2), until=t(3, 1, 4)))
    assert [r.seq for r in rows] == [4, 3]
    rows, total = audit_query.search_events(db, audit_query.EventFilter(unit_code="A' OR '1'='1"))
    assert total == 0
