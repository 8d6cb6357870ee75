"""workflow.desk: the reasons a person cannot sign or approve, asked before the work and enforced by sign_off;
exception approval; carry-over of dispositions to a new version."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from reviewer.errors import InvalidInput, InvalidTransition, PermissionDenied
from reviewer.store.models import AuditEvent, Item, Receipt, RenderCheck
from reviewer.workflow import desk
from reviewer.workflow.review import DispositionInput, sign_off
from tests.workflow.conftest import result
from tests.workflow.helpers import scanned, submitted, user


def _codes(db, item_id: int, who: str) -> list[str]:  # type: ignore[no-untyped-def]
    with db.session() as s:
        item = s.get(Item, item_id)
        return [b.code for b in desk.blockers(s, item, user(s, who))]


def _sha(db, item_id: int) -> str:  # type: ignore[no-untyped-def]
    with db.session() as s:
        return s.get(Item, item_id).content_sha256  # type: ignore[union-attr]


def _ids(db, item_id: int) -> list[int]:  # type: ignore[no-untyped-def]
    with db.session() as s:
        return [f.id for f in s.get(Item, item_id).findings]  # type: ignore[union-attr]


def test_blockers_are_the_reasons_sign_off_enforces(db) -> None:  # type: ignore[no-untyped-def]
    item_id = submitted(db, author="rev1b姓名")
    scanned(db, item_id, result("block"))
    assert _codes(db, item_id, "rev1") == ["block_policy"]
    assert _codes(db, item_id, "rev1b") == ["author", "block_policy"]
    assert _codes(db, item_id, "rev2") == ["unit"]
    assert _codes(db, item_id, "aud") == ["role"]
    fid, = _ids(db, item_id)
    sha = _sha(db, item_id)
    with db.session() as s, pytest.raises(PermissionDenied):
        sign_off(s, item_id, user(s, "rev1b"), sha, "return", "", [DispositionInput(fid, "confirmed", "x")])
    with db.session() as s, pytest.raises(InvalidTransition):
        sign_off(s, item_id, user(s, "rev1"), sha, "approve", "", [DispositionInput(fid, "false_positive", "x")])
    with db.session() as s:  # returning stays possible: the blocker only concerned approval
        sign_off(s, item_id, user(s, "rev1"), sha, "return", "", [DispositionInput(fid, "confirmed", "")])
    assert _codes(db, item_id, "rev1") == ["state"]


def test_render_check_pending_blocks_approval_only(db) -> None:  # type: ignore[no-untyped-def]
    item_id = submitted(db)
    scanned(db, item_id, result())
    with db.session() as s:
        item = s.get(Item, item_id)
        s.add(RenderCheck(item_id=item_id, state="pending"))  # the render branch's table (workflow/render_check.py)
        s.flush()
        found = desk.blockers(s, item, user(s, "rev1"))  # type: ignore[arg-type]
        assert [b.code for b in found] == ["render_pending"] and desk.can_sign(found) and not desk.can_approve(found)
        with pytest.raises(InvalidTransition):
            desk.enforce(s, item, user(s, "rev1"), "approve", {})  # type: ignore[arg-type]
        assert desk.enforce(s, item, user(s, "rev1"), "return", {}) == []  # type: ignore[arg-type]
        check = s.get(RenderCheck, item_id)
        check.state = "failed"  # type: ignore[union-attr]  # a failed render check blocks approval too (fail closed)
        s.flush()
        found = desk.blockers(s, item, user(s, "rev1"))  # type: ignore[arg-type]
        assert [b.code for b in found] == ["render_pending"] and not desk.can_approve(found)
        check.state = "done"  # type: ignore[union-attr]
        s.flush()
        assert desk.blockers(s, item, user(s, "rev1")) == []  # type: ignore[arg-type]


def test_false_positive_needs_a_reason_at_every_level(db) -> None:  # type: ignore[no-untyped-def]
    item_id = submitted(db, cms="cms2")
    scanned(db, item_id, result("block", "review"))
    block, review = _ids(db, item_id)
    sha = _sha(db, item_id)
    with db.session() as s, pytest.raises(InvalidInput, match="#1 标为“误报”须写明理由"):
        sign_off(s, item_id, user(s, "rev2"), sha, "return", "",
                 [DispositionInput(block, "false_positive", "   "), DispositionInput(review, "false_positive", "x")])
    with db.session() as s, pytest.raises(InvalidInput, match="#2 标为“误报”须写明理由"):  # review level too (was optional)
        sign_off(s, item_id, user(s, "rev2"), sha, "approve", "",
                 [DispositionInput(block, "false_positive", "是示例文字"), DispositionInput(review, "false_positive", "")])
    with db.session() as s:
        sign_off(s, item_id, user(s, "rev2"), sha, "approve", "",
                 [DispositionInput(block, "false_positive", "是示例文字"), DispositionInput(review, "false_positive", "公开号码")])


def test_exception_approval_needs_reason_and_confirmation_and_is_recorded(db) -> None:  # type: ignore[no-untyped-def]
    item_id = submitted(db, cms="cms2")
    scanned(db, item_id, result("block", "block", "review"))
    a, b, c = _ids(db, item_id)
    sha = _sha(db, item_id)
    given = [DispositionInput(a, "confirmed", "上级批准公开"), DispositionInput(b, "confirmed", ""),
             DispositionInput(c, "false_positive", "公开号码")]
    with db.session() as s, pytest.raises(InvalidInput, match="#2"):
        sign_off(s, item_id, user(s, "rev2"), sha, "approve", "", given, exception_confirmed=True)
    given[1] = DispositionInput(b, "confirmed", "同一标志的第二处")
    with db.session() as s, pytest.raises(InvalidInput, match="勾选确认"):
        sign_off(s, item_id, user(s, "rev2"), sha, "approve", "", given)
    with db.session() as s:
        sign_off(s, item_id, user(s, "rev2"), sha, "approve", "", given, exception_confirmed=True)
    with db.session() as s, pytest.raises(InvalidInput, match="保密员复核须本人勾选例外批准确认"):
        sign_off(s, item_id, user(s, "off2"), sha, "approve", "复核同意")  # the officer confirms the exception himself
    with db.session() as s:
        sign_off(s, item_id, user(s, "off2"), sha, "approve", "复核同意", exception_confirmed=True)
    with db.session() as s:
        payload = json.loads(s.scalars(select(Receipt.payload).where(Receipt.item_id == item_id)).one())
        assert payload["exception_approval"] == [{"finding": 1, "rule": "rule.0"}, {"finding": 2, "rule": "rule.1"}]
        actions = list(s.scalars(select(AuditEvent.action).where(AuditEvent.item_id == item_id).order_by(AuditEvent.seq)))
        assert actions.index("exception_approval") < actions.index("sign_off")
        assert "上级批准公开" not in "".join(s.scalars(select(AuditEvent.data)))  # reasons stay out of the log


def test_no_exception_when_nothing_stands(db) -> None:  # type: ignore[no-untyped-def]
    item_id = submitted(db)
    scanned(db, item_id, result("review"))
    fid, = _ids(db, item_id)
    sha = _sha(db, item_id)
    with db.session() as s:
        sign_off(s, item_id, user(s, "rev1"), sha, "approve", "", [DispositionInput(fid, "false_positive", "单位公开电话")])
    with db.session() as s:
        assert s.get(Item, item_id).state == "approved"  # type: ignore[union-attr]
        assert "exception_approval" not in json.loads(s.scalars(select(Receipt.payload)).one())


def test_scan_failed_can_be_returned_never_approved(db) -> None:  # type: ignore[no-untyped-def]
    item_id = submitted(db, "x", external_id="fail")
    scanned(db, item_id, result(error="加密文件"))
    sha = _sha(db, item_id)
    assert _codes(db, item_id, "rev1") == ["scan_failed"]
    with db.session() as s, pytest.raises(InvalidTransition):
        sign_off(s, item_id, user(s, "rev1"), sha, "approve", "")
    with db.session() as s:
        sign_off(s, item_id, user(s, "rev1"), sha, "return", "请重新提交")
    with db.session() as s:
        assert s.get(Item, item_id).state == "returned"  # type: ignore[union-attr]


def test_first_signer_cannot_cosign_and_is_told_before(db) -> None:  # type: ignore[no-untyped-def]
    item_id = submitted(db, cms="cms2")
    scanned(db, item_id, result("block"))
    fid, = _ids(db, item_id)
    sha = _sha(db, item_id)
    with db.session() as s:
        sign_off(s, item_id, user(s, "off2"), sha, "approve", "", [DispositionInput(fid, "confirmed", "理由")],
                 exception_confirmed=True)
    assert _codes(db, item_id, "off2") == ["first_signer"]
    assert _codes(db, item_id, "rev2") == ["officer_stage"]
    assert _codes(db, item_id, "off2b") == []


def test_carry_over_matches_rule_text_and_place(db) -> None:  # type: ignore[no-untyped-def]
    from reviewer.scan.model import Finding, ScanResult, Severity

    def res(*hits: tuple[str, str, str]) -> ScanResult:
        return ScanResult("rv", [Finding(rule, "类", Severity.REVIEW, i, i + 1, match, match, "消息", "", where)
                                 for i, (rule, match, where) in enumerate(hits)])

    v1 = submitted(db, "一", external_id="c")
    scanned(db, v1, res(("r.a", "甲", "正文 第1段"), ("r.a", "甲", "正文 第1段"), ("r.b", "乙", "页眉"), ("r.c", "丙", "正文 第2段")))
    ids = _ids(db, v1)
    sha = _sha(db, v1)
    with db.session() as s:
        sign_off(s, v1, user(s, "rev1"), sha, "return", "",
                 [DispositionInput(ids[0], "confirmed", "一"), DispositionInput(ids[1], "false_positive", "二"),
                  DispositionInput(ids[2], "false_positive", "三"), DispositionInput(ids[3], "confirmed", "四")])
    v2 = submitted(db, "二", external_id="c")
    scanned(db, v2, res(("r.a", "甲", "正文 第1段"), ("r.b", "乙", "页脚"), ("r.c", "丙丙", "正文 第2段"), ("r.a", "甲", "正文 第1段")))
    new = _ids(db, v2)
    with db.session() as s:
        carried = desk.carried_over(s, s.get(Item, v2))  # type: ignore[arg-type]
        assert {fid: (c.disposition, c.reason) for fid, c in carried.items()} == {
            new[0]: ("must_fix", "一"), new[3]: ("false_positive", "二")}  # moved or changed text: not carried
        assert desk.resubmitted_after_return(s, [s.get(Item, v2)]) == {v2}  # type: ignore[list-item]
