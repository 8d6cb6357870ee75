"""The glyph memory of the render check (reviewer.render.check.GlyphMemory): a PDF's own fonts are checked against
their pixels once per distinct glyph, not once per line, and that saving cannot be used to slip a lie through.

Attack: the insider lets every character of the cover text appear truthfully first (so its glyphs are 'verified'),
then draws a project code with glyphs whose ToUnicode entries claim those very characters."""

from __future__ import annotations

from typing import Any

import pytest

from reviewer.render import check, ocr, scan_rendered
from reviewer.scan.scanner import Scanner
from tests.render import make as m

FILLER = ["关于做好春季防汛工作的通知", "各街道、各有关部门：", "普通项目按计划推进，请各单位认真落实。",
          "普通项目的资金已经拨付到位，普通项目负责人要加强检查。", "特此通知。"]


def _pages(shift: float, lines: list[str]) -> m.PdfPage:
    return m.PdfPage([m.Text(60 + shift, 780 - i * 26 - shift, line, 14) for i, line in enumerate(lines)])


def test_a_lie_after_truthful_drawings_of_the_claimed_characters_is_read(scanner: Scanner) -> None:
    lie = dict(zip("北辰三号", "普通项目", strict=True))
    # page 3 is page 1 again, glyph for glyph at the same places, except that one line draws 北辰三号 where page 1
    # drew 普通项目 — and the font's ToUnicode map says those glyphs are 普通项目: every other glyph is already verified
    lied = [line.replace("普通项目", "北辰三号", 1) if i == 2 else line for i, line in enumerate(FILLER)]
    pages = [_pages(0, FILLER), _pages(0.37, FILLER[::-1]), _pages(0, lied)]
    data = m.make_pdf(pages, lies=lie)
    result, report = scan_rendered(scanner, data, "a.pdf")
    assert report.error is None
    hits = [f for f in result.findings if "北辰三号" in (f.match + f.explanation) and f.page == 3]
    assert hits, [(f.rule, f.match, f.location) for f in result.findings]
    assert all(f.box is not None for f in hits)
    assert result.verdict.value != "pass"


def test_the_same_truthful_text_is_not_read_again(scanner: Scanner, monkeypatch: pytest.MonkeyPatch) -> None:
    widths: list[int] = []
    real = ocr.read_crops

    def counted(crops: list[Any]) -> list[tuple[str, float]]:
        widths.append(sum(c.size[0] for c in crops))
        return real(crops)

    monkeypatch.setattr(check.ocr, "read_crops", counted)
    # the same lines at other sub-pixel positions and in another order on each page: a glyph drawn a fraction of a
    # pixel further along antialiases differently, so the memory keeps a few drawings of each glyph (EXEMPLARS)
    shifts = [0, 0.29, 0.53, 0.81, 0.17, 0.44, 0.68, 0.93]
    orders = [FILLER, FILLER[::-1], FILLER[1:] + FILLER[:1], FILLER[2:] + FILLER[:2]]
    data = m.make_pdf([_pages(x, orders[i % 4]) for i, x in enumerate(shifts)])
    result, report = scan_rendered(scanner, data, "a.pdf")
    assert report.error is None and len(report.pages) == len(shifts)
    assert [f for f in result.findings if f.rule == check.MISMATCH_RULE] == []
    assert len(widths) == len(shifts) and widths[0] > 0
    # the second half of the document costs far less than its first page: about the distinct glyphs, not the lines
    assert sum(widths[4:]) <= 0.5 * widths[0], widths
