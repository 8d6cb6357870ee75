"""A draft the system could not read completely never says 未发现问题 anywhere (queue, item page, auditor's page), and
no page shows an exception's name or an object's address; after a sign-off the signer sees the next step, not a refusal.

The render check's outcome is written as the worker writes it (a render_checks row); the scan result is clean, which
is exactly the case that used to read 未发现问题: a clean text scan of a file whose render check failed."""

from __future__ import annotations

import re

import pytest

from reviewer.store.models import RenderCheck
from tests.web.conftest import Web
from tests.web.helpers import csrf_of, login, make_item

CLEAN = "关于做好年度考核工作的通知\n请各处室于本月底前报送材料。"
REASON = "图像无法解码（文件已损坏或不是可识别的图片格式），未能核对，不得视为通过"
# what a page must never show: a Python exception's name, an object's address, a raw repr
LEAK = re.compile(r"\b[A-Z][A-Za-z]+(?:Error|Exception)\b|0x[0-9a-fA-F]{6,}|<_io\.|Traceback")


def _with_render(web: Web, state: str, error: str | None = None, external_id: str = "r1") -> int:
    item_id = make_item(web.db, CLEAN, [], external_id=external_id)
    with web.db.session() as s:
        s.add(RenderCheck(item_id=item_id, state=state, kind="image", error=error))
    return item_id


def _queue_row(html: str, item_id: int) -> str:
    m = re.search(rf'<tr class="queue-row" data-open="/review/items/{item_id}".*?</tr>', html, re.S)
    assert m, f"item {item_id} not in the queue"
    return m.group(0)


@pytest.mark.parametrize("state,error", [("failed", REASON), ("pending", None)])
def test_unfinished_or_failed_render_check_never_reads_clean(web: Web, state: str, error: str | None) -> None:
    item_id = _with_render(web, state, error)
    c = web.client()
    login(c, "rev1")
    row = _queue_row(c.get("/review").text, item_id)
    assert "未发现问题" not in row
    assert ("无法完整读取" in row) if state == "failed" else ("核对中" in row)
    html = c.get(f"/review/items/{item_id}").text
    assert "未发现问题" not in html
    assert f'data-verdict="{"error" if state == "failed" else "pending"}"' in html
    if state == "failed":
        assert 'id="scan-failed"' in html and REASON in html
    assert not LEAK.search(html)
    a = web.client()
    login(a, "aud")
    audit = a.get(f"/audit/items/{item_id}").text
    assert "未发现问题" not in audit and not LEAK.search(audit)


def test_queue_filter_follows_what_is_shown(web: Web) -> None:
    failed = _with_render(web, "failed", REASON, "f1")
    clean = _with_render(web, "done", None, "d1")
    c = web.client()
    login(c, "rev1")
    passed = c.get("/review?verdict=pass").text
    assert f'data-open="/review/items/{clean}"' in passed and f'data-open="/review/items/{failed}"' not in passed
    errors = c.get("/review?verdict=error").text
    assert f'data-open="/review/items/{failed}"' in errors and f'data-open="/review/items/{clean}"' not in errors


def test_clean_and_checked_draft_still_says_so(web: Web) -> None:
    """The counterpart: a clean scan whose render check is done is 未发现问题 (the tests above can fail)."""
    item_id = _with_render(web, "done", None, "ok")
    c = web.client()
    login(c, "rev1")
    assert "未发现问题" in _queue_row(c.get("/review").text, item_id)
    html = c.get(f"/review/items/{item_id}").text
    assert 'data-verdict="pass"' in html and "扫描未发现问题" in html


def test_after_signing_the_signer_sees_the_next_step_not_a_refusal(web: Web) -> None:
    text = "关于做好年度考核工作的通知\n本次考核涉及绝密★长期材料。"
    start = text.index("绝密★长期")
    item_id = make_item(web.db, text, [("绝密★长期", "block", "test.marking", "密级标志", "发现密级标志")],
                        external_id="sig", cms="cms2")  # U2: block findings go to the officer
    c = web.client()
    login(c, "rev2")
    html = c.get(f"/review/items/{item_id}").text
    fid = re.search(r'name="disp_(\d+)"', html)
    assert fid and start >= 0
    form = {"csrf_token": csrf_of(html), "content_sha256": re.search(r'name="content_sha256" value="(\w+)"', html).group(1),  # type: ignore[union-attr]
            "decision": "approve", "comment": "已核", f"disp_{fid.group(1)}": "confirmed",
            f"reason_{fid.group(1)}": "上级已同意公开此标志的样例", "exception_confirm": "1"}
    assert c.post(f"/review/items/{item_id}/sign", data=form).status_code == 303
    after = c.get(f"/review/items/{item_id}").text
    assert 'id="own-signature"' in after and "已提交本单位保密员复核" in after
    assert "您不能签署本件" not in after and 'id="blockers"' not in after


def test_text_finding_is_linked_to_its_box_on_the_page_and_back(web: Web) -> None:
    import json

    from reviewer.store.models import Finding, RenderPage

    text = "关于做好年度考核工作的通知\n本次考核涉及绝密★长期材料。"
    item_id = make_item(web.db, text, [("绝密★长期", "block", "test.marking", "密级标志", "发现密级标志")], external_id="bx")
    with web.db.session() as s:
        s.add(RenderCheck(item_id=item_id, state="done", kind="pdf", page_hashes=json.dumps(["a" * 64])))
        s.add(RenderPage(item_id=item_id, page=1, width=600, height=800, sha256="a" * 64, png=b"\x89PNG", ocr=""))
        row = s.query(Finding).filter_by(item_id=item_id).one()
        row.page, row.box = 1, json.dumps([100, 200, 220, 230])
        fid = row.id
    c = web.client()
    login(c, "rev1")
    html = c.get(f"/review/items/{item_id}").text
    assert f'href="#box-{fid}"' in html and "在第 1 页上定位" in html  # finding → box
    box = re.search(rf'<a href="#f-{fid}" id="box-{fid}"[^>]*>\s*<rect[^>]*x="100" y="200" width="120" height="30"', html)
    assert box, "the box links back to its finding"  # box → finding
    assert f'href="/review/items/{item_id}/pages/1.png"' in html  # the page opens full size (zoom on a phone)


def test_navigation_counts_and_queue_search(web: Web) -> None:
    """待办: the navigation shows what waits (待审查 N); the queue finds an item by title or external id."""
    a = make_item(web.db, CLEAN, [], external_id="CMS-2026-0815", title="关于春季防火的通知")
    b = make_item(web.db, CLEAN, [], external_id="CMS-2026-0816", title="关于夏季防汛的通知")
    c = web.client()
    login(c, "rev1")
    html = c.get("/review").text
    nav = re.search(r'id="nav-review">待审查 <span class="count"[^>]*>(\d+)</span>', html)
    assert nav and int(nav.group(1)) == 2
    for needle, want, other in (("防火", a, b), ("CMS-2026-0816", b, a)):
        found = c.get("/review", params={"q": needle}).text
        assert f'data-open="/review/items/{want}"' in found and f'data-open="/review/items/{other}"' not in found
    # another unit's reviewer counts only their own unit's items
    r2 = web.client()
    login(r2, "rev2")
    assert 'id="nav-review">待审查</a>' in r2.get("/review").text


def test_approval_sheet_for_filing(web: Web) -> None:
    """保密审查审批单: item, findings with every signer's disposition and reason, signers and times, receipt — and not
    the matched text; printing it is logged; another unit's reviewer cannot print it."""
    from sqlalchemy import select

    from reviewer.store.models import AuditEvent, Item

    text = "关于做好年度考核工作的通知\n请联系赵某，电话13900001111。"
    item_id = make_item(web.db, text, [("13900001111", "review", "test.phone", "个人信息", "发现手机号码")],
                        external_id="sheet", title="考核通知")
    c = web.client()
    login(c, "rev1")
    html = c.get(f"/review/items/{item_id}").text
    with web.db.session() as s:
        item = s.get(Item, item_id)
        assert item is not None
        fid, sha = item.findings[0].id, item.content_sha256
    form = {"csrf_token": csrf_of(html), "content_sha256": sha, "decision": "approve", "comment": "同意发布",
            f"disp_{fid}": "false_positive", f"reason_{fid}": "单位公开的值班电话"}
    assert c.post(f"/review/items/{item_id}/sign", data=form).status_code == 303
    sheet = c.get(f"/review/items/{item_id}/sheet")
    assert sheet.status_code == 200
    body = sheet.text
    assert "保密审查审批单" in body and "考核通知" in body and "第一单位" in body
    assert "单位公开的值班电话" in body and "误报" in body and "REV1" in body and "同意发布" in body
    assert 'id="sheet-receipt"' in body  # approved: the receipt is on the sheet
    assert "13900001111" not in body  # rule names and places only, never the matched text
    with web.db.session() as s:
        logged = s.scalars(select(AuditEvent).where(AuditEvent.action == "approval_sheet",
                                                    AuditEvent.item_id == item_id)).all()
        assert len(logged) == 1 and logged[0].actor == "rev1"
    other = web.client()
    login(other, "rev2")
    assert other.get(f"/review/items/{item_id}/sheet").status_code == 404
