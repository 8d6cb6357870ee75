"""A plain install runs: `pip install .` without the test extras into a fresh virtual environment, then — from
outside the source tree, without PYTHONPATH — migrate, create a unit and a token with the installed `reviewer`,
start the installed API server and a worker against a real redis-server, and scan a draft end to end (the built-in
rules must have been installed too: a marking is found).

Before: kombu's Redis transport imported `packaging`, which only the test extras brought, so the worker of a
plain install could not connect; the built-in rules were not installed at all.

Slow (pip resolves and installs ~40 packages from the local cache: 70–90 s on the shared 2-core machine), so it runs
with `scripts/test.sh --all` (marker `slow`), not in the default run."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from tests.services import REPO, RedisServer, _stop_process, free_port, wait_for

pytestmark = [pytest.mark.integration, pytest.mark.slow]
IGNORE = shutil.ignore_patterns(".venv", ".git", "build", "dist", ".data", "data", "*.egg-info", "__pycache__", ".pytest_cache",
                                ".hypothesis", "tests", "bench", "samples", "docs")


def test_a_plain_install_scans_a_draft_end_to_end(tmp_path: Path) -> None:
    source = tmp_path / "src"
    shutil.copytree(REPO, source, ignore=IGNORE)
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
    pip = subprocess.run([str(venv / "bin" / "pip"), "install", "-q", str(source)], capture_output=True, text=True, timeout=900)
    assert pip.returncode == 0, pip.stderr[-3000:]
    check = subprocess.run([str(venv / "bin" / "python"), "-c", "import packaging, kombu.transport.redis; import pytest"],
                           capture_output=True, text=True, timeout=60)
    assert "No module named 'pytest'" in check.stderr, "the test extras leaked into the plain install"
    redis = RedisServer(tmp_path / "redis").start()
    work = tmp_path / "run"
    work.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("REVIEWER_", "PYTHON"))}
    env.update(REVIEWER_DATA_DIR=str(work / "data"), REVIEWER_REDIS_URL=redis.url, REVIEWER_SWEEP_INTERVAL="2",
               REVIEWER_DATABASE_URL=f"sqlite:///{work / 'data' / 'reviewer.sqlite3'}", PATH=f"{venv / 'bin'}:/usr/bin:/bin")
    reviewer = str(venv / "bin" / "reviewer")

    def run(*args: str) -> str:
        out = subprocess.run([reviewer, *args], env=env, cwd=work, capture_output=True, text=True, timeout=120)
        assert out.returncode == 0, out.stderr[-2000:]
        return out.stdout

    port = free_port()
    procs: list[subprocess.Popen[bytes]] = []
    try:
        run("db", "upgrade")
        run("units", "add", "PLAIN", "--name", "安装验证单位")
        token = run("tokens", "create", "--unit", "PLAIN", "--client", "cms").strip().splitlines()[-1]
        logs = []
        for argv in ([reviewer, "serve", "--port", str(port)],
                     [reviewer, "worker", "--pool=solo", "-c", "1", "--without-gossip", "--without-mingle", "--without-heartbeat"]):
            log = open(work / f"{argv[1]}.log", "ab")  # noqa: SIM115 - handed to the child
            procs.append(subprocess.Popen(argv, env=env, cwd=work, stdout=log, stderr=subprocess.STDOUT, start_new_session=True))
            log.close()
            logs.append(work / f"{argv[1]}.log")
        base = f"http://127.0.0.1:{port}"
        wait_for(lambda: httpx.get(base + "/api/v1/health", timeout=5).status_code in (200, 503), 90, 0.2, what="installed API server")
        wait_for(lambda: "ready." in logs[1].read_text(errors="replace"), 90, 0.2, what="installed worker")
        with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {token}"}, timeout=30) as cms:
            item = cms.post("/api/v1/items", json={"external_id": "plain-1", "content": "附件一（机密★5年）经费安排说明。"}).json()
            body = wait_for(lambda: (b := cms.get(f"/api/v1/items/{item['id']}").json())["state"] not in ("queued", "scanning") and b,
                            90, 0.3, what="the draft to be scanned by the installed worker")
        assert body["state"] == "awaiting_review", (body, logs[1].read_text(errors="replace")[-2000:])
        assert "verdict" not in body  # a publishing system never sees what the scanner found (issue 17)
    finally:
        for proc in procs:
            _stop_process(proc)
        redis.stop()
