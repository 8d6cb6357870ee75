"""Rules that fail to load, a scanner that raises, a document that cannot be read (real worker processes): the item
is `scan_failed` with a reason, no one can approve it (reviewer, officer, through the API or the page), release-check
says no and publication cannot be recorded. The reason never quotes the draft."""

from __future__ import annotations

import base64

import httpx
import pytest

from tests.reliability._helpers import FaultWorker, figures, terminal
from tests.reliability.faulty_worker import FAULT_MARKER
from tests.services import Stack
from tests.web.helpers import csrf_of, login

pytestmark = pytest.mark.integration
SQLITE_ONLY = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)

CLEAN = "本局2025年共办理政府信息公开申请十二件，均已按时答复。"


def _assert_never_approvable(stack: Stack, body: dict, external_id: str, content: bytes) -> int:
    attempts = 0
    sha = body["content_sha256"]
    for who in ("rev1", "off1"):
        with stack.client(who) as c:
            r = c.post(f"/api/v1/items/{body['id']}/review", json={"content_sha256": sha, "decision": "approve", "comment": "试图批准"})
            attempts += 1
            assert r.status_code == 409, (who, r.status_code, r.text)
    with httpx.Client(base_url=stack.api.url, timeout=30, follow_redirects=False) as page:  # type: ignore[union-attr]
        assert login(page, "rev1").status_code == 303
        token = csrf_of(page.get("/review").text)
        r = page.post(f"/review/items/{body['id']}/sign", data={"csrf_token": token, "content_sha256": sha, "decision": "approve"})
        attempts += 1
        assert r.status_code == 409, (r.status_code, r.text[:300])
    with stack.client("cms1") as cms:
        check = cms.post("/api/v1/release-check", json={"external_id": external_id,
                                                        "content_base64": base64.b64encode(content).decode(),
                                                        "title": body["title"], "channel": body["channel"],
                                                        "file_name": body["file_name"]}).json()
        assert check["approved"] is False and check["state"] == "scan_failed", check
        r = cms.post(f"/api/v1/items/{body['id']}/released", json={"content_sha256": sha})
        assert r.status_code == 409, r.text
        assert cms.get(f"/api/v1/items/{body['id']}/receipt").status_code == 404
        assert cms.get(f"/api/v1/items/{body['id']}").json()["state"] == "scan_failed"
    return attempts + 2  # + release-check and released


@SQLITE_ONLY
def test_scanner_exception_and_unreadable_document_fail_closed(stack: Stack) -> None:
    worker = FaultWorker(stack.env, stack.log_dir, name="faulty", app_module="tests.reliability.faulty_worker")
    stack.workers.append(worker)
    worker.start()
    faulty = (CLEAN + FAULT_MARKER.decode() + "草稿正文独有的句子甲乙丙").encode()
    broken_docx = b"PK\x03\x04" + b"\x00" * 40 + b"not really a zip archive"
    cases = {"fault-1": (faulty, "a.txt"), "broken-1": (broken_docx, "report.docx")}
    with stack.client("cms1") as cms:
        ids = {}
        for ext, (data, name) in cases.items():
            r = cms.post("/api/v1/items", files={"file": (name, data)}, data={"external_id": ext})
            assert r.status_code == 201, r.text
            ids[ext] = r.json()["id"]
        ok = cms.post("/api/v1/items", json={"external_id": "ok-1", "content": CLEAN}).json()
        assert terminal(cms, ok["id"])["state"] == "awaiting_review"  # the fault is specific, not a broken worker
        tried = 0
        for ext, item_id in ids.items():
            body = terminal(cms, item_id)
            # the CMS sees the state and the reason, not the scanner's verdict (the term list stays secret)
            assert body["state"] == "scan_failed" and "verdict" not in body and body["scan_error"], body
            assert "甲乙丙" not in body["scan_error"] and FAULT_MARKER.decode() not in body["scan_error"]
            tried += _assert_never_approvable(stack, body, ext, cases[ext][0])
        assert "扫描程序异常" in cms.get(f"/api/v1/items/{ids['fault-1']}").json()["scan_error"]
    assert "甲乙丙" not in worker.log()
    figures("scanner_exception", faults=["scanner raises", "corrupt .docx"], scan_failed=len(ids), approval_attempts_refused=tried)


@SQLITE_ONLY
def test_rules_that_fail_to_load_fail_closed(stack: Stack, tmp_path) -> None:  # noqa: ANN001
    broken = tmp_path / "broken-rules"
    broken.mkdir()
    (broken / "bad.yaml").write_text("id: bad\nkind: terms\nseverity: block\nterms: [未闭合\n", encoding="utf-8")
    worker = FaultWorker(dict(stack.env, REVIEWER_RULES_PATH=str(broken)), stack.log_dir, name="badrules")
    stack.workers.append(worker)
    worker.start()
    with stack.client("cms1") as cms:
        item = cms.post("/api/v1/items", json={"external_id": "rules-1", "content": CLEAN}).json()
        body = terminal(cms, item["id"])
    assert body["state"] == "scan_failed" and "规则" in body["scan_error"], body
    tried = _assert_never_approvable(stack, body, "rules-1", CLEAN.encode())
    figures("rules_fail_to_load", scan_failed=1, approval_attempts_refused=tried)


