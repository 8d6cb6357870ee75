"""audit.append from many connections at once keeps seq without gaps and an intact chain (SQLite and PostgreSQL)."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from sqlalchemy import select

from reviewer.accounts.actor import SYSTEM
from reviewer.audit import events as audit
from reviewer.audit import queries as audit_query
from reviewer.settings import Settings
from reviewer.store.models import AuditEvent
from reviewer.workflow.runtime import open_database

pytestmark = pytest.mark.integration


def test_concurrent_appends(database_url: str, tmp_path: Path) -> None:
    db = open_database(Settings.from_env({"REVIEWER_DATABASE_URL": database_url, "REVIEWER_DATA_DIR": str(tmp_path)}), pool_size=8)
    errors: list[BaseException] = []

    def writer(n: int) -> None:
        try:
            for i in range(15):
                with db.session() as s:
                    audit.append(s, "unit_updated", SYSTEM, data={"writer": n, "i": i})
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    try:
        assert not errors, errors
        with db.session() as s:
            seqs = list(s.execute(select(AuditEvent.seq).order_by(AuditEvent.seq)).scalars())
            assert seqs == list(range(1, 91))
            assert audit_query.verify(s).ok
    finally:
        db.dispose()
