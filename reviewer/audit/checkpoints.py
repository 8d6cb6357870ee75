"""Signed checkpoints of the review log's head, written to external append-only sinks (the witness).

The hash chain alone proves nothing against someone who can write the database: they can edit a row and re-hash
everything after it, or cut the last rows. So the head is signed (Ed25519, the checkpoint key
REVIEWER_DATA_DIR/checkpoint-signing-key.pem, purpose `reviewer-audit-checkpoint`) every N events
(REVIEWER_CHECKPOINT_EVERY, default 100) and every M minutes (REVIEWER_CHECKPOINT_MINUTES, default 10: by the next
event after M minutes, and by the workers' sweeper when the log is quiet), and each checkpoint is sent to every sink
the operator configured:

- REVIEWER_CHECKPOINT_DIR: a directory on other storage (another disk, an NFS export, a WORM mount); the line is
  appended to `audit-checkpoints.jsonl` (O_APPEND, fsync) — `chattr +a` on that file keeps it append-only;
- REVIEWER_CHECKPOINT_URL: an HTTP(S) witness; each line is POSTed as JSON, any 2xx counts as received;
- REVIEWER_CHECKPOINT_SYSLOG: `/dev/log`, `udp://host:514` or `tcp://host:514` (a remote log server).

Anchoring is on by default: whatever else is configured, every checkpoint is also appended to
REVIEWER_DATA_DIR/checkpoints/audit-checkpoints.jsonl (`anchor_dir`) — the data directory holds the signing keys a
database writer does not have, so a re-hashed chain no longer matches. `reviewer audit verify` and the verify page
read that directory (and REVIEWER_CHECKPOINT_DIR) without flags; `anchoring_problems` names why an install cannot
anchor, and verify, the verify page and `reviewer stack` say so loudly.

A checkpoint row in the database records each checkpoint and whether every sink took it; one that failed is sent
again by the sweeper. `reviewer audit verify` reads the lines back (the directory, or a file the auditor keeps),
checks each signature with the checkpoint public key (`reviewer audit checkpoint-key`) and checks the chain against
every checkpoint (audit.queries.verify)."""

from __future__ import annotations

import json
import logging
import logging.handlers
import os
import socket
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from reviewer.audit.chain import canonical_json
from reviewer.audit.keyring import Trust, trust_of
from reviewer.audit.keys import CHECKPOINT_KEY_FILE, KeyProblem, SigningKey, load_or_create_key, verify_with
from reviewer.settings import Settings
from reviewer.store.models import AuditCheckpoint, AuditEvent, utcnow
from reviewer.store.session import on_commit

log = logging.getLogger(__name__)

PURPOSE = "reviewer-audit-checkpoint"
FILE_NAME = "audit-checkpoints.jsonl"
NEW_IN_SESSION = "reviewer:new-checkpoints"


def checkpoint_key(settings: Settings) -> SigningKey:
    return load_or_create_key(settings.data_dir, CHECKPOINT_KEY_FILE)


def checkpoint_trust(settings: Settings) -> Trust:
    """Every checkpoint key the data directory ever used (audit.keyring)."""
    from reviewer.audit import keyring

    try:
        checkpoint_key(settings)  # an install from before the keyring records its key first
    except KeyProblem:
        pass  # the key file is missing (verify names it): the keyring still verifies the lines already signed
    return keyring.trust(settings.data_dir, "checkpoint")


def _aware(at: datetime) -> datetime:
    return at if at.tzinfo is not None else at.replace(tzinfo=UTC)


def signed_line(key: SigningKey, seq: int, head_hash: str, at: datetime) -> str:
    body = {"purpose": PURPOSE, "seq": seq, "hash": head_hash, "at": _aware(at).astimezone(UTC).isoformat(), "key_id": key.key_id}
    return canonical_json({**body, "signature": key.sign(canonical_json(body))})


# ------------------------------------------------------------------ writing


def _settings(session: Session) -> Settings | None:
    runtime = session.info.get("runtime")
    return getattr(runtime, "settings", None)


ANCHOR_DIR = "checkpoints"


def anchor_dir(settings: Settings) -> Path:
    """The checkpoint file every install keeps in its data directory (anchoring on by default)."""
    return settings.data_dir / ANCHOR_DIR


def sinks_configured(settings: Settings) -> bool:
    return True  # the data directory is always a sink; external witnesses are added by configuration


def witness_configured(settings: Settings) -> bool:
    return bool(settings.checkpoint_dir or settings.checkpoint_url or settings.checkpoint_syslog)


def verify_paths(settings: Settings) -> list[Path]:
    """Where verify reads checkpoints without flags: the data directory's file and the configured directory."""
    paths = [anchor_dir(settings)]
    if settings.checkpoint_dir is not None and settings.checkpoint_dir.resolve() != paths[0].resolve():
        paths.append(settings.checkpoint_dir)
    return [p for p in paths if p.exists()]


def anchoring_problems(settings: Settings) -> list[str]:
    """Why this install cannot anchor its review log (Chinese; empty when it can)."""
    problems = []
    if settings.checkpoint_every <= 0:
        problems.append("已关闭自动检查点（配置项 REVIEWER_CHECKPOINT_EVERY 不大于 0）")
    directory = anchor_dir(settings)
    try:
        directory.mkdir(parents=True, exist_ok=True)
        if not os.access(directory, os.W_OK):
            problems.append(f"检查点目录 {directory} 不可写")
    except OSError as exc:
        problems.append(f"无法创建检查点目录 {directory}（{type(exc).__name__}）")
    try:
        checkpoint_key(settings)
    except KeyProblem as exc:
        problems.append(exc.message)
    except (OSError, ValueError) as exc:
        problems.append(f"无法读取或创建检查点签名密钥（{type(exc).__name__}）")
    return problems


ANCHOR_WARNING = ("警告：本系统无法为审查日志做签名检查点（{problems}）：能写数据库的人可以改写一条记录并重算其后的全部哈希，"
                  "校验将无法发现")


# Events that are checkpointed the moment they are written (not only every N events / M minutes): the decisions and
# what a decision is judged by — a sign-off, an approval, a rejection, a release, a receipt, a rule-set version or
# scope, a registration, a unit's policy, an account's role or credential. A database writer can then rewrite none of
# them: the signed line naming the head at that event is already in the data directory, and through the chain it
# covers every event before it (a sign-off's dispositions and exception note are written just before it, in the same
# transaction: they need no checkpoint of their own). What follows the last such event (scans, reads, callbacks)
# stays in the tail until the next checkpoint (docs/accounts.md).
ANCHORED_ACTIONS = frozenset({
    "sign_off", "approve", "officer_sign_off", "reject", "return", "receipt",
    "released", "rules_loaded", "rule_scope_changed", "fingerprints_registered", "unit_created", "unit_updated",
    "user_created", "user_role_changed", "user_deactivated", "token_created", "token_rotated", "token_revoked",
    "cms_id_linked", "alert_resolved", "monitor_handled",
})


def after_append(session: Session, event: AuditEvent) -> AuditCheckpoint | None:
    """Called by audit.append with the chain lock held: checkpoint this event when it is one of ANCHORED_ACTIONS, or
    when N events or M minutes have passed since the last checkpoint. The row is part of the caller's transaction;
    the sinks are written after commit."""
    settings = _settings(session)
    if settings is None or settings.checkpoint_every <= 0:
        return None
    if event.action in ANCHORED_ACTIONS:
        return _make(session, settings, event.seq, event.hash, event.at)
    # only rows before this event count, and a time in the future counts as now: a row inserted in the database with
    # a high seq or a late time must not stop the checkpoints
    last = session.execute(select(AuditCheckpoint.seq, AuditCheckpoint.at).where(AuditCheckpoint.seq < event.seq)
                           .order_by(AuditCheckpoint.seq.desc()).limit(1)).first()
    if last is not None:
        by_count = event.seq - last.seq >= settings.checkpoint_every
        last_at = min(_aware(last.at), _aware(event.at))
        by_time = _aware(event.at) - last_at >= timedelta(minutes=settings.checkpoint_minutes) or last_at == _aware(event.at)
        if not (by_count or by_time):
            return None
    return _make(session, settings, event.seq, event.hash, event.at)


def _make(session: Session, settings: Settings, seq: int, head_hash: str, at: datetime) -> AuditCheckpoint | None:
    try:
        key = checkpoint_key(settings)
    except KeyProblem as exc:
        # no checkpoint rather than every transaction failing: verify says the events after the last checkpoint are
        # not anchored, and names this problem (anchoring_problems)
        log.error("未能签署审查日志检查点：%s", exc.message)
        return None
    line = signed_line(key, seq, head_hash, at)
    cp = AuditCheckpoint(seq=seq, hash=head_hash, at=utcnow(), line=line, attempts=0)
    session.add(cp)
    session.flush()
    bind = session.get_bind()
    cp_id = cp.id
    session.info.setdefault(NEW_IN_SESSION, set()).add(cp_id)
    on_commit(session, _deliverer(bind, settings, cp_id, line))
    return cp


def checkpoint_now(session: Session, *, force: bool = False) -> AuditCheckpoint | None:
    """The time rule when the log is quiet (the sweeper) and `reviewer audit checkpoint`: checkpoint the current head
    if it moved since the last checkpoint and M minutes passed (or always with force)."""
    from reviewer.store.session import lock

    settings = _settings(session)
    if settings is None:
        return None
    from reviewer.audit.events import CHAIN_LOCK

    lock(session, CHAIN_LOCK)
    head = session.execute(select(AuditEvent.seq, AuditEvent.hash, AuditEvent.at).order_by(AuditEvent.seq.desc()).limit(1)).first()
    if head is None:
        return None
    last = session.execute(select(AuditCheckpoint.seq, AuditCheckpoint.at).where(AuditCheckpoint.seq <= head.seq)
                           .order_by(AuditCheckpoint.seq.desc()).limit(1)).first()
    if last is not None and last.seq >= head.seq:
        return None
    if not force and last is not None and utcnow() - min(_aware(last.at), utcnow()) < timedelta(minutes=settings.checkpoint_minutes):
        return None
    return _make(session, settings, head.seq, head.hash, head.at)


def redeliver(session: Session, limit: int = 100) -> int:
    """Send again the checkpoints some sink did not take (the sweeper calls this)."""
    settings = _settings(session)
    if settings is None or not sinks_configured(settings):
        return 0
    rows = list(session.execute(
        select(AuditCheckpoint.id, AuditCheckpoint.line).where(AuditCheckpoint.delivered_at.is_(None)).order_by(AuditCheckpoint.seq).limit(limit)
    ))
    bind = session.get_bind()
    rows = [r for r in rows if r[0] not in session.info.get(NEW_IN_SESSION, ())]  # those are sent at commit already
    for cp_id, line in rows:
        on_commit(session, _deliverer(bind, settings, cp_id, line))
    return len(rows)


def _deliverer(bind: Any, settings: Settings, cp_id: int, line: str) -> Callable[[], None]:
    return lambda: _deliver_and_mark(bind, settings, cp_id, line)


def _deliver_and_mark(bind: Any, settings: Settings, cp_id: int, line: str) -> None:
    errors = deliver(settings, line)
    try:
        with Session(bind=bind) as s:
            values: dict[str, Any] = {"attempts": AuditCheckpoint.attempts + 1, "last_error": "；".join(errors)[:2000] or None}
            if not errors:
                values["delivered_at"] = utcnow()
            s.execute(update(AuditCheckpoint).where(AuditCheckpoint.id == cp_id).values(**values))
            s.commit()
    except Exception as exc:  # noqa: BLE001 - the sinks have the line; the row is updated by the next redelivery
        log.warning("审查日志检查点 %s 已发送，但发送结果未能写入数据库（%s）；该检查点仍记为未送达，补投时会再次发送", cp_id,
                    type(exc).__name__)


def deliver(settings: Settings, line: str) -> list[str]:
    """Write one checkpoint line to every configured sink; returns the Chinese errors (empty: all took it)."""
    errors = []
    try:
        write_directory(anchor_dir(settings), line)
    except OSError as exc:
        errors.append(f"数据目录中的检查点文件不可写（{type(exc).__name__}）")
    if settings.checkpoint_dir is not None and settings.checkpoint_dir.resolve() != anchor_dir(settings).resolve():
        try:
            write_directory(settings.checkpoint_dir, line)
        except OSError as exc:
            errors.append(f"检查点目录不可写（{type(exc).__name__}）")
    if settings.checkpoint_url:
        try:
            post_witness(settings.checkpoint_url, line)
        except Exception as exc:  # noqa: BLE001 - any failure of the witness is retried later
            errors.append(f"HTTP 见证服务未接收（{type(exc).__name__}）")
    if settings.checkpoint_syslog:
        try:
            send_syslog(settings.checkpoint_syslog, line)
        except OSError as exc:
            errors.append(f"syslog 未接收（{type(exc).__name__}）")
    for e in errors:
        log.warning("审查日志检查点未能送达：%s；该检查点记为未送达，补投时会再次发送", e)
    return errors


def write_directory(directory: Path, line: str) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    fd = os.open(directory / FILE_NAME, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o640)
    try:
        os.write(fd, (line + "\n").encode("utf-8"))
        os.fsync(fd)
    finally:
        os.close(fd)


def post_witness(url: str, line: str) -> None:
    import httpx

    resp = httpx.post(url, content=line.encode("utf-8"), headers={"Content-Type": "application/json"}, timeout=5.0)
    if not 200 <= resp.status_code < 300:
        raise RuntimeError(f"HTTP {resp.status_code}")


def send_syslog(target: str, line: str) -> None:
    if target.startswith(("udp://", "tcp://")):
        parts = urlsplit(target)
        address: Any = (parts.hostname or "127.0.0.1", parts.port or 514)
        kind = socket.SOCK_DGRAM if target.startswith("udp://") else socket.SOCK_STREAM
    else:
        address, kind = target, None
    handler = logging.handlers.SysLogHandler(address=address, facility=logging.handlers.SysLogHandler.LOG_AUTH, socktype=kind)
    try:
        record = logging.LogRecord("reviewer.audit", logging.WARNING,
                                   __file__, 0, "reviewer-audit-checkpoint %s", (line,), None)
        handler.emit(record)
    finally:
        handler.close()


# ------------------------------------------------------------------ reading


@dataclass(frozen=True, slots=True)
class Checkpoint:
    seq: int
    hash: str
    at: str
    source: str  # file:line


@dataclass(frozen=True, slots=True)
class Loaded:
    checkpoints: list[Checkpoint]
    rejected: list[str]  # Chinese: lines that are not valid signed checkpoints (named by file and line)
    distrusted: list[str] = field(default_factory=list)  # Chinese: valid lines by a key marked compromised (not used)


def read(paths: list[Path], keys: Ed25519PublicKey | Trust) -> Loaded:
    """Every checkpoint line in the given files (a directory means its audit-checkpoints*.jsonl files). A line whose
    signature does not verify with the key its key id names in `keys` (the keyring's checkpoint keys, or one pinned
    public key), or that is not a checkpoint, is rejected and named; so is one a retired key signed after its
    retirement. A line signed by a key marked compromised, dated at or after the compromise, verifies but is not
    trusted: it anchors nothing and is listed in `distrusted`."""
    files: list[Path] = []
    for p in paths:
        if p.is_dir():
            files.extend(sorted(p.glob("audit-checkpoints*.jsonl")))
        elif p.exists():
            files.append(p)
    trust = keys if isinstance(keys, Trust) else trust_of(keys, "checkpoint")
    out: list[Checkpoint] = []
    rejected: list[str] = []
    distrusted: list[str] = []
    for f in files:
        for n, raw in enumerate(f.read_text(encoding="utf-8", errors="replace").splitlines(), 1):
            text = raw.strip()
            if not text:
                continue
            where = f"{f.name}:{n}"
            start = text.find("{")  # a syslog line carries a prefix before the JSON
            try:
                body = json.loads(text[start:]) if start >= 0 else None
            except ValueError:
                body = None
            if not isinstance(body, dict) or body.get("purpose") != PURPOSE:
                rejected.append(f"{where} 不是审查日志检查点")
                continue
            signature = str(body.pop("signature", ""))
            public = trust.public(str(body.get("key_id", "")))
            if public is None or not verify_with(public, canonical_json(body), signature):
                rejected.append(f"{where} 的签名无法用检查点公钥验证（被伪造、改动或来自其他密钥）")
                continue
            problem = trust.problem(str(body.get("key_id", "")), body.get("at"))
            if problem and "泄露" in problem:
                distrusted.append(f"{where}：{problem}")
                continue
            if problem:
                rejected.append(f"{where}：{problem}")
                continue
            try:
                out.append(Checkpoint(int(body["seq"]), str(body["hash"]), str(body.get("at", "")), where))
            except (KeyError, TypeError, ValueError):
                rejected.append(f"{where} 缺少序号或哈希")
    out.sort(key=lambda c: c.seq)
    return Loaded(out, rejected, distrusted)
