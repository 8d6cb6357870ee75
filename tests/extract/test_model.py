from __future__ import annotations

from reviewer.extract import Span, SpanKind, TextPart
from reviewer.extract.limits import Budget, Limits
from reviewer.extract.parts import PartBuilder


def test_locate_names_the_place_and_marks() -> None:
    part = TextPart(
        "第一段\n第二段有删除",
        "正文",
        (Span(0, 3, "正文 第1段"), Span(4, 10, "正文 第2段"), Span(7, 10, "修订-删除（作者：甲）", SpanKind.MARK)),
    )
    assert part.locate(0, 2) == "正文 第1段"
    assert part.locate(7, 9) == "正文 第2段 · 修订-删除（作者：甲）"
    assert part.locate(5, 9) == "正文 第2段 · 部分位于修订-删除（作者：甲）"
    assert part.locate(1, 6) == "正文 第1段至正文 第2段"
    assert TextPart("无位置", "页眉").locate(0, 1) == "页眉"


def test_spans_only_part_drops_unmarked_hits() -> None:
    part = TextPart("甲乙丙", "正文（修订前）", (Span(1, 2, "修订-删除（作者：甲）", SpanKind.MARK),), spans_only=True)
    assert part.locate(0, 1) is None
    assert part.locate(0, 2) == "正文（修订前） · 部分位于修订-删除（作者：甲）"


def test_builder_merges_adjacent_marks_and_skips_blank_places() -> None:
    b = PartBuilder("正文", Budget(Limits()))
    b.begin("第1段")
    b.write("甲", "隐藏文字")
    b.write("乙", "隐藏文字")
    b.add("第2段", "   ")
    part = b.build()
    assert part is not None
    assert part.text == "甲乙"
    assert [s.label for s in part.spans] == ["第1段", "隐藏文字"]
    assert part.locate(0, 2) == "第1段 · 隐藏文字"
