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
    from reviewer.render import glyphs

    # OCR crop widths per page: synthetic lines of new glyphs (several pages' glyphs may share a line,
    # check._finish_pages: each glyph counts its share for its own page), then lines in context
    widths: list[float] = []
    page_of: dict[int, int] = {}  # id of a glyph -> index of its page
    current = [0]  # the page being finished (its lines in context)
    real_start, real_page, real_line, real_crop = check._start_page, check._check_page, glyphs._synthetic_line, \
        check._crop

    def start(page: Any, plan: Any) -> Any:
        page_of.update((id(g), len(widths)) for g in page.glyphs)
        widths.append(0)
        return real_start(page, plan)

    def line(picture: Any, gs: list[Any], module: Any) -> Any:
        out = real_line(picture, gs, module)
        for g in gs:
            widths[page_of[id(g)]] += out.size[0] / len(gs)
        return out

    def page(scanner: Any, pending: Any, *rest: Any) -> None:
        current[0] = pending.page.number - 1
        real_page(scanner, pending, *rest)

    def crop(image: Any, box: Any, pad: int = 3) -> Any:
        out = real_crop(image, box, pad)
        widths[current[0]] += out.size[0]
        return out

    monkeypatch.setattr(check, "_start_page", start)
    monkeypatch.setattr(check, "_check_page", page)
    monkeypatch.setattr(glyphs, "_synthetic_line", line)
    monkeypatch.setattr(check, "_crop", crop)
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


def _glyphs_on_line(data: bytes, y: float, size: float = 14) -> list[Any]:
    """The text-layer glyphs of page 1 whose baseline is at PDF y (points from the bottom)."""
    from reviewer.render.pages import DPI, pdf_pages

    page = next(iter(pdf_pages(data, 5)))
    top = (842 - y - size) * DPI / 72
    bottom = (842 - y + size * 0.3) * DPI / 72
    return [g for g in page.glyphs if top <= (g.box[1] + g.box[3]) / 2 <= bottom]


def test_a_glyph_for_mi_that_draws_gong_is_never_learnt(scanner: Scanner, tmp_path: Any) -> None:
    """A font whose glyph for 密 draws 公: the page shows 公开 where the layer says 密开 (one character: below the
    mismatch threshold, so no finding) — but the drawing must never be remembered as 密, or every later 密 drawn
    as 公 (and any word built that way) would pass unread."""
    from reviewer.render.glyphs import GlyphMemory

    lines = ["保密工作要求严格落实", "公开发布的信息要审查", "各单位认真落实"]
    data = m.make_pdf([m.PdfPage([m.Text(60, 780 - i * 26, line, 14) for i, line in enumerate(lines)])],
                      lies={"公": "密"})
    path = tmp_path / "glyph-memory.npz"
    result, report = scan_rendered(scanner, data, "a.pdf", check.RenderLimits(glyph_memory=str(path)))
    assert report.error is None
    memory = GlyphMemory.load(path)
    genuine = [g for g in _glyphs_on_line(data, 780) if g.ch == "密"]
    lying = [g for g in _glyphs_on_line(data, 754) if g.ch == "密"]
    assert genuine and lying
    assert all(memory.known(g) for g in genuine), "the truthful 密 is verified and remembered (the memory works)"
    assert not any(memory.known(g) for g in lying), "the drawing of 公 was remembered as 密"


def test_a_drawing_verified_as_one_character_is_not_trusted_for_another(scanner: Scanner, tmp_path: Any) -> None:
    """Across documents (the deployment's memory file): draft A truthfully draws 北辰三号, so those drawings are
    verified; draft B draws the same 北辰三号 with a font whose ToUnicode map calls them 普通项目. A memory keyed
    by drawing alone would skip them as known; the render check must read them and report 北辰三号."""
    limits = check.RenderLimits(glyph_memory=str(tmp_path / "glyph-memory.npz"))
    first = m.make_pdf([_pages(0, [*FILLER, "北辰三号的工作按期完成"])])
    _result, report = scan_rendered(scanner, first, "a.pdf", limits)
    assert report.error is None
    lied = [line.replace("普通项目", "北辰三号", 1) if i == 2 else line for i, line in enumerate(FILLER)]
    second = m.make_pdf([_pages(0, lied)], lies=dict(zip("北辰三号", "普通项目", strict=True)))
    result, report = scan_rendered(scanner, second, "b.pdf", limits)
    assert report.error is None
    assert [f for f in result.findings if "北辰三号" in (f.match + f.explanation) and f.page == 1], \
        [(f.rule, f.match, f.location) for f in result.findings]
    assert result.verdict.value != "pass"


def test_the_memory_survives_a_restart(scanner: Scanner, tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """Saved to the data directory and loaded by a new process: the same text is not read again."""
    from reviewer.render import glyphs

    path = tmp_path / "glyph-memory.npz"
    limits = check.RenderLimits(glyph_memory=str(path))
    data = m.make_pdf([_pages(0, FILLER)])
    widths: list[int] = []
    real = ocr.read_crops

    def counted(crops: list[Any]) -> list[tuple[str, float]]:
        widths.append(sum(c.size[0] for c in crops))
        return real(crops)

    monkeypatch.setattr(check.ocr, "read_crops", counted)
    scan_rendered(scanner, data, "a.pdf", limits)
    cold = sum(widths)
    assert path.exists() and len(glyphs.GlyphMemory.load(path)) > 20
    monkeypatch.setattr(glyphs, "_SHARED", {})  # a new worker process: nothing in memory but the file
    import shutil

    from reviewer.render.pagecache import CACHE_DIR

    shutil.rmtree(tmp_path / CACHE_DIR)  # the pages themselves are not remembered: only the glyphs can save reading
    widths.clear()
    result, report = scan_rendered(scanner, data, "again.pdf", limits)
    assert report.error is None and not [f for f in result.findings if f.rule == check.MISMATCH_RULE]
    assert sum(widths) <= 0.1 * cold, (sum(widths), cold)


def test_two_workers_saving_keep_both_and_a_damaged_file_trusts_nothing(tmp_path: Any) -> None:
    import numpy as np

    from reviewer.render.glyphs import GlyphMemory
    from reviewer.render.pages import FINE, SIG, Glyph

    rnd = np.random.default_rng(3)

    def glyph(ch: str) -> Glyph:
        return Glyph(ch, (0, 0, 10, 10), rnd.random((SIG, SIG), dtype=np.float32), 20,
                     fine=rnd.random((FINE, FINE), dtype=np.float32))

    path = tmp_path / "glyph-memory.npz"
    a, b = GlyphMemory.load(path), GlyphMemory.load(path)  # two worker processes, both started before any save
    ga, gb = glyph("甲"), glyph("乙")
    a.learn(ga)
    b.learn(gb)
    a.save(path)
    b.save(path)  # b merges what a saved instead of overwriting it
    both = GlyphMemory.load(path)
    assert both.known(Glyph("甲", ga.box, ga.sig, 20, fine=ga.fine)) and both.known(Glyph("乙", gb.box, gb.sig, 20, fine=gb.fine))
    assert not both.known(Glyph("乙", ga.box, ga.sig, 20, fine=ga.fine)), "a drawing is known only for its own character"
    path.write_bytes(b"PK\x03\x04 damaged")
    assert len(GlyphMemory.load(path)) == 0


# --------------------------------------------------------------------- neighbouring sizes, page hints, near twins
def _drawn(items: list[m.Text], lies: dict[str, str] | None = None) -> list[Any]:
    """The signed glyphs of a one-page PDF drawing `items` (real PDFium rendering, real signatures)."""
    from reviewer.render.pages import pdf_pages

    page = next(iter(pdf_pages(m.make_pdf([m.PdfPage(items)], lies=lies), 5)))
    return [g for g in page.glyphs if g.sig is not None]


def _fresh(g: Any, ch: str | None = None, size: int | None = None) -> Any:
    """The same drawing as a new, unverified glyph (optionally claiming another character or size)."""
    from reviewer.render.pages import Glyph

    return Glyph(ch or g.ch, g.box, g.sig, g.size if size is None else size, g.loose, fine=g.fine, exact=g.exact)


def test_a_drawing_is_recognised_at_the_next_size_but_only_for_its_own_character() -> None:
    """PDFium's loose box of one glyph is 26.2–27.0 px high from one font subset to another, so the memory compares a
    glyph with its character's drawings at its size and the sizes next to it. That may never let a drawing verified
    as one character stand for another: 公's drawing claimed as 密, a shifted 密 claimed as 公, at any of those sizes."""
    from reviewer.render.glyphs import SIZE_SLACK, GlyphMemory

    truthful = _drawn([m.Text(60, 780, "保密公开", 14), m.Text(60.37, 740.41, "保密公开", 14)])
    mi, gong = [g for g in truthful if g.ch == "密"], [g for g in truthful if g.ch == "公"]
    memory = GlyphMemory()
    memory.learn(mi[0])
    memory.learn(gong[0])
    size, gsize = mi[0].size, gong[0].size  # the loose box's height differs from glyph to glyph
    for d in range(-SIZE_SLACK, SIZE_SLACK + 1):
        assert memory.known(_fresh(mi[1], size=size + d)), "the same drawing of 密 one pixel taller or shorter"
        assert not memory.known(_fresh(gong[0], "密", size + d)), "the very drawing verified as 公 trusted as 密"
        assert not memory.known(_fresh(gong[1], "密", size + d)), "公's drawing trusted as 密"
        assert not memory.known(_fresh(mi[0], "公", gsize + d)), "the very drawing verified as 密 trusted as 公"
        assert not memory.known(_fresh(mi[1], "公", gsize + d)), "a shifted 密 trusted as 公"
    assert not memory.known(_fresh(mi[1], size=size + SIZE_SLACK + 1)), "sizes further apart are not compared"
    # the page-at-once path (mark_known, with its per-character hints) answers the same
    page = [_fresh(mi[1], size=size + 1), _fresh(gong[1], "密", size + 1), _fresh(mi[1], "公", gsize - 1),
            _fresh(gong[0], size=gsize - 1)]
    memory.mark_known(page)
    assert [g.verified for g in page] == [True, False, False, True]
    again = [_fresh(gong[0], "密", size), _fresh(mi[0], "公", gsize), _fresh(gong[1], "密", size + 1),
             _fresh(mi[1], size=size)]
    memory.mark_known(again)  # the hints of 密 and 公 are set now: still only for their own characters
    assert [g.verified for g in again] == [False, False, False, True]


def test_a_lie_at_a_neighbouring_size_after_truthful_drawings_is_read(scanner: Scanner) -> None:
    """The document-level attack of the first test, with the lying page set half a point larger (its glyphs one
    pixel taller: compared with the truthful drawings of the neighbouring size)."""
    lie = dict(zip("北辰三号", "普通项目", strict=True))
    lied = [line.replace("普通项目", "北辰三号", 1) if i == 2 else line for i, line in enumerate(FILLER)]
    big = m.PdfPage([m.Text(60, 780 - i * 26, line, 14.5) for i, line in enumerate(lied)])
    data = m.make_pdf([_pages(0, FILLER), _pages(0.37, FILLER[::-1]), big], lies=lie)
    result, report = scan_rendered(scanner, data, "a.pdf")
    assert report.error is None
    hits = [f for f in result.findings if "北辰三号" in (f.match + f.explanation) and f.page == 3]
    assert hits, [(f.rule, f.match, f.location) for f in result.findings]
    assert result.verdict.value != "pass"


def test_text_running_off_the_page_is_signed_not_a_crash() -> None:
    """A line wider than the page: glyphs at the right edge had crops reaching past the white margin (IndexError)."""
    glyphs = _drawn([m.Text(40, 780, "关于做好春季防汛工作的通知各街道各有关部门普通项目按计划推进请各单位认真落实", 14),
                     m.Text(40, 750, "一二三，", 30)])
    assert len(glyphs) > 20 and all(g.sig.shape == glyphs[0].sig.shape for g in glyphs)


# A pixel is 72/150 pt: text moved by a whole number of pixels draws the very same pixels; 0.25 pt is about half a pixel
SHIFTS = (0, 0.25, 0.5, 0.75)


@pytest.mark.parametrize(("claimed", "drawn"), [("未", "末"), ("末", "未"), ("己", "已"), ("已", "己"), ("土", "士"),
                                               ("士", "土"), ("问", "间"), ("l", "1"), ("1", "l"), ("I", "l")])
def test_a_near_twin_drawing_is_not_trusted_for_the_verified_character(claimed: str, drawn: str) -> None:
    """未 and 末 differ in the length of one stroke; the blurred 12 × 12 signature cannot tell them apart (0.017 against
    the limit of 0.04; 己/已 0.034, 土/士 0.016, 问/间 0.031, l/1 0.017, I/l 0.014 in this font: each case trusted by the
    signature alone). A font whose glyph for 未 draws 末 must be read, even after 未 itself was verified at several
    sub-pixel positions — through known() and the page-at-once mark_known(), before and after its hint is set."""
    from reviewer.render.glyphs import GlyphMemory

    words = claimed + "来"
    truthful = _drawn([m.Text(60 + x, 780 - 30 * k, words, 14) for k, x in enumerate(SHIFTS)])
    memory = GlyphMemory()
    for g in truthful:
        memory.learn(g)
    lying = [g for g in _drawn([m.Text(60 + x, 600 - 30 * k, drawn + "来", 14) for k, x in enumerate(SHIFTS)],
                               lies={drawn: claimed}) if g.ch == claimed]
    assert len(lying) == len(SHIFTS)
    assert not any(memory.known(_fresh(g)) for g in lying)
    page = [_fresh(g) for g in lying]
    memory.mark_known(page)
    assert not any(g.verified for g in page)
    # the truthful drawings themselves stay known, also once the page-at-once hint of the character is set
    again = [_fresh(g) for g in truthful if g.ch == claimed]
    memory.mark_known(again)
    assert all(g.verified for g in again)
    page = [_fresh(g) for g in lying]
    memory.mark_known(page)
    assert not any(g.verified for g in page)


def test_a_verified_twin_at_other_sub_pixel_positions_is_trusted(tmp_path: Any) -> None:
    """The cost stays bounded: once 未 and 己 are verified at a few sub-pixel positions, the same glyphs at other
    positions (other lines, other fractions of a pixel) are known without reading — also after a save and a load —
    and stay unknown for the twin they resemble."""
    from reviewer.render.glyphs import GlyphMemory

    first = [g for g in _drawn([m.Text(60 + x, 780 - 30 * k, "未来自己", 14) for k, x in enumerate(SHIFTS)])
             if g.ch in "未己"]
    later = [g for g in _drawn([m.Text(61 + x, 600 - 31.3 * k, "自己未来", 14) for k, x in enumerate((0.12, 0.37, 0.62, 0.88))])
             if g.ch in "未己"]
    assert len(first) == len(later) == 8
    memory = GlyphMemory()
    for g in first:
        memory.learn(g)
    assert all(memory.known(_fresh(g)) for g in later)
    page = [_fresh(g) for g in later]
    memory.mark_known(page)
    assert all(g.verified for g in page)
    path = tmp_path / "glyph-memory.npz"
    memory.save(path)
    loaded = GlyphMemory.load(path)
    assert all(loaded.known(_fresh(g)) for g in later)
    assert not any(loaded.known(_fresh(g, {"未": "末", "己": "已"}[g.ch])) for g in later), "known for its own character only"


def test_a_near_twin_lie_in_a_document_is_read_by_ocr(scanner: Scanner, monkeypatch: pytest.MonkeyPatch) -> None:
    """Page 1 draws 未日计划 truthfully (未 verified); page 2 draws 末日计划 with a font whose 末 claims 未: OCR reads
    the drawing, and reads it as 末."""
    readings: list[str] = []
    real = ocr.read_crops

    def recorded(crops: list[Any]) -> list[tuple[str, float]]:
        got = real(crops)
        readings.extend(r for r, _s in got)
        return got

    monkeypatch.setattr(check.ocr, "read_crops", recorded)
    lines = ["未日计划按期推进", "各单位未来要认真落实"]
    lied = ["末日计划按期推进", "各单位末来要认真落实"]
    data = m.make_pdf([_pages(0, lines), _pages(0, lied)], lies={"末": "未"})
    result, report = scan_rendered(scanner, data, "a.pdf")
    assert report.error is None
    assert any("末" in r for r in readings), readings


@pytest.mark.parametrize(("claimed", "drawn"), [("而", "面"), ("面", "而"), ("刺", "剌"), ("剌", "刺")])
def test_a_twin_that_passes_both_signatures_is_trusted_only_pixel_for_pixel(claimed: str, drawn: str) -> None:
    """At 10.5 pt the fine signature of 面 drawn where 而 is claimed differs from a verified 而 by 0.19 (刺/剌 0.17),
    under FINE_SAME: these characters are listed as twin-prone (reviewer/render/twins.py) and trusted only as a
    pixel-identical copy of a verified drawing. The lie is read; the verified drawing itself, moved by whole pixels,
    is still trusted (the cost stays bounded), and only for its own character."""
    from reviewer.render.glyphs import GlyphMemory
    from reviewer.render.twins import exact_only

    assert exact_only(claimed) and exact_only(drawn), "listed in reviewer/render/twins.txt"
    truthful = [g for g in _drawn([m.Text(60 + x, 780 - 30 * k, claimed + "来", 10.5) for k, x in enumerate(SHIFTS)])
                if g.ch == claimed]
    memory = GlyphMemory()
    for g in truthful:
        memory.learn(g)
    lying = [g for g in _drawn([m.Text(60 + x, 600 - 30 * k, drawn + "来", 10.5) for k, x in enumerate(SHIFTS)],
                               lies={drawn: claimed}) if g.ch == claimed]
    assert len(lying) == len(SHIFTS) and all(g.exact is not None for g in lying)
    assert not any(memory.known(_fresh(g)) for g in lying)
    page = [_fresh(g) for g in lying]
    memory.mark_known(page)
    assert not any(g.verified for g in page)
    # 75 and 300 pixels are 36 and 144 pt exactly (a shift such as 40 pixels, 19.2 pt, is not exact in binary and may
    # land the glyph on another sub-pixel position)
    moved = [g for g in _drawn([m.Text(60 + 36 + x, 780 - 30 * k - 144, claimed + "来", 10.5)
                                for k, x in enumerate(SHIFTS)]) if g.ch == claimed]
    assert all(memory.known(_fresh(g)) for g in moved), "the same pixels elsewhere are the verified drawing"
    assert not any(memory.known(_fresh(g, drawn)) for g in moved), "known for its own character only"


def test_new_glyphs_of_several_pages_are_read_together_and_a_lie_among_them_is_read(
        scanner: Scanner, monkeypatch: pytest.MonkeyPatch) -> None:
    """check._finish_pages: the new glyphs of a few pages wait and are read in shared synthetic lines (a page with
    one new glyph no longer pays a recognition run of its own). Waiting together must not let one page's reading
    stand for another page's glyph that claims the same character but draws another: page 1 draws 工作安排 truly,
    page 3 draws 北辰三号 with codes the ToUnicode map calls 工作安排, all in one wait (check.PENDING_PAGES)."""
    from reviewer.render import glyphs

    page_of: dict[int, int] = {}  # id of a glyph -> its page number
    lines: list[set[int]] = []  # the pages whose glyphs each synthetic line holds
    real_start, real_line = check._start_page, glyphs._synthetic_line

    def start(page: Any, plan: Any) -> Any:
        page_of.update((id(g), page.number) for g in page.glyphs)
        return real_start(page, plan)

    def line(picture: Any, gs: list[Any], module: Any) -> Any:
        lines.append({page_of[id(g)] for g in gs})
        return real_line(picture, gs, module)

    monkeypatch.setattr(check, "_start_page", start)
    monkeypatch.setattr(glyphs, "_synthetic_line", line)
    texts = ["工作安排", "春季防汛", "北辰三号", "检查落实", "会议通知"]
    pages = [m.PdfPage([m.Text(60 + 0.3 * i, 780, t, 14)]) for i, t in enumerate(texts)]
    data = m.make_pdf(pages, lies=dict(zip("北辰三号", "工作安排", strict=True)))
    assert len(texts) <= check.PENDING_PAGES
    result, report = scan_rendered(scanner, data, "a.pdf")
    assert report.error is None and len(report.pages) == len(texts)
    hits = [f for f in result.findings if "北辰三号" in (f.match + f.explanation) and f.page == 3]
    assert hits, [(f.rule, f.match, f.location) for f in result.findings]
    assert result.verdict.value != "pass"
    assert any(len(pages_) > 1 for pages_ in lines), lines  # the pages' glyphs were read together
    assert not [f for f in result.findings if f.rule == check.MISMATCH_RULE and f.page != 3]
