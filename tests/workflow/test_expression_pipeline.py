"""表述 findings through the pipeline (the worker's run_scan on SQLite): stored with their suggestion, dropped for a
unit that switched the built-in pack off (its own titles rule and the secrecy rules stay on), counted in the year's
statistics as found and fixed."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from reviewer.accounts import manage as accounts
from reviewer.audit.statistics import BEIJING, Period, compute
from reviewer.settings import REPO_ROOT, Settings
from reviewer.store.models import AuditEvent, Finding, Item
from reviewer.store.session import Database
from reviewer.workflow import jobs, submit
from reviewer.workflow.runtime import open_database
from tests.workflow.conftest import RecordingEnqueuer
from tests.workflow.helpers import client

PACK = {"political-fixed-expressions", "territorial-expressions", "xinhua-banned-words"}
TEXT = "认真学习宣传贯彻党十九大精神，邀请德国、台湾等国家的专家参会。局长苏晴岚出席。"


@pytest.fixture
def env(sqlite_database_url: str, tmp_path: Path) -> Iterator[tuple[Database, jobs.ScannerCache]]:
    settings = Settings.from_env({"REVIEWER_DATABASE_URL": sqlite_database_url, "REVIEWER_DATA_DIR": str(tmp_path / "data"),
                                  "REVIEWER_RULES_PATH": str(REPO_ROOT / "examples" / "org-rules")})
    db = open_database(settings, RecordingEnqueuer())
    with db.session() as s:
        for code in ("U1", "U2"):
            accounts.create_unit(s, code, f"单位{code}", unknown_author="reviewer")
            accounts.create_token(s, unit=accounts.get_unit(s, code), client_name=f"cms-{code}")
    try:
        yield db, jobs.ScannerCache(settings)
    finally:
        db.dispose()


def _scan(db: Database, scanners: jobs.ScannerCache, unit: str, text: str, external_id: str = "d-1") -> list[Finding]:
    with db.session() as s:
        item_id = submit.submit(s, client(s, f"cms-{unit}"), external_id=external_id, content=text.encode(), title="通知").item.id
    assert jobs.run_scan(db, scanners, item_id) == "scanned"
    with db.session() as s:
        return list(s.scalars(select(Finding).where(Finding.item_id == item_id).order_by(Finding.seq)))


def test_findings_keep_their_suggestion(env: tuple[Database, jobs.ScannerCache]) -> None:
    db, scanners = env
    rows = _scan(db, scanners, "U1", TEXT)
    got = {(f.rule, f.match, f.suggestion) for f in rows if f.category == "表述"}
    assert got == {("political-fixed-expressions", "党十九大", "党的十九大"),
                   ("territorial-expressions", "等国家", "等国家和地区"),
                   ("org-leaders", "局长苏晴岚", "副局长苏晴岚")}
    assert all(f.message.startswith("应为：") for f in rows if f.suggestion)


def test_a_unit_switches_the_pack_off(env: tuple[Database, jobs.ScannerCache]) -> None:
    db, scanners = env
    with db.session() as s:
        accounts.set_expression_checks(s, accounts.get_unit(s, "U2"), False)
    off = _scan(db, scanners, "U2", TEXT + "\n机密★10年\n")
    on = _scan(db, scanners, "U1", TEXT + "\n机密★10年\n", external_id="d-2")
    assert not {f.rule for f in off} & PACK and {f.rule for f in on} & PACK == {"political-fixed-expressions",
                                                                               "territorial-expressions"}
    assert {"org-leaders", "classification-marking"} <= {f.rule for f in off}  # its own rules and secrecy stay on
    with db.session() as s:
        events = [json.loads(e.data) for e in s.scalars(select(AuditEvent).where(AuditEvent.action == "unit_updated"))]
    assert {"expression_checks": False} in events


def test_statistics_count_found_and_fixed(env: tuple[Database, jobs.ScannerCache]) -> None:
    db, scanners = env
    first = _scan(db, scanners, "U1", "贯彻党十九大精神，弘扬社会注意核心价值观。", external_id="draft")
    assert sum(f.category == "表述" for f in first) == 2
    with db.session() as s:  # the author resubmits with one of the two corrected
        prev = s.get(Item, first[0].item_id)
        assert prev is not None
        submit.submit(s, client(s, "cms-U1"), external_id="draft", content="贯彻党的十九大精神，弘扬社会注意核心价值观。".encode(),
                      title="通知")
    with db.session() as s:
        latest = s.scalars(select(Item).where(Item.external_id == "draft").order_by(Item.version.desc())).first()
        assert latest is not None and latest.version == 2
        latest_id = latest.id
    assert jobs.run_scan(db, scanners, latest_id) == "scanned"
    _scan(db, scanners, "U2", "无表述问题的通知。", external_id="clean")
    with db.session() as s:
        stats = compute(s, Period(datetime.now(BEIJING).year))
    by_unit = {u.unit_code: u for u in stats.units}
    # version 1: 2 problems, one gone in version 2; version 2: 1 problem, no later version
    assert (by_unit["U1"].expression_found, by_unit["U1"].expression_fixed) == (3, 1)
    assert (by_unit["U2"].expression_found, by_unit["U2"].expression_fixed) == (0, 0)
    assert (stats.total.expression_found, stats.total.expression_fixed) == (3, 1)
