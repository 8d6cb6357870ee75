"""Hardening of the running service (real API server, real worker, real Redis):

- the data directory is 0700 and the database, WAL and key files 0600 after start, even when they were created
  world-readable; a directory whose permissions cannot be fixed refuses the start with a Chinese message;
- ids and offsets out of range answer 404/422 in Chinese, never 500 (and the server log holds no traceback);
- callback URLs: only https to hosts that are not loopback, link-local, the metadata address or with credentials
  — checked at registration and again, resolved, at delivery (a decimal-encoded 127.0.0.1 passes the first check
  and must be stopped by the second);
- every API response carries `Cache-Control: no-store` and `X-Content-Type-Options: nosniff`."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from reviewer.accounts import manage as accounts
from reviewer.errors import InvalidInput
from reviewer.settings import Settings
from reviewer.store.models import CallbackDelivery
from reviewer.store.permissions import InsecureStorage, secure_storage, sqlite_files
from reviewer.workflow.callbacks import UrlPolicy, check_url
from reviewer.workflow.runtime import open_database
from tests.reliability._helpers import Receiver, figures, open_db, terminal
from tests.services import ApiServer, Stack, Worker, service_env, wait_for

pytestmark = pytest.mark.integration
SQLITE_ONLY = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
TEXT = "县应急管理局关于汛期值班安排的通知。"


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@SQLITE_ONLY
def test_data_directory_and_database_files_are_private(stack: Stack, tmp_path: Path) -> None:
    with stack.client("cms1") as cms, stack.client("rev1") as rev:
        stack.worker()
        item = cms.post("/api/v1/items", json={"external_id": "perm", "content": TEXT}).json()
        terminal(rev, item["id"])
        assert rev.get("/api/v1/keys").status_code == 200  # creates the receipt key in the data dir
    files = [p for p in sqlite_files(stack.database_url) if p.exists()]
    assert any(p.name.endswith("-wal") for p in files), files
    assert _mode(stack.data_dir) == 0o700
    for path in [*files, *(p for p in stack.data_dir.rglob("*") if p.is_file())]:
        assert _mode(path) == 0o600, f"{path} is {oct(_mode(path))}"
    # Created world-readable by someone else's umask: fixed at the next start.
    data = tmp_path / "loose"
    data.mkdir(mode=0o755)
    os.chmod(data, 0o755)
    (data / "leftover.json").write_text("{}")
    os.chmod(data / "leftover.json", 0o644)
    for path in files:
        os.chmod(path, 0o644)
    api = ApiServer(service_env(stack.database_url, stack.redis.url, data), stack.log_dir).start()
    try:
        assert _mode(data) == 0o700 and _mode(data / "leftover.json") == 0o600
        assert all(_mode(p) == 0o600 for p in files if p.exists())
    finally:
        api.stop()
    figures("private_storage", data_dir=oct(0o700), files=oct(0o600), checked=len(files) + 2)


def test_storage_that_cannot_be_made_private_refuses_to_start(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    data = tmp_path / "d"
    data.mkdir()
    os.chmod(data, 0o755)

    def refuse(*_: object, **__: object) -> None:
        raise PermissionError(1, "Operation not permitted")

    monkeypatch.setattr(os, "chmod", refuse)
    with pytest.raises(InsecureStorage, match="拒绝启动"):
        secure_storage(data, f"sqlite:///{tmp_path / 'x.sqlite3'}", set_umask=False)


@SQLITE_ONLY
def test_out_of_range_ids_are_404_or_422_in_chinese(stack: Stack) -> None:
    huge = "9" * 20
    with stack.client("rev1") as rev, stack.client("cms1") as cms:
        cases = [
            (rev, "GET", f"/api/v1/items/{huge}", 404), (rev, "GET", f"/api/v1/items/{2**31}", 404),
            (rev, "GET", f"/api/v1/items/{2**63}/receipt", 404), (cms, "POST", f"/api/v1/items/{huge}/released", 404),
            (rev, "POST", f"/api/v1/items/{huge}/review", 404),
            (rev, "GET", f"/api/v1/review-queue?offset={huge}", 422), (rev, "GET", "/api/v1/review-queue?offset=-5", 422),
            (rev, "GET", "/api/v1/review-queue?limit=-1", 422), (rev, "GET", f"/api/v1/review-queue?limit={huge}", 422),
            (cms, "GET", f"/api/v1/items/{huge}", 404),
        ]
        for client, method, path, status in cases:
            r = client.request(method, path, json={} if method == "POST" else None)
            assert r.status_code == status, (path, r.status_code, r.text)
            detail = r.json()["detail"]
            assert any("\u4e00" <= ch <= "\u9fff" for ch in detail), detail
            assert r.headers["cache-control"] == "no-store"
    assert stack.api is not None
    log = stack.api.log_path.read_text(errors="replace")
    assert "Traceback" not in log and "OverflowError" not in log
    figures("out_of_range_ids", requests=len(cases), server_errors=0)


@pytest.mark.parametrize("url", [
    "http://cms.example.gov.cn/hook", "https://127.0.0.1/hook", "https://127.8.9.10:8443/hook", "https://localhost/hook",
    "https://app.localhost/hook", "https://169.254.169.254/latest/meta-data/", "https://[::1]/hook", "https://[fe80::1]/hook",
    "https://[::ffff:127.0.0.1]/hook", "https://0.0.0.0/hook", "https://user:secret@cms.example.gov.cn/hook",
    "https://token@cms.example.gov.cn/hook", "ftp://cms.example.gov.cn/hook", "file:///etc/passwd", "https:///hook",
])
def test_callback_urls_that_are_refused_at_registration(url: str) -> None:
    with pytest.raises(InvalidInput):
        check_url(url, UrlPolicy())


def test_callback_urls_that_are_allowed() -> None:
    check_url("https://cms.example.gov.cn/hook", UrlPolicy())
    check_url("https://10.20.30.40:8443/hook", UrlPolicy())  # intranet publishing systems
    check_url("http://cms.example.gov.cn/hook", UrlPolicy(allow_http=True))
    check_url("https://127.0.0.1/hook", UrlPolicy(allow_hosts=("127.0.0.1",)))
    check_url("https://[fe80::1]/hook", UrlPolicy(allow_hosts=("fe80::/10",)))
    with pytest.raises(InvalidInput):  # an allowed host still may not carry credentials
        check_url("https://a:b@127.0.0.1/hook", UrlPolicy(allow_hosts=("127.0.0.1",)))


@SQLITE_ONLY
def test_a_callback_host_that_resolves_to_loopback_is_refused_at_delivery(stack: Stack) -> None:
    receiver = Receiver().start()
    try:
        env = dict(stack.env, REVIEWER_CALLBACK_ALLOW_HOSTS="")  # http allowed, no host exception
        db = open_database(Settings.from_env(env))
        sneaky = f"http://2130706433:{receiver.port}/hook"  # 127.0.0.1 written as one number: not an IP literal
        try:
            with db.session() as s:
                unit = accounts.get_unit(s, "U1")
                with pytest.raises(InvalidInput):
                    accounts.set_callback(s, unit, receiver.url)  # the plain loopback URL is refused here
            # The disguised one is only caught once resolved: register it as a unit could before this check existed.
            with db.session() as s:
                unit = accounts.get_unit(s, "U1")
                unit.callback_url, unit.callback_secret = sneaky, "s3cret"
        finally:
            db.dispose()
        w = Worker(env, stack.log_dir, name="cbw")
        stack.workers.append(w)
        w.start()
        with stack.client("cms1") as cms, stack.client("rev1") as rev:
            item = cms.post("/api/v1/items", json={"external_id": "cb", "content": TEXT}).json()
            terminal(rev, item["id"])
            r = rev.post(f"/api/v1/items/{item['id']}/review", json={"content_sha256": item["content_sha256"], "decision": "return"})
            assert r.status_code == 200, r.text
        db = open_db(stack.database_url, stack.data_dir)
        try:
            def attempted() -> CallbackDelivery | None:
                with db.session() as s:
                    d = s.query(CallbackDelivery).one_or_none()
                    return d if d is not None and d.attempts >= 1 else None

            delivery = wait_for(attempted, 60, 0.2, what="a delivery attempt")
        finally:
            db.dispose()
        assert receiver.started_requests == 0, "the callback reached a loopback address"
        assert delivery.status in ("pending", "failed") and "本机" in (delivery.last_error or ""), delivery.last_error
    finally:
        receiver.stop()
    figures("callback_ssrf", refused_at_registration=15, refused_at_delivery=1, requests_reaching_loopback=0)


@SQLITE_ONLY
def test_api_responses_are_not_cached_or_sniffed(stack: Stack) -> None:
    stack.worker()
    with stack.client("cms1") as cms, stack.client("rev1") as rev:
        item = cms.post("/api/v1/items", json={"external_id": "hdr", "content": "本件标注机密★5年，请核实。"}).json()
        full = terminal(rev, item["id"])
        assert full["findings"], full
        for client, path in [(rev, f"/api/v1/items/{item['id']}"), (cms, f"/api/v1/items/{item['id']}"), (rev, "/api/v1/review-queue"),
                             (cms, "/api/v1/items"), (rev, "/api/v1/items/424242"), (cms, "/api/v1/health")]:
            r = client.get(path)
            assert r.headers.get("cache-control") == "no-store", (path, r.headers)
            assert r.headers.get("x-content-type-options") == "nosniff", (path, r.headers)
        import httpx

        assert stack.api is not None
        r = httpx.get(stack.api.url + f"/api/v1/items/{item['id']}")  # no token: 401, same headers
        assert r.status_code == 401 and r.headers.get("cache-control") == "no-store"
    figures("api_cache_headers", routes=7, missing=0)
