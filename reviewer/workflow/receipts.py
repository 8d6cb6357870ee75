"""Ed25519 release receipts. The private key lives in REVIEWER_DATA_DIR/receipt-signing-key.pem (mode 0600, created
on first use, rotated by `reviewer keys rotate`); every receipt key, old ones included, is served by id at
GET /api/v1/keys so a CMS can verify a receipt offline:

    payload = receipt["payload"] (the exact signed string), signature = base64 → Ed25519 verify with the public key
    whose key_id is the receipt's (issued before that key's valid_until and compromised_at).

The payload (format 2) binds the item id, external id, unit, version, the body's SHA-256, the title, channel and file
name and the document hash over all of them (audit.binding.document_sha256), the rule-set version and the signers,
and names its purpose (`reviewer-release-receipt`). A receipt says "this version was approved"; it does not say
that the version is still the current one — a superseded version's receipt still verifies offline. A CMS asks
`POST /api/v1/release-check` before publishing: it answers yes only for the current version, and only when the
stored receipt verifies and binds exactly the content and metadata asked about."""

from __future__ import annotations

import hashlib
import json

from sqlalchemy import select
from sqlalchemy.orm import Session

from reviewer.accounts.actor import Actor
from reviewer.audit import events as audit
from reviewer.audit import keyring
from reviewer.audit.binding import RECEIPT_FORMAT, RECEIPT_PURPOSE, document_sha256_of, receipt_problems, row_problems
from reviewer.audit.chain import canonical_json
from reviewer.audit.keyring import Trust
from reviewer.audit.keys import (
    RECEIPT_KEY_FILE,
    KeyProblem,
    SigningKey,
    load_or_create_key,
    public_key_of,
    registered_problem,
    verify_with,
)
from reviewer.errors import Conflict
from reviewer.store.models import Item, Receipt, Review, utcnow
from reviewer.workflow import desk, render_check
from reviewer.workflow.runtime import runtime_of

KEY_FILE = RECEIPT_KEY_FILE

__all__ = ["KEY_FILE", "SigningKey", "load_or_create_key", "signing_key", "trust", "issue", "verify", "as_dict", "problems"]


def signing_key(session: Session) -> SigningKey:
    """The current receipt key; refuses (KeyProblem, 503) a key file the keyring does not record as current."""
    data_dir = runtime_of(session).settings.data_dir
    key = load_or_create_key(data_dir)
    problem = registered_problem(data_dir, KEY_FILE, key)
    if problem:
        raise KeyProblem(problem)
    return key


def trust(session: Session) -> Trust:
    """Every receipt key the data directory ever used (audit.keyring), to verify old receipts by their key id."""
    data_dir = runtime_of(session).settings.data_dir
    load_or_create_key(data_dir)  # an install from before the keyring records its key first
    return keyring.trust(data_dir, "receipt")


def issue(session: Session, item: Item, actor: Actor) -> Receipt:
    """Sign a receipt for an approved item, in the approval's transaction."""
    broken = row_problems(item)
    if broken:
        raise Conflict("；".join(broken) + "，不能签发发布回执")
    key = signing_key(session)
    reviews = session.execute(
        select(Review).where(Review.item_id == item.id, Review.withdrawn_at.is_(None)).order_by(Review.id)).scalars()
    signers = [
        {"username": r.reviewer.username, "name": r.reviewer.display_name, "stage": r.stage, "decision": r.decision,
         "at": r.created_at.isoformat()}
        for r in reviews if r.decision == "approve"
    ]
    body = {
        "purpose": RECEIPT_PURPOSE, "format": RECEIPT_FORMAT,
        "item_id": item.id, "external_id": item.external_id, "unit": item.unit.code, "version": item.version,
        "content_sha256": item.content_sha256, "document_sha256": document_sha256_of(item),
        "title": item.title, "channel": item.channel, "file_name": item.file_name,
        "rules_version": item.rules_version, "signers": signers, "issued_at": utcnow().isoformat(), "key_id": key.key_id,
        **render_check.bound_fields(session, item),  # the rendered pages the reviewer saw (docs/render.md)
    }
    exception = desk.exception_of(session, item)
    if exception:  # 例外批准: findings still standing, approved with reasons and the officer's co-sign
        body["exception_approval"] = exception
    payload = canonical_json(body)
    receipt = Receipt(item_id=item.id, payload=payload, signature=key.sign(payload), key_id=key.key_id)
    session.add(receipt)
    session.flush()
    audit.append(session, "receipt", actor, unit_code=item.unit.code, item_id=item.id,
                 data={"receipt_id": receipt.id, "key_id": key.key_id, "content_sha256": item.content_sha256,
                       "document_sha256": body["document_sha256"],
                       "payload_sha256": hashlib.sha256(payload.encode("utf-8")).hexdigest()})
    return receipt


def problems(session: Session, item: Item, receipt: Receipt | None) -> list[str]:
    """Why this receipt does not prove that this row, as stored now, was approved (empty: it does)."""
    if receipt is None:
        return ["没有发布回执"]
    keys = trust(session)
    signers = [r.reviewer.username for r in session.scalars(select(Review).where(Review.item_id == item.id, Review.withdrawn_at.is_(None)))
               if r.decision == "approve"]
    return row_problems(item) + receipt_problems(keys, receipt, item, item.unit.code, signers)


def verify(public_pem: str, payload: str, signature_b64: str) -> bool:
    public = public_key_of(public_pem)
    return public is not None and verify_with(public, payload, signature_b64)


def as_dict(receipt: Receipt) -> dict[str, object]:
    return {"payload": receipt.payload, "signature": receipt.signature, "key_id": receipt.key_id, "algorithm": "Ed25519",
            "receipt": json.loads(receipt.payload)}
