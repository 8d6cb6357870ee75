"""End to end with a real redis-server, a real Celery worker process and the API server, on SQLite and PostgreSQL:
`reviewer fingerprints add` stores a registered document in the database; the running worker (started before the
registration) picks it up, the released item that copied it raises a post-release alert, and a new draft that copies
it is blocked with the label and paragraph; no API answer carries the registered text beyond the draft's own."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import httpx
import pytest

from reviewer.scan import fingerprints as fp
from tests.fingerprints.helpers import texts
from tests.services import PYTHON, REPO, Stack, wait_for

pytestmark = pytest.mark.integration


def _settled(c: httpx.Client, item_id: int) -> dict:  # type: ignore[type-arg]
    def done() -> dict | None:  # type: ignore[type-arg]
        body = c.get(f"/api/v1/items/{item_id}").json()
        return body if body["state"] not in ("queued", "scanning") else None

    return wait_for(done, 60, 0.1, what=f"item {item_id} scanned")


def test_registration_reaches_running_workers(stack: Stack, tmp_path: Path) -> None:
    stack.worker()
    cms, rev = stack.client("cms1"), stack.client("rev1")
    paras = fp.paragraphs_of(texts()["law-0150.txt"])
    number = max(range(len(paras)), key=lambda j: len(paras[j])) + 1
    copied = paras[number - 1]
    published = "关于长江水域管理的通知\n" + copied + "\n"
    item = cms.post("/api/v1/items", json={"external_id": "p-1", "content": published}).json()
    full = _settled(rev, item["id"])
    assert full["state"] == "awaiting_review" and full["counts"]["block"] == 0, full
    dispositions = [{"finding_id": f["id"], "disposition": "false_positive", "reason": "公开"} for f in full["findings"]]
    assert rev.post(f"/api/v1/items/{item['id']}/review", json={"content_sha256": item["content_sha256"], "decision": "approve",
                                                               "findings": dispositions}).status_code == 200
    assert cms.post(f"/api/v1/items/{item['id']}/released", json={"document_sha256": item["document_sha256"]}).json()["state"] == "released"

    src = tmp_path / "内部通报.txt"
    src.write_text(texts()["law-0150.txt"], encoding="utf-8")
    out = subprocess.run([PYTHON, "-m", "reviewer", "fingerprints", "add", "--id", "unit-notices", "--label",
                          "2025年第3季度内部通报", str(src)], env=stack.env, cwd=REPO, capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == 0, out.stderr
    assert "已投递 1 件" in out.stdout

    alerts = wait_for(lambda: rev.get("/api/v1/alerts").json()["alerts"], 90, 0.2, what="post-release alert")
    assert alerts[0]["item_id"] == item["id"] and "unit-notices" in alerts[0]["summary"]

    draft = "转发通知：" + copied.replace("，", "、") + "\n"
    new = cms.post("/api/v1/items", json={"external_id": "p-2", "content": draft}).json()
    body = _settled(rev, new["id"])
    hits = [f for f in body["findings"] if f["rule"] == "unit-notices"]
    assert body["verdict"] == "block" and len(hits) == 1
    assert hits[0]["explanation"].startswith(f"与登记文件“2025年第3季度内部通报”第{number}段高度相似")
    # the publisher's view carries no match text at all; the reviewer's carries the draft's own passage only
    assert hits[0]["match"] in draft and len(hits[0]["match"]) > 100
    assert hits[0]["match"][:20] not in json.dumps(cms.get(f"/api/v1/items/{new['id']}").json(), ensure_ascii=False)
