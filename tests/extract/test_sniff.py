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
