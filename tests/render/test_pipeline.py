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

from tests.extract.helpers import zip_of as _zip  # the package builder the extraction tests use
from tests.render import make as m
from tests.services import Stack, wait_for

pytestmark = pytest.mark.integration

# CSS draws a sentence the extracted text lacks: a 显示内容与文本不一致 finding (review, approvable after disposition)
DRAFT = m.html("<h2>关于做好春季防汛工作的通知</h2><p class=c>各区县人民政府：请按时报送材料。</p>",
               "<style>.c::before{content:'物资调拨计划暂缓执行'}</style>")


def _item(c: httpx.Client, item_id: int) -> dict:
    return c.get(f"/api/v1/items/{item_id}").json()


def _approve(rev: httpx.Client, item: dict, full: dict) -> httpx.Response:
    dispositions = [{"finding_id": f["id"], "disposition": "false_positive", "reason": "已核对页面"} for f in full["findings"]]
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


def _rendered(rev: httpx.Client, item_id: int) -> dict:
    wait_for(lambda: (lambda b: b if b["state"] == "awaiting_review" else None)(_item(rev, item_id)), 120, 0.2,
             what="text scan")
    return wait_for(lambda: (lambda b: b if b["render_check"]["state"] != "pending" else None)(_item(rev, item_id)),
                    300, 0.5, what="render check")


def _submit(cms: httpx.Client, ext: str, name: str, data: bytes) -> dict:
    r = cms.post("/api/v1/items", json={"external_id": ext, "title": "通知", "author": "张三", "file_name": name,
                                        "content_base64": base64.b64encode(data).decode()})
    assert r.status_code == 201, r.text
    return r.json()




def _verify(stack: Stack) -> None:
    import subprocess
    import sys

    from tests.services import REPO

    done = subprocess.run([sys.executable, "-m", "reviewer", "audit", "verify"], cwd=REPO, env=stack.env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr  # the removed notes are explained by the render_check events


def test_clean_scans_are_signable_once_the_render_check_read_them(stack: Stack) -> None:
    """A PDF whose only page is a clean scan, and a zip holding a clean scanned picture: the text scan can only flag
    them (需人工逐页核对; the picture it cannot read at all), the render check reads them by OCR and the notes go: nothing
    is left to dispose of, the item is signable without dispositions."""
    cms, rev = stack.client("cms1"), stack.client("rev1")
    scan = _submit(cms, "r-scan", "scan.pdf", m.scan_pdf([["关于做好春季防汛工作的通知", "各区县人民政府"]]))
    png = m.image_bytes(m.page_image(["关于做好春季防汛工作的通知", "各区县人民政府"]), "PNG")
    archive = _submit(cms, "r-zip", "附件.zip", _zip({"说明.txt": "附扫描件一份。".encode(), "扫描/通知.png": png}))
    stack.worker()
    for item, note in ((scan, "extract.scanned_page"), (archive, "extract.image_member")):
        done = _rendered(rev, item["id"])
        assert done["state"] == "awaiting_review" and done["render_check"]["state"] == "done", done["render_check"]
        assert done["findings"] == [], done["findings"]  # the note (`note`) was removed: the page was read
        assert done["counts"]["review"] == 0 and len(done["render_check"]["page_hashes"]) == 1, (note, done["counts"])
        ok = _approve(rev, item, done)
        assert ok.status_code == 200, ok.text
    _verify(stack)


def test_stamped_scan_keeps_a_block_finding(stack: Stack) -> None:
    cms, rev = stack.client("cms1"), stack.client("rev1")
    item = _submit(cms, "r-stamp", "scan.pdf", m.scan_pdf([["机密★5年", "关于做好春季防汛工作的通知"]]))
    stack.worker()
    done = _rendered(rev, item["id"])
    assert done["render_check"]["state"] == "done", done["render_check"]
    assert [f["rule"] for f in done["findings"] if f["rule"].startswith("extract.")] == []
    [mark] = [f for f in done["findings"] if f["rule"] == "classification-marking"]
    assert mark["severity"] == "block" and mark["page"] == 1 and len(mark["box"]) == 4
    assert mark["location"] == "第1页（图像识别）" and done["counts"]["block"] == 1
    refused = _approve(rev, item, done)  # the unit's policy: a block finding is never approved by a unit reviewer
    assert refused.status_code in (409, 422) and "禁止发布" in refused.json()["detail"], refused.text
    _verify(stack)
