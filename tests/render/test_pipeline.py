"""The render check in the pipeline, over HTTP against real services: a real uvicorn API, a real Celery worker on a
real redis-server consuming both queues, SQLite (and PostgreSQL when configured), real Chromium and OCR in the worker.

The text scan reaches the reviewer first; approval is refused with 正在核对显示内容… until the `render` queue's task
has recorded its findings (with page and box) and the page images; the sign-off event and the receipt bind the page
images' hashes."""

from __future__ import annotations

import base64
import hashlib
import json

import httpx
import pytest

from tests.render import make as m
from tests.services import Stack, wait_for

pytestmark = pytest.mark.integration

# CSS draws a sentence the extracted text lacks: a 显示内容与文本不一致 finding (review, approvable after disposition)
DRAFT = m.html("<h2>关于做好春季防汛工作的通知</h2><p class=c>各区县人民政府：请按时报送材料。</p>",
               "<style>.c::before{content:'物资调拨计划暂缓执行'}</style>")


def _item(c: httpx.Client, item_id: int) -> dict:
    return c.get(f"/api/v1/items/{item_id}").json()


def _approve(rev: httpx.Client, item: dict, full: dict) -> httpx.Response:
    dispositions = [{"finding_id": f["id"], "disposition": "confirmed", "reason": "已核对页面"} for f in full["findings"]]
    return rev.post(f"/api/v1/items/{item['id']}/review",
                    json={"content_sha256": item["content_sha256"], "decision": "approve", "findings": dispositions})


def test_render_check_gates_approval_and_binds_the_pages(stack: Stack) -> None:
    cms, rev = stack.client("cms1"), stack.client("rev1")
    r = cms.post("/api/v1/items", json={"external_id": "r-1", "title": "通知", "author": "张三", "file_name": "notice.html",
                                        "content_base64": base64.b64encode(DRAFT).decode()})
    assert r.status_code == 201, r.text
    item = r.json()
    # before any worker runs: the text scan has not happened, nothing can be signed
    stack.worker()
    body = wait_for(lambda: (lambda b: b if b["state"] == "awaiting_review" else None)(_item(rev, item["id"])), 90, 0.1,
                    what="text scan")
    check = body["render_check"]
    if check["state"] == "pending":  # the text scan is there while the pages are still being rendered
        assert check["label"] == "正在核对显示内容…"
        refused = _approve(rev, item, body)
        assert refused.status_code == 409 and "正在核对显示内容" in refused.json()["detail"]
    done = wait_for(lambda: (lambda b: b if b["render_check"]["state"] != "pending" else None)(_item(rev, item["id"])),
                    240, 0.5, what="render check")
    assert done["render_check"]["state"] == "done", done["render_check"]
    shown = [f for f in done["findings"] if f["rule"] == "render.mismatch"]
    assert shown and shown[0]["page"] == 1 and len(shown[0]["box"]) == 4, done["findings"]
    assert "物资调拨计划暂缓执行" in shown[0]["explanation"]
    hashes = done["render_check"]["page_hashes"]
    assert len(hashes) == 1 and done["render_check"]["pages_sha256"] == hashlib.sha256(hashes[0].encode()).hexdigest()
    # approving with only the text scan's findings disposed is refused: the render check added one
    stale = _approve(rev, item, {"findings": [f for f in done["findings"] if f.get("page") is None]})
    assert stale.status_code == 422 and "未处置" in stale.json()["detail"], stale.text
    ok = _approve(rev, item, done)
    assert ok.status_code == 200, ok.text
    receipt = json.loads(cms.get(f"/api/v1/items/{item['id']}/receipt").json()["payload"])
    assert receipt["rendered_pages"] == hashes and receipt["rendered_pages_sha256"] == done["render_check"]["pages_sha256"]


def test_plain_text_needs_no_rendering(stack: Stack) -> None:
    stack.worker()
    cms, rev = stack.client("cms1"), stack.client("rev1")
    item = cms.post("/api/v1/items", json={"external_id": "r-2", "title": "t", "author": "李四",
                                           "content": "本局2025年共办理政府信息公开申请十二件。"}).json()
    body = wait_for(lambda: (lambda b: b if b["state"] == "awaiting_review" else None)(_item(rev, item["id"])), 60, 0.1)
    assert body["render_check"]["state"] == "done" and body["render_check"]["kind"] == "text"
    assert _approve(rev, item, body).status_code == 200
