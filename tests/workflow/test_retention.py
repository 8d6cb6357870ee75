"""The retention purge (`reviewer purge`): drafts' bytes of ended reviews go, the proof of the approvals stays.

What must hold: a dry run changes nothing; only items whose review is over are purged (never one in review or
approved and not yet released); `reviewer audit verify` passes afterwards; content deleted *without* the purge (by
SQL) is still caught; the pages say 已按保存期限清除 instead of breaking."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text

from reviewer.cli import main
from reviewer.store.models import Alert, RenderPage
from tests.audit.seeded import seeded_app
from tests.security.conftest import App
from tests.web.helpers import login, make_item

TEXT = "市统计局关于二〇二五年国民经济运行情况的新闻稿"
OLD = "2020-06-01 08:00:00"


@pytest.fixture
def app(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[App]:
    a, url = seeded_app(tmp_path)
    monkeypatch.setenv("REVIEWER_DATA_DIR", str(a.data_dir))
    monkeypatch.setenv("REVIEWER_DATABASE_URL", url)
    try:
        yield a
    finally:
        a.db.dispose()


def _body(ext: str) -> str:
    return f"{TEXT}（{ext}）"


def _decide(a: App, ext: str, decision: str = "approve") -> int:
    item_id = make_item(a.db, _body(ext), external_id=ext)
    r = a.client("rev1").post(f"/api/v1/items/{item_id}/review", json={
        "content_sha256": hashlib.sha256(_body(ext).encode()).hexdigest(), "decision": decision, "comment": "不予发布"})
    assert r.status_code == 200, r.text
    return item_id


def _history(a: App) -> dict[str, int]:
    """Every item, in every state the purge must tell apart, ended long ago (times moved back: verify does not bind
    them)."""
    ids = {"released": _decide(a, "ret-1"), "rejected": _decide(a, "ret-2", "reject"),
           "approved": _decide(a, "ret-3"), "in_review": make_item(a.db, _body("ret-4"), [("国民经济", "review")], external_id="ret-4")}
    r = a.client("cms1").post(f"/api/v1/items/{ids['released']}/released",
                              json={"content_sha256": hashlib.sha256(_body("ret-1").encode()).hexdigest()})
    assert r.status_code == 200, r.text
    with a.db.session() as s:
        s.execute(text("UPDATE items SET submitted_at = :t, decided_at = :t, released_at = CASE WHEN released_at IS NULL "
                       "THEN NULL ELSE :t END"), {"t": OLD})
        s.add(RenderPage(item_id=ids["released"], page=1, width=10, height=10, sha256="c" * 64, png=b"\x89PNG-bytes", ocr=""))
    return ids


def _snapshot(a: App) -> dict[str, object]:
    with a.db.session() as s:
        return {"items": s.execute(text("SELECT id, content, purged_at FROM items ORDER BY id")).all(),
                "pages": s.execute(text("SELECT item_id, png FROM render_pages ORDER BY id")).all(),
                "findings": s.execute(text("SELECT id, \"match\", context FROM findings ORDER BY id")).all(),
                "events": s.execute(text("SELECT count(*) FROM audit_events")).scalar_one()}


def _verify(capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    capsys.readouterr()
    code = main(["audit", "verify"])
    out = capsys.readouterr()
    return code, out.out + out.err


def test_purge_keeps_the_proof_and_only_touches_ended_reviews(app: App, capsys: pytest.CaptureFixture[str]) -> None:
    ids = _history(app)
    with app.db.session() as s:  # an open post-release alert: the reviewers still need the released text
        unit_id = s.execute(text("SELECT unit_id FROM items WHERE id = :i"), {"i": ids["released"]}).scalar_one()
        s.add(Alert(item_id=ids["released"], unit_id=unit_id, rules_version="rv-new", verdict="review", summary="x ×1"))
    capsys.readouterr()
    assert main(["purge", "--before", "2021-01-01"]) == 0
    assert "稿件 1 件" in capsys.readouterr().out  # the rejected one only
    with app.db.session() as s:
        s.execute(text("UPDATE alerts SET resolved_at = :t"), {"t": OLD})
    before = _snapshot(app)
    assert main(["purge", "--before", "2021-01-01"]) == 0  # dry run by default
    out = capsys.readouterr().out
    assert "预览" in out and "稿件 2 件" in out and "--yes" in out
    assert _snapshot(app) == before  # nothing changed, not even the log

    # the render check's page cache (visible page text, keyed by page): an entry from before the cut-off goes,
    # a recent one (another, newer draft's page) stays
    import os
    from datetime import UTC, datetime

    from reviewer.render.pagecache import CACHE_DIR
    old_entry, new_entry = app.data_dir / CACHE_DIR / "ab" / "ab01.json.z", app.data_dir / CACHE_DIR / "cd" / "cd01.json.z"
    for entry in (old_entry, new_entry):
        entry.parent.mkdir(parents=True, exist_ok=True)
        entry.write_bytes(b"x")
    old_time = datetime.fromisoformat(OLD).replace(tzinfo=UTC).timestamp()
    os.utime(old_entry, (old_time, old_time))
    assert main(["purge", "--older-than", "365", "--yes"]) == 0
    out = capsys.readouterr().out
    assert "已清除" in out and "页面缓存 1 条" in out
    assert not old_entry.exists() and new_entry.exists()
    with app.db.session() as s:
        rows = {r.id: r for r in s.execute(text("SELECT id, content, purged_at, content_sha256 FROM items"))}
        for name in ("released", "rejected"):
            assert rows[ids[name]].content == b"" and rows[ids[name]].purged_at is not None
            assert rows[ids[name]].content_sha256 == hashlib.sha256(_body(f"ret-{1 if name == 'released' else 2}").encode()).hexdigest()
        for name in ("approved", "in_review"):  # approved and not yet released, or still in review: untouched
            assert rows[ids[name]].content != b"" and rows[ids[name]].purged_at is None
        png, sha = s.execute(text("SELECT png, sha256 FROM render_pages")).one()
        assert png == b"" and sha == "c" * 64
        event = s.execute(text("SELECT actor, data FROM audit_events WHERE action = 'content_purged'")).one()
    assert '"count":2' in event.data and '"before":' in event.data and event.actor
    code, out = _verify(capsys)
    assert code == 0, out
    assert main(["purge", "--older-than", "0", "--yes"]) == 0  # every ended review is purged already: no second event
    with app.db.session() as s:
        assert s.execute(text("SELECT count(*) FROM audit_events WHERE action = 'content_purged'")).scalar_one() == 1

    detail = app.client("rev1").get(f"/api/v1/items/{ids['released']}").json()
    assert detail["content_status"] == "已按保存期限清除" and detail["purged_at"]
    assert app.client("rev1").get(f"/api/v1/items/{ids['approved']}").json()["purged_at"] is None
    # the pages: the reviewer sees 已按保存期限清除, the original and the page image are gone with a Chinese answer
    web = app.client()
    login(web, "rev1")
    page = web.get(f"/review/items/{ids['released']}")
    assert page.status_code == 200 and "已按保存期限清除" in page.text
    original = web.get(f"/review/items/{ids['released']}/original")
    assert original.status_code == 404 and "已按保存期限清除" in original.text
    image = web.get(f"/review/items/{ids['released']}/pages/1.png")
    assert image.status_code == 404 and "已按保存期限清除" in image.text
    assert app.client("cms1").post("/api/v1/release-check", json={
        "external_id": "ret-1", "content": _body("ret-1"), "title": "关于开展安全检查的通知", "channel": "通知公告"}).json()["approved"] is False


def test_content_deleted_without_the_purge_is_caught(app: App, capsys: pytest.CaptureFixture[str], tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    ids = _history(app)
    code, out = _verify(capsys)
    assert code == 0, out
    with app.db.session() as s:  # what a purge does to the rows, done by SQL without the command and its event
        s.execute(text("UPDATE items SET content = :empty WHERE id = :i"), {"empty": b"", "i": ids["rejected"]})
        s.execute(text("UPDATE items SET content = :empty, purged_at = :t WHERE id = :i"),
                  {"empty": b"", "t": OLD, "i": ids["released"]})
    code, out = _verify(capsys)
    assert code == 1 and out.count("被改动或删除") == 2 and "没有清除事件" in out, out
    # bad cut-offs and a database that is not there are answered in Chinese, nothing purged
    for args, words in ((["--before", "去年"], "不是日期"), (["--before", "2025-13-01"], "不是日期"),
                        (["--older-than", "-1"], "0 到 36500")):
        assert main(["purge", *args, "--yes"]) == 2
        err = capsys.readouterr().err
        assert words in err and "未做任何清除" in err and "Traceback" not in err
    monkeypatch.setenv("REVIEWER_DATABASE_URL", f"sqlite:///{tmp_path / 'empty.sqlite3'}")
    assert main(["purge", "--older-than", "30"]) == 3
    assert "reviewer db upgrade" in capsys.readouterr().err
