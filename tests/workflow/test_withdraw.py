"""Withdrawing a sign-off (issue 20): by its signer only, before release, with a reason that holds no listed term;
the item returns to the state before that signature, an issued receipt is revoked so a CMS cannot release, the
event is logged, and `audit verify` both accepts the withdrawal and catches a withdrawal forged in the database."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import select, text

from reviewer.audit import verify as audit_verify
from reviewer.audit.keys import load_or_create_key
from reviewer.errors import InvalidInput, InvalidTransition, NotFound, PermissionDenied
from reviewer.store.models import AuditEvent, Item, Receipt, Review
from reviewer.workflow import release, withdraw
from reviewer.workflow.review import DispositionInput, sign_off
from tests.workflow.conftest import result
from tests.workflow.helpers import client, scanned, signer, submitted, user

BODY = "公开内容"


def _approved(db, who: str = "rev1") -> tuple[int, int, str]:  # type: ignore[no-untyped-def]
    item_id = submitted(db, BODY)
    item = scanned(db, item_id, result())
    with db.session() as s:
        review = sign_off(s, item_id, signer(s, who), item.content_sha256, "approve", "同意")
        return item_id, review.id, item.content_sha256


def _check(db) -> bool:  # type: ignore[no-untyped-def]
    with db.session() as s:
        return bool(release.release_check(s, client(s, "cms1"), "doc-1", BODY.encode(), title="标题")["approved"])


def _verify(db, tmp_path: Path) -> list[str]:  # type: ignore[no-untyped-def]
    with db.session() as s:
        report = audit_verify.run(s, receipt_key=load_or_create_key(tmp_path / "data").public)
        assert report.chain.ok
        return report.unexplained


def test_withdrawn_approval_revokes_the_receipt_and_release_check_refuses(db, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    item_id, review_id, sha = _approved(db)
    assert _check(db)
    with db.session() as s:
        withdraw.withdraw(s, review_id, user(s, "rev1"), "发现附件版本有误，需重新核对")
    with db.session() as s:
        item = s.get(Item, item_id)
        assert item.state == "awaiting_review" and item.decided_at is None  # type: ignore[union-attr]
        assert s.scalars(select(Receipt).where(Receipt.item_id == item_id)).first() is None
        ev = s.scalars(select(AuditEvent).where(AuditEvent.action == "signoff_withdrawn")).one()
        data = json.loads(ev.data)
        assert ev.actor == "rev1" and data["previous_state"] == "approved" and data["state"] == "awaiting_review"
        assert data["revoked_receipt_id"] and "附件版本" not in ev.data  # the reason stays out of the log (hash only)
    assert not _check(db)  # a CMS cannot release with a withdrawn sign-off
    with db.session() as s, pytest.raises(Exception):  # noqa: B017,PT011  (the publisher's mark_released is refused too)
        release.mark_released(s, item_id, client(s, "cms1"), sha)
    assert _verify(db, tmp_path) == []
    with db.session() as s:  # the same signer may sign again; a new receipt names only the standing signature
        sign_off(s, item_id, signer(s, "rev1"), sha, "approve", "重新核对后同意")
    assert _check(db)
    with db.session() as s:
        payload = json.loads(s.scalars(select(Receipt.payload).where(Receipt.item_id == item_id)).one())
        assert [x["decision"] for x in payload["signers"]] == ["approve"]
    assert _verify(db, tmp_path) == []


def test_only_the_signer_withdraws_and_only_with_a_clean_reason(db) -> None:  # type: ignore[no-untyped-def]
    item_id, review_id, _ = _approved(db)
    for other in ("rev1b", "off1"):
        with db.session() as s, pytest.raises(PermissionDenied):
            withdraw.withdraw(s, review_id, user(s, other), "理由")
    with db.session() as s, pytest.raises(NotFound):
        withdraw.withdraw(s, review_id, user(s, "rev2"), "理由")  # another unit's signature does not exist for him
    for reason in ("", "   ", "\n"):
        with db.session() as s, pytest.raises(InvalidInput, match="须写明理由"):
            withdraw.withdraw(s, review_id, user(s, "rev1"), reason)
    with db.session() as s, pytest.raises(InvalidInput, match="撤回理由") as err:
        withdraw.withdraw(s, review_id, user(s, "rev1"), "正文含秘密★5年标志")
    assert "秘密" not in err.value.message
    with db.session() as s:
        assert s.get(Item, item_id).state == "approved"  # type: ignore[union-attr]
        assert s.get(Review, review_id).withdrawn_at is None  # type: ignore[union-attr]
        assert s.scalars(select(Receipt).where(Receipt.item_id == item_id)).first() is not None


def test_no_withdrawal_after_release(db) -> None:  # type: ignore[no-untyped-def]
    item_id, review_id, sha = _approved(db)
    with db.session() as s:
        release.mark_released(s, item_id, client(s, "cms1"), sha)
    with db.session() as s, pytest.raises(InvalidTransition, match="已发布"):
        withdraw.withdraw(s, review_id, user(s, "rev1"), "理由")


def test_officer_first_then_unit_signer(db) -> None:  # type: ignore[no-untyped-def]
    item_id = submitted(db, cms="cms2", external_id="o-1")
    item = scanned(db, item_id, result("block"))
    with db.session() as s:
        fid = s.get(Item, item_id).findings[0].id  # type: ignore[union-attr]
        unit = sign_off(s, item_id, user(s, "rev2"), item.content_sha256, "approve", "",
                        [DispositionInput(fid, "false_positive", "样例文字")]).id
    with db.session() as s:
        officer = sign_off(s, item_id, user(s, "off2"), item.content_sha256, "approve", "复核同意").id
    with db.session() as s, pytest.raises(InvalidTransition, match="须先由后签署的人撤回"):
        withdraw.withdraw(s, unit, user(s, "rev2"), "理由")
    with db.session() as s:
        withdraw.withdraw(s, officer, user(s, "off2"), "复核意见需补充")
    with db.session() as s:
        assert s.get(Item, item_id).state == "awaiting_officer"  # type: ignore[union-attr]
    with db.session() as s:
        withdraw.withdraw(s, unit, user(s, "rev2"), "处置需修改")
    with db.session() as s:
        assert s.get(Item, item_id).state == "awaiting_review"  # type: ignore[union-attr]
    with db.session() as s, pytest.raises(InvalidTransition, match="已经撤回"):
        withdraw.withdraw(s, unit, user(s, "rev2"), "再撤一次")


def test_a_returned_draft_can_be_withdrawn_until_a_new_version_comes(db) -> None:  # type: ignore[no-untyped-def]
    item_id = submitted(db)
    item = scanned(db, item_id, result())
    with db.session() as s:
        rid = sign_off(s, item_id, user(s, "rev1"), item.content_sha256, "return", "请补充").id
    submitted(db, "新版本正文")
    with db.session() as s, pytest.raises(InvalidTransition, match="新版本"):
        withdraw.withdraw(s, rid, user(s, "rev1"), "理由")


def test_verify_catches_a_withdrawal_forged_or_undone_in_the_database(db, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    item_id, review_id, _ = _approved(db)
    with db.session() as s:  # forged: the row says withdrawn, the log does not
        s.execute(text("UPDATE reviews SET withdrawn_at = '2026-01-01 00:00:00' WHERE id = :r"), {"r": review_id})
    assert any("没有撤回事件" in p for p in _verify(db, tmp_path))
    with db.session() as s:
        s.execute(text("UPDATE reviews SET withdrawn_at = NULL WHERE id = :r"), {"r": review_id})
        withdraw.withdraw(s, review_id, user(s, "rev1"), "理由一")
    with db.session() as s:  # undone: the log says withdrawn, the row is made valid again
        s.execute(text("UPDATE reviews SET withdrawn_at = NULL WHERE id = :r"), {"r": review_id})
    assert any("仍为有效签署" in p for p in _verify(db, tmp_path))


def test_the_auditors_search_names_no_withdrawn_signer_and_marks_its_dispositions(db) -> None:  # type: ignore[no-untyped-def]
    from reviewer.audit.queries import ItemFilter, search_items
    from tests.workflow.helpers import all_disposed

    item_id = submitted(db, BODY)
    item = scanned(db, item_id, result("review"))
    disposed = all_disposed(db, item_id)
    with db.session() as s:
        review = sign_off(s, item_id, signer(s, "rev1"), item.content_sha256, "approve", "同意", disposed)
        review_id = review.id
    with db.session() as s:
        row = search_items(s, ItemFilter(item_id=item_id))[0]
        assert "rev1" in row.signers and row.dispositions and "撤回" not in row.dispositions[0].signer
        withdraw.withdraw(s, review_id, user(s, "rev1"), "需要重新核对")
    with db.session() as s:
        row = search_items(s, ItemFilter(item_id=item_id))[0]
        assert "rev1" not in row.signers and "rev1" not in row.signer_names  # a withdrawn sign-off signs nothing
        assert row.dispositions and row.dispositions[0].signer.endswith("（该签署已撤回）")  # kept for the record, marked
