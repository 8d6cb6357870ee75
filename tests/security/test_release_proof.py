"""Proof, not state: an insider with write access to the database tries to make a draft releasable, or to hide who
signed it, without the review log noticing.

Each attack edits rows directly with SQL (as a DBA or anyone holding the database password could) and then asks the
release gate (`release-check`, `/released`) and the verifier (`reviewer audit verify`). Before this change the gate
trusted `items.state` and the verifier checked only the hash chain of the events, so every attack below passed."""

from __future__ import annotations

import base64
import hashlib
import json
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import text

from reviewer.audit import verify as audit_verify
from reviewer.audit.chain import canonical_json
from reviewer.workflow.receipts import load_or_create_key
from reviewer.workflow.receipts import verify as verify_receipt
from tests.reliability._helpers import figures, terminal
from tests.security.conftest import App
from tests.services import REPO, Stack, Worker
from tests.web.helpers import make_item

TEXT = "市水务局关于二〇二六年汛期值班安排的通知：值班电话见附件。"
SECRET = "澄江九号"  # the block term of the findings in these tests (not a real rule term)
META = {"title": "关于开展安全检查的通知", "channel": "通知公告"}  # make_item's title and channel


def _sha(s: str) -> str:
    return hashlib.sha256(s.encode()).hexdigest()


def _verify(a: App) -> audit_verify.FullReport:
    with a.db.session() as s:
        return audit_verify.run(s, receipt_key=load_or_create_key(a.data_dir).public)


def _approved(a: App, ext: str, text_: str = TEXT) -> int:
    item_id = make_item(a.db, text_, external_id=ext)
    r = a.client("rev1").post(f"/api/v1/items/{item_id}/review", json={"content_sha256": _sha(text_), "decision": "approve"})
    assert r.status_code == 200, r.text
    return item_id


def _check(a: App, ext: str, content: str = TEXT, **meta: str) -> dict:  # type: ignore[type-arg]
    return a.client("cms1").post("/api/v1/release-check", json={"external_id": ext, "content": content, **{**META, **meta}}).json()


def _sql(a: App, statement: str, **params: object) -> None:
    with a.db.session() as s:
        s.execute(text(statement), params)


def test_honest_history_verifies_clean(inproc: App) -> None:
    """No false alarms: approvals, a release, a superseded version, a return, an officer co-sign, a scan failure."""
    released = _approved(inproc, "ok-1")
    assert inproc.client("cms1").post(f"/api/v1/items/{released}/released", json={"content_sha256": _sha(TEXT)}).status_code == 200
    _approved(inproc, "ok-2")
    inproc.client("cms1").post("/api/v1/items", json={"external_id": "ok-2", "content": TEXT + "（修订）"})
    returned = make_item(inproc.db, TEXT + "。", [("汛期", "review")], external_id="ok-3")
    with inproc.db.session() as s:
        fid = s.execute(text("SELECT id FROM findings WHERE item_id = :i"), {"i": returned}).scalar_one()
    r = inproc.client("rev1").post(f"/api/v1/items/{returned}/review", json={
        "content_sha256": _sha(TEXT + "。"), "decision": "return", "findings": [{"finding_id": fid, "disposition": "confirmed"}]})
    assert r.status_code == 200
    blocked = make_item(inproc.db, TEXT + SECRET, [(SECRET, "block")], external_id="ok-4", cms="cms2")
    with inproc.db.session() as s:
        fid = s.execute(text("SELECT id FROM findings WHERE item_id = :i"), {"i": blocked}).scalar_one()
    body = {"content_sha256": _sha(TEXT + SECRET), "decision": "approve", "findings": [{"finding_id": fid, "disposition": "false_positive", "reason": "该词为公开的工程代号"}]}
    assert inproc.client("rev2").post(f"/api/v1/items/{blocked}/review", json=body).status_code == 200
    assert inproc.client("off2").post(f"/api/v1/items/{blocked}/review", json={**body, "findings": []}).status_code == 200
    report = _verify(inproc)
    assert report.ok, report.unexplained
    assert report.rows_checked >= 8


def test_state_set_to_approved_in_the_database_is_not_a_release(inproc: App) -> None:
    item_id = make_item(inproc.db, TEXT + SECRET, [(SECRET, "block")], external_id="st-1")
    assert _check(inproc, "st-1", TEXT + SECRET)["approved"] is False
    _sql(inproc, "UPDATE items SET state = 'approved' WHERE id = :i", i=item_id)
    check = _check(inproc, "st-1", TEXT + SECRET)
    assert check["approved"] is False and check["receipt_id"] is None and "回执" in check["reason"], check
    r = inproc.client("cms1").post(f"/api/v1/items/{item_id}/released", json={})
    assert r.status_code == 409 and "回执" in r.json()["detail"]
    report = _verify(inproc)
    assert not report.ok
    assert any(f"稿件 {item_id}" in u and "已批准" in u and "没有日志依据" in u for u in report.unexplained), report.unexplained
    assert any(f"稿件 {item_id}" in u and "没有发布回执" in u for u in report.unexplained)


def test_changed_signer_is_named(inproc: App) -> None:
    item_id = _approved(inproc, "sg-1")
    assert _verify(inproc).ok
    _sql(inproc, "UPDATE reviews SET reviewer_id = (SELECT id FROM users WHERE username = 'rev1b') WHERE item_id = :i", i=item_id)
    report = _verify(inproc)
    assert any("签署人为 rev1b" in u and "rev1" in u for u in report.unexplained), report.unexplained
    # the receipt still names rev1: the cross-check of the receipt against the reviews says so too
    assert any("签署人与数据库中的批准记录不一致" in u for u in report.unexplained)


def test_edited_body_or_title_of_an_approved_item(inproc: App) -> None:
    body_id = _approved(inproc, "ed-1")
    title_id = _approved(inproc, "ed-2")
    _sql(inproc, "UPDATE items SET content = :c WHERE id = :i", c="市水务局：汛期取消值班。".encode(), i=body_id)
    assert _check(inproc, "ed-1")["approved"] is False  # the stored row no longer matches its hash
    assert _check(inproc, "ed-1", "市水务局：汛期取消值班。")["approved"] is False
    # the title changed, and the stored document hash "fixed up" to match: the receipt still binds the old title
    new_title = "关于汛期取消值班的通知"
    with inproc.db.session() as s:
        sha = s.execute(text("SELECT content_sha256 FROM items WHERE id = :i"), {"i": title_id}).scalar_one()
    from reviewer.audit.binding import document_sha256

    _sql(inproc, "UPDATE items SET title = :t, document_sha256 = :d WHERE id = :i", t=new_title,
         d=document_sha256(sha, new_title, META["channel"], "content.txt"), i=title_id)
    check = _check(inproc, "ed-2", title=new_title)
    assert check["approved"] is False and "标题" in check["reason"], check
    assert _check(inproc, "ed-2")["approved"] is False
    assert inproc.client("cms1").post(f"/api/v1/items/{title_id}/released", json={}).status_code == 409
    report = _verify(inproc)
    assert any(f"稿件 {body_id}" in u and "正文" in u for u in report.unexplained), report.unexplained
    assert any(f"稿件 {title_id}" in u and "标题" in u for u in report.unexplained), report.unexplained


def test_forged_receipt_and_deleted_receipt(inproc: App) -> None:
    forged_id = make_item(inproc.db, TEXT, external_id="fr-1")
    gone_id = _approved(inproc, "fr-2")
    with inproc.db.session() as s:
        payload = s.execute(text("SELECT payload FROM receipts WHERE item_id = :i"), {"i": gone_id}).scalar_one()
    body = {**json.loads(payload), "item_id": forged_id, "external_id": "fr-1"}
    forged_payload = canonical_json(body)
    other = Ed25519PrivateKey.generate()
    signature = base64.b64encode(other.sign(forged_payload.encode())).decode()
    _sql(inproc, "UPDATE items SET state = 'approved' WHERE id = :i", i=forged_id)
    _sql(inproc, "INSERT INTO receipts (item_id, payload, signature, key_id, created_at) VALUES (:i, :p, :s, :k, CURRENT_TIMESTAMP)",
         i=forged_id, p=forged_payload, s=signature, k=body["key_id"])
    check = _check(inproc, "fr-1")
    assert check["approved"] is False and "签名" in check["reason"], check
    _sql(inproc, "DELETE FROM receipts WHERE item_id = :i", i=gone_id)
    assert _check(inproc, "fr-2")["approved"] is False
    report = _verify(inproc)
    assert any(f"稿件 {forged_id}" in u and "签名" in u for u in report.unexplained), report.unexplained
    assert any("回执" in u and "被删除" in u for u in report.unexplained)
    assert any("回执" in u and "没有对应的回执事件" in u for u in report.unexplained)


def test_dispositions_and_findings_edited(inproc: App) -> None:
    item_id = make_item(inproc.db, TEXT + SECRET, [(SECRET, "review"), ("汛期", "review")], external_id="fd-1")
    with inproc.db.session() as s:
        fids = list(s.execute(text("SELECT id FROM findings WHERE item_id = :i ORDER BY seq"), {"i": item_id}).scalars())
    body = {"content_sha256": _sha(TEXT + SECRET), "decision": "approve",
            "findings": [{"finding_id": f, "disposition": "false_positive", "reason": "公开信息"} for f in fids]}
    assert inproc.client("rev1").post(f"/api/v1/items/{item_id}/review", json=body).status_code == 200
    assert _verify(inproc).ok
    _sql(inproc, "UPDATE dispositions SET disposition = 'confirmed' WHERE finding_id = :f", f=fids[0])
    _sql(inproc, "UPDATE findings SET severity = 'info' WHERE id = :f", f=fids[1])
    report = _verify(inproc)
    assert any(f"发现 #{fids[0]}" in u and "confirmed" in u for u in report.unexplained), report.unexplained
    assert any(f"稿件 {item_id}" in u and "扫描" in u for u in report.unexplained)
    _sql(inproc, "DELETE FROM dispositions WHERE finding_id = :f", f=fids[0])
    assert any("处置" in u and "被删除" in u for u in _verify(inproc).unexplained)


def test_row_inserted_without_the_system(inproc: App) -> None:
    _sql(inproc, "INSERT INTO items (external_id, version, unit_id, title, channel, author, file_name, content, content_sha256, state,"
         " block_count, review_count, info_count, scan_attempts, submitted_at) VALUES ('in-1', 1, 1, '', '', '', 'content.txt', :c, :h,"
         " 'approved', 0, 0, 0, 0, CURRENT_TIMESTAMP)", c=TEXT.encode(), h=_sha(TEXT))
    assert _check(inproc, "in-1", title="", channel="")["approved"] is False
    report = _verify(inproc)
    assert any("in-1" in u and "没有提交事件" in u for u in report.unexplained), report.unexplained


def test_superseded_receipt_verifies_offline_but_release_check_names_the_current_version(inproc: App) -> None:
    v1 = _approved(inproc, "sv-1")
    receipt = inproc.client("cms1").get(f"/api/v1/items/{v1}/receipt").json()
    v2 = inproc.client("cms1").post("/api/v1/items", json={"external_id": "sv-1", "content": TEXT + "（更正）", **META}).json()
    key = inproc.client().get("/api/v1/keys").json()["keys"][0]["public_key_pem"]
    assert verify_receipt(key, receipt["payload"], receipt["signature"])  # a receipt alone cannot know it was superseded
    check = _check(inproc, "sv-1")
    assert check["approved"] is False and check["is_current"] is False
    assert check["current"] == {"item_id": v2["id"], "version": 2, "state": "queued"}
    assert "取代" in check["reason"]


def _cli_verify(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "reviewer", "audit", "verify"], cwd=REPO, env=env, capture_output=True,
                          text=True, timeout=120)


def test_state_attack_with_real_servers(stack: Stack, tmp_path: Path) -> None:
    """The same attack end to end: a real API server and worker scan a draft with a block term (a rule file of this
    test), the database row is set to approved, and the running server and the CLI are asked."""
    rules = tmp_path / "rules"
    rules.mkdir()
    (rules / "proof-term.yaml").write_text(
        f"id: proof-term\nkind: terms\nseverity: block\ncategory: 测试\nmessage: 测试用涉密词\nterms: [{SECRET}]\n", encoding="utf-8")
    env = dict(stack.env, REVIEWER_RULES_PATH=str(rules))
    worker = Worker(env, stack.log_dir, name="proof")
    stack.workers.append(worker)
    worker.start()
    with httpx.Client(base_url=stack.api.url, timeout=30) as c:  # type: ignore[union-attr]
        cms = {"Authorization": f"Bearer {stack.seed.tokens['cms1']}"}
        item = c.post("/api/v1/items", json={"external_id": "real-1", "title": "通知", "content": TEXT + SECRET}, headers=cms).json()
        c.headers.update({"Authorization": f"Bearer {stack.seed.tokens['rev1']}"})
        full = terminal(c, item["id"])
        assert full["state"] == "awaiting_review" and full["counts"]["block"] == 1
        assert _cli_verify(stack.env).returncode == 0
        from sqlalchemy import create_engine

        engine = create_engine(stack.database_url)
        with engine.begin() as conn:
            conn.execute(text("UPDATE items SET state = 'approved' WHERE id = :i"), {"i": item["id"]})
        engine.dispose()
        c.headers.update(cms)
        check = c.post("/api/v1/release-check", json={"external_id": "real-1", "content": TEXT + SECRET, "title": "通知"}).json()
        assert check["approved"] is False, check
        assert c.post(f"/api/v1/items/{item['id']}/released", json={}).status_code == 409
    done = _cli_verify(stack.env)
    assert done.returncode == 1 and f"稿件 {item['id']}" in done.stderr and "没有日志依据" in done.stderr, done.stderr
    figures("release_proof_real_servers", database=stack.database_url.split(":")[0], state_forged=1, release_check_refused=1,
            released_refused=1, verify_named_row=1)


def test_every_attack_is_named_by_the_cli(inproc: App, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    from reviewer.cli import main

    monkeypatch.setenv("REVIEWER_DATABASE_URL", str(inproc.settings.database_url))
    monkeypatch.setenv("REVIEWER_DATA_DIR", str(inproc.data_dir))
    attacks = {
        "state": "UPDATE items SET state = 'rejected' WHERE id = :i",
        "reviewer_id": "UPDATE reviews SET reviewer_id = (SELECT id FROM users WHERE username = 'off1') WHERE item_id = :i",
        "content": "UPDATE items SET content = :x WHERE id = :i",
        "title": "UPDATE items SET title = 'x' WHERE id = :i",
    }
    ids = {column: _approved(inproc, f"cli-{column}") for column in attacks}
    assert main(["audit", "verify"]) == 0
    capsys.readouterr()
    for column, statement in attacks.items():
        _sql(inproc, statement, i=ids[column], x=b"other")
        assert main(["audit", "verify"]) == 1, column
        err = capsys.readouterr().err
        named = "签署 #" if column == "reviewer_id" else f"稿件 {ids[column]}"
        assert "没有审查日志依据" in err and named in err, (column, err)
    figures("verify_names_row", columns=len(attacks), exit_code=1)
