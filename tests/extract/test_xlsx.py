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
