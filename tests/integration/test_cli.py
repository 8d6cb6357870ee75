"""The operator commands as a deployment runs them (subprocesses, environment configuration)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from sqlalchemy import select

from reviewer.accounts import manage as accounts
from reviewer.settings import Settings
from reviewer.store.models import ApiToken, User
from reviewer.workflow.runtime import open_database
from tests.services import PYTHON, REPO

pytestmark = pytest.mark.integration


def test_operator_commands(database_url: str, tmp_path: Path) -> None:
    env = {"REVIEWER_DATABASE_URL": database_url, "REVIEWER_DATA_DIR": str(tmp_path), "PATH": "/usr/bin:/bin"}

    def run(*args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
        out = subprocess.run([PYTHON, "-m", "reviewer", *args], env=env, cwd=REPO, input=stdin, capture_output=True, text=True,
                             timeout=60)
        assert out.returncode == 0, out.stderr
        return out

    run("db", "upgrade")
    run("units", "add", "BGS", "--name", "办公室")
    run("users", "add", "wang", "--unit", "BGS", "--role", "reviewer", "--name", "王某", "--password-stdin", stdin="审查口令-2026-冬至-北窗\n")
    person = run("tokens", "create", "--user", "wang").stdout.strip().splitlines()[-1]
    client = run("tokens", "create", "--unit", "BGS", "--client", "cms").stdout.strip().splitlines()[-1]
    db = open_database(Settings.from_env(env))
    try:
        with db.session() as s:
            wang = s.execute(select(User).where(User.username == "wang")).scalar_one()
            assert accounts.verify_password(wang, "审查口令-2026-冬至-北窗") and not accounts.verify_password(wang, "x")
            assert accounts.authenticate(s, person).name == "wang"
            assert accounts.authenticate(s, client).role == "publisher"
            assert s.execute(select(ApiToken).where(ApiToken.token_hash == person)).first() is None
        run("tokens", "revoke", person)
        with db.session() as s:
            with pytest.raises(Exception, match="吊销"):
                accounts.authenticate(s, person)
    finally:
        db.dispose()


def test_worker_passes_every_argument_to_celery() -> None:
    from reviewer.cli import build_parser

    args = build_parser().parse_args(["worker", "--concurrency", "2", "-l", "INFO", "--pool=solo"])
    assert args.celery_args == ["--concurrency", "2", "-l", "INFO", "--pool=solo"]
