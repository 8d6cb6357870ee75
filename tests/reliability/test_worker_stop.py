"""A worker that has scanned stops when told to, and leaves no scan child behind.

The scan runs in a forked child (reviewer.workflow.jobs). That child inherits the worker's signal handlers; Celery's
SIGTERM handler does nothing outside its main process, so before the fix the child ignored SIGTERM and the stopping
worker waited on it (multiprocessing joins its children at exit) until it was killed. Both ways a service manager stops
a worker are tried: SIGTERM to the main process only (systemd KillMode=mixed) and to the whole process group."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

from tests.reliability._helpers import terminal
from tests.services import Stack, Worker

pytestmark = pytest.mark.integration
SQLITE_ONLY = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
STOP_BOUND = 10.0  # seconds; Celery's own warm shutdown takes about one; before the fix the worker never left alone


def _descendants(pid: int) -> set[int]:
    out: set[int] = set()
    todo = [pid]
    while todo:
        p = todo.pop()
        for task in Path(f"/proc/{p}/task").glob("*"):
            try:
                kids = {int(x) for x in (task / "children").read_text().split()}
            except (OSError, ValueError):
                continue
            new = kids - out
            out |= new
            todo.extend(new)
    return out


def _alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


@SQLITE_ONLY
@pytest.mark.parametrize(("pool", "whole_group"), [("solo", False), ("solo", True), ("prefork", False)])
def test_a_worker_that_scanned_stops_promptly_and_takes_its_scan_child(stack: Stack, pool: str, whole_group: bool) -> None:
    worker = Worker(stack.env, stack.log_dir, name=f"stop-{pool}", pool=pool, concurrency=1)
    stack.workers.append(worker)
    worker.start()
    assert worker.proc is not None
    with stack.client("cms1") as cms, stack.client("rev1") as rev:
        item = cms.post("/api/v1/items", json={"external_id": f"stop-{pool}-{whole_group}",
                                               "content": "区政府关于做好冬季供暖保障工作的通知。"}).json()
        assert terminal(rev, item["id"], timeout=60)["state"] == "awaiting_review"
    children = _descendants(worker.proc.pid)
    assert children, "the worker should have a scan child (or pool process) after a scan"
    started = time.monotonic()
    if whole_group:
        os.killpg(worker.proc.pid, signal.SIGTERM)
    else:
        os.kill(worker.proc.pid, signal.SIGTERM)
    try:
        worker.proc.wait(STOP_BOUND)
    except subprocess.TimeoutExpired:
        pytest.fail(f"the worker did not stop within {STOP_BOUND:g} s of SIGTERM (its scan child held it)")
    took = time.monotonic() - started
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and any(_alive(p) for p in children):
        time.sleep(0.1)
    left = sorted(p for p in children if _alive(p))
    assert not left, f"processes the worker started outlived it: {left}"
    assert took < STOP_BOUND
