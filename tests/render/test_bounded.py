"""Bounded work in the render check (issue 19): `reviewer scan --render` answers `error` within seconds on small files
that ask the engines for out-of-proportion work — also where the render check meets them without the text scan's
extraction in front (an image file, a PDF handed to render_check, a workbook too large to print within the page
limit)."""

from __future__ import annotations

import time

import pytest

from reviewer.extract import Extraction
from reviewer.render import render_check, scan_rendered
from reviewer.scan.scanner import Scanner
from tests.extract import crafted as c

BOUND = 15.0  # generous for a loaded 2-core machine: the old code held a worker for minutes on these


def _timed(fn, *args):  # type: ignore[no-untyped-def]
    started = time.monotonic()
    out = fn(*args)
    return out, time.monotonic() - started


@pytest.mark.parametrize("name, make", [
    ("form-3000.pdf", lambda: c.form_bomb_pdf(3000, 40)),
    ("form-nested.pdf", lambda: c.form_bomb_pdf(60, 40, depth=2)),
    ("type3.pdf", lambda: c.type3_pdf()),
    ("image-30000.docx", lambda: c.docx_with_image(30000, 30000)),
    ("formulas.xlsx", lambda: c.xlsx_formulas(1_000_000)),
    ("nested.html", lambda: c.nested_html(10_000)),
    ("huge.png", lambda: c.png_header(30000, 30000)),
])
def test_scan_render_is_error_within_seconds(scanner: Scanner, name: str, make) -> None:  # type: ignore[no-untyped-def]
    (result, _report), took = _timed(scan_rendered, scanner, make(), name)
    assert result.error and "上限" in result.error, f"{name}: must be error (never pass): {result.error}"
    assert took < BOUND, f"{name}: {took:.1f} s"


def test_render_check_counts_before_pdfium(scanner: Scanner) -> None:
    """render_check itself refuses the page (archive members and the pipeline reach it with their own extraction)."""
    report, took = _timed(render_check, scanner, c.form_bomb_pdf(3000, 40), "a.pdf", Extraction(kind="pdf"))
    assert report.error and "上限" in report.error and not report.pages
    assert took < BOUND


def test_workbook_too_large_to_print_is_refused_before_libreoffice(scanner: Scanner) -> None:
    """500,000 plain cells are within the text scan's limits but print to far more than 200 pages: the render check
    says so at once instead of letting LibreOffice work for minutes."""
    import re

    data = c.xlsx_formulas(500_000)
    import io
    import zipfile

    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        for info in src.infolist():
            body = src.read(info)
            if info.filename.endswith("sheet1.xml"):
                body = re.sub(rb"<c><f>1\+1</f></c>", b"<c><v>2</v></c>", body)
            zf.writestr(info.filename, body)
    report, took = _timed(render_check, scanner, out.getvalue(), "cells.xlsx", Extraction(kind="xlsx"))
    assert report.error and "页" in report.error and "上限" in report.error
    assert took < BOUND
