"""The comparison rules and the visible-text building blocks, without engines (fast)."""

from __future__ import annotations

from reviewer.render.compare import Extracted, disagreements, unexplained
from reviewer.render.model import Line
from reviewer.render.pages import Glyph
from reviewer.render.visible import GAP, lines_of, merge_boxes, repair_marking


def _glyphs(text: str, x: int, y: int, step: int = 20, reverse: bool = False) -> list[Glyph]:
    out = [Glyph(ch, (x + i * step, y, x + i * step + 18, y + 20)) for i, ch in enumerate(text)]
    return out[::-1] if reverse else out


def test_lines_are_read_left_to_right_whatever_the_stored_order() -> None:
    glyphs = _glyphs("程工霄玄", 100, 50, reverse=True) + _glyphs("第二行文字", 100, 90)
    # stored last-to-first: the reader still sees 程工霄玄 left to right; the rows stay apart
    lines = lines_of(list(reversed(glyphs)))
    assert [ln.text for ln in lines] == ["程工霄玄", "第二行文字"]
    assert lines[0].boxes[0][0] == 100


def test_wide_gaps_split_a_row_into_stretches() -> None:
    lines = lines_of(_glyphs("姓名", 100, 50) + _glyphs("男", 400, 50))
    assert lines[0].text == f"姓名{GAP}男"


def test_visible_text_missing_from_extraction_is_a_run() -> None:
    extracted = Extracted(["各区县人民政府：为切实做好防汛准备工作，现将有关事项通知如下。", "项目进展"])
    runs = unexplained("玄霄九章项目进展", extracted)
    assert [r.text for r in runs] == ["玄霄九章"]
    assert unexplained("为切实做好防汛准备工作", extracted) == []


def test_ordinary_visible_additions_are_not_mismatches() -> None:
    extracted = Extracted(["加强组织领导", "落实防汛责任", "各区县人民政府"])
    for shown in ("（一）加强组织领导", "1．落实防汛责任", "二、加强组织领导", "① 落实防汛责任", "• 加强组织领导",
                  "第 3 页 共 12 页", "2026", "“各区县人民政府”"):
        assert unexplained(shown, extracted) == [], shown


def test_table_cells_of_one_or_two_characters_are_compared_whole() -> None:
    extracted = Extracted(["姓名\n性别\n男\n民族\n汉"])
    assert unexplained(f"性别{GAP}男{GAP}民族{GAP}汉", extracted) == []
    assert [r.text for r in unexplained(f"性别{GAP}女{GAP}民族{GAP}回族", extracted)] == []  # below MIN_RUN
    assert [r.text for r in unexplained(f"性别{GAP}玄霄九{GAP}汉", extracted)] == ["玄霄九"]


def test_text_layer_and_pixels_disagreeing_by_a_block() -> None:
    assert disagreements("普通项目进展", "玄霄九章进展") == [(0, 4, "玄霄九章")]
    # OCR noise: one misread character per stretch stays below the threshold
    assert disagreements("关于做好春季防汛工作的通知", "关于做好春季防讯工作的通知") == []
    # text the layer claims but the page does not draw
    assert disagreements("内部资料", "") == [(0, 4, "")]


def test_ocr_marking_gets_its_star_back() -> None:
    for read in ("机密女10年", "机密10年", "机密☆10年", "秘密*3年"):
        line = repair_marking(Line(read, [(i * 10, 0, i * 10 + 9, 20) for i in range(len(read))], "ocr"))
        assert "★" in line.text and len(line.text) == len(line.boxes), read
    prose = Line("机密文件管理", [(i, 0, i + 1, 1) for i in range(6)], "ocr")
    assert repair_marking(prose).text == "机密文件管理"


def test_merge_boxes_joins_overlapping_regions() -> None:
    merged = merge_boxes([(0, 0, 10, 10), (5, 5, 20, 20), (100, 100, 110, 110)], pad=0)
    assert sorted(merged) == [(0, 0, 20, 20), (100, 100, 110, 110)]


def test_renderer_made_chart_labels_and_error_values_are_not_mismatches() -> None:
    from reviewer.render.compare import Extracted, unexplained

    empty = Extracted(["防汛物资汇总表"])
    for shown in ("Column B", "Series 1", "列 B", "#NAME?", "#DIV/0!", "Column B Column C"):
        assert unexplained(shown, empty) == [], shown
    # the allowance is for those labels only: a term beside them is still a mismatch
    runs = unexplained("Column B 苍龙计划", empty)
    assert runs and "苍龙计划" in runs[0].text
    assert unexplained("Columnist", empty) != []
