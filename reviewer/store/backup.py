"""Backup and restore of one installation: the database, the data directory (signing keys, registered-document
rule files, checkpoint copies …) in one tar file, with a manifest of SHA-256 sums.

Consistent while the system runs: the database is copied first, as one snapshot (SQLite's online backup API; for
PostgreSQL `pg_dump`, one transaction), then the files. Files in the data directory only grow (keys are created once and
never overwritten), so every key a receipt in the snapshot was signed with is in the copy.

The backup holds private signing keys and every draft: it is written with mode 0600 and must be kept like the data
directory itself (encrypted media, or encrypted with a tool such as gpg; docs/operations.md)."""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy.engine import URL, make_url

from reviewer.errors import InvalidInput, ReviewerError, ServiceUnavailable
from reviewer.store.permissions import sqlite_files

FORMAT = "secrecy-review-backup/1"
MANIFEST = "manifest.json"
SQLITE_MEMBER = "database/reviewer.sqlite3"
PGDUMP_MEMBER = "database/reviewer.pgdump"
FILES_PREFIX = "data/"
# Not state: the demo stack's Redis dump and logs.
SKIP_TOP = {"redis", "logs"}


@dataclass(frozen=True)
class BackupReport:
    path: Path
    backend: str
    files: int
    bytes: int
    audit_seq: int
    audit_head: str


@dataclass(frozen=True)
class RestoreReport:
    backend: str
    files: int
    audit_seq: int
    audit_head: str


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _libpq(url: URL) -> tuple[str, dict[str, str]]:
    """A libpq connection string without the password (it goes in PGPASSWORD, never on a command line)."""
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    plain = url.set(drivername="postgresql", password=None)
    return plain.render_as_string(hide_password=False), env


def _tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise ServiceUnavailable(f"找不到 {name}：PostgreSQL 的备份与恢复需要它（apt-get install postgresql-client）")
    return found


def _audit_head_sqlite(path: Path) -> tuple[int, str]:
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as conn:
        row = conn.execute("SELECT seq, hash FROM audit_events ORDER BY seq DESC LIMIT 1").fetchone()
    return (int(row[0]), str(row[1])) if row else (0, "")


def _audit_head(database_url: str) -> tuple[int, str]:
    from sqlalchemy import create_engine, text
    from sqlalchemy.pool import NullPool

    engine = create_engine(database_url, poolclass=NullPool)
    try:
        with engine.connect() as conn:
            row = conn.execute(text("SELECT seq, hash FROM audit_events ORDER BY seq DESC LIMIT 1")).first()
    finally:
        engine.dispose()
    return (int(row[0]), str(row[1])) if row else (0, "")


def _snapshot_database(database_url: str, work: Path) -> tuple[str, Path, tuple[int, str]]:
    url = make_url(database_url)
    backend = url.get_backend_name()
    if backend == "sqlite":
        source = Path(url.database or "")
        if not source.is_file():
            raise InvalidInput(f"SQLite 数据库文件 {source} 不存在：请检查 REVIEWER_DATABASE_URL / REVIEWER_DATA_DIR")
        target = work / "reviewer.sqlite3"
        src = sqlite3.connect(f"file:{source}?mode=ro", uri=True, timeout=30)
        dst = sqlite3.connect(target)
        try:
            src.backup(dst)  # online backup: a consistent snapshot while writers continue
        finally:
            dst.close()
            src.close()
        return "sqlite", target, _audit_head_sqlite(target)
    if backend == "postgresql":
        target = work / "reviewer.pgdump"
        head = _audit_head(database_url)  # read before the dump: the dump holds at least these events
        conninfo, env = _libpq(url)
        # one transaction (a consistent snapshot); custom format for pg_restore; no owners so it restores anywhere
        done = subprocess.run([_tool("pg_dump"), "--format=custom", "--no-owner", "--no-privileges", "--file", str(target),
                               "--dbname", conninfo], env=env, capture_output=True, text=True)
        if done.returncode != 0:
            raise ServiceUnavailable(f"pg_dump 失败（退出码 {done.returncode}）：{done.stderr.strip()[-300:]}")
        return "postgresql", target, head
    raise InvalidInput(f"不支持备份此类数据库：{backend}")


ANCHOR_TOP = "checkpoints"  # the data directory's checkpoint anchor (audit.checkpoints.anchor_dir)


def _data_files(data_dir: Path, skip: set[Path]) -> list[Path]:
    out: list[Path] = []
    if not data_dir.is_dir():
        return out
    for path in sorted(data_dir.rglob("*")):
        rel = path.relative_to(data_dir)
        if rel.parts[0] in SKIP_TOP or path.resolve() in skip or not path.is_file() or path.is_symlink():
            continue
        out.append(path)
    return out


def backup(database_url: str, data_dir: Path, out: Path) -> BackupReport:
    out = out.resolve()
    if out.exists():
        raise InvalidInput(f"{out} 已存在：备份不会覆盖已有文件，请换一个文件名")
    if not out.parent.is_dir():
        raise InvalidInput(f"目录 {out.parent} 不存在")
    skip = {p.resolve() for p in sqlite_files(database_url)} | {out}
    with tempfile.TemporaryDirectory(prefix="reviewer-backup-") as tmp:
        # Each data file is copied once and the copy is both hashed and archived: a file that changes meanwhile
        # (the checkpoint file gains a line with every decision) cannot make the manifest disagree with the archive.
        # The checkpoint files are copied *before* the database snapshot: a checkpoint newer than the snapshot would
        # read, after a restore, as a cut tail of the log.
        copies: dict[str, Path] = {}

        def take(paths: list[Path]) -> None:
            for path in paths:
                rel = str(path.relative_to(data_dir))
                if rel in copies:
                    continue
                target = Path(tmp) / "files" / rel
                target.parent.mkdir(parents=True, exist_ok=True)
                try:
                    shutil.copy2(path, target)  # with its mode (keys stay 0600)
                except FileNotFoundError:  # removed meanwhile (a cache entry pushed out): not part of the backup
                    continue
                copies[rel] = target

        take([p for p in _data_files(data_dir, skip) if p.relative_to(data_dir).parts[0] == ANCHOR_TOP])
        backend, snapshot, (seq, head) = _snapshot_database(database_url, Path(tmp))
        take(_data_files(data_dir, skip))  # after the snapshot: every key it needs exists already
        entries = {rel: _sha256(copy) for rel, copy in sorted(copies.items())}
        member = SQLITE_MEMBER if backend == "sqlite" else PGDUMP_MEMBER
        manifest = {
            "format": FORMAT,
            "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "backend": backend,
            "database": {"member": member, "sha256": _sha256(snapshot)},
            "audit": {"seq": seq, "hash": head},
            "files": entries,
        }
        partial = out.with_name(out.name + ".partial")
        fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            with os.fdopen(fd, "wb") as fh, tarfile.open(fileobj=fh, mode="w:gz") as tar:
                blob = json.dumps(manifest, ensure_ascii=False, indent=1).encode()
                info = tarfile.TarInfo(MANIFEST)
                info.size, info.mode = len(blob), 0o600
                tar.addfile(info, io.BytesIO(blob))
                tar.add(snapshot, arcname=member, recursive=False)
                for rel, copy in sorted(copies.items()):
                    tar.add(copy, arcname=FILES_PREFIX + rel, recursive=False)
            os.replace(partial, out)
        finally:
            partial.unlink(missing_ok=True)
    return BackupReport(out, backend, len(copies), out.stat().st_size, seq, head)


def _read_manifest(tar: tarfile.TarFile) -> dict[str, object]:
    try:
        member = tar.extractfile(MANIFEST)
        manifest = json.loads(member.read()) if member else None
    except (KeyError, ValueError) as exc:
        raise InvalidInput("这不是本系统的备份文件（缺少或无法读取 manifest.json）") from exc
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise InvalidInput("这不是本系统的备份文件，或格式版本不受支持")
    return manifest


def _safe_name(name: str) -> str:
    parts = Path(name).parts
    if Path(name).is_absolute() or ".." in parts or not parts:
        raise InvalidInput(f"备份中有不安全的路径 {name!r}，拒绝恢复")
    return name


def _database_is_empty(database_url: str) -> bool:
    from sqlalchemy import create_engine, inspect
    from sqlalchemy.pool import NullPool

    engine = create_engine(database_url, poolclass=NullPool)
    try:
        with engine.connect() as conn:
            return not inspect(conn).get_table_names()
    finally:
        engine.dispose()


def restore(source: Path, database_url: str, data_dir: Path) -> RestoreReport:
    """Into an empty data directory and an empty database (never over a running installation)."""
    if not source.is_file():
        raise InvalidInput(f"备份文件 {source} 不存在")
    url = make_url(database_url)
    backend = url.get_backend_name()
    with tempfile.TemporaryDirectory(prefix="reviewer-restore-") as tmp, tarfile.open(source, "r:gz") as tar:
        manifest = _read_manifest(tar)
        if manifest["backend"] != backend:
            raise InvalidInput(f"备份的数据库是 {manifest['backend']}，而 REVIEWER_DATABASE_URL 是 {backend}：不支持跨数据库恢复")
        files = manifest["files"]
        database = manifest["database"]
        assert isinstance(files, dict) and isinstance(database, dict)
        if data_dir.exists() and any(p for p in data_dir.iterdir() if p.name not in SKIP_TOP):
            existing = [p for p in data_dir.iterdir() if p.name not in SKIP_TOP]
            if not (backend == "sqlite" and {p.resolve() for p in existing} <= {p.resolve() for p in sqlite_files(database_url)}
                    and _database_is_empty(database_url)):
                raise InvalidInput(f"数据目录 {data_dir} 不是空的：恢复只写入新的空数据目录（不会覆盖现有安装）")
        # extract everything into a staging directory, check every SHA-256, then move into place
        staged = Path(tmp)
        for info in tar.getmembers():
            name = _safe_name(info.name)
            if name == MANIFEST:
                continue
            if not info.isfile():
                raise InvalidInput(f"备份中有非普通文件 {name!r}，拒绝恢复")
            target = staged / name
            target.parent.mkdir(parents=True, exist_ok=True)
            fh = tar.extractfile(info)
            assert fh is not None
            with fh, target.open("wb") as out:
                shutil.copyfileobj(fh, out)
        db_file = staged / str(database["member"])
        if not db_file.is_file() or _sha256(db_file) != database["sha256"]:
            raise InvalidInput("备份中的数据库与清单的 SHA-256 不符（文件损坏或被改动），拒绝恢复")
        for rel, digest in files.items():
            path = staged / FILES_PREFIX / _safe_name(rel)
            if not path.is_file() or _sha256(path) != digest:
                raise InvalidInput(f"备份中的文件 {rel} 缺失或与清单的 SHA-256 不符，拒绝恢复")
        data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        if backend == "sqlite":
            target_db = Path(url.database or "")
            target_db.parent.mkdir(parents=True, exist_ok=True)
            for leftover in sqlite_files(database_url):
                leftover.unlink(missing_ok=True)  # the empty database `open_database` may have created
            shutil.copyfile(db_file, target_db)
            os.chmod(target_db, 0o600)
        else:
            if not _database_is_empty(database_url):
                raise InvalidInput("目标 PostgreSQL 数据库不是空的：请新建一个空数据库再恢复")
            conninfo, env = _libpq(url)
            done = subprocess.run([_tool("pg_restore"), "--no-owner", "--no-privileges", "--exit-on-error", "--dbname", conninfo,
                                   str(db_file)], env=env, capture_output=True, text=True)
            if done.returncode != 0:
                raise ServiceUnavailable(f"pg_restore 失败（退出码 {done.returncode}）：{done.stderr.strip()[-300:]}")
        for rel in files:
            target = data_dir / rel
            target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            shutil.copyfile(staged / FILES_PREFIX / rel, target)
            os.chmod(target, 0o600)
    audit = manifest["audit"]
    assert isinstance(audit, dict)
    seq, head = _audit_head(database_url)
    if seq < int(audit["seq"]):
        raise ReviewerError(f"恢复后的审查日志只有 {seq} 条事件，少于备份时的 {audit['seq']} 条")
    return RestoreReport(backend, len(files), seq, head)
