"""Browser tests: Debian's Chromium driven by Playwright against a real uvicorn server (`reviewer serve`) on loopback,
with a private redis-server and a migrated SQLite database. Items are submitted and their scan results recorded through
the workflow functions (findings at known offsets), so the pages are tested independently of the rule set.

Set REVIEWER_SCREENSHOTS_DIR=docs/screenshots to refresh the README's screenshots."""

from __future__ import annotations

import csv
import io
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import select

from reviewer.settings import Settings
from reviewer.store.models import Item, Receipt
from reviewer.store.session import Database
from reviewer.workflow.runtime import open_database
from tests.browser import chromium
from tests.services import ApiServer, RedisServer, fresh_sqlite_url, seed, service_env
from tests.web.helpers import make_item

pytestmark = pytest.mark.browser
pytest.importorskip("playwright.sync_api")

TEXT = (
    "关于开展2026年度安全生产检查的通知\n"
    "各科室、各直属单位：\n"
    "为做好安全生产工作，定于3月开展全面检查。本次检查参照机密★10年文件执行，具体安排见附件。\n"
    "检查组联系人：王某，手机13812345678，办公电话010-12345678。\n"
    "请各单位于3月20日前报送自查报告（此件不予公开）。\n"
)
XSS_PAYLOADS = [
    "<script>window.__xss=1;alert(1)</script>",
    '<img src=x onerror="window.__xss=2;alert(2)">',
    "<svg onload=alert(3)>",
    '"><script>alert(4)</script>',
    "<a href=\"javascript:alert(5)\" id=xsslink>点我</a>",
    "<iframe srcdoc='<script>parent.alert(6)</script>'></iframe>",
]


@dataclass
class Site:
    url: str
    db: Database
    shots: Path


@pytest.fixture(scope="module")
def site(redis_server: RedisServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    base = tmp_path_factory.mktemp("browser")
    url = fresh_sqlite_url(base / "db")
    seed(url, base / "data")
    env = service_env(url, redis_server.url, base / "data")
    server = ApiServer(env, base / "logs").start()
    db = open_database(Settings.from_env({"REVIEWER_DATABASE_URL": url, "REVIEWER_DATA_DIR": str(base / "data")}))
    shots = Path(os.environ.get("REVIEWER_SCREENSHOTS_DIR") or base / "shots")
    shots.mkdir(parents=True, exist_ok=True)
    try:
        yield Site(server.url, db, shots)
    finally:
        db.dispose()
        server.stop()


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    with chromium() as b:
        yield b


@pytest.fixture
def page(browser, site: Site):  # type: ignore[no-untyped-def]
    context = browser.new_context(base_url=site.url, locale="zh-CN", viewport={"width": 1400, "height": 1250}, accept_downloads=True)
    pg = context.new_page()
    pg.set_default_timeout(15000)
    dialogs: list[str] = []
    pg.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    pg.dialogs = dialogs  # type: ignore[attr-defined]
    errors: list[str] = []  # CSP violations and script errors show up here
    pg.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    pg.on("pageerror", lambda e: errors.append(str(e)))
    try:
        yield pg
        assert errors == [], errors
    finally:
        context.close()


def _login(pg, username: str) -> None:  # type: ignore[no-untyped-def]
    pg.goto("/login")
    pg.fill("#username", username)
    pg.fill("#password", f"{username}-password")
    pg.click("#login-submit")
    pg.wait_for_load_state()


def test_reviewer_disposes_each_finding_and_approves(page, site: Site) -> None:  # type: ignore[no-untyped-def]
    first = make_item(site.db, TEXT, [
        ("机密★10年", "review", "marking.level_in_body", "密级标志", "正文中出现国家秘密标志（密级★保密期限）",
         "“密级★期限”是国家秘密标志的格式；公开稿件中出现时须核实是否引用了涉密文件。"),
        ("13812345678", "review", "pii.mobile", "个人信息", "疑似个人手机号码",
         "11 位手机号码且未打码；机关办公电话应公开，个人手机号一般不应公开。"),
        ("此件不予公开", "review", "annotation.not_public", "公开属性", "附注标明“不予公开”",
         "附注记录的公开属性为不予公开，与拟公开发布相矛盾。"),
    ],
                      external_id="notice-2026-03", title="关于开展2026年度安全生产检查的通知", author="办公室 王某")
    second = make_item(site.db, "第二件稿件正文，未发现问题。", external_id="news-2", title="第二件", author="张三")
    _login(page, "rev1")
    assert page.url.endswith("/review")
    page.click(f'a[href="/review/items/{first}"]')
    page.wait_for_selector("#findings")
    page.wait_for_selector("html[data-keys-ready]", state="attached")  # the deferred script has installed its handlers
    marks = page.locator("mark.hl")
    assert marks.count() == 3
    assert marks.nth(1).inner_text() == "13812345678"
    # Keyboard: j moves to the first finding and highlights its passage.
    page.keyboard.press("j")
    assert "current" in (page.locator("li.finding").nth(0).get_attribute("class") or "")
    assert page.locator("mark.hl.current").inner_text() == "机密★10年"
    page.keyboard.press("j")
    assert page.locator("mark.hl.current").inner_text() == "13812345678"
    # n / p move between the items of the queue.
    page.keyboard.press("n")
    page.wait_for_url(f"**/review/items/{second}")
    assert page.locator("#item-title").inner_text() == "第二件"
    page.wait_for_selector("html[data-keys-ready]", state="attached")
    page.keyboard.press("p")
    page.wait_for_url(f"**/review/items/{first}")
    with site.db.session() as s:
        item = s.get(Item, first)
        assert item is not None
        findings = [(f.id, f.seq) for f in item.findings]
        sha = item.content_sha256
    assert page.locator('input[name="content_sha256"]').get_attribute("value") == sha
    for fid, seq in findings:
        page.check(f'input[name="disp_{fid}"][value="false_positive"]')
        page.fill(f'input[name="reason_{fid}"]', "已核实：引用公开文件" if seq == 0 else "已核实")
    page.check('input[name="decision"][value="approve"]')
    page.fill('textarea[name="comment"]', "经审查，同意发布。")
    page.keyboard.press("Escape")
    page.screenshot(path=str(site.shots / "reviewer-item.png"), full_page=True)
    page.click("#sign-submit")
    page.wait_for_selector("#receipt")
    assert page.locator("#item-state").get_attribute("data-state") == "approved"
    assert "已签署" in page.locator("#notice").inner_text()
    with site.db.session() as s:
        assert s.scalars(select(Receipt).where(Receipt.item_id == first)).first() is not None


def test_xss_draft_stays_inert(page, site: Site) -> None:  # type: ignore[no-untyped-def]
    payload = "\n".join(XSS_PAYLOADS)
    item_id = make_item(site.db, f"正文开始\n{payload}\n正文结束", [(XSS_PAYLOADS[0], "review"), (XSS_PAYLOADS[1], "review")],
                        external_id="xss-1", title=XSS_PAYLOADS[1] + XSS_PAYLOADS[0], channel=XSS_PAYLOADS[2],
                        author=XSS_PAYLOADS[3])
    _login(page, "rev1")
    for url in ("/review", f"/review/items/{item_id}"):
        page.goto(url)
        page.wait_for_load_state("load")
        page.wait_for_timeout(300)
        assert page.dialogs == []
        assert page.evaluate("window.__xss") is None
        injected = page.evaluate(
            "() => [document.querySelectorAll('script:not([src])').length, document.querySelectorAll('img[src=x], svg[onload], iframe, #xsslink').length]"
        )
        assert injected == [0, 0], url
    # The payload is shown as text, exactly as submitted.
    assert XSS_PAYLOADS[0] in page.locator(".doc-text").inner_text()
    assert page.locator("#item-title").inner_text() == XSS_PAYLOADS[1] + XSS_PAYLOADS[0]
    assert page.locator("#item-author").inner_text() == XSS_PAYLOADS[3]
    # A comment with markup, signed through the form, is inert on the auditor's history page too.
    with site.db.session() as s:
        item = s.get(Item, item_id)
        assert item is not None
        fids = [f.id for f in item.findings]
    for fid in fids:
        page.check(f'input[name="disp_{fid}"][value="must_fix"]')
        page.fill(f'input[name="reason_{fid}"]', XSS_PAYLOADS[4])
    page.check('input[name="decision"][value="return"]')
    page.fill('textarea[name="comment"]', XSS_PAYLOADS[5])
    page.click("#sign-submit")
    page.wait_for_selector("#notice")
    page.context.clear_cookies()
    _login(page, "aud")
    page.goto(f"/audit/items/{item_id}")
    page.wait_for_timeout(300)
    assert page.dialogs == []
    assert page.evaluate("document.querySelectorAll('script:not([src]), iframe, #xsslink, img[src=x]').length") == 0
    assert XSS_PAYLOADS[5] in page.locator(".review-record").first.inner_text()


def test_auditor_filters_exports_csv_and_sees_the_chart(page, site: Site) -> None:  # type: ignore[no-untyped-def]
    make_item(site.db, "第二单位的稿件，手机13912345678。", [("13912345678", "review")], external_id="u2-1", cms="cms2",
              title="第二单位通知")
    _login(page, "aud")
    assert page.url.endswith("/audit")
    page.select_option("#f-unit", "U2")
    page.click("#search-submit")
    page.wait_for_selector("#results")
    rows = page.locator("#results tbody tr")
    assert rows.count() == 1 and "第二单位通知" in rows.first.inner_text()
    with page.expect_download() as info:
        page.click("#export-csv")
    data = Path(info.value.path()).read_bytes()
    table = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert table[0][0] == "稿件编号" and [r[4] for r in table[1:]] == ["第二单位通知"]
    page.click('a[href="/audit/stats"]')
    chart = page.locator("#stats-chart")
    chart.wait_for()
    assert chart.is_visible()
    assert page.locator("#stats-chart rect.bar").count() == 12
    assert page.locator("#unit-stats tbody tr").count() == 2
    page.screenshot(path=str(site.shots / "auditor-stats.png"), full_page=True)
    page.goto("/audit/verify")
    assert page.locator("#verify-result").get_attribute("data-ok") == "1"
