"""The term list stays secret.

Attacks of a curious publisher (a CMS token) and of an administrator, who may run the system but not read the list:
- submit one draft naming ten candidate projects and read the response: before this change the findings' `start`/
  `end` (and rule ids, verdict, counts) told which candidates are on the list;
- submit thousands of such drafts: a per-token rate limit answers 429 in Chinese, and the auditor sees the burst;
- open the admin's redacted item page: it said 您的角色不能查看稿件全文与命中内容 and then printed each finding's
  explanation `词表词语“…”`;
- read a scan failure caused by an embedded file whose name is a term (the log event and the publisher's view).
And a walk of every GET page and API route (plus the release gate) for every role that may not see a unit's terms,
searching each response for every term of the test rules; a role that may see them is the positive control."""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, text

from reviewer.cli import main
from reviewer.store.models import AuditEvent
from reviewer.workflow import jobs, scanning
from tests.reliability._helpers import figures
from tests.security.conftest import App, make_app
from tests.security.test_authorization_matrix import app_routes
from tests.services import RedisServer
from tests.web.helpers import login

TERMS = ["玄鸟三型", "赤霄工程", "澜沧十一号"]  # the terms of the rule these tests add
RULE = ("id: secret-list\nkind: terms\nseverity: block\ncategory: 测试涉密词\nmessage: 测试用涉密项目代号\n"
        f"terms: [{', '.join(TERMS)}]\n")
CANDIDATES = ["青龙一号", "白虎二号", "朱雀三号", "玄武四号", "麒麟五号", "凤凰六号", "玄鸟三型", "鲲鹏八号", "貔貅九号", "獬豸十号"]


def _rules(tmp: Path) -> Path:
    d = tmp / "rules"
    d.mkdir(exist_ok=True)
    (d / "secret-list.yaml").write_text(RULE, encoding="utf-8")
    return d


@pytest.fixture
def app(sqlite_database_url: str, tmp_path: Path) -> Iterator[App]:
    a = make_app(sqlite_database_url, tmp_path / "data", REVIEWER_RULES_PATH=str(_rules(tmp_path)))
    try:
        yield a
    finally:
        a.db.dispose()


def _submit_and_scan(a: App, ext: str, content: str, cms: str = "cms1", **fields: str) -> int:
    r = a.client(cms).post("/api/v1/items", json={"external_id": ext, "content": content, **fields})
    assert r.status_code == 201, r.text
    item_id = int(r.json()["id"])
    assert jobs.run_scan(a.db, jobs.ScannerCache(a.settings), item_id) == "scanned"
    return item_id


VOLATILE = {"id", "external_id", "content_sha256", "document_sha256", "submitted_at", "scanned_at", "decided_at", "title"}


def _shape(body: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in body.items() if k not in VOLATILE}


def test_ten_candidate_names_tell_the_publisher_nothing(app: App) -> None:
    probe = _submit_and_scan(app, "probe-1", "本期简报涉及以下项目：" + "、".join(CANDIDATES) + "。")
    control = _submit_and_scan(app, "probe-2", "本期简报涉及以下项目：" + "、".join(c for c in CANDIDATES if c not in TERMS) + "。")
    rev = app.client("rev1").get(f"/api/v1/items/{probe}").json()
    assert [f["match"] for f in rev["findings"] if f["rule"] == "secret-list"] == ["玄鸟三型"]  # the scan did find it
    cms = app.client("cms1")
    seen = cms.get(f"/api/v1/items/{probe}").json()
    assert _shape(seen) == _shape(cms.get(f"/api/v1/items/{control}").json()), seen  # nothing distinguishes the two
    listed = {i["id"]: i for i in cms.get("/api/v1/items").json()["items"]}
    assert _shape(listed[probe]) == _shape(listed[control])
    for key in ("findings", "start", "end", "rule", "verdict", "counts", "match"):
        assert f'"{key}"' not in cms.get(f"/api/v1/items/{probe}").text, key
    assert "secret-list" not in str(seen) and "玄鸟三型" not in str(seen)
    figures("probe_candidates", candidates=len(CANDIDATES), on_list=1, distinguishable_fields=0)


def test_the_severity_count_opt_in_is_refused(app: App, monkeypatch: pytest.MonkeyPatch) -> None:
    """Issue 17: counts per severity differ between a draft with a listed name and one without (an oracle), so the
    former opt-in is refused and the CMS never sees counts or a verdict."""
    monkeypatch.setenv("REVIEWER_DATABASE_URL", str(app.settings.database_url))
    monkeypatch.setenv("REVIEWER_DATA_DIR", str(app.data_dir))
    item_id = _submit_and_scan(app, "opt-1", "关于赤霄工程的简报。")
    assert "counts" not in app.client("cms1").get(f"/api/v1/items/{item_id}").json()
    assert main(["units", "set", "U1", "--publisher-counts", "on"]) == 1
    seen = app.client("cms1").get(f"/api/v1/items/{item_id}").json()
    assert "counts" not in seen and "verdict" not in seen and "findings" not in seen and "赤霄工程" not in str(seen)
    with app.db.session() as s:
        assert not s.scalar(select(AuditEvent.data).where(AuditEvent.data.like('%"publisher_counts":true%')))


def test_submissions_are_rate_limited_per_token_with_a_chinese_429(sqlite_database_url: str, tmp_path: Path) -> None:
    a = make_app(sqlite_database_url, tmp_path / "data", REVIEWER_SUBMIT_RATE="5/minute")
    try:
        cms1, cms2 = a.client("cms1"), a.client("cms2")
        codes = [cms1.post("/api/v1/items", json={"external_id": f"rl-{i}", "content": f"正文{i}"}).status_code for i in range(8)]
        assert codes == [201] * 5 + [429] * 3, codes
        refused = cms1.post("/api/v1/items", json={"external_id": "rl-x", "content": "正文"})
        assert refused.status_code == 429 and "提交过于频繁" in refused.json()["detail"] and "每分钟最多 5 次" in refused.json()["detail"]
        assert 1 <= int(refused.headers["Retry-After"]) <= 60
        assert cms2.post("/api/v1/items", json={"external_id": "rl-0", "content": "正文"}).status_code == 201  # per token
        with a.db.session() as s:
            items = s.scalar(text("SELECT count(*) FROM items"))
            throttled = s.scalar(text("SELECT count(*) FROM audit_events WHERE action = 'submit_throttled'"))
        assert items == 6 and throttled == 1  # refused drafts are not stored; the refusal is logged once a minute
        # the auditor's view of the burst
        page = a.client()
        login(page, "aud")
        html = page.get("/audit/bursts?threshold=5").text
        assert "client:cms1" in html and "client:cms2" not in html
        row = re.search(r"<tr><td>[^<]*</td><td>client:cms1</td><td>U1</td><td>(\d+)</td><td>(\d+)</td><td>(\d+)</td>", html)
        assert row and row.groups() == ("5", "5", "1"), html[-1500:]
        for role in ("rev1",):
            other = a.client()
            login(other, role)
            assert other.get("/audit/bursts").status_code in (303, 403)
        figures("submit_rate_limit", limit="5/minute", accepted=5, refused=4, other_token_ok=1, throttle_events=1)
    finally:
        a.db.dispose()


def test_rate_limit_is_shared_by_api_processes_through_redis(redis_server: RedisServer, sqlite_database_url: str, tmp_path: Path) -> None:
    redis_server.flushall()
    env = {"REVIEWER_SUBMIT_RATE": "4/minute", "REVIEWER_RATE_LIMIT_STORAGE": redis_server.url}
    first = make_app(sqlite_database_url, tmp_path / "data", **env)
    from reviewer.api.app import create_app

    second = create_app(first.settings, enqueuer=None)  # a second API process on the same database and Redis
    try:
        from fastapi.testclient import TestClient

        clients = [first.client("cms1"), TestClient(second, headers={"Authorization": f"Bearer {first.tokens['cms1']}"})]
        codes = [clients[i % 2].post("/api/v1/items", json={"external_id": f"sh-{i}", "content": f"正文{i}"}).status_code
                 for i in range(6)]
        assert codes == [201] * 4 + [429] * 2, codes
    finally:
        second.state.db.dispose()
        first.db.dispose()


# ------------------------------------------------------------------ redaction walk


def _world(a: App) -> dict[str, int]:
    body = _submit_and_scan(a, "w-body", f"本局参与{TERMS[0]}与{TERMS[1]}的配套工作，详见附件。")
    title = _submit_and_scan(a, "w-title", "本周工作安排见正文。", title=f"{TERMS[2]}进展通报")
    failed = _submit_and_scan(a, "w-fail", "附件无法读取。")
    with a.db.session() as s:  # a scan failure whose reason quotes an embedded file named with a term
        s.execute(text("UPDATE items SET state = 'scanning' WHERE id = :i"), {"i": failed})
    with a.db.session() as s:
        reason = (f"Word 文档的部件“word/embeddings/{TERMS[1]}试验数据.txt”已损坏或被截断"
                  f"（Bad CRC-32 for file 'word/embeddings/{TERMS[1]}试验数据.txt'），无法审查")
        scanning.record_scan_failure(s, failed, reason)
    approved = _submit_and_scan(a, "w-ok", f"请各单位做好{TERMS[0]}相关保密工作。", title="保密工作提示")
    with a.db.session() as s:
        fids = list(s.execute(text("SELECT id FROM findings WHERE item_id = :i"), {"i": approved}).scalars())
    officer = a.client("off1")
    item = officer.get(f"/api/v1/items/{approved}").json()
    r = officer.post(f"/api/v1/items/{approved}/review", json={
        "content_sha256": item["content_sha256"], "decision": "return", "comment": "请修改后重新提交",
        "findings": [{"finding_id": f, "disposition": "confirmed", "reason": f"{TERMS[0]}不得公开"} for f in fids]})
    assert r.status_code == 422 and TERMS[0] not in r.text  # a reason holding the term is not stored (issue 17)
    r = officer.post(f"/api/v1/items/{approved}/review", json={
        "content_sha256": item["content_sha256"], "decision": "return", "comment": "请修改后重新提交",
        "findings": [{"finding_id": f, "disposition": "confirmed", "reason": "该项目名称不得公开"} for f in fids]})
    assert r.status_code == 200, r.text
    return {"body": body, "title": title, "failed": failed, "returned": approved}


def _texts(resp: Any) -> str:
    ctype = resp.headers.get("content-type", "")
    if "spreadsheetml" in ctype:
        with zipfile.ZipFile(io.BytesIO(resp.content)) as z:
            return "".join(z.read(n).decode("utf-8", "replace") for n in z.namelist())
    return resp.content.decode("utf-8", "replace")


def _get_routes(a: App, ids: dict[str, int]) -> list[str]:
    paths: list[str] = []
    for method, path in app_routes(a.app):  # every route the app serves, with the routers included
        if method != "GET" or "{name}" in path:
            continue
        if "{fmt}" in path:
            paths += [path.replace("{fmt}", f) for f in ("csv", "xlsx")]
        elif "{item_id}" in path:
            paths += [path.replace("{item_id}", str(i)) for i in ids.values()]
        else:
            paths.append(path)
    extra = [f"/audit?item_id={i}" for i in ids.values()] + [f"/audit/log?item_id={i}" for i in ids.values()]
    extra += ["/audit/log?action=scan_failed", "/audit/stats?year=2026", "/api/v1/items?limit=1000", "/audit/bursts?threshold=1"]
    return sorted(set(paths + extra))


def _leaks(text_: str, allowed: set[str] = frozenset()) -> list[str]:  # type: ignore[assignment]
    for a in allowed:
        text_ = text_.replace(a, "")
    return [t for t in TERMS if t in text_]


def test_every_route_for_every_role_that_may_not_see_the_terms(app: App) -> None:
    ids = _world(app)
    paths = _get_routes(app, ids)
    assert any(p.startswith("/audit/items/") for p in paths) and any(p.startswith("/api/v1/items/") for p in paths)
    own_title = f"{TERMS[2]}进展通报"  # the CMS's own headline: its text, not a disclosure of the list
    checked = 0
    found: list[str] = []
    api_roles = {"cms1": {own_title}, "cms2": set(), "rev2": set(), "off2": set(), "adm": set()}
    for who, allowed in api_roles.items():
        c = app.client(who)
        for p in paths:
            r = c.get(p)
            checked += 1
            found += [f"API {who} {p} ({r.status_code}): {t}" for t in _leaks(_texts(r), allowed)]
        for ext in ("w-body", "w-title", "w-ok"):
            r = c.post("/api/v1/release-check", json={"external_id": ext, "content": "x"})
            found += [f"API {who} release-check {ext}: {t}" for t in _leaks(_texts(r), allowed)]
    for who in ("rev2", "off2", "adm"):
        page = app.client()
        assert login(page, who).status_code == 303
        for p in paths:
            r = page.get(p)
            checked += 1
            found += [f"page {who} {p} ({r.status_code}): {t}" for t in _leaks(_texts(r))]
    assert not found, "\n".join(found)
    # the admin's redacted page says so, and shows no finding, explanation or position; every draft's title is hidden
    # alike (masking only those holding a finding would tell which names are listed: issue 17)
    page = app.client()
    login(page, "adm")
    html = page.get(f"/audit/items/{ids['body']}").text
    assert "您的角色不能查看稿件全文与命中内容" in html and "词表词语" not in html and "扫描发现（" not in html
    assert "（管理员不可见）" in page.get(f"/audit/items/{ids['title']}").text and "（管理员不可见）" in html
    # positive control: the same walk for a role that may see the terms finds them (the search can fail)
    auditor = app.client()
    login(auditor, "aud")
    assert set(_leaks(auditor.get(f"/audit/items/{ids['body']}").text)) == {TERMS[0], TERMS[1]}
    assert TERMS[1] in app.client("rev1").get(f"/api/v1/items/{ids['failed']}").text  # the unit's reviewers see the reason
    figures("term_redaction_walk", routes=len(paths), requests=checked, roles=len(api_roles) + 3, terms=len(TERMS), leaks=0)
    # a scan failure whose reason names an embedded file named with a term: neither the log nor the CMS repeats it
    with app.db.session() as s:
        data = s.scalar(select(AuditEvent.data).where(AuditEvent.action == "scan_failed", AuditEvent.item_id == ids["failed"]))
    assert data and not _leaks(data) and "embeddings" not in data and "CRC" not in data, data
    assert "已损坏或被截断" in data  # still says what went wrong
    seen = app.client("cms1").get(f"/api/v1/items/{ids['failed']}").json()
    assert seen["state"] == "scan_failed" and "已损坏或被截断" in seen["scan_error"] and not _leaks(seen["scan_error"])
