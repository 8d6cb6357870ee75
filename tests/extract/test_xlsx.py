from __future__ import annotations

import io

from openpyxl import Workbook
from openpyxl.comments import Comment

from reviewer.extract import extract
from tests.extract.helpers import locations_of, zip_of

S_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"


def _book(**sheets: str) -> bytes:
    names = "".join(f'<sheet name="{n}" sheetId="{i}" r:id="rId{i}"/>' for i, n in enumerate(sheets, 1))
    rels = "".join(f'<Relationship Id="rId{i}" Type="ws" Target="worksheets/sheet{i}.xml"/>' for i in range(1, len(sheets) + 1))
    files = {
        "xl/workbook.xml": f'<workbook xmlns="{S_NS}" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
        f"<sheets>{names}</sheets></workbook>",
        "xl/_rels/workbook.xml.rels": f'<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">{rels}</Relationships>',
    }
    for i, xml in enumerate(sheets.values(), 1):
        files[f"xl/worksheets/sheet{i}.xml"] = f'<worksheet xmlns="{S_NS}">{xml}</worksheet>'
    return zip_of(files)


def test_openpyxl_workbook_every_place() -> None:
    wb = Workbook()
    ws = wb.active
    ws.title = "封面"
    ws["B2"] = "可见机密★1年"
    ws["B2"].comment = Comment("批注里的秘密", "审校员")
    ws["D4"] = 13812345678
    ws.column_dimensions["E"].hidden = True
    ws["E1"] = "隐藏列文字"
    ws.oddHeader.center.text = "页眉内部资料"
    hidden = wb.create_sheet("附表2")
    hidden.sheet_state = "hidden"
    hidden["C7"] = "隐藏表文字"
    buf = io.BytesIO()
    wb.save(buf)
    result = extract(buf.getvalue(), "b.xlsx")
    assert result.error is None and result.kind == "xlsx"
    assert locations_of(result, "可见机密★1年") == ["工作表“封面”!B2"]
    assert locations_of(result, "批注里的秘密") == ["批注（作者：审校员） · 工作表“封面”!B2"]
    assert locations_of(result, "13812345678") == ["工作表“封面”!D4"]
    assert locations_of(result, "隐藏列文字") == ["工作表“封面”!E1 · 隐藏列"]
    assert locations_of(result, "页眉内部资料") == ["工作表“封面” 页眉"]
    assert locations_of(result, "隐藏表文字") == ["工作表“附表2”!C7 · 隐藏工作表"]
    assert locations_of(result, "附表2") == ["工作表名称“附表2” · 隐藏工作表"]


def test_inline_and_rich_shared_strings() -> None:
    data = _book(
        表1='<sheetData><row r="1"><c r="A1" t="inlineStr"><is><r><t>青鸾</t></r><r><t>四号</t></r></is></c>'
        '<c r="B1" t="str"><f>"x"</f><v>公式结果</v></c></row></sheetData>'
    )
    result = extract(data, "i.xlsx")
    assert locations_of(result, "青鸾四号") == ["工作表“表1”!A1"]
    assert locations_of(result, "公式结果") == ["工作表“表1”!B1"]


def test_bad_shared_string_index_is_an_error() -> None:
    data = _book(表1='<sheetData><row r="1"><c r="A1" t="s"><v>99</v></c></row></sheetData>')
    result = extract(data, "bad.xlsx")
    assert result.error and "共享字符串" in result.error


def test_missing_sheet_part_needs_review() -> None:
    files = {
        "xl/workbook.xml": f'<workbook xmlns="{S_NS}" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
        '<sheets><sheet name="丢失" sheetId="1" r:id="rId1"/></sheets></workbook>'
    }
    result = extract(zip_of(files), "m.xlsx")
    assert [i.code for i in result.issues] == ["sheet_missing"]


# -- what a spreadsheet program shows but the file does not store as text -------------------------------------------
TERM = "赤枫行动"


def _cell(ref: str, formula: str, cached: str | None = None, t: str = "str") -> str:
    from xml.sax.saxutils import escape

    value = f"<v>{cached}</v>" if cached is not None else ""
    return f'<c r="{ref}" t="{t}"><f>{escape(formula)}</f>{value}</c>'


def _sheet(*cells: str) -> str:
    return f'<sheetData><row r="1">{"".join(cells)}</row></sheetData>'


def test_formulas_without_cached_values_are_evaluated() -> None:
    formulas = [
        '"赤枫"&"行动"',
        'CONCATENATE("赤","枫","行动")',
        '_xlfn.CONCAT("赤枫","行动")',
        '_xlfn.TEXTJOIN("",TRUE,"赤枫","行动")',
        "".join(f"UNICHAR({ord(c)})&" for c in TERM)[:-1],
        "".join(f"CHAR({int.from_bytes(c.encode('gbk'), 'big')})&" for c in TERM)[:-1],
        'LOWER("赤枫")&UPPER("行动")',
        'MID("甲赤枫乙",2,2)&SUBSTITUTE("行X","X","动")',
    ]
    cells = [_cell(f"{chr(65 + i)}1", f) for i, f in enumerate(formulas)]
    result = extract(_book(表=_sheet(*cells)), "f.xlsx")
    assert result.error is None and result.issues == []
    assert sorted(locations_of(result, TERM)) == sorted(f"工作表“表”!{chr(65 + i)}1（公式计算结果）" for i in range(len(formulas)))


def test_formula_referencing_cells_and_other_sheets() -> None:
    one = '<sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>赤枫</t></is></c>' + _cell("B1", 'A1&表二!A1') + "</row></sheetData>"
    two = '<sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>行动</t></is></c></row></sheetData>'
    result = extract(_book(表一=one, 表二=two), "f.xlsx")
    assert locations_of(result, TERM) == ["工作表“表一”!B1（公式计算结果）"]


def test_a_cached_value_that_lies_does_not_hide_the_formula() -> None:
    result = extract(_book(表=_sheet(_cell("A1", '"赤枫"&"行动"', cached="普通"))), "f.xlsx")
    assert locations_of(result, TERM) == ["工作表“表”!A1（公式计算结果）"]
    assert locations_of(result, "普通") == ["工作表“表”!A1"]


def test_unevaluable_text_formula_without_cached_value_needs_review() -> None:
    result = extract(_book(表=_sheet(_cell("A1", 'VLOOKUP("赤",外部!A:B,2)&"行动"'))), "f.xlsx")
    assert [(i.code, i.location, i.severity.value) for i in result.issues] == [("formula_unevaluated", "工作表“表”!A1", "review")]
    numeric = extract(_book(表=_sheet(_cell("A1", "SUM(B1:B3)", t="n"))), "f.xlsx")
    assert numeric.issues == []


def test_cached_formula_values_add_nothing() -> None:
    result = extract(_book(表=_sheet(_cell("A1", '"普通"&"文字"', cached="普通文字"))), "f.xlsx")
    assert [p.location for p in result.parts if "公式" in p.location] == []


def test_number_format_literal_text() -> None:
    styles = (
        f'<styleSheet xmlns="{S_NS}"><numFmts count="3">'
        '<numFmt numFmtId="164" formatCode="&quot;赤枫行动&quot;0"/>'
        '<numFmt numFmtId="165" formatCode="@&quot;赤枫&quot;\\行\\动"/>'
        '<numFmt numFmtId="166" formatCode="#,##0.00;[Red]-#,##0.00"/>'
        "</numFmts></styleSheet>"
    )
    book = _book(表='<sheetData><row r="1"><c r="A1" s="1"><v>5</v></c></row></sheetData>')
    import io as io_module
    import zipfile

    out = io_module.BytesIO()
    with zipfile.ZipFile(io_module.BytesIO(book)) as src, zipfile.ZipFile(out, "w") as dst:
        for name in src.namelist():
            dst.writestr(name, src.read(name))
        dst.writestr("xl/styles.xml", styles)
    result = extract(out.getvalue(), "f.xlsx")
    assert sorted(locations_of(result, TERM)) == ["数字格式（格式代码 164）", "数字格式（格式代码 165）"]
    assert not any("166" in (s.label) for p in result.parts for s in p.spans)


def test_data_validation_prompt_and_list() -> None:
    xml = (
        '<sheetData><row r="1"><c r="A1"><v>1</v></c></row></sheetData><dataValidations count="1">'
        f'<dataValidation type="list" sqref="A1:A9" promptTitle="提示" prompt="请选{TERM}"><formula1>"甲,{TERM}乙"</formula1></dataValidation>'
        "</dataValidations>"
    )
    result = extract(_book(表=xml), "f.xlsx")
    assert locations_of(result, TERM) == ["工作表“表” 数据验证（A1:A9）", "工作表“表” 数据验证（A1:A9）"]


def test_strict_spreadsheet_is_read() -> None:
    strict = {
        "xl/workbook.xml": '<workbook xmlns="http://purl.oclc.org/ooxml/spreadsheetml/main" '
        'xmlns:r="http://purl.oclc.org/ooxml/officeDocument/relationships"><sheets><sheet name="表" sheetId="1" r:id="rId1"/></sheets></workbook>',
        "xl/_rels/workbook.xml.rels": '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        '<Relationship Id="rId1" Type="http://purl.oclc.org/ooxml/officeDocument/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>',
        "xl/worksheets/sheet1.xml": '<worksheet xmlns="http://purl.oclc.org/ooxml/spreadsheetml/main">'
        f'<sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>{TERM}</t></is></c></row></sheetData></worksheet>',
    }
    assert locations_of(extract(zip_of(strict), "s.xlsx"), TERM) == ["工作表“表”!A1"]
