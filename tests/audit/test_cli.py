"""`reviewer audit …` against a migrated SQLite database, including a verify that must fail after a direct edit."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import openpyxl
import pytest
from sqlalchemy import text

from reviewer.cli import main
from reviewer.settings import Settings
from reviewer.workflow.runtime import open_database
from tests.audit.fixtures import add_event, populate, t


@pytest.fixture
def env_db(sqlite_database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    monkeypatch.setenv("REVIEWER_DATABASE_URL", sqlite_database_url)
    monkeypatch.setenv("REVIEWER_DATA_DIR", str(tmp_path / "data"))
    db = open_database(Settings.from_env())
    with db.session() as s:
        populate(s)
        for i in range(5):
            add_event(s, "submit", at=t(3, 1, i), actor="client:cms", role="publisher", unit="A", item_id=i + 1)
    yield db
    db.dispose()


@pytest.fixture
def chain_db(sqlite_database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    """Events only (no item rows: the rows-against-log cross-check is tested in tests/security/test_release_proof.py)."""
    monkeypatch.setenv("REVIEWER_DATABASE_URL", sqlite_database_url)
    monkeypatch.setenv("REVIEWER_DATA_DIR", str(tmp_path / "data"))
    db = open_database(Settings.from_env())
    with db.session() as s:
        for i in range(5):
            add_event(s, "login", at=t(3, 1, i), actor="rev_a", role="reviewer", unit="A")
    yield db
    db.dispose()


def test_verify_head_and_tamper(chain_db, capsys: pytest.CaptureFixture[str]) -> None:  # type: ignore[no-untyped-def]
    assert main(["audit", "verify"]) == 0
    out = capsys.readouterr().out
    assert "校验通过：共 5 条事件" in out
    assert main(["audit", "head"]) == 0
    recorded = capsys.readouterr().out.strip().splitlines()[-1]
    assert len(recorded) == 64
    assert main(["audit", "verify", "--expect-head", recorded]) == 0
    capsys.readouterr()
    with chain_db.session() as s:
        s.execute(text("UPDATE audit_events SET action = 'approve' WHERE seq = 3"))
    assert main(["audit", "verify"]) == 1
    err = capsys.readouterr().err
    assert "第 3 号事件" in err and "断裂" in err


def test_verify_catches_cut_tail_with_recorded_head(chain_db, capsys: pytest.CaptureFixture[str]) -> None:  # type: ignore[no-untyped-def]
    main(["audit", "head"])
    recorded = capsys.readouterr().out.strip().splitlines()[-1]
    with chain_db.session() as s:
        s.execute(text("DELETE FROM audit_events WHERE seq = 5"))
    assert main(["audit", "verify"]) == 0
    assert main(["audit", "verify", "--expect-head", recorded]) == 1


def test_stats_table(env_db, capsys: pytest.CaptureFixture[str]) -> None:  # type: ignore[no-untyped-def]
    assert main(["audit", "stats", "--year", "2026", "--rules"]) == 0
    out = capsys.readouterr().out
    assert "保密审查统计：2026年按单位统计" in out and "签署用时中位数" in out
    lines = out.splitlines()
    a = next(line for line in lines if line.startswith("甲局"))
    assert a.split()[:4] == ["甲局", "6", "5", "2"]
    assert next(line for line in lines if line.startswith("合计")).split()[1] == "7"
    assert "pii.mobile" in out and "50.0%" in out
    assert main(["audit", "stats", "--year", "2026", "--month", "13"]) == 2


def test_export_csv_and_xlsx(env_db, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "a.csv"
    assert main(["audit", "export", "--out", str(out), "--unit", "A", "--since", "2026-03-01", "--until", "2026-03-31"]) == 0
    rows = list(csv.reader(io.StringIO(out.read_bytes().decode("utf-8-sig"))))
    assert sorted(r[1] for r in rows[1:]) == ["A1", "A2", "A3", "A4"]
    x = tmp_path / "a.xlsx"
    assert main(["audit", "export", "--format", "xlsx", "--out", str(x), "--decision", "reject"]) == 0
    sheet = openpyxl.load_workbook(x)["检索结果"]
    assert [r[1].value for r in sheet.iter_rows(min_row=2)] == ["A3"]
    s = tmp_path / "s.xlsx"
    assert main(["audit", "stats", "--year", "2026", "--format", "xlsx", "--out", str(s), "--rules"]) == 0
    assert openpyxl.load_workbook(s).sheetnames == ["2026年按单位统计", "2026年规则命中"]


def test_export_carries_dispositions_and_exports_the_log(env_db, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:  # type: ignore[no-untyped-def]
    from sqlalchemy import select

    from reviewer.audit.queries import DISPOSITION_LABEL
    from reviewer.store.models import AuditEvent
    from reviewer.web import names

    out = tmp_path / "fp.csv"
    assert main(["audit", "export", "--out", str(out), "--disposition", "false_positive"]) == 0
    rows = list(csv.reader(io.StringIO(out.read_bytes().decode("utf-8-sig"))))
    assert sorted(r[1] for r in rows[1:]) == ["A1", "A2"]  # the items with a finding marked 误报
    cell = rows[1][rows[0].index("处置与理由")]
    assert f"标为“{DISPOSITION_LABEL['false_positive']}”，理由：理由" in cell and "false_positive" not in cell
    x = tmp_path / "fp.xlsx"
    assert main(["audit", "export", "--format", "xlsx", "--out", str(x), "--external-id", "A1"]) == 0
    sheet = openpyxl.load_workbook(x)["处置与理由"]
    assert sorted(r[10].value for r in sheet.iter_rows(min_row=2)) == sorted(
        [DISPOSITION_LABEL["false_positive"], DISPOSITION_LABEL["public_ok"]])  # A1's signer (tests/audit/fixtures.py)
    log = tmp_path / "log.csv"
    assert main(["audit", "export", "--log", "--out", str(log), "--action", "submit", "--since", "2026-03-01",
                 "--until", "2026-03-01"]) == 0
    events = list(csv.reader(io.StringIO(log.read_bytes().decode("utf-8-sig"))))
    assert events[0][:3] == ["序号", "时间（北京时间）", "操作人"] and len(events) == 6
    assert {r[6] for r in events[1:]} == {"提交"} and {r[2] for r in events[1:]} == {"发布系统“cms”"}
    assert main(["audit", "export", "--log", "--out", str(log), "--action", "nonsense"]) == 2
    assert main(["audit", "export", "--out", str(log), "--actor", "rev_a"]) == 2  # --actor belongs to --log
    assert main(["audit", "export", "--log", "--out", str(log), "--since", "2026-03-02", "--until", "2026-03-01"]) == 2
    with env_db.session() as s:  # each export is in the log: who, which filter, how many rows
        ev = s.scalars(select(AuditEvent).where(AuditEvent.action == "export").order_by(AuditEvent.seq.desc())).first()
        assert ev is not None
        sentence = names.event_sentence(ev.action, ev.data)
    assert sentence.startswith("导出审查日志 5 条为 CSV 文件（命令行），检索条件：") and "事件 提交" in sentence
