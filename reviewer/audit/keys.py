"""Ed25519 signing keys kept in the data directory (mode 0600, created on first use; replaced only by
`reviewer keys rotate`, which keeps every old public key in the keyring — audit.keyring).

Two keys with two purposes: the release-receipt key (receipt-signing-key.pem) and the review-log checkpoint key
(checkpoint-signing-key.pem). Every signed statement also names its purpose, so a signature made for one purpose can
never be presented as the other."""

from __future__ import annotations

import base64
import hashlib
import logging
import os
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from reviewer.errors import ServiceUnavailable

RECEIPT_KEY_FILE = "receipt-signing-key.pem"
CHECKPOINT_KEY_FILE = "checkpoint-signing-key.pem"
log = logging.getLogger(__name__)


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

    def sign(self, text: str) -> str:
        return base64.b64encode(self.private.sign(text.encode("utf-8"))).decode()


class KeyProblem(ServiceUnavailable):
    """The data directory's signing key is missing or not the one its keyring records (Chinese message)."""


def load_existing_key(data_dir: Path, file_name: str) -> SigningKey | None:
    path = data_dir / file_name
    if not path.exists():
        return None
    key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise ValueError(f"{path} 不是 Ed25519 私钥")
    return SigningKey(key)


def load_or_create_key(data_dir: Path, file_name: str = RECEIPT_KEY_FILE) -> SigningKey:
    """The current key of the data directory; created (and recorded in the keyring) when there is none yet. A missing
    file whose keyring already records keys is not replaced by a fresh one (that key would be trusted by nobody):
    KeyProblem, restore it from the backup."""
    from reviewer.audit import keyring

    path = data_dir / file_name
    purpose = keyring.purpose_of(file_name)
    if not path.exists():
        recorded = keyring.read_entries(data_dir) if data_dir.exists() else None
        if recorded and any(e.purpose == purpose for e in recorded):
            raise KeyProblem(f"签名密钥文件 {path} 缺失，而密钥登记册记录了该用途的密钥：请从备份恢复（reviewer restore）"
                             f"或运行 reviewer keys rotate --{purpose}，进程不会自行新建")
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
            # A production installation creates its keys at install time (`reviewer keys init`) and backs them up; a
            # key made here by an API or worker process usually means a wrong or empty REVIEWER_DATA_DIR.
            log.warning("已新建签名密钥 %s：生产环境应在安装时用 reviewer keys init 生成并备份；"
                        "若本应已有密钥，请检查 REVIEWER_DATA_DIR 是否指向正确的数据目录", path)
    key = load_existing_key(data_dir, file_name)
    if key is None:
        raise KeyProblem(f"签名密钥文件 {path} 无法读取")
    entries = keyring.read_entries(data_dir)
    if entries is None or not any(e.purpose == purpose for e in entries):
        # the first key of this purpose (just created, or an install from before the keyring)
        created = datetime.fromtimestamp(path.stat().st_mtime, UTC)
        keyring.register_first(data_dir, purpose, key, created)
    return key


def registered_problem(data_dir: Path, file_name: str, key: SigningKey) -> str | None:
    """Why the key in this file must not sign (Chinese), or None: it is not the keyring's current key of its purpose
    (a key file swapped in, or an old one put back)."""
    from reviewer.audit import keyring

    current = keyring.trust(data_dir, keyring.purpose_of(file_name)).current
    if current is None or current.key_id != key.key_id:
        return (f"{data_dir / file_name} 中的密钥（编号 {key.key_id}）不是密钥登记册记录的当前密钥"
                f"{'（' + current.key_id + '）' if current else ''}：密钥文件可能被替换，已拒绝用它签名")
    return None


def public_key_of(pem: str) -> Ed25519PublicKey | None:
    try:
        public = serialization.load_pem_public_key(pem.encode())
    except ValueError:
        return None
    return public if isinstance(public, Ed25519PublicKey) else None


def verify_with(public: Ed25519PublicKey, text: str, signature_b64: str) -> bool:
    try:
        public.verify(base64.b64decode(signature_b64, validate=True), text.encode("utf-8"))
    except (InvalidSignature, ValueError):
        return False
    return True


def key_id_of(public: Ed25519PublicKey) -> str:
    return hashlib.sha256(public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)).hexdigest()[:16]
