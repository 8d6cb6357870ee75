"""workflow.render_check.record: the text scan's notes the render check answered (a scanned page it read by OCR, an
archive's image member it read) are removed, the counts and verdict recomputed, the removal named in the review log's
`render_check` event — and `reviewer audit verify` still explains every finding row. Fail closed: nothing is removed
when the check did not complete; an image member left unread fails the check."""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import select

from reviewer.audit import verify as audit_verify
from reviewer.render.members import UNREAD_IMAGE
from reviewer.render.model import RenderedPage, RenderReport
from reviewer.scan.model import Finding, ScanResult, Severity
from reviewer.store.models import AuditEvent, Item, RenderCheck, RenderPage
from reviewer.store.session import Database
from reviewer.workflow import render_check
from reviewer.workflow.receipts import load_or_create_key
from reviewer.workflow.review import sign_off
from tests.workflow.helpers import all_disposed, scanned, signer, submitted

MEMBER = "压缩包“附件.zip” › 扫描/通知.png"


def _note(code: str, location: str) -> Finding:
    return Finding(f"extract.{code}", "无法核验", Severity.REVIEW, 0, 0, "", "", "需人工逐页核对", "", location)


def _item(db: Database, *notes: Finding) -> int:
    item_id = submitted(db)
    scanned(db, item_id, ScanResult(rules_version="rv1", findings=list(notes)))
    with db.session() as s:
        s.add(RenderCheck(item_id=item_id, state="pending", kind="archive", page_hashes="[]"))
    return item_id


def _page(number: int, ocr: str, member: str = "", member_page: int = 0) -> RenderedPage:
    return RenderedPage(number, 10, 10, b"\x89PNG", f"{number:064x}", [], ocr, member, member_page)


def _record(db: Database, item_id: int, report: RenderReport) -> tuple[Item, RenderCheck, list[str], dict]:  # type: ignore[type-arg]
    with db.session() as s:
        assert render_check.record(s, item_id, report)
    with db.session() as s:
        item = s.get(Item, item_id)
        check = s.get(RenderCheck, item_id)
        assert item is not None and check is not None
        left = [f"{f.rule}@{f.location}" for f in sorted(item.findings, key=lambda f: f.seq)]
        event = s.execute(select(AuditEvent).where(AuditEvent.action == "render_check", AuditEvent.item_id == item_id)
                          .order_by(AuditEvent.seq.desc())).scalars().first()
        assert event is not None
        s.expunge_all()
        return item, check, left, json.loads(event.data)


def _verified(db: Database, tmp_path: Path) -> list[str]:
    with db.session() as s:
        report = audit_verify.run(s, receipt_key=load_or_create_key(tmp_path / "data").public)
        assert report.chain.ok
        return report.unexplained


def test_answered_notes_are_removed_and_verify_explains_it(db: Database, tmp_path: Path) -> None:
    item_id = _item(db, _note("scanned_page", "第1页"), _note("scanned_page", "第2页"), _note("image_member", MEMBER),
                    _note("scanned_page", f"{MEMBER} · 第1页"))
    added = Finding("render.mismatch", "显示内容与文本不一致", Severity.REVIEW, 0, 0, "北辰三号", "北辰三号", "显示内容与文本不一致",
                    "", "第2页（图像识别）", 2, (1, 1, 5, 5))
    report = RenderReport("archive", pages=[_page(1, "页面没有文字层"), _page(2, ""), _page(3, "图像文件", MEMBER, 1)],
                          findings=[added])
    item, check, left, event = _record(db, item_id, report)
    assert check.state == "done"
    # page 1 and the image member were read by OCR; page 2 was not (its note stays)
    assert left == ["extract.scanned_page@第2页", "render.mismatch@第2页（图像识别）"]
    assert (item.review_count, item.block_count, item.verdict) == (2, 0, "review")
    assert [x["seq"] for x in event["superseded"]] == [0, 2, 3] and event["item_findings"] == 2
    assert event["counts"] == {"block": 0, "review": 2, "info": 0} and event["verdict"] == "review"
    with db.session() as s:
        labels = [p.label for p in s.execute(select(RenderPage).where(RenderPage.item_id == item_id)
                                             .order_by(RenderPage.page)).scalars()]
    assert labels == ["", "", f"{MEMBER} · 第1页"]
    assert _verified(db, tmp_path) == []
    # the reviewer disposes of what is left and approves; the log still explains every row
    dispositions = all_disposed(db, item_id)
    with db.session() as s:
        sign_off(s, item_id, signer(s, "rev1"), item.content_sha256, "approve", "", dispositions)
    assert _verified(db, tmp_path) == []


def test_a_clean_scan_read_by_ocr_leaves_nothing_to_dispose(db: Database, tmp_path: Path) -> None:
    item_id = _item(db, _note("scanned_page", "第1页"))
    item, check, left, _event = _record(db, item_id, RenderReport("pdf", pages=[_page(1, "页面没有文字层")]))
    assert check.state == "done" and left == [] and (item.review_count, item.verdict) == (0, "pass")
    with db.session() as s:
        sign_off(s, item_id, signer(s, "rev1"), item.content_sha256, "approve", "", [])
    assert _verified(db, tmp_path) == []


def test_nothing_is_removed_when_the_check_failed(db: Database, tmp_path: Path) -> None:
    item_id = _item(db, _note("scanned_page", "第1页"), _note("image_member", MEMBER))
    report = RenderReport("archive", pages=[_page(1, "页面没有文字层"), _page(2, "图像文件", MEMBER, 1)],
                          error="压缩包中第 2 个文件：图像无法解码，未能核对，不得视为通过")
    item, check, left, event = _record(db, item_id, report)
    assert check.state == "failed" and len(left) == 2 and event["superseded"] == []
    assert (item.review_count, item.verdict) == (2, "review")
    assert _verified(db, tmp_path) == []


def test_an_image_member_left_unread_fails_the_check(db: Database) -> None:
    item_id = _item(db, _note("image_member", MEMBER), _note("image_member", "压缩包“附件.zip” › 另一张.png"))
    _item_, check, left, _event = _record(db, item_id, RenderReport("archive", pages=[_page(1, "图像文件", MEMBER, 1)]))
    assert check.state == "failed" and check.error == UNREAD_IMAGE
    assert left == [f"extract.image_member@{MEMBER}", "extract.image_member@压缩包“附件.zip” › 另一张.png"]


def test_a_disposed_note_stays(db: Database) -> None:
    item_id = _item(db, _note("scanned_page", "第1页"))
    dispositions = all_disposed(db, item_id)
    with db.session() as s:  # returned before the render check finished: the note has a disposition
        item = s.get(Item, item_id)
        assert item is not None
        sign_off(s, item_id, signer(s, "rev1"), item.content_sha256, "return", "", dispositions)
    _item_, check, left, event = _record(db, item_id, RenderReport("pdf", pages=[_page(1, "页面没有文字层")]))
    assert check.state == "done" and left == ["extract.scanned_page@第1页"] and event["superseded"] == []


def test_render_findings_after_a_single_text_finding(db: Database, tmp_path: Path) -> None:
    """The text scan stored one finding (seq 0): the render check's findings are numbered on from 1 (`max(seq) or -1`
    once numbered them from 0 again, and the insert failed on the unique (item, seq))."""
    item_id = _item(db, _note("scanned_page", "第1页"))
    mark = Finding("classification-marking", "密级标志", Severity.BLOCK, 0, 5, "机密★5年", "机密★5年", "国家秘密标志", "",
                   "第1页（图像识别）", 1, (1, 1, 5, 5))
    item, check, left, event = _record(db, item_id, RenderReport("pdf", pages=[_page(1, "页面没有文字层")], findings=[mark]))
    assert check.state == "done" and left == ["classification-marking@第1页（图像识别）"]
    assert (item.block_count, item.review_count, item.verdict) == (1, 0, "block") and event["superseded"][0]["seq"] == 0
    with db.session() as s:
        assert [f.seq for f in s.get(Item, item_id).findings] == [1]  # type: ignore[union-attr]
    assert _verified(db, tmp_path) == []


def test_a_rescan_does_not_alert_on_the_notes_the_render_check_answered(db: Database) -> None:
    from reviewer.workflow import release, rescan
    from tests.workflow.helpers import client

    item_id = _item(db, _note("scanned_page", "第1页"))
    item, _check, left, _event = _record(db, item_id, RenderReport("pdf", pages=[_page(1, "页面没有文字层")]))
    assert left == []
    with db.session() as s:
        sign_off(s, item_id, signer(s, "rev1"), item.content_sha256, "approve", "", [])
    with db.session() as s:
        release.mark_released(s, item_id, client(s, "cms1"))
    again = ScanResult(rules_version="rv2", findings=[_note("scanned_page", "第1页")])  # new rules, text-only re-scan
    with db.session() as s:
        assert rescan.record_rescan(s, item_id, again) is None
    with db.session() as s:  # a new rule's term in the text is still new
        term = Finding("rule.x", "类别", Severity.BLOCK, 0, 2, "机密", "机密", "疑似密级标志", "", "正文")
        alert = rescan.record_rescan(s, item_id, ScanResult(rules_version="rv3", findings=[*again.findings, term]))
        assert alert is not None and "rule.x" in alert.summary and "scanned_page" not in alert.summary


def test_text_findings_are_boxed_on_the_page_a_reader_sees_them(db: Database, tmp_path: Path) -> None:
    """A text finding (the scan's, no page) gets the page and box of its visible occurrence; one hidden from the
    reader (not on any page) gets none."""
    from reviewer.render.model import Line

    marking = Finding("marking", "密级标志", Severity.BLOCK, 12, 17, "秘密★5年", "秘密★5年", "密级标志", "", "正文")
    hidden = Finding("term", "涉密词", Severity.BLOCK, 40, 44, "北辰三号", "北辰三号", "涉密词", "", "隐藏文字")
    item_id = _item(db, marking, hidden)
    line = Line("本通知涉及秘密★5年材料", [(10 + 20 * i, 300, 30 + 20 * i, 320) for i in range(12)], "text")
    page2 = RenderedPage(2, 600, 800, b"\x89PNG", "2" * 64, [line], "")
    item, check, _left, _event = _record(db, item_id, RenderReport("pdf", pages=[_page(1, ""), page2]))
    assert check.state == "done"
    boxed = {f.rule: (f.page, json.loads(f.box) if f.box else None) for f in item.findings}
    assert boxed["marking"] == (2, [10 + 20 * 5, 300, 30 + 20 * 9, 320])
    assert boxed["term"] == (None, None)
    assert _verified(db, tmp_path) == []  # the findings digest is unchanged: verify still explains every row
