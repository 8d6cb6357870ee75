"""The administrator's pages (/admin): units, users, roles, tokens and the unit's rule files, through the same
functions as the CLI — every action is in the review log with the administrator as its actor; a token is shown once;
the rule files are listed by name and size, never with their terms."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from reviewer.api.app import create_app
from reviewer.settings import Settings
from reviewer.store.models import ApiToken, AuditEvent, User
from tests.services import seed
from tests.web.conftest import NullEnqueuer, Web
from tests.web.helpers import csrf_of, login

ORG_RULES = Path(__file__).resolve().parents[2] / "examples" / "org-rules"


@pytest.fixture
def admin_web(sqlite_database_url: str, tmp_path: Path) -> Iterator[Web]:
    data_dir = tmp_path / "data"
    seed(sqlite_database_url, data_dir)
    settings = Settings.from_env({"REVIEWER_DATABASE_URL": sqlite_database_url, "REVIEWER_DATA_DIR": str(data_dir),
                                  "REVIEWER_RULES_PATH": str(ORG_RULES)})
    app = create_app(settings, enqueuer=NullEnqueuer())
    w = Web(app.state.db, settings, app)
    try:
        yield w
    finally:
        app.state.db.dispose()


def _events(web: Web, action: str) -> list[AuditEvent]:
    with web.db.session() as s:
        return list(s.scalars(select(AuditEvent).where(AuditEvent.action == action)))


def test_admin_manages_people_and_tokens_and_every_action_is_logged(admin_web: Web) -> None:
    web = admin_web
    c = web.client()
    login(c, "adm")
    home = c.get("/admin")
    assert home.status_code == 200 and 'id="nav-admin"' in home.text
    token = csrf_of(home.text)
    r = c.post("/admin/user-add", data={"csrf_token": token, "username": "zhang.shen", "display_name": "张审查",
                                        "unit": "U1", "role": "reviewer", "password": ""})
    assert r.status_code == 303
    assert [json.loads(e.data)["username"] for e in _events(web, "user_created") if e.actor == "adm"] == ["zhang.shen"]
    assert "未设口令（不能登录）" in c.get("/admin").text  # an account without a password is said to be one
    assert c.post("/admin/user-role", data={"csrf_token": token, "username": "zhang.shen", "role": "officer"}).status_code == 303
    assert [e.actor for e in _events(web, "user_role_changed")] == ["adm"]
    bad = c.post("/admin/user-role", data={"csrf_token": token, "username": "zhang.shen", "role": "superuser"})
    assert bad.status_code == 422 and "角色" in bad.text  # the workflow's refusal, in Chinese, on the page
    made = c.post("/admin/token-create", data={"csrf_token": token, "username": "", "unit": "U1", "client": "门户网站CMS",
                                               "days": "30"})
    assert made.status_code == 200
    shown = re.search(r'id="new-token">([^<]+)<', made.text)
    assert shown and "只显示这一次" in made.text
    with web.db.session() as s:
        record = s.scalars(select(ApiToken).where(ApiToken.client_name == "门户网站CMS")).one()
        assert shown.group(1).startswith(record.prefix)
        token_id = record.id
    assert shown.group(1) not in c.get("/admin").text  # never again
    assert c.post("/admin/token-revoke", data={"csrf_token": token, "token_id": str(token_id)}).status_code == 303
    assert [e.actor for e in _events(web, "token_revoked")] == ["adm"]
    assert c.post("/admin/user-deactivate", data={"csrf_token": token, "username": "zhang.shen"}).status_code == 303
    with web.db.session() as s:
        assert s.scalars(select(User).where(User.username == "zhang.shen")).one().active is False
    stale = c.post("/admin/user-add", data={"csrf_token": "forged", "username": "x.y", "display_name": "某",
                                            "unit": "U1", "role": "reviewer"})
    assert stale.status_code == 403  # CSRF: nothing is done
    with web.db.session() as s:
        assert s.scalars(select(User).where(User.username == "x.y")).first() is None


def test_rule_files_are_listed_without_their_terms(admin_web: Web) -> None:
    c = admin_web.client()
    login(c, "adm")
    html = c.get("/admin").text
    table = html[html.index('id="rule-files"'):]
    assert "org-project-codes" in table
    terms = [t.strip() for t in (ORG_RULES / "org-project-codes.terms.txt").read_text(encoding="utf-8").splitlines()
             if t.strip() and not t.startswith("#")]
    assert terms and not [t for t in terms if t in html]  # not one term of the unit's list is on the page


def test_only_the_admin(admin_web: Web) -> None:
    for who in ("rev1", "off1", "aud"):
        c = admin_web.client()
        login(c, who)
        assert c.get("/admin").status_code == 403


def _outside_tech_hints(html: str) -> str:
    return re.sub(r'<small class="tech">.*?</small>', "", html, flags=re.S)


def test_where_the_rule_files_come_from_is_said_in_chinese(admin_web: Web, tmp_path: Path) -> None:
    c = admin_web.client()
    login(c, "adm")
    html = c.get("/admin").text
    section = html[html.index('id="admin-rules"'):]
    assert "本单位规则目录" in section and "运维人员" in section
    assert "REVIEWER_RULES_PATH" in section  # still there, as the technical hint only
    assert "REVIEWER_" not in _outside_tech_hints(section)
    table = section[section.index('id="rule-files"'):section.index("</table>")]
    assert "词表" in table and ">terms<" not in table  # the rule kinds in Chinese
    # a deployment without the unit's own rule directory: said in words, the variable only as the hint
    plain = create_app(Settings.from_env({"REVIEWER_DATABASE_URL": str(admin_web.settings.database_url),
                                          "REVIEWER_DATA_DIR": str(admin_web.settings.data_dir)}), enqueuer=NullEnqueuer())
    try:
        from fastapi.testclient import TestClient

        p = TestClient(plain, base_url="http://testserver", follow_redirects=False)
        login(p, "adm")
        html = p.get("/admin").text
        none = html[html.index('id="no-rule-files"'):]
        none = none[:none.index("</p>")]
        assert "尚未配置本单位规则目录" in none and "REVIEWER_RULES_PATH" in none
        assert "REVIEWER_" not in _outside_tech_hints(none)
    finally:
        plain.state.db.dispose()


_FORM = re.compile(r"<form\b[^>]*>.*?</form>", re.S)
_BUBBLE = re.compile(r"\srequired\b|\spattern=|type=\"(?:email|url|number|date)\"")


def test_no_form_leaves_a_message_to_the_browser(admin_web: Web) -> None:
    """A browser-side check (required, pattern, typed fields) answers in the browser's language ("Please fill out this
    field."): every form on these pages either has none or says novalidate, and the server answers in Chinese."""
    web = admin_web
    from tests.security.test_web_security import _monitor_problem

    result = _monitor_problem(web)  # type: ignore[arg-type]  # an App-like object: it needs only .db
    pages = {"adm": ["/admin", "/fingerprints", "/audit", "/audit/verify"],
             "off1": ["/fingerprints", f"/monitor/results/{result}"], "aud": ["/audit", "/audit/log", "/audit/verify"]}
    checked = 0
    anon = web.client()
    for form in _FORM.findall(anon.get("/login").text):
        checked += 1
        assert not _BUBBLE.search(form) or "novalidate" in form[:form.index(">")], form[:300]
    for who, paths in pages.items():
        c = web.client()
        login(c, who)
        for path in paths:
            html = c.get(path).text
            for form in _FORM.findall(html):
                checked += 1
                assert not _BUBBLE.search(form) or "novalidate" in form[:form.index(">")], (path, form[:300])
    assert checked >= 15
    # and the server says it in Chinese instead
    c = web.client()
    login(c, "adm")
    token = csrf_of(c.get("/admin").text)
    r = c.post("/admin/unit-add", data={"csrf_token": token, "code": "", "name": ""})
    assert r.status_code == 422 and "请填写单位代码和单位名称" in r.text
    r = c.post("/admin/user-add", data={"csrf_token": token, "username": "", "display_name": "", "unit": "U1",
                                        "role": "reviewer"})
    assert r.status_code == 422 and "请填写用户名和姓名" in r.text
    r = c.get("/audit/verify", params={"expected_head": "不是哈希"})
    assert r.status_code == 422 and "64 位十六进制" in r.text
