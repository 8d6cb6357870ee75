"""Registering on the running system (SQLite and PostgreSQL): stored in the database, loaded by the worker's scanner,
the rule-set version changes, released items are re-scanned and a draft published before the registration raises a
post-release alert; reviewers see label and paragraph only; only officers and admins may register."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from reviewer.accounts import manage as accounts
from reviewer.accounts.actor import Actor
from reviewer.cli import main
from reviewer.errors import Conflict, PermissionDenied
from reviewer.scan import fingerprints as fp
from reviewer.settings import Settings
from reviewer.store.models import Alert, AuditEvent, FingerprintSet, Item
from reviewer.store.session import Database
from reviewer.workflow import fingerprints as registry
from reviewer.workflow import jobs, release, submit
from reviewer.workflow.review import sign_off
from reviewer.workflow.runtime import open_database
from tests.fingerprints.helpers import texts
from tests.workflow.conftest import RecordingEnqueuer
from tests.workflow.helpers import client, user

NAME = "law-0150.txt"


def _paragraph() -> tuple[int, str]:
    paras = fp.paragraphs_of(texts()[NAME])
    i = max(range(len(paras)), key=lambda j: len(paras[j]))
    return i + 1, paras[i]


@pytest.fixture
def env(database_url: str, tmp_path: Path) -> Iterator[tuple[Database, Settings, RecordingEnqueuer]]:
    settings = Settings.from_env({"REVIEWER_DATABASE_URL": database_url, "REVIEWER_DATA_DIR": str(tmp_path / "data")})
    enqueuer = RecordingEnqueuer()
    db = open_database(settings, enqueuer)
    with db.session() as s:
        accounts.create_unit(s, "U1", "第一单位", unknown_author="reviewer")
        for name, role in [("rev1", "reviewer"), ("off1", "officer"), ("aud", "auditor")]:
            accounts.create_user(s, name, "U1", role, display_name=f"{name}姓名")
        accounts.create_token(s, unit=accounts.get_unit(s, "U1"), client_name="cms1")
    try:
        yield db, settings, enqueuer
    finally:
        db.dispose()


def _released(db: Database, scanners: jobs.ScannerCache, content: str) -> int:
    with db.session() as s:
        item_id = submit.submit(s, client(s, "cms1"), external_id="n-1", content=content.encode(), title="通知",
                                author="张三").item.id
    assert jobs.run_scan(db, scanners, item_id) == "scanned"
    with db.session() as s:
        item = s.get(Item, item_id)
        assert item is not None and item.verdict == "pass", [f.explanation for f in item.findings]
        sign_off(s, item_id, user(s, "rev1"), item.content_sha256, "approve", "", [])
    with db.session() as s:
        release.mark_released(s, item_id, client(s, "cms1"))
    return item_id


def test_registration_rescans_released_items_and_alerts(env: tuple[Database, Settings, RecordingEnqueuer]) -> None:
    db, settings, enqueuer = env
    scanners = jobs.ScannerCache(settings)
    number, paragraph = _paragraph()
    published = "关于加强长江水域管理的通知\n" + paragraph + "\n特此通知。\n"
    item_id = _released(db, scanners, published)
    with db.session() as s:
        version_before = s.get(Item, item_id).rules_version  # type: ignore[union-attr]

    with db.session() as s:
        officer = Actor.of_user(user(s, "off1"))
        outcome = registry.register(s, "internal-notices", [("2025年第3季度内部通报", fp.paragraphs_of(texts()[NAME]))],
                                    common=fp.default_common(), actor=officer)
    assert outcome.rescans == 1 and ("rescan_released", item_id) in enqueuer.sent

    with db.session() as s:
        row = s.execute(select(FingerprintSet)).scalar_one()
        assert paragraph[:20].encode() not in row.data and paragraph[:20] not in row.documents
        event = s.execute(select(AuditEvent).where(AuditEvent.action == "fingerprints_registered")).scalar_one()
        assert json.loads(event.data)["labels"] == ["2025年第3季度内部通报"] and event.actor == "off1"

    assert jobs.run_rescan(db, scanners, item_id) == "alert"
    with db.session() as s:
        alert = s.execute(select(Alert).where(Alert.item_id == item_id)).scalar_one()
        assert "internal-notices" in alert.summary and alert.verdict == "block"
        assert alert.rules_version != version_before
    assert jobs.run_rescan(db, scanners, item_id) == "alert"  # idempotent: the same alert, not a second one
    with db.session() as s:
        assert len(s.execute(select(Alert)).scalars().all()) == 1

    # a new draft that copies the paragraph with light edits is blocked; the reviewer sees label and paragraph
    with db.session() as s:
        new_id = submit.submit(s, client(s, "cms1"), external_id="n-2", content=("转发：" + paragraph.replace("，", "、")).encode(),
                               title="转发", author="李四").item.id
    assert jobs.run_scan(db, scanners, new_id) == "scanned"
    with db.session() as s:
        item = s.get(Item, new_id)
        assert item is not None and item.verdict == "block"
        hits = [f for f in item.findings if f.rule == "internal-notices"]
        assert [f.explanation.split("高度")[0] for f in hits] == [f"与登记文件“2025年第3季度内部通报”第{number}段"]
        content = item.content.decode()
        assert hits[0].match == content[hits[0].start : hits[0].end]


def test_only_officers_and_admins_register(env: tuple[Database, Settings, RecordingEnqueuer]) -> None:
    db, _, _ = env
    sources = [("内部文件", fp.paragraphs_of(texts()[NAME]))]
    with db.session() as s:
        with pytest.raises(PermissionDenied):
            registry.register(s, "x", sources, actor=Actor.of_user(user(s, "rev1")))
        with pytest.raises(PermissionDenied):
            registry.register(s, "x", sources, actor=Actor.of_user(user(s, "aud")))
    with db.session() as s:
        registry.register(s, "x", sources, actor=Actor.of_user(user(s, "off1")))
    with db.session() as s:
        with pytest.raises(Conflict):
            registry.register(s, "x", sources, actor=Actor.of_user(user(s, "off1")))
    with db.session() as s:
        assert [r.labels for r in registry.list_sets(s, "U1")] == [["内部文件"]]


def test_materialised_rules_are_what_was_stored(env: tuple[Database, Settings, RecordingEnqueuer]) -> None:
    db, settings, _ = env
    with db.session() as s:
        assert registry.materialise(s, settings) is None
        registry.register(s, "a-set", [("甲", fp.paragraphs_of(texts()[NAME]))])
    with db.session() as s:
        first = registry.materialise(s, settings)
        assert first is not None and (first / "a-set.yaml").is_file()
        assert (first / "a-set.key").stat().st_mode & 0o077 == 0
        assert registry.materialise(s, settings) == first  # unchanged: the same directory, not rewritten
        registry.register(s, "b-set", [("乙", fp.paragraphs_of(texts()["law-0151.txt"]))])
    with db.session() as s:
        second = registry.materialise(s, settings)
    assert second is not None and second != first and (second / "b-set.fp").is_file()


def test_cli_add_and_list(env: tuple[Database, Settings, RecordingEnqueuer], monkeypatch: pytest.MonkeyPatch,
                          tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db, settings, _ = env
    monkeypatch.setenv("REVIEWER_DATABASE_URL", str(settings.database_url))
    monkeypatch.setenv("REVIEWER_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("REVIEWER_REDIS_URL", "redis://127.0.0.1:1/0")  # no broker: the sweeper would catch up
    src = tmp_path / "第二次会议纪要.txt"
    src.write_text(texts()["law-0152.txt"], encoding="utf-8")
    assert main(["fingerprints", "add", "--id", "minutes", "--by", "admin1", str(src)]) == 0
    assert "已登记 1 份文件" in capsys.readouterr().out
    assert main(["fingerprints", "list"]) == 0
    assert "第二次会议纪要" in capsys.readouterr().out
    assert main(["fingerprints", "add", "--id", "minutes", str(src)]) == 2
    assert "已登记过" in capsys.readouterr().err
    # retire and delete from the command line: logged, a reason required, an unknown id said in Chinese
    from reviewer.store.models import AuditEvent

    assert main(["fingerprints", "retire", "--id", "nothing", "--reason", "x"]) == 2
    assert "没有规则 id 为“nothing”的登记" in capsys.readouterr().err
    assert main(["fingerprints", "retire", "--id", "minutes", "--reason", " "]) == 2
    assert "请写明停用的理由" in capsys.readouterr().err
    assert main(["fingerprints", "retire", "--id", "minutes", "--reason", "已公开", "--by", "admin1"]) == 0
    assert main(["fingerprints", "list"]) == 0
    assert "已停用" in capsys.readouterr().out
    with db.session() as s:
        assert registry.stamp(s) == ()  # a retired registration scans nothing
    assert main(["fingerprints", "delete", "--id", "minutes", "--reason", "登记错误"]) == 0
    with db.session() as s:
        assert s.execute(select(FingerprintSet)).first() is None
        logged = [(e.action, e.actor) for e in s.execute(select(AuditEvent).where(
            AuditEvent.action.in_(("fingerprints_retired", "fingerprints_deleted"))).order_by(AuditEvent.seq)).scalars()]
    assert logged == [("fingerprints_retired", "admin1"), ("fingerprints_deleted", "admin")]


def test_a_damaged_stored_set_fails_the_scan_closed(env: tuple[Database, Settings, RecordingEnqueuer]) -> None:
    db, settings, _ = env
    with db.session() as s:
        registry.register(s, "damaged", [("内部文件", fp.paragraphs_of(texts()[NAME]))])
    with db.session() as s:
        row = s.execute(select(FingerprintSet)).scalar_one()
        row.data = row.data[:-16]  # truncated in storage; data_sha256 no longer matches
    with db.session() as s:
        item_id = submit.submit(s, client(s, "cms1"), external_id="d-1", content="普通通知正文。".encode(), title="通知",
                                author="张三").item.id
    assert jobs.run_scan(db, jobs.ScannerCache(settings), item_id) == "failed"
    with db.session() as s:
        item = s.get(Item, item_id)
        assert item is not None and item.state == "scan_failed" and "规则加载失败" in (item.scan_error or "")
