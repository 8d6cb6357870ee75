"""Every `reviewer` command answers a known failure with one Chinese line and a non-zero exit, never a traceback:
a database that was never initialised (`reviewer db upgrade` not run), an unreachable database or Redis, a file that
cannot be written. Each command runs as a real subprocess, as an operator would run it (all at once, to stay fast)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.services import REPO, free_port

CJK = re.compile(r"[\u4e00-\u9fff]")
ENGLISH_ERROR = re.compile(r"Traceback|Error\b|Errno|No such file|sqlalche|OperationalError|Exception")


def _env(data_dir: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("REVIEWER_")}
    env.update(PYTHONPATH=str(REPO), REVIEWER_DATA_DIR=str(data_dir), REVIEWER_REDIS_URL=f"redis://127.0.0.1:{free_port()}/0")
    env.update(extra)
    return env


class _Runner:
    """Runs commands in this process through reviewer.cli.main (the same wrapper as the console script; much faster
    than a new interpreter each), with the environment `env`; `subprocess=True` runs a real `python -m reviewer`."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]) -> None:
        self.monkeypatch = monkeypatch
        self.capfd = capfd

    def __call__(self, commands: list[list[str]], env: dict[str, str], cwd: Path,
                 subprocess_: bool = False) -> list[subprocess.CompletedProcess[str]]:
        if subprocess_:
            procs = [subprocess.Popen([sys.executable, "-m", "reviewer", *c], env=env, cwd=cwd, stdin=subprocess.DEVNULL,
                                      stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for c in commands]
            done = []
            for c, p in zip(commands, procs, strict=True):
                stdout, stderr = p.communicate(timeout=180)
                done.append(subprocess.CompletedProcess(c, p.returncode, stdout, stderr))
            return done
        from reviewer.cli import main

        for key in [k for k in os.environ if k.startswith("REVIEWER_")]:
            self.monkeypatch.delenv(key)
        for key, value in env.items():
            if key.startswith("REVIEWER_"):
                self.monkeypatch.setenv(key, value)
        self.monkeypatch.chdir(cwd)
        out = []
        for c in commands:
            self.capfd.readouterr()
            code = main(c)
            captured = self.capfd.readouterr()
            out.append(subprocess.CompletedProcess(c, code, captured.out, captured.err))
        return out


@pytest.fixture
def run(monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]) -> _Runner:
    return _Runner(monkeypatch, capfd)


def _assert_one_chinese_line(r: subprocess.CompletedProcess[str], expect: str) -> None:
    err = r.stderr.strip()
    assert r.returncode != 0, (r.args, r.stdout, err)
    assert not ENGLISH_ERROR.search(err + r.stdout), (r.args, err)
    lines = err.splitlines()
    assert len(lines) == 1 and CJK.search(lines[0]) and expect in lines[0], (r.args, err)


BEFORE_UPGRADE = [
    ["units", "add", "BGS", "--name", "办公室"],
    ["units", "set", "BGS", "--block-policy", "officer"],
    ["users", "add", "wang", "--unit", "BGS", "--role", "reviewer"],
    ["users", "deactivate", "wang"],
    ["tokens", "create", "--user", "wang"],
    ["tokens", "create", "--unit", "BGS", "--client", "cms"],
    ["tokens", "revoke", "rvw_abcdefgh"],
    ["fingerprints", "list"],
    ["audit", "export", "--out", "x.csv"],
]


def test_commands_before_db_upgrade_say_so_in_chinese(tmp_path: Path, run: _Runner) -> None:
    data = tmp_path / "data"
    data.mkdir()
    # the console entry itself (a new interpreter), then every command through the same wrapper
    [first] = run([BEFORE_UPGRADE[0]], _env(data), tmp_path, subprocess_=True)
    _assert_one_chinese_line(first, "请先运行 reviewer db upgrade")
    for r in run(BEFORE_UPGRADE, _env(data), tmp_path):
        if r.args[0] == "audit":  # the review-log commands have their own wording, also pointing to db upgrade
            assert r.returncode != 0 and "reviewer db upgrade" in r.stderr and "Traceback" not in r.stderr, r.stderr
            continue
        _assert_one_chinese_line(r, "请先运行 reviewer db upgrade")


def test_unreachable_database_and_unwritable_files(tmp_path: Path, run: _Runner) -> None:
    data = tmp_path / "data"
    commands = [
        ["units", "add", "BGS", "--name", "办公室"],  # PostgreSQL on a closed port
        ["fingerprints", "list"],
    ]
    closed = _env(data, REVIEWER_DATABASE_URL=f"postgresql+psycopg://reviewer@127.0.0.1:{free_port()}/none")
    for r in run(commands, closed, tmp_path):
        _assert_one_chinese_line(r, "无法连接数据库")
    bad_url = _env(data, REVIEWER_DATABASE_URL="mysql-ish://nothing")
    for r in run(commands[:1], bad_url, tmp_path):
        _assert_one_chinese_line(r, "REVIEWER_DATABASE_URL 无效")
    # a SQLite "file" that is a directory
    missing_dir = _env(data, REVIEWER_DATABASE_URL=f"sqlite:///{tmp_path}")
    for r in run(commands[:1], missing_dir, tmp_path):
        _assert_one_chinese_line(r, "无法打开 SQLite 数据库文件")


def test_after_upgrade_known_failures_and_notices(tmp_path: Path, run: _Runner) -> None:
    data = tmp_path / "data"
    env = _env(data)
    [up] = run([["db", "upgrade"]], env, tmp_path)
    assert up.returncode == 0, up.stderr
    [unit] = run([["units", "add", "BGS", "--name", "办公室"]], env, tmp_path)
    assert unit.returncode == 0, unit.stderr
    export, sweep, rescan, nouser = run([
        ["audit", "export", "--out", "/no/such/dir/x.csv"],
        ["sweep"],  # REVIEWER_REDIS_URL points to a closed port
        ["rescan", "--released"],
        ["users", "add", "li", "--unit", "NOPE", "--role", "reviewer"],
    ], env, tmp_path)
    _assert_one_chinese_line(export, "/no/such/dir/x.csv：文件或目录不存在")
    _assert_one_chinese_line(sweep, "Redis")
    assert "未投递任何任务" in sweep.stderr and "重新投递" not in sweep.stdout
    _assert_one_chinese_line(rescan, "Redis")
    _assert_one_chinese_line(nouser, "错误：")
    # an account without a password is created, and the operator is told it cannot log in
    user, token = run([["users", "add", "wang", "--unit", "BGS", "--role", "reviewer"]], env, tmp_path) + \
        run([["tokens", "create", "--unit", "BGS", "--client", "cms"]], env, tmp_path)
    assert user.returncode == 0 and "无法登录" in user.stderr and "reset-password" in user.stderr, user.stderr
    assert token.returncode == 0 and "北京时间" in token.stderr and "+00:00" not in token.stderr, token.stderr


def test_sweep_exits_non_zero_when_enqueues_fail(tmp_path: Path) -> None:
    """Redis answers the check and then fails every send: the command counts the failures instead of printing a
    success line and exiting 0 (the old behaviour: "重新投递：稿件 2 件", exit 0, nothing queued)."""
    from reviewer.cli.worker import RecordingEnqueuer, report_failures

    class Down:
        def scan_item(self, item_id: int, **hints: object) -> None:
            raise ConnectionRefusedError(111, "Connection refused")

        def deliver_callback(self, delivery_id: int, **hints: object) -> None:
            raise ConnectionRefusedError(111, "Connection refused")

    enqueuer = RecordingEnqueuer(Down())
    for item_id in (1, 2):
        with pytest.raises(ConnectionRefusedError):
            enqueuer.scan_item(item_id)
    assert enqueuer.sent == 0 and len(enqueuer.failed) == 2
    assert report_failures(enqueuer) == 3
    assert report_failures(RecordingEnqueuer(Down())) == 0


def test_unexpected_failure_is_one_chinese_line(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    from reviewer.cli import main
    from reviewer.cli import rules as rules_cli

    def boom(args: object) -> int:
        raise MemoryError()

    monkeypatch.setattr(rules_cli, "run_check", boom)
    monkeypatch.delenv("REVIEWER_DEBUG", raising=False)
    code = main(["rules", "check"])
    err = capsys.readouterr().err
    assert code == 70 and "内存不足" in err and "REVIEWER_DEBUG=1" in err and "Traceback" not in err
