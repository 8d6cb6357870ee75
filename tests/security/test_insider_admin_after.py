"""The term-list oracle after approval (issue 17, "the admin learns the term list"), beyond what
tests/security/test_insider_admin.py compares: receipts and post-release alerts. The admin (or the CMS) has a listed
and an unlisted name (same length) approved and released while neither is in the unit's rules, then a rule-file
maintainer adds the listed one and the released items are rescanned (the listed one raises a block alert). Whatever
the admin or the CMS can read — item, item list, receipt, alerts, the admin's audit pages — must not differ, byte for
byte, once the values that name the item itself (ids, external ids, hashes, times, the name) are set aside. The
auditor and the unit's reviewers do see the alert (the comparison can fail)."""

from __future__ import annotations

import difflib
import hashlib
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from reviewer.workflow import rescan
from reviewer.workflow.jobs import ScannerCache, run_render, run_rescan, run_scan
from tests.security.conftest import App, make_app
from tests.web.helpers import login

LISTED, UNLISTED = "赤霄七号", "赤霄八号"
RULE = """id: org-codes
title: 本单位项目代号
kind: terms
severity: block
category: 本单位涉密事项
message: 出现本单位涉密项目代号，不得公开
boundary: any
terms:
  - 白鹭一号
"""


@pytest.fixture
def probe(sqlite_database_url: str, tmp_path: Path) -> Iterator[tuple[App, ScannerCache, Path]]:
    rules = tmp_path / "org-rules"
    rules.mkdir()
    (rules / "org-codes.yaml").write_text(RULE, encoding="utf-8")
    a = make_app(sqlite_database_url, tmp_path / "data", REVIEWER_RULES_PATH=str(rules))
    try:
        yield a, ScannerCache(a.settings), rules / "org-codes.yaml"
    finally:
        a.db.dispose()


def _released(a: App, scanners: ScannerCache, who: str, ext: str, name: str) -> dict[str, str]:
    content = f"各科室：{name}项目将于下周验收，请做好准备。联系人：李明。"
    r = a.client(who).post("/api/v1/items", json={"external_id": ext, "title": f"关于{name}项目验收的通知",
                                                  "channel": "通知公告", "content": content})
    assert r.status_code == 201, r.text
    got = r.json()
    assert run_scan(a.db, scanners, got["id"]) == "scanned", a.client("aud").get(f"/api/v1/items/{got['id']}").text
    run_render(a.db, scanners, got["id"])
    sha = hashlib.sha256(content.encode()).hexdigest()
    signed = a.client("rev1").post(f"/api/v1/items/{got['id']}/review", json={"content_sha256": sha, "decision": "approve"})
    assert signed.status_code == 200, signed.text
    released = a.client("cms1").post(f"/api/v1/items/{got['id']}/released", json={"content_sha256": sha})
    assert released.status_code == 200, released.text
    return {"id": str(got["id"]), "ext": ext, "sha": sha, "doc": got["document_sha256"], "name": name}


_TIME = re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?([+-]\d{2}:\d{2})?")
_SIGNATURE = re.compile(r'"signature":\s*"[A-Za-z0-9+/=_-]+"')


def _normal(text: str, item: dict[str, str]) -> str:
    for key in ("sha", "doc", "ext", "name"):
        text = text.replace(item[key], f"<{key}>")
    n = item["id"]
    text = re.sub(rf'("id":|"item_id":|\\"item_id\\":|/items/|>|稿件 |f-|#|\n)({n})(?![0-9A-Za-z])', r"\1<id>", text)
    text = re.sub(r"[A-Za-z0-9+/]{60,}={0,2}", "<base64>", text)  # a receipt's signature (differs for any two)
    text = re.sub(r"<tr><td>\d+</td>", "<tr><td><seq></td>", text)
    text = _SIGNATURE.sub('"signature":"<sig>"', text)
    text = re.sub(r'"receipt_id":\d+', '"receipt_id":<receipt>', text)  # numbered in order of approval
    return _TIME.sub("<time>", text)


def test_receipts_alerts_and_audit_pages_do_not_tell_a_listed_name_from_an_unlisted_one(
        probe: tuple[App, ScannerCache, Path]) -> None:
    a, scanners, rule_file = probe
    listed = _released(a, scanners, "adm", "late-1", LISTED)
    unlisted = _released(a, scanners, "adm", "late-2", UNLISTED)
    rule_file.write_text(RULE + f"  - {LISTED}\n", encoding="utf-8")  # the maintainer adds the listed name
    with a.db.session() as s:
        ids = rescan.fan_out(s)
    assert {int(listed["id"]), int(unlisted["id"])} <= set(ids)
    outcomes = {i: run_rescan(a.db, scanners, i) for i in (int(listed["id"]), int(unlisted["id"]))}
    assert outcomes == {int(listed["id"]): "alert", int(unlisted["id"]): "clean"}  # the probe is real
    aud = a.client("aud")
    assert [x["item_id"] for x in aud.get("/api/v1/alerts").json()["alerts"]] == [int(listed["id"])]

    def same(fetch, what: str) -> None:  # type: ignore[no-untyped-def]
        one, two = _normal(fetch(listed), listed), _normal(fetch(unlisted), unlisted)
        diff = "\n".join(difflib.unified_diff(one.splitlines(), two.splitlines(), lineterm="", n=1))
        assert one == two, (what, diff)

    for viewer in ("adm", "cms1"):
        c = a.client(viewer)
        same(lambda i: c.get(f"/api/v1/items/{i['id']}").text, f"{viewer}: item")  # noqa: B023
        same(lambda i: c.get("/api/v1/items", params={"external_id": i["ext"]}).text, f"{viewer}: list")  # noqa: B023
        same(lambda i: c.get(f"/api/v1/items/{i['id']}/receipt").text, f"{viewer}: receipt")  # noqa: B023
        alerts = c.get("/api/v1/alerts")  # which released draft raised an alert: closed to both
        assert alerts.status_code == 403 and "无权" in alerts.json()["detail"], (viewer, alerts.text)
    page = a.client()
    assert login(page, "adm").status_code == 303  # type: ignore[arg-type]
    same(lambda i: page.get(f"/audit/items/{i['id']}").text, "admin: audit item page")
    same(lambda i: page.get("/audit", params={"external_id": i["ext"]}).text, "admin: audit search")
    same(lambda i: page.get("/audit/export.csv", params={"external_id": i["ext"]}).text, "admin: export")
    same(lambda i: page.get(f"/review/items/{i['id']}").headers.get("location", ""), "admin: item page (a redirect)")
    same(lambda i: page.get(f"/review/items/{i['id']}/sheet").text, "admin: approval sheet")



def test_an_approval_over_a_dismissed_finding_looks_like_a_clean_one(probe: tuple[App, ScannerCache, Path]) -> None:
    """The listed name is in the rules from the start (a review-level rule); the reviewer marks its finding a false
    positive and approves
    (the unlisted name had none): the admin's and the CMS's views of both approvals, receipts and logs are the same."""
    a, scanners, rule_file = probe
    # a review-level rule (a block finding cannot be approved in U1 at all, whatever its disposition)
    rule_file.write_text(RULE.replace("severity: block", "severity: review") + f"  - {LISTED}\n", encoding="utf-8")
    items = {}
    for ext, name in (("fp-1", LISTED), ("fp-2", UNLISTED)):
        content = f"各科室：{name}项目将于下周验收，请做好准备。联系人：李明。"
        got = a.client("adm").post("/api/v1/items", json={"external_id": ext, "title": f"关于{name}项目验收的通知",
                                                          "channel": "通知公告", "content": content}).json()
        assert run_scan(a.db, scanners, got["id"]) == "scanned"
        run_render(a.db, scanners, got["id"])
        detail = a.client("rev1").get(f"/api/v1/items/{got['id']}").json()
        sha = hashlib.sha256(content.encode()).hexdigest()
        dispositions = [{"finding_id": f["id"], "disposition": "false_positive", "reason": "非本单位项目代号"}
                        for f in detail["findings"]]
        assert bool(dispositions) == (name == LISTED), detail["findings"]  # the probe is real
        r = a.client("rev1").post(f"/api/v1/items/{got['id']}/review",
                                  json={"content_sha256": sha, "decision": "approve", "findings": dispositions})
        assert r.status_code == 200, r.text
        items[name] = {"id": str(got["id"]), "ext": ext, "sha": sha, "doc": got["document_sha256"], "name": name}
    listed, unlisted = items[LISTED], items[UNLISTED]

    def same(fetch, what: str) -> None:  # type: ignore[no-untyped-def]
        one, two = _normal(fetch(listed), listed), _normal(fetch(unlisted), unlisted)
        diff = "\n".join(difflib.unified_diff(one.splitlines(), two.splitlines(), lineterm="", n=1))
        assert one == two, (what, diff)

    for viewer in ("adm", "cms1"):
        c = a.client(viewer)
        same(lambda i: c.get(f"/api/v1/items/{i['id']}").text, f"{viewer}: item")  # noqa: B023
        same(lambda i: c.get(f"/api/v1/items/{i['id']}/receipt").text, f"{viewer}: receipt")  # noqa: B023
    page = a.client()
    assert login(page, "adm").status_code == 303  # type: ignore[arg-type]
    same(lambda i: page.get(f"/audit/items/{i['id']}").text, "admin: audit item page")
    same(lambda i: page.get("/audit/export.csv", params={"external_id": i["ext"]}).text, "admin: export")
