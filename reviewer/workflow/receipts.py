"""Ed25519 release receipts. The private key lives in REVIEWER_DATA_DIR/receipt-signing-key.pem (mode 0600, created
on first use); the public key is served at GET /api/v1/keys so a CMS can verify a receipt offline:

    payload = receipt["payload"] (the exact signed string), signature = base64 → Ed25519 verify with the public key."""

from __future__ import annotations

import base64
import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from sqlalchemy import select
from sqlalchemy.orm import Session

from reviewer.accounts.actor import Actor
from reviewer.audit import events as audit
from reviewer.audit.chain import canonical_json
from reviewer.store.models import Item, Receipt, Review, utcnow
from reviewer.workflow import desk
from reviewer.workflow.runtime import runtime_of

KEY_FILE = "receipt-signing-key.pem"


@dataclass(frozen=True)
class SigningKey:
    private: Ed25519PrivateKey

    @property
    def public(self) -> Ed25519PublicKey:
        return self.private.public_key()

    @property
    def public_raw(self) -> bytes:
        return self.public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)

    @property
    def key_id(self) -> str:
        return hashlib.sha256(self.public_raw).hexdigest()[:16]

    def public_pem(self) -> str:
        return self.public.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()


def load_or_create_key(data_dir: Path) -> SigningKey:
    path = data_dir / KEY_FILE
    if not path.exists():
        data_dir.mkdir(parents=True, exist_ok=True)
        pem = Ed25519PrivateKey.generate().private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass  # another process created it first: use theirs
        else:
            with os.fdopen(fd, "wb") as fh:
                fh.write(pem)
    key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise ValueError(f"{path} 不是 Ed25519 私钥")
    return SigningKey(key)


def signing_key(session: Session) -> SigningKey:
    return load_or_create_key(runtime_of(session).settings.data_dir)


def issue(session: Session, item: Item, actor: Actor) -> Receipt:
    """Sign a receipt for an approved item, in the approval's transaction."""
    key = signing_key(session)
    reviews = session.execute(select(Review).where(Review.item_id == item.id).order_by(Review.id)).scalars()
    signers = [
        {"username": r.reviewer.username, "name": r.reviewer.display_name, "stage": r.stage, "decision": r.decision,
         "at": r.created_at.isoformat()}
        for r in reviews if r.decision == "approve"
    ]
    body = {
        "item_id": item.id, "external_id": item.external_id, "unit": item.unit.code, "version": item.version,
        "content_sha256": item.content_sha256, "rules_version": item.rules_version, "signers": signers,
        "issued_at": utcnow().isoformat(), "key_id": key.key_id,
    }
    exception = desk.exception_of(session, item)
    if exception:  # 例外批准: block findings confirmed and approved with reasons and the officer's co-sign
        body["exception_approval"] = exception
    payload = canonical_json(body)
    signature = base64.b64encode(key.private.sign(payload.encode("utf-8"))).decode()
    receipt = Receipt(item_id=item.id, payload=payload, signature=signature, key_id=key.key_id)
    session.add(receipt)
    session.flush()
    audit.append(session, "receipt", actor, unit_code=item.unit.code, item_id=item.id,
                 data={"receipt_id": receipt.id, "key_id": key.key_id, "content_sha256": item.content_sha256})
    return receipt


def verify(public_pem: str, payload: str, signature_b64: str) -> bool:
    public = serialization.load_pem_public_key(public_pem.encode())
    if not isinstance(public, Ed25519PublicKey):
        return False
    try:
        public.verify(base64.b64decode(signature_b64), payload.encode("utf-8"))
    except InvalidSignature:
        return False
    return True


def as_dict(receipt: Receipt) -> dict[str, object]:
    return {"payload": receipt.payload, "signature": receipt.signature, "key_id": receipt.key_id, "algorithm": "Ed25519",
            "receipt": json.loads(receipt.payload)}
