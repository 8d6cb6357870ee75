"""PDFs that hide a classification marking in the places a text extractor may or may not read (issue 19: page text
through PDFium must read at least what pypdf read). Each case is one small PDF built here in code: an ordinary
notice line, and the marking SECRET drawn invisibly, white on white, off the page, under a clip, at a tiny size, in
nested forms, in a Type3 font, behind a lying or missing ToUnicode map, inside ActualText, in an annotation's
appearance, under an image, with Identity-H codes, or on one page of many.

Fonts: STSong-Light (not embedded) as a Type0 font. `UniGB-UCS2-H` codes are the UCS-2 of the character;
`Identity-H` codes are CIDs (Adobe-GB1); both get a ToUnicode map unless a case says otherwise."""

from __future__ import annotations

import zlib
from dataclasses import dataclass, field

SECRET = "机密★10年"  # a classification marking: the scan blocks it
COVER = "关于做好春季防汛工作的通知"
ID_NUMBER = "110101199003070011"  # passes the GB 11643 check: the scan blocks it
ID_LABEL = "身份证号："
BENIGN = "一般事项五年"  # what a lying map or an ActualText claims instead (as long as SECRET, no repeated character)


def hexs(text: str) -> str:
    return "<" + text.encode("utf-16-be").hex().upper() + ">"


def text_string(text: str) -> str:
    """A PDF text string (UTF-16BE with its byte order mark), as an ActualText value is written."""
    return "<FEFF" + text.encode("utf-16-be").hex().upper() + ">"


def _cmap(pairs: dict[int, str], size: int = 2) -> bytes:
    """A ToUnicode CMap of `size`-byte codes."""
    body = [f"{len(pairs)} beginbfchar"]
    body += [f"<{code:0{2 * size}X}> <{text.encode('utf-16-be').hex().upper()}>" for code, text in sorted(pairs.items())]
    body.append("endbfchar")
    return ("/CIDInit /ProcSet findresource begin 12 dict begin begincmap\n/CIDSystemInfo << /Registry (Adobe) "
            "/Ordering (UCS) /Supplement 0 >> def\n/CMapName /Adobe-Identity-UCS def /CMapType 2 def\n"
            f"1 begincodespacerange <{'00' * size}> <{'FF' * size}> endcodespacerange\n" + "\n".join(body)
            + "\nendcmap CMapName currentdict /CMap defineresource pop end end").encode()


@dataclass
class Doc:
    """Objects of a PDF under construction; `add` returns the new object's number."""

    objects: list[bytes] = field(default_factory=list)

    def add(self, body: bytes | str = b"") -> int:
        self.objects.append(body.encode() if isinstance(body, str) else body)
        return len(self.objects)

    def set(self, number: int, body: bytes | str) -> None:
        self.objects[number - 1] = body.encode() if isinstance(body, str) else body

    def stream(self, data: bytes | str, extra: str = "") -> int:
        raw = data.encode("latin-1") if isinstance(data, str) else data
        packed = zlib.compress(raw, 9)
        return self.add(f"<< /Length {len(packed)} /Filter /FlateDecode {extra} >>\nstream\n".encode() + packed
                        + b"\nendstream")

    def cjk_font(self, chars: str, lies: dict[str, str] | None = None, tounicode: bool = True) -> int:
        """STSong-Light with UniGB-UCS2-H: a code is the UCS-2 of the drawn character; ToUnicode says what `lies`
        claims instead (or the character itself)."""
        lies = lies or {}
        cid = self.add("<< /Type /Font /Subtype /CIDFontType0 /BaseFont /STSong-Light /CIDSystemInfo << /Registry "
                       "(Adobe) /Ordering (GB1) /Supplement 2 >> /FontDescriptor " + str(self._descriptor())
                       + " 0 R /DW 1000 >>")
        extra = ""
        if tounicode:
            tu = self.stream(_cmap({ord(c): lies.get(c, c) for c in set(chars) | set(lies)}))
            extra = f" /ToUnicode {tu} 0 R"
        return self.add(f"<< /Type /Font /Subtype /Type0 /BaseFont /STSong-Light /Encoding /UniGB-UCS2-H "
                        f"/DescendantFonts [{cid} 0 R]{extra} >>")

    def identity_font(self, cids: dict[str, int]) -> int:
        """STSong-Light with Identity-H: codes are Adobe-GB1 CIDs; the ToUnicode map names the characters."""
        cid = self.add("<< /Type /Font /Subtype /CIDFontType0 /BaseFont /STSong-Light /CIDSystemInfo << /Registry "
                       "(Adobe) /Ordering (GB1) /Supplement 2 >> /FontDescriptor " + str(self._descriptor())
                       + " 0 R /DW 1000 >>")
        tu = self.stream(_cmap({code: ch for ch, code in cids.items()}))
        return self.add(f"<< /Type /Font /Subtype /Type0 /BaseFont /STSong-Light /Encoding /Identity-H "
                        f"/DescendantFonts [{cid} 0 R] /ToUnicode {tu} 0 R >>")

    def _descriptor(self) -> int:
        return self.add("<< /Type /FontDescriptor /FontName /STSong-Light /Flags 6 /FontBBox [-25 -254 1000 880] "
                        "/ItalicAngle 0 /Ascent 880 /Descent -120 /CapHeight 880 /StemV 93 >>")

    def page(self, parent: int, content: str | bytes, resources: str, extra: str = "") -> int:
        c = self.stream(content)
        return self.add(f"<< /Type /Page /Parent {parent} 0 R /MediaBox [0 0 595 842] /Contents {c} 0 R "
                        f"/Resources << {resources} >>{extra} >>")

    def bytes(self, pages: list[int], parent: int, catalog_extra: str = "") -> bytes:
        self.set(parent, f"<< /Type /Pages /Kids [{' '.join(f'{p} 0 R' for p in pages)}] /Count {len(pages)} >>")
        root = self.add(f"<< /Type /Catalog /Pages {parent} 0 R{catalog_extra} >>")
        out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
        offsets = []
        for number, obj in enumerate(self.objects, 1):
            offsets.append(len(out))
            out += f"{number} 0 obj\n".encode() + obj + b"\nendobj\n"
        xref = len(out)
        out += f"xref\n0 {len(self.objects) + 1}\n0000000000 65535 f \n".encode()
        out += b"".join(f"{off:010d} 00000 n \n".encode() for off in offsets)
        out += (f"trailer\n<< /Size {len(self.objects) + 1} /Root {root} 0 R >>\nstartxref\n{xref}\n%%EOF\n").encode()
        return bytes(out)


def _cover(y: int = 780) -> str:
    return f"BT /F1 16 Tf 60 {y} Td {hexs(COVER)} Tj ET\n"


def one_page(hidden: str, *, chars: str = COVER + SECRET + BENIGN + ID_LABEL + "0123456789", lies: dict[str, str] | None = None,
             tounicode: bool = True, more_resources: str = "", page_extra: str = "",
             build: object = None) -> bytes:
    """One page: the cover line and `hidden` (content-stream operators) in font /F1."""
    doc = Doc()
    parent = doc.add()
    font = doc.cjk_font(chars, lies, tounicode)
    resources = f"/Font << /F1 {font} 0 R >> {more_resources}"
    page = doc.page(parent, _cover() + hidden, resources, page_extra)
    return doc.bytes([page], parent)


def _show(text: str = SECRET, x: float = 60, y: float = 700, size: float = 14, pre: str = "") -> str:
    return f"BT /F1 {size} Tf {pre} {x} {y} Td {hexs(text)} Tj ET\n"


def reversed_glyphs(text: str = SECRET) -> str:
    """`text` shown one character a show in its own order, each placed right to left: the stream holds the text,
    a reader (and a reading-order extractor) sees it backwards."""
    n = len(text)
    return "".join(f"BT /F1 14 Tf {60 + (n - 1 - i) * 14} 700 Td {hexs(ch)} Tj ET\n" for i, ch in enumerate(text))


def nested_forms(depth: int = 3) -> bytes:
    doc = Doc()
    parent = doc.add()
    font = doc.cjk_font(COVER + SECRET)
    inner = doc.stream(_show(), f"/Type /XObject /Subtype /Form /BBox [0 0 595 842] /Resources << /Font << /F1 {font} 0 R >> >>")
    for _ in range(depth - 1):
        inner = doc.stream("q /Fm Do Q\n", f"/Type /XObject /Subtype /Form /BBox [0 0 595 842] "
                                           f"/Resources << /XObject << /Fm {inner} 0 R >> >>")
    page = doc.page(parent, _cover() + "q /Fm Do Q\n", f"/Font << /F1 {font} 0 R >> /XObject << /Fm {inner} 0 R >>")
    return doc.bytes([page], parent)


def type3(tounicode: bool) -> bytes:
    """A Type3 font whose glyphs are little squares; codes 1..6 spell SECRET through ToUnicode, or (without one)
    through uniXXXX glyph names in /Differences."""
    doc = Doc()
    parent = doc.add()
    font = doc.cjk_font(COVER)
    codes = {i + 1: ch for i, ch in enumerate(SECRET)}
    procs = {f"g{i}": doc.stream("1000 0 0 0 1000 1000 d1 100 100 800 800 re f") for i in codes}
    names = " ".join(f"/uni{ord(ch):04X}" for ch in codes.values())
    proc_map = " ".join(f"/uni{ord(codes[i]):04X} {procs[f'g{i}']} 0 R" for i in codes)
    tu = f" /ToUnicode {doc.stream(_cmap(codes))} 0 R" if tounicode else ""
    t3 = doc.add(f"<< /Type /Font /Subtype /Type3 /FontBBox [0 0 1000 1000] /FontMatrix [0.001 0 0 0.001 0 0] "
                 f"/FirstChar 1 /LastChar {len(codes)} /Widths [{' '.join('1000' for _ in codes)}] "
                 f"/Encoding << /Type /Encoding /Differences [1 {names}] >> /CharProcs << {proc_map} >>{tu} >>")
    text = "".join(f"{i:02X}" for i in codes)
    page = doc.page(parent, _cover() + f"BT /T3 14 Tf 60 700 Td <{text}> Tj ET\n",
                    f"/Font << /F1 {font} 0 R /T3 {t3} 0 R >>")
    return doc.bytes([page], parent)


def inkless_type3(text: str) -> bytes:
    """`text` shown one character a show (as Chromium draws) in a Type3 font whose glyphs have an empty box and
    draw nothing (d1 0 0 0 0): the ToUnicode map names the characters, a reader sees nothing, and PDFium leaves
    each one-glyph object out of its text page (as it leaves out a space drawn alone)."""
    doc = Doc()
    parent = doc.add()
    font = doc.cjk_font(COVER)
    codes = {i + 1: ch for i, ch in enumerate(text)}
    proc = doc.stream("1000 0 0 0 0 0 d1")
    t3 = doc.add(f"<< /Type /Font /Subtype /Type3 /FontBBox [0 0 0 0] /FontMatrix [0.001 0 0 0.001 0 0] "
                 f"/FirstChar 1 /LastChar {len(codes)} /Widths [{' '.join('1000' for _ in codes)}] "
                 f"/Encoding << /Type /Encoding /Differences [1 {' '.join('/g' for _ in codes)}] >> "
                 f"/CharProcs << /g {proc} 0 R >> /ToUnicode {doc.stream(_cmap(codes, 1))} 0 R >>")
    shown = " ".join(f"<{i:02X}> Tj 14 0 Td" for i in codes)
    page = doc.page(parent, _cover() + f"BT /T3 14 Tf 60 700 Td {shown} ET\n",
                    f"/Font << /F1 {font} 0 R /T3 {t3} 0 R >>")
    return doc.bytes([page], parent)


def identity_h() -> bytes:
    """Identity-H codes (CIDs) named by the ToUnicode map: the CIDs here are arbitrary, the map says SECRET."""
    doc = Doc()
    parent = doc.add()
    cover = doc.cjk_font(COVER)
    cids = {ch: 1000 + i for i, ch in enumerate(dict.fromkeys(SECRET))}
    font = doc.identity_font(cids)
    codes = "".join(f"{cids[ch]:04X}" for ch in SECRET)
    page = doc.page(parent, _cover().replace("/F1", "/F0") + f"BT /F1 14 Tf 60 700 Td <{codes}> Tj ET\n",
                    f"/Font << /F0 {cover} 0 R /F1 {font} 0 R >>")
    return doc.bytes([page], parent)


def annotation_appearance() -> bytes:
    """A stamp annotation whose appearance stream draws SECRET; it has no /Contents (nothing but the drawing)."""
    doc = Doc()
    parent = doc.add()
    font = doc.cjk_font(COVER + SECRET)
    ap = doc.stream(f"BT /F1 14 Tf 5 5 Td {hexs(SECRET)} Tj ET",
                    f"/Type /XObject /Subtype /Form /BBox [0 0 200 30] /Resources << /Font << /F1 {font} 0 R >> >>")
    annot = doc.add(f"<< /Type /Annot /Subtype /Stamp /Rect [60 600 260 630] /F 4 /AP << /N {ap} 0 R >> >>")
    page = doc.page(parent, _cover(), f"/Font << /F1 {font} 0 R >>", f" /Annots [{annot} 0 R]")
    return doc.bytes([page], parent)


def covered_by_image() -> bytes:
    """SECRET drawn, then a white image painted over it."""
    doc = Doc()
    parent = doc.add()
    font = doc.cjk_font(COVER + SECRET)
    img = doc.stream(b"\xff" * 12, "/Type /XObject /Subtype /Image /Width 2 /Height 2 /ColorSpace /DeviceRGB "
                                   "/BitsPerComponent 8")
    page = doc.page(parent, _cover() + _show() + "q 300 0 0 40 50 690 cm /Im Do Q\n",
                    f"/Font << /F1 {font} 0 R >> /XObject << /Im {img} 0 R >>")
    return doc.bytes([page], parent)


def hidden_layer() -> bytes:
    """SECRET in an optional content group that is off by default."""
    doc = Doc()
    parent = doc.add()
    font = doc.cjk_font(COVER + SECRET)
    ocg = doc.add("<< /Type /OCG /Name (hidden) >>")
    page = doc.page(parent, _cover() + "/OC /L1 BDC\n" + _show() + "EMC\n",
                    f"/Font << /F1 {font} 0 R >> /Properties << /L1 {ocg} 0 R >>")
    return doc.bytes([page], parent, f" /OCProperties << /OCGs [{ocg} 0 R] /D << /OFF [{ocg} 0 R] >> >>")


def many_pages(pages: int = 60, at: int = 47, how: str = "3 Tr") -> bytes:
    """`pages` ordinary pages; page `at` also holds SECRET drawn with `how` (invisible by default)."""
    doc = Doc()
    parent = doc.add()
    font = doc.cjk_font(COVER + SECRET + "第页0123456789")
    kids = []
    for n in range(1, pages + 1):
        body = _cover() + f"BT /F1 12 Tf 60 60 Td {hexs(f'第{n}页')} Tj ET\n"
        if n == at:
            body += _show(pre=how)
        kids.append(doc.page(parent, body, f"/Font << /F1 {font} 0 R >>"))
    return doc.bytes(kids, parent)


# name -> PDF. Every case hides SECRET on its page; the cover line is ordinary text.
def cases() -> dict[str, bytes]:
    return {
        "invisible-render-mode-3": one_page(_show(pre="3 Tr")),
        "clip-render-mode-7": one_page(_show(pre="7 Tr")),
        "white-on-white": one_page(_show(pre="1 1 1 rg")),
        "outside-mediabox": one_page(_show(x=700, y=900)),
        "far-outside-mediabox": one_page(_show(x=-50000, y=-50000)),
        "outside-cropbox": one_page(_show(x=400, y=500), page_extra=" /CropBox [0 600 300 842]"),
        "under-empty-clip": one_page("q 0 0 1 1 re W n\n" + _show() + "Q\n"),
        "tiny-font": one_page(_show(size=0.01)),
        "zero-font-size": one_page(_show(size=0)),
        "zero-horizontal-scale": one_page(_show(pre="0 Tz")),
        "mirrored-text": one_page("q -1 0 0 1 595 0 cm\n" + _show() + "Q\n"),
        "huge-char-spacing": one_page(_show(pre="40 Tc")),
        "nested-forms": nested_forms(),
        "type3-tounicode": type3(True),
        "type3-glyph-names": type3(False),
        "tounicode-claims-secret": one_page(_show(BENIGN), lies=dict(zip(BENIGN, SECRET, strict=True))),
        "no-tounicode": one_page(_show(), tounicode=False),
        "actualtext-hides-drawn-secret": one_page(f"/Span << /ActualText {text_string(BENIGN)} >> BDC\n" + _show() + "EMC\n"),
        "actualtext-unprintable": one_page(f"/Span << /ActualText {text_string(chr(1))} >> BDC\n" + _show() + "EMC\n"),
        "actualtext-empty": one_page("/Span << /ActualText () >> BDC\n" + _show() + "EMC\n"),
        "actualtext-holds-secret": one_page(f"/Span << /ActualText {text_string(SECRET)} >> BDC\n" + _show(BENIGN) + "EMC\n"),
        "annotation-appearance": annotation_appearance(),
        "covered-by-image": covered_by_image(),
        "identity-h": identity_h(),
        "hidden-layer": hidden_layer(),
        "many-pages": many_pages(),
        # every digit drawn on the same spot (character spacing cancels the advance): PDFium keeps one of each
        # repeated digit, pypdf reads the whole number
        "inkless-glyphs": inkless_type3(SECRET),
        "stream-order-only": one_page(reversed_glyphs()),
        "stacked-digits": one_page(_show(ID_LABEL, y=650) + _show(ID_NUMBER, x=150, y=650, pre="-14 Tc")),
        # … and one glyph whose ToUnicode gives twenty characters, enough to make up for the merged digits in a
        # count of characters
        "stacked-digits-and-a-phrase-glyph": one_page(
            _show(BENIGN) + _show(ID_LABEL, y=650) + _show(ID_NUMBER, x=150, y=650, pre="-14 Tc"),
            lies={"五": "五" * 20}),
    }
