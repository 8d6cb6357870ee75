"""Page text through PDFium reads at least what pypdf read (issue 19), and fails closed.

Every crafted PDF of hiddenpdf.py hides a marking (or an ID number) in one place; whatever pypdf's extract_text read
there, the new extraction must read too, and the scan must not pass. Some of the places PDFium's text page alone
misses (asserted below, so that dropping the pypdf fallback fails these tests)."""

from __future__ import annotations

import io
import re
import warnings

import pypdfium2 as pdfium
import pytest
from pypdf import PdfReader

from reviewer.document import scan_document
from reviewer.extract import extract
from reviewer.scan.model import Verdict
from tests.extract import hiddenpdf as h

CASES = h.cases()
_WS = re.compile(r"\s+")


def _pypdf(data: bytes) -> str:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return _WS.sub("", "".join(p.extract_text() or "" for p in PdfReader(io.BytesIO(data)).pages))


def _pdfium_alone(data: bytes) -> str:
    doc = pdfium.PdfDocument(data)
    try:
        return _WS.sub("", "".join(doc[i].get_textpage().get_text_range() for i in range(len(doc))))
    finally:
        doc.close()


def _secrets(text: str) -> set[str]:
    return {s for s in (h.SECRET, h.ID_NUMBER) if s in text}


@pytest.fixture(scope="module")
def scanner():  # type: ignore[no-untyped-def]
    from reviewer import Scanner

    return Scanner.load()


@pytest.mark.parametrize("name", sorted(CASES))
def test_reads_at_least_what_pypdf_read(name: str, scanner) -> None:  # type: ignore[no-untyped-def]
    data = CASES[name]
    old = _secrets(_pypdf(data))
    extraction = extract(data, f"{name}.pdf")
    assert extraction.error is None, extraction.error
    new = _secrets(_WS.sub("", extraction.text_of("正文")))
    assert old <= new, f"{name}: pypdf read {old}, the new extraction {new}"
    if old:
        assert scan_document(scanner, data, f"{name}.pdf").verdict is not Verdict.PASS


# PDFium's text page alone loses the secret here (a zero-width object, an ActualText in place of the glyphs, a
# Type3 glyph mapped only by its name, digits merged on one spot); pypdf reads it.
PDFIUM_MISSES = ["zero-font-size", "zero-horizontal-scale", "type3-glyph-names", "actualtext-hides-drawn-secret",
                 "actualtext-unprintable", "stacked-digits", "stacked-digits-and-a-phrase-glyph", "inkless-glyphs",
                 "stream-order-only"]


@pytest.mark.parametrize("name", PDFIUM_MISSES)
def test_the_places_pdfium_alone_misses_are_read_anyway(name: str) -> None:
    data = CASES[name]
    assert _secrets(_pypdf(data)) - _secrets(_pdfium_alone(data)), "the case no longer shows a difference"
    assert _secrets(_pypdf(data)) <= _secrets(_WS.sub("", extract(data, f"{name}.pdf").text_of("正文")))


def test_a_term_only_the_stream_order_spells_is_found_there(scanner) -> None:  # type: ignore[no-untyped-def]
    """The glyphs of the marking shown in order but placed right to left: PDFium reads 年01★密机 (as a reader
    sees it), pypdf read the marking; it is reported at 第1页 · 部分位于内容流顺序连读处 (the join of two objects the stream shows one after the other), once."""
    result = scan_document(scanner, CASES["stream-order-only"], "a.pdf")
    assert result.verdict is not Verdict.PASS
    hits = [f.location for f in result.findings if f.rule == "classification-marking"]
    assert hits == ["第1页 · 部分位于内容流顺序连读处"], hits


def test_text_read_in_reading_order_adds_no_finding_twice(scanner) -> None:  # type: ignore[no-untyped-def]
    """A page whose objects PDFium reorders but which spells the marking the same way in both orders: one finding
    (the stream-order part only counts what touches the pieces out of place)."""
    data = h.one_page(h.reversed_glyphs("一般") + h._show(y=600))
    hits = [f.location for f in scan_document(scanner, data, "a.pdf").findings if f.rule == "classification-marking"]
    assert hits == ["第1页"], hits


def test_actualtext_that_holds_the_secret_is_read_too() -> None:
    """pypdf reads the glyphs (一般事项五年), PDFium the ActualText (the marking): both are kept."""
    data = CASES["actualtext-holds-secret"]
    assert h.SECRET not in _pypdf(data)
    text = _WS.sub("", extract(data, "a.pdf").text_of("正文"))
    assert h.SECRET in text and h.BENIGN in text


def test_an_ordinary_page_is_read_by_pdfium_alone(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """The speed-up is real: a page with nothing PDFium may miss never calls pypdf's extract_text."""
    _no_pypdf_text(monkeypatch)
    extraction = extract(CASES["white-on-white"], "a.pdf")
    assert extraction.error is None and h.SECRET in _WS.sub("", extraction.text_of("正文"))


def _no_pypdf_text(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from pypdf import PageObject

    def boom(*_a: object, **_k: object) -> str:
        raise AssertionError("pypdf extract_text called")

    monkeypatch.setattr(PageObject, "extract_text", boom)


def test_actualtext_is_set_aside_in_pdfium_not_read_by_pypdf(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Chromium writes an ActualText for characters its ToUnicode map gives as radicals: PDFium reads the page
    twice (with and without the ActualText) instead of handing it to pypdf, and keeps the glyphs and the claim."""
    _no_pypdf_text(monkeypatch)
    text = _WS.sub("", extract(CASES["actualtext-hides-drawn-secret"], "a.pdf").text_of("正文"))
    assert h.SECRET in text and h.BENIGN in text


def test_a_blank_object_pdfium_drops_is_proven_blank(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """A text object of inkless glyphs that the ToUnicode map names as white space: PDFium drops it (as it drops a
    space drawn alone), and the page needs no pypdf; the same object naming the marking does (test above)."""
    data = h.inkless_type3("\u3000\u3000")
    from reviewer.extract.workload import check_pdf

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        reader = PdfReader(io.BytesIO(data))
        work = check_pdf(reader, len(data))[0]
    from reviewer.extract.pdf import decoded_shows
    from reviewer.extract.pdftext import read_page

    doc = pdfium.PdfDocument(data)
    assert read_page(doc[0], work, lambda: None).why_pypdf  # without the proof the page would go to pypdf
    assert read_page(doc[0], work, lambda: decoded_shows(reader.pages[0], work, {})).why_pypdf == ""
    secret = h.inkless_type3(h.SECRET)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        sreader = PdfReader(io.BytesIO(secret))
        swork = check_pdf(sreader, len(secret))[0]
    sdoc = pdfium.PdfDocument(secret)
    assert read_page(sdoc[0], swork, lambda: decoded_shows(sreader.pages[0], swork, {})).why_pypdf
    _no_pypdf_text(monkeypatch)
    assert h.COVER in extract(data, "a.pdf").text_of("正文")


def test_a_pdfium_failure_on_a_page_is_an_error(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import reviewer.extract.pdf as pdf_module

    def fail(*_a: object) -> object:
        raise pdfium.PdfiumError("boom")

    monkeypatch.setattr(pdf_module, "read_page", fail)
    extraction = extract(CASES["many-pages"], "a.pdf")
    assert extraction.error is not None and "PDFium" in extraction.error and "第1页" in extraction.error
    assert not extraction.parts
    assert "boom" not in extraction.error


def test_pdfium_unable_to_open_or_seeing_other_pages_is_an_error(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    class Refuses:
        def __init__(self, *_a: object) -> None:
            raise pdfium.PdfiumError("no")

    monkeypatch.setattr(pdfium, "PdfDocument", Refuses)
    assert "PDFium" in (extract(CASES["white-on-white"], "a.pdf").error or "")
    monkeypatch.undo()

    real = pdfium.PdfDocument

    class FewerPages:  # PDFium sees one page less than pypdf
        def __init__(self, data: bytes) -> None:
            self.doc = real(data)

        def __len__(self) -> int:
            return len(self.doc) - 1

        def close(self) -> None:
            self.doc.close()

    monkeypatch.setattr(pdfium, "PdfDocument", FewerPages)
    error = extract(CASES["many-pages"], "a.pdf").error or ""
    assert "页数" in error and "不一致" in error


def test_workload_counts_text_objects_and_codes() -> None:
    """The counts the completeness check relies on: shows with a non-empty string, forms expanded, and the codes
    they show (2 bytes a code in a UCS-2 CMap)."""
    from reviewer.extract.workload import check_pdf

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        work = check_pdf(PdfReader(io.BytesIO(CASES["nested-forms"])), len(CASES["nested-forms"]))[0]
    assert work.shows == 2 and work.codes == len(h.COVER) + len(h.SECRET) and work.unmapped == 0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        t3 = check_pdf(PdfReader(io.BytesIO(CASES["type3-glyph-names"])), len(CASES["type3-glyph-names"]))[0]
    assert t3.unmapped == 1


def test_pdfium_letters_must_match_our_own_decoding_of_the_strings() -> None:
    """A parser differential (PDFium shows other strings than the stream pypdf decodes, with the same counts) is
    seen when PDFium's letters and digits differ from our decoding of the page's strings through their ToUnicode
    maps: the page then goes to pypdf. Our decoding is the real one here, then altered as a differential would."""
    from reviewer.extract.pdf import decoded_shows
    from reviewer.extract.pdftext import read_page
    from reviewer.extract.workload import check_pdf

    data = CASES["white-on-white"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        reader = PdfReader(io.BytesIO(data))
        work = check_pdf(reader, len(data))[0]
    shows = decoded_shows(reader.pages[0], work, {})
    assert shows is not None and [t for t, _n in shows] == [h.COVER, h.SECRET]
    doc = pdfium.PdfDocument(data)
    assert read_page(doc[0], work, lambda: shows).why_pypdf == ""
    other = [(h.COVER, len(h.COVER)), (h.BENIGN, len(h.SECRET))]  # what pypdf's view of the stream would hold
    assert "不同" in read_page(doc[0], work, lambda: other).why_pypdf
