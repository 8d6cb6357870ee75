"""One verified drawing of a font's glyph stands for all its drawings in the document (render/glyphs.prove_fonts,
render/pages._Redraw): a glyph whose pixels are exactly what its own font draws for its claimed character — drawn
again alone on a blank page of the same document — shows that font's glyph and nothing else; once that glyph is
proven to show the character (a drawing of it verified by the glyph memory or read by OCR), its sub-pixel variants
need no reading.

Attacks: (1) two codes of one font both claim the same character, one drawing it, one drawing a secret — the proof
of the honest code must never cover the lying one, whichever of the two PDFium picks when it draws the character
again; (2) something small drawn over a verified glyph (a few points of image: too small to be read as an image
region) must make the glyph unfaithful, not verified."""

from __future__ import annotations

from typing import Any

import pytest

from reviewer.render import check, ocr, scan_rendered
from reviewer.render.pages import pdf_pages
from reviewer.scan.scanner import Scanner
from tests.render import make as m

COVER = ["关于做好春季防汛工作的通知", "各街道、各有关部门：", "{w}项目按计划推进，请各单位认真落实。",
         "{w}的资金已经拨付到位，{w}负责人要加强检查。", "特此通知。"]


def _page(shift: float, lines: list[str]) -> m.PdfPage:
    return m.PdfPage([m.Text(60 + shift, 780 - i * 26 - shift, line, 14) for i, line in enumerate(lines)])


# claimed cover word → the secret its lying codes draw. PDFium draws a claimed character again with the lowest code
# its ToUnicode map gives it: 北辰三号 (5317 8FB0 4E09 53F7) sit below 普通项目 (666E 901A 9879 76EE), so the lie is
# what is drawn again; 乙丁七丈 (4E59 4E01 4E03 4E08) sit below 北辰三号, so the honest glyph is.
@pytest.mark.parametrize("cover", ["普通项目", "乙丁七丈"])
def test_a_proven_drawing_never_covers_another_code_claiming_the_same_character(scanner: Scanner, cover: str) -> None:
    lie = dict(zip("北辰三号", cover, strict=True))
    honest = [line.format(w=cover) for line in COVER]
    lied = [line.replace(cover, "北辰三号", 1) if i == 2 else line for i, line in enumerate(honest)]
    # pages 1-2: the cover word drawn honestly at two sub-pixel positions (verified, its font's drawings proven);
    # page 3: the same font's other codes for the same characters draw 北辰三号
    data = m.make_pdf([_page(0, honest), _page(0.41, honest[::-1]), _page(0.23, lied)], lies=lie)
    result, report = scan_rendered(scanner, data, "a.pdf")
    assert report.error is None
    hits = [f for f in result.findings if "北辰三号" in (f.match + f.explanation) and f.page == 3]
    assert hits, [(f.rule, f.match, f.location) for f in result.findings]
    assert result.verdict.value != "pass"


def test_an_honest_page_is_redrawn_pixel_for_pixel() -> None:
    """The redraw itself: every glyph of an honest page is exactly what its font draws (else the proof would never
    apply and the covered-glyph test below would pass for nothing)."""
    data = m.make_pdf([_page(0.37, [line.format(w="普通") for line in COVER])])
    for page in pdf_pages(data, 5):
        targets = [g for g in page.glyphs if g.loose is not None and not g.ch.isspace()]
        page.redraw(targets, [])
        assert targets and all(g.faithful for g in targets), [g.ch for g in targets if not g.faithful]
        assert len({g.font for g in targets}) == 1


def test_a_glyph_with_anything_drawn_over_it_is_not_faithful() -> None:
    """A black 3 × 3 pt image (far below the size read as an image region) over one stroke of 防: the page no longer
    shows what the font draws there. Its neighbours stay faithful."""
    from PIL import Image

    black = m.image_bytes(Image.new("RGB", (6, 6), (0, 0, 0)), "JPEG")
    line = "关于做好春季防汛工作的通知"
    x = 60 + line.index("防") * 14 + 5
    data = m.make_pdf([m.PdfPage([m.Text(60, 780, line, 14), m.Img(x, 784, 3, 3, black, (6, 6))])])
    pages = pdf_pages(data, 5)  # held: the page is open while the generator waits at it
    page = next(pages)
    assert page.regions == [] and page.images == 0, "the image is too small to be read as a region"
    targets = [g for g in page.glyphs if g.loose is not None]
    page.redraw(targets, [])
    covered = [g for g in targets if g.ch == "防"]
    assert covered and not any(g.faithful for g in covered)
    assert all(g.faithful for g in targets if g.ch in "关于做好通知")


def test_a_font_drawing_read_once_is_not_read_again_at_other_positions(scanner: Scanner,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """The saving: the same text at eight sub-pixel positions, one page each. Page 1 reads each new glyph once;
    every later page shows the same font drawings at other positions and reads nothing alone but what page 1 could
    not learn (the pages' new glyphs are read together, check._finish_pages: each glyph read is counted for its
    own page)."""
    from reviewer.render import glyphs

    alone: list[int] = []
    page_of: dict[int, int] = {}  # id of a glyph -> index of its page
    real_line = glyphs._synthetic_line
    real_start = check._start_page

    def counted_line(picture: Any, gs: list[Any], module: Any) -> Any:
        for g in gs:
            alone[page_of[id(g)]] += 1
        return real_line(picture, gs, module)

    def start(page: Any, plan: Any) -> Any:
        page_of.update((id(g), len(alone)) for g in page.glyphs)
        alone.append(0)
        return real_start(page, plan)

    monkeypatch.setattr(glyphs, "_synthetic_line", counted_line)
    monkeypatch.setattr(check, "_start_page", start)
    text = [line.format(w="普通") for line in COVER]
    shifts = [0, 0.29, 0.53, 0.81, 0.17, 0.44, 0.68, 0.93]
    data = m.make_pdf([_page(x, text[i % 5:] + text[: i % 5]) for i, x in enumerate(shifts)])
    result, report = scan_rendered(scanner, data, "a.pdf")
    assert report.error is None and len(alone) == len(shifts)
    assert [f for f in result.findings if f.rule == check.MISMATCH_RULE] == []
    # (a glyph OCR cannot read alone — 门 — proves nothing and is read in context, on every page)
    assert alone[0] > 20 and max(alone[1:]) <= 1, alone
    assert ocr is not None


def test_the_exact_picture_of_a_verified_glyph_stands_only_for_its_own_character() -> None:
    """GlyphMemory.mark_crops: the same pixels (the same digest) verify a glyph claiming the character they were
    verified as, never one claiming another — a lying font drawing 公 where the layer says 密 on the very pixels of
    a verified 公."""
    from reviewer.render.glyphs import GlyphMemory

    data = m.make_pdf([_page(0, ["公开发布的信息"]), _page(0, ["公开发布的信息"])], lies={"公": "密"})
    honest = m.make_pdf([_page(0, ["公开发布的信息"])])
    memory = GlyphMemory()
    for page in pdf_pages(honest, 5, signatures="lazy"):
        for g in page.glyphs:
            g.verified = True
        memory.remember_crops(page.glyphs)
    seen = 0
    for page in pdf_pages(data, 5, signatures="lazy"):
        memory.mark_crops(page.glyphs)
        lying = [g for g in page.glyphs if g.ch == "密"]
        assert lying and all(g.crop is not None and not g.verified for g in lying)
        assert all(g.verified for g in page.glyphs if g.ch in "开发布的信息")
        seen += 1
    assert seen == 2


# ------------------------------------------------------------------------------------ with the outline proof
LINE = "普通项目按计划推进北辰三号"


def _noto_subset(text: str) -> bytes:
    """The installed Noto Sans CJK SC cut down to `text` (its CFF programs unchanged): an embedded font the server's
    own fonts can vouch for."""
    from tests.render.test_fontproof import SC, subset_of

    if SC is None:
        pytest.skip("Noto Sans CJK（fonts-noto-cjk）未安装")
    return subset_of(text)


def _alone_reads(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    from reviewer.render import glyphs

    alone = [0]
    real_line = glyphs._synthetic_line

    def counted_line(image: Any, gs: list[Any], module: Any) -> Any:
        alone[0] += len(gs)
        return real_line(image, gs, module)

    monkeypatch.setattr(glyphs, "_synthetic_line", counted_line)
    return alone


def test_an_embedded_copy_of_an_installed_font_is_verified_without_reading(scanner: Scanner,
                                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """Every glyph of a draft whose embedded font is a subset of a font installed on the server is proven by its
    outline: nothing is read alone. (Not 北: PDFium's outline of 北 from the installed face loaded whole is another
    glyph, so 北 never proves and is read — a refusal, never a wrong proof.)"""
    from tests.render.test_fontproof import embedded_pdf

    alone = _alone_reads(monkeypatch)
    text = "普通项目按计划推进天枢工程"
    data = embedded_pdf(_noto_subset(text), text)
    result, report = scan_rendered(scanner, data, "a.pdf")
    assert report.error is None
    assert alone == [0]
    assert [f for f in result.findings if f.rule == check.MISMATCH_RULE] == []
    assert any("天枢工程" in f.match for f in result.findings)


def test_an_embedded_font_whose_glyphs_are_swapped_is_read_and_its_lie_reported(scanner: Scanner,
                                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    """The same installed font with 北辰三号 and 普通项目 swapped between their code points: the layer claims 普通项目
    where the page draws 北辰三号 (and the other way round). No outline of a swapped glyph equals the installed
    font's outline of the character it claims, so those glyphs are read, and the secret the page shows is reported
    where the layer hides it."""
    from tests.render.test_fontproof import embedded_pdf, swapped

    alone = _alone_reads(monkeypatch)
    font = swapped(_noto_subset(LINE), list(zip("北辰三号", "普通项目", strict=True)))
    data = embedded_pdf(font, "普通项目按计划推进")  # the layer says 普通项目…; the page shows 北辰三号…
    result, report = scan_rendered(scanner, data, "a.pdf")
    assert report.error is None
    assert alone[0] >= 4, "the swapped glyphs were taken as proven"
    hits = [f for f in result.findings if "北辰三号" in (f.match + f.explanation)]
    assert hits, [(f.rule, f.match, f.location) for f in result.findings]
    assert result.verdict.value != "pass"


def test_a_redraw_that_fails_proves_nothing_and_the_glyphs_are_read(scanner: Scanner,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """PDFium failing inside the redraw (a hostile draft) is no proof: the page's new glyphs are read by OCR and a
    lie is still reported; the check itself does not fail."""
    from reviewer.render import pages

    def broken(self: Any, targets: list[Any], also: list[Any]) -> None:
        for g in targets:
            g.faithful, g.font = True, (0, 0)  # half done, then the failure
        raise OSError("PDFium")

    monkeypatch.setattr(pages._Redraw, "__call__", broken)
    alone = _alone_reads(monkeypatch)
    lie = dict(zip("北辰三号", "普通项目", strict=True))
    honest = [line.format(w="普通项目") for line in COVER]
    lied = [line.replace("普通项目", "北辰三号", 1) if i == 2 else line for i, line in enumerate(honest)]
    result, report = scan_rendered(scanner, m.make_pdf([_page(0, lied)], lies=lie), "a.pdf")
    assert report.error is None
    assert alone[0] > 10
    assert [f for f in result.findings if "北辰三号" in (f.match + f.explanation)]
    assert result.verdict.value != "pass"
