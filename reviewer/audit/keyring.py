"""The keyring: every public signing key the data directory ever used, by purpose, with its validity.

`keyring.json` in the data directory lists, for each purpose (`receipt`, `checkpoint`), every key by id with its
public key (PEM), when it was created, retired (rotated out) and, if so, from when it is considered compromised. The
private key of the *current* key stays where it always was (receipt-signing-key.pem, checkpoint-signing-key.pem);
a retired key keeps only its public half here, so old receipts and old checkpoints still verify.

What a key is trusted for (`Trust.problem`): a signature by a key the keyring does not list is never accepted (a
key file swapped in by someone who wants to re-sign a rewritten log); a signature dated at or after a key's
compromise time is not trusted; nor one dated after the key was retired (with a short grace for a process that
loaded the key just before the rotation). The keyring itself lives in the data directory: verify also checks it
against the review log (audit.verify: every rotation and compromise is an event there), and an auditor who keeps
the public keys outside the system pins them with `reviewer audit verify --checkpoint-key FILE`."""

from __future__ import annotations

import fcntl
import json
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from reviewer.audit.keys import CHECKPOINT_KEY_FILE, RECEIPT_KEY_FILE, SigningKey, key_id_of, public_key_of

FILE_NAME = "keyring.json"
LOCK_NAME = ".keyring.lock"
PURPOSES = {"receipt": RECEIPT_KEY_FILE, "checkpoint": CHECKPOINT_KEY_FILE}
PURPOSE_LABEL = {"receipt": "回执签名密钥", "checkpoint": "检查点签名密钥"}
RETIRE_GRACE = timedelta(minutes=5)  # a worker that loaded the old key just before the rotation


def purpose_of(file_name: str) -> str:
    for purpose, name in PURPOSES.items():
        if name == file_name:
            return purpose
    raise ValueError(f"{file_name} 不是签名密钥文件")


def parse_time(value: object) -> datetime | None:
    if not value:
        return None
    try:
        t = datetime.fromisoformat(str(value))
    except ValueError:
        return None
    return t if t.tzinfo is not None else t.replace(tzinfo=UTC)


def now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class KeyEntry:
    purpose: str
    key_id: str
    public_key_pem: str
    created_at: str
    retired_at: str | None = None
    compromised_at: str | None = None

    @property
    def public(self) -> Ed25519PublicKey | None:
        public = public_key_of(self.public_key_pem)
        # an entry whose PEM is not the key its id names is worthless (edited by hand)
        return public if public is not None and key_id_of(public) == self.key_id else None

    @property
    def status(self) -> str:
        return "compromised" if self.compromised_at else "retired" if self.retired_at else "current"


STATUS_LABEL = {"current": "当前使用", "retired": "已退役（仍用于验证旧签名）", "compromised": "已标记泄露"}


@dataclass(frozen=True, slots=True)
class Trust:
    """The keys of one purpose, as verify and the CMS use them."""

    purpose: str
    entries: tuple[KeyEntry, ...]

    def get(self, key_id: str) -> KeyEntry | None:
        return next((e for e in self.entries if e.key_id == key_id), None)

    def public(self, key_id: str) -> Ed25519PublicKey | None:
        entry = self.get(key_id)
        return entry.public if entry is not None else None

    def problem(self, key_id: str, signed_at: object) -> str | None:
        """Why a signature by `key_id` dated `signed_at` is not trusted (Chinese), or None."""
        entry = self.get(key_id)
        if entry is None or entry.public is None:
            return f"签名密钥 {key_id or '（未注明）'} 不在密钥登记册中（可能是被替换的密钥文件）"
        at = parse_time(signed_at)
        # after its retirement the system never signs with a key: such a signature is forged (rejected); between
        # the compromise and the retirement it may be genuine or not (not trusted, named)
        retired = parse_time(entry.retired_at)
        if retired is not None and at is not None and at > retired + RETIRE_GRACE:
            return f"签名密钥 {key_id} 已于 {retired.isoformat()} 退役，其后签出的内容不予信任"
        compromised = parse_time(entry.compromised_at)
        if compromised is not None and (at is None or at >= compromised):
            return f"签名密钥 {key_id} 已标记为自 {compromised.isoformat()} 起泄露，此后（或时间不明）的签名不予信任"
        return None

    @property
    def current(self) -> KeyEntry | None:
        live = [e for e in self.entries if not e.retired_at]
        return live[-1] if live else None


def trust_of(public: Ed25519PublicKey, purpose: str = "receipt") -> Trust:
    """A one-key trust (an auditor's pinned key, or tests)."""
    pem = public.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()
    return Trust(purpose, (KeyEntry(purpose, key_id_of(public), pem, ""),))


# ------------------------------------------------------------------ the file


def path_of(data_dir: Path) -> Path:
    return data_dir / FILE_NAME


def read_entries(data_dir: Path) -> list[KeyEntry] | None:
    """The keyring's entries; None when there is no keyring file yet (an install from before key rotation)."""
    path = path_of(data_dir)
    if not path.exists():
        return None
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
        return [KeyEntry(**{k: e.get(k) for k in KeyEntry.__dataclass_fields__}) for e in raw["keys"]]
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise ValueError(f"密钥登记册 {path} 无法解析（{type(exc).__name__}）") from exc


def _write(data_dir: Path, entries: list[KeyEntry]) -> None:
    path = path_of(data_dir)
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        json.dump({"version": 1, "keys": [asdict(e) for e in entries]}, fh, ensure_ascii=False, indent=1)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


@contextmanager
def locked(data_dir: Path) -> Iterator[None]:
    data_dir.mkdir(parents=True, exist_ok=True)
    fd = os.open(data_dir / LOCK_NAME, os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def _entry(purpose: str, key: SigningKey, created_at: datetime) -> KeyEntry:
    return KeyEntry(purpose, key.key_id, key.public_pem(), created_at.isoformat())


def register_first(data_dir: Path, purpose: str, key: SigningKey, created_at: datetime | None = None) -> None:
    """Record the first key of a purpose (at creation, or for an install that predates the keyring). A purpose that
    already has keys is left alone: a later key enters only by rotation."""
    with locked(data_dir):
        entries = read_entries(data_dir) or []
        if any(e.purpose == purpose for e in entries):
            return
        _write(data_dir, [*entries, _entry(purpose, key, created_at or now())])


def trust(data_dir: Path, purpose: str) -> Trust:
    """The keys of a purpose. Without a keyring file (an install from before rotation), the current key file alone."""
    entries = read_entries(data_dir)
    if entries is None:
        from reviewer.audit.keys import load_existing_key

        key = load_existing_key(data_dir, PURPOSES[purpose])
        entries = [_entry(purpose, key, now())] if key is not None else []
    return Trust(purpose, tuple(e for e in entries if e.purpose == purpose))


def all_entries(data_dir: Path) -> list[KeyEntry]:
    return [e for p in PURPOSES for e in trust(data_dir, p).entries]


# ------------------------------------------------------------------ changes (called by workflow.keyrotation)


@dataclass(frozen=True, slots=True)
class Rotation:
    purpose: str
    old: KeyEntry | None
    new: KeyEntry
    private_pem: bytes


def plan_rotation(data_dir: Path, purpose: str) -> Rotation:
    current = trust(data_dir, purpose).current
    private = Ed25519PrivateKey.generate()
    key = SigningKey(private)
    pem = private.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    return Rotation(purpose, current, _entry(purpose, key, now()), pem)


def apply_rotation(data_dir: Path, rotation: Rotation) -> tuple[bytes | None, list[KeyEntry] | None]:
    """Retire the old key, record the new one and put its private key in place. Returns what was there before, so a
    failed commit can put it back (`undo_rotation`)."""
    key_path = data_dir / PURPOSES[rotation.purpose]
    with locked(data_dir):
        before_entries = read_entries(data_dir)
        before_key = key_path.read_bytes() if key_path.exists() else None
        entries = list(before_entries or [])
        if not any(e.purpose == rotation.purpose for e in entries) and rotation.old is not None:
            entries.append(rotation.old)  # an install from before the keyring: its key is the first one
        stamp = rotation.new.created_at
        entries = [replace(e, retired_at=stamp) if e.purpose == rotation.purpose and not e.retired_at else e for e in entries]
        entries.append(rotation.new)
        tmp = key_path.with_name(key_path.name + ".new")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(rotation.private_pem)
            fh.flush()
            os.fsync(fh.fileno())
        _write(data_dir, entries)
        os.replace(tmp, key_path)
    return before_key, before_entries


def undo_rotation(data_dir: Path, purpose: str, before_key: bytes | None, before_entries: list[KeyEntry] | None) -> None:
    key_path = data_dir / PURPOSES[purpose]
    with locked(data_dir):
        if before_key is not None:
            tmp = key_path.with_name(key_path.name + ".old")
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "wb") as fh:
                fh.write(before_key)
            os.replace(tmp, key_path)
        if before_entries is None:
            path_of(data_dir).unlink(missing_ok=True)
        else:
            _write(data_dir, before_entries)


def mark_compromised(data_dir: Path, purpose: str, key_id: str, since: datetime) -> KeyEntry:
    with locked(data_dir):
        entries = read_entries(data_dir)
        if entries is None:
            raise LookupError("数据目录中还没有密钥登记册：请先运行 reviewer keys rotate")
        found = next((e for e in entries if e.purpose == purpose and e.key_id == key_id), None)
        if found is None:
            raise LookupError(f"密钥登记册中没有{PURPOSE_LABEL[purpose]} {key_id}（用 reviewer keys list 查看）")
        if not found.retired_at:
            raise LookupError(f"{PURPOSE_LABEL[purpose]} {key_id} 仍在使用：请先运行 reviewer keys rotate --{purpose} 换新密钥，再标记泄露")
        marked = replace(found, compromised_at=since.astimezone(UTC).isoformat())
        _write(data_dir, [marked if e is found else e for e in entries])
        return marked


_PEM_BLOCK = re.compile(r"-----BEGIN PUBLIC KEY-----.*?-----END PUBLIC KEY-----", re.S)


def pinned(text: str, purpose: str, known: Trust | None = None) -> Trust | None:
    """The public keys an auditor kept outside the system (one or more PEM blocks, e.g. `reviewer keys list --pem`),
    with the validity the keyring records for them; None when the text holds no Ed25519 public key. Only these keys
    are accepted: a key the keyring gained without the auditor's copy is not."""
    entries = []
    for block in _PEM_BLOCK.findall(text):
        public = public_key_of(block)
        if public is None:
            continue
        kid = key_id_of(public)
        mine = known.get(kid) if known is not None else None
        entries.append(mine if mine is not None and mine.public is not None else KeyEntry(purpose, kid, block + "\n", ""))
    return Trust(purpose, tuple(entries)) if entries else None
