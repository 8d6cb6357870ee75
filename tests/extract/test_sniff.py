"""Content decides the format; a wrong or lying extension never makes a document pass unread."""

from __future__ import annotations

import pytest

from reviewer.extract import extract
from reviewer.scan.model import Severity
from tests.extract.helpers import SAMPLES, Page, docx_with_body, locations_of, make_pdf

DOCX = (SAMPLES / "draft-with-revisions.docx").read_bytes()
PDF = make_pdf([Page(["真实内容 机密"])])


@pytest.mark.parametrize(("data", "name", "kind"), [(PDF, "renamed.txt", "pdf"), (DOCX, "renamed.txt", "docx"), (PDF, "x.docx", "pdf")])
def test_renamed_documents_are_read_as_what_they_are(data: bytes, name: str, kind: str) -> None:
    result = extract(data, name)
    assert result.error is None and result.kind == kind
    assert any(i.code == "type_mismatch" and i.severity is Severity.INFO for i in result.issues)


def test_document_without_extension_is_sniffed() -> None:
    result = extract(PDF, "")
    assert result.kind == "pdf" and locations_of(result, "真实内容 机密") == ["第1页"]


@pytest.mark.parametrize(
    ("data", "name", "words"),
    [
        (b"plain text, not a zip", "a.docx", "不是该格式"),
        (b"plain text", "a.xlsx", "不是该格式"),
        (b"plain text", "a.pdf", "不是该格式"),
        (DOCX[: len(DOCX) // 3], "a.docx", "损坏或被截断"),
        (b"PK\x03\x04" + b"\x00" * 100, "a.xlsx", "损坏或被截断"),
        (docx_with_body("")[:0] + b"PK\x05\x06" + b"\x00" * 18, "a.docx", "压缩包"),
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * 50, "scan.png", "PNG"),
        (b"\x1f\x8b\x08\x00" + b"\x00" * 50, "a.txt", "gzip"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + "EncryptedPackage".encode("utf-16-le"), "a.docx", "密码"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, "a.doc", "OLE"),
    ],
)
def test_broken_or_unsupported_input_is_a_clear_error(data: bytes, name: str, words: str) -> None:
    result = extract(data, name)
    assert result.error and words in result.error, result.error
    assert not result.parts


MHT = (SAMPLES / "word-single-file-page.doc").read_bytes()
EML = (SAMPLES / "letter.eml").read_bytes()
FEED = (SAMPLES / "feed.xml").read_bytes()


@pytest.mark.parametrize(("data", "name", "kind"), [
    (MHT, "通知.doc", "mhtml"), (MHT, "通知.htm", "mhtml"), (MHT, "通知.txt", "mhtml"), (MHT, "", "mhtml"),
    (EML, "", "eml"), (EML, "letter.txt", "eml"), (FEED, "feed.txt", "xml"), (FEED, "", "xml"), (FEED, "rss", "xml"),
])
def test_new_formats_are_sniffed_by_content(data: bytes, name: str, kind: str) -> None:
    result = extract(data, name)
    assert result.error is None and result.kind == kind


@pytest.mark.parametrize("text", [
    "From: 张三\nTo: 李四\n\n关于会议安排的说明。\n",  # a letter pasted into a draft: no MIME header, stays text
    "Subject: 通知\n正文没有空行分隔\n",
])
def test_plain_text_that_looks_like_a_letter_stays_text(text: str) -> None:
    result = extract(text.encode(), "draft.txt")
    assert result.error is None and result.kind == "text" and result.parts[0].text.startswith(text.split("\n")[0])


def test_an_svg_is_not_read_as_plain_xml() -> None:
    """An SVG draws text as paths a text reader never sees: refused (as before) rather than passed on its text nodes."""
    svg = b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"><path d="M0 0L10 10"/><text>a</text></svg>'
    result = extract(svg, "logo.svg")
    assert result.error and "SVG" in result.error
