"""A seeded app without paying for the seed every test: the seeded database and data directory are made once per
test process and copied for each test (the seed's password hashing is most of an app's start-up)."""

from __future__ import annotations

import atexit
import shutil
import tempfile
from pathlib import Path

from reviewer.api.app import create_app
from reviewer.settings import Settings
from tests.security.conftest import App, NullEnqueuer
from tests.services import fresh_sqlite_url, seed

_template: list[tuple[Path, Path, dict[str, str]]] = []  # (database file, data directory, tokens), made once


def _made() -> tuple[Path, Path, dict[str, str]]:
    if not _template:
        root = Path(tempfile.mkdtemp(prefix="seeded-"))
        atexit.register(shutil.rmtree, root, True)
        url = fresh_sqlite_url(root / "db")
        tokens = seed(url, root / "data").tokens
        _template.append((Path(url.removeprefix("sqlite:///")), root / "data", tokens))
    return _template[0]


def seeded_app(tmp_path: Path, **env: str) -> tuple[App, str]:
    """A fresh copy of the seeded install under tmp_path; returns the app and its database URL."""
    db_file, data_dir, tokens = _made()
    (tmp_path / "db").mkdir(parents=True, exist_ok=True)
    target = tmp_path / "db" / db_file.name
    shutil.copy2(db_file, target)
    shutil.copytree(data_dir, tmp_path / "data")
    url = f"sqlite:///{target}"
    settings = Settings.from_env({"REVIEWER_DATABASE_URL": url, "REVIEWER_DATA_DIR": str(tmp_path / "data"), **env})
    app = create_app(settings, enqueuer=NullEnqueuer())
    return App(app, app.state.db, settings, dict(tokens), tmp_path / "data"), url
