"""The keyring's trust rules, without a database: which checkpoint lines and which keys a verifier accepts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from reviewer.audit import checkpoints, keyring
from reviewer.audit.keys import CHECKPOINT_KEY_FILE, RECEIPT_KEY_FILE, KeyProblem, SigningKey, load_or_create_key

T0 = datetime(2026, 3, 1, tzinfo=UTC)


def _entry(key: SigningKey, created: datetime, retired: datetime | None = None,
           compromised: datetime | None = None) -> keyring.KeyEntry:
    return keyring.KeyEntry("checkpoint", key.key_id, key.public_pem(), created.isoformat(),
                            retired.isoformat() if retired else None, compromised.isoformat() if compromised else None)


def test_checkpoint_lines_are_judged_by_the_key_they_name_and_its_dates(tmp_path: Path) -> None:
    old, new, stranger = (SigningKey(Ed25519PrivateKey.generate()) for _ in range(3))
    rotated = T0 + timedelta(days=10)
    trust = keyring.Trust("checkpoint", (_entry(old, T0, rotated, compromised=T0 + timedelta(days=5)), _entry(new, rotated)))
    lines = [
        checkpoints.signed_line(old, 1, "a" * 64, T0 + timedelta(days=1)),      # before the compromise: anchors
        checkpoints.signed_line(old, 2, "b" * 64, T0 + timedelta(days=6)),      # after it: verifies, not trusted
        checkpoints.signed_line(old, 3, "c" * 64, T0 + timedelta(days=30)),     # after retirement: rejected
        checkpoints.signed_line(new, 4, "d" * 64, T0 + timedelta(days=11)),     # the new key: anchors
        checkpoints.signed_line(stranger, 5, "e" * 64, T0 + timedelta(days=1)),  # a key nobody recorded: rejected
    ]
    (tmp_path / checkpoints.FILE_NAME).write_text("\n".join(lines) + "\n", encoding="utf-8")
    loaded = checkpoints.read([tmp_path], trust)
    assert [c.seq for c in loaded.checkpoints] == [1, 4]
    assert len(loaded.distrusted) == 1 and ":2" in loaded.distrusted[0] and "泄露" in loaded.distrusted[0]
    assert len(loaded.rejected) == 2 and ":3" in loaded.rejected[0] and "退役" in loaded.rejected[0]
    assert ":5" in loaded.rejected[1]


def test_a_process_never_replaces_a_recorded_key(tmp_path: Path) -> None:
    """A key file gone from a data directory whose keyring knows the key: no fresh key (nobody would trust it)."""
    for name in (RECEIPT_KEY_FILE, CHECKPOINT_KEY_FILE):
        load_or_create_key(tmp_path, name)
    (tmp_path / RECEIPT_KEY_FILE).unlink()
    with pytest.raises(KeyProblem) as raised:
        load_or_create_key(tmp_path, RECEIPT_KEY_FILE)
    assert "reviewer restore" in raised.value.message and not (tmp_path / RECEIPT_KEY_FILE).exists()
    assert keyring.pinned("no key here", "checkpoint") is None
