"""The reviewer's item page lists 表述 findings in their own group beside the 保密 findings, each with the right form
offered (应为：…); the API gives reviewers the suggestion and publishers only “表述问题”."""

from __future__ import annotations

import re

from sqlalchemy import select

from reviewer.accounts.actor import Actor
from reviewer.api.views import _finding
from reviewer.scan.scanner import Scanner
from reviewer.settings import BUILTIN_RULES_DIR
from reviewer.store.models import ApiToken, Finding
from reviewer.workflow import scanning, submit
from tests.web.conftest import Web
from tests.web.helpers import login

TEXT = "关于学习贯彻党十九大精神的通知\n请联系赵某，电话13900001111。\n港澳台游客来华观光人数增加。"


def _scanned(web: Web, text: str) -> int:
    scanner = Scanner.load(BUILTIN_RULES_DIR, defaults=False)
    with web.db.session() as s:
        token = s.execute(select(ApiToken).where(ApiToken.client_name == "cms1")).scalar_one()
        item_id = submit.submit(s, Actor.of_token(token), external_id="expr-1", content=text.encode(), title="通知",
                                author="张三").item.id
    with web.db.session() as s:
        scanning.start_scan(s, item_id)
    with web.db.session() as s:
        scanning.record_scan(s, item_id, scanner.scan(text))
    return item_id


def _list(html: str, dom_id: str) -> str:
    m = re.search(rf'<ol class="findings" id="{dom_id}"[^>]*>(.*?)</ol>', html, re.S)
    assert m, dom_id
    return m.group(1)


def test_expression_findings_are_a_group_of_their_own(web: Web) -> None:
    item_id = _scanned(web, TEXT)
    c = web.client()
    login(c, "rev1")
    html = c.get(f"/review/items/{item_id}").text
    assert 'id="group-secrecy"' in html and 'id="group-expression"' in html
    assert html.index('id="group-secrecy"') < html.index('id="group-expression"')
    secrecy, wording = _list(html, "findings"), _list(html, "findings-expression")
    assert "13900001111" in secrecy and "应为：" not in secrecy
    assert "党十九大" in wording and "13900001111" not in wording
    assert 'data-suggestion="党的十九大"' in wording and 'data-suggestion="港澳台游客来内地（大陆）"' in wording
    assert "表述检查（严重表述错误）（2）" in html
    # every finding still has its disposition fieldset (the sign form covers both groups)
    with web.db.session() as s:
        ids = list(s.scalars(select(Finding.id).where(Finding.item_id == item_id)))
    assert all(f'name="disp_{fid}"' in html for fid in ids)
    # the API: reviewers get the suggestion, a publisher's redacted view only “表述问题”
    with web.db.session() as s:
        row = s.scalars(select(Finding).where(Finding.item_id == item_id, Finding.suggestion == "党的十九大")).one()
        full, redacted = _finding(row, True), _finding(row, False)
    assert full["suggestion"] == "党的十九大" and full["message"] == "应为：党的十九大"
    assert redacted["message"] == "表述问题" and "党" not in str(redacted)


def test_no_expression_group_without_expression_findings(web: Web) -> None:
    item_id = _scanned(web, "请联系赵某，电话13900001111。")
    c = web.client()
    login(c, "rev1")
    html = c.get(f"/review/items/{item_id}").text
    assert 'id="findings"' in html and "findings-expression" not in html and "group-expression" not in html
