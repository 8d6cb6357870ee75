"""Rule scopes (docs/rules.md): two units on one deployment with overlapping, different term lists and a registered
document. Each unit's drafts are flagged only by its own scope; nothing of one unit's scope (term, rule title, rule file
name, registration name) reaches the other unit's people on any page, export or API answer; a rule change in one scope
re-scans only that unit. Scans run through the worker's code (jobs.run_scan / run_rescan with the real scanner)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from reviewer.accounts import manage as accounts
from reviewer.accounts.actor import Actor
from reviewer.api.app import create_app
from reviewer.errors import InvalidInput, RuleError
from reviewer.scan import fingerprints as fp
from reviewer.settings import Settings
from reviewer.store.models import Alert, AuditEvent, Item, RuleScope
from reviewer.store.session import Database
from reviewer.workflow import fingerprints as registry
from reviewer.workflow import jobs, release, scopes, submit
from reviewer.workflow.review import sign_off
from tests.fingerprints.helpers import texts
from tests.services import seed
from tests.web.helpers import login
from tests.workflow.conftest import RecordingEnqueuer
from tests.workflow.helpers import client, user

SHARED_TERM = "共同代号丙"  # on both units' lists
U1_TERMS = ["青松工程", SHARED_TERM]
U2_TERMS = ["白杨计划", SHARED_TERM]
U1_TITLE, U2_TITLE = "第一单位专用代号表", "第二单位专用代号表"
U1_RULE, U2_RULE = "u1-codes", "u2-codes"
U1_REG, U1_LABEL = "u1-minutes", "第一单位内部纪要甲"
ORG_RULE, ORG_TERM = "org-shared", "全厅共用词丁"
NAME = "law-0150.txt"
# everything of unit U1's scope that unit U2's people must never see
U1_SECRETS = ["青松工程", U1_TITLE, U1_RULE, U1_REG, U1_LABEL, "u1-extra", "新增代号戊"]


def _rule(directory: Path, rule_id: str, title: str, terms: list[str]) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / f"{rule_id}.yaml").write_text(
        f"id: {rule_id}\ntitle: {title}\nkind: terms\nseverity: block\ncategory: 项目代号\nmessage: 本单位项目代号\n"
        f"terms: [{', '.join(terms)}]\n", encoding="utf-8")


def _paragraph() -> str:
    paras = fp.paragraphs_of(texts()[NAME])
    return max(paras, key=len)


@dataclass
class Env:
    db: Database
    settings: Settings
    app: object
    enqueuer: RecordingEnqueuer
    scanners: jobs.ScannerCache
    tokens: dict[str, str]
    dirs: dict[str, Path]

    def client(self) -> TestClient:
        return TestClient(self.app, base_url="http://testserver", follow_redirects=False)  # type: ignore[arg-type]


@pytest.fixture
def env(sqlite_database_url: str, tmp_path: Path) -> Iterator[Env]:
    data_dir = tmp_path / "data"
    out = seed(sqlite_database_url, data_dir)
    dirs = {"org": tmp_path / "org", "u1": tmp_path / "u1rules", "u2": tmp_path / "u2rules"}
    _rule(dirs["org"], ORG_RULE, "全厅共用词表", [ORG_TERM])
    _rule(dirs["u1"], U1_RULE, U1_TITLE, U1_TERMS)
    _rule(dirs["u2"], U2_RULE, U2_TITLE, U2_TERMS)
    settings = Settings.from_env({"REVIEWER_DATABASE_URL": sqlite_database_url, "REVIEWER_DATA_DIR": str(data_dir),
                                  "REVIEWER_RULES_PATH": str(dirs["org"])})
    enqueuer = RecordingEnqueuer()
    app = create_app(settings, enqueuer=enqueuer)
    db: Database = app.state.db
    with db.session() as s:
        for name, role in [("aud2", "auditor"), ("adm2", "admin")]:
            u = accounts.create_user(s, name, "U2", role, display_name=name.upper(), password=name + "-password")
            out.tokens[name] = accounts.create_token(s, user=u).token
    try:
        yield Env(db, settings, app, enqueuer, jobs.ScannerCache(settings), out.tokens, dirs)
    finally:
        db.dispose()


def _scan(env: Env, cms: str, external_id: str, text: str) -> Item:
    with env.db.session() as s:
        item_id = submit.submit(s, client(s, cms), external_id=external_id, content=text.encode(), title="通知",
                                author="张三").item.id
    assert jobs.run_scan(env.db, env.scanners, item_id) == "scanned"
    with env.db.session() as s:
        item = s.get(Item, item_id)
        assert item is not None
        _ = item.findings
        return item


def _matches(item: Item) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for f in item.findings:
        out.setdefault(f.rule, set()).add(f.match)
    return out


def test_backward_compatible_without_scopes(env: Env) -> None:
    """Only REVIEWER_RULES_PATH, no scope: its rules scan every unit, as before."""
    text = f"本次会议提到{ORG_TERM}和{SHARED_TERM}。"
    for cms, ext in (("cms1", "a"), ("cms2", "b")):
        item = _scan(env, cms, ext, text)
        assert _matches(item).get(ORG_RULE) == {ORG_TERM}
        assert U1_RULE not in _matches(item) and U2_RULE not in _matches(item)


def _setup_scopes(env: Env) -> None:
    with env.db.session() as s:
        scopes.set_unit_rules(s, "U1", [env.dirs["u1"]])
        scopes.set_unit_rules(s, "U2", [env.dirs["u2"]])
        officer = Actor.of_user(user(s, "off1"))
        registry.register(s, U1_REG, [(U1_LABEL, fp.paragraphs_of(texts()[NAME]))], common=fp.default_common(),
                          actor=officer)


def _release(env: Env, item: Item, cms: str, reviewer: str) -> None:
    with env.db.session() as s:
        fresh = s.get(Item, item.id)
        assert fresh is not None
        decisions = [] if not fresh.findings else None
        assert decisions == [], "a released item in this test must be clean"
        sign_off(s, item.id, user(s, reviewer), fresh.content_sha256, "approve", "", [])
    with env.db.session() as s:
        release.mark_released(s, item.id, client(s, cms))


def test_each_unit_is_flagged_only_by_its_scope_and_sees_nothing_of_the_other(env: Env) -> None:
    _setup_scopes(env)
    text = f"项目{U1_TERMS[0]}与{U2_TERMS[0]}，另有{SHARED_TERM}、{ORG_TERM}。\n{_paragraph()}\n"
    one, two = _scan(env, "cms1", "d1", text), _scan(env, "cms2", "d2", text)
    m1, m2 = _matches(one), _matches(two)
    assert m1[U1_RULE] == {"青松工程", SHARED_TERM} and U1_REG in m1 and m1[ORG_RULE] == {ORG_TERM}
    assert U2_RULE not in m1 and not any("白杨计划" in f.match for f in one.findings)
    assert m2[U2_RULE] == {"白杨计划", SHARED_TERM} and m2[ORG_RULE] == {ORG_TERM}
    assert U1_RULE not in m2 and U1_REG not in m2 and not any("青松工程" in f.match for f in two.findings)
    assert one.rules_version != two.rules_version  # the version names the scope's rule set
    assert env.scanners.cached() == 3  # the shared layer once, each unit's own layer

    # an organisation directory claimed by a group applies to the group's units only
    with env.db.session() as s:
        scopes.set_group(s, "east", ["U1"], [env.dirs["org"]])
    three, four = _scan(env, "cms1", "d3", text), _scan(env, "cms2", "d4", text)
    assert ORG_RULE in _matches(three) and ORG_RULE not in _matches(four)
    with env.db.session() as s:
        scopes.set_group(s, "east", [], [])

    # released clean items of both units; then U1's list grows: only U1 is re-scanned and alerted
    clean1 = _scan(env, "cms1", "r1", "关于新增代号戊的说明。")
    clean2 = _scan(env, "cms2", "r2", "关于新增代号戊的说明。")
    _release(env, clean1, "cms1", "rev1")
    _release(env, clean2, "cms2", "rev2")
    with env.db.session() as s:
        assert scopes.stale_released(s, env.settings) == {}
    _rule(env.dirs["u1"], "u1-extra", "第一单位新增代号", ["新增代号戊"])
    with env.db.session() as s:
        assert scopes.stale_released(s, env.settings) == {"U1": [clean1.id]}
    assert jobs.run_rescan(env.db, env.scanners, clean1.id) == "alert"
    assert jobs.run_rescan(env.db, env.scanners, clean2.id) == "clean"

    # a registration by U1's officer re-scans U1's released items only
    env.enqueuer.sent.clear()
    with env.db.session() as s:
        registry.register(s, "u1-second", [("第一单位另一份纪要", fp.paragraphs_of(texts()[NAME]))],
                          common=fp.default_common(), actor=Actor.of_user(user(s, "off1")))
    assert env.enqueuer.sent == [("rescan_released", clean1.id)]


def test_nothing_of_one_units_scope_reaches_the_other_units_people(env: Env) -> None:
    _setup_scopes(env)
    one = _scan(env, "cms1", "d1", f"项目{U1_TERMS[0]}，另有{SHARED_TERM}。\n{_paragraph()}\n")
    two = _scan(env, "cms2", "d2", f"项目{U2_TERMS[0]}，另有{SHARED_TERM}、{ORG_TERM}。\n")
    assert {U1_RULE, U1_REG} <= set(_matches(one)) and U2_RULE in _matches(two)
    # a released U1 item raises an alert under U1's new rule; the log holds U1's scope change and registration
    clean = _scan(env, "cms1", "r1", "关于新增代号戊的说明。")
    _release(env, clean, "cms1", "rev1")
    _rule(env.dirs["u1"], "u1-extra", "第一单位新增代号", ["新增代号戊"])
    with env.db.session() as s:
        scopes.set_unit_rules(s, "U1", [env.dirs["u1"]])
    assert jobs.run_rescan(env.db, env.scanners, clean.id) == "alert"
    _no_leak(env, one.id, two.id)


def _no_leak(env: Env, u1_item: int, u2_item: int) -> None:
    pages = ["/", "/items", f"/items/{u1_item}", f"/items/{u2_item}", "/review", "/review-queue", f"/review/items/{u1_item}",
             f"/review/items/{u2_item}", "/officer", "/alerts", "/fingerprints", "/audit", "/audit/log", "/audit/stats",
             "/audit/stats.csv", "/audit/export.csv", f"/audit/items/{u1_item}", f"/audit/items/{u2_item}", "/audit/bursts",
             "/audit/verify", "/audit/log?unit=U1", f"/audit?rule={U1_RULE}", "/audit?rule=第一单位", "/me"]
    api = ["/api/v1/items", f"/api/v1/items/{u1_item}", f"/api/v1/items/{u2_item}", "/api/v1/review-queue",
           "/api/v1/alerts", "/api/v1/me"]
    seen_own = False
    for who in ("rev2", "off2", "aud2", "adm2"):
        c = env.client()
        assert login(c, who).status_code in (302, 303)
        for path in pages:
            r = c.get(path)
            body = r.text
            asked = path.partition("rule=")[2]  # the search box shows what was typed: only that may appear
            leaked = [t for t in U1_SECRETS if t in body.replace(f'value="{asked}"', "").replace(f"rule={asked}", "")] if asked else \
                [t for t in U1_SECRETS if t in body]
            if asked:
                assert f"/audit/items/{u1_item}" not in body, (who, path)  # a search by their rule finds nothing
            assert not leaked, (who, path, r.status_code, leaked)
            seen_own = seen_own or (U2_RULE in body and r.status_code == 200)
        c.close()
        c = env.client()
        for path in api:
            r = c.get(path, headers={"Authorization": f"Bearer {env.tokens[who]}"})
            leaked = [t for t in U1_SECRETS if t in r.text]
            assert not leaked, (who, path, r.status_code, leaked)
        c.close()
    assert seen_own, "U2's own findings were shown somewhere (the pages were really read)"
    # and U1's auditor does see U1's findings (the filter hides only what is not theirs)
    c = env.client()
    assert login(c, "aud").status_code in (302, 303)
    assert U1_RULE in c.get(f"/audit/items/{u1_item}").text
    c.close()


def test_scope_changes_are_logged_with_file_names_never_terms(env: Env) -> None:
    with env.db.session() as s:
        scopes.set_unit_rules(s, "U1", [env.dirs["u1"]])
        with pytest.raises(InvalidInput):
            scopes.set_unit_rules(s, "U1", [env.dirs["u1"] / "missing"])
    with env.db.session() as s:
        event = s.execute(select(AuditEvent).where(AuditEvent.action == "rule_scope_changed")).scalar_one()
        data = json.loads(event.data)
        assert event.unit_code == "U1" and data["rule_files"] == [f"{U1_RULE}.yaml"]
        assert not any(t in event.data for t in U1_TERMS)
        assert s.execute(select(RuleScope)).scalar_one().name == "unit:U1"


def test_scanner_cache_shares_the_common_layer_and_is_bounded_by_terms(env: Env) -> None:
    _rule(env.dirs["u1"], "big", "大表", [f"词{i:05d}甲" for i in range(3000)])
    with env.db.session() as s:
        scopes.set_unit_rules(s, "U1", [env.dirs["u1"]])
        scopes.set_unit_rules(s, "U2", [env.dirs["u2"]])
        s1, s2 = scopes.scope_for(s, env.settings, "U1"), scopes.scope_for(s, env.settings, "U2")
    cache = jobs.ScannerCache(env.settings)
    a, b = cache.get(registered=(), scope=s1), cache.get(registered=(), scope=s2)
    assert cache.loads == 3  # the shared layer (built-in + organisation) once, then each unit's own layer
    assert a.layers[0] is b.layers[0] and a.layers[1] is not b.layers[1]  # type: ignore[attr-defined]
    assert cache.get(registered=(), scope=s1) is a and cache.loads == 3  # reused
    # the version is that of one scanner of all the scope's rules; findings are those of both layers
    from reviewer import Scanner

    whole = Scanner.load(*s1.dirs, defaults=False)
    assert a.rules_version == whole.rules_version
    text = f"{ORG_TERM}与青松工程，词00042甲。"
    assert [(f.rule, f.match) for f in a.scan(text).findings] == [(f.rule, f.match) for f in whole.scan(text).findings]
    # a rule id in both layers fails to load, as in one rule set
    _rule(env.dirs["u2"], ORG_RULE, "重名", ["某词"])
    with pytest.raises(RuleError):
        cache.get(registered=(), scope=s2)
    (env.dirs["u2"] / f"{ORG_RULE}.yaml").unlink()
    # over the term budget the least recently used layer goes
    small = jobs.ScannerCache(env.settings, max_terms=2500)
    first = small.get(registered=(), scope=s1)
    small.get(registered=(), scope=s2)
    assert small.cached() < 3
    assert small.get(registered=(), scope=s1) is not first and small.loads > 3


def test_alert_of_other_unit_is_not_named(env: Env) -> None:
    """An alert raised by a unit's own rules is listed to another unit's auditor without the rule names."""
    _setup_scopes(env)
    item = _scan(env, "cms1", "x1", "关于新增代号戊的说明。")
    _release(env, item, "cms1", "rev1")
    _rule(env.dirs["u1"], "u1-extra", "第一单位新增代号", ["新增代号戊"])
    assert jobs.run_rescan(env.db, env.scanners, item.id) == "alert"
    with env.db.session() as s:
        assert "u1-extra" in s.execute(select(Alert)).scalar_one().summary
    c = env.client()
    login(c, "aud2")
    body = c.get("/alerts").text
    assert "u1-extra" not in body and "青松工程" not in body


def test_cli_units_set_group_and_scopes(env: Env, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    from reviewer.cli import main

    monkeypatch.setenv("REVIEWER_DATABASE_URL", env.db.engine.url.render_as_string(hide_password=False))
    monkeypatch.setenv("REVIEWER_DATA_DIR", str(env.settings.data_dir))
    monkeypatch.setenv("REVIEWER_RULES_PATH", str(env.dirs["org"]))
    assert main(["units", "set", "U1", "--rules", str(env.dirs["u1"])]) == 0
    assert main(["units", "set", "U1", "--rules", str(env.dirs["u1"] / "missing")]) == 1
    assert "规则目录不存在" in capsys.readouterr().err
    assert main(["units", "group", "east", "--units", "U1", "--rules", str(env.dirs["org"])]) == 0
    assert main(["units", "group", "east", "--units", "U1"]) == 1  # units without directories: refused
    capsys.readouterr()
    assert main(["units", "scopes"]) == 0
    out = capsys.readouterr().out
    assert "unit" not in out.split("\n")[0] and "未设置" in out.split("\n")[0]  # org dir claimed by the group
    assert "单位组 east" in out and f"单位 U1\t单位：U1\t规则目录：{env.dirs['u1'].resolve()}" in out
    with env.db.session() as s:
        u1, u2 = scopes.scope_for(s, env.settings, "U1"), scopes.scope_for(s, env.settings, "U2")
    assert env.dirs["org"].resolve() in u1.dirs and env.dirs["u1"].resolve() in u1.dirs
    assert env.dirs["org"] not in u2.dirs and env.dirs["org"].resolve() not in u2.dirs
    assert main(["units", "set", "U1", "--no-rules"]) == 0
    with env.db.session() as s:
        assert [n for n, *_ in scopes.list_scopes(s)] == ["group:east"]


def test_registrations_belong_to_the_registering_unit_or_its_group(env: Env) -> None:
    sources = [("某文件", fp.paragraphs_of(texts()[NAME]))]
    with env.db.session() as s:
        scopes.set_group(s, "east", ["U1"], [env.dirs["org"]])
        off2 = Actor.of_user(user(s, "off2"))
        for chosen in ("unit:U1", "east", "group:east", "all"):  # another unit, a group without U2, everyone
            with pytest.raises(InvalidInput):
                registry.register(s, "x-1", sources, common=fp.default_common(), actor=off2, scope=chosen)
        registry.register(s, "u1-group", sources, common=fp.default_common(), actor=Actor.of_user(user(s, "off1")),
                          scope="east")
    with env.db.session() as s:
        assert [r.rule_id for r in registry.list_sets(s, "U1")] == ["u1-group"]
        assert registry.list_sets(s, "U2") == []
        assert [r.rule_id for r in registry.list_sets(s, everything=True)] == ["u1-group"]


def test_a_comment_is_checked_with_the_signers_own_units_rules(env: Env) -> None:
    """A reviewer's 意见 is refused for a term of the own unit's list, never for another unit's (that refusal would
    tell the reviewer which words the other unit lists)."""
    _setup_scopes(env)
    clean = "关于做好年度考核工作的通知。请各处室按时报送材料。"
    for cms, ext, reviewer, own, other in (("cms1", "c1", "rev1", "青松工程", "白杨计划"),
                                           ("cms2", "c2", "rev2", "白杨计划", "青松工程")):
        item = _scan(env, cms, ext, clean)
        assert not item.findings
        with env.db.session() as s:
            with pytest.raises(InvalidInput):
                sign_off(s, item.id, user(s, reviewer), item.content_sha256, "approve", f"已核，另见{own}", [])
        with env.db.session() as s:  # the other unit's word is just a word here
            sign_off(s, item.id, user(s, reviewer), item.content_sha256, "approve", f"已核，另见{other}", [])
