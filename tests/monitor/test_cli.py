"""`reviewer monitor` end to end: the unit's approved versions come from the database, the local site is served on
loopback; the JSON lines contract, exit codes, the Chinese report, the stored run with its alerts and events, and the
officer's handling."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from reviewer.accounts import manage as accounts
from reviewer.accounts.actor import Actor
from reviewer.audit import events as audit
from reviewer.cli import main
from reviewer.errors import InvalidInput, PermissionDenied
from reviewer.settings import Settings
from reviewer.store.models import APPROVED, RELEASED, Alert, AuditEvent, Item, MonitorResult, MonitorRun, Review, User
from reviewer.store.session import Database
from reviewer.workflow import monitoring
from reviewer.workflow.runtime import open_database
from tests.monitor import site

KEYS = {"url", "kind", "status", "item_id", "verdict", "findings"}


@pytest.fixture
def db(sqlite_database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Database, dict[int, int]]]:
    """The unit U1 with the site's approved versions (rows as sign-off leaves them); returns the database and
    site item number → database item id."""
    monkeypatch.setenv("REVIEWER_DATABASE_URL", sqlite_database_url)
    monkeypatch.setenv("REVIEWER_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("REVIEWER_RULES_PATH", raising=False)
    monkeypatch.setenv("REVIEWER_MONITOR_INTERVAL", "0")  # loopback: no need to spare the test's own server
    database = open_database(Settings.from_env())
    ids: dict[int, int] = {}
    with database.session() as s:
        unit = accounts.create_unit(s, "U1", "某某市人民政府办公室")
        accounts.create_unit(s, "U2", "另一单位")
        rev = accounts.create_user(s, "rev1", "U1", "reviewer", display_name="李审查")
        accounts.create_user(s, "off1", "U1", "officer", display_name="王保密")
        accounts.create_user(s, "rev2", "U2", "reviewer")
        s.flush()
        for a in site.APPROVED:
            item = Item(external_id=f"doc-{a.item_id}", unit_id=unit.id, title=a.title, file_name=a.file_name, content=a.content,
                        content_sha256=hashlib.sha256(a.content).hexdigest(), state=RELEASED if a.urls else APPROVED,
                        verdict="pass", rules_version="old")
            s.add(item)
            s.flush()
            s.add(Review(item_id=item.id, reviewer_id=rev.id, decision="approve", content_sha256=item.content_sha256,
                         rules_version="old"))
            for url in a.urls:
                audit.append(s, "released", Actor("client:cms", "publisher", unit.id, "U1"), unit_code="U1", item_id=item.id,
                             data={"url": url})
            ids[a.item_id] = item.id
    try:
        yield database, ids
    finally:
        database.dispose()


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[site.Server]:
    root = site.write(tmp_path_factory.mktemp("site"), site.pages())
    with site.serve(root) as server:
        yield server


def _run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["monitor", *args])
    out = capsys.readouterr()
    return code, out.out, out.err


def test_json_contract_statuses_and_exit_code(db, served: site.Server, capsys: pytest.CaptureFixture[str]) -> None:  # type: ignore[no-untyped-def]
    database, ids = db
    code, out, _err = _run(capsys, "--unit", "U1", "--url", served.base + "/", "--format", "json")
    lines = [json.loads(line) for line in out.splitlines()]
    resources, summary = lines[:-1], lines[-1]
    assert all(KEYS <= set(r) for r in resources)
    got = {r["url"].replace(served.base, ""): (r["status"], r["item_id"]) for r in resources}
    want = {path: (status, ids[n] if n is not None else None) for path, (status, n) in site.EXPECTED.items()}
    assert got == want
    assert summary["summary"] == {"pages": 11, "attachments": 3, "signed": 4, "changed": 3, "unsigned": 6, "unreadable": 1}
    assert code == 2  # an unreadable attachment outranks the changed and unsigned pages
    for r in resources:
        assert r["verdict"] in ("pass", "review", "block", "error")
        assert all({"rule", "severity", "location"} <= set(f) for f in r["findings"])
        if r["status"] == "unreadable":
            assert r["verdict"] == "error" and r["reason"]
    # the run is stored with its time and rules version, alerts raised, events logged
    with database.session() as s:
        run = s.execute(select(MonitorRun)).scalar_one()
        assert (run.state, run.trigger, run.pages, run.changed) == ("done", "cli", 11, 3)
        assert run.rules_version == summary["rules_version"] and run.finished_at is not None
        alerts = s.execute(select(Alert).where(Alert.monitor_result_id.is_not(None))).scalars().all()
        alerted = {s.get(MonitorResult, a.monitor_result_id).url.replace(served.base, "") for a in alerts}
        # changed pages; unsigned with findings; a signed page the rules block would be here too
        assert {"/xwdt/2024/a2.html", "/xwdt/2024/a8.html", "/xxgk/a4.html", "/files/mingdan.docx"} <= alerted
        assert "/xwdt/2024/a1.html" not in alerted and "/xwdt/2024/a3.html" not in alerted
        actions = [e.action for e in s.execute(select(AuditEvent).order_by(AuditEvent.seq)).scalars()]
        assert "monitor_run" in actions and actions.count("alert") == len(alerts)


def test_second_run_does_not_repeat_open_alerts(db, served: site.Server, capsys: pytest.CaptureFixture[str]) -> None:  # type: ignore[no-untyped-def]
    database, _ids = db
    _run(capsys, "--unit", "U1", "--url", served.base + "/", "--format", "json")
    with database.session() as s:
        first = len(s.execute(select(Alert)).scalars().all())
    _run(capsys, "--unit", "U1", "--url", served.base + "/", "--format", "json")
    with database.session() as s:
        assert len(s.execute(select(Alert)).scalars().all()) == first
        assert len(s.execute(select(MonitorRun)).scalars().all()) == 2


def test_text_report_reads_like_an_inspection_report(db, served: site.Server, capsys: pytest.CaptureFixture[str]) -> None:  # type: ignore[no-untyped-def]
    _database, ids = db
    code, out, _err = _run(capsys, "--unit", "U1", "--url", served.base + "/")
    assert code == 2
    for heading in ("网站巡检报告", "问题页面", "原因：", "对应的审查记录：稿件编号", "签署人：李审查", "站外链接"):
        assert heading in out, heading
    edited = out.split("/xwdt/2024/a2.html", 1)[1].split("\n\n", 1)[0]
    assert f"稿件编号 {ids[2]}" in edited and "签署后被改动" in edited and "5月1日" in edited


def test_bad_input_is_a_chinese_error_and_exit_2(db, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    for args, words in [
        (["--unit", "NOPE", "--url", "http://127.0.0.1:9/"], "单位 NOPE 不存在"),
        (["--unit", "U1", "--url", "ftp://example.org/"], "不是 http"),
        (["--unit", "U1", "--url", "http://127.0.0.1:9/", "--from-dir", str(tmp_path / "none")], "不存在"),
        (["--unit", "U1", "--url", "http://127.0.0.1:9/", "--max-pages", "0"], "至少为 1"),
    ]:
        code, out, err = _run(capsys, *args)
        assert code == 2 and words in err and "Traceback" not in err + out


def test_unreachable_site_is_unreadable_not_skipped(db, capsys: pytest.CaptureFixture[str]) -> None:  # type: ignore[no-untyped-def]
    from tests.services import free_port

    code, out, _err = _run(capsys, "--unit", "U1", "--url", f"http://127.0.0.1:{free_port()}/", "--format", "json")
    lines = [json.loads(line) for line in out.splitlines()]
    assert code == 2 and lines[0]["status"] == "unreadable" and "无法" in lines[0]["reason"]
    assert lines[-1]["summary"]["unreadable"] == 1


def test_officer_handles_a_problem_with_a_reason_and_it_is_logged(db, served: site.Server,  # type: ignore[no-untyped-def]
                                                                  capsys: pytest.CaptureFixture[str]) -> None:
    database, _ids = db
    _run(capsys, "--unit", "U1", "--url", served.base + "/", "--format", "json")
    with database.session() as s:
        row = s.execute(select(MonitorResult).where(MonitorResult.url.like("%/a2.html"))).scalar_one()
        officer = s.execute(select(User).where(User.username == "off1")).scalar_one()
        reviewer_other = s.execute(select(User).where(User.username == "rev2")).scalar_one()
        with pytest.raises(PermissionDenied):
            monitoring.handle(s, row.id, reviewer_other, "不是本单位")
        with pytest.raises(InvalidInput):
            monitoring.handle(s, row.id, officer, "  ")
        monitoring.handle(s, row.id, officer, "已按签署版本恢复")
        row_id = row.id
        unsigned = s.execute(select(MonitorResult).where(MonitorResult.url.like("%/mingdan.docx"))).scalar_one().id
    with database.session() as s:
        alert = s.execute(select(Alert).where(Alert.monitor_result_id == row_id)).scalar_one()
        assert alert.resolved_at is not None
        officer = s.execute(select(User).where(User.username == "off1")).scalar_one()
        new_id = monitoring.open_item(s, unsigned, officer, "补充审查")
    with database.session() as s:
        item = s.get(Item, new_id)
        assert item is not None and item.state == "queued" and item.channel == "网站巡检"
        handled = [json.loads(e.data) for e in s.execute(select(AuditEvent).where(AuditEvent.action == "monitor_handled")).scalars()]
        assert [h["monitor_result_id"] for h in handled] == [row_id, unsigned]
        assert handled[0]["reason"] == "已按签署版本恢复"


def test_units_set_site_and_schedule(db, capsys: pytest.CaptureFixture[str]) -> None:  # type: ignore[no-untyped-def]
    database, _ids = db
    assert main(["units", "set", "U1", "--site", "https://www.example.gov.cn/", "--monitor-every", "12h"]) == 0
    assert "每 12 小时" in capsys.readouterr().out
    with database.session() as s:
        assert monitoring.claim_due(s) != []
    with database.session() as s:
        assert monitoring.claim_due(s) == []  # claimed: the next run is 12 hours away
    assert main(["units", "set", "U1", "--monitor-every", "1m"]) == 1
    assert "至少为 5 分钟" in capsys.readouterr().err
