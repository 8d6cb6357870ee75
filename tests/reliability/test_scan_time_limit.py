"""A draft that keeps the extractor busy inside one library call (a small PDF drawing one form XObject thousands of
times: pypdf walks the form's operators at every draw, the 60 s parse deadline is only checked between pages).

Attacks, each against real workers on a real Redis:
- the scan is killed at the task time limit (REVIEWER_SCAN_TIME_LIMIT) and the item ends `scan_failed` with a
  Chinese reason — never `awaiting_review` with "no findings";
- while it runs, the sweeper (every second, re-sending after 3 s in the test stack) does not hand the running item
  to the second worker: its lease holds, so the item is scanned once (scan_attempts == 1);
- plain drafts submitted behind it are scanned by the other worker meanwhile;
- routing: a large draft goes to the `scan_large` queue, so a worker that serves only the default queue keeps
  scanning small drafts while the large one waits for its own worker."""

from __future__ import annotations

import os
import time
import zlib
from pathlib import Path
from typing import Any

import httpx
import pytest

from reviewer.store.models import Item
from tests.reliability._helpers import figures, open_db, terminal
from tests.services import PYTHON, REPO, Stack, Worker, wait_for

pytestmark = pytest.mark.integration
SQLITE_ONLY = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
PLAIN = "区政府办公室关于做好冬季供暖保障工作的通知，请各街道按时报送进展。"


def xobject_bomb(draws: int = 3000, leaf_ops: int = 300, pages: int = 1, pad: int = 0) -> bytes:
    """`pages` pages that each draw one form XObject `draws` times; the form holds `leaf_ops` text operations.
    About 1 KB (the streams are deflated) plus `pad` bytes of an unused random stream; pypdf spends ~pages × draws ×
    leaf_ops × 30 µs extracting the text. The default (one page, 900,000 text operations in 1.8 KB) is out of proportion
    and refused before any work (extract/workload.py); many pages each within the per-page limits, in a file large
    enough for their total, are legitimate work that is merely slow — what the time limit is for."""
    objects: list[bytes] = []

    def add(body: bytes) -> int:
        objects.append(body)
        return len(objects)

    font = add(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
    leaf = zlib.compress(b"BT /F1 8 Tf " + b"1 0 0 1 10 10 Tm (n) Tj " * leaf_ops + b"ET", 9)
    form = add(b"<< /Type /XObject /Subtype /Form /BBox [0 0 100 100] /Resources << /Font << /F1 %d 0 R >> >> "
               b"/Filter /FlateDecode /Length %d >>\nstream\n%s\nendstream" % (font, len(leaf), leaf))
    content = zlib.compress(b"/X0 Do " * draws, 9)
    contents = add(b"<< /Filter /FlateDecode /Length %d >>\nstream\n%s\nendstream" % (len(content), content))
    if pad:
        noise = os.urandom(pad)
        add(b"<< /Length %d >>\nstream\n%s\nendstream" % (len(noise), noise))
    pages_ref = len(objects) + pages + 1
    kids = [add(b"<< /Type /Page /Parent %d 0 R /MediaBox [0 0 200 200] /Contents %d 0 R "
                b"/Resources << /XObject << /X0 %d 0 R >> >> >>" % (pages_ref, contents, form)) for _ in range(pages)]
    add(b"<< /Type /Pages /Kids [%s] /Count %d >>" % (b" ".join(b"%d 0 R" % k for k in kids), pages))
    catalog = add(b"<< /Type /Catalog /Pages %d 0 R >>" % pages_ref)
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for i, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (i, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for off in offsets:
        out += b"%010d 00000 n \n" % off
    out += b"trailer\n<< /Size %d /Root %d 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, catalog, xref)
    return bytes(out)


class QueueWorker(Worker):
    """A real worker that serves only the given queues (-Q)."""

    def __init__(self, env: dict[str, str], log_dir: Path, queues: str, **kw: Any) -> None:
        super().__init__(env, log_dir, **kw)
        self.queues = queues

    def start(self, wait: bool = True) -> QueueWorker:
        import subprocess

        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        log = open(self.log_path, "ab")  # noqa: SIM115 - handed to the child
        self.proc = subprocess.Popen(
            [PYTHON, "-m", "celery", "-A", "workers.app", "worker", "--pool=solo", "-c", "1", "-Q", self.queues,
             "-n", f"{self.name}@%h", "--loglevel=INFO", "--without-gossip", "--without-mingle", "--without-heartbeat"],
            cwd=REPO, env=self.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )
        log.close()
        if wait:
            wait_for(self._ready, 90, 0.1, what=f"celery worker {self.name}")
        return self


def _submit(cms: httpx.Client, ext: str, data: bytes, name: str) -> dict[str, Any]:
    r = cms.post("/api/v1/items", data={"external_id": ext, "title": "测试"}, files={"file": (name, data)})
    assert r.status_code == 201, r.text
    return r.json()


@SQLITE_ONLY
def test_a_stuck_pdf_is_killed_at_the_time_limit_scanned_once_and_plain_drafts_flow(stack: Stack) -> None:
    env = dict(stack.env, REVIEWER_SCAN_TIME_LIMIT="6")
    for name in ("w1", "w2"):  # two workers serving every queue, as `reviewer worker` does without -Q
        w = Worker(env, stack.log_dir, name=name)
        stack.workers.append(w)
        w.start()
    bomb = xobject_bomb(draws=100, leaf_ops=290, pages=12, pad=120_000)  # slow but within every work bound
    with stack.client("cms1") as cms, stack.client("rev1") as rev:
        started = time.monotonic()
        big = _submit(cms, "bomb", bomb, "季度报告.pdf")
        wait_for(lambda: cms.get(f"/api/v1/items/{big['id']}").json()["state"] == "scanning", 30, 0.05, what="bomb scanning")
        time.sleep(1.0)
        plain = [cms.post("/api/v1/items", json={"external_id": f"plain-{i}", "content": f"{PLAIN}{i}"}).json() for i in range(4)]
        for p in plain:
            assert terminal(rev, p["id"], timeout=30)["state"] == "awaiting_review"
        plain_done = time.monotonic() - started
        still = cms.get(f"/api/v1/items/{big['id']}").json()["state"]
        final = terminal(rev, big["id"], timeout=60)
        ended = time.monotonic() - started
    assert final["state"] == "scan_failed", final
    assert "时间上限" in (final.get("scan_error") or ""), final
    assert still == "scanning", "the plain drafts should have been scanned while the PDF was still being processed"
    db = open_db(stack.database_url, stack.data_dir)
    try:
        with db.session() as s:
            item = s.get(Item, big["id"])
            assert item is not None
            attempts = item.scan_attempts
    finally:
        db.dispose()
    assert attempts == 1, f"the running scan was started {attempts} times (the sweeper ignored its lease)"
    figures("scan_time_limit", bomb_bytes=len(bomb), limit_s=6, bomb_failed_after_s=round(ended, 1),
            plain_drafts=len(plain), plain_done_after_s=round(plain_done, 1), scan_attempts=attempts)


@SQLITE_ONLY
def test_large_drafts_have_their_own_queue(stack: Stack) -> None:
    fast = QueueWorker(stack.env, stack.log_dir, "celery", name="fast")
    stack.workers.append(fast)
    fast.start()
    large = ("各单位要高度重视，" * 70_000).encode()  # ~1.9 MB of plain text: over the 1 MiB threshold
    with stack.client("cms1") as cms, stack.client("rev1") as rev:
        big = _submit(cms, "large", large, "汇编.txt")
        small = [cms.post("/api/v1/items", json={"external_id": f"s-{i}", "content": f"{PLAIN}{i}"}).json() for i in range(3)]
        for p in small:
            assert terminal(rev, p["id"], timeout=30)["state"] == "awaiting_review"
        assert cms.get(f"/api/v1/items/{big['id']}").json()["state"] == "queued"
        assert stack.redis.client().llen("scan_large") >= 1
        slow = QueueWorker(stack.env, stack.log_dir, "scan_large", name="large")
        stack.workers.append(slow)
        slow.start()
        assert terminal(rev, big["id"], timeout=90)["state"] == "awaiting_review"
    figures("scan_queues", large_bytes=len(large), small_drafts=len(small), small_scanned_while_large_queued=True)
