"""The reviewer's desk in Debian's Chromium (Playwright) against a real `reviewer serve`: the expired-session round
trip keeps the work, carried-over dispositions, the blocked-before-work page, the officer's page order, keyboard
triage of the queue, phone-width layouts (screenshots), and axe-core (offline, from `axe-playwright-python`) on every
page for every role with zero serious or critical violations.

REVIEWER_SCREENSHOTS_DIR=docs/screenshots refreshes the screenshots in docs/."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import update

from reviewer.accounts import manage as accounts
from reviewer.scan.model import ScanResult
from reviewer.store.models import Item, WebSession, utcnow
from reviewer.workflow import scanning
from tests.web.helpers import make_item
from tests.web.test_browser import Site, browser, site  # noqa: F401  (module fixtures: one server, one Chromium)

pytestmark = pytest.mark.browser
pytest.importorskip("playwright.sync_api")

TEXT = (
    "关于做好2026年防汛值班工作的通知\n"
    "各乡镇、各部门：\n"
    "现将值班安排通知如下。值班表参照秘密★5年文件编制，请勿外传。\n"
    "值班联系人：孙某，手机13566667777。\n"
    "附件：值班表\n"
)
BLOCK = ("秘密★5年", "block", "test.marking", "密级标志", "正文中出现国家秘密标志")
PHONE = ("13566667777", "review", "test.phone", "个人信息", "疑似个人手机号码")
SERIOUS = ("serious", "critical")


def _context(browser: Any, site: Site, width: int = 1366, height: int = 900) -> Any:  # noqa: F811
    ctx = browser.new_context(base_url=site.url, locale="zh-CN", viewport={"width": width, "height": height},
                              accept_downloads=True)
    # a shared 2-core machine under load can take longer than Playwright's 30 s default to serve a page
    ctx.set_default_timeout(90_000)
    return ctx


def _login(pg: Any, username: str) -> None:
    pg.goto("/login")
    pg.fill("#username", username)
    pg.fill("#password", f"{username}-password")
    pg.click("#login-submit")
    pg.wait_for_load_state()


def _ready(pg: Any) -> None:
    pg.wait_for_selector("html[data-keys-ready]", state="attached")


def _findings(site: Site, item_id: int) -> list[tuple[int, str]]:  # noqa: F811
    with site.db.session() as s:
        item = s.get(Item, item_id)
        assert item is not None
        return [(f.id, f.severity) for f in item.findings]


def test_expired_session_round_trip_keeps_the_work(browser, site: Site) -> None:  # noqa: F811
    item_id = make_item(site.db, TEXT, [PHONE], external_id="exp-b", title="防汛值班通知")
    (fid, _), = _findings(site, item_id)
    ctx = _context(browser, site)
    pg = ctx.new_page()
    try:
        _login(pg, "rev1")
        pg.goto(f"/review/items/{item_id}")
        _ready(pg)
        pg.check(f'input[name="disp_{fid}"][value="false_positive"]')
        pg.fill(f"#reason-{fid}", "值班电话已在政府网站公开")
        pg.check('input[name="decision"][value="approve"]')
        pg.fill("#comment", "同意发布")
        with site.db.session() as s:  # the session runs out while the reviewer works
            s.execute(update(WebSession).values(expires_at=utcnow() - timedelta(seconds=1)))
        pg.click("#sign-submit")
        pg.wait_for_selector("#expired")
        assert "会话已过期" in pg.locator("#expired").inner_text()
        pg.fill("#username", "rev1")
        pg.fill("#password", "rev1-password")
        pg.click("#login-submit")
        pg.wait_for_url(f"**/review/items/{item_id}")
        _ready(pg)
        assert pg.locator("#draft-restored").is_visible()
        assert pg.locator(f'input[name="disp_{fid}"][value="false_positive"]').is_checked()
        assert pg.input_value(f"#reason-{fid}") == "值班电话已在政府网站公开"
        assert pg.input_value("#comment") == "同意发布"
        assert pg.locator('input[name="decision"][value="approve"]').is_checked()
        pg.click("#sign-submit")
        pg.wait_for_selector("#receipt")
        assert pg.evaluate(f"Object.keys(localStorage).filter(k => k.startsWith('rv-draft:{item_id}:'))") == []
    finally:
        ctx.close()


def test_blocked_item_says_so_at_the_top_before_any_work(browser, site: Site) -> None:  # noqa: F811
    item_id = make_item(site.db, TEXT, [BLOCK, PHONE], external_id="blk-b", title="含密级标志的通知")
    ctx = _context(browser, site)
    pg = ctx.new_page()
    try:
        _login(pg, "rev1")
        pg.goto(f"/review/items/{item_id}")
        box = pg.locator("#blockers")
        assert box.is_visible() and "本件不能批准" in box.inner_text()
        top = box.bounding_box()
        assert top is not None and top["y"] + top["height"] < 900  # seen without scrolling
        assert pg.locator('input[name="decision"][value="approve"]').count() == 0
        assert pg.locator('input[name="decision"][value="return"]').count() == 1
        pg.screenshot(path=str(site.shots / "reviewer-blocked.png"))
    finally:
        ctx.close()


def test_carried_over_dispositions_are_marked_and_prefilled(browser, site: Site) -> None:  # noqa: F811
    v1 = make_item(site.db, TEXT, [BLOCK, PHONE], external_id="carry-b", title="值班通知")
    ctx = _context(browser, site)
    pg = ctx.new_page()
    try:
        _login(pg, "rev1")
        pg.goto(f"/review/items/{v1}")
        _ready(pg)
        for fid, sev in _findings(site, v1):
            pg.check(f'input[name="disp_{fid}"][value="{"must_fix" if sev == "block" else "false_positive"}"]')
            pg.fill(f"#reason-{fid}", "须删去密级标志" if sev == "block" else "公开的值班电话")
        pg.check('input[name="decision"][value="return"]')
        pg.click("#sign-submit")
        pg.wait_for_selector("#notice")
        v2 = make_item(site.db, TEXT.replace("参照秘密★5年文件", "参照有关文件"), [PHONE], external_id="carry-b", title="值班通知")
        pg.goto("/review")
        row = pg.locator(f'tr:has(a[href="/review/items/{v2}"])')
        assert "退回后重新提交" in row.inner_text()
        pg.goto(f"/review/items/{v2}")
        (fid, _), = _findings(site, v2)
        assert pg.locator(f"#carried-{fid}").is_visible() and "沿用上一版本" in pg.locator(f"#carried-{fid}").inner_text()
        assert pg.locator(f'input[name="disp_{fid}"][value="false_positive"]').is_checked()
        assert pg.input_value(f"#reason-{fid}") == "公开的值班电话"
        diff = pg.locator("#diff").bounding_box()
        findings = pg.locator("#findings").bounding_box()
        assert diff is not None and findings is not None and diff["y"] < findings["y"]
        pg.screenshot(path=str(site.shots / "reviewer-carried-over.png"), full_page=True)
    finally:
        ctx.close()


def test_officer_page_shows_the_first_signer_before_the_form(browser, site: Site) -> None:  # noqa: F811
    with site.db.session() as s:
        accounts.create_user(s, "off2c", "U2", "officer", display_name="复核员丙", password="off2c-password")
    item_id = make_item(site.db, TEXT, [BLOCK, PHONE], external_id="off-b", cms="cms2", title="第二单位值班通知")
    ctx = _context(browser, site)
    pg = ctx.new_page()
    try:
        _login(pg, "rev2")
        pg.goto(f"/review/items/{item_id}")
        _ready(pg)
        for fid, sev in _findings(site, item_id):
            pg.check(f'input[name="disp_{fid}"][value="must_fix"]')
            pg.fill(f"#reason-{fid}", "经请示，示例标志可以公开" if sev == "block" else "本人同意公开")
        pg.check('input[name="decision"][value="approve"]')
        pg.check("#exception-confirm")
        pg.click("#sign-submit")
        pg.wait_for_selector("#notice")
        ctx.clear_cookies()
        _login(pg, "off2c")
        pg.goto("/officer")
        pg.click(f'a[href="/review/items/{item_id}"]')
        first = pg.locator("#first-review")
        form = pg.locator("#sign-form")
        fb, sb = first.bounding_box(), form.bounding_box()
        assert fb is not None and sb is not None and fb["y"] < sb["y"]
        assert "经请示，示例标志可以公开" in first.inner_text()
        for fid, _ in _findings(site, item_id):  # the officer decides himself: nothing of the first signer's is entered
            assert not pg.locator(f'input[name="disp_{fid}"][value="must_fix"]').is_checked()
            assert pg.locator(f"#reason-{fid}").input_value() == ""
        pg.screenshot(path=str(site.shots / "officer-item.png"), full_page=True)
    finally:
        ctx.close()


def test_queue_keyboard_triage(browser, site: Site) -> None:  # noqa: F811
    make_item(site.db, "第一件", external_id="kq-1", title="键盘一")
    make_item(site.db, "第二件", external_id="kq-2", title="键盘二")
    ctx = _context(browser, site)
    pg = ctx.new_page()
    try:
        _login(pg, "rev1")
        pg.goto("/review")
        _ready(pg)
        rows = pg.locator("tr.queue-row")
        n = rows.count()
        assert n >= 2
        pg.keyboard.press("j")
        pg.keyboard.press("j")
        assert "current" in (rows.nth(1).get_attribute("class") or "")
        pg.keyboard.press("k")
        pg.keyboard.press("j")
        target = rows.nth(1).get_attribute("data-open")
        pg.keyboard.press("Enter")
        pg.wait_for_url(f"**{target}")
    finally:
        ctx.close()


def test_item_keyboard_after_a_radio_has_focus(browser, site: Site) -> None:  # noqa: F811
    """j/k keep working once a disposition radio has focus (they stopped before); Esc releases a field; m (c), o and f
    dispose of the current finding, a/r/x choose a decision and go to the submit button without signing; ? shows the
    keys and axe finds nothing serious in the help."""
    item_id = make_item(site.db, TEXT, [BLOCK, PHONE], external_id="kb-i", title="键盘处置")
    (f1, _), (f2, _) = _findings(site, item_id)
    ctx = _context(browser, site)
    pg = ctx.new_page()
    try:
        _login(pg, "rev1")
        pg.goto(f"/review/items/{item_id}")
        _ready(pg)
        pg.click(f'input[name="disp_{f1}"][value="must_fix"]')  # a radio has focus now
        pg.keyboard.press("j")
        pg.keyboard.press("j")
        assert "current" in (pg.locator(f"#f-{f2}").get_attribute("class") or "")
        pg.keyboard.press("f")  # 误报 on the current (second) finding, cursor in its reason
        assert pg.locator(f'input[name="disp_{f2}"][value="false_positive"]').is_checked()
        assert pg.evaluate("document.activeElement.id") == f"reason-{f2}"
        pg.keyboard.type("jk")  # letters in a text field are text, not shortcuts
        assert pg.locator(f"#reason-{f2}").input_value() == "jk"
        pg.keyboard.press("Escape")
        assert pg.evaluate("document.activeElement.id") == f"f-{f2}"
        pg.keyboard.press("k")
        pg.keyboard.press("c")
        assert pg.locator(f'input[name="disp_{f1}"][value="must_fix"]').is_checked()
        pg.keyboard.press("j")
        pg.keyboard.press("o")  # 属实但可公开 on the second finding: the cursor goes to its reason (required)
        assert pg.locator(f'input[name="disp_{f2}"][value="public_ok"]').is_checked()
        assert pg.evaluate("document.activeElement.id") == f"reason-{f2}"
        pg.keyboard.press("Escape")
        pg.keyboard.press("m")  # 须修改
        assert pg.locator(f'input[name="disp_{f2}"][value="must_fix"]').is_checked()
        pg.keyboard.press("r")
        assert pg.locator('input[name="decision"][value="return"]').is_checked()
        assert pg.evaluate("document.activeElement.id") == "sign-submit"
        assert pg.url.endswith(f"/review/items/{item_id}")  # nothing was signed by a letter
        pg.keyboard.press("Escape")
        pg.keyboard.press("?")
        assert pg.locator("#keys-help").is_visible()
        assert _axe(pg) == []
        pg.keyboard.press("Escape")
        assert not pg.locator("#keys-help").is_visible()
    finally:
        ctx.close()


def test_logout_with_unsigned_dispositions_asks_first(browser, site: Site) -> None:  # noqa: F811
    item_id = make_item(site.db, TEXT, [PHONE], external_id="lo-b", title="退出确认")
    (fid, _), = _findings(site, item_id)
    ctx = _context(browser, site)
    pg = ctx.new_page()
    asked: list[str] = []
    try:
        _login(pg, "rev1")
        pg.goto(f"/review/items/{item_id}")
        _ready(pg)
        pg.check(f'input[name="disp_{fid}"][value="false_positive"]')
        pg.fill(f"#reason-{fid}", "值班电话已公开")
        pg.once("dialog", lambda d: (asked.append(d.message), d.dismiss()))
        pg.click("#logout-form button")
        assert asked and "尚未签署" in asked[0]
        assert pg.url.endswith(f"/review/items/{item_id}")  # stayed, work kept
        assert pg.locator(f'input[name="disp_{fid}"][value="false_positive"]').is_checked()
        pg.once("dialog", lambda d: (asked.append(d.message), d.accept()))
        pg.click("#logout-form button")
        pg.wait_for_url("**/login**")
        assert len(asked) == 2
    finally:
        ctx.close()


def _failed_item(site: Site) -> int:  # noqa: F811
    item_id = make_item(site.db, "占位", external_id="fail-b", title="无法读取的稿件")
    with site.db.session() as s:
        item = s.get(Item, item_id)
        assert item is not None
        item.state = "scanning"
    with site.db.session() as s:
        scanning.record_scan(s, item_id, ScanResult(rules_version="rv", error="压缩包内的第 2 个文件已加密，无法读取"))
    return item_id


def _no_horizontal_overflow(pg: Any, width: int) -> None:
    overflow = pg.evaluate("document.documentElement.scrollWidth")
    assert overflow <= width + 1, f"page is {overflow}px wide at {width}px"


def test_phone_width_every_page(browser, site: Site) -> None:  # noqa: F811
    item_id = make_item(site.db, TEXT * 3, [BLOCK, PHONE], external_id="phone-b", title="手机上审查的通知")
    failed = _failed_item(site)
    ctx = _context(browser, site, 390, 844)
    pg = ctx.new_page()
    try:
        _login(pg, "rev1")
        for path, shot in [("/review", "phone-queue.png"), (f"/review/items/{item_id}", "phone-item.png"),
                           (f"/review/items/{failed}", "phone-scan-failed.png"), ("/review/signed", "")]:
            pg.goto(path)
            _no_horizontal_overflow(pg, 390)
            if shot:
                pg.screenshot(path=str(site.shots / shot), full_page=True)
        pg.goto(f"/review/items/{item_id}")
        doc = pg.locator(".doc-text").first.bounding_box()
        assert doc is not None and doc["width"] > 300  # a readable column, not one character wide
        height = pg.evaluate("document.documentElement.scrollHeight")
        assert height < 9000, height
        header = pg.locator("header.top").bounding_box()
        assert header is not None and header["height"] < 140
        findings = pg.locator("ol.findings").first.bounding_box()
        assert findings is not None and findings["y"] < doc["y"]  # the findings before the whole document
        pg.goto("/review")
        title_cell = pg.locator("#queue tbody tr td:nth-child(2)").first.bounding_box()
        assert title_cell is not None and title_cell["width"] > 80  # columns stay readable (the table scrolls)
        ctx.clear_cookies()
        _login(pg, "aud")
        for path, shot in [("/audit", "phone-audit-search.png"), ("/audit/stats", ""), ("/audit/log", ""),
                           (f"/audit/items/{item_id}", "")]:
            pg.goto(path)
            _no_horizontal_overflow(pg, 390)
            if shot:
                pg.screenshot(path=str(site.shots / shot), full_page=True)
    finally:
        ctx.close()


def _axe(pg: Any) -> list[str]:
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(pg)
    return [f"{v['id']} ({v['impact']}): {v['help']} — {[n['target'] for n in v['nodes']][:3]}"
            for v in results.response["violations"] if v.get("impact") in SERIOUS]


def test_axe_on_every_page_for_every_role(browser, site: Site) -> None:  # noqa: F811
    pytest.importorskip("axe_playwright_python")
    with site.db.session() as s:
        accounts.create_user(s, "off2d", "U2", "officer", display_name="复核员丁", password="off2d-password")
    item_id = make_item(site.db, TEXT, [BLOCK, PHONE], external_id="axe-1", title="无障碍检查稿件")
    officer_item = make_item(site.db, TEXT, [BLOCK, PHONE], external_id="axe-2", cms="cms2", title="第二单位稿件")
    failed = _failed_item_axe(site)
    ctx = _context(browser, site)
    pg = ctx.new_page()
    problems: dict[str, list[str]] = {}

    def check(label: str, path: str) -> None:
        pg.goto(path)
        pg.wait_for_load_state("load")
        found = _axe(pg)
        if found:
            problems[label] = found

    try:
        check("登录", "/login")
        check("登录（会话已过期）", "/login?expired=1&next=/review")
        _login(pg, "rev2")
        pg.goto(f"/review/items/{officer_item}")
        _ready(pg)
        for fid, _ in _findings(site, officer_item):
            pg.check(f'input[name="disp_{fid}"][value="must_fix"]')
            pg.fill(f"#reason-{fid}", "经请示同意")
        pg.check('input[name="decision"][value="approve"]')
        pg.check("#exception-confirm")
        pg.click("#sign-submit")
        pg.wait_for_selector("#notice")
        check("审查员：已签署的稿件", f"/review/items/{officer_item}")
        ctx.clear_cookies()
        _login(pg, "rev1")
        check("审查员：队列", "/review")
        check("审查员：稿件", f"/review/items/{item_id}")
        check("审查员：扫描失败", f"/review/items/{failed}")
        check("审查员：我签署的", "/review/signed")
        check("审查员：无权访问", "/audit")
        check("审查员：页面不存在", "/no/such/page")
        ctx.clear_cookies()
        _login(pg, "off2d")
        check("保密员：复核队列", "/officer")
        check("保密员：复核稿件", f"/review/items/{officer_item}")
        ctx.clear_cookies()
        for role in ("aud", "adm"):
            _login(pg, role)
            check(f"{role}：检索", "/audit")
            check(f"{role}：稿件历史", f"/audit/items/{item_id}")
            if role == "aud":  # the log, the statistics and the verify page are the auditor's (issue 17)
                check(f"{role}：审查日志", "/audit/log")
                check(f"{role}：统计", "/audit/stats")
                check(f"{role}：空年份统计", "/audit/stats?year=1999")
                check(f"{role}：日志校验", "/audit/verify")
            ctx.clear_cookies()
        pg.set_viewport_size({"width": 390, "height": 844})
        _login(pg, "rev1")
        check("手机：稿件", f"/review/items/{item_id}")
        check("手机：队列", "/review")
    finally:
        ctx.close()
    assert problems == {}, problems


def _failed_item_axe(site: Site) -> int:  # noqa: F811
    item_id = make_item(site.db, "占位", external_id="fail-axe", title="无法读取")
    with site.db.session() as s:
        item = s.get(Item, item_id)
        assert item is not None
        item.state = "scanning"
    with site.db.session() as s:
        scanning.record_scan(s, item_id, ScanResult(rules_version="rv", error="文件已加密，无法读取"))
    return item_id
