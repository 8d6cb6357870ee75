"""Alembic environment: the URL comes from `Config.attributes["database_url"]` (set by reviewer.store.migrate)."""

from __future__ import annotations

from alembic import context

from reviewer.store.models import Base
from reviewer.store.session import is_sqlite, make_engine

config = context.config
url = config.attributes["database_url"]


def run() -> None:
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            context.configure(
                connection=connection,
                target_metadata=Base.metadata,
                render_as_batch=is_sqlite(url),
                compare_type=True,
            )
            with context.begin_transaction():
                context.run_migrations()
            connection.commit()
    finally:
        engine.dispose()


run()
