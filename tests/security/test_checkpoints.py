"""The review log has a key and a witness: signed checkpoints of its head go to external sinks, and the verifier
checks the chain against them.

Attacks: an insider edits an event and re-hashes every event after it (the chain alone verifies again), or cuts the
last events; both must be found by `verify` with the checkpoints an auditor kept. A forged checkpoint line must be
rejected. The sinks are real: a directory, an HTTP witness (a real HTTP server thread) and syslog over UDP (a real
socket)."""

from __future__ import annotations

import itertools
import json
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import pytest
from sqlalchemy import select, text

from reviewer.audit import checkpoints
from reviewer.audit import verify as audit_verify
from reviewer.audit.chain import event_hash
from reviewer.audit.keys import SigningKey, load_or_create_key
from reviewer.cli import main
from reviewer.store.models import AuditCheckpoint, AuditEvent
from tests.reliability._helpers import figures
from tests.security.conftest import App, make_app
from tests.services import free_port
from tests.web.helpers import make_item

TEXT = "区档案馆关于开放二〇二五年度档案目录的公告。"


@pytest.fixture
def witnessed(sqlite_database_url: str, tmp_path: Path) -> Iterator[App]:
    a = make_app(sqlite_database_url, tmp_path / "data", REVIEWER_CHECKPOINT_DIR=str(tmp_path / "witness"),
                 REVIEWER_CHECKPOINT_EVERY="5", REVIEWER_CHECKPOINT_MINUTES="600")
    try:
        yield a
    finally:
        a.db.dispose()


def _head(a: App) -> int:
    with a.db.session() as s:
        return int(s.execute(text("SELECT max(seq) FROM audit_events")).scalar_one())


_SERIAL = itertools.count()


def _events(a: App, n_items: int) -> None:
    for _ in range(n_items):
        i = next(_SERIAL)
        make_item(a.db, f"{TEXT}{i}", external_id=f"cp-{i}")


def _lines(a: App) -> list[dict]:  # type: ignore[type-arg]
    path = a.settings.checkpoint_dir / checkpoints.FILE_NAME  # type: ignore[operator]
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def _report(a: App, paths: list[Path] | None = None) -> audit_verify.FullReport:
    with a.db.session() as s:
        return audit_verify.run(s, receipt_key=load_or_create_key(a.data_dir).public,
                                checkpoint_key=checkpoints.checkpoint_key(a.settings).public,
                                checkpoint_paths=paths if paths is not None else [a.settings.checkpoint_dir])  # type: ignore[list-item]


def _rehash_from(a: App, seq: int, new_data: str) -> None:
    """The insider's rewrite: change one event and recompute every hash after it, so the chain verifies on its own."""
    with a.db.session() as s:
        rows = list(s.scalars(select(AuditEvent).where(AuditEvent.seq >= seq - 1).order_by(AuditEvent.seq)))
        prev = rows[0].hash if rows[0].seq == seq - 1 else "0" * 64
        for ev in rows:
            if ev.seq < seq:
                continue
            if ev.seq == seq:
                ev.data = new_data
            ev.prev_hash = prev
            ev.hash = event_hash(prev, seq=ev.seq, at=ev.at, actor=ev.actor, actor_role=ev.actor_role, unit_code=ev.unit_code,
                                 item_id=ev.item_id, action=ev.action, data=ev.data)
            prev = ev.hash
            s.flush()


def test_checkpoints_are_signed_every_n_events_and_written_to_the_directory(witnessed: App) -> None:
    # the seeded accounts' events: each was checkpointed at once (ANCHORED_ACTIONS), to the data directory only
    base = _head(witnessed)
    with witnessed.db.session() as s:
        assert max(s.scalars(select(AuditCheckpoint.seq))) == base
    _events(witnessed, 4)  # 4 × (submit, scan_started, scan) = 12 events: the count rule (every 5) from base
    lines = _lines(witnessed)
    assert [c["seq"] for c in lines] == [base + 5, base + 10], lines
    key = checkpoints.checkpoint_key(witnessed.settings)
    receipt_key = load_or_create_key(witnessed.data_dir)
    assert key.key_id != receipt_key.key_id and all(c["purpose"] == checkpoints.PURPOSE and c["key_id"] == key.key_id for c in lines)
    with witnessed.db.session() as s:
        delivered = {r.seq: r.delivered_at is not None for r in s.scalars(select(AuditCheckpoint))}
        assert all(delivered.values()) and {1, base, base + 5, base + 10} <= set(delivered), delivered
        hashes = dict(s.execute(select(AuditEvent.seq, AuditEvent.hash)).all())
    assert all(hashes[c["seq"]] == c["hash"] for c in lines)
    report = _report(witnessed)
    assert report.ok and report.chain.checkpoints_matched == 2 and report.chain.last_checkpoint == base + 10


def test_edited_and_rehashed_log_is_caught_by_the_checkpoints(witnessed: App) -> None:
    b = _head(witnessed)
    _events(witnessed, 5)  # 15 events, checkpoints at b+5, b+10, b+15 (b: the last seeded account event, anchored)
    with witnessed.db.session() as s:
        data = s.execute(select(AuditEvent.data).where(AuditEvent.seq == b + 8)).scalar_one()
    _rehash_from(witnessed, b + 8, data.replace('"verdict":"pass"', '"verdict":"block"') if "verdict" in data else data + " ")
    with witnessed.db.session() as s:
        from reviewer.audit.queries import verify as chain_only

        assert chain_only(s).ok  # the rewrite fools the chain alone: that is the attack
    report = _report(witnessed)
    assert not report.ok
    broken = report.chain.broken
    # the first event after the last checkpoint that still matches (b+5)
    assert broken is not None and broken.seq == b + 6, broken
    assert f"第 {b + 10} 号事件的哈希与外部检查点" in broken.reason and f"第 {b + 6} 至第 {b + 10} 号" in broken.reason
    figures("checkpoint_rewrite", events=15, edited=8, reported_from=broken.seq - b, checkpoints=3)


def test_cut_tail_is_caught_by_the_checkpoints(witnessed: App) -> None:
    b = _head(witnessed)
    _events(witnessed, 4)  # 12 events, last checkpoint at b+10
    with witnessed.db.session() as s:
        s.execute(text("DELETE FROM audit_events WHERE seq >= :n"), {"n": b + 10})
    report = _report(witnessed)
    assert report.chain.broken is not None and "链尾被截断" in report.chain.broken.reason and report.chain.broken.seq == b + 10
    # without the witness the shortened chain verifies: the checkpoints are what catches it
    assert _report(witnessed, paths=[]).chain.ok
    figures("checkpoint_cut_tail", events=12, cut_from=10, caught=1)


def test_forged_or_foreign_checkpoint_lines_are_rejected(witnessed: App, tmp_path: Path) -> None:
    _events(witnessed, 2)
    path = witnessed.settings.checkpoint_dir / checkpoints.FILE_NAME  # type: ignore[operator]
    real = _lines(witnessed)[-1]
    tampered = dict(real, hash="f" * 64)
    from datetime import UTC, datetime

    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    foreign = checkpoints.signed_line(SigningKey(Ed25519PrivateKey.generate()), 99, "e" * 64, datetime.now(UTC))
    with path.open("a", encoding="utf-8") as fh:
        fh.write(json.dumps(tampered) + "\n" + foreign + "\n" + "not json\n")
    report = _report(witnessed)
    assert not report.ok and len(report.checkpoints_rejected) == 3, report.checkpoints_rejected
    assert report.chain.ok  # the forged lines were not used: the real ones still match


def test_time_rule_checkpoints_a_quiet_log(witnessed: App, tmp_path: Path) -> None:
    _events(witnessed, 1)
    head = _head(witnessed)
    assert all(c["seq"] < head for c in _lines(witnessed))  # not due by count, and M (600 min) has not passed
    from reviewer.settings import Settings
    from reviewer.workflow.runtime import open_database
    from reviewer.workflow.sweep import sweep

    later = Settings.from_env({"REVIEWER_DATABASE_URL": str(witnessed.settings.database_url), "REVIEWER_DATA_DIR": str(witnessed.data_dir),
                               "REVIEWER_CHECKPOINT_DIR": str(witnessed.settings.checkpoint_dir), "REVIEWER_CHECKPOINT_MINUTES": "0.0001"})
    db = open_database(later)
    try:
        with db.session() as s:
            sweep(s)  # the workers' sweeper once M minutes have passed: the quiet head is checkpointed
        with db.session() as s:
            sweep(s)  # and only once
    finally:
        db.dispose()
    seqs = [c["seq"] for c in _lines(witnessed)]
    assert seqs.count(head) == 1, seqs
    anchored = (checkpoints.anchor_dir(witnessed.settings) / checkpoints.FILE_NAME).read_text(encoding="utf-8")
    assert '"seq":1,' in anchored and f'"seq":{head},' in anchored  # the data directory holds every checkpoint


class _Witness(BaseHTTPRequestHandler):
    received: list[bytes] = []
    fail = False

    def do_POST(self) -> None:  # noqa: N802
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if _Witness.fail:
            self.send_response(503)
        else:
            _Witness.received.append(body)
            self.send_response(204)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


def test_http_witness_and_syslog_receive_each_checkpoint_and_failures_are_retried(sqlite_database_url: str, tmp_path: Path) -> None:
    server = HTTPServer(("127.0.0.1", 0), _Witness)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    udp_port = free_port()
    udp.bind(("127.0.0.1", udp_port))
    udp.settimeout(5)
    _Witness.received, _Witness.fail = [], False
    a = make_app(sqlite_database_url, tmp_path / "data", REVIEWER_CHECKPOINT_URL=f"http://127.0.0.1:{server.server_port}/cp",
                 REVIEWER_CHECKPOINT_SYSLOG=f"udp://127.0.0.1:{udp_port}", REVIEWER_CHECKPOINT_EVERY="3")
    try:
        b = _head(a)
        _events(a, 1)  # events b+1..b+3: checkpoint at b+3 (b: the last seeded account event, anchored at once)
        assert [json.loads(x)["seq"] for x in _Witness.received] == [b + 3]
        datagram = udp.recv(65535).decode()
        assert "reviewer-audit-checkpoint" in datagram and f'"seq":{b + 3}' in datagram
        _Witness.fail = True
        _events(a, 1)  # events b+4..b+6: checkpoint at b+6 is refused by the witness
        with a.db.session() as s:
            row = s.execute(select(AuditCheckpoint).where(AuditCheckpoint.seq == b + 6)).scalar_one()
            assert row.delivered_at is None and "HTTP" in (row.last_error or "")
        _Witness.fail = False
        with a.db.session() as s:
            assert checkpoints.redeliver(s) == 1  # b+6 (the seeded ones went to the data directory, which every install has)
        assert [json.loads(x)["seq"] for x in _Witness.received] == [b + 3, b + 6]
        with a.db.session() as s:
            assert s.execute(select(AuditCheckpoint.delivered_at).where(AuditCheckpoint.seq == b + 6)).scalar_one() is not None
        # what the witness kept verifies the chain like the directory does
        kept = tmp_path / "witness-copy.jsonl"
        kept.write_bytes(b"\n".join(_Witness.received) + b"\n")
        assert _report(a, paths=[kept]).chain.checkpoints_matched == 2
        figures("checkpoint_sinks", http_received=len(_Witness.received), syslog_udp=1, retried=1)
    finally:
        a.db.dispose()
        server.shutdown()
        udp.close()


def test_cli_expect_head_and_checkpoints(witnessed: App, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("REVIEWER_DATABASE_URL", str(witnessed.settings.database_url))
    monkeypatch.setenv("REVIEWER_DATA_DIR", str(witnessed.data_dir))
    monkeypatch.setenv("REVIEWER_CHECKPOINT_DIR", str(witnessed.settings.checkpoint_dir))
    b = _head(witnessed)
    _events(witnessed, 2)  # a checkpoint at b+5 (b: the last seeded account event, anchored at once)
    assert main(["audit", "head"]) == 0
    recorded = capsys.readouterr().out.strip().splitlines()[-1]
    for bad in ["12345", recorded[:-1], recorded + "0", "g" * 64, "第六号"]:
        assert main(["audit", "verify", "--expect-head", bad]) == 2
        err = capsys.readouterr().err
        assert "不是链头哈希" in err and "64 位十六进制" in err and "断裂" not in err, err
    _events(witnessed, 1)
    assert main(["audit", "verify", "--expect-head", recorded.upper()]) == 0
    out = capsys.readouterr().out
    assert f"外部记录的链头是第 {b + 6} 号事件" in out and "记录于" in out, out
    # the data directory (every seeded account event, b+5) and the witness directory (b+5); every distinct one matches
    distinct = len((checkpoints.anchor_dir(witnessed.settings) / checkpoints.FILE_NAME).read_text().splitlines())
    assert f"签名检查点：读取 {distinct + 1} 个" in out and f"吻合 {distinct} 个" in out, out
    assert main(["audit", "checkpoint"]) == 0
    assert f"已签署第 {b + 9} 号事件的检查点" in capsys.readouterr().out
    assert main(["audit", "checkpoint-key"]) == 0
    assert "BEGIN PUBLIC KEY" in capsys.readouterr().out
    with witnessed.db.session() as s:
        s.execute(text("DELETE FROM audit_events WHERE seq = :n"), {"n": b + 9})
    assert main(["audit", "verify"]) == 1
    assert "链尾被截断" in capsys.readouterr().err
