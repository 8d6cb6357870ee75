"""The reviewer page shows the rendered pages with the findings' boxes and offers the original file; both are
access-checked like the item page. Real Chromium and OCR, the real workflow (jobs.run_scan + jobs.run_render), SQLite."""

from __future__ import annotations

import hashlib
import json
import re

from sqlalchemy import select

from reviewer.accounts.actor import Actor
from reviewer.store.models import ApiToken, AuditEvent, Finding
from reviewer.workflow import jobs, submit
from tests.render import make as m
from tests.web.conftest import Web, web  # noqa: F401 - the page-test fixture
from tests.web.helpers import csrf_of, login

DRAFT = m.html("<h2>关于做好春季防汛工作的通知</h2><p class=c>各区县人民政府：请按时报送材料。</p>",
               "<style>.c::before{content:'物资调拨计划暂缓执行'}</style>")


def _submit(w: Web) -> int:
    with w.db.session() as s:
        token = s.execute(select(ApiToken).where(ApiToken.client_name == "cms1")).scalar_one()
        return submit.submit(s, Actor.of_token(token), external_id="p-1", content=DRAFT, title="通知", author="张三",
                             file_name="notice.html").item.id


def test_rendered_pages_with_boxes_and_the_original(web: Web) -> None:  # noqa: F811
    item_id = _submit(web)
    scanners = jobs.ScannerCache(web.settings)
    assert jobs.run_scan(web.db, scanners, item_id) == "scanned"
    c = web.client()
    login(c, "rev1")
    pending = c.get(f"/review/items/{item_id}").text
    assert 'id="render-pending"' in pending and "正在核对显示内容…" in pending
    form = {"csrf_token": csrf_of(pending), "content_sha256": hashlib.sha256(DRAFT).hexdigest(), "decision": "approve"}
    refused = c.post(f"/review/items/{item_id}/sign", data=form)
    assert refused.status_code == 409 and "正在核对显示内容" in refused.text

    assert jobs.run_render(web.db, scanners, item_id) == "rendered"
    assert jobs.run_render(web.db, scanners, item_id) == "skipped"  # redelivered: nothing recorded twice
    html = c.get(f"/review/items/{item_id}").text
    with web.db.session() as s:
        boxed = s.execute(select(Finding).where(Finding.item_id == item_id, Finding.page.is_not(None))).scalars().all()
        assert boxed and all(f.box for f in boxed)
        ids = [f.id for f in boxed]
    assert 'id="render-pending"' not in html
    for fid in ids:
        assert re.search(rf'<rect class="box sev-\w+" data-finding="{fid}" x="\d+" y="\d+" width="\d+" height="\d+"', html)
    sha = re.search(r'id="page-1" data-sha256="([0-9a-f]{64})"', html)
    assert sha
    img = c.get(f"/review/items/{item_id}/pages/1.png")
    assert img.status_code == 200 and img.headers["content-type"] == "image/png"
    assert hashlib.sha256(img.content).hexdigest() == sha.group(1)
    assert c.get(f"/review/items/{item_id}/pages/2.png").status_code == 404
    # reading page images is reading the draft (issue 17, silent reading): one event per login session and item
    assert c.get(f"/review/items/{item_id}/pages/1.png").status_code == 200
    with web.db.session() as s:
        reads = s.execute(select(AuditEvent.actor, AuditEvent.data).where(
            AuditEvent.item_id == item_id, AuditEvent.action == "draft_read")).all()
    assert [(actor, json.loads(data)["what"]) for actor, data in reads] == [("rev1", "page_images")], reads
    orig = c.get(f"/review/items/{item_id}/original")
    assert orig.status_code == 200 and orig.content == DRAFT
    assert orig.headers["content-disposition"].startswith("attachment") and 'id="download-original"' in html

    other = web.client()
    login(other, "rev2")  # another unit's reviewer: the item, its pages and its file do not exist
    assert other.get(f"/review/items/{item_id}/pages/1.png").status_code == 404
    assert other.get(f"/review/items/{item_id}/original").status_code == 404
    assert web.client().get(f"/review/items/{item_id}/original").status_code in (303, 401)  # not logged in


def test_an_image_draft_is_read_by_the_render_check_not_failed(web: Web) -> None:  # noqa: F811
    png = m.image_bytes(m.page_image(["秘密★3年", "会议纪要"]), "PNG")
    with web.db.session() as s:
        token = s.execute(select(ApiToken).where(ApiToken.client_name == "cms1")).scalar_one()
        item_id = submit.submit(s, Actor.of_token(token), external_id="img-1", content=png, title="扫描件", author="张三",
                                file_name="scan.png").item.id
    scanners = jobs.ScannerCache(web.settings)
    assert jobs.run_scan(web.db, scanners, item_id) == "scanned"
    with web.db.session() as s:
        from reviewer.workflow import render_check

        check = render_check.state_of(s, item_id)
        assert check is not None and check.state == "pending"  # not approvable yet: nothing has been read
    assert jobs.run_render(web.db, scanners, item_id) == "rendered"
    with web.db.session() as s:
        found = s.execute(select(Finding).where(Finding.item_id == item_id)).scalars().all()
        marks = [f for f in found if f.rule == "classification-marking" and f.severity == "block"]
        assert marks and marks[0].location == "第1页（图像识别）" and marks[0].page == 1 and marks[0].box
        from reviewer.store.models import Item

        item = s.get(Item, item_id)
        assert item is not None and item.verdict == "block" and item.block_count >= 1


def test_an_archive_is_rendered_member_by_member_and_its_pages_name_their_member(web: Web) -> None:  # noqa: F811
    """A zip holding a stamped scanned picture: the text scan (jobs.run_scan) is not failed by the picture — it leaves
    an `extract.image_member` note for the render check, which reads the picture, removes the note and adds the
    marking located in the member; the review page captions the page with its member."""
    import io
    import zipfile

    png = m.image_bytes(m.page_image(["机密★5年", "会议纪要"]), "PNG")
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("说明.txt", "附扫描件一份。")
        zf.writestr("扫描/纪要.png", png)
    with web.db.session() as s:
        token = s.execute(select(ApiToken).where(ApiToken.client_name == "cms1")).scalar_one()
        item_id = submit.submit(s, Actor.of_token(token), external_id="zip-1", content=buf.getvalue(), title="附件",
                                author="张三", file_name="附件.zip").item.id
    scanners = jobs.ScannerCache(web.settings)
    assert jobs.run_scan(web.db, scanners, item_id) == "scanned"
    member = "压缩包“附件.zip” › 扫描/纪要.png"
    with web.db.session() as s:
        notes = [(f.rule, f.location) for f in s.execute(select(Finding).where(Finding.item_id == item_id)).scalars()]
        assert notes == [("extract.image_member", member)]
    assert jobs.run_render(web.db, scanners, item_id) == "rendered"
    with web.db.session() as s:
        found = s.execute(select(Finding).where(Finding.item_id == item_id)).scalars().all()
        assert not [f for f in found if f.rule.startswith("extract.")]
        [mark] = [f for f in found if f.rule == "classification-marking"]
        assert mark.location == f"{member} · 第1页（图像识别）" and mark.page == 1 and mark.box
    c = web.client()
    login(c, "rev1")
    html = c.get(f"/review/items/{item_id}").text
    assert f"第1页（{member} · 第1页）" in html
    assert re.search(rf'<rect class="box sev-block" data-finding="{mark.id}"', html)
