"""Crafted drafts for the render tests: PDFs (lying ToUnicode maps, glyphs placed right to left, scans without a text
layer), images of stamped pages, DOCX packages written part by part, and HTML. Own fictional terms only."""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass, field

FONT = "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"


# ---------------------------------------------------------------------------------------------------------- images
def page_image(lines: list[str], size: int = 40, width: int = 1240, height: int = 1754, noise: bool = False) -> object:
    """A white page with `lines` in black (a scan at about 150 dpi)."""
    from PIL import Image, ImageDraw, ImageFont

    img = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(img)
    font = ImageFont.truetype(FONT, size)
    y = 120
    for line in lines:
        draw.text((110, y), line, fill=(20, 20, 20), font=font)
        y += int(size * 1.8)
    if noise:
        import random

        rnd = random.Random(7)
        for _ in range(3000):
            x, yy = rnd.randrange(width), rnd.randrange(height)
            draw.point((x, yy), fill=(150, 150, 150))
    return img


def image_bytes(img: object, fmt: str) -> bytes:
    buf = io.BytesIO()
    img.save(buf, format=fmt, **({"quality": 85} if fmt == "JPEG" else {}))  # type: ignore[attr-defined]
    return buf.getvalue()


# ------------------------------------------------------------------------------------------------------------- PDF
@dataclass
class Text:
    x: float
    y: float  # baseline, PDF points from the bottom
    text: str  # what the page draws
    size: float = 14
    rtl: bool = False  # store the glyphs last to first, each at its own absolute position
    scatter: bool = False  # store the glyphs in a shuffled order, each at its own absolute position


@dataclass
class Img:
    x: float
    y: float
    w: float
    h: float
    jpeg: bytes
    px: tuple[int, int]


@dataclass
class PdfPage:
    items: list[Text | Img] = field(default_factory=list)


def _hex(text: str) -> str:
    return "<" + text.encode("utf-16-be").hex().upper() + ">"


def make_pdf(pages: list[PdfPage], lies: dict[str, str] | None = None) -> bytes:
    """STSong-Light (not embedded, UniGB-UCS2-H: a code is the Unicode of the drawn character); the ToUnicode map
    says each code means itself, except `lies`: drawn character -> the character the text layer claims."""
    lies = lies or {}
    objects: list[bytes] = []

    def add(obj: bytes) -> int:
        objects.append(obj)
        return len(objects)

    def stream(dictionary: str, data: bytes) -> bytes:
        return f"<< {dictionary} /Length {len(data)} >>\nstream\n".encode() + data + b"\nendstream"

    chars = sorted({c for p in pages for it in p.items if isinstance(it, Text) for c in it.text} | set(lies))
    body = [f"{len(chars)} beginbfchar"] + [f"<{ord(c):04X}> <{ord(lies.get(c, c)):04X}>" for c in chars] + ["endbfchar"]
    cmap = ("/CIDInit /ProcSet findresource begin 12 dict begin begincmap\n/CIDSystemInfo << /Registry (Adobe) "
            "/Ordering (UCS) /Supplement 0 >> def\n/CMapName /Adobe-Identity-UCS def /CMapType 2 def\n"
            "1 begincodespacerange <0000> <FFFF> endcodespacerange\n" + "\n".join(body) +
            "\nendcmap CMapName currentdict /CMap defineresource pop end end").encode()
    catalog = add(b"")
    pages_id = add(b"")
    tounicode = add(stream("", cmap))
    descriptor = add(b"<< /Type /FontDescriptor /FontName /STSong-Light /Flags 6 /FontBBox [-25 -254 1000 880] "
                     b"/ItalicAngle 0 /Ascent 880 /Descent -120 /CapHeight 880 /StemV 93 >>")
    cid = add(f"<< /Type /Font /Subtype /CIDFontType0 /BaseFont /STSong-Light /CIDSystemInfo << /Registry (Adobe) "
              f"/Ordering (GB1) /Supplement 2 >> /FontDescriptor {descriptor} 0 R /DW 1000 >>".encode())
    font = add(f"<< /Type /Font /Subtype /Type0 /BaseFont /STSong-Light /Encoding /UniGB-UCS2-H "
               f"/DescendantFonts [{cid} 0 R] /ToUnicode {tounicode} 0 R >>".encode())
    page_ids = []
    for page in pages:
        ops: list[str] = []
        xobjects: list[str] = []
        for it in page.items:
            if isinstance(it, Img):
                im = add(stream(f"/Type /XObject /Subtype /Image /Width {it.px[0]} /Height {it.px[1]} "
                                "/ColorSpace /DeviceRGB /BitsPerComponent 8 /Filter /DCTDecode", it.jpeg))
                name = f"Im{len(xobjects) + 1}"
                xobjects.append(f"/{name} {im} 0 R")
                ops.append(f"q {it.w} 0 0 {it.h} {it.x} {it.y} cm /{name} Do Q")
            elif it.rtl or it.scatter:
                order = list(range(len(it.text)))
                order = order[::-1] if it.rtl else order[1::2] + order[0::2]
                for i in order:
                    ops.append(f"BT /F1 {it.size} Tf {it.x + i * it.size:.2f} {it.y} Td {_hex(it.text[i])} Tj ET")
            else:
                ops.append(f"BT /F1 {it.size} Tf {it.x} {it.y} Td {_hex(it.text)} Tj ET")
        content = add(stream("", "\n".join(ops).encode("ascii")))
        res = f"/Font << /F1 {font} 0 R >>" + (f" /XObject << {' '.join(xobjects)} >>" if xobjects else "")
        page_ids.append(add(f"<< /Type /Page /Parent {pages_id} 0 R /MediaBox [0 0 595 842] /Contents {content} 0 R "
                            f"/Resources << {res} >> >>".encode()))
    objects[pages_id - 1] = f"<< /Type /Pages /Kids [{' '.join(f'{p} 0 R' for p in page_ids)}] /Count {len(page_ids)} >>".encode()
    objects[catalog - 1] = f"<< /Type /Catalog /Pages {pages_id} 0 R >>".encode()
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, obj in enumerate(objects, 1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + obj + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{off:010d} 00000 n \n".encode() for off in offsets)
    out += f"trailer\n<< /Size {len(objects) + 1} /Root {catalog} 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)


def text_pdf(lines: list[str], size: float = 14, lies: dict[str, str] | None = None, **special: Text) -> bytes:
    items: list[Text | Img] = [Text(60, 780 - i * size * 1.8, line, size) for i, line in enumerate(lines)]
    return make_pdf([PdfPage(items)], lies)


def scan_pdf(pages: list[list[str]]) -> bytes:
    """Every page an image of text, no text layer (a scanner's PDF)."""
    out = []
    for lines in pages:
        img = page_image(lines, size=40)
        out.append(PdfPage([Img(0, 0, 595, 842, image_bytes(img, "JPEG"), img.size)]))  # type: ignore[attr-defined]
    return make_pdf(out)


# ------------------------------------------------------------------------------------------------------------ DOCX
W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
NS = (f'xmlns:w="{W}" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships" '
      'xmlns:v="urn:schemas-microsoft-com:vml" xmlns:o="urn:schemas-microsoft-com:office:office" '
      'xmlns:mc="http://schemas.openxmlformats.org/markup-compatibility/2006" '
      'xmlns:wps="http://schemas.microsoft.com/office/word/2010/wordprocessingShape" '
      'xmlns:wp="http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing" '
      'xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main" '
      'xmlns:pic="http://schemas.openxmlformats.org/drawingml/2006/picture" '
      'xmlns:w10="urn:schemas-microsoft-com:office:word" mc:Ignorable="w14 wps"')


def para(text: str, extra: str = "") -> str:
    return f"<w:p>{extra}<w:r><w:t xml:space=\"preserve\">{text}</w:t></w:r></w:p>"


def docx(body: str, *, numbering: str | None = None, parts: dict[str, tuple[str, bytes, str]] | None = None) -> bytes:
    """A Word package with `body` (w:body content); `parts`: rel id -> (part name, bytes, relationship type tail)."""
    parts = parts or {}
    overrides = ['<Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.'
                 'wordprocessingml.document.main+xml"/>']
    rels = []
    if numbering:
        overrides.append('<Override PartName="/word/numbering.xml" ContentType="application/vnd.openxmlformats-'
                         'officedocument.wordprocessingml.numbering+xml"/>')
        rels.append('<Relationship Id="rIdNum" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
                    'relationships/numbering" Target="numbering.xml"/>')
    for rid, (name, _data, kind) in parts.items():
        rels.append(f'<Relationship Id="{rid}" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
                    f'relationships/{kind}" Target="{name}"/>')
    types = ('<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/'
             'content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
             'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>'
             '<Default Extension="htm" ContentType="text/html"/><Default Extension="png" ContentType="image/png"/>'
             + "".join(overrides) + "</Types>")
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", types)
        z.writestr("_rels/.rels", '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.'
                   'openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.'
                   'openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/>'
                   '</Relationships>')
        z.writestr("word/document.xml", f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><w:document {NS}>'
                   f'<w:body>{body}<w:sectPr><w:pgSz w:w="11906" w:h="16838"/><w:pgMar w:top="1440" w:right="1440" '
                   'w:bottom="1440" w:left="1440" w:header="720" w:footer="720" w:gutter="0"/></w:sectPr></w:body>'
                   '</w:document>')
        z.writestr("word/_rels/document.xml.rels", '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns='
                   '"http://schemas.openxmlformats.org/package/2006/relationships">' + "".join(rels) + "</Relationships>")
        if numbering:
            z.writestr("word/numbering.xml", f'<?xml version="1.0" encoding="UTF-8"?><w:numbering {NS}>{numbering}'
                       "</w:numbering>")
        for name, data, _kind in parts.values():
            z.writestr("word/" + name, data)
    return buf.getvalue()


def html(body: str, head: str = "") -> bytes:
    return (f"<!doctype html><html><head><meta charset=utf-8>{head}</head><body style=\"font-size:20px\">{body}"
            "</body></html>").encode()
