"""Building items for the page tests through the real workflow functions (submit → scan result → awaiting review).
The scan result is made here, with findings at the offsets of given terms, so the tests do not depend on the rules."""

from __future__ import annotations

import re

import httpx
from sqlalchemy import select

from reviewer.accounts.actor import Actor
from reviewer.scan.model import Finding, ScanResult, Severity
from reviewer.store.models import ApiToken
from reviewer.store.session import Database
from reviewer.workflow import scanning, submit

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def make_item(
    db: Database,
    text: str,
    terms: list[tuple[str, ...]] = (),  # type: ignore[assignment]  # (term, severity[, rule, message, explanation])
    *,
    external_id: str = "doc-1",
    cms: str = "cms1",
    title: str = "关于开展安全检查的通知",
    channel: str = "通知公告",
    author: str = "张三",
    rules_version: str = "rv-test",
    author_id: str = "",
) -> int:
    with db.session() as s:
        token = s.execute(select(ApiToken).where(ApiToken.client_name == cms)).scalar_one()
        item_id = submit.submit(s, Actor.of_token(token), external_id=external_id, content=text.encode(), title=title,
                                channel=channel, author=author, author_id=author_id).item.id
    findings = []
    for term, severity, *more in terms:
        start = text.index(term)
        rule, category, message, explanation = (*more, *(f"test.{severity}", "测试类别", f"发现“{severity}”级别的问题", "测试说明")[len(more):])
        findings.append(Finding(rule, category, Severity(severity), start, start + len(term), term, term, message, explanation, "正文"))
    with db.session() as s:
        scanning.start_scan(s, item_id)
    with db.session() as s:
        scanning.record_scan(s, item_id, ScanResult(rules_version=rules_version, findings=findings))
    return item_id


def csrf_of(html: str) -> str:
    m = CSRF.search(html)
    assert m, "no csrf token in page"
    return m.group(1)


def login(client: httpx.Client, username: str, password: str | None = None) -> httpx.Response:
    form = client.get("/login")
    resp = client.post("/login", data={"csrf_token": csrf_of(form.text), "username": username,
                                       "password": password or f"{username}-password"}, follow_redirects=False)
    return resp
