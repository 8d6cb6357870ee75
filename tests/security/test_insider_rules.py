"""Whoever maintains the rule files drops a term for one scan, approves a draft holding it, and restores the term.
Before issue 17 the only trace was another rules-version hash; release-check still answered approved: true for
content the current rules block, and `rescan --released` skipped approved items not yet released.

Real scans (workflow.jobs.run_scan / run_rescan with the real scanner in its isolated child process) on a fresh
database; the rule file is edited on disk between scans as its maintainer would."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from reviewer.audit import verify as audit_verify
from reviewer.scan.model import ScanResult
from reviewer.store.models import AuditEvent, Item
from reviewer.workflow import rescan, scanning
from reviewer.workflow.jobs import ScannerCache, run_render, run_rescan, run_scan
from reviewer.workflow.receipts import load_or_create_key
from tests.security.conftest import App, make_app

TERMS = ["青鸾四号", "赤霄七号", "玄武九号"]
RULE = """id: org-codes
title: 本单位项目代号
kind: terms
severity: block
category: 本单位涉密事项
message: 出现本单位涉密项目代号，不得公开
boundary: any
terms:
{terms}
"""
TEXT = "区科技局关于组织申报二〇二六年度科技计划项目的通知。"


def _write(rules: Path, terms: list[str]) -> None:
    (rules / "org-codes.yaml").write_text(RULE.format(terms="\n".join(f"  - {t}" for t in terms)), encoding="utf-8")


@pytest.fixture(scope="module")
def org(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[App, Path, ScannerCache]]:
    from tests.services import fresh_sqlite_url

    tmp_path = tmp_path_factory.mktemp("insider")
    sqlite_database_url = fresh_sqlite_url(tmp_path / "db")
    rules = tmp_path / "org-rules"
    rules.mkdir()
    _write(rules, TERMS)
    a = make_app(sqlite_database_url, tmp_path / "data", REVIEWER_RULES_PATH=str(rules))
    try:
        yield a, rules, ScannerCache(a.settings)
    finally:
        a.db.dispose()


def _submit(a: App, ext: str, body: str) -> int:
    r = a.client("cms1").post("/api/v1/items", json={"external_id": ext, "content": body})
    assert r.status_code == 201, r.text
    return int(r.json()["id"])


def _scan(a: App, scanners: ScannerCache, ext: str, body: str) -> int:
    item_id = _submit(a, ext, body)
    assert run_scan(a.db, scanners, item_id) == "scanned"
    assert run_render(a.db, scanners, item_id) in ("rendered", "skipped")  # what the render queue's worker does next
    return item_id


def _events(a: App, action: str) -> list[tuple[int, dict]]:  # type: ignore[type-arg]
    with a.db.session() as s:
        return [(seq, json.loads(data)) for seq, data in
                s.execute(select(AuditEvent.seq, AuditEvent.data).where(AuditEvent.action == action).order_by(AuditEvent.seq))]


def _check(a: App, ext: str, body: str) -> dict:  # type: ignore[type-arg]
    return a.client("cms1").post("/api/v1/release-check", json={"external_id": ext, "content": body}).json()


def test_dropped_term_is_logged_and_the_gate_follows_the_current_rules(org: tuple[App, Path, ScannerCache]) -> None:
    a, rules, scanners = org
    first = _scan(a, scanners, "r-1", TEXT)
    loaded = _events(a, "rules_loaded")
    assert len(loaded) == 1 and loaded[0][1]["previous"] is None
    (scan_seq,) = [seq for seq, d in _events(a, "scan")]
    assert loaded[0][0] < scan_seq  # logged before the scan
    v1 = loaded[0][1]["rules_version"]

    _write(rules, TERMS[1:])  # the maintainer drops 青鸾四号 …
    body = TEXT + "项目代号青鸾四号。"
    held = _scan(a, scanners, "r-2", body)
    loaded = _events(a, "rules_loaded")
    assert len(loaded) == 2
    change = loaded[1][1]
    assert change["previous"] == v1 and change["files_changed"] == 1
    assert change["files"] == [{"rule": "org-codes", "file": "org-codes.yaml", "change": "changed", "gained": 0, "lost": 1,
                                "owner": change["files"][0]["owner"]}]
    assert change["loaded_by"]
    with a.db.session() as s:
        item = s.get(Item, held)
        assert item is not None and item.verdict == "pass"
        sha = item.content_sha256
    r = a.client("rev1").post(f"/api/v1/items/{held}/review", json={"content_sha256": sha, "decision": "approve"})
    assert r.status_code == 200, r.text
    assert _check(a, "r-2", body)["approved"] is True  # under the rules it was approved with

    _write(rules, TERMS)  # … and restores it: the switch back is logged too
    _scan(a, scanners, "r-3", TEXT + "三")
    back = _events(a, "rules_loaded")[-1][1]
    assert back["rules_version"] == v1 and back["files"][0]["gained"] == 1 and back["files"][0]["lost"] == 0
    # the log names files and counts, never a term
    with a.db.session() as s:
        everything = " ".join(s.execute(select(AuditEvent.data)).scalars())
    assert not any(t in everything for t in TERMS)

    check = _check(a, "r-2", body)
    assert check["approved"] is False and "规则已更新" in check["reason"] and "复扫" in check["reason"], check
    with a.db.session() as s:
        assert held in rescan.released_item_ids(s) and first not in rescan.released_item_ids(s)  # approved, not released
    assert run_rescan(a.db, scanners, held) == "alert"
    check = _check(a, "r-2", body)
    assert check["approved"] is False and "预警" in check["reason"], check
    with a.db.session() as s:
        report = audit_verify.run(s, receipt_key=load_or_create_key(a.data_dir).public, settings=a.settings)
    assert report.ok, report.unexplained
    from tests.web.helpers import login

    officer = a.client()
    assert login(officer, "off1").status_code == 303  # type: ignore[arg-type]
    shown = officer.get("/officer").text
    assert "规则集变更" in shown and "org-codes.yaml 修改（+0 / −1" in shown and not any(t in shown for t in TERMS), shown[-3000:]


def test_verify_refuses_a_scan_whose_rules_version_was_never_logged(org: tuple[App, Path, ScannerCache]) -> None:
    a, _rules, scanners = org
    _scan(a, scanners, "v-1", TEXT)
    item_id = _submit(a, "v-2", TEXT + "二")
    with a.db.session() as s:  # a worker that scans without logging its rules (an old or altered build)
        scanning.start_scan(s, item_id)
    with a.db.session() as s:
        scanning.record_scan(s, item_id, ScanResult(rules_version=hashlib.sha256(b"x").hexdigest()[:16]))
    with a.db.session() as s:
        report = audit_verify.run(s, receipt_key=load_or_create_key(a.data_dir).public, settings=a.settings)
    assert any(f"稿件 {item_id}" in u and "没有登记" in u for u in report.unexplained), report.unexplained
