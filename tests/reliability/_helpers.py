"""Helpers for the fault and security tests, on top of tests/services.py (which stays untouched).

    figures(name, **values)        append one JSON line to build/reliability/figures.jsonl (RELIABILITY.md quotes it)
    open_db(stack_or_url, data_dir) a workflow Database on the stack's database (close with .dispose())
    terminal(client, item_id)      wait until the item left queued/scanning
    scan_ledger(db)                per item: state, scan results recorded, findings, reviews — for "exactly once" checks
    FaultWorker                    a real Celery worker started from another app module (fault injection) or args
    Receiver                       a tiny loopback HTTP callback receiver that can be stopped, restarted and slowed
    tree(path)                     the relative paths under a directory (to prove nothing was written)
"""

from __future__ import annotations

import http.server
import json
import subprocess
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import func, select

from reviewer.settings import Settings
from reviewer.store.models import AuditEvent, Finding, Item, Review
from reviewer.store.session import Database
from reviewer.workflow.runtime import open_database
from tests.services import PYTHON, REPO, Worker, free_port, wait_for

FIGURES = REPO / "build" / "reliability" / "figures.jsonl"
PENDING = ("queued", "scanning")
SCAN_RESULTS = ("scan", "scan_failed")


def figures(name: str, **values: Any) -> None:
    """Record what a run measured (faults injected, items lost, load held, inputs tried), and print it (-s)."""
    FIGURES.parent.mkdir(parents=True, exist_ok=True)
    line = json.dumps({"test": name, "at": time.strftime("%Y-%m-%dT%H:%M:%S"), **values}, ensure_ascii=False)
    with FIGURES.open("a", encoding="utf-8") as fh:
        fh.write(line + "\n")
    print("FIGURES", line)


def open_db(database_url: str, data_dir: Path) -> Database:
    return open_database(Settings.from_env({"REVIEWER_DATABASE_URL": database_url, "REVIEWER_DATA_DIR": str(data_dir),
                                            "REVIEWER_CALLBACK_ALLOW_HTTP": "1", "REVIEWER_CALLBACK_ALLOW_HOSTS": "127.0.0.1"}))


def terminal(client: httpx.Client, item_id: int, timeout: float = 90) -> dict[str, Any]:
    def done() -> dict[str, Any] | None:
        body = client.get(f"/api/v1/items/{item_id}").json()
        return body if body["state"] not in PENDING else None

    return wait_for(done, timeout, 0.2, what=f"item {item_id} to leave queued/scanning")


@dataclass
class Ledger:
    states: dict[int, str] = field(default_factory=dict)
    scan_results: Counter[int] = field(default_factory=Counter)  # scan + scan_failed audit events per item
    submits: Counter[int] = field(default_factory=Counter)
    scan_started: Counter[int] = field(default_factory=Counter)
    findings: Counter[int] = field(default_factory=Counter)
    finding_keys: Counter[tuple[int, int]] = field(default_factory=Counter)  # (item, seq)
    expected_findings: dict[int, int] = field(default_factory=dict)  # block+review+info counts stored on the item
    reviews: Counter[tuple[int, str]] = field(default_factory=Counter)  # (item, stage)
    decisions: Counter[int] = field(default_factory=Counter)  # approve/reject/return/sign_off audit events per item


def scan_ledger(db: Database) -> Ledger:
    led = Ledger()
    with db.session() as s:
        for item_id, state, b, r, i in s.execute(select(Item.id, Item.state, Item.block_count, Item.review_count, Item.info_count)):
            led.states[item_id] = state
            led.expected_findings[item_id] = b + r + i
        for item_id, action, n in s.execute(
            select(AuditEvent.item_id, AuditEvent.action, func.count()).group_by(AuditEvent.item_id, AuditEvent.action)
        ):
            if item_id is None:
                continue
            if action in SCAN_RESULTS:
                led.scan_results[item_id] += n
            elif action == "submit":
                led.submits[item_id] += n
            elif action == "scan_started":
                led.scan_started[item_id] += n
            elif action in ("approve", "reject", "return", "sign_off", "officer_sign_off"):
                led.decisions[item_id] += n
        for item_id, seq in s.execute(select(Finding.item_id, Finding.seq)):
            led.findings[item_id] += 1
            led.finding_keys[(item_id, seq)] += 1
        for item_id, stage in s.execute(select(Review.item_id, Review.stage)):
            led.reviews[(item_id, stage)] += 1
    return led


class FaultWorker(Worker):
    """A real Celery worker process, optionally from another app module (e.g. one that injects a scanner fault)."""

    def __init__(self, env: dict[str, str], log_dir: Path, *, app_module: str = "workers.app", **kw: Any) -> None:
        super().__init__(env, log_dir, **kw)
        self.app_module = app_module

    def start(self, wait: bool = True) -> FaultWorker:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        log = open(self.log_path, "ab")  # noqa: SIM115 - handed to the child
        self.proc = subprocess.Popen(
            [PYTHON, "-m", "celery", "-A", self.app_module, "worker", f"--pool={self.pool}", "-c", str(self.concurrency),
             "-n", f"{self.name}@%h", "--loglevel=INFO", "--without-gossip", "--without-mingle", "--without-heartbeat"],
            cwd=REPO, env=self.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )
        log.close()
        if wait:
            wait_for(self._ready, 90, 0.1, what=f"celery worker {self.name}")
        return self

    def sigkill(self) -> None:
        """SIGKILL the worker's whole process group, no warning, no shutdown hooks."""
        self.kill()


class Receiver:
    """Callback receiver on a fixed loopback port: start()/stop() to take it down and bring it back; `delay` makes it
    slow (seconds before answering). Records (delivery id, body, signature) of every request it answered."""

    def __init__(self) -> None:
        self.port = free_port()
        self.delay = 0.0
        self.received: list[tuple[str, bytes, str]] = []
        self.started_requests = 0
        self._server: http.server.ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"

    def start(self) -> Receiver:
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                outer.started_requests += 1
                body = self.rfile.read(int(self.headers.get("content-length") or 0))
                if outer.delay:
                    time.sleep(outer.delay)
                try:
                    self.send_response(204)
                    self.end_headers()
                except OSError:
                    return  # the sender gave up (timeout): not an answered delivery
                outer.received.append((self.headers.get("X-Reviewer-Delivery", ""), body,
                                       self.headers.get("X-Reviewer-Signature", "")))

            def log_message(self, *args: object) -> None:
                pass

        http.server.ThreadingHTTPServer.allow_reuse_address = True
        self._server = http.server.ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None


def tree(path: Path) -> set[str]:
    return {str(p.relative_to(path)) for p in path.rglob("*")} if path.exists() else set()
