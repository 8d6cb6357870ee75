"""OCR noise is not a lie, and a lie is not OCR noise (reviewer.render.check._dropped_by_ocr).

Measured on the public corpus: RapidOCR read 嫖娼曾 as 會 on a printed law, a 3-character disagreement with the text
layer and so a 显示内容与文本不一致 finding on a published document. The tolerance: where the reading has fewer than
three characters but the layer's characters there are all drawn (ink in each box), OCR missed them. Where the page
draws nothing (text covered by a picture), the disagreement stays, and where it draws other characters, OCR reads them."""

from __future__ import annotations

from typing import Any

import pytest

from reviewer.render import check, ocr, scan_rendered
from reviewer.scan.scanner import Scanner
from tests.render import make as m

LINE = "关于做好春季防汛工作的通知"


def _ocr_drops(monkeypatch: pytest.MonkeyPatch, drop: str, keep: str) -> None:
    real = ocr.read_crops

    def reading(crops: list[Any]) -> list[tuple[str, float]]:
        return [(text.replace(drop, keep), score) for text, score in real(crops)]

    monkeypatch.setattr(check.ocr, "read_crops", reading)


def test_characters_the_ocr_drops_where_ink_is_drawn_are_not_a_mismatch(scanner: Scanner,
                                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    _ocr_drops(monkeypatch, "春季防汛", "會")
    result, report = scan_rendered(scanner, m.text_pdf([LINE, "各区县人民政府"]), "a.pdf")
    assert report.error is None
    assert [f for f in result.findings if f.rule == check.MISMATCH_RULE] == []


def test_text_the_page_does_not_draw_is_still_a_mismatch(scanner: Scanner) -> None:
    # a white picture laid over 春季防汛: the text layer claims the characters, the reader sees a blank
    white = m.image_bytes(m.page_image([], width=120, height=40), "JPEG")
    page = m.PdfPage([m.Text(60, 780, LINE, 14), m.Img(60 + 4 * 14, 776, 4 * 14, 18, white, (120, 40))])
    result, report = scan_rendered(scanner, m.make_pdf([page]), "a.pdf")
    assert report.error is None
    mism = [f for f in result.findings if f.rule == check.MISMATCH_RULE]
    assert mism and any("春季防汛" in f.match for f in mism), [(f.match, f.explanation) for f in result.findings]


def test_a_lie_is_read_as_what_it_draws(scanner: Scanner, monkeypatch: pytest.MonkeyPatch) -> None:
    # the tolerance never hides a drawn term: the reading holds the drawn characters, three or more of them
    data = m.text_pdf([LINE, "北辰三号"], lies=dict(zip("北辰三号", "普通项目", strict=True)))
    result, _report = scan_rendered(scanner, data, "a.pdf")
    assert any(f.rule == check.MISMATCH_RULE for f in result.findings)
    assert any("北辰三号" in f.match for f in result.findings if f.rule == "render-test-codes")
