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
    # 须修改 counts the old value 确认 (confirmed) too; A1's info finding is 属实但可公开
    assert (mark.hits, mark.items, mark.severity, mark.must_fix, mark.public_ok, mark.false_positive) == (3, 3, "block", 2, 1, 0)
    mobile = rules["pii.mobile"]
    assert (mobile.hits, mobile.must_fix, mobile.public_ok, mobile.false_positive) == (2, 1, 0, 1)
    assert cell(mobile, "false_positive_share") == "50.0%"
    assert cell(mark, "false_positive_share") == "0.0%"


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


def test_exceptions_fixed_and_the_report_paragraph(db: Session) -> None:
    """例外批准: A6's unit approval confirmed its block finding (A2's marked it a false positive, A1's marked its info
    finding 属实但可公开: neither still stands, not an exception).
    发现并整改: A5 was returned and its next version no longer holds the finding; a finding the next version still
    holds is not counted as fixed."""
    from reviewer.audit.statistics import report_paragraph
    from reviewer.store.models import Finding, Item
    from tests.audit.fixtures import make_item, t

    made = populate(db)
    a5 = db.query(Item).filter_by(external_id="A5").one()
    db.add(Finding(item_id=a5.id, seq=1, rule="marking.level", category="密级标志", severity="block", start=0, end=1,
                   match="秘密★", location="正文", message="消息"))
    v2 = make_item(db, made["a"], "A5", version=2, submitted=t(4, 3, 0), scanned=t(4, 3, 0), verdict="block",  # type: ignore[arg-type]
                   state="awaiting_review", findings=[("marking.level", "密级标志", "block")])
    db.query(Finding).filter_by(item_id=v2.id).one().match = "秘密★"  # still there in v2: not fixed
    a5.superseded_by_id = v2.id
    db.flush()
    st = compute(db, Period(2026))
    a = st.units[0]
    assert (a.exceptions, a.fixed) == (1, 1)  # the mobile number went, the marking stayed
    assert compute(db, Period(2026, 3)).units[0].exceptions == 0  # A6 was signed in April
    text = report_paragraph(st)
    assert "2026年" in text and f"对拟公开的 {st.total.submitted} 件信息" in text
    assert "例外批准 1 件" in text and "发现并整改问题 1 处" in text and f"批准公开 {st.total.approved} 件" in text
