"""`reviewer stack` — the README's one command — starts Redis, a worker and the API, submits every draft in
samples/, prints the demo accounts, and leaves no process behind when it is stopped (Ctrl-C or SIGTERM)."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.services import free_port

REPO = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.integration


def _drafts(samples: Path) -> list[Path]:
    return [
        p for p in samples.rglob("*")
        if p.is_file() and p.suffix != ".py" and not p.name.lower().startswith(("expected", "readme", "."))
    ]


def _port_open(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.5)
        return s.connect_ex(("127.0.0.1", port)) == 0


def _env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("REVIEWER_")}
    env["REVIEWER_DATA_DIR"] = str(tmp_path / "data")
    return env


def test_stack_submits_every_sample_and_stops_cleanly(tmp_path: Path) -> None:
    api_port, redis_port = free_port(), free_port()
    out = subprocess.run(
        [sys.executable, "-m", "reviewer", "stack", "--port", str(api_port), "--redis-port", str(redis_port),
         "--workers", "1", "--no-wait"],
        cwd=REPO, env=_env(tmp_path), capture_output=True, text=True, timeout=240,
    )
    assert out.returncode == 0, out.stderr[-2000:]
    drafts = _drafts(REPO / "samples")
    assert f"提交 {len(drafts)} 份示例稿件" in out.stdout, out.stdout
    assert "shencha" in out.stdout and "shenji" in out.stdout
    accounts = tmp_path / "data" / "demo-accounts.json"
    assert accounts.stat().st_mode & 0o077 == 0, "the demo passwords file must be readable by its owner only"
    assert json.loads(accounts.read_text(encoding="utf-8"))["password:shencha"]
    with sqlite3.connect(tmp_path / "data" / "reviewer.sqlite3") as db:
        (n_items,) = db.execute("select count(*) from items").fetchone()
        titles = {t for (t,) in db.execute("select title from items")}
        states = dict(db.execute("select i.external_id, case when r.state = 'failed' then 'render_failed' else i.state "
                                 "end from items i left join render_checks r on r.item_id = i.id").fetchall())
    assert n_items == len(drafts)
    # the main job scans what it submits (with the prefork pool it runs in production): only the broken files fail
    failed = {k.removeprefix("sample/") for k, v in states.items() if v in ("scan_failed", "render_failed")}
    broken = {p.relative_to(REPO / "samples").as_posix() for p in drafts if "broken" in p.parts}
    assert failed == broken, f"unexpected scan outcomes: failed {sorted(failed - broken)}, not failed {sorted(broken - failed)}"
    assert not {k for k, v in states.items() if v in ("queued", "scanning")}, states
    shown = sum(int(n) for n in re.findall(r"失败（不得批准） (\d+) 份", out.stdout))
    assert "== 扫描结果：" in out.stdout and shown == len(broken), out.stdout
    assert "EXPECTED" not in titles
    assert not _port_open(api_port) and not _port_open(redis_port), "a child of `reviewer stack` outlived it"


def test_stack_stops_its_children_on_sigterm(tmp_path: Path) -> None:
    api_port, redis_port = free_port(), free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "reviewer", "stack", "--port", str(api_port), "--redis-port", str(redis_port),
         "--workers", "1", "--samples", str(tmp_path / "no-samples")],
        cwd=REPO, env=_env(tmp_path), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    try:
        deadline = time.monotonic() + 180
        seen = ""
        while "Ctrl-C" not in seen:
            assert time.monotonic() < deadline and proc.poll() is None, seen[-2000:]
            seen += proc.stdout.readline()  # type: ignore[union-attr]
        assert _port_open(api_port) and _port_open(redis_port)
        proc.send_signal(signal.SIGTERM)
        proc.wait(60)
        deadline = time.monotonic() + 20
        while (_port_open(api_port) or _port_open(redis_port)) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not _port_open(api_port) and not _port_open(redis_port), "a child of `reviewer stack` outlived SIGTERM"
    finally:
        if proc.poll() is None:
            proc.kill()
