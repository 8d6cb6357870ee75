"""In-process app on a fresh SQLite database with the seeded accounts (tests/services.seed), no queue."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from reviewer.api.app import create_app
from reviewer.settings import Settings
from reviewer.store.session import Database
from tests.services import seed


class NullEnqueuer:
    def scan_item(self, item_id: int) -> None: ...
    def deliver_callback(self, delivery_id: int) -> None: ...
    def rescan_released(self, item_id: int) -> None: ...


@dataclass
class App:
    app: Any
    db: Database
    settings: Settings
    tokens: dict[str, str]
    data_dir: Path

    def client(self, who: str | None = None, **kw: Any) -> TestClient:
        c = TestClient(self.app, follow_redirects=False, **kw)
        if who:
            c.headers["Authorization"] = f"Bearer {self.tokens[who]}"
        return c


def make_app(database_url: str, data_dir: Path, **env: str) -> App:
    tokens = seed(database_url, data_dir).tokens
    settings = Settings.from_env({"REVIEWER_DATABASE_URL": database_url, "REVIEWER_DATA_DIR": str(data_dir), **env})
    app = create_app(settings, enqueuer=NullEnqueuer())
    return App(app, app.state.db, settings, tokens, data_dir)


@pytest.fixture
def inproc(sqlite_database_url: str, tmp_path: Path) -> Iterator[App]:
    a = make_app(sqlite_database_url, tmp_path / "data", REVIEWER_MAX_UPLOAD_BYTES="100000")
    try:
        yield a
    finally:
        a.db.dispose()


@pytest.fixture(scope="module")
def shared_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[App]:
    """One seeded app for a module whose tests do not disturb each other (each works on its own items and names):
    the seed's password hashing is most of an app's start-up."""
    from tests.services import fresh_sqlite_url

    d = tmp_path_factory.mktemp("shared-app")
    a = make_app(fresh_sqlite_url(d / "db"), d / "data", REVIEWER_MAX_UPLOAD_BYTES="100000")
    try:
        yield a
    finally:
        a.db.dispose()
