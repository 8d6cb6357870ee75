"""The pages added in the last round, in Debian's Chromium against a real `reviewer serve`, for the roles that use
them: axe-core (offline) with zero serious or critical violations and no horizontal overflow at 390 px, on
/admin, /fingerprints (登记文件, with a retired registration), the printable 审批单, the post-release alert on the queue
and on the item page, the 巡检 pages, the "someone else is reviewing" claim, the version-2 page with the return
comment, a comment refused for carrying a marking, and the auditor's filters for 误报 and 例外批准. One browser context walks every page; axe at 390 px too is
the slow variant. REVIEWER_SCREENSHOTS_DIR=docs/screenshots refreshes the screenshots of these pages in docs/."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from reviewer.accounts import manage as accounts
from reviewer.accounts.actor import Actor
from reviewer.scan.model import Finding, ScanResult, Severity
from reviewer.store.models import ApiToken, Item
from reviewer.workflow import release, rescan
from reviewer.workflow.review import DispositionInput, sign_off
from tests.web.helpers import make_item
from tests.web.test_browser import Site, browser, site  # noqa: F401  (module fixtures: one server, one Chromium)
from tests.web.test_desk_browser import BLOCK, PHONE, TEXT, _axe, _context, _login

pytestmark = pytest.mark.browser
pytest.importorskip("playwright.sync_api")

REGISTERED = "\n".join([
    "各区县人民政府、市政府各部门要按照本方案确定的目标任务，结合实际制定具体落实措施，明确责任分工和时间节点，确保各项工作有序推进。",
    "市发展改革委会同市财政局建立项目储备库，对申报项目实行动态管理，每季度向市政府报告一次推进情况，对进度滞后的项目及时督促整改。",
])


def _world(site: Site, tag: str) -> dict[str, Any]:  # noqa: F811
    """Every kind of page the last round added, filled with something to show (`tag` keeps two walks apart)."""
    from reviewer.monitor.model import Report, Resource, Status
    from reviewer.scan.fingerprints import read_source
    from reviewer.scan.model import Verdict
    from reviewer.store.models import MonitorResult
    from reviewer.workflow import fingerprints as registry
    from reviewer.workflow import monitoring

    out: dict[str, Any] = {"open": make_item(site.db, TEXT, [BLOCK, PHONE], external_id=f"new-open-{tag}", title="新页面检查稿件")}
    # signed (误报, with a reason) and released, then a post-release alert from a re-scan
    released = make_item(site.db, TEXT, [PHONE], external_id=f"new-rel-{tag}", title="已发布的通知")
    with site.db.session() as s:
        item = s.get(Item, released)
        assert item is not None
        sign_off(s, released, accounts.get_user(s, "rev1"), item.content_sha256, "approve", "同意",
                 [DispositionInput(f.id, "false_positive", "值班电话已公开") for f in item.findings])
    with site.db.session() as s:
        cms = Actor.of_token(s.execute(select(ApiToken).where(ApiToken.client_name == "cms1")).scalar_one())
        release.mark_released(s, released, cms)
    start = TEXT.index("13566667777")
    with site.db.session() as s:
        rescan.record_rescan(s, released, ScanResult(rules_version="rv-new", findings=[
            Finding("test.phone", "个人信息", Severity("block"), start, start + 11, "13566667777", "13566667777",
                    "疑似个人手机号码", "说明", "正文")]))
    out["released"] = released
    # a returned version 1 and its version 2
    v1 = make_item(site.db, TEXT, [PHONE], external_id=f"new-v-{tag}", title="第二版稿件")
    with site.db.session() as s:
        item = s.get(Item, v1)
        assert item is not None
        sign_off(s, v1, accounts.get_user(s, "rev1"), item.content_sha256, "return", "请删去第4段的手机号码")
    out["v2"] = make_item(site.db, TEXT.replace("13566667777", "（已删除）"), external_id=f"new-v-{tag}", title="第二版稿件")
    # a registration, and a retired one
    with site.db.session() as s:
        officer = accounts.get_user(s, "off1")
        registry.register(s, f"new-pages-a-{tag}", [read_source(REGISTERED.encode(), "通报.txt", "办公室〔2024〕12号通报")],
                          actor=officer)
        registry.register(s, f"new-pages-b-{tag}", [read_source(REGISTERED.encode(), "纪要.txt", "2024年第3次会议纪要")],
                          actor=officer)
    with site.db.session() as s:
        from reviewer.store.models import FingerprintSet

        set_id = s.execute(select(FingerprintSet.id).where(FingerprintSet.rule_id == f"new-pages-b-{tag}")).scalar_one()
        registry.retire(s, set_id, accounts.get_user(s, "off1"), "文件已公开发布")
    # a 巡检 run with an unsigned page
    with site.db.session() as s:
        run = monitoring.start_run(s, accounts.get_unit(s, "U1").id, "manual", ["https://u1.example/"])
        monitoring.record(s, run.id, Report(rules_version="rv", resources=[
            Resource("https://u1.example/notice.html", "page", Status.UNSIGNED, Verdict.PASS, [], None, "未签署")]))
    with site.db.session() as s:
        from sqlalchemy import func

        out["result"] = int(s.execute(select(func.max(MonitorResult.id))).scalar_one())
    return out


def _pages(w: dict[str, Any]) -> list[tuple[str, str, str]]:
    """(who, label, path) of every page to check, grouped by who is logged in."""
    return [
        ("rev1b", "审查员：认领本件", f"/review/items/{w['open']}"),
        ("rev1", "审查员：他人正在审查", f"/review/items/{w['open']}"),
        ("rev1", "审查员：队列中的发布后预警", "/review"),
        ("rev1", "审查员：稿件页上的预警", f"/review/items/{w['released']}"),
        ("rev1", "审查员：审批单", f"/review/items/{w['released']}/sheet"),
        ("rev1", "审查员：第 2 版（退回意见、发现变化）", f"/review/items/{w['v2']}"),
        ("off1", "保密员：登记文件", "/fingerprints"),
        ("off1", "保密员：网站巡检", "/monitor"),
        ("off1", "保密员：巡检结果", f"/monitor/results/{w['result']}"),
        ("aud", "审计员：按误报检索", "/audit?disposition=false_positive"),
        ("aud", "审计员：审查日志（例外批准）", "/audit/log?action=exception_approval"),
        ("aud", "审计员：审查日志（误报）", "/audit/log?action=disposition:false_positive"),
        ("aud", "审计员：网站巡检", "/monitor"),
        ("aud", "审计员：审批单", f"/review/items/{w['released']}/sheet"),
        ("adm", "管理员：系统管理", "/admin"),
        ("adm", "管理员：登记文件", "/fingerprints"),
    ]


_WIDE = """Array.from(document.querySelectorAll('main *')).filter(e => e.getBoundingClientRect().right > 392)
  .filter(e => !e.closest('.table-wrap')).slice(0, 8).map(e => e.tagName + '.' + e.className + '#' + e.id + ':' + Math.round(e.getBoundingClientRect().right))"""


SHOTS = {"保密员：登记文件": "officer-fingerprints.png", "审计员：审查日志（误报）": "auditor-log.png",
         "管理员：系统管理": "admin.png"}


def _walk(browser: Any, site: Site, width: int, tag: str) -> dict[str, list[str]]:  # noqa: F811
    """axe on every page at `width`; at desktop width each page is also narrowed to 390 px and must not overflow."""
    w = _world(site, tag)
    ctx = _context(browser, site, width, 844 if width < 500 else 900)
    pg = ctx.new_page()
    errors: list[str] = []
    pg.on("pageerror", lambda e: errors.append(str(e)))
    problems: dict[str, list[str]] = {}
    who = ""
    try:
        for user, label, path in _pages(w):
            if user != who:
                ctx.clear_cookies()
                _login(pg, user)
                who = user
            resp = pg.goto(path)
            assert resp is not None and resp.status == 200, (label, path, resp and resp.status)
            pg.wait_for_load_state("load")
            found = _axe(pg)
            if width > 390 and label in SHOTS:  # REVIEWER_SCREENSHOTS_DIR=docs/screenshots refreshes docs/pages.md's
                pg.screenshot(path=str(site.shots / SHOTS[label]), full_page=True)
            if width > 390:
                pg.set_viewport_size({"width": 390, "height": 844})
            overflow = pg.evaluate("document.documentElement.scrollWidth")
            if overflow > 391:
                found.append(f"390px 宽时页面宽 {overflow}px：表格或表单超出屏幕")
                found.append(str(pg.evaluate(_WIDE)))
            if width > 390:
                pg.set_viewport_size({"width": width, "height": 900})
            if found:
                problems[label] = found
        # the claim view says who has the item open
        ctx.clear_cookies()
        _login(pg, "rev1")
        pg.goto(f"/review/items/{w['open']}")
        assert "REV1B" in pg.content()
        # the admin's new token, shown once
        ctx.clear_cookies()
        _login(pg, "adm")
        pg.goto("/admin")
        pg.fill('#token-create input[name="client"]', f"门户网站CMS{width}")
        pg.click('#token-create button[type="submit"]')
        pg.wait_for_selector("#new-token")
        found = _axe(pg)
        if found:
            problems["管理员：新令牌（只显示一次）"] = found
        # 登记文件 in the browser: the page's own Chinese file button, and a 文号 submitted without any browser bubble
        ctx.clear_cookies()
        _login(pg, "off1")
        pg.goto("/fingerprints")
        assert pg.locator("#register .file-pick .button").inner_text() == "选择文件"
        pg.fill('#register input[name="name"]', f"办公室〔2024〕{width}号通报")
        pg.set_input_files("#register input.file-input", files=[
            {"name": "通报.txt", "mimeType": "text/plain", "buffer": REGISTERED.encode()}])
        assert pg.locator("#register-chosen").inner_text() == "已选择 1 个文件：通报.txt"
        pg.click('#register button[type="submit"]')
        pg.wait_for_selector("#notice")
        assert f"已登记“办公室〔2024〕{width}号通报”" in pg.locator("#notice").inner_text()
        ctx.clear_cookies()
        _login(pg, "rev1")
        # a comment that carries a marking is refused (it would reach the CMS): the refusal page, checked the same way
        pg.goto(f"/review/items/{w['v2']}")
        pg.wait_for_selector("html[data-keys-ready]", state="attached")
        pg.check('input[name="decision"][value="return"]')
        pg.fill("#comment", "第4段“秘密★5年”须删除")
        pg.click("#sign-submit")
        pg.wait_for_selector("#error")
        assert "不能保存" in pg.locator("#error").inner_text()
        found = _axe(pg)
        if width > 390:
            pg.set_viewport_size({"width": 390, "height": 844})
        if pg.evaluate("document.documentElement.scrollWidth") > 391:
            found.append("390px 宽时页面超出屏幕")
        if found:
            problems["审查员：意见被拒（含须保密审查的内容）"] = found
    finally:
        ctx.close()
    assert errors == [], errors
    return problems


def test_new_pages_pass_axe_and_fit_a_phone(browser, site: Site) -> None:  # noqa: F811
    pytest.importorskip("axe_playwright_python")
    assert _walk(browser, site, 1366, "d") == {}


@pytest.mark.slow
def test_new_pages_pass_axe_on_a_phone(browser, site: Site) -> None:  # noqa: F811
    pytest.importorskip("axe_playwright_python")
    assert _walk(browser, site, 390, "p") == {}
