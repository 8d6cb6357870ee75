"""Secrets: tokens, passwords and session ids are stored only as hashes (every text column of every table is searched
for the raw values); the receipt signing key is created owner-only (0600) even under a permissive umask; and no draft
text or matched term appears in the API's or the worker's logs or in the Redis traffic of a scan (a `redis-cli
MONITOR` on the private Redis, base64 bodies of the Celery messages decoded)."""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
import re
import shutil
import stat
import subprocess
import time
from pathlib import Path

import httpx
import pytest
from sqlalchemy import inspect, select, text

from reviewer.store.models import ApiToken, User, WebSession
from reviewer.workflow.receipts import KEY_FILE, load_or_create_key
from tests.reliability._helpers import FaultWorker, figures, terminal
from tests.security.conftest import App
from tests.services import ApiServer, Stack, wait_for
from tests.web.helpers import login

SENTENCE = "本单位承担青鸾七号工程的配套任务，预计于下月完成总装测试。"
TERM = "青鸾七号工程"  # matched by a rule added for this test only
DRAFT_ONLY = "预计于下月完成总装测试"  # draft text that is not a matched term


def _all_text(a: App) -> str:
    """Every value of every column of every table, as text."""
    out = []
    with a.db.session() as s:
        insp = inspect(s.get_bind())
        for table in insp.get_table_names():
            for row in s.execute(text(f'SELECT * FROM "{table}"')):
                out.extend(v.decode("utf-8", "replace") if isinstance(v, bytes) else str(v) for v in row)
    return "\n".join(out)


def test_tokens_passwords_and_sessions_are_stored_hashed(inproc: App) -> None:
    c = inproc.client()
    assert login(c, "rev1").status_code == 303
    cookie = c.cookies.get("rv_session")
    assert cookie
    dump = _all_text(inproc)
    passwords = [f"{u}-password" for u in ("rev1", "rev1b", "off1", "aud", "rev2", "off2", "adm")]
    for secret in [*inproc.tokens.values(), *passwords, cookie]:
        assert secret not in dump, "a secret is stored in clear"
    with inproc.db.session() as s:
        hashes = set(s.execute(select(ApiToken.token_hash)).scalars())
        assert {hashlib.sha256(t.encode()).hexdigest() for t in inproc.tokens.values()} <= hashes
        assert all(h.startswith("$argon2") for h in s.execute(select(User.password_hash).where(User.password_hash.isnot(None))).scalars())
        assert hashlib.sha256(cookie.encode()).hexdigest() in set(s.execute(select(WebSession.session_hash)).scalars())
        prefixes = list(s.execute(select(ApiToken.prefix)).scalars())
    assert all(len(p) <= 12 for p in prefixes)  # a recognisable prefix, far too short to use
    figures("secrets_at_rest", tokens=len(inproc.tokens), passwords=len(passwords), sessions=1, found_in_clear=0)


def test_signing_key_file_is_owner_only(tmp_path: Path, inproc: App) -> None:
    old = os.umask(0)  # even a careless umask must not make the key readable by others
    try:
        load_or_create_key(tmp_path / "data")
    finally:
        os.umask(old)
    mode = stat.S_IMODE((tmp_path / "data" / KEY_FILE).stat().st_mode)
    assert mode == 0o600, oct(mode)
    # and the key the running service creates on first use
    assert inproc.client().get("/api/v1/keys").status_code == 200
    assert stat.S_IMODE((inproc.data_dir / KEY_FILE).stat().st_mode) == 0o600


def _decoded(blob: str) -> str:
    """The text plus every base64 run in it decoded (Celery's Redis transport base64-encodes message bodies)."""
    parts = [blob]
    for run in re.findall(r"[A-Za-z0-9+/=]{12,}", blob):
        for cut in range(4):  # the run may start mid-group
            chunk = run[cut:]
            chunk = chunk[: len(chunk) - len(chunk) % 4]
            try:
                parts.append(base64.b64decode(chunk, validate=True).decode("utf-8", "ignore"))
            except (binascii.Error, ValueError):
                continue
    text_ = "\n".join(parts)
    # MONITOR escapes non-ASCII bytes as \xNN: undo that too
    try:
        unescaped = re.sub(rb"\\x([0-9a-f]{2})", lambda m: bytes([int(m.group(1), 16)]), text_.encode()).decode("utf-8", "ignore")
    except UnicodeError:
        unescaped = ""
    return text_ + "\n" + unescaped


@pytest.mark.integration
@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_no_draft_text_or_matched_term_in_logs_or_broker_traffic(stack: Stack, tmp_path: Path) -> None:
    rules = tmp_path / "rules"
    rules.mkdir()
    (rules / "leak-marker.yaml").write_text(
        f"id: leak-marker\nkind: terms\nseverity: review\ncategory: 测试\nmessage: 测试用标记词\nterms: [{TERM}]\n", encoding="utf-8")
    env = dict(stack.env, REVIEWER_RULES_PATH=str(rules))
    # a second API server with debug logging, so the test reads as much as the API could ever write
    api = ApiServer(dict(env, REVIEWER_LOG_LEVEL="DEBUG"), stack.log_dir)
    api.start()
    monitor_log = tmp_path / "monitor.txt"
    with monitor_log.open("wb") as out:
        monitor = subprocess.Popen([shutil.which("redis-cli") or "/usr/bin/redis-cli", "-p", str(stack.redis.port), "MONITOR"],
                                   stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        wait_for(lambda: monitor_log.read_bytes().startswith(b"OK"), 10, what="redis-cli MONITOR")
        worker = FaultWorker(env, stack.log_dir, name="leak")
        stack.workers.append(worker)
        worker.start()
        with httpx.Client(base_url=api.url, timeout=30) as c:
            cms = {"Authorization": f"Bearer {stack.seed.tokens['cms1']}"}
            rev = {"Authorization": f"Bearer {stack.seed.tokens['rev1']}"}
            item = c.post("/api/v1/items", json={"external_id": "leak-1", "title": "通知", "content": SENTENCE}, headers=cms).json()
            c.headers.update(rev)
            full = terminal(c, item["id"])
            assert [f["match"] for f in full["findings"] if f["rule"] == "leak-marker"] == [TERM], full["findings"]
            disp = [{"finding_id": f["id"], "disposition": "confirmed", "reason": "涉及工程代号"} for f in full["findings"]]
            r = c.post(f"/api/v1/items/{item['id']}/review", json={"content_sha256": item["content_sha256"], "decision": "return",
                                                                 "comment": "请删除工程代号", "findings": disp})
            assert r.status_code == 200, r.text
            c.headers.update(cms)
            c.post("/api/v1/release-check", json={"external_id": "leak-1", "content": SENTENCE})
        time.sleep(0.5)
    finally:
        os.killpg(monitor.pid, 15)
        monitor.wait(10)
        api.stop()
    traffic = monitor_log.read_text(errors="replace")
    assert "reviewer.scan_item" in traffic or "reviewer.scan_item" in _decoded(traffic), "the scan message was not observed"
    sources = {
        "redis MONITOR": _decoded(traffic),
        "worker log": worker.log(),
        "API log": api.log_path.read_text(errors="replace"),
        "stack API log": stack.api.log_path.read_text(errors="replace") if stack.api else "",  # type: ignore[union-attr]
        "redis log": (stack.redis.directory / "redis.log").read_text(errors="replace"),
    }
    for name, content in sources.items():
        for secret in (TERM, DRAFT_ONLY, SENTENCE[:10], "配套任务", "青鸾"):
            assert secret not in content, f"{secret!r} found in {name}"
    assert re.search(rf"\[\s*{item['id']}\s*\]", sources["redis MONITOR"]), "the task message should carry the item id"
    figures("no_leak_in_logs_or_broker", monitor_bytes=len(traffic), sources=len(sources), markers=5, found=0)
