"""Extraction joined with the real scanner: every finding carries the place it was found in."""

from __future__ import annotations

import importlib.util
import json
from functools import cache

import pytest

from reviewer.document import scan_document
from reviewer.scan.model import Severity, Verdict
from tests.extract.helpers import SAMPLES, docx_with_body

pytestmark = pytest.mark.skipif(
    importlib.util.find_spec("reviewer.scan.scanner") is None, reason="the scanner (reviewer.scan.scanner) is not built yet"
)

EXPECTED = json.loads((SAMPLES / "expected.json").read_text(encoding="utf-8"))


@cache
def scanner():  # type: ignore[no-untyped-def]
    from reviewer import Scanner

    return Scanner.load()


@cache
def scanned(name: str):  # type: ignore[no-untyped-def]
    return scan_document(scanner(), (SAMPLES / name).read_bytes(), name)


def _docx_with_comment(comment: str, author: str = "王审校") -> bytes:
    w = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
    comments = (
        f'<w:comments xmlns:w="{w}"><w:comment w:id="0" w:author="{author}"><w:p><w:r><w:t>{comment}</w:t></w:r></w:p>'
        "</w:comment></w:comments>"
    )
    body = '<w:p><w:commentRangeStart w:id="0"/><w:r><w:t>请认真落实。</w:t></w:r><w:r><w:commentReference w:id="0"/></w:r></w:p>'
    return docx_with_body(body, {"word/comments.xml": comments})


@pytest.mark.parametrize(
    ("comment", "match", "rule"),
    [("联系人 11010519491231002X", "11010519491231002X", "id-card"), ("机密★10年", "机密★10年", "classification-marking")],
)
def test_finding_in_a_docx_comment_names_the_comment_and_its_author(comment: str, match: str, rule: str) -> None:
    result = scan_document(scanner(), _docx_with_comment(comment), "c.docx")
    assert result.verdict is Verdict.BLOCK
    [finding] = [f for f in result.findings if f.rule == rule]
    assert finding.match == match
    assert finding.location == "批注（作者：王审校） · 位于正文 第1段"
    assert comment[finding.start : finding.end] == match  # offsets index the part's text


@pytest.mark.parametrize(
    "case", [c for c in EXPECTED["places"] if c["scan"]], ids=lambda c: f"{c['file']}:{c['location']}"
)
def test_sample_findings_are_located(case: dict[str, str]) -> None:
    result = scanned(case["file"])
    assert result.error is None
    located = [f for f in result.findings if case["location"] in f.location]
    assert any(f.match and (f.match in case["text"] or case["text"] in f.match) for f in located), [
        (f.match, f.location) for f in result.findings
    ]


@pytest.mark.parametrize("name", EXPECTED["errors"])
def test_broken_samples_are_never_pass(name: str) -> None:
    result = scanned(name)
    assert result.verdict is Verdict.ERROR and result.error


def test_scanned_pdf_page_is_a_review_finding() -> None:
    [finding] = [f for f in scanned("report-with-scan.pdf").findings if f.rule == "extract.scanned_page"]
    assert (finding.severity, finding.location) == (Severity.REVIEW, "第3页")
    assert "扫描件" in finding.message


def test_scanned_only_pdf_gets_review() -> None:
    from tests.extract.helpers import Page, make_pdf

    result = scan_document(scanner(), make_pdf([Page(scanned=True)]), "scan.pdf")
    assert result.verdict is Verdict.REVIEW


def test_text_around_a_deletion_is_reported_once() -> None:
    body = (
        '<w:p><w:r><w:t xml:space="preserve">机密★10年 </w:t></w:r><w:del w:author="乙"><w:r><w:delText>删去</w:delText>'
        "</w:r></w:del></w:p>"
    )
    result = scan_document(scanner(), docx_with_body(body), "d.docx")
    assert [(f.match, f.location) for f in result.findings] == [("机密★10年", "正文 第1段")]


def test_clean_document_passes() -> None:
    body = "<w:p><w:r><w:t>各单位要坚持先审查、后公开，做好政务公开工作。</w:t></w:r></w:p>"
    assert scan_document(scanner(), docx_with_body(body), "ok.docx").verdict is Verdict.PASS
