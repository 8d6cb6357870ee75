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
    y = 120 if height > 400 else max(4, (height - int(size * 1.4) * len(lines)) // 2)
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
    return pdf_file(objects, catalog)


def pdf_file(objects: list[bytes], root: int, header: bytes = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n") -> bytes:
    """A PDF of these objects (numbered from 1) with a cross-reference table and `root` as its catalog."""
    out = bytearray(header)
    offsets = []
    for number, obj in enumerate(objects, 1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + obj + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{off:010d} 00000 n \n".encode() for off in offsets)
    out += f"trailer\n<< /Size {len(objects) + 1} /Root {root} 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)


def text_pdf(lines: list[str], size: float = 14, lies: dict[str, str] | None = None, **special: Text) -> bytes:
    items: list[Text | Img] = [Text(60, 780 - i * size * 1.8, line, size) for i, line in enumerate(lines)]
    return make_pdf([PdfPage(items)], lies)


def scan_pdf(pages: list[list[str]], rotate: int = 0) -> bytes:
    """Every page an image of text, no text layer (a scanner's PDF); `rotate`: the scan turned by that many degrees
    counter-clockwise inside the page (a landscape or upside-down scan)."""
    out = []
    for lines in pages:
        img = page_image(lines, size=40)
        if rotate:
            img = img.rotate(rotate, expand=True, fillcolor="white").resize(img.size)  # type: ignore[attr-defined]
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
             '<Default Extension="docx" ContentType="application/vnd.openxmlformats-officedocument.'
             'wordprocessingml.document"/>'
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


def docx_case(kind: str, term: str, clean: bool = False) -> bytes:
    """One DOCX trick per `kind`, showing `term` only where the trick puts it (or ordinary text when `clean`)."""
    intro = para("关于做好春季防汛工作的通知") + para("各区县人民政府：为切实做好防汛准备工作，现将有关事项通知如下。")
    shown = "防汛物资" if clean else term
    if kind == "altchunk-html":  # an HTML part imported in place (Word shows it; LibreOffice drops it)
        said = "各区县人民政府：为切实做好防汛准备工作" if clean else f"{shown}储备情况"
        chunk = f"<html><head><meta charset=utf-8></head><body><p>{said}</p></body></html>"
        return docx(intro + '<w:altChunk r:id="rIdH"/>', parts={"rIdH": ("chunk.htm", chunk.encode(), "aFChunk")})
    if kind == "altchunk":
        # a Word document inside the Word document (clean: it repeats the opening sentence)
        chunk = docx(para("各区县人民政府：为切实做好防汛准备工作" if clean else f"{shown}储备情况"))
        return docx(intro + '<w:altChunk r:id="rIdA"/>', parts={"rIdA": ("chunk.docx", chunk, "aFChunk")})
    if kind == "wordart":
        shape = ('<w:p><w:r><w:pict><v:shapetype id="_x0000_t136" coordsize="21600,21600" o:spt="136" adj="10800" '
                 'path="m@7,l@8,m@5,21600l@6,21600e"><v:path textpathok="t" o:connecttype="custom"/>'
                 '<v:textpath on="t" fitshape="t"/><o:lock v:ext="edit" text="t" shapetype="t"/></v:shapetype>'
                 '<v:shape id="wa1" type="#_x0000_t136" style="width:220pt;height:60pt" fillcolor="black" '
                 f'stroked="f"><v:textpath style="font-family:&quot;Noto Sans CJK SC&quot;" string="{shown}"/>'
                 "</v:shape></w:pict></w:r></w:p>")
        return docx(intro + shape)
    if kind == "numbering":
        num = ('<w:abstractNum w:abstractNumId="0"><w:lvl w:ilvl="0"><w:start w:val="1"/><w:numFmt w:val="decimal"/>'
               f'<w:lvlText w:val="{"" if clean else shown}%1．"/><w:lvlJc w:val="left"/></w:lvl></w:abstractNum>'
               '<w:num w:numId="1"><w:abstractNumId w:val="0"/></w:num>')
        item = para("物资储备到位", '<w:pPr><w:numPr><w:ilvl w:val="0"/><w:numId w:val="1"/></w:numPr></w:pPr>')
        return docx(intro + item, numbering=num)
    if kind == "fallback":
        alt = ('<w:p><w:r><w:t>负责单位：</w:t></w:r><mc:AlternateContent xmlns:w99="http://example.invalid/w99">'
               '<mc:Choice Requires="w99"><w:r><w:t>水利局</w:t></w:r></mc:Choice>'
               f"<mc:Fallback><w:r><w:t>{'水利局' if clean else shown}</w:t></w:r></mc:Fallback></mc:AlternateContent></w:p>")
        return docx(intro + alt)
    if kind == "sym":
        level, period = ("普通", "事项") if clean else (term[:2], term[2:])
        run = (f'<w:p><w:r><w:t>{level}</w:t></w:r><w:r><w:sym w:font="Noto Sans CJK SC" w:char="2605"/></w:r>'
               f"<w:r><w:t>{period}</w:t></w:r></w:p>")
        return docx(run + intro)
    if kind == "image":
        png = image_bytes(page_image(["防汛物资储备" if clean else term], size=48, width=520, height=110), "PNG")
        drawing = ('<w:p><w:r><w:drawing><wp:inline distT="0" distB="0" distL="0" distR="0"><wp:extent cx="3600000" '
                   'cy="760000"/><wp:effectExtent l="0" t="0" r="0" b="0"/><wp:docPr id="1" name="p1" descr="图片"/>'
                   '<wp:cNvGraphicFramePr><a:graphicFrameLocks noChangeAspect="1"/></wp:cNvGraphicFramePr><a:graphic><a:graphicData uri="http://schemas.openxmlformats.org/drawingml/2006/'
                   'picture"><pic:pic><pic:nvPicPr><pic:cNvPr id="1" name="p1"/><pic:cNvPicPr/></pic:nvPicPr>'
                   '<pic:blipFill><a:blip r:embed="rIdI"/><a:stretch><a:fillRect/></a:stretch></pic:blipFill>'
                   '<pic:spPr><a:xfrm><a:off x="0" y="0"/><a:ext cx="3600000" cy="760000"/></a:xfrm><a:prstGeom '
                   'prst="rect"><a:avLst/></a:prstGeom></pic:spPr></pic:pic></a:graphicData></a:graphic></wp:inline>'
                   "</w:drawing></w:r></w:p>")
        return docx(intro + drawing, parts={"rIdI": ("media/image1.png", png, "image")})
    raise ValueError(kind)


def xlsx_case(kind: str, term: str, clean: bool = False) -> bytes:
    import xlsxwriter

    buf = io.BytesIO()
    wb = xlsxwriter.Workbook(buf, {"in_memory": True})
    ws = wb.add_worksheet("汇总")
    ws.write(0, 0, "防汛物资汇总表")
    ws.write(1, 0, "项目")
    ws.set_column(0, 1, 30)
    if kind == "formula":
        half = len(term) // 2
        a, b = ("防汛", "物资") if clean else (term[:half], term[half:])
        ws.write_formula(1, 1, f'="{a}"&"{b}"', None, "")  # no cached value
    elif kind == "numfmt":
        fmt = wb.add_format({"num_format": '"防汛物资"' if clean else f'"{term}"'})
        ws.write_number(1, 1, 42, fmt)
    elif kind == "chart":  # unnamed series: the renderer labels them itself ("Column B", "Series 1")
        ws.write_column(2, 1, [3, 5, 8])
        chart = wb.add_chart({"type": "column"})
        chart.add_series({"values": "=汇总!$B$3:$B$5"})
        chart.set_title({"name": "防汛物资" if clean else term})
        ws.insert_chart(6, 0, chart)
        ws.write_formula(1, 1, '=UNICHAR(27700)', None, "")  # a function this file does not prefix: shown as #NAME?
    else:
        raise ValueError(kind)
    wb.close()
    return buf.getvalue()


# ----------------------------------------------------------------------------------------------- public documents
def corpus_html(text: str) -> bytes:
    """A public document as a CMS page: the first line as the heading, one <p> per paragraph."""
    from html import escape

    paras = [p.strip() for p in text.splitlines() if p.strip()]
    if not paras:
        return html("")
    body = f"<h1>{escape(paras[0])}</h1>" + "".join(f"<p>{escape(p)}</p>" for p in paras[1:])
    return html(body)


def corpus_pdf(text: str) -> bytes:
    """The same document printed to PDF by Chromium (embedded subset fonts, as most published PDFs are made)."""
    from reviewer.render.convert import html_to_pdf

    return html_to_pdf(corpus_html(text).decode(), 60).pdf


def annotated_pdf(shown: str, subtype: str = "Stamp", hidden: bool = False) -> bytes:
    """A text PDF with one annotation (Stamp, FreeText, Square, Widget …) whose own appearance stream draws `shown`:
    a viewer draws it on the page, the page's text layer and the text extraction do not contain it."""
    from pypdf import PdfReader, PdfWriter
    from pypdf.generic import ArrayObject, DictionaryObject, FloatObject, NameObject, NumberObject, StreamObject
    from pypdf.generic import TextStringObject as Str

    base = text_pdf(["关于做好春季防汛工作的通知", "各区县人民政府：现将有关事项通知如下。"], lies={c: c for c in shown})
    writer = PdfWriter()
    writer.append(PdfReader(io.BytesIO(base)))
    page = writer.pages[0]
    font = page["/Resources"]["/Font"]["/F1"]
    ap = StreamObject()
    ap.set_data(f"BT /F1 20 Tf 2 6 Td {_hex(shown)} Tj ET".encode("ascii"))
    ap.update({NameObject("/Type"): NameObject("/XObject"), NameObject("/Subtype"): NameObject("/Form"),
               NameObject("/BBox"): ArrayObject([FloatObject(0), FloatObject(0), FloatObject(260), FloatObject(30)]),
               NameObject("/Resources"): DictionaryObject({NameObject("/Font"): DictionaryObject({NameObject("/F1"): font})})})
    annot = DictionaryObject({
        NameObject("/Type"): NameObject("/Annot"), NameObject("/Subtype"): NameObject("/" + subtype),
        NameObject("/Rect"): ArrayObject([FloatObject(60), FloatObject(600), FloatObject(320), FloatObject(630)]),
        NameObject("/F"): NumberObject(4 | (2 if hidden else 0)), NameObject("/Contents"): Str("备注"),
        NameObject("/AP"): DictionaryObject({NameObject("/N"): writer._add_object(ap)})})
    page[NameObject("/Annots")] = ArrayObject([writer._add_object(annot)])
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


_FODP = """<?xml version="1.0" encoding="UTF-8"?>
<office:document xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0"
 xmlns:draw="urn:oasis:names:tc:opendocument:xmlns:drawing:1.0" xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"
 xmlns:svg="urn:oasis:names:tc:opendocument:xmlns:svg-compatible:1.0"
 xmlns:style="urn:oasis:names:tc:opendocument:xmlns:style:1.0" office:version="1.2"
 office:mimetype="application/vnd.oasis.opendocument.presentation">
 <office:master-styles><style:master-page style:name="Default"/></office:master-styles>
 <office:body><office:presentation><draw:page draw:name="p1" draw:master-page-name="Default">
  <draw:frame svg:width="20cm" svg:height="3cm" svg:x="2cm" svg:y="2cm"><draw:text-box><text:p>{slide}</text:p>
  </draw:text-box></draw:frame></draw:page></office:presentation></office:body></office:document>"""


def pptx_deck(slide: str, master: str | None = None) -> bytes:
    """A real PowerPoint deck (LibreOffice writes it from a flat ODF presentation); `master`: text in a text box on the
    slide master, which every slide shows although no slide holds it."""
    import re
    import subprocess
    import tempfile
    from pathlib import Path

    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "deck.fodp"
        src.write_text(_FODP.format(slide=slide), encoding="utf-8")
        subprocess.run(["soffice", "--headless", f"-env:UserInstallation=file://{tmp}/profile", "--convert-to", "pptx",
                        "--outdir", tmp, str(src)], check=True, capture_output=True, timeout=120)
        data = (Path(tmp) / "deck.pptx").read_bytes()
    if master is None:
        return data
    box = ('<p:sp><p:nvSpPr><p:cNvPr id="99" name="TextBox 99"/><p:cNvSpPr txBox="1"/><p:nvPr/></p:nvSpPr><p:spPr>'
           '<a:xfrm><a:off x="720000" y="4320000"/><a:ext cx="7200000" cy="900000"/></a:xfrm><a:prstGeom prst="rect">'
           '<a:avLst/></a:prstGeom></p:spPr><p:txBody><a:bodyPr/><a:p><a:r><a:rPr lang="zh-CN" sz="3200"/>'
           f"<a:t>{master}</a:t></a:r></a:p></p:txBody></p:sp>")
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as zin, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zout:
        for item in zin.infolist():
            part = zin.read(item.filename)
            if item.filename == "ppt/slideMasters/slideMaster1.xml":
                part = re.sub(rb"(</p:grpSpPr>)", lambda mo: mo.group(1) + box.encode(), part, count=1)
            zout.writestr(item, part)
    return out.getvalue()
