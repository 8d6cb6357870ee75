from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import create_engine
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session


@pytest.fixture()
def engine(database_url: str) -> Iterator[Engine]:
    """A migrated database (SQLite, and PostgreSQL when REVIEWER_TEST_POSTGRES_URL is set); rows are inserted directly."""
    eng = create_engine(database_url)
    yield eng
    eng.dispose()


@pytest.fixture()
def db(engine: Engine) -> Iterator[Session]:
    with Session(engine) as s:
        yield s
