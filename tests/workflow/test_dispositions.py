"""Dispositions that mean something (issue 20): 须修改 / 属实但可公开 / 误报, and approval with a finding still
standing only as an exception — reason, the signer's confirmation and a secrecy officer's second signature — tried as
an insider would (crafted values, missing and blank reasons, a reason that holds a listed term, the alias)."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from reviewer.audit import queries
from reviewer.errors import InvalidInput, InvalidTransition, PermissionDenied
from reviewer.store.models import AuditEvent, Disposition, Item, Receipt
from reviewer.workflow import dispositions
from reviewer.workflow.review import DispositionInput, sign_off
from tests.workflow.conftest import result
from tests.workflow.helpers import scanned, submitted, user


def _open(db, *severities: str, cms: str = "cms1", ext: str = "d-1") -> tuple[int, str, list[int]]:  # type: ignore[no-untyped-def]
    item_id = submitted(db, cms=cms, external_id=ext)
    item = scanned(db, item_id, result(*severities))
    with db.session() as s:
        it = s.get(Item, item_id)
        return item_id, item.content_sha256, [f.id for f in it.findings]  # type: ignore[union-attr]


def _state(db, item_id: int) -> str:  # type: ignore[no-untyped-def]
    with db.session() as s:
        return s.get(Item, item_id).state  # type: ignore[union-attr]


def test_label_tables_agree() -> None:
    """audit imports nothing from workflow, so the table is written twice: they must not drift."""
    assert queries.DISPOSITION_LABEL == dispositions.LABEL
    assert set(dispositions.DISPOSITIONS) | {"confirmed"} == set(dispositions.LABEL)


@pytest.mark.parametrize("value", ["bogus", "CONFIRMED", "approve", "", "fixed ", "误报"])
def test_crafted_values_are_refused(db, value: str) -> None:  # type: ignore[no-untyped-def]
    item_id, sha, (fid,) = _open(db, "review")
    with db.session() as s, pytest.raises(InvalidInput, match="处置须为|已修改"):
        sign_off(s, item_id, user(s, "rev1"), sha, "return", "", [DispositionInput(fid, value, "理由")])
    assert _state(db, item_id) == "awaiting_review"


def test_fixed_is_refused_for_a_finding_of_this_version(db) -> None:  # type: ignore[no-untyped-def]
    item_id, sha, (fid,) = _open(db, "info")
    with db.session() as s, pytest.raises(InvalidInput, match="不能标为“已修改”"):
        sign_off(s, item_id, user(s, "rev1"), sha, "approve", "", [DispositionInput(fid, "fixed", "作者已删去")])
    assert _state(db, item_id) == "awaiting_review"


@pytest.mark.parametrize("value", ["public_ok", "false_positive"])
@pytest.mark.parametrize("reason", ["", "   ", "\n\t"])
def test_public_ok_and_false_positive_need_a_reason(db, value: str, reason: str) -> None:  # type: ignore[no-untyped-def]
    item_id, sha, (fid,) = _open(db, "info")
    for decision in ("approve", "return"):
        with db.session() as s, pytest.raises(InvalidInput, match="须写明理由"):
            sign_off(s, item_id, user(s, "rev1"), sha, decision, "", [DispositionInput(fid, value, reason)])
    assert _state(db, item_id) == "awaiting_review"


@pytest.mark.parametrize("value,severity", [("must_fix", "info"), ("must_fix", "review"), ("confirmed", "review"),
                                            ("public_ok", "review")])
def test_a_standing_finding_is_never_approved_by_one_reviewer(db, value: str, severity: str) -> None:  # type: ignore[no-untyped-def]
    """U1's block policy is "revise", but these are not block findings: the exception path (officer) is open."""
    item_id, sha, (fid,) = _open(db, severity)
    with db.session() as s, pytest.raises(InvalidInput, match="例外批准|须写明理由"):
        sign_off(s, item_id, user(s, "rev1"), sha, "approve", "", [DispositionInput(fid, value, "")], exception_confirmed=True)
    with db.session() as s, pytest.raises(InvalidInput, match="勾选确认"):
        sign_off(s, item_id, user(s, "rev1"), sha, "approve", "", [DispositionInput(fid, value, "经领导同意")])
    assert _state(db, item_id) == "awaiting_review"
    with db.session() as s:
        sign_off(s, item_id, user(s, "rev1"), sha, "approve", "", [DispositionInput(fid, value, "经领导同意")],
                 exception_confirmed=True)
    assert _state(db, item_id) == "awaiting_officer"  # not approved: the officer's second signature is still needed
    with db.session() as s:
        assert s.scalars(select(Receipt).where(Receipt.item_id == item_id)).first() is None
        assert s.scalars(select(Disposition.disposition)).one() == dispositions.normalize(value)  # alias stored as must_fix
    with db.session() as s, pytest.raises(PermissionDenied):
        sign_off(s, item_id, user(s, "rev1b"), sha, "approve", "", exception_confirmed=True)  # a reviewer cannot co-sign
    with db.session() as s, pytest.raises(InvalidInput, match="保密员复核须本人勾选"):
        sign_off(s, item_id, user(s, "off1"), sha, "approve", "")
    with db.session() as s:
        sign_off(s, item_id, user(s, "off1"), sha, "approve", "复核同意", exception_confirmed=True)
    assert _state(db, item_id) == "approved"
    with db.session() as s:
        payload = json.loads(s.scalars(select(Receipt.payload).where(Receipt.item_id == item_id)).one())
        assert payload["exception_approval"] == [{"finding": 1, "rule": "rule.0"}]
        stages = [json.loads(d)["stage"] for d in s.scalars(
            select(AuditEvent.data).where(AuditEvent.action == "exception_approval").order_by(AuditEvent.seq))]
        assert stages == ["unit", "officer"]


def test_officer_own_standing_dispositions_need_reasons(db) -> None:  # type: ignore[no-untyped-def]
    item_id, sha, (fid,) = _open(db, "review")
    with db.session() as s:
        sign_off(s, item_id, user(s, "rev1"), sha, "approve", "", [DispositionInput(fid, "must_fix", "须改")],
                 exception_confirmed=True)
    with db.session() as s, pytest.raises(InvalidInput, match="未填写理由"):
        sign_off(s, item_id, user(s, "off1"), sha, "approve", "", [DispositionInput(fid, "must_fix", " ")],
                 exception_confirmed=True)
    assert _state(db, item_id) == "awaiting_officer"


def test_nothing_standing_is_approved_alone(db) -> None:  # type: ignore[no-untyped-def]
    """属实但可公开 on a 提示 finding and 误报 with a reason leave nothing standing: one reviewer approves."""
    item_id, sha, (a, b) = _open(db, "info", "review")
    with db.session() as s:
        sign_off(s, item_id, user(s, "rev1"), sha, "approve", "",
                 [DispositionInput(a, "public_ok", "公开的办公电话"), DispositionInput(b, "false_positive", "不是身份证号")])
    assert _state(db, item_id) == "approved"
    with db.session() as s:
        assert "exception_approval" not in json.loads(s.scalars(select(Receipt.payload)).one())


def test_block_revise_policy_still_refuses_any_approval(db) -> None:  # type: ignore[no-untyped-def]
    item_id, sha, (fid,) = _open(db, "block")
    for value in ("must_fix", "public_ok", "false_positive"):
        with db.session() as s, pytest.raises(InvalidTransition):
            sign_off(s, item_id, user(s, "rev1"), sha, "approve", "", [DispositionInput(fid, value, "理由")],
                     exception_confirmed=True)
    assert _state(db, item_id) == "awaiting_review"


def test_a_reason_holding_a_listed_term_is_refused(db) -> None:  # type: ignore[no-untyped-def]
    item_id, sha, (fid,) = _open(db, "review")
    for value in ("public_ok", "false_positive", "must_fix"):
        with db.session() as s, pytest.raises(InvalidInput, match="处置理由") as err:
            sign_off(s, item_id, user(s, "rev1"), sha, "return", "", [DispositionInput(fid, value, "原文为秘密★5年，可以公开")])
        assert "秘密" not in err.value.message
    assert _state(db, item_id) == "awaiting_review"
