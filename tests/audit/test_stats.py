from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from reviewer.audit.statistics import Period, cell, compute
from tests.audit.fixtures import populate


def test_year_by_unit(db: Session) -> None:
    populate(db)
    st = compute(db, Period(2026))
    a, b = st.units
    assert (a.unit_code, a.submitted, a.scanned) == ("A", 6, 5)
    assert (a.flagged_block, a.flagged_review, a.flagged_info) == (2, 2, 1)
    assert (a.approved, a.rejected, a.returned, a.scan_failed, a.alerts) == (2, 1, 1, 1, 1)
    assert a.median_hours == 5.0  # 2, 10, 4, 6 hours
    assert (b.submitted, b.approved, b.median_hours) == (1, 1, 1.0)  # the 2025 item is outside
    assert (st.total.submitted, st.total.approved, st.total.median_hours) == (7, 3, 4.0)


def test_month(db: Session) -> None:
    populate(db)
    st = compute(db, Period(2026, 3))
    a = st.units[0]
    assert (a.submitted, a.scanned, a.approved, a.rejected, a.returned, a.scan_failed, a.alerts) == (4, 3, 2, 1, 0, 1, 0)
    assert a.median_hours == 4.0
    assert st.units[1].submitted == 0 and st.units[1].median_hours is None
    assert st.period.label == "2026年3月"


def test_rules_and_false_positive_share(db: Session) -> None:
    populate(db)
    rules = {r.rule: r for r in compute(db, Period(2026)).rules}
    mark = rules["marking.level"]
    assert (mark.hits, mark.items, mark.severity, mark.confirmed, mark.false_positive) == (3, 3, "block", 3, 0)
    mobile = rules["pii.mobile"]
    assert (mobile.hits, mobile.confirmed, mobile.false_positive) == (2, 1, 1)
    assert cell(mobile, "false_positive_share") == "50.0%"


def test_beijing_month_boundary(db: Session) -> None:
    """An item submitted 2026-03-31 17:00 UTC is 2026-04-01 01:00 in Beijing: it counts in April."""
    from datetime import UTC, datetime

    from reviewer.store.models import Unit
    from tests.audit.fixtures import make_item

    u = Unit(code="C", name="丙局")
    db.add(u)
    db.flush()
    make_item(db, u, "C1", submitted=datetime(2026, 3, 31, 17, tzinfo=UTC), scanned=None, verdict=None, state="queued")
    assert compute(db, Period(2026, 3), unit_code="C").units[0].submitted == 0
    assert compute(db, Period(2026, 4), unit_code="C").units[0].submitted == 1


def test_bad_period() -> None:
    with pytest.raises(ValueError):
        Period(2026, 13)
