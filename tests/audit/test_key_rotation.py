"""Key rotation: `reviewer keys rotate` replaces a signing key and keeps every old public key (audit.keyring).

After a rotation, old receipts still verify by their key id (for the CMS through /api/v1/keys, and in release-check
and `reviewer audit verify`), new ones are signed with the new key, and checkpoints verify with the key each line
names. The attacks: an administrator who swaps a key file in (to re-sign a rewritten log, or just to sign), who adds
their key to the keyring by hand, or who takes a compromise mark out again; a key marked compromised must no longer
vouch for what it signed after the compromise time."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import text

from reviewer.audit import checkpoints, keyring
from reviewer.audit.keys import CHECKPOINT_KEY_FILE, RECEIPT_KEY_FILE, SigningKey
from reviewer.cli import main
from reviewer.workflow.receipts import verify as verify_receipt
from tests.audit.seeded import seeded_app
from tests.security.conftest import App
from tests.web.helpers import login, make_item

TEXT = "区人社局关于二〇二六年公开招聘事业单位工作人员的公告"


@pytest.fixture
def app(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[App]:
    a, url = seeded_app(tmp_path, REVIEWER_CHECKPOINT_EVERY="3", REVIEWER_CHECKPOINT_MINUTES="600")
    monkeypatch.setenv("REVIEWER_DATA_DIR", str(a.data_dir))
    monkeypatch.setenv("REVIEWER_DATABASE_URL", url)
    monkeypatch.setenv("REVIEWER_CHECKPOINT_EVERY", "3")
    monkeypatch.setenv("REVIEWER_CHECKPOINT_MINUTES", "600")
    try:
        yield a
    finally:
        a.db.dispose()


def _approved(a: App, ext: str) -> tuple[int, dict]:  # type: ignore[type-arg]
    body = f"{TEXT}（{ext}）"
    item_id = make_item(a.db, body, external_id=ext)
    r = a.client("rev1").post(f"/api/v1/items/{item_id}/review",
                              json={"content_sha256": hashlib.sha256(body.encode()).hexdigest(), "decision": "approve"})
    assert r.status_code == 200, r.text
    receipt = a.client("cms1").get(f"/api/v1/items/{item_id}/receipt").json()
    return item_id, receipt


def _release_check(a: App, ext: str) -> dict:  # type: ignore[type-arg]
    return a.client("cms1").post("/api/v1/release-check", json={
        "external_id": ext, "content": f"{TEXT}（{ext}）", "title": "关于开展安全检查的通知", "channel": "通知公告"}).json()


def _verify(capsys: pytest.CaptureFixture[str], *extra: str) -> tuple[int, str]:
    capsys.readouterr()
    code = main(["audit", "verify", *extra])
    out = capsys.readouterr()
    return code, out.out + out.err


def _fresh_key_file(path: Path) -> SigningKey:
    private = Ed25519PrivateKey.generate()
    path.write_bytes(private.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return SigningKey(private)


def test_old_receipts_verify_and_new_ones_use_the_new_key(app: App, capsys: pytest.CaptureFixture[str], tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    old_id, old = _approved(app, "rot-1")
    assert main(["keys", "rotate", "--receipt"]) == 0
    assert "已轮换回执签名密钥" in capsys.readouterr().out
    new_id, new = _approved(app, "rot-2")
    assert old["key_id"] != new["key_id"]

    keys = app.client().get("/api/v1/keys").json()
    by_id = {k["key_id"]: k for k in keys["keys"]}
    # compatible: keys[0] is the current signing key, with the fields clients read before
    assert keys["keys"][0]["key_id"] == new["key_id"] == keys["current_key_id"]
    assert {"key_id", "algorithm", "public_key_pem"} <= set(keys["keys"][0])
    assert by_id[old["key_id"]]["status"] == "retired" and by_id[old["key_id"]]["valid_until"]
    for receipt in (old, new):  # the CMS, offline: the key the receipt names verifies it, the other does not
        assert verify_receipt(by_id[receipt["key_id"]]["public_key_pem"], receipt["payload"], receipt["signature"])
    assert not verify_receipt(by_id[new["key_id"]]["public_key_pem"], old["payload"], old["signature"])

    assert _release_check(app, "rot-1")["approved"] is True  # the old receipt still proves the approval
    assert _release_check(app, "rot-2")["approved"] is True
    code, out = _verify(capsys)
    assert code == 0, out
    with app.db.session() as s:
        event = s.execute(text("SELECT data FROM audit_events WHERE action = 'key_rotated'")).scalar_one()
    assert json.loads(event)["old_key_id"] == old["key_id"] and json.loads(event)["new_key_id"] == new["key_id"]
    assert old_id != new_id
    # the keyring travels with the backup: restored elsewhere, both receipts still verify
    backup = tmp_path / "after-rotation.tar.gz"
    assert main(["backup", str(backup)]) == 0
    fresh = tmp_path / "restored"
    monkeypatch.setenv("REVIEWER_DATA_DIR", str(fresh))
    monkeypatch.setenv("REVIEWER_DATABASE_URL", f"sqlite:///{fresh / 'reviewer.sqlite3'}")
    assert main(["restore", str(backup)]) == 0 and main(["db", "upgrade"]) == 0
    code, out = _verify(capsys)
    assert code == 0 and "校验通过" in out, out


def test_checkpoints_verify_with_the_key_each_names_and_a_pinned_copy(app: App, tmp_path: Path,
                                                                      capsys: pytest.CaptureFixture[str]) -> None:
    _approved(app, "cp-1")
    assert main(["keys", "show"]) == 0
    old_pem = capsys.readouterr().out.split("# 检查点签名密钥")[1].split("\n", 1)[1]
    (tmp_path / "old.pem").write_text(old_pem, encoding="utf-8")
    assert main(["keys", "rotate", "checkpoint"]) == 0
    assert "重新锚定" in capsys.readouterr().out
    _approved(app, "cp-2")
    lines = [json.loads(x) for x in (checkpoints.anchor_dir(app.settings) / checkpoints.FILE_NAME).read_text().splitlines()]
    assert len({c["key_id"] for c in lines}) == 2  # lines by both keys
    code, out = _verify(capsys)
    assert code == 0 and "检查点无效" not in out, out
    # an auditor who kept only the old public key sees the new lines as not theirs (fails closed) …
    code, out = _verify(capsys, "--checkpoint-key", str(tmp_path / "old.pem"))
    assert code == 1 and "检查点无效" in out
    # … and with the copy made after the rotation (`keys list --pem`) everything verifies
    assert main(["keys", "list", "--pem"]) == 0
    (tmp_path / "all.pem").write_text(capsys.readouterr().out, encoding="utf-8")
    code, out = _verify(capsys, "--checkpoint-key", str(tmp_path / "all.pem"))
    assert code == 0, out


def test_a_swapped_key_file_is_refused_and_caught(app: App, capsys: pytest.CaptureFixture[str]) -> None:
    _approved(app, "sw-1")
    # the receipt key: swapped in, it signs nothing and the CMS is never offered it
    swapped = _fresh_key_file(app.data_dir / RECEIPT_KEY_FILE)
    item_id = make_item(app.db, f"{TEXT}（sw-2）", external_id="sw-2")
    r = app.client("rev1").post(f"/api/v1/items/{item_id}/review", json={
        "content_sha256": hashlib.sha256(f"{TEXT}（sw-2）".encode()).hexdigest(), "decision": "approve"})
    assert r.status_code == 503 and "密钥文件可能被替换" in r.json()["detail"], r.text
    assert swapped.key_id not in {k["key_id"] for k in app.client().get("/api/v1/keys").json()["keys"]}
    code, out = _verify(capsys)
    assert code == 1 and "不是密钥登记册记录的当前密钥" in out
    # the file removed instead: no process makes a fresh one; the recorded keys are still served and verified
    (app.data_dir / RECEIPT_KEY_FILE).unlink()
    r = app.client("rev1").post(f"/api/v1/items/{item_id}/review", json={
        "content_sha256": hashlib.sha256(f"{TEXT}（sw-2）".encode()).hexdigest(), "decision": "approve"})
    assert r.status_code == 503 and "缺失" in r.json()["detail"] and not (app.data_dir / RECEIPT_KEY_FILE).exists()
    assert len(app.client().get("/api/v1/keys").json()["keys"]) == 1
    code, out = _verify(capsys)
    assert code == 1 and "缺失：请从备份恢复" in out and "Traceback" not in out, out


def test_an_administrator_re_signing_with_a_fresh_key_does_not_pass(app: App, capsys: pytest.CaptureFixture[str]) -> None:
    """Swap the checkpoint key, enter it in the keyring by hand as if rotated, and re-sign the anchor file with it."""
    _approved(app, "adm-1")
    fresh = _fresh_key_file(app.data_dir / CHECKPOINT_KEY_FILE)
    entries = keyring.read_entries(app.data_dir) or []
    now = datetime.now(UTC).isoformat()
    forged = [keyring.KeyEntry(e.purpose, e.key_id, e.public_key_pem, e.created_at, now) if e.purpose == "checkpoint" else e
              for e in entries]
    forged.append(keyring.KeyEntry("checkpoint", fresh.key_id, fresh.public_pem(), now))
    keyring._write(app.data_dir, forged)
    anchor = checkpoints.anchor_dir(app.settings) / checkpoints.FILE_NAME
    with app.db.session() as s:
        head = s.execute(text("SELECT seq, hash, at FROM audit_events ORDER BY seq DESC LIMIT 1")).one()
    at = head.at if isinstance(head.at, datetime) else datetime.fromisoformat(str(head.at))
    anchor.write_text(checkpoints.signed_line(fresh, head.seq, head.hash, at) + "\n", encoding="utf-8")
    code, out = _verify(capsys)
    assert code == 1 and "没有对应的轮换事件" in out, out


def test_a_compromised_key_no_longer_vouches(app: App, capsys: pytest.CaptureFixture[str]) -> None:
    _, old = _approved(app, "cmp-1")
    # the commands answer mistakes in Chinese, without a traceback
    assert main(["keys", "compromised", "--checkpoint", "--key-id", "x", "--since", "昨天"]) == 2
    assert "不是日期或时间" in capsys.readouterr().err
    assert main(["keys", "compromised", "--checkpoint", "--key-id", "0000", "--since", "2026-01-01"]) == 1
    assert "密钥登记册中没有" in capsys.readouterr().err
    for wrong in (["keys", "rotate"], ["keys", "rotate", "receipt", "--checkpoint"]):
        assert main(wrong) == 2
        err = capsys.readouterr().err
        assert "请指明一种密钥" in err and "Traceback" not in err
    assert main(["keys", "list"]) == 0
    out = capsys.readouterr().out
    assert "回执签名密钥" in out and "检查点签名密钥" in out and "当前使用" in out
    assert main(["keys", "compromised", "--receipt", "--key-id", old["key_id"], "--since", "2020-01-01"]) == 1
    assert "仍在使用" in capsys.readouterr().err  # the current key is rotated out first
    assert main(["keys", "rotate", "--receipt"]) == 0
    since = (datetime.now(UTC) - timedelta(hours=1)).astimezone().isoformat(timespec="seconds")
    assert main(["keys", "compromised", "--receipt", "--key-id", old["key_id"], "--since", since]) == 0
    assert "标记为" in capsys.readouterr().out
    listed = {k["key_id"]: k for k in app.client().get("/api/v1/keys").json()["keys"]}
    assert listed[old["key_id"]]["status"] == "compromised" and listed[old["key_id"]]["compromised_at"]
    answer = _release_check(app, "cmp-1")
    assert answer["approved"] is False
    code, out = _verify(capsys)
    assert "不可信的回执" in out and "泄露" in out, out
    assert code == 0  # the log still binds the receipt; verify names it rather than failing forever
    auditor = app.client()
    login(auditor, "aud")
    page = auditor.get("/audit/verify")
    assert page.status_code == 200 and "不可信的回执" in page.text and old["key_id"] in page.text
    # taking the mark out of the keyring again is caught: the log recorded it
    entries = keyring.read_entries(app.data_dir) or []
    keyring._write(app.data_dir, [keyring.KeyEntry(e.purpose, e.key_id, e.public_key_pem, e.created_at, e.retired_at)
                                  for e in entries])
    code, out = _verify(capsys)
    assert code == 1 and "泄露标记被去除" in out, out
    assert _approved(app, "cmp-2")[1]["key_id"] != old["key_id"]
    # and deleting the whole keyring (to drop the old keys and their marks) is caught too
    (app.data_dir / keyring.FILE_NAME).unlink()
    code, out = _verify(capsys)
    assert code == 1 and "keyring.json 被删除" in out, out
