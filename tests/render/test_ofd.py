"""The render check of OFD (render/ofd.py, ofdprint.py): pages drawn as a reader draws them with the package's own
fonts, printed by Chromium, checked as a PDF (PDFium, glyph verification, OCR). A clean OFD passes; a marking drawn
as curves or as a picture is read by OCR; text a reader does not see is a finding; a lying embedded font is read as
the reader sees it; what the drawer cannot draw fails closed. Real engines; OFD packages built in code."""

from __future__ import annotations

from pathlib import Path

import pytest

from reviewer.document import scan_document
from reviewer.render import scan_rendered
from reviewer.render.convert import RenderError
from reviewer.render.ofd import draw
from reviewer.scan.model import Verdict
from reviewer.scan.scanner import Scanner
from tests.extract.helpers import zip_of
from tests.extract.ofdbuild import NS
from tests.render import ofdmake as o

HIDDEN = "年度工作总结"
CORPUS = Path(__file__).resolve().parents[3] / "shared" / "corpus" / "public-gov"
PUBLIC = sorted(CORPUS.glob("*.txt"))[::25] if CORPUS.is_dir() else []  # every 25th: reports, laws, news  # no rule knows it: only the render check can say the reader does not see it


def _clean(size: float = 6) -> list[str]:
    return [o.text(o.CLEAN[0], size=size), o.text(o.CLEAN[1], y=50, size=5)]


def _render_findings(result: object) -> list[tuple[str, str]]:
    return [(f.rule, f.location) for f in result.findings]  # type: ignore[attr-defined]


def test_a_clean_ofd_with_template_annotation_and_system_font_passes(scanner: Scanner) -> None:
    # page 1: the package's font, a template page behind, a stamp annotation with its appearance, a rule line
    # page 2: a font the package declares but does not embed (drawn by the system's font, still verified)
    template = o.content(o.text("某某市人民政府文件", x=40, y=12, size=7))
    doc = o.document([[*_clean(), o.path("M 20 60 L 190 60 L 190 60.6 L 20 60.6 C")],
                      [o.text(o.CLEAN[1], y=40, size=5, font_id="4")]],
                     fonts={"3": o.font(), "4": None}, template=template, annotation="年度工作总结")
    result, report = scan_rendered(scanner, doc, "通知.ofd")
    assert report.error is None and result.error is None, (report.error, result.error)
    assert result.verdict is Verdict.PASS, _render_findings(result)
    assert [p.number for p in report.pages] == [1, 2]
    shown = [ln.text.replace("\x1f", "").replace(" ", "") for ln in report.pages[0].lines]
    assert "某某市人民政府文件" in "".join(shown) and HIDDEN in "".join(shown)  # the template and the stamp are drawn
    assert "逐字形与图像核对" in report.pages[0].ocr  # the package's fonts are never trusted


def test_a_marking_drawn_as_curves_or_in_a_picture_is_read_by_ocr(scanner: Scanner) -> None:
    doc = o.document([[*_clean(), o.path(o.outlines("机密★5年", 20, 80, 8)), o.image("40", 110, 70, 70, 12)]],
                     images={"40": o.png(["北辰三号"], width=420, height=80)})
    result, report = scan_rendered(scanner, doc, "通知.ofd")
    assert report.error is None
    found = _render_findings(result)
    assert ("classification-marking", "第1页（图像识别）") in found, found
    assert ("render-test-codes", "第1页（图像识别）") in found, found
    assert result.verdict is Verdict.BLOCK


def test_text_a_reader_does_not_see_is_a_finding_on_its_page(scanner: Scanner) -> None:
    hidden_pages = [
        o.text(HIDDEN, y=80, attrs='Visible="false"'),  # 1: not visible
        o.text(HIDDEN, y=80, fill="255 255 255"),  # 2: white on the white page
        o.text(HIDDEN, x=230, y=80),  # 3: beyond the page's right edge (210 mm)
        o.text(HIDDEN, y=80) + o.image("41", 15, 75, 60, 16),  # 4: covered by an opaque picture
        o.text(HIDDEN, y=80, attrs='Alpha="0"'),  # 5: fully transparent
        o.text(HIDDEN, boundary="20 80 10 12").replace('X="0" Y=', 'X="40" Y='),  # 6: far outside its Boundary
        o.text(HIDDEN, y=80, size=0.3),  # 7: too small to read
        o.text(HIDDEN, y=80) + ('<ofd:PathObject ID="21" Boundary="15 75 60 16" Fill="true" Stroke="false">'  # 8: under
                                '<ofd:FillColor Value="255 255 255"/><ofd:AbbreviatedData>M 0 0 L 60 0 L 60 16 L 0 16 C'
                                "</ofd:AbbreviatedData></ofd:PathObject>"),  # a white rectangle
    ]
    pages = [[*_clean(), extra] for extra in hidden_pages] + [[*_clean(), o.text(HIDDEN, y=80)]]  # 9: shown
    result, report = scan_rendered(scanner, o.document(pages, images={"41": o.blank_png()}), "通知.ofd")
    assert report.error is None, report.error
    flagged = {f.page for f in result.findings if f.rule == "render.mismatch"}
    assert flagged == set(range(1, 9)), _render_findings(result)  # every hidden one, and not the page that shows it
    assert result.verdict is Verdict.REVIEW


def test_why_text_is_not_shown_is_said_per_page_without_rendering() -> None:
    clip = ('<ofd:Clips><ofd:Clip><ofd:Area><ofd:Path Boundary="100 0 10 10"><ofd:AbbreviatedData>M 0 0 L 10 0 L 10 10 '
            "L 0 10 C</ofd:AbbreviatedData></ofd:Path></ofd:Area></ofd:Clip></ofd:Clips>")
    annotation = (f'<ofd:PageAnnot {NS}><ofd:Annot ID="50" Type="Stamp" Visible="false"><ofd:Appearance Boundary="20 200 80 40">'
                  f'{o.text("北辰三号", x=2, y=2)}</ofd:Appearance></ofd:Annot>'
                  f'<ofd:Annot ID="51" Type="Stamp" NoView="true"><ofd:Appearance Boundary="20 240 80 40">'
                  f'{o.text("天枢工程", x=2, y=2)}</ofd:Appearance></ofd:Annot>'
                  "</ofd:PageAnnot>")
    doc = o.document([[o.text(o.CLEAN[0]), o.text("既不填充", y=60, attrs='Fill="false"'),
                       o.text("裁剪之外", y=80).replace("<ofd:TextCode", clip + "<ofd:TextCode", 1),
                       o.text("页面上方", y=-30), o.text(HIDDEN, y=90, fill='0 0 0" Alpha="0')]],  # a transparent fill colour
                     annotation="占位", extra={"Doc_0/Annots/Page_0/Annotation.xml": annotation})
    hidden = {h.text: h.reason for h in draw(doc, 10).hidden}
    assert set(hidden) == {"既不填充", "裁剪之外", "页面上方", HIDDEN, "北辰三号", "天枢工程"}, hidden
    assert "没有可见的填充或描边" in hidden["既不填充"] and "裁剪区" in hidden["裁剪之外"] and "页面范围之外" in hidden["页面上方"]
    assert "Visible" in hidden["北辰三号"] and "NoView" in hidden["天枢工程"] and "透明" in hidden[HIDDEN]
    assert o.CLEAN[0] not in hidden


def test_producers_sloppy_boundaries_and_point_sizes_are_drawn_not_hidden() -> None:
    # as e-invoices are written: a zero-height Boundary, a Boundary smaller than the glyph, Size in points under a CTM
    # of 0.3528 (1 pt in mm); and text in points so small that the CTM makes it 0.35 mm
    zero = ('<ofd:TextObject ID="112" CTM="0.3528 0 0 0.3528 0 0" Boundary="25.4 242.8 0.84 0" Font="3" Size="10">'
            '<ofd:TextCode X="0" Y="8">发票</ofd:TextCode></ofd:TextObject>')
    tight = ('<ofd:TextObject ID="121" CTM="0.3527 0 0 0.3527 -114.807533 111.352325" Boundary="114.807533 185.229584 '
             '4.083549 4.733795" Font="3" Size="14.749"><ofd:TextCode X="324.419" Y="-303.723">局</ofd:TextCode>'
             "</ofd:TextObject>")
    tiny = ('<ofd:TextObject ID="122" CTM="0.3528 0 0 0.3528 0 0" Boundary="20 20 30 5" Font="3" Size="1">'
            f"<ofd:TextCode X=\"0\" Y=\"1\">{HIDDEN}</ofd:TextCode></ofd:TextObject>")
    hexa = o.text("防汛", y=120, fill="#00 #00 #80")  # colour components in hexadecimal
    drawing = draw(o.document([[zero, tight, tiny, hexa]]), 5)
    assert [(h.text, "字号过小" in h.reason) for h in drawing.hidden] == [(HIDDEN, True)]
    assert ">发票</text>" in drawing.pages[0].svg and ">局</text>" in drawing.pages[0].svg
    assert 'fill="rgba(0,0,128,1.000)"' in drawing.pages[0].svg


def test_glyph_index_positions_count_in_the_object_or_in_the_following_code() -> None:
    from xml.etree.ElementTree import fromstring

    from reviewer.render.ofdglyphs import glyph_map

    def obj(body: str) -> object:
        return fromstring(f'<ofd:TextObject {NS}>{body}</ofd:TextObject>')

    cg = '<ofd:CGTransform CodePosition="{}" CodeCount="1" GlyphCount="1"><ofd:Glyphs>{}</ofd:Glyphs></ofd:CGTransform>'
    # after the codes: positions in the whole object (甲乙 then 丙: position 2 is 丙)
    whole = obj('<ofd:TextCode X="0" Y="5">甲乙</ofd:TextCode><ofd:TextCode Y="9">丙</ofd:TextCode>' + cg.format(2, 7))
    assert glyph_map(whole, "甲乙丙") == {"丙": 7}  # type: ignore[arg-type]
    # between the codes: each in the code that follows it (position 0 twice: 甲, then 丙)
    each = obj(cg.format(0, 5) + '<ofd:TextCode X="0" Y="5">甲乙</ofd:TextCode>' + cg.format(0, 8)
               + '<ofd:TextCode Y="9">丙</ofd:TextCode>')
    assert glyph_map(each, "甲乙丙") == {"甲": 5, "丙": 8}  # type: ignore[arg-type]


def test_a_lying_embedded_font_is_read_as_the_reader_sees_it(scanner: Scanner) -> None:
    # the text says 普通项目 and 公开★5年; the package's font draws 北辰三号 and 机密★5年 for those codes
    lying = o.font((("普通项目", "北辰三号"), ("公开", "机密")))
    doc = o.document([[o.text("公开★5年", y=15, size=8), *_clean(), o.text("普通项目", y=80)]], fonts={"3": lying})
    result, report = scan_rendered(scanner, doc, "通知.ofd")
    assert report.error is None
    found = _render_findings(result)
    assert ("render-test-codes", "第1页（图像识别）") in found, found
    assert ("classification-marking", "第1页（图像识别）") in found, found  # a two-character lie, below MIN_RUN
    assert result.verdict is Verdict.BLOCK  # the honest font's counterpart: `ofd-honest-font` in test_cases.py (slow)


def test_glyph_index_text_is_drawn_with_the_glyphs_it_names(scanner: Scanner) -> None:
    # CGTransform: the text says 普通项目, the glyph indices are those of 北辰三号 (the font's cmap is not used);
    # the same characters drawn honestly by index on the line above share the font: a second derived copy
    doc = o.document([[*_clean(), o.glyph_text("普通项目", "普通项目", y=65), o.glyph_text("普通项目", "北辰三号")]])
    result, report = scan_rendered(scanner, doc, "通知.ofd")
    assert report.error is None, report.error
    found = _render_findings(result)
    assert ("render-test-codes", "第1页（图像识别）") in found and ("render.mismatch", "第1页（图像识别）") in found, found
    # the honest counterpart: `ofd-honest-glyph-index` in test_cases.py (slow)


@pytest.mark.slow  # the other direction: the text claims what the reader does not see (Chromium + OCR, ~6 s)
def test_a_font_drawing_harmless_words_for_claimed_ones_is_a_mismatch(scanner: Scanner) -> None:
    lying = o.font((("北辰三号", "普通项目"),))
    result, report = scan_rendered(scanner, o.document([[*_clean(), o.text("北辰三号", y=80)]], fonts={"3": lying}),
                                   "通知.ofd")
    assert report.error is None
    assert ("render.mismatch", "第1页（图像识别）") in _render_findings(result)
    assert result.verdict is Verdict.BLOCK  # the claimed code is scanned in the extracted text as well


def test_an_electronic_seal_is_drawn_from_its_signed_value_and_read(scanner: Scanner) -> None:
    # the seal's picture lives only in the signature's DER value: the text extraction never sees it
    stamp = o.png(["北辰三号", "专用章"], width=300, height=220, size=44)
    doc = o.document([_clean()], extra=o.seal_files(stamp, boundary="110 70 50 36"))
    result, report = scan_rendered(scanner, doc, "通知.ofd")
    assert report.error is None, report.error
    assert ("render-test-codes", "第1页（图像识别）") in _render_findings(result), _render_findings(result)
    assert result.verdict is Verdict.BLOCK


def _ofd_xml(extra_body: str = "", extra_root: str = "") -> str:
    return (f'<?xml version="1.0" encoding="UTF-8"?><ofd:OFD {NS} Version="1.0" DocType="OFD">{extra_root}<ofd:DocBody>'
            f"<ofd:DocInfo><ofd:DocID>a1</ofd:DocID></ofd:DocInfo><ofd:DocRoot>Doc_0/Document.xml</ofd:DocRoot>"
            f"{extra_body}</ofd:DocBody></ofd:OFD>")


_SEAL = {
    "OFD.xml": _ofd_xml("<ofd:Signatures>Doc_0/Signs/Signatures.xml</ofd:Signatures>"),
    "Doc_0/Signs/Signatures.xml": f'<ofd:Signatures {NS}><ofd:Signature ID="1" BaseLoc="Sign_0/Signature.xml"/></ofd:Signatures>',
    "Doc_0/Signs/Sign_0/Signature.xml": (f'<ofd:Signature {NS}><ofd:SignedInfo><ofd:StampAnnot ID="1" PageRef="10" '
                                         'Boundary="100 100 40 40"/></ofd:SignedInfo>'
                                         "<ofd:SignedValue>SignedValue.dat</ofd:SignedValue></ofd:Signature>"),
    "Doc_0/Signs/Sign_0/SignedValue.dat": bytes.fromhex("3006040401020304"),  # DER without any picture
}

UNSUPPORTED = {
    "composite": ([[o.text(o.CLEAN[0]), '<ofd:CompositeObject ID="7" Boundary="0 0 10 10" ResourceID="8"/>']], {}, "复合图元"),
    "glyph-index-ligature": ([[o.text(o.CLEAN[0]).replace("<ofd:TextCode", '<ofd:CGTransform CodePosition="0" CodeCount="2" '
                                                          'GlyphCount="1"><ofd:Glyphs>5</ofd:Glyphs></ofd:CGTransform>'
                                                          "<ofd:TextCode")]], {}, "CGTransform"),
    "glyph-index-system-font": ([[o.glyph_text("普通项目", "普通项目")]], {"fonts": {"3": None}}, "CGTransform"),
    "glyph-index-missing-glyph": ([[o.text(o.CLEAN[0]).replace("<ofd:TextCode", '<ofd:CGTransform CodePosition="0" '
                                                               'CodeCount="1" GlyphCount="1"><ofd:Glyphs>99999</ofd:Glyphs>'
                                                               "</ofd:CGTransform><ofd:TextCode")]], {}, "字形"),
    "unknown-object": ([[o.text(o.CLEAN[0]), '<ofd:VideoObject ID="7" Boundary="0 0 10 10"/>']], {}, "页面对象"),
    "vertical": ([[o.text(o.CLEAN[0], attrs='ReadDirection="90"')]], {}, "文字方向"),
    "shading": ([[o.text(o.CLEAN[0]).replace("<ofd:TextCode", '<ofd:FillColor><ofd:AxialShd StartPoint="0 0" EndPoint="1 1">'
                                             '</ofd:AxialShd></ofd:FillColor><ofd:TextCode')]], {}, "渐变"),
    "missing-image": ([[o.image("99", 10, 10, 20, 20)]], {}, "图片资源"),
    "missing-font-file": ([[o.text(o.CLEAN[0])]], {"drop": "Doc_0/Res/font_3.otf"}, "资源文件"),
    "bad-font": ([[o.text(o.CLEAN[0])]], {"extra": {"Doc_0/Res/font_3.otf": b"not a font at all" * 20}}, "字体"),
    "encrypted": ([[o.text(o.CLEAN[0])]], {"extra": {"OFD.xml": _ofd_xml(extra_root="<ofd:Encryptions>Encs.xml</ofd:Encryptions>"),
                                                      "Encs.xml": f"<ofd:Encryptions {NS}/>"}}, "加密"),
    "seal": ([[o.text(o.CLEAN[0])]], {"extra": _SEAL}, "电子签章"),
    "nested-blocks": ([["<ofd:PageBlock>" * 70 + o.text(o.CLEAN[0]) + "</ofd:PageBlock>" * 70]], {}, "嵌套"),
}


def _unsupported(case: str) -> bytes:
    pages, opts, _why = UNSUPPORTED[case]
    doc = o.document(pages, extra=dict(opts.get("extra", {})), fonts=opts.get("fonts"))  # type: ignore[arg-type]
    if "drop" in opts:
        import io
        import zipfile

        with zipfile.ZipFile(io.BytesIO(doc)) as zf:
            doc = zip_of({n: zf.read(n) for n in zf.namelist() if n != opts["drop"]})
    return doc


@pytest.mark.parametrize("case", [c for c in UNSUPPORTED if c != "bad-font"])
def test_what_the_drawer_cannot_draw_fails_closed(case: str) -> None:
    with pytest.raises(RenderError) as err:
        draw(_unsupported(case), 50)
    assert UNSUPPORTED[case][2] in err.value.message and "不得视为通过" in err.value.message


def test_an_unsupported_ofd_is_an_error_alone_and_in_an_archive_and_a_font_chromium_refuses_too(scanner: Scanner) -> None:
    for case in ("composite", "seal", "bad-font"):
        result, report = scan_rendered(scanner, _unsupported(case), "通知.ofd")
        assert result.verdict is Verdict.ERROR and report.error and UNSUPPORTED[case][2] in report.error, report.error
    zipped, zreport = scan_rendered(scanner, zip_of({"通知.ofd": _unsupported("glyph-index-ligature")}), "附件.zip")
    assert zipped.verdict is Verdict.ERROR and zreport.error and "CGTransform" in zreport.error


@pytest.mark.slow  # about 20 s a document: public text as an OFD with its own subset font adds no finding
@pytest.mark.skipif(not PUBLIC, reason="公开文档语料 /work/shared/corpus/public-gov 不在本机")
@pytest.mark.parametrize("path", PUBLIC, ids=[p.stem for p in PUBLIC])
def test_a_public_document_as_an_ofd_adds_no_finding(path: Path) -> None:
    text = path.read_text(encoding="utf-8")[:1500]
    doc = o.document(o.layout(text), fonts={"3": o.subset_font(text)})
    builtin = Scanner.load()
    before = scan_document(builtin, doc, "公文.ofd")
    result, report = scan_rendered(builtin, doc, "公文.ofd")
    assert report.error is None and report.pages, report.error
    assert [(f.rule, f.match, f.location) for f in report.findings] == []
    assert result.verdict == before.verdict


@pytest.mark.slow  # 300 drawings, about 6 s of CPU (longer on a loaded machine)
def test_mutated_ofds_are_drawn_or_refused_in_chinese_never_crash() -> None:
    """Attribute values replaced by junk (NaN, infinities, huge counts, empty, letters, stray path commands): the
    drawer either draws or raises a Chinese ExtractionError/RenderError — no other exception reaches a user."""
    import io
    import random
    import re
    import zipfile

    from reviewer.errors import ExtractionError

    base = o.document([[*_clean(), o.path("M 20 60 L 190 60 L 190 60.6 L 20 60.6 C"), o.image("40", 20, 70, 30, 10),
                        o.glyph_text("普通项目", "普通项目", y=90)]], images={"40": o.png(["防汛"])},
                      template=o.content(o.text("某某", x=40, y=12, size=7)), annotation="年度")
    with zipfile.ZipFile(io.BytesIO(base)) as zf:
        files = {n: zf.read(n) for n in zf.namelist()}
    junk = ["nan", "inf", "-inf", "1e309", "-1", "", "a", "0", "g", "g 1e9 2", "g nan 1", "1 2", "#zz", "99999999",
            "0 0 0 0", "M", "B 1 2", "false", "1 0 0 1 nan 0"]
    rnd = random.Random(5)
    refused = 0
    for _ in range(300):
        name = rnd.choice([n for n in files if n.endswith(".xml")])
        text = files[name].decode()
        attrs = list(re.finditer(r'(\w+)="([^"]*)"', text))
        a = rnd.choice(attrs)
        mutated = dict(files)
        mutated[name] = (text[: a.start(2)] + rnd.choice(junk) + text[a.end(2) :]).encode()
        try:
            draw(zip_of(mutated), 10)
        except ExtractionError as exc:  # RenderError included
            assert re.search("[\u4e00-\u9fff]", exc.message), exc.message
            refused += 1
    assert 0 < refused < 300  # some mutations are harmless, some are refused
