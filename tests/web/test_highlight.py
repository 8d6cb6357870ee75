from __future__ import annotations

from dataclasses import dataclass

from reviewer.extract.model import Span, SpanKind, TextPart
from reviewer.web.highlight import diff, highlight


@dataclass
class F:
    id: int
    severity: str
    start: int
    end: int
    location: str


def test_segments_cover_the_text_and_mark_overlaps() -> None:
    text = "甲乙丙丁戊己庚"
    views, placed = highlight([TextPart(text, "正文")], [F(1, "review", 1, 4, "正文"), F(2, "block", 3, 5, "正文")])
    segs = views[0].segments
    assert "".join(s.text for s in segs) == text
    assert [(s.text, s.finding_ids, s.severity, s.anchor) for s in segs] == [
        ("甲", (), "", None), ("乙丙", (1,), "review", 1), ("丁", (1, 2), "block", 2), ("戊", (2,), "block", None), ("己庚", (), "", None),
    ]
    assert placed == {1, 2}


def test_findings_are_placed_by_the_parts_fine_location() -> None:
    """Parts join many places; the scan stores part.locate(start, end), e.g. a paragraph or a cell."""
    body = TextPart("第一段\n第二段机密", "正文", spans=(Span(0, 3, "正文 第1段"), Span(4, 9, "正文 第2段")))
    note = TextPart("批注机密", "批注", spans=(Span(0, 4, "批注（作者：甲）", SpanKind.PLACE),))
    findings = [F(1, "block", 7, 9, "正文 第2段"), F(2, "review", 2, 4, "批注（作者：甲）"), F(3, "review", 0, 0, "第3页"),
                F(4, "review", 7, 9, "别处")]
    views, placed = highlight([body, note], findings)
    assert placed == {1, 2}
    assert [s.text for s in views[0].segments if s.finding_ids] == ["机密"]
    assert [s.text for s in views[1].segments if s.finding_ids] == ["机密"]


def test_diff_marks_changed_characters() -> None:
    lines = diff("一\n二三四\n五", "一\n二X四\n五\n六")
    shown = [(d.tag, d.pieces) for d in lines if d is not None]
    assert ("-", ((False, "二"), (True, "三"), (False, "四"))) in shown
    assert ("+", ((False, "二"), (True, "X"), (False, "四"))) in shown
    assert ("+", ((False, "六"),)) in shown
    assert diff("同", "同") == []


def test_symbol_font_bullets_are_shown_as_the_reader_sees_them() -> None:
    """Word keeps a Symbol-font bullet as U+F0B7: the page shows •, one character for one (highlights stay put)."""
    from reviewer.extract.model import TextPart
    from reviewer.web.highlight import highlight as _highlight

    text = "\uf0b7 第一项\n\uf0a7 第二项"
    views, _ = _highlight([TextPart(text, "正文")], [])
    shown = "".join(seg.text for v in views for seg in v.segments)
    assert shown == "• 第一项\n▪ 第二项" and "\uf0b7" not in shown
