"""A 300-page report is checked within the default limits (issue 19): the render check of a long text PDF ends with
every page checked, not `error` at the time limit (which would keep the unit from ever publishing it)."""

from __future__ import annotations

from pathlib import Path

import pytest

from reviewer.render import check, scan_rendered
from reviewer.scan.scanner import Scanner
from tests.render import make as m

DATA = Path(__file__).resolve().parents[1] / "data" / "public-gov"
PAGES = 300
LINES, WIDTH = 36, 36  # 14 pt lines on an A4 page


def _report() -> bytes:
    text = "".join(p.read_text(encoding="utf-8").replace("\n", "") for p in sorted(DATA.glob("*.txt")))
    need = PAGES * LINES * WIDTH
    assert len(text) >= need // 4, "the public laws in tests/data are the report's text"
    text = (text * (need // len(text) + 1))[:need]
    rows = [text[i : i + WIDTH] for i in range(0, need, WIDTH)]
    return m.make_pdf([m.PdfPage([m.Text(50, 790 - k * 20, rows[p * LINES + k], 14) for k in range(LINES)])
                       for p in range(PAGES)])


@pytest.mark.slow
def test_a_300_page_report_is_checked_within_the_default_limits(scanner: Scanner, tmp_path: Path) -> None:
    data = _report()
    limits = check.RenderLimits(glyph_memory=str(tmp_path / "glyph-memory.npz"))  # a deployment's, empty: cold
    assert limits.max_pages >= PAGES
    result, report = scan_rendered(scanner, data, "report.pdf", limits)
    assert report.error is None, report.error  # the limit itself (max_seconds) would end it as `error`
    assert len(report.pages) == PAGES
    assert [f for f in result.findings if f.rule == check.MISMATCH_RULE] == []
