"""The reader's join of numbers cut over table cells (extract/cells.py), alone and through the Word, Excel and HTML
extractors: a 居民身份证号码 written one digit a cell or in groups across cells and rows is read whole; figures of a
statistics table are never joined into made-up numbers."""

from __future__ import annotations

from reviewer.document import scan_document
from reviewer.extract import extract
from reviewer.extract.cells import MARK, reader_join
from reviewer.extract.limits import Budget
from reviewer.scan.scanner import Scanner
from reviewer.scan.validators import id_check_char
from reviewer.settings import BUILTIN_RULES_DIR
from tests.adversarial.generate import _xlsx
from tests.extract.helpers import docx_with_body

FIRST = "32058319770615402"
NUMBER = FIRST + id_check_char(FIRST)


def _budget() -> Budget:
    from reviewer.extract import DEFAULT_LIMITS

    return Budget(DEFAULT_LIMITS)


def test_one_digit_a_cell_is_joined_and_marked() -> None:
    part = reader_join("表格1", [["姓名", "某某"], ["公民身份号码", *NUMBER]], _budget())
    assert part is not None and part.spans_only
    assert NUMBER in part.text
    start = part.text.index(NUMBER)
    assert part.locate(start, start + 18) == f"表格1 第2行第2列至第2行第19列 · {MARK}"


def test_groups_across_rows_continue_from_the_last_cell_into_the_next_row() -> None:
    rows = [["身份证号", NUMBER[:6], NUMBER[6:10]], ["", NUMBER[10:14], NUMBER[14:]]]
    part = reader_join("表格2", rows, _budget())
    assert part is not None and NUMBER in part.text


def test_a_sequence_number_beside_the_number_is_left_out() -> None:
    part = reader_join("表格5", [["序号", "姓名", "身份证号"], ["1", NUMBER[:10], NUMBER[10:]]], _budget())
    assert part is not None and NUMBER in part.text.splitlines()
    part = reader_join("表格6", [["身份证号", "人数"], [NUMBER[:9], NUMBER[9:], "3"]], _budget())
    assert part is not None and NUMBER in part.text.splitlines()


def test_a_label_cell_breaks_the_run_and_figures_are_not_joined() -> None:
    stats = [["项目", *map(str, range(1, 10))], ["数量", "3", "1", "0", "1", "0", "5", "1", "9", "9"],
             ["合计", "12", "7", "0", "44", "5", "6", "2", "31", "8"]]
    assert reader_join("表格3", stats, _budget()) is None  # no run has the length of an ID number
    broken = [["号码", *NUMBER[:9], "备注", *NUMBER[9:]]]
    assert reader_join("表格4", broken, _budget()) is None


def _scanner() -> Scanner:
    return Scanner.load(BUILTIN_RULES_DIR, defaults=False)


def test_word_table_cells_are_read_whole() -> None:
    cells = "".join(f"<w:tc><w:p><w:r><w:t>{d}</w:t></w:r></w:p></w:tc>" for d in NUMBER)
    body = f"<w:tbl><w:tr><w:tc><w:p><w:r><w:t>公民身份号码</w:t></w:r></w:p></w:tc>{cells}</w:tr></w:tbl>"
    data = docx_with_body(body)
    assert NUMBER not in extract(data, "a.docx").text_of("表格1 第")  # each cell is its own place
    result = scan_document(_scanner(), data, "a.docx")
    hits = [f for f in result.findings if f.rule == "id-card"]
    assert len(hits) == 1 and hits[0].match == NUMBER and MARK in hits[0].location


def test_excel_and_html_forms_are_read_whole_and_masked_numbers_stay_clean() -> None:
    scanner = _scanner()
    sheet = _xlsx([["姓名", "某某"], ["公民身份号码", NUMBER[:6], NUMBER[6:14], NUMBER[14:]]], "", "")
    assert [f.rule for f in scan_document(scanner, sheet, "a.xlsx").findings] == ["id-card"]
    row1 = "".join(f"<td>{d}</td>" for d in NUMBER[:9])
    row2 = "".join(f"<td>{d}</td>" for d in NUMBER[9:])
    page = f"<table><tr><th>公民身份号码</th>{row1}</tr><tr><td></td>{row2}</tr></table>".encode()
    assert [f.rule for f in scan_document(scanner, page, "a.html").findings] == ["id-card"]
    masked = NUMBER[:6] + "********" + NUMBER[14:]
    clean = f"<table><tr><th>公民身份号码</th>{''.join(f'<td>{d}</td>' for d in masked)}</tr></table>".encode()
    assert scan_document(scanner, clean, "b.html").findings == []


def test_random_figure_tables_give_no_joined_number() -> None:
    """2 000 tables of small figures (1-4 digits, 4-15 columns): about one joined 18-digit stretch in ten would pass
    Luhn; none is written because only ID numbers that pass GB 11643 are."""
    import random

    rng = random.Random(7)
    made = 0
    for _ in range(2000):
        rows = [["项目", *(str(rng.randrange(10 ** rng.randrange(1, 5))) for _ in range(rng.randrange(4, 16)))]
                for _ in range(rng.randrange(3, 12))]
        made += reader_join("表格", rows, _budget()) is not None
    assert made == 0
