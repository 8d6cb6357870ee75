"""`reviewer backup OUT` / `reviewer restore IN`: a backup taken while the system writes restores into a fresh data
directory where `reviewer audit verify` passes (receipts verify with the restored key); a restore never overwrites an
installation; a backup whose members were altered is refused."""

from __future__ import annotations

import io
import json
import os
import stat
import tarfile
import threading
from pathlib import Path

import pytest
from sqlalchemy import func, select

from reviewer.cli import main
from reviewer.store.models import AuditEvent, Receipt
from reviewer.workflow import receipts
from reviewer.workflow.review import sign_off
from tests.workflow.conftest import result
from tests.workflow.helpers import scanned, signer, submitted


def _env(monkeypatch: pytest.MonkeyPatch, data_dir: Path, database_url: str) -> None:
    monkeypatch.setenv("REVIEWER_DATA_DIR", str(data_dir))
    monkeypatch.setenv("REVIEWER_DATABASE_URL", database_url)


def _approved(db, n: int, prefix: str) -> None:  # type: ignore[no-untyped-def]
    for i in range(n):
        item_id = submitted(db, f"公开内容{prefix}{i}", external_id=f"{prefix}-{i}")
        item = scanned(db, item_id, result())
        with db.session() as s:
            sign_off(s, item_id, signer(s, "rev1"), item.content_sha256, "approve", "同意")


def test_backup_while_writing_restores_and_verifies(db, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,  # type: ignore[no-untyped-def]
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    _approved(db, 3, "before")
    source_dir = tmp_path / "data"
    source_url = str(db.engine.url.render_as_string(hide_password=False))
    (source_dir / "fingerprints").mkdir(exist_ok=True)
    (source_dir / "fingerprints" / "x.key").write_text("ab" * 32 + "\n")  # a data-directory file that must travel
    writer = threading.Thread(target=_approved, args=(db, 4, "during"))  # the system keeps working meanwhile
    writer.start()
    _env(monkeypatch, source_dir, source_url)
    out = tmp_path / "backups" / "b.tar.gz"
    out.parent.mkdir()
    try:
        assert main(["backup", str(out)]) == 0, capsys.readouterr().err
    finally:
        writer.join()
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    assert main(["backup", str(out)]) == 1  # never overwrites
    assert "已存在" in capsys.readouterr().err
    with tarfile.open(out) as tar:
        names = tar.getnames()
        manifest = json.loads(tar.extractfile("manifest.json").read())  # type: ignore[union-attr]
    assert f"data/{receipts.KEY_FILE}" in names and "data/fingerprints/x.key" in names
    assert not any(n.startswith("data/reviewer.sqlite3") for n in names)  # the live file is not copied, the snapshot is

    fresh = tmp_path / "restored"
    fresh_url = f"sqlite:///{fresh / 'reviewer.sqlite3'}"
    _env(monkeypatch, fresh, fresh_url)
    assert main(["restore", str(out)]) == 0, capsys.readouterr().err
    assert main(["db", "upgrade"]) == 0
    capsys.readouterr()
    assert main(["audit", "verify"]) == 0, capsys.readouterr()
    assert "校验通过" in capsys.readouterr().out
    assert (fresh / receipts.KEY_FILE).read_bytes() == (source_dir / receipts.KEY_FILE).read_bytes()
    assert stat.S_IMODE((fresh / receipts.KEY_FILE).stat().st_mode) == 0o600
    from reviewer.settings import Settings
    from reviewer.workflow.runtime import open_database

    restored = open_database(Settings.from_env())
    try:
        with restored.session() as s:
            seq = s.execute(select(func.max(AuditEvent.seq))).scalar_one()
            assert seq >= manifest["audit"]["seq"] > 0 and s.execute(select(func.count(Receipt.id))).scalar_one() >= 3
    finally:
        restored.dispose()

    # a restore never writes over an installation (the one just restored)
    assert main(["restore", str(out)]) == 1
    assert "不是空的" in capsys.readouterr().err


def test_restore_without_the_key_would_fail_verify(db, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,  # type: ignore[no-untyped-def]
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    """Why the keys are in the backup: the same database with a new key does not verify (so the test above can fail)."""
    _approved(db, 1, "k")
    _env(monkeypatch, tmp_path / "data", str(db.engine.url.render_as_string(hide_password=False)))
    out = tmp_path / "b.tar.gz"
    assert main(["backup", str(out)]) == 0
    fresh = tmp_path / "restored"
    _env(monkeypatch, fresh, f"sqlite:///{fresh / 'reviewer.sqlite3'}")
    assert main(["restore", str(out)]) == 0
    (fresh / receipts.KEY_FILE).unlink()
    capsys.readouterr()
    assert main(["audit", "verify"]) != 0


def test_altered_or_foreign_backups_are_refused(db, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,  # type: ignore[no-untyped-def]
                                                capsys: pytest.CaptureFixture[str]) -> None:
    _approved(db, 1, "t")
    _env(monkeypatch, tmp_path / "data", str(db.engine.url.render_as_string(hide_password=False)))
    good = tmp_path / "good.tar.gz"
    assert main(["backup", str(good)]) == 0
    # a member changed after the backup (a key swapped)
    bad = tmp_path / "bad.tar.gz"
    with tarfile.open(good) as src, tarfile.open(bad, "w:gz") as dst:
        for info in src.getmembers():
            data = src.extractfile(info).read()  # type: ignore[union-attr]
            if info.name == f"data/{receipts.KEY_FILE}":
                data = data.replace(b"A", b"B", 1) if b"A" in data else data + b"\n"
            info.size = len(data)
            dst.addfile(info, io.BytesIO(data))
    evil = tmp_path / "evil.tar.gz"  # a path outside the data directory
    with tarfile.open(good) as src, tarfile.open(evil, "w:gz") as dst:
        for info in src.getmembers():
            dst.addfile(info, src.extractfile(info))
        payload = b"x"
        info = tarfile.TarInfo("../../escape.txt")
        info.size = len(payload)
        dst.addfile(info, io.BytesIO(payload))
    not_a_backup = tmp_path / "other.tar.gz"
    with tarfile.open(not_a_backup, "w:gz") as dst:
        info = tarfile.TarInfo("hello.txt")
        dst.addfile(info, io.BytesIO(b""))
    for path, reason in [(bad, "SHA-256"), (evil, "不安全的路径"), (not_a_backup, "不是本系统的备份文件"),
                         (tmp_path / "missing.tar.gz", "不存在")]:
        target = tmp_path / f"r-{path.stem}"
        _env(monkeypatch, target, f"sqlite:///{target / 'reviewer.sqlite3'}")
        capsys.readouterr()
        assert main(["restore", str(path)]) != 0, path
        err = capsys.readouterr().err
        assert reason in err and "Traceback" not in err, (path, err)
        assert not (target / receipts.KEY_FILE).exists() and not (tmp_path / "escape.txt").exists()
        assert not os.path.exists(tmp_path.parent / "escape.txt")


@pytest.mark.postgres
def test_postgresql_backup_restores_into_an_empty_database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    """pg_dump while the database is in use, pg_restore into a new empty database, verify there."""
    import shutil as _shutil

    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url
    from sqlalchemy.pool import NullPool

    from reviewer.settings import Settings
    from reviewer.workflow.runtime import open_database
    from tests.services import drop_postgres, fresh_postgres_url
    from tests.workflow.conftest import RecordingEnqueuer

    base = os.environ.get("REVIEWER_TEST_POSTGRES_URL")
    if not base:
        pytest.skip("REVIEWER_TEST_POSTGRES_URL 未设置（scripts/test.sh 会启动 PostgreSQL 并设置它）")
    if _shutil.which("pg_dump") is None or _shutil.which("pg_restore") is None:
        pytest.skip("pg_dump/pg_restore 不在 PATH 中")
    source = fresh_postgres_url(base)
    name = "reviewer_t_restore_" + os.urandom(4).hex()
    admin = create_engine(base, isolation_level="AUTOCOMMIT", poolclass=NullPool)
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    target = make_url(base).set(database=name).render_as_string(hide_password=False)
    try:
        from reviewer.accounts import manage as accounts

        settings = Settings.from_env({"REVIEWER_DATABASE_URL": source, "REVIEWER_DATA_DIR": str(tmp_path / "data")})
        database = open_database(settings, RecordingEnqueuer())
        try:
            with database.session() as s:
                accounts.create_unit(s, "U1", "第一单位", unknown_author="reviewer")
                accounts.create_user(s, "rev1", "U1", "reviewer", display_name="rev1姓名")
                accounts.create_token(s, unit=accounts.get_unit(s, "U1"), client_name="cms1")
            _approved(database, 2, "pg")
        finally:
            database.dispose()
        _env(monkeypatch, tmp_path / "data", source)
        out = tmp_path / "pg.tar.gz"
        assert main(["backup", str(out)]) == 0, capsys.readouterr().err
        _env(monkeypatch, tmp_path / "restored", target)
        assert main(["restore", str(out)]) == 0, capsys.readouterr().err
        assert main(["restore", str(out)]) == 1  # the database is not empty any more
        capsys.readouterr()
        assert main(["audit", "verify"]) == 0, capsys.readouterr()
    finally:
        drop_postgres(source)
        drop_postgres(target)
