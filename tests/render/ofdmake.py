"""OFD pages for the render tests: the package's own fonts (a subset of the system's Noto Sans CJK SC, cut with
fontTools, and lying versions whose cmap sends one character's code to another character's drawing), text drawn as
outlines (PathObject), pictures (ImageObject), and the PublicRes that declares them. Fictional terms only."""

from __future__ import annotations

import io
from functools import lru_cache

from tests.extract.ofdbuild import NS, content, ofd  # noqa: F401 - re-exported for the tests
from tests.render import make as m

CLEAN = ["关于做好春季防汛工作的通知", "各区县人民政府：现将有关事项通知如下。"]
TERMS = ["北辰三号", "普通项目", "机密★5年", "公开", "秘密", "天枢工程", "年度工作总结"]
CHARS = "".join(sorted(set("".join(CLEAN + TERMS))))


@lru_cache(maxsize=1)
def _base() -> bytes:
    """Noto Sans CJK SC cut down to the characters the tests draw (CFF outlines, as a producer embeds a subset)."""
    return subset_font(CHARS)


def subset_font(chars: str) -> bytes:
    from fontTools import subset
    from fontTools.ttLib import TTFont

    font = TTFont(m.FONT, fontNumber=2)
    opts = subset.Options()
    opts.layout_features = []
    opts.name_IDs = ["*"]
    sub = subset.Subsetter(opts)
    sub.populate(unicodes=[ord(c) for c in set(chars) if not c.isspace()])
    sub.subset(font)
    buf = io.BytesIO()
    font.save(buf)
    return buf.getvalue()


def layout(text: str, per_line: int = 34, size: float = 5, lines_per_page: int = 40) -> list[list[str]]:
    """Running text laid out as a producer writes it: one TextObject per line with DeltaX, pages of A4."""
    lines: list[str] = []
    for para in text.splitlines():
        para = para.strip()
        while para:
            lines.append(para[:per_line])
            para = para[per_line:]
    pages = [lines[i : i + lines_per_page] for i in range(0, len(lines), lines_per_page)] or [[]]
    return [[_line(t, 20, 20 + k * size * 1.3, size) for k, t in enumerate(page)] for page in pages]


def _line(words: str, x: float, y: float, size: float) -> str:
    from xml.sax.saxutils import escape

    delta = " ".join([f"{size:g}"] * (len(words) - 1))
    return (f'<ofd:TextObject ID="9" Boundary="{x} {y} {size * len(words) + 2:g} {size * 1.3:g}" Font="3" Size="{size}">'
            f'<ofd:TextCode X="0" Y="{size}" DeltaX="{delta}">{escape(words)}</ofd:TextCode></ofd:TextObject>')


@lru_cache(maxsize=8)
def font(lies: tuple[tuple[str, str], ...] = ()) -> bytes:
    """The embedded font; `lies`: (claimed, drawn) pairs of strings of equal length — the code of each claimed
    character draws the drawn character's glyph (and no code draws the claimed character's own glyph)."""
    from fontTools.ttLib import TTFont

    f = TTFont(io.BytesIO(_base()))
    best = f.getBestCmap()
    for table in f["cmap"].tables:
        if not table.isUnicode():
            continue
        for claimed, drawn in lies:
            for c, d in zip(claimed, drawn, strict=True):
                table.cmap[ord(c)] = best[ord(d)]
    buf = io.BytesIO()
    f.save(buf)
    return buf.getvalue()


def outlines(text: str, x: float, y: float, size: float) -> str:
    """`text` as OFD path data (AbbreviatedData), glyph outlines of the base font: text converted to curves."""
    from fontTools.pens.recordingPen import RecordingPen
    from fontTools.ttLib import TTFont

    f = TTFont(io.BytesIO(_base()))
    cmap, glyphs = f.getBestCmap(), f.getGlyphSet()
    scale = size / f["head"].unitsPerEm
    out: list[str] = []
    pen_x = x
    for ch in text:
        name = cmap[ord(ch)]
        pen = RecordingPen()
        glyphs[name].draw(pen)

        def pt(p: tuple[float, float], ox: float = pen_x) -> str:
            return f"{ox + p[0] * scale:.3f} {y - p[1] * scale:.3f}"

        for op, args in pen.value:
            if op == "moveTo":
                out.append("M " + pt(args[0]))
            elif op == "lineTo":
                out.append("L " + pt(args[0]))
            elif op == "curveTo":
                out.append("B " + " ".join(pt(a) for a in args))
            elif op == "qCurveTo":
                out.append("Q " + " ".join(pt(a) for a in args))
            elif op in ("closePath", "endPath"):
                out.append("C")
        pen_x += glyphs[name].width * scale
    return " ".join(out)


def res(fonts: dict[str, bytes | None], images: dict[str, bytes] | None = None) -> tuple[str, dict[str, bytes | str]]:
    """PublicRes body and its files: font ID -> file (None: declared, not embedded: the system's font draws it),
    image ID -> PNG."""
    body, files = "<ofd:Fonts>", {}
    for fid, data in fonts.items():
        file = f"<ofd:FontFile>font_{fid}.otf</ofd:FontFile>" if data is not None else ""
        body += f'<ofd:Font ID="{fid}" FontName="宋体" FamilyName="宋体">{file}</ofd:Font>'
        if data is not None:
            files[f"Doc_0/Res/font_{fid}.otf"] = data
    body += "</ofd:Fonts>"
    if images:
        body += "<ofd:MultiMedias>" + "".join(
            f'<ofd:MultiMedia ID="{iid}" Type="Image" Format="PNG"><ofd:MediaFile>image_{iid}.png</ofd:MediaFile>'
            "</ofd:MultiMedia>" for iid in images) + "</ofd:MultiMedias>"
        files.update({f"Doc_0/Res/image_{iid}.png": data for iid, data in images.items()})
    return body, files


def text(words: str, x: float = 20, y: float = 30, size: float = 6, font_id: str = "3", attrs: str = "",
         fill: str | None = None, boundary: str | None = None) -> str:
    """One TextObject with explicit DeltaX (as producers write); `fill`: FillColor value ("255 255 255")."""
    delta = " ".join([f"{size:g}"] * (len(words) - 1))
    colour = f'<ofd:FillColor Value="{fill}"/>' if fill else ""
    box = boundary or f"{x} {y} {max(180 - x, size * len(words) + 2):g} {size * 2}"
    return (f'<ofd:TextObject ID="9" Boundary="{box}" Font="{font_id}" Size="{size}" {attrs}>{colour}'
            f'<ofd:TextCode X="0" Y="{size}" DeltaX="{delta}">{words}</ofd:TextCode></ofd:TextObject>')


def glyph_ids(drawn: str) -> list[int]:
    """The base font's glyph indices of the characters in `drawn`."""
    from fontTools.ttLib import TTFont

    f = TTFont(io.BytesIO(_base()))
    cmap = f.getBestCmap()
    return [f.getGlyphID(cmap[ord(ch)]) for ch in drawn]


def glyph_text(words: str, drawn: str, y: float = 80, size: float = 6) -> str:
    """A TextObject claiming `words` whose CGTransform draws the glyphs of `drawn` (one per character)."""
    ids = " ".join(str(g) for g in glyph_ids(drawn))
    cg = (f'<ofd:CGTransform CodePosition="0" CodeCount="{len(words)}" GlyphCount="{len(drawn)}">'
          f"<ofd:Glyphs>{ids}</ofd:Glyphs></ofd:CGTransform>")
    return text(words, y=y, size=size).replace("<ofd:TextCode", cg + "<ofd:TextCode", 1)


def path(data: str, fill: bool = True) -> str:
    return (f'<ofd:PathObject ID="20" Boundary="0 0 210 297" Fill="{"true" if fill else "false"}" Stroke="false">'
            f'<ofd:FillColor Value="0 0 0"/><ofd:AbbreviatedData>{data}</ofd:AbbreviatedData></ofd:PathObject>')


def image(resource: str, x: float, y: float, w: float, h: float) -> str:
    return (f'<ofd:ImageObject ID="30" Boundary="{x} {y} {w} {h}" CTM="{w} 0 0 {h} 0 0" ResourceID="{resource}"/>')


def png(lines: list[str], width: int = 600, height: int = 100, size: int = 40) -> bytes:
    return m.image_bytes(m.page_image(lines, size=size, width=width, height=height), "PNG")


def blank_png(width: int = 300, height: int = 60) -> bytes:
    from PIL import Image

    return m.image_bytes(Image.new("RGB", (width, height), "white"), "PNG")


def document(pages: list[list[str]], fonts: dict[str, bytes | None] | None = None,
             images: dict[str, bytes] | None = None, **more: object) -> bytes:
    """An OFD whose pages hold the given objects, with the package's embedded font as font 3 by default."""
    body, files = res(fonts if fonts is not None else {"3": font()}, images)
    extra = dict(files)
    extra.update(more.pop("extra", {}) or {})  # type: ignore[call-overload]
    return ofd([content(*objs) for objs in pages], public_res=body, extra=extra, **more)  # type: ignore[arg-type]


def _der(tag: int, body: bytes) -> bytes:
    n = len(body)
    size = bytes([n]) if n < 0x80 else bytes([0x80 | ((n.bit_length() + 7) // 8)]) + n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([tag]) + size + body


def seal_files(picture: bytes, page_id: str = "10", boundary: str = "120 100 40 40") -> dict[str, bytes | str]:
    """OFD.xml naming a signature list, and a signature with a StampAnnot whose signed value (an SES_Signature-like DER
    structure: version, seal info with the picture's type and data, the signature bytes) carries `picture`."""
    pic_info = _der(0x30, _der(0x16, b"png") + _der(0x04, picture) + _der(0x02, b"\x28") + _der(0x02, b"\x28"))
    seal = _der(0x30, _der(0x02, b"\x04") + _der(0x16, b"ES") + pic_info)
    value = _der(0x30, _der(0x30, _der(0x02, b"\x04") + seal) + _der(0x03, b"\x00" + b"\x01" * 64))
    return {
        "OFD.xml": (f'<?xml version="1.0" encoding="UTF-8"?><ofd:OFD {NS} Version="1.0" DocType="OFD"><ofd:DocBody>'
                    "<ofd:DocInfo><ofd:DocID>a1</ofd:DocID></ofd:DocInfo><ofd:DocRoot>Doc_0/Document.xml</ofd:DocRoot>"
                    "<ofd:Signatures>Doc_0/Signs/Signatures.xml</ofd:Signatures></ofd:DocBody></ofd:OFD>"),
        "Doc_0/Signs/Signatures.xml": f'<ofd:Signatures {NS}><ofd:Signature ID="1" BaseLoc="Sign_0/Signature.xml"/></ofd:Signatures>',
        "Doc_0/Signs/Sign_0/Signature.xml": (
            f'<ofd:Signature {NS}><ofd:SignedInfo><ofd:StampAnnot ID="1" PageRef="{page_id}" Boundary="{boundary}"/>'
            "</ofd:SignedInfo><ofd:SignedValue>SignedValue.dat</ofd:SignedValue></ofd:Signature>"),
        "Doc_0/Signs/Sign_0/SignedValue.dat": value,
    }
