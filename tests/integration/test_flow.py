"""End to end over HTTP against a real uvicorn server, real Celery worker processes on a real redis-server, on SQLite
and PostgreSQL. Nothing is faked: the worker loads the real rules and scans with the real scanner."""

from __future__ import annotations

import hashlib
import http.server
import json
import threading
from collections.abc import Iterator

import httpx
import pytest

from tests.services import Stack, free_port, wait_for

pytestmark = pytest.mark.integration

CLEAN = "本局2025年共办理政府信息公开申请十二件，均已按时答复。"
FLAGGED = "根据绝密★1年的文件精神，现将有关事项通知如下。"  # a classified marking: block


def state_of(c: httpx.Client, item_id: int) -> dict:
    return c.get(f"/api/v1/items/{item_id}").json()


def settled(c: httpx.Client, item_id: int, timeout: float = 60) -> dict:
    return wait_for(lambda: (lambda b: b if b["state"] not in ("queued", "scanning") else None)(state_of(c, item_id)),
                    timeout, 0.1, what=f"item {item_id} scanned")


def test_submit_scan_review_receipt_release(stack: Stack) -> None:
    stack.worker()
    cms, rev = stack.client("cms1"), stack.client("rev1")
    r = cms.post("/api/v1/items", json={"external_id": "n-1", "title": "通知", "channel": "通知公告", "author": "张三", "content": CLEAN})
    assert r.status_code == 201, r.text
    item = r.json()
    body = settled(cms, item["id"])
    assert body["state"] == "awaiting_review", body
    assert body["rules_version"]
    queue = rev.get("/api/v1/review-queue").json()["items"]
    assert item["id"] in [i["id"] for i in queue]
    full = rev.get(f"/api/v1/items/{item['id']}").json()
    dispositions = [{"finding_id": f["id"], "disposition": "false_positive", "reason": "公开数据"} for f in full["findings"]]
    r = rev.post(f"/api/v1/items/{item['id']}/review",
                 json={"content_sha256": item["content_sha256"], "decision": "approve", "comment": "同意", "findings": dispositions})
    if full["counts"]["block"]:
        pytest.fail(f"the clean sample was flagged as block: {[f['rule'] for f in full['findings']]}")
    assert r.status_code == 200, r.text
    receipt = cms.get(f"/api/v1/items/{item['id']}/receipt").json()
    key = httpx.get(stack.api.url + "/api/v1/keys").json()["keys"][0]  # type: ignore[union-attr]
    from reviewer.workflow.receipts import verify

    assert verify(key["public_key_pem"], receipt["payload"], receipt["signature"])
    assert json.loads(receipt["payload"])["content_sha256"] == hashlib.sha256(CLEAN.encode()).hexdigest()
    meta = {"title": "通知", "channel": "通知公告"}  # release-check binds the metadata too
    assert cms.post("/api/v1/release-check", json={"external_id": "n-1", "content": CLEAN, **meta}).json()["approved"] is True
    assert cms.post("/api/v1/release-check", json={"external_id": "n-1", "content": CLEAN[:-1], **meta}).json()["approved"] is False
    assert cms.post("/api/v1/release-check", json={"external_id": "n-1", "content": CLEAN, "title": "另一标题"}).json()["approved"] is False
    assert cms.post(f"/api/v1/items/{item['id']}/released", json={"document_sha256": item["document_sha256"]}).json()["state"] == "released"


def test_block_finding_is_flagged_and_cannot_be_approved(stack: Stack) -> None:
    stack.worker()
    cms, rev = stack.client("cms1"), stack.client("rev1")
    item = cms.post("/api/v1/items", json={"external_id": "b-1", "title": "t", "author": "李四", "content": FLAGGED}).json()
    body = settled(cms, item["id"])
    # the CMS sees the state only: no findings, verdict or counts (the term list stays secret)
    assert body["state"] == "awaiting_review" and not {"verdict", "counts", "findings"} & set(body)
    assert "绝密" not in json.dumps(body, ensure_ascii=False)
    full = rev.get(f"/api/v1/items/{item['id']}").json()
    assert full["verdict"] == "block" and full["counts"]["block"] >= 1
    dispositions = [{"finding_id": f["id"], "disposition": "confirmed", "reason": "密级标志"} for f in full["findings"]]
    r = rev.post(f"/api/v1/items/{item['id']}/review",
                 json={"content_sha256": item["content_sha256"], "decision": "approve", "findings": dispositions})
    assert r.status_code == 409 and "修改" in r.json()["detail"]
    r = rev.post(f"/api/v1/items/{item['id']}/review",
                 json={"content_sha256": item["content_sha256"], "decision": "return", "comment": "删除密级标志", "findings": dispositions})
    assert r.status_code == 200 and r.json()["item"]["state"] == "returned"


def test_two_workers_share_one_redis(stack: Stack) -> None:
    stack.worker(name="alpha")
    stack.worker(name="beta")
    cms = stack.client("cms1")
    ids = [cms.post("/api/v1/items", json={"external_id": f"m-{i}", "content": f"{CLEAN}（第{i}号）"}).json()["id"] for i in range(40)]
    for item_id in ids:
        assert settled(cms, item_id)["state"] == "awaiting_review"
    logs = [w.log() for w in stack.workers]
    assert all("scan_item" in log and "scanned" in log for log in logs), "both workers should have scanned items"
    # ids only in messages and logs: never draft text
    assert all(CLEAN[:8] not in log for log in logs)


def test_lost_messages_are_recovered_by_the_sweeper(stack: Stack) -> None:
    cms = stack.client("cms1")
    ids = [cms.post("/api/v1/items", json={"external_id": f"l-{i}", "content": f"{CLEAN}{i}"}).json()["id"] for i in range(5)]
    stack.redis.flushall()  # the queued messages are gone
    stack.worker()  # sweeps every second for items pending more than 3 s
    for item_id in ids:
        assert settled(cms, item_id, timeout=60)["state"] == "awaiting_review"


class _Receiver(http.server.BaseHTTPRequestHandler):
    bodies: list[tuple[bytes, str]] = []

    def do_POST(self) -> None:  # noqa: N802
        length = int(self.headers.get("content-length") or 0)
        _Receiver.bodies.append((self.rfile.read(length), self.headers.get("X-Reviewer-Signature", "")))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def receiver() -> Iterator[tuple[str, list[tuple[bytes, str]]]]:
    _Receiver.bodies = []
    port = free_port()
    server = http.server.HTTPServer(("127.0.0.1", port), _Receiver)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{port}/hook", _Receiver.bodies
    finally:
        server.shutdown()
        server.server_close()


def test_decision_callback_is_signed_and_delivered(stack: Stack, receiver) -> None:  # noqa: ANN001
    from reviewer.accounts import manage as accounts
    from reviewer.settings import Settings
    from reviewer.workflow.callbacks import signature
    from reviewer.workflow.runtime import open_database

    url, bodies = receiver
    db = open_database(Settings.from_env({"REVIEWER_DATABASE_URL": stack.database_url, "REVIEWER_DATA_DIR": str(stack.data_dir),
                                          "REVIEWER_CALLBACK_ALLOW_HTTP": "1", "REVIEWER_CALLBACK_ALLOW_HOSTS": "127.0.0.1"}))
    with db.session() as s:
        secret = accounts.set_callback(s, accounts.get_unit(s, "U1"), url)
    db.dispose()
    stack.worker()
    cms, rev = stack.client("cms1"), stack.client("rev1")
    item = cms.post("/api/v1/items", json={"external_id": "c-1", "content": CLEAN}).json()
    full = settled(rev, item["id"])
    dispositions = [{"finding_id": f["id"], "disposition": "false_positive", "reason": "公开信息"} for f in full["findings"]]
    r = rev.post(f"/api/v1/items/{item['id']}/review", json={"content_sha256": item["content_sha256"], "decision": "approve",
                                                            "findings": dispositions})
    assert r.status_code == 200
    body, sig = wait_for(lambda: bodies[0] if bodies else None, 30, what="callback")
    assert sig == "sha256=" + signature(secret or "", body)
    assert json.loads(body)["decision"] == "approve"


def test_rules_that_fail_to_load_fail_closed(stack: Stack, tmp_path) -> None:  # noqa: ANN001
    from tests.services import Worker

    broken = tmp_path / "broken-rules"
    broken.mkdir()
    (broken / "bad.yaml").write_text("id: [unclosed\n", encoding="utf-8")
    env = dict(stack.env, REVIEWER_RULES_PATH=str(broken))
    worker = Worker(env, stack.log_dir, name="broken")
    stack.workers.append(worker)
    worker.start()
    cms, rev = stack.client("cms1"), stack.client("rev1")
    item = cms.post("/api/v1/items", json={"external_id": "x-1", "content": CLEAN}).json()
    body = settled(cms, item["id"])
    assert body["state"] == "scan_failed" and body["scan_error"]
    assert rev.get(f"/api/v1/items/{item['id']}").json()["verdict"] == "error"
    r = rev.post(f"/api/v1/items/{item['id']}/review", json={"content_sha256": item["content_sha256"], "decision": "approve"})
    assert r.status_code == 409
    assert cms.post("/api/v1/release-check", json={"external_id": "x-1", "content": CLEAN}).json()["approved"] is False


def test_rescan_of_released_items_raises_an_alert_under_new_rules(stack: Stack, tmp_path) -> None:  # noqa: ANN001
    import shutil as _shutil
    import subprocess

    from tests.services import PYTHON, REPO, Worker

    first = stack.worker(name="old-rules")
    cms, rev = stack.client("cms1"), stack.client("rev1")
    text = "如有疑问请联系经办人，手机13812345678。"
    item = cms.post("/api/v1/items", json={"external_id": "r-1", "content": text}).json()
    full = settled(rev, item["id"])
    assert full["state"] == "awaiting_review"
    dispositions = [{"finding_id": f["id"], "disposition": "false_positive", "reason": "单位公开电话"} for f in full["findings"]]
    assert rev.post(f"/api/v1/items/{item['id']}/review", json={"content_sha256": item["content_sha256"], "decision": "approve",
                                                               "findings": dispositions}).status_code == 200
    assert cms.post(f"/api/v1/items/{item['id']}/released", json={"document_sha256": item["document_sha256"]}).json()["state"] == "released"
    first.stop()

    org = tmp_path / "org-rules"  # the rules change: a unit adds its own rule
    org.mkdir()
    (org / "org-mobile.yaml").write_text((REPO / "rules/personal/mobile.yaml").read_text(encoding="utf-8")
                                         .replace("id: mobile\n", "id: org-mobile\n"), encoding="utf-8")
    _shutil.copy(REPO / "rules/personal/mobile.examples.txt", org / "org-mobile.examples.txt")
    env = dict(stack.env, REVIEWER_RULES_PATH=str(org))
    worker = Worker(env, stack.log_dir, name="new-rules")
    stack.workers.append(worker)
    worker.start()
    out = subprocess.run([PYTHON, "-m", "reviewer", "rescan", "--released"], env=env, cwd=REPO, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    alerts = wait_for(lambda: rev.get("/api/v1/alerts").json()["alerts"], 60, 0.2, what="post-release alert")
    assert alerts[0]["item_id"] == item["id"] and "org-mobile" in alerts[0]["summary"]
    assert "13812345678" not in json.dumps(cms.get(f"/api/v1/items/{item['id']}").json(), ensure_ascii=False)
