"""The admin (or a publisher, or the CMS) probes the term list: submit drafts with candidate names and read back what
the system shows. Whatever they can see must be byte for byte the same for a listed and an unlisted name, once the
values that name the item itself (ids, external ids, hashes, times, and the name as submitted) are set aside.
Before issue 17 the admin saw verdict, counts, findings' rule ids and a title masked only when it held a finding;
a unit could opt its CMS into severity counts. Real scans with a real rule file."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest

from reviewer.workflow.jobs import ScannerCache, run_render, run_scan
from tests.security.conftest import App, make_app
from tests.web.helpers import login

LISTED, UNLISTED = "青鸾四号", "青鸾五号"  # same length; only the first is in the unit's rule file
RULE = """id: org-codes
title: 本单位项目代号
kind: terms
severity: block
category: 本单位涉密事项
message: 出现本单位涉密项目代号，不得公开
boundary: any
terms:
  - 青鸾四号
"""


@pytest.fixture(scope="module")
def probe(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[App, ScannerCache]]:
    from tests.services import fresh_sqlite_url

    tmp_path = tmp_path_factory.mktemp("insider")
    sqlite_database_url = fresh_sqlite_url(tmp_path / "db")
    rules = tmp_path / "org-rules"
    rules.mkdir()
    (rules / "org-codes.yaml").write_text(RULE, encoding="utf-8")
    a = make_app(sqlite_database_url, tmp_path / "data", REVIEWER_RULES_PATH=str(rules))
    try:
        yield a, ScannerCache(a.settings)
    finally:
        a.db.dispose()


def _submit(a: App, scanners: ScannerCache, who: str, ext: str, name: str) -> dict[str, str]:
    body = {"external_id": ext, "title": f"关于{name}项目验收的通知", "channel": "通知公告",
            "content": f"各科室：{name}项目将于下周验收，请做好准备。联系人：李明。"}
    r = a.client(who).post("/api/v1/items", json=body)
    assert r.status_code == 201, r.text
    got = r.json()
    assert run_scan(a.db, scanners, got["id"]) == "scanned"
    run_render(a.db, scanners, got["id"])
    return {"id": str(got["id"]), "ext": ext, "sha": got["content_sha256"], "doc": got["document_sha256"], "name": name}


_TIME = re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?([+-]\d{2}:\d{2})?")


def _normal(text: str, item: dict[str, str]) -> str:
    for key in ("sha", "doc", "ext", "name"):
        text = text.replace(item[key], f"<{key}>")
    n = item["id"]
    text = re.sub(rf'("id":|"item_id":|/items/|>|稿件 |f-|#|\n)({n})(?![0-9])', r"\1<id>", text)
    text = re.sub(r"<tr><td>\d+</td>", "<tr><td><seq></td>", text)  # the review log's sequence numbers
    return _TIME.sub("<time>", text)


def _views(a: App, listed: dict[str, str], unlisted: dict[str, str], fetch) -> tuple[str, str]:  # type: ignore[no-untyped-def]
    return _normal(fetch(listed), listed), _normal(fetch(unlisted), unlisted)


def test_admin_and_cms_see_the_same_for_a_listed_and_an_unlisted_name(probe: tuple[App, ScannerCache]) -> None:
    a, scanners = probe
    for who in ("adm",):  # the admin submits its probes (a CMS's go through the same code and views)
        listed = _submit(a, scanners, who, f"probe-{who}-1", LISTED)
        unlisted = _submit(a, scanners, who, f"probe-{who}-2", UNLISTED)
        # the auditor sees the difference: the probe is real, and the comparison below can fail
        aud = a.client("aud")
        assert aud.get(f"/api/v1/items/{listed['id']}").json()["verdict"] == "block"
        assert aud.get(f"/api/v1/items/{unlisted['id']}").json()["verdict"] == "pass"
        for viewer in ("adm", "cms1"):
            c = a.client(viewer)
            one, two = _views(a, listed, unlisted, lambda i: c.get(f"/api/v1/items/{i['id']}").text)  # noqa: B023
            assert one == two, (viewer, one, two)
            one, two = _views(a, listed, unlisted, lambda i: c.get("/api/v1/items", params={"external_id": i["ext"]}).text)  # noqa: B023
            assert one == two, (viewer, one, two)
        page = a.client()
        assert login(page, "adm").status_code == 303  # type: ignore[arg-type]
        one, two = _views(a, listed, unlisted, lambda i: page.get(f"/audit/items/{i['id']}").text)
        assert one == two, "admin's item page differs"
        one, two = _views(a, listed, unlisted, lambda i: page.get("/audit", params={"external_id": i["ext"]}).text)
        assert one == two, "admin's search page differs"
        one, two = _views(a, listed, unlisted, lambda i: page.get("/audit/export.csv", params={"external_id": i["ext"]}).text)
        assert one == two, "admin's export differs"
    # the routes that only tell findings apart are closed to the admin
    page = a.client()
    login(page, "adm")  # type: ignore[arg-type]
    assert page.get("/audit", params={"rule": "org-codes"}).status_code == 403
    for path in ("/audit/log", "/audit/stats", "/audit/bursts"):
        assert page.get(path).status_code == 403, path


def test_cms_severity_counts_option_is_gone(probe: tuple[App, ScannerCache], monkeypatch: pytest.MonkeyPatch,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    a, scanners = probe
    from reviewer.cli import main

    monkeypatch.setenv("REVIEWER_DATABASE_URL", str(a.settings.database_url))
    monkeypatch.setenv("REVIEWER_DATA_DIR", str(a.data_dir))
    assert main(["units", "set", "U1", "--publisher-counts", "on"]) == 1
    assert "已取消" in capsys.readouterr().err
    from sqlalchemy import text

    with a.db.session() as s:  # even a unit row with the old opt-in set shows the CMS no counts
        s.execute(text("UPDATE units SET publisher_counts = 1"))
    item = _submit(a, scanners, "cms1", "counts-1", LISTED)
    body = a.client("cms1").get(f"/api/v1/items/{item['id']}").json()
    assert "counts" not in body and "verdict" not in body and "findings" not in body


def test_a_comment_holding_a_term_is_refused_and_location_feedback_is_sent_instead(probe: tuple[App, ScannerCache]) -> None:
    a, scanners = probe
    item = _submit(a, scanners, "cms1", "comment-1", LISTED)
    rev = a.client("rev1")
    detail = rev.get(f"/api/v1/items/{item['id']}").json()
    finding = next(f for f in detail["findings"] if f["location"] == "正文")
    base = {"content_sha256": item["sha"], "decision": "return",
            "findings": [{"finding_id": f["id"], "disposition": "confirmed", "reason": "项目代号不得公开"} for f in detail["findings"]]}
    r = rev.post(f"/api/v1/items/{item['id']}/review", json={**base, "comment": f"请删除“{LISTED}”后重新提交"})
    assert r.status_code == 422 and "审查意见" in r.json()["detail"] and LISTED not in r.text, r.text
    bad_reason = {**base, "findings": [{**base["findings"][0], "reason": f"{LISTED}是涉密代号"}]}  # type: ignore[dict-item]
    r = rev.post(f"/api/v1/items/{item['id']}/review", json=bad_reason)
    assert r.status_code == 422 and "处置理由" in r.json()["detail"] and LISTED not in r.text
    r = rev.post(f"/api/v1/items/{item['id']}/review", json={**base, "comment": "请按所示位置修改后重新提交",
                                                           "feedback": [finding["id"]]})
    assert r.status_code == 200, r.text
    seen = a.client("cms1").get(f"/api/v1/items/{item['id']}").json()
    comment = seen["reviews"][0]["comment"]
    assert "按位置反馈" in comment and "第 1 段第" in comment and LISTED not in comment, comment
    assert "org-codes" not in comment and "项目代号" not in comment  # location only: no rule, no category
