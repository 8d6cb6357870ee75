"""Whole-page OCR of sparse scans (reviewer/render/sparse.py): detection runs on the inked crops of the page, and what
the whole page reads is still read. Each page below is built the way a careless crop would lose it: a small stamp in a
corner, faint grey text, a line far from the rest, a page turned sideways, light text on a dark band. The faint line
is one the detector finds on the whole page but not on its crop (its blocks average over the whole image): without the
check that every mark lies in a line found, that page passes."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont

from reviewer.render import ocr, scan_rendered, sparse
from reviewer.scan.model import Verdict
from reviewer.scan.scanner import Scanner
from tests.render import make as m

TERMS = "render-test-codes"
MARK = "classification-marking"
BODY = ["关于做好春季防汛工作的通知", "各区县人民政府："]


def _font(size: int) -> Any:
    return ImageFont.truetype(m.FONT, size)


def _page(draw: Callable[[Any], None], rotate: int = 0) -> Any:
    """A sparse scan (two lines of body at the top of a 150 dpi A4 page) with `draw` added."""
    img = m.page_image(BODY, size=30)
    draw(ImageDraw.Draw(img))
    return img.rotate(rotate, expand=True) if rotate else img  # type: ignore[attr-defined]


def _scan(img: Any) -> bytes:
    """The image as a scanner's PDF page (no text layer)."""
    w, h = img.size
    return m.make_pdf([m.PdfPage([m.Img(0, 0, 595, 842, m.image_bytes(img, "JPEG"), (w, h))])])


def _band(d: Any) -> None:
    d.rectangle((0, 800, 1240, 880), fill=(40, 40, 40))
    d.text((110, 815), "北辰三号进展顺利", fill=(255, 255, 255), font=_font(40))


CASES = {
    # a 14-pixel 机密★5年 in the bottom right corner, far from the body
    "corner-stamp": (lambda: _page(lambda d: d.text((1100, 1715), "机密★5年", fill=(30, 30, 30), font=_font(14))),
                     "a.png", MARK, "机密★5年"),
    # grey 230 on white, 20 pixels: the whole page reads it, a crop of it alone does not
    "faint-grey": (lambda: _page(lambda d: d.text((110, 1500), "北辰三号进展顺利", fill=(230, 230, 230), font=_font(20))),
                   "a.png", TERMS, "北辰三号"),
    "far-line": (lambda: _page(lambda d: d.text((900, 1650), "天枢工程", fill=(20, 20, 20), font=_font(20))),
                 "scan.pdf", TERMS, "天枢工程"),
    "red-stamp": (lambda: _page(lambda d: d.text((800, 900), "机密★5年", fill=(230, 60, 60), font=_font(24))),
                  "a.jpg", MARK, "机密★5年"),
    "rotated-corner-stamp": (lambda: _page(lambda d: d.text((1000, 1680), "秘密★3年", fill=(20, 20, 20), font=_font(24)),
                                           rotate=90), "a.png", MARK, "秘密★3年"),
    "upside-down": (lambda: _page(lambda d: d.text((110, 1300), "关于天枢工程的报告", fill=(20, 20, 20), font=_font(30)),
                                  rotate=180), "scan.pdf", TERMS, "天枢工程"),
    "light-on-dark-band": (lambda: _page(_band), "a.png", TERMS, "北辰三号"),
}


def _bytes(img: Any, name: str) -> bytes:
    if name.endswith(".pdf"):
        return _scan(img)
    return m.image_bytes(img, "JPEG" if name.endswith(".jpg") else "PNG")


@pytest.mark.parametrize("case", list(CASES), ids=list(CASES))
def test_what_a_crop_could_lose_is_caught(case: str, scanner: Scanner) -> None:
    build, name, rule, match = CASES[case]
    result, report = scan_rendered(scanner, _bytes(build(), name), name)
    assert report.error is None, report.error
    hits = [f for f in result.findings if f.rule == rule and match in f.match.replace(" ", "")]
    assert hits, [(f.rule, f.match, f.location) for f in result.findings]
    assert hits[0].page == 1 and hits[0].box is not None and "图像识别" in hits[0].location
    assert result.verdict is not Verdict.PASS


def _pre(img: Any) -> Any:
    return ocr.engine().preprocess(np.asarray(img)[:, :, ::-1].copy())[0]


def test_a_clean_sparse_scan_is_read_on_its_crops_as_the_whole_page_reads_it() -> None:
    """The common case takes the cheap path (or the speed-up silently disappears) and loses nothing: the same lines,
    the same text, boxes within a few pixels of RapidOCR's own whole-page call."""
    img = m.page_image(["关于做好春季防汛工作的通知", "各区县人民政府：", "为切实做好防汛准备工作现将有关事项", "特此通知。"])
    pre = _pre(img)
    crops = sparse.regions(sparse.marks(sparse.ink(pre)), pre.shape[0], pre.shape[1])
    assert crops is not None and sum((b[2] - b[0]) * (b[3] - b[1]) for b in crops) < 0.2 * pre.shape[0] * pre.shape[1]
    assert sparse.sparse_lines(ocr.engine(), pre) is not None  # every mark lies in a line found on the crops
    whole, _ = ocr.engine()(np.asarray(img)[:, :, ::-1].copy())
    read = ocr.read_page(img)
    assert [ln.text for ln in read] == [str(t) for _q, t, _s in whole]
    for line, (quad, _t, _s) in zip(read, whole, strict=True):
        xs, ys = [p[0] for p in quad], [p[1] for p in quad]
        assert max(abs(a - b) for a, b in zip(line.box, (min(xs), min(ys), max(xs), max(ys)), strict=True)) <= 8


def test_the_faintest_text_the_recogniser_reads_is_a_mark() -> None:
    """Grey text 13 levels from the paper is read on the whole page (100-pixel characters; 11 levels is not); it must be
    ink here, or a page holding only such text would be read as blank without detection ever seeing it."""
    img = m.page_image(BODY, size=30)
    ImageDraw.Draw(img).text((110, 700), "北辰三号", fill=(242, 242, 242), font=_font(100))
    whole, _ = ocr.engine()(np.asarray(img)[:, :, ::-1].copy())
    assert any("北辰三号" in str(t) for _q, t, _s in whole)  # the premise: the recogniser reads it
    pre = _pre(img)
    cells = sparse.marks(sparse.ink(pre))
    scale = pre.shape[1] / 1240
    y0, y1 = int(720 * scale) // sparse.CELL, int(800 * scale) // sparse.CELL
    x0, x1 = int(120 * scale) // sparse.CELL, int(500 * scale) // sparse.CELL
    assert cells[y0:y1, x0:x1].sum() > 20
    assert ocr.read_page(img) and any("北辰三号" in ln.text for ln in ocr.read_page(img))


def test_every_mark_lies_in_a_crop() -> None:
    """Whatever the layout, the crops hold every marked cell (a mark outside every crop is never shown to detection)."""
    img = m.page_image(BODY, size=30)
    d = ImageDraw.Draw(img)
    for x, y, s in ((1180, 4, 12), (4, 1730, 12), (600, 900, 18), (1100, 1715, 14), (30, 600, 10)):
        d.text((x, y), "机密★", fill=(40, 40, 40), font=_font(s))
    pre = _pre(img)
    cells = sparse.marks(sparse.ink(pre))
    crops = sparse.regions(cells, pre.shape[0], pre.shape[1])
    assert crops is not None and len(crops) >= 5
    covered = np.zeros_like(cells)
    for x0, y0, x1, y1 in crops:
        assert x0 % sparse.GRID == 0 and y0 % sparse.GRID == 0  # on the whole page's grid
        covered[y0 // sparse.CELL : -(-y1 // sparse.CELL), x0 // sparse.CELL : -(-x1 // sparse.CELL)] = 1
    assert not (cells & (1 - covered)).any()


def test_scanner_specks_are_not_marks_and_a_noisy_page_is_read_whole() -> None:
    quiet = m.page_image(BODY, size=30, noise=True)  # 3,000 isolated grey points
    pre = _pre(quiet)
    assert sparse.regions(sparse.marks(sparse.ink(pre)), pre.shape[0], pre.shape[1]) is not None
    rng = np.random.default_rng(7)
    grain = np.asarray(m.page_image(BODY, size=30)).astype(float) * 0.9 + rng.normal(0, 25, (1754, 1240, 1))
    pre = _pre(Image.fromarray(np.clip(grain, 0, 255).astype(np.uint8)))
    assert sparse.regions(sparse.marks(sparse.ink(pre)), pre.shape[0], pre.shape[1]) is None  # not sparse: whole


def test_a_failure_on_the_crops_is_an_error_never_a_blank_page(scanner: Scanner, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*_a: object) -> list[Any]:
        raise RuntimeError("onnx session died")

    monkeypatch.setattr(sparse, "_detect", broken)
    result, report = scan_rendered(scanner, _scan(m.page_image(BODY, size=30)), "scan.pdf")
    assert report.error and "文字识别失败" in report.error
    assert result.verdict is Verdict.ERROR
