"""The verifier recomputes exactly what the pipeline's writer (workflow.audit.append) stores, on SQLite and
PostgreSQL (timestamps come back naive from one and aware from the other), and catches direct edits on both."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text

from reviewer.accounts.actor import SYSTEM
from reviewer.audit import events as audit
from reviewer.audit import queries as audit_query
from reviewer.settings import Settings
from reviewer.store.session import Database
from reviewer.workflow.runtime import open_database


@pytest.fixture
def chain(database_url: str, tmp_path: Path) -> Iterator[Database]:
    db = open_database(Settings.from_env({"REVIEWER_DATABASE_URL": database_url, "REVIEWER_DATA_DIR": str(tmp_path / "d")}))
    for i in range(5):
        with db.session() as s:
            audit.append(s, "unit_created", SYSTEM, unit_code=f"U{i}", data={"code": f"U{i}", "名称": "单位"})
    yield db
    db.dispose()


def test_writer_and_verifier_agree(chain: Database) -> None:
    with chain.session() as s:
        report = audit_query.verify(s)
        assert report.ok and report.checked == 5 and report.head_hash == audit_query.head(s).hash


@pytest.mark.parametrize(
    "tamper, first_broken",
    [
        ("UPDATE audit_events SET data = '{}' WHERE seq = 2", 2),
        ("UPDATE audit_events SET at = at + interval '1 second' WHERE seq = 4", 4),
        ("DELETE FROM audit_events WHERE seq = 3", 3),
        ("UPDATE audit_events SET seq = -2 WHERE seq = 2; UPDATE audit_events SET seq = 2 WHERE seq = 3; "
         "UPDATE audit_events SET seq = 3 WHERE seq = -2", 2),
    ],
    ids=["edit", "edit-time", "delete", "swap"],
)
def test_direct_database_changes_are_caught(chain: Database, tamper: str, first_broken: int) -> None:
    with chain.session() as s:
        if s.get_bind().dialect.name == "sqlite":
            tamper = tamper.replace("at + interval '1 second'", "'2020-01-01 00:00:00.000000'")
        for statement in tamper.split("; "):
            s.execute(text(statement))
    with chain.session() as s:
        broken = audit_query.verify(s).broken
        assert broken is not None and broken.seq == first_broken
