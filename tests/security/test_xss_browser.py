"""XSS payloads in titles, authors, channels, external ids, file names, draft content, review comments and disposition
reasons stay inert text on every page that shows them — reviewer queue and item page, officer queue, auditor search,
item history and log — in Debian's Chromium driven by Playwright against a real uvicorn server.

The browser context bypasses the Content-Security-Policy on purpose: the pages must be safe by escaping alone, with
CSP as a second wall (the CSP itself is asserted in test_web_security.py)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from reviewer.accounts import manage as accounts
from reviewer.store.models import Item
from reviewer.workflow.review import DispositionInput, sign_off
from tests.browser import chromium
from tests.reliability._helpers import figures, open_db
from tests.services import ApiServer, RedisServer, fresh_sqlite_url, seed, service_env
from tests.web.helpers import make_item

pytestmark = [pytest.mark.browser, pytest.mark.integration]
pytest.importorskip("playwright.sync_api")

PAYLOADS = [
    '<script>window.__xss="script"</script>',
    '<img id=xss-img src=x onerror="window.__xss=\'img\'">',
    '<svg id=xss-svg onload="window.__xss=\'svg\'"></svg>',
    '"><b id=xss-break onmouseover="window.__xss=1">x</b>',
    "'><a id=xss-a href=\"javascript:window.__xss='a'\">点我</a>",
    '<iframe id=xss-frame srcdoc="<script>parent.__xss=\'frame\'</script>"></iframe>',
    '</textarea></title><input id=xss-input autofocus onfocus="window.__xss=\'focus\'">',
    '<style id=xss-style>body{display:none}</style>{{7*7}}${7*7}',
    '<details id=xss-details open ontoggle="window.__xss=\'toggle\'">',
]
ALL = "".join(PAYLOADS)
PROBE = """() => {
  const ids = [...document.querySelectorAll('[id^="xss"]')].map(e => e.id);
  const handlers = [...document.querySelectorAll('*')].flatMap(e => [...e.attributes]
      .filter(a => a.name.startsWith('on') || (a.value || '').includes('__xss') && a.name !== 'value' && a.name !== 'data-text')
      .map(a => e.tagName + '@' + a.name));
  const inline = [...document.querySelectorAll('script:not([src])')].map(s => s.textContent.slice(0, 40));
  return {xss: window.__xss === undefined ? null : String(window.__xss), ids, handlers, inline};
}"""


@pytest.fixture(scope="module")
def site(redis_server: RedisServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, dict[str, int]]]:
    base = tmp_path_factory.mktemp("xss")
    url = fresh_sqlite_url(base / "db")
    seed(url, base / "data")
    db = open_db(url, base / "data")
    items: dict[str, int] = {}
    content = "正文开始\n" + "\n".join(PAYLOADS) + "\n正文结束"
    common = {"title": ALL, "channel": PAYLOADS[2] + PAYLOADS[6], "author": PAYLOADS[1] + PAYLOADS[3]}
    items["open"] = make_item(db, content, [(PAYLOADS[0], "review"), (PAYLOADS[1], "review")], external_id=PAYLOADS[4] + "-open",
                              **common)
    items["returned"] = make_item(db, content + "二", [(PAYLOADS[5], "review")], external_id=PAYLOADS[8] + "-ret", **common)
    items["officer"] = make_item(db, content + "三", [(PAYLOADS[0], "block")], external_id=PAYLOADS[3] + "-off", cms="cms2", **common)
    with db.session() as s:
        item = s.get(Item, items["returned"])
        disp = [DispositionInput(f.id, "confirmed", PAYLOADS[5] + PAYLOADS[1]) for f in item.findings]  # type: ignore[union-attr]
        sign_off(s, item.id, accounts.get_user(s, "rev1"), item.content_sha256, "return", ALL, disp)  # type: ignore[union-attr]
    with db.session() as s:
        item = s.get(Item, items["officer"])
        disp = [DispositionInput(f.id, "confirmed", PAYLOADS[7]) for f in item.findings]  # type: ignore[union-attr]
        sign_off(s, item.id, accounts.get_user(s, "rev2"), item.content_sha256, "approve", PAYLOADS[6] + PAYLOADS[0], disp,  # type: ignore[union-attr]
                 exception_confirmed=True)
        assert s.get(Item, items["officer"]).state == "awaiting_officer"  # type: ignore[union-attr]
    db.dispose()
    server = ApiServer(service_env(url, redis_server.url, base / "data"), base / "logs").start()
    try:
        yield server.url, items
    finally:
        server.stop()


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    with chromium() as b:
        yield b


def _visit(browser, base: str, username: str, urls: list[str]) -> int:  # type: ignore[no-untyped-def]
    context = browser.new_context(base_url=base, locale="zh-CN", bypass_csp=True)
    page = context.new_page()
    page.set_default_timeout(15000)
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    checked = 0
    try:
        page.goto("/login")
        page.fill("#username", username)
        page.fill("#password", f"{username}-password")
        page.click("#login-submit")
        page.wait_for_load_state()
        for url in urls:
            resp = page.goto(url)
            assert resp is not None and resp.status == 200, (url, resp and resp.status)
            page.wait_for_load_state("load")
            page.mouse.move(200, 300)
            page.keyboard.press("Tab")
            page.wait_for_timeout(150)
            found = page.evaluate(PROBE)
            assert found == {"xss": None, "ids": [], "handlers": [], "inline": []}, (username, url, found)
            assert dialogs == [], (username, url, dialogs)
            body = page.evaluate("document.body.innerText")
            if url != "/audit/log":  # the log shows event data, not the fields themselves
                assert "<script>" in body or "<img" in body or "<svg" in body or "<style" in body, (url, "payload not shown as text")
            assert page.locator("body").is_visible()  # the <style> payload did not hide the page
            checked += 1
    finally:
        context.close()
    return checked


def test_payloads_stay_inert_on_every_page(browser, site) -> None:  # type: ignore[no-untyped-def]
    base, items = site
    checked = _visit(browser, base, "rev1", ["/review", f"/review/items/{items['open']}", f"/review/items/{items['returned']}"])
    checked += _visit(browser, base, "off2", ["/officer", f"/review/items/{items['officer']}"])
    checked += _visit(browser, base, "aud", ["/audit", f"/audit/items/{items['open']}", f"/audit/items/{items['returned']}",
                                             f"/audit/items/{items['officer']}", "/audit/log"])
    figures("xss_browser", payloads=len(PAYLOADS), fields=["title", "author", "channel", "external_id", "content", "comment",
                                                           "disposition reason"], pages_checked=checked, executed=0)


