"""Workflow tests call the functions directly on a fresh SQLite database (no queue: the enqueuer records calls)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from reviewer.accounts import manage as accounts
from reviewer.scan.model import Finding, ScanResult, Severity
from reviewer.settings import Settings
from reviewer.store.session import Database
from reviewer.workflow.runtime import open_database

# The tests' callback receivers listen on http://127.0.0.1: allowed explicitly, as an administrator would.
LOOPBACK_CALLBACKS = {"REVIEWER_CALLBACK_ALLOW_HTTP": "1", "REVIEWER_CALLBACK_ALLOW_HOSTS": "127.0.0.1"}


class RecordingEnqueuer:
    def __init__(self) -> None:
        self.sent: list[tuple[str, int]] = []

    def scan_item(self, item_id: int) -> None:
        self.sent.append(("scan_item", item_id))

    def deliver_callback(self, delivery_id: int) -> None:
        self.sent.append(("deliver_callback", delivery_id))

    def rescan_released(self, item_id: int) -> None:
        self.sent.append(("rescan_released", item_id))


@pytest.fixture
def enqueuer() -> RecordingEnqueuer:
    return RecordingEnqueuer()


@pytest.fixture
def db(sqlite_database_url: str, tmp_path: Path, enqueuer: RecordingEnqueuer) -> Iterator[Database]:
    settings = Settings.from_env({"REVIEWER_DATABASE_URL": sqlite_database_url, "REVIEWER_DATA_DIR": str(tmp_path / "data"),
                                  **LOOPBACK_CALLBACKS})
    database = open_database(settings, enqueuer)
    with database.session() as s:
        accounts.create_unit(s, "U1", "第一单位", unknown_author="reviewer")
        accounts.create_unit(s, "U2", "第二单位", block_policy="officer", unknown_author="reviewer")
        for name, unit, role in [("rev1", "U1", "reviewer"), ("rev1b", "U1", "reviewer"), ("off1", "U1", "officer"),
                                 ("rev2", "U2", "reviewer"), ("off2", "U2", "officer"), ("off2b", "U2", "officer"),
                                 ("aud", "U1", "auditor")]:
            accounts.create_user(s, name, unit, role, display_name=f"{name}姓名")
        accounts.create_token(s, unit=accounts.get_unit(s, "U1"), client_name="cms1")
        accounts.create_token(s, unit=accounts.get_unit(s, "U2"), client_name="cms2")
    try:
        yield database
    finally:
        database.dispose()


def result(*severities: str, rules_version: str = "rv1", error: str | None = None) -> ScanResult:
    findings = [Finding(f"rule.{i}", "类别", Severity(sev), i, i + 2, "机密", "……机密……", "疑似密级标志", "", "正文")
                for i, sev in enumerate(severities)]
    return ScanResult(rules_version=rules_version, findings=findings, error=error)
