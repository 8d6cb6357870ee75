from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from reviewer.api.app import create_app
from reviewer.settings import Settings
from reviewer.store.session import Database
from tests.services import seed


class NullEnqueuer:
    """Page tests need no queue: scans are recorded directly by the tests."""

    def scan_item(self, item_id: int) -> None: ...

    def deliver_callback(self, delivery_id: int) -> None: ...

    def rescan_released(self, item_id: int) -> None: ...


@dataclass
class Web:
    db: Database
    settings: Settings
    app: FastAPI

    def client(self) -> TestClient:
        return TestClient(self.app, base_url="http://testserver", follow_redirects=False)


@pytest.fixture
def web(sqlite_database_url: str, tmp_path: Path) -> Iterator[Web]:
    data_dir = tmp_path / "data"
    seed(sqlite_database_url, data_dir)
    settings = Settings.from_env({"REVIEWER_DATABASE_URL": sqlite_database_url, "REVIEWER_DATA_DIR": str(data_dir)})
    app = create_app(settings, enqueuer=NullEnqueuer())
    w = Web(app.state.db, settings, app)
    try:
        yield w
    finally:
        app.state.db.dispose()
