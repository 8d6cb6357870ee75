"""Each protective limit trips, and tripping it is an `error` (fail closed), not a crash and not a pass."""

from __future__ import annotations

import io
import zipfile

from reviewer.extract import Limits, extract
from tests.extract.helpers import SAMPLES, Page, docx_with_body, make_pdf, zip_of

_P = "<w:p><w:r><w:t>文字</w:t></w:r></w:p>"


def test_max_upload_size() -> None:
    result = extract(b"x" * 101, "a.txt", Limits(max_bytes=100))
    assert result.error and "超过上限" in result.error


def test_zip_bomb_decompressed_size() -> None:
    bomb = io.BytesIO()
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("word/document.xml", b"<a>" + b" " * 5_000_000 + b"</a>")
    assert len(bomb.getvalue()) < 20_000
    result = extract(bomb.getvalue(), "bomb.docx", Limits(max_unzipped_bytes=1_000_000))
    assert result.error and "压缩炸弹" in result.error


def test_zip_bomb_lying_about_its_size() -> None:
    """The declared size in the zip directory is not trusted: real decompressed bytes are counted."""
    data = bytearray(docx_with_body(_P * 2000))
    # Patch every declared uncompressed size (local headers and central directory) to 1 byte.
    for sig, offset in ((b"PK\x03\x04", 22), (b"PK\x01\x02", 24)):
        i = data.find(sig)
        while i >= 0:
            data[i + offset : i + offset + 4] = (1).to_bytes(4, "little")
            i = data.find(sig, i + 4)
    result = extract(bytes(data), "lie.docx", Limits(max_unzipped_bytes=50_000))
    assert result.error


def test_zip_entry_count() -> None:
    files: dict[str, bytes | str] = {f"word/media/f{i}.bin": b"" for i in range(50)}
    result = extract(docx_with_body(_P, files), "many.docx", Limits(max_zip_entries=20))
    assert result.error and "个部件" in result.error


def test_xml_entity_expansion_is_refused() -> None:
    laughs = (
        '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;">]>'
        '<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body><w:p><w:r><w:t>&lol2;</w:t>'
        "</w:r></w:p></w:body></w:document>"
    )
    result = extract(zip_of({"word/document.xml": laughs}), "lol.docx")
    assert result.error and "实体" in result.error


def test_xml_external_entity_is_refused() -> None:
    xxe = (
        '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>'
        '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheets>&e;</sheets></workbook>'
    )
    result = extract(zip_of({"xl/workbook.xml": xxe}), "xxe.xlsx")
    assert result.error and "实体" in result.error


def test_parse_time_limit_in_every_extractor() -> None:
    slow = Limits(max_seconds=0.0)
    samples = {
        "docx": docx_with_body(_P),
        "xlsx": (SAMPLES / "budget-with-hidden-sheet.xlsx").read_bytes(),
        "pdf": make_pdf([Page(["文字"])]),
        "html": b"<html><body>x</body></html>",
        "txt": "文字".encode(),
    }
    for suffix, data in samples.items():
        result = extract(data, f"a.{suffix}", slow)
        assert result.error and "时间上限" in result.error, suffix


def _long_xlsx() -> bytes:
    rows = "".join(f'<row r="{i}"><c r="A{i}" t="inlineStr"><is><t>文字</t></is></c></row>' for i in range(1, 200))
    return zip_of(
        {
            "xl/workbook.xml": '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
            'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets>'
            '<sheet name="表1" sheetId="1" r:id="rId1"/></sheets></workbook>',
            "xl/_rels/workbook.xml.rels": '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            '<Relationship Id="rId1" Type="ws" Target="worksheets/sheet1.xml"/></Relationships>',
            "xl/worksheets/sheet1.xml": '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
            f"<sheetData>{rows}</sheetData></worksheet>",
        }
    )


def test_parse_time_limit_mid_document(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """The deadline is checked inside the extractors' loops, not only at the door: a clock that runs out after a few
    checks stops a long document part-way."""
    from reviewer.extract import limits as limits_module

    for name, data in (
        ("long.docx", docx_with_body("<w:tbl>" + ("<w:tr><w:tc>" + _P + "</w:tc></w:tr>") * 50 + "</w:tbl>")),
        ("long.pdf", make_pdf([Page(["文字"])] * 20)),
        ("long.xlsx", _long_xlsx()),
        ("long.html", b"<html><body>" + b"<p>x</p>" * 40000 + b"</body></html>"),
    ):
        calls = iter(range(10**6))
        monkeypatch.setattr(limits_module.time, "monotonic", lambda: 5000.0 if next(calls) < 4 else 6000.0)
        result = extract(data, name, Limits(max_seconds=10))
        assert result.error and "时间上限" in result.error, name


def test_text_size_limit() -> None:
    result = extract(("文字" * 1000).encode(), "a.txt", Limits(max_text_chars=100))
    assert result.error and "字符上限" in result.error


def test_nesting_limit() -> None:
    inner = docx_with_body(_P)
    outer = docx_with_body(_P, {"word/embeddings/inner.docx": docx_with_body(_P, {"word/embeddings/deep.docx": inner})})
    result = extract(outer, "nest.docx", Limits(max_nesting=1))
    assert result.error is None
    assert [i.code for i in result.issues] == ["nested_too_deep"]


def test_absurdly_deep_nesting_is_an_error_not_a_crash() -> None:
    n = 20000
    blocks = "<w:sdt><w:sdtContent>" * n + _P + "</w:sdtContent></w:sdt>" * n
    inline = "<w:p>" + "<w:hyperlink>" * n + "<w:r><w:t>深</w:t></w:r>" + "</w:hyperlink>" * n + "</w:p>"
    for body in (blocks, inline):
        result = extract(docx_with_body(body), "deep.docx")
        assert result.error and "嵌套" in result.error


def test_html_tag_soup_stays_linear() -> None:
    import time

    soup = b"<html><body>" + b"<div>" * 1500 + b"</span>" * 50000 + "机密".encode() + b"</div>" * 10
    start = time.monotonic()
    result = extract(soup, "soup.html")
    assert time.monotonic() - start < 10
    assert result.error is None and "机密" in result.text_of("正文")
    # 50,000 unclosed elements: nesting out of proportion (issue 19) is an error, still found in linear time
    start = time.monotonic()
    result = extract(soup.replace(b"<div>" * 1500, b"<div>" * 50000), "soup.html")
    assert time.monotonic() - start < 10
    assert result.error and "嵌套" in result.error
