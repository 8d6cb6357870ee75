"""The font outline proof (reviewer/render/fontproof.py): a draft font's glyph for a character is trusted without OCR
only when its outline is the outline of that character in a font installed on the server.

Attacks: a font whose glyph under 公 is the drawing of 密 (its cmap, hence the ToUnicode map PDFium writes, swapped),
near twins that differ by one stroke (未/末, 土/士), a copy of an installed font with one glyph moved a little, a font
that calls itself NotoSansCJKjp-Regular, a non-embedded font whose ToUnicode map lies, a TrueType program that could
move points when hinted, CFF blue zones that could, Type 3 fonts and missing glyphs. Each must answer False; an honest
copy of the installed font must answer True (so each test can fail both ways)."""

from __future__ import annotations

import ctypes
import io
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from reviewer.render import fontproof
from tests.render import make as m

CHARS = "公密未末土士国家"
NOTO = "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"
FACES = fontproof.installed_faces()
SC = next((f for f in FACES if f.psname == "NotoSansCJKsc-Regular"), None)
DEJAVU = next((f for f in FACES if f.psname == "DejaVuSans"), None)
pytestmark = pytest.mark.skipif(SC is None, reason="Noto Sans CJK（fonts-noto-cjk）未安装")


# ------------------------------------------------------------------------------------------------------ fonts
@pytest.fixture(scope="module")
def trusted() -> fontproof.TrustedFonts:
    return fontproof.TrustedFonts()


@pytest.fixture(scope="module")
def noto_subset() -> bytes:
    """The installed NotoSansCJKsc-Regular cut down to CHARS (its CFF programs unchanged, subroutines inlined)."""
    return subset_of(CHARS)


def subset_of(text: str) -> bytes:
    """The installed NotoSansCJKsc-Regular cut down to `text` (its CFF programs unchanged, subroutines inlined)."""
    from fontTools import subset
    from fontTools.ttLib import TTCollection, TTFont

    assert SC is not None
    buf = io.BytesIO()
    TTCollection(SC.path, lazy=True)[SC.index].save(buf)
    buf.seek(0)
    font = TTFont(buf)
    options = subset.Options()
    options.desubroutinize = True
    options.layout_features = []
    options.name_IDs = ["*"]
    sub = subset.Subsetter(options)
    sub.populate(text=text)
    sub.subset(font)
    out = io.BytesIO()
    font.save(out)
    return out.getvalue()


def _edit(data: bytes, change: Any) -> bytes:
    from fontTools.ttLib import TTFont

    font = TTFont(io.BytesIO(data))
    change(font)
    out = io.BytesIO()
    font.save(out)
    return out.getvalue()


def swapped(data: bytes, pairs: list[tuple[str, str]]) -> bytes:
    """The font with the glyphs of each pair exchanged between their code points (so PDFium's ToUnicode map, built
    from the cmap, calls the drawing of one character the other)."""

    def change(font: Any) -> None:
        for table in font["cmap"].tables:
            cmap = dict(table.cmap)  # the subtables may share one dict: swap in a copy each
            for a, b in pairs:
                cmap[ord(a)], cmap[ord(b)] = cmap[ord(b)], cmap[ord(a)]
            table.cmap = cmap

    return _edit(data, change)


def moved(data: bytes, ch: str, units: int) -> bytes:
    """The font with one coordinate of the glyph of `ch` moved by `units` (of 1000 per em)."""

    def change(font: Any) -> None:
        name = font.getBestCmap()[ord(ch)]
        charstring = font["CFF "].cff.topDictIndex[0].CharStrings[name]
        charstring.decompile()
        program = list(charstring.program)
        at = next(i for i, op in enumerate(program) if op in ("rlineto", "rrcurveto"))
        program[at - 1] += units
        charstring.program = program
        charstring.bytecode = None

    return _edit(data, change)


def renamed(data: bytes, psname: str) -> bytes:
    def change(font: Any) -> None:
        for record in font["name"].names:
            if record.nameID in (4, 6):
                record.string = psname
        font["CFF "].cff.fontNames = [psname]

    return _edit(data, change)


def tall_blues(data: bytes) -> bytes:
    """Blue zones that would capture most of the glyph when PDFium hints the font (an SFNT font is drawn hinted)."""

    def change(font: Any) -> None:
        top = font["CFF "].cff.topDictIndex[0]
        for fd in top.FDArray if hasattr(top, "FDArray") else [top]:
            fd.Private.BlueValues = [-250, 900]

    return _edit(data, change)


# ------------------------------------------------------------------------------------------------------ PDFs
def embedded_pdf(font: bytes, text: str) -> bytes:
    """A PDF drawing `text` in `font`, embedded by PDFium itself (FPDFText_LoadFont: a Type 0 font whose ToUnicode
    map comes from the font's cmap), saved and read back as any draft."""
    import pypdfium2 as pdfium
    import pypdfium2.raw as raw

    doc = pdfium.PdfDocument.new()
    page = doc.new_page(595, 842)
    buf = (ctypes.c_uint8 * len(font)).from_buffer_copy(font)
    handle = raw.FPDFText_LoadFont(doc.raw, buf, len(font), raw.FPDF_FONT_TRUETYPE, 1)
    assert handle, "PDFium refused the test font"
    obj = raw.FPDFPageObj_CreateTextObj(doc.raw, handle, 14.0)
    wide = ctypes.create_string_buffer((text + "\0").encode("utf-16-le"))
    assert raw.FPDFText_SetText(obj, ctypes.cast(wide, ctypes.POINTER(raw.FPDF_WCHAR)))
    raw.FPDFPageObj_Transform(obj, 1, 0, 0, 1, 60, 700)
    raw.FPDFPage_InsertObject(page.raw, obj)
    page.gen_content()
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


@contextmanager
def first_font(pdf: bytes) -> Iterator[tuple[Any, str]]:
    """The font of the page's first text object and the page's text layer, while the document is open."""
    import pypdfium2 as pdfium
    import pypdfium2.raw as raw

    doc = pdfium.PdfDocument(pdf)
    page = doc[0]
    obj = raw.FPDFPage_GetObject(page.raw, 0)
    assert raw.FPDFPageObj_GetType(obj) == raw.FPDF_PAGEOBJ_TEXT
    text = page.get_textpage().get_text_range()
    yield raw.FPDFTextObj_GetFont(obj), text
    page.close()
    doc.close()


def proved(trusted: fontproof.TrustedFonts, pdf: bytes, chars: str) -> dict[str, bool]:
    with first_font(pdf) as (font, _text):
        draft = trusted.draft(font)
        return {c: draft.proves(c) for c in chars}


# ------------------------------------------------------------------------------------------------------ tests
def test_an_honest_copy_of_an_installed_font_proves_its_characters(trusted: fontproof.TrustedFonts,
                                                                   noto_subset: bytes) -> None:
    assert proved(trusted, embedded_pdf(noto_subset, CHARS), CHARS) == dict.fromkeys(CHARS, True)


@pytest.mark.parametrize(("claimed", "drawn"), [("公", "密"), ("未", "末"), ("土", "士")])
def test_a_glyph_of_another_character_under_the_claimed_code_does_not_prove(
        trusted: fontproof.TrustedFonts, noto_subset: bytes, claimed: str, drawn: str) -> None:
    pdf = embedded_pdf(swapped(noto_subset, [(claimed, drawn)]), claimed + "国")
    with first_font(pdf) as (_font, text):
        assert text == claimed + "国", "the text layer claims the character whose code draws the other one"
    result = proved(trusted, pdf, claimed + drawn + "国")
    assert result == {claimed: False, drawn: False, "国": True}, result


def test_a_glyph_moved_beyond_the_tolerance_does_not_prove(trusted: fontproof.TrustedFonts,
                                                           noto_subset: bytes) -> None:
    # 5/1000 em (2.5 × TOLERANCE; 0.15 px at 14 pt, 150 dpi): a font that is not the installed one, however close
    assert proved(trusted, embedded_pdf(moved(noto_subset, "公", 5), "公国"), "公国") == {"公": False, "国": True}
    # within the tolerance (1/1000 em: a re-encoded copy rounds) the same glyph still proves
    assert proved(trusted, embedded_pdf(moved(noto_subset, "公", 1), "公国"), "公国") == {"公": True, "国": True}


def test_a_font_named_like_an_installed_one_is_compared_not_believed(trusted: fontproof.TrustedFonts,
                                                                     noto_subset: bytes) -> None:
    liar = renamed(swapped(noto_subset, [("公", "密")]), "NotoSansCJKjp-Regular")
    pdf = embedded_pdf(liar, "公家")
    with first_font(pdf) as (font, _text):
        buf = ctypes.create_string_buffer(256)
        import pypdfium2.raw as raw

        raw.FPDFFont_GetBaseFontName(font, buf, 256)
        assert buf.value.decode().endswith("NotoSansCJKjp-Regular")
        draft = trusted.draft(font)
        assert draft.candidates[0].psname == "NotoSansCJKjp-Regular", "the name chose the face to compare with"
        assert not draft.proves("公")
        assert draft.proves("家")


def test_a_non_embedded_font_whose_tounicode_lies_does_not_prove(trusted: fontproof.TrustedFonts) -> None:
    # STSong-Light, not embedded: PDFium draws an installed face (weight 400 so that it is not emboldened)
    regular = {b"/StemV 93": b"/StemV 80"}
    honest = m.text_pdf(["密国家"]).replace(*next(iter(regular.items())))
    lying = m.text_pdf(["密国家"], lies={"密": "公"}).replace(*next(iter(regular.items())))
    with first_font(lying) as (_font, text):
        assert text.startswith("公")
    assert proved(trusted, honest, "密国") == {"密": True, "国": True}
    assert proved(trusted, lying, "公国") == {"公": False, "国": True}


def _set_text_pixels(doc: Any, font: Any, ch: str) -> Any:
    """`ch` drawn with `font` through FPDFText_SetText on a new page of `doc` (the way a pixel proof re-draws)."""
    import numpy as np
    import pypdfium2.raw as raw

    page = doc.new_page(120, 80)
    obj = raw.FPDFPageObj_CreateTextObj(doc.raw, font, 40.0)
    wide = ctypes.create_string_buffer((ch + "\0").encode("utf-16-le"))
    raw.FPDFText_SetText(obj, ctypes.cast(wide, ctypes.POINTER(raw.FPDF_WCHAR)))
    raw.FPDFPageObj_Transform(obj, 1, 0, 0, 1, 20, 25)
    raw.FPDFPage_InsertObject(page.raw, obj)
    page.gen_content()
    return np.asarray(page.render(scale=1).to_pil().convert("L"), dtype=np.int32)


@pytest.mark.parametrize("text", ["公密", "密公"])
def test_the_glyph_judged_is_the_glyph_set_text_draws(trusted: fontproof.TrustedFonts, text: str) -> None:
    """Two codes claim 公 (ToUnicode): one draws 公, the other 密. proves(font, 公) judges the glyph PDFium's
    FPDFText_SetText(公) draws with that font — the one a pixel proof re-draws — whichever code PDFium picks."""
    import pypdfium2 as pdfium

    regular = (b"/StemV 93", b"/StemV 80")
    honest = pdfium.PdfDocument(m.text_pdf(["公密"]).replace(*regular))
    lying = pdfium.PdfDocument(m.text_pdf([text], lies={"密": "公"}).replace(*regular))
    import pypdfium2.raw as raw

    honest_page, lying_page = honest[0], lying[0]
    assert lying_page.get_textpage().get_text_range() == "公公"
    honest_font = raw.FPDFTextObj_GetFont(raw.FPDFPage_GetObject(honest_page.raw, 0))
    lying_font = raw.FPDFTextObj_GetFont(raw.FPDFPage_GetObject(lying_page.raw, 0))
    drawn = _set_text_pixels(lying, lying_font, "公")
    draws_gong = bool((drawn == _set_text_pixels(honest, honest_font, "公")).all())
    draws_mi = bool((drawn == _set_text_pixels(honest, honest_font, "密")).all())
    assert draws_gong != draws_mi
    assert trusted.draft(lying_font).proves("公") == draws_gong


def test_a_hinted_truetype_program_proves_nothing_its_unhinted_copy_does() -> None:
    """PDFium draws an SFNT font hinted: a TrueType program could move points at the size drawn while the outline
    compared here is unhinted. The same font without instructions proves."""
    trusted = fontproof.TrustedFonts()
    if DEJAVU is None:
        pytest.skip("DejaVu Sans 未安装")
    from fontTools.ttLib.tables import ttProgram

    with open(DEJAVU.path, "rb") as fh:
        hinted = fh.read()

    def strip(font: Any) -> None:
        for tag in ("fpgm", "prep", "cvt "):
            if tag in font:
                del font[tag]
        glyf = font["glyf"]
        for name in font.getGlyphOrder():
            glyph = glyf[name]
            if hasattr(glyph, "program"):
                glyph.program = ttProgram.Program()
                glyph.program.fromBytecode(b"")

    def one_program(font: Any) -> None:  # no fpgm/prep, but the glyph of A has its own instructions
        strip(font)
        glyph = font["glyf"][font.getBestCmap()[ord("A")]]
        glyph.program = ttProgram.Program()
        glyph.program.fromBytecode(bytes([0xB0, 0x00, 0x21]))  # PUSHB[0] 0, POP

    assert proved(trusted, embedded_pdf(hinted, "Ag"), "Ag") == {"A": False, "g": False}
    assert proved(trusted, embedded_pdf(_edit(hinted, strip), "Ag"), "Ag") == {"A": True, "g": True}
    def composite_program(font: Any) -> None:  # the same on a composite glyph (Â: A and a circumflex)
        strip(font)
        glyph = font["glyf"][font.getBestCmap()[ord("Â")]]
        assert glyph.isComposite()
        glyph.program = ttProgram.Program()
        glyph.program.fromBytecode(bytes([0xB0, 0x00, 0x21]))

    assert proved(trusted, embedded_pdf(_edit(hinted, one_program), "Ag"), "Ag") == {"A": False, "g": False}
    assert proved(trusted, embedded_pdf(_edit(hinted, strip), "ÂA"), "ÂA") == {"Â": True, "A": True}
    assert proved(trusted, embedded_pdf(_edit(hinted, composite_program), "ÂA"), "ÂA") == {"Â": False, "A": False}


def test_tall_cff_blue_zones_prove_nothing(trusted: fontproof.TrustedFonts, noto_subset: bytes) -> None:
    assert proved(trusted, embedded_pdf(tall_blues(noto_subset), "国家"), "国家") == {"国": False, "家": False}


def _pdf(objects: list[bytes]) -> bytes:
    return m.pdf_file(objects, 1, header=b"%PDF-1.7\n")


def _stream(data: bytes) -> bytes:
    return f"<< /Length {len(data)} >>\nstream\n".encode() + data + b"\nendstream"


def test_type3_fonts_missing_glyphs_and_bad_input_answer_false(trusted: fontproof.TrustedFonts,
                                                               noto_subset: bytes) -> None:
    # a Type 3 font whose one glyph (a filled square) the ToUnicode map calls 公
    cmap = (b"/CIDInit /ProcSet findresource begin 12 dict begin begincmap /CMapName /X def "
            b"1 begincodespacerange <00> <FF> endcodespacerange 1 beginbfchar <61> <516C> endbfchar "
            b"endcmap CMapName currentdict /CMap defineresource pop end end")
    type3 = _pdf([
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>",
        _stream(b"BT /F1 12 Tf 20 100 Td (a) Tj ET"),
        b"<< /Type /Font /Subtype /Type3 /FontBBox [0 0 1000 1000] /FontMatrix [0.001 0 0 0.001 0 0] "
        b"/CharProcs << /a 6 0 R >> /Encoding << /Type /Encoding /Differences [97 /a] >> /FirstChar 97 "
        b"/LastChar 97 /Widths [1000] /ToUnicode 7 0 R /Resources << >> >>",
        _stream(b"1000 0 0 0 1000 1000 d1 100 100 800 800 re f"),
        _stream(cmap),
    ])
    with first_font(type3) as (font, text):
        assert text == "公"
        assert trusted.proves(font, "公") is False
    with first_font(embedded_pdf(noto_subset, "国")) as (font, _text):
        assert trusted.proves(font, "国") is True
        assert trusted.proves(font, "院") is False  # not in the font
        assert trusted.proves(font, "") is False
        assert trusted.proves(font, "国家") is False
    assert trusted.proves(None, "国") is False


def test_any_failure_inside_is_false_and_logged(trusted: fontproof.TrustedFonts, noto_subset: bytes,
                                                monkeypatch: pytest.MonkeyPatch,
                                                caplog: pytest.LogCaptureFixture) -> None:
    def broken(font: Any, ch: str) -> None:
        raise OSError("pdfium")

    with first_font(embedded_pdf(noto_subset, "国")) as (font, _text):
        assert trusted.proves(font, "国") is True
        monkeypatch.setattr(fontproof, "outline", broken)
        with caplog.at_level(logging.WARNING, logger="reviewer.render.fontproof"):
            assert trusted.proves(font, "国") is False
        assert "字体轮廓证明：字形轮廓比对失败（OSError）" in caplog.text


def test_an_installed_face_that_cannot_be_loaded_is_no_reference(noto_subset: bytes, tmp_path: Any) -> None:
    broken = tmp_path / "broken.otf"
    broken.write_bytes(b"OTTO" + b"\0" * 64)
    assert SC is not None
    trusted = fontproof.TrustedFonts([fontproof.Face(str(broken), 0, SC.psname, ())])
    with first_font(embedded_pdf(noto_subset, "国")) as (font, _text):
        assert trusted.proves(font, "国") is False


def test_a_draft_cannot_make_a_worker_load_every_installed_font(trusted: fontproof.TrustedFonts,
                                                                noto_subset: bytes) -> None:
    # a name that is a prefix of every Noto face, and a glyph (密 under 公) that no face has for its character: every
    # candidate is tried
    many = renamed(swapped(noto_subset, [("公", "密")]), "Noto")
    assert sum(f.psname.startswith("Noto") for f in FACES) > fontproof.MAX_FACES_PER_FONT
    with first_font(embedded_pdf(many, "公")) as (font, _text):
        draft = trusted.draft(font)
        assert 0 < len(draft.candidates) <= fontproof.MAX_FACES_PER_FONT
        before = trusted.loads
        assert not draft.proves("公")
        assert trusted.loads - before <= fontproof.MAX_FACES_PER_FONT
        # a face stays loaded: asking again (a new draft of the same font, no cached answer) loads nothing
        after = trusted.loads
        assert not trusted.draft(font).proves("公")
        assert trusted.loads == after


def test_the_fonts_of_one_document_share_one_load_budget(noto_subset: bytes) -> None:
    trusted = fontproof.TrustedFonts()
    session = trusted.session(loads=1)
    with first_font(embedded_pdf(noto_subset, "国")) as (honest, _t1), \
            first_font(embedded_pdf(renamed(swapped(noto_subset, [("公", "密")]), "NotoSansCJKjp-Regular"),
                                    "公家")) as (other, _t2):
        assert session.proves(honest, "国")  # loads NotoSansCJKsc-Regular: the budget is spent
        assert trusted.loads == 1
        assert not session.proves(other, "公")  # would try NotoSansCJKjp-Regular and its siblings: none is loaded
        assert trusted.loads == 1
        assert trusted.session(loads=1).proves(other, "家")  # the next document has its own budget
        assert trusted.loads == 2


def test_a_face_closed_to_make_room_is_loaded_again(noto_subset: bytes, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(fontproof, "MAX_LOADED_FACES", 1)
    trusted = fontproof.TrustedFonts()
    with first_font(embedded_pdf(noto_subset, "国")) as (sc, _t1), \
            first_font(embedded_pdf(renamed(noto_subset, "NotoSansCJKjp-Regular"), "国")) as (jp, _t2):
        assert trusted.draft(sc).proves("国")
        assert trusted.draft(jp).proves("国")  # 国 is the same in both: NotoSansCJKjp-Regular replaces the other
        assert [f.psname for f in trusted.loaded()] == ["NotoSansCJKjp-Regular"]
        assert trusted.draft(sc).proves("国") and trusted.loads == 3


def test_names_select_the_face_and_its_regional_siblings() -> None:
    assert fontproof.draft_names("ABCDEF+NotoSansCJKjp-Regular-VKana", "Noto Sans CJK JP") == [
        "notosanscjkjpregular", "notosanscjkjp"]
    assert fontproof.draft_names("SimSun,Bold", "") == ["simsun"]


@pytest.mark.slow
def test_libreoffice_printing_keeps_the_cjk_outlines_provable(trusted: fontproof.TrustedFonts) -> None:
    """LibreOffice embeds Noto CJK as Type 1 (converted from CFF): the outlines survive the conversion."""
    import docx
    from docx.shared import Pt

    from reviewer.render.convert import office_to_pdf

    text = "关于进一步加强政府信息公开工作的通知各区人民政府市政府各委办局为深入贯彻落实条例要求现将有关事项通知如下"
    d = docx.Document()
    d.styles["Normal"].font.size = Pt(14)
    d.add_paragraph(text)
    buf = io.BytesIO()
    d.save(buf)
    pdf = office_to_pdf(buf.getvalue(), ".docx", 120)

    import pypdfium2 as pdfium
    import pypdfium2.raw as raw

    doc = pdfium.PdfDocument(pdf)
    page = doc[0]
    textpage = page.get_textpage()
    results: dict[str, bool] = {}
    drafts: dict[int | None, fontproof.DraftFont] = {}
    for i in range(raw.FPDFText_CountChars(textpage.raw)):
        ch = chr(raw.FPDFText_GetUnicode(textpage.raw, i))
        if not "\u4e00" <= ch <= "\u9fff":
            continue
        font = raw.FPDFTextObj_GetFont(raw.FPDFText_GetTextObject(textpage.raw, i))
        key = ctypes.cast(font, ctypes.c_void_p).value
        draft = drafts.get(key) or drafts.setdefault(key, trusted.draft(font))
        results[ch] = draft.proves(ch)
    assert len(results) >= 30
    assert sum(results.values()) >= 0.9 * len(results), [c for c, ok in results.items() if not ok]


# ---------------------------------------------------------------------------------- outlines read as one array
def _outlines(trusted: fontproof.TrustedFonts, pdf: bytes, chars: str) -> dict[str, Any]:
    with first_font(pdf) as (font, _text):
        return {c: fontproof.outline(font, c) for c in chars}


@pytest.fixture
def fast(monkeypatch: pytest.MonkeyPatch) -> Any:
    """A fresh fast-read state (as at the start of a process), restored afterwards."""
    state = fontproof._Fast()
    monkeypatch.setattr(fontproof, "_FAST", state)
    return state


def test_outlines_read_whole_are_the_outlines_read_call_by_call(trusted: fontproof.TrustedFonts, noto_subset: bytes,
                                                                fast: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    pdf = embedded_pdf(swapped(noto_subset, [("公", "密")]), CHARS)
    monkeypatch.setattr(fast, "checks", fontproof.FAST_CHECKS)  # past the process's first outlines: the fast read alone
    got = _outlines(trusted, pdf, CHARS)
    assert fast.on
    monkeypatch.setattr(fast, "on", False)
    slow = _outlines(trusted, pdf, CHARS)
    assert all(got[c] is not None for c in CHARS)
    assert all(fontproof.same(got[c], slow[c], 0.0) for c in CHARS)  # type: ignore[arg-type]


def _corrupt(monkeypatch: pytest.MonkeyPatch, record: Any) -> None:
    """The array read whole comes back with one record's x moved by 0.25 em (`record(n)`: which of n records)."""
    import numpy as np

    real = fontproof._memory

    def memory(address: int, size: int) -> bytes:
        raw = np.frombuffer(real(address, size), dtype=np.uint8).reshape(-1, fontproof.POINT_SIZE).copy()
        xy = raw[:, :8].view("<f4")
        xy[record(len(raw)), 0] += 0.25
        return raw.tobytes()

    monkeypatch.setattr(fontproof, "_memory", memory)


def test_an_array_that_disagrees_with_pdfiums_calls_is_not_used(trusted: fontproof.TrustedFonts, noto_subset: bytes,
                                                                fast: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """A record read whole that differs from what PDFium's own calls give for it (a layout other than the one
    assumed) is never used: the outline is read call by call, the swapped font still proves nothing it should not."""
    pdf = embedded_pdf(swapped(noto_subset, [("公", "密")]), CHARS)
    monkeypatch.setattr(fast, "checks", fontproof.FAST_CHECKS)
    monkeypatch.setattr(fast, "on", False)
    slow = _outlines(trusted, pdf, CHARS)
    monkeypatch.setattr(fast, "on", True)
    _corrupt(monkeypatch, lambda n: n // 2)  # a record PDFium's calls are asked about
    got = _outlines(trusted, pdf, CHARS)
    assert all(fontproof.same(got[c], slow[c], 0.0) for c in CHARS), "a corrupted array was used"  # type: ignore[arg-type]
    result = proved(trusted, pdf, CHARS)
    assert result == {c: c not in "公密" for c in CHARS}, result


def test_the_first_outlines_of_a_process_are_read_both_ways(trusted: fontproof.TrustedFonts, noto_subset: bytes,
                                                            fast: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """A difference in a record the spot checks do not ask about is caught by the process's first outlines, read
    both ways (FAST_CHECKS): the fast read is then off for the process and the outline is the one read call by
    call."""
    pdf = embedded_pdf(noto_subset, CHARS)
    monkeypatch.setattr(fast, "on", False)
    slow = _outlines(trusted, pdf, CHARS)
    monkeypatch.setattr(fast, "on", True)
    _corrupt(monkeypatch, lambda n: 1 if n > 3 else 0)
    got = _outlines(trusted, pdf, CHARS[:1])
    assert not fast.on
    assert fontproof.same(got[CHARS[0]], slow[CHARS[0]], 0.0)  # type: ignore[arg-type]
