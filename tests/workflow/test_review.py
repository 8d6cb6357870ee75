from __future__ import annotations

import json
import os
import stat

import pytest
from sqlalchemy import select

from reviewer.accounts import access
from reviewer.accounts import manage as accounts
from reviewer.errors import Conflict, InvalidInput, InvalidTransition, NotFound, PermissionDenied
from reviewer.store.models import (
    APPROVED,
    AWAITING_OFFICER,
    REJECTED,
    RELEASED,
    RETURNED,
    AuditEvent,
    CallbackDelivery,
    Item,
    Receipt,
)
from reviewer.workflow import receipts, release
from reviewer.workflow.review import DispositionInput, sign_off
from tests.workflow.conftest import result
from tests.workflow.helpers import all_disposed, client, scanned, submitted, user


def sha(db, item_id: int) -> str:
    with db.session() as s:
        return s.get(Item, item_id).content_sha256


def test_clean_item_needs_named_signoff_then_receipt_and_release_check(db, tmp_path) -> None:
    item_id = submitted(db, "公开内容")
    scanned(db, item_id, result())
    good = sha(db, item_id)
    with db.session() as s:
        assert release.release_check(s, client(s, "cms1"), "doc-1", "公开内容".encode(), title="标题")["approved"] is False
        review = sign_off(s, item_id, user(s, "rev1"), good, "approve", "同意发布")
        assert review.stage == "unit"
    with db.session() as s:
        item = s.get(Item, item_id)
        assert item.state == APPROVED and item.decided_at is not None
        receipt = s.execute(select(Receipt).where(Receipt.item_id == item_id)).scalar_one()
        body = json.loads(receipt.payload)
        assert body["content_sha256"] == item.content_sha256 and body["signers"][0]["username"] == "rev1"
        key = receipts.signing_key(s)
        assert receipts.verify(key.public_pem(), receipt.payload, receipt.signature)
        assert not receipts.verify(key.public_pem(), receipt.payload.replace("rev1", "rev9"), receipt.signature)
        ok = release.release_check(s, client(s, "cms1"), "doc-1", "公开内容".encode(), title="标题")
        assert ok["approved"] is True and ok["receipt_id"] == receipt.id
        assert release.release_check(s, client(s, "cms1"), "doc-1", "公开内容。".encode(), title="标题")["approved"] is False
        assert release.release_check(s, client(s, "cms2"), "doc-1", "公开内容".encode(), title="标题")["approved"] is False
        release.mark_released(s, item_id, client(s, "cms1"))
    key_file = tmp_path / "data" / receipts.KEY_FILE
    assert stat.S_IMODE(os.stat(key_file).st_mode) == 0o600
    with db.session() as s:
        assert s.get(Item, item_id).state == RELEASED
        assert release.release_check(s, client(s, "cms1"), "doc-1", "公开内容".encode(), title="标题")["approved"] is True


def test_guards(db) -> None:
    item_id = submitted(db, author="rev1姓名")
    scanned(db, item_id, result("review"))
    good = sha(db, item_id)
    disposed = all_disposed(db, item_id)
    with db.session() as s:
        with pytest.raises(Conflict):
            sign_off(s, item_id, user(s, "rev1b"), "0" * 64, "approve", "", disposed)
        with pytest.raises(PermissionDenied):  # other unit
            sign_off(s, item_id, user(s, "rev2"), good, "approve", "", disposed)
        with pytest.raises(PermissionDenied):  # the author (by display name)
            sign_off(s, item_id, user(s, "rev1"), good, "approve", "", disposed)
        with pytest.raises(PermissionDenied):  # auditors change nothing
            sign_off(s, item_id, user(s, "aud"), good, "approve", "", disposed)
        with pytest.raises(InvalidInput):  # every finding disposed before approval
            sign_off(s, item_id, user(s, "rev1b"), good, "approve", "")
        with pytest.raises(InvalidInput):
            sign_off(s, item_id, user(s, "rev1b"), good, "approve", "", [DispositionInput(99999, "confirmed")])
    with db.session() as s:
        sign_off(s, item_id, user(s, "rev1b"), good, "return", "请修改", [])
    with db.session() as s:
        assert s.get(Item, item_id).state == RETURNED
        with pytest.raises(InvalidTransition):  # one decision per version
            sign_off(s, item_id, user(s, "rev1b"), good, "approve", "", disposed)


def test_scan_failed_and_superseded_are_never_approvable(db) -> None:
    failed = submitted(db, "x", external_id="f")
    scanned(db, failed, result(error="无法读取"))
    failed_sha = sha(db, failed)
    old = submitted(db, "v1", external_id="s")
    scanned(db, old, result())
    old_sha = sha(db, old)
    submitted(db, "v2", external_id="s")
    with db.session() as s:
        with pytest.raises(InvalidTransition):
            sign_off(s, failed, user(s, "rev1"), failed_sha, "approve", "")
        with pytest.raises(InvalidTransition):
            sign_off(s, old, user(s, "rev1"), old_sha, "approve", "")
        assert release.release_check(s, client(s, "cms1"), "f", b"x")["approved"] is False


def test_block_finding_with_revise_policy_cannot_be_approved(db) -> None:
    item_id = submitted(db)
    scanned(db, item_id, result("block"))
    good, fp, confirmed = sha(db, item_id), all_disposed(db, item_id), all_disposed(db, item_id, "confirmed")
    with db.session() as s, pytest.raises(InvalidTransition, match="必须修改"):
        sign_off(s, item_id, user(s, "rev1"), good, "approve", "", fp)
    with db.session() as s:
        sign_off(s, item_id, user(s, "rev1"), good, "reject", "含密级标志", confirmed)
    with db.session() as s:
        assert s.get(Item, item_id).state == REJECTED


def test_block_finding_with_officer_policy_needs_another_persons_cosign(db) -> None:
    item_id = submitted(db, cms="cms2")
    scanned(db, item_id, result("block", "review"))
    good, fp = sha(db, item_id), all_disposed(db, item_id)
    with db.session() as s:
        sign_off(s, item_id, user(s, "off2"), good, "approve", "误报", fp)
    with db.session() as s:
        assert s.get(Item, item_id).state == AWAITING_OFFICER
        assert s.execute(select(Receipt).where(Receipt.item_id == item_id)).first() is None
        assert [i.id for i in access.review_queue(s, user(s, "off2b"))] == [item_id]
        with pytest.raises(PermissionDenied):  # a unit reviewer cannot co-sign
            sign_off(s, item_id, user(s, "rev2"), good, "approve", "")
        with pytest.raises(PermissionDenied):  # the first signer cannot co-sign themself
            sign_off(s, item_id, user(s, "off2"), good, "approve", "")
    with db.session() as s:
        review = sign_off(s, item_id, user(s, "off2b"), good, "approve", "复核同意")
        assert review.stage == "officer"
    with db.session() as s:
        assert s.get(Item, item_id).state == APPROVED
        signers = json.loads(s.execute(select(Receipt.payload).where(Receipt.item_id == item_id)).scalar_one())["signers"]
        assert [x["username"] for x in signers] == ["off2", "off2b"]
        actions = [a for a in s.execute(select(AuditEvent.action).where(AuditEvent.item_id == item_id).order_by(AuditEvent.seq)).scalars()]
        assert actions[-5:] == ["disposition", "disposition", "sign_off", "officer_sign_off", "receipt"]


def test_visibility(db) -> None:
    item_id = submitted(db)
    with db.session() as s:
        assert access.readable_item(s, user(s, "rev1"), item_id)[1] == access.FULL
        assert access.readable_item(s, client(s, "cms1"), item_id)[1] == access.REDACTED
        assert access.readable_item(s, user(s, "aud"), item_id)[1] == access.FULL
        with pytest.raises(NotFound):
            access.readable_item(s, user(s, "rev2"), item_id)
        with pytest.raises(NotFound):
            access.readable_item(s, client(s, "cms2"), item_id)


def test_decision_callback_is_queued_in_the_same_transaction(db, enqueuer) -> None:
    with db.session() as s:
        accounts.set_callback(s, accounts.get_unit(s, "U1"), "http://127.0.0.1:9/cb")
    item_id = submitted(db)
    scanned(db, item_id, result())
    good = sha(db, item_id)
    with db.session() as s:
        sign_off(s, item_id, user(s, "rev1"), good, "approve", "")
    with db.session() as s:
        delivery = s.execute(select(CallbackDelivery)).scalar_one()
        assert delivery.status == "pending" and json.loads(delivery.payload)["decision"] == "approve"
    assert ("deliver_callback", delivery.id) in enqueuer.sent


def test_tokens_are_stored_hashed_and_revocation_is_immediate(db) -> None:
    from reviewer.errors import AuthenticationFailed
    from reviewer.store.models import ApiToken

    with db.session() as s:
        new = accounts.create_token(s, user=user(s, "rev1"))
    with db.session() as s:
        assert s.execute(select(ApiToken).where(ApiToken.token_hash == new.token)).first() is None
        assert accounts.authenticate(s, new.token).name == "rev1"
        accounts.revoke_token(s, new.record.id)
    with db.session() as s, pytest.raises(AuthenticationFailed):
        accounts.authenticate(s, new.token)


def test_audit_chain_verifies(db) -> None:
    from reviewer.audit import queries as audit_query

    item_id = submitted(db)
    scanned(db, item_id, result("review"))
    good, fp = sha(db, item_id), all_disposed(db, item_id)
    with db.session() as s:
        sign_off(s, item_id, user(s, "rev1"), good, "approve", "", fp)
    with db.session() as s:
        seqs = list(s.execute(select(AuditEvent.seq).order_by(AuditEvent.seq)).scalars())
        assert seqs == list(range(1, len(seqs) + 1))
        assert audit_query.verify(s).ok
