"""Issue 20's new page parts in Chromium at 1366 and 390 px, with axe-core (zero serious/critical): the withdrawal box
under the signer's own signature, withdrawing through it, and the officer's 委托代签 page used to set a delegation.

REVIEWER_SCREENSHOTS_DIR=docs/screenshots refreshes the screenshots in docs/."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from reviewer.store.models import Delegation, Item
from tests.web.helpers import make_item
from tests.web.test_browser import Site, browser, site  # noqa: F401  (module fixtures: one server, one Chromium)
from tests.web.test_desk_browser import PHONE, TEXT, _axe, _context, _findings, _login, _ready

pytestmark = pytest.mark.browser
pytest.importorskip("playwright.sync_api")


@pytest.mark.parametrize("width", [1366, pytest.param(390, marks=pytest.mark.slow)])
def test_withdraw_from_the_item_page(browser: Any, site: Site, width: int) -> None:  # noqa: F811
    pytest.importorskip("axe_playwright_python")
    item_id = make_item(site.db, TEXT.replace("参照秘密★5年文件", "参照有关文件"), [PHONE], external_id=f"wd-b-{width}",
                        title="撤回签署")
    ctx = _context(browser, site, width=width)
    pg = ctx.new_page()
    try:
        _login(pg, "rev1")
        pg.goto(f"/review/items/{item_id}")
        _ready(pg)
        (fid, _), = _findings(site, item_id)
        pg.check(f'input[name="disp_{fid}"][value="false_positive"]')
        pg.fill(f"#reason-{fid}", "值班电话已在政府网站公开")
        pg.check('input[name="decision"][value="approve"]')
        pg.click("#sign-submit")
        pg.wait_for_selector("#notice")
        pg.click("#withdraw-box summary")
        assert pg.locator("#withdraw-reason").is_visible()
        assert _axe(pg) == []
        pg.screenshot(path=str(site.shots / f"reviewer-withdraw-{width}.png"), full_page=True)
        pg.fill("#withdraw-reason", "附件需要再核对")
        pg.click("#withdraw-submit")
        pg.wait_for_selector("#notice")
        assert "已撤回您的签署" in pg.locator("#notice").inner_text()
        assert pg.locator(".withdrawn").first.is_visible() and pg.locator("#sign-form").count() == 1
        assert _axe(pg) == []
        with site.db.session() as s:
            assert s.get(Item, item_id).state == "awaiting_review"  # type: ignore[union-attr]
    finally:
        ctx.close()


@pytest.mark.parametrize("width", [1366, pytest.param(390, marks=pytest.mark.slow)])
def test_officer_sets_a_delegation_on_its_page(browser: Any, site: Site, width: int) -> None:  # noqa: F811
    pytest.importorskip("axe_playwright_python")
    ctx = _context(browser, site, width=width)
    pg = ctx.new_page()
    try:
        _login(pg, "off1")
        if width > 900:
            pg.click("#nav-delegations")
        else:
            pg.goto("/officer/delegations")
        pg.wait_for_selector("#delegation-form")
        assert _axe(pg) == []
        now = datetime.now(timezone(timedelta(hours=8)))
        pg.select_option("#delegate", label=next(o for o in pg.locator("#delegate option").all_inner_texts() if "rev1b" in o))
        pg.fill("#starts", now.strftime("%Y-%m-%dT%H:%M"))
        pg.fill("#ends", (now + timedelta(days=3)).strftime("%Y-%m-%dT%H:%M"))
        pg.fill("#delegation-reason", "外出培训")
        pg.click("#delegation-submit")
        pg.wait_for_selector("#notice")
        assert pg.locator("#delegations tbody tr").count() >= 1 and "生效中" in pg.locator("#delegations").inner_text()
        assert _axe(pg) == []
        pg.screenshot(path=str(site.shots / f"officer-delegations-{width}.png"), full_page=True)
        from reviewer.accounts import manage as accounts
        from reviewer.workflow import delegation

        with site.db.session() as s:  # leave no delegation in force for the module's other tests (ended, logged)
            for d in s.query(Delegation).filter(Delegation.revoked_at.is_(None)).all():
                delegation.revoke(s, accounts.get_user(s, "off1"), d.id)
    finally:
        ctx.close()
