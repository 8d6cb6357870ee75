"""A term added to the rules after release that only the pages show — a scanned notice, an image — must raise the
post-release alert like a term in the text does. Before, the re-scan read only the extraction: an image has no text, so
the re-scan of a released scan was always clean, whatever the rules became (the bar: re-scans read what the render
check reads, OCR text too). Real OCR, real render check (workflow.jobs.run_render), real re-scan (run_rescan)."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select, update

from reviewer.store.models import RELEASED, Alert, Item, RenderPage
from reviewer.workflow.jobs import ScannerCache, run_render, run_rescan, run_scan
from tests.render import make as m
from tests.security.conftest import App, make_app

RULE = """id: org-codes
title: 本单位项目代号
kind: terms
severity: block
category: 本单位涉密事项
message: 出现本单位涉密项目代号，不得公开
boundary: any
terms:
{terms}
"""


def _rules(path: Path, terms: list[str]) -> None:
    path.write_text(RULE.format(terms="\n".join(f"  - {t}" for t in terms)), encoding="utf-8")


@pytest.fixture
def site(sqlite_database_url: str, tmp_path: Path) -> Iterator[tuple[App, ScannerCache, Path]]:
    rules = tmp_path / "org-rules"
    rules.mkdir()
    _rules(rules / "org-codes.yaml", ["白鹭一号"])
    a = make_app(sqlite_database_url, tmp_path / "data", REVIEWER_RULES_PATH=str(rules))
    try:
        yield a, ScannerCache(a.settings), rules / "org-codes.yaml"
    finally:
        a.db.dispose()


def _released_scan(a: App, scanners: ScannerCache, lines: list[str]) -> int:
    png = m.image_bytes(m.page_image(lines, size=44), "png")
    r = a.client("cms1").post("/api/v1/items", json={"external_id": "scan-1", "title": "扫描件通知", "file_name": "通知.png",
                                                      "content_base64": base64.b64encode(png).decode()})
    assert r.status_code == 201, r.text
    item_id = int(r.json()["id"])
    assert run_scan(a.db, scanners, item_id) == "scanned"
    assert run_render(a.db, scanners, item_id) == "rendered"
    with a.db.session() as s:
        item = s.get(Item, item_id)
        assert item is not None and item.verdict == "pass", [(f.rule, f.location) for f in item.findings]
        pages = list(s.execute(select(RenderPage).where(RenderPage.item_id == item_id)).scalars())
        assert pages and all(p.ocr for p in pages)  # read by OCR: nothing in the extraction
        assert lines[-1].split("：")[1] in json.loads(pages[0].visible)["text"]  # what OCR read is kept
        # released as approved (the sign-off itself is tested elsewhere; the re-scan looks only at the state)
        s.execute(update(Item).where(Item.id == item_id).values(state=RELEASED))
    return item_id


def _alerts(a: App, item_id: int) -> list[Alert]:
    with a.db.session() as s:
        rows = list(s.execute(select(Alert).where(Alert.item_id == item_id).order_by(Alert.id)).scalars())
        s.expunge_all()
        return rows


def test_a_term_added_after_release_that_only_a_scanned_page_shows_raises_an_alert(site: tuple[App, ScannerCache, Path]) -> None:
    a, scanners, rule_file = site
    item_id = _released_scan(a, scanners, ["关于召开项目推进会的通知", "项目代号：北辰三号"])
    _rules(rule_file, ["白鹭一号", "青鸾四号"])  # a rule change that does not concern the page: no alert
    assert run_rescan(a.db, scanners, item_id) == "clean"
    _rules(rule_file, ["白鹭一号", "青鸾四号", "北辰三号"])  # the term the page shows is added
    assert run_rescan(a.db, scanners, item_id) == "alert"
    (alert,) = _alerts(a, item_id)
    assert alert.verdict == "block" and "org-codes" in alert.summary, alert.summary


def test_a_page_whose_read_text_was_not_kept_is_never_rescanned_as_clean(site: tuple[App, ScannerCache, Path]) -> None:
    a, scanners, rule_file = site
    item_id = _released_scan(a, scanners, ["关于召开项目推进会的通知", "会议地点：第三会议室"])
    with a.db.session() as s:  # checked before the visible text was stored (or the row lost it)
        s.execute(update(RenderPage).where(RenderPage.item_id == item_id).values(visible=""))
    _rules(rule_file, ["白鹭一号", "青鸾四号"])
    assert run_rescan(a.db, scanners, item_id) == "alert"
    (alert,) = _alerts(a, item_id)
    assert alert.verdict == "error", alert.summary
    with a.db.session() as s:  # a stored record that cannot be read fails closed too
        s.execute(update(RenderPage).where(RenderPage.item_id == item_id).values(visible='{"v": 99}'))
    _rules(rule_file, ["白鹭一号"])
    assert run_rescan(a.db, scanners, item_id) == "alert"
    assert [x.verdict for x in _alerts(a, item_id)] == ["error", "error"]
