"""Error messages reach publishers and the scan_failed log event: they quote no draft text and no member names
(issue 11). Each case hides the term in a name or an attribute the old messages quoted."""

from __future__ import annotations

import io
import zipfile

import pytest

from reviewer.extract import extract
from tests.extract.helpers import docx_with_body, zip_of

TERM = "赤枫行动"
BODY = "<w:p><w:r><w:t>普通文字</w:t></w:r></w:p>"


def _stored_zip(files: dict[str, bytes], corrupt: str | None = None) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as zf:
        for name, content in files.items():
            zf.writestr(name, content)
    data = bytearray(out.getvalue())
    if corrupt is not None:
        i = data.find(files[corrupt], data.find(corrupt.encode()))
        data[i] ^= 0x55  # the CRC no longer matches
    return bytes(data)


DOC_XML = docx_with_body(BODY)
with zipfile.ZipFile(io.BytesIO(DOC_XML)) as _zf:
    DOCUMENT = _zf.read("word/document.xml")

CASES = {
    "damaged embedding": (
        _stored_zip({"word/document.xml": DOCUMENT, f"word/embeddings/{TERM}试验数据.txt": "内容文字".encode() * 20}, corrupt=f"word/embeddings/{TERM}试验数据.txt"),
        "a.docx",
    ),
    "damaged media": (
        _stored_zip({"word/document.xml": DOCUMENT, f"word/media/{TERM}.png": b"\x89PNG" + b"x" * 100}, corrupt=f"word/media/{TERM}.png"),
        "a.docx",
    ),
    "header by relationship, malformed": (
        zip_of(
            {
                "word/document.xml": DOCUMENT,
                "word/_rels/document.xml.rels": '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
                f'<Relationship Id="r1" Type="http://x/header" Target="{TERM}.xml"/></Relationships>',
                f"word/{TERM}.xml": f"<w:hdr><unclosed>{TERM}",
            }
        ),
        "a.docx",
    ),
    "unknown xml encoding": (zip_of({"word/document.xml": f'<?xml version="1.0" encoding="{TERM}"?><w:document/>'.encode()}), "a.docx"),
    "archive member broken": (zip_of({f"{TERM}/报告.docx": DOC_XML[:-30]}), "附件.zip"),
    "archive member of unknown type": (zip_of({f"说明.{TERM}": b"text"}), "附件.zip"),
    "xlsx bad shared string reference": (
        zip_of(
            {
                "xl/workbook.xml": '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
                'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets>'
                '<sheet name="s" sheetId="1" r:id="rId1"/></sheets></workbook>',
                "xl/_rels/workbook.xml.rels": '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
                '<Relationship Id="rId1" Type="ws" Target="worksheets/sheet1.xml"/></Relationships>',
                "xl/worksheets/sheet1.xml": '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
                f'<sheetData><row r="1"><c r="{TERM}" t="s"><v>7</v></c></row></sheetData></worksheet>',
            }
        ),
        "a.xlsx",
    ),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_error_names_no_member_and_quotes_no_text(case: str) -> None:
    data, name = CASES[case]
    result = extract(data, name)
    assert result.error and not result.parts, case
    assert TERM not in result.error, result.error
    assert any("\u4e00" <= ch <= "\u9fff" for ch in result.error)


def test_unexpected_failure_is_a_generic_error(monkeypatch: pytest.MonkeyPatch) -> None:
    from reviewer.extract import html

    def boom(*_args: object) -> None:
        raise KeyError(f"{TERM} inside")

    monkeypatch.setattr(html, "_parse", boom)
    result = extract(b"<html><body>x</body></html>", "a.html")
    # its meaning in Chinese, never the class name (the log has the type and frames)
    assert result.error and "缺少必需的内容" in result.error and "KeyError" not in result.error and TERM not in result.error
