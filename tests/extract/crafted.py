"""Small files that ask the engines for out-of-proportion work (issue 19): a PDF page that paints one text-holding
Form XObject thousands of times, nested forms, a Type3 font whose glyph draws a form, images that declare huge pixel
counts, a workbook with a million formula cells, deeply nested HTML. Each is a few KB."""

from __future__ import annotations

import io
import struct
import zipfile
import zlib


def pdf(objects: list[bytes], root: int = 1) -> bytes:
    """A PDF from object bodies (object i + 1 is objects[i]), with a correct cross-reference table."""
    out = io.BytesIO()
    out.write(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets: list[int] = []
    for i, body in enumerate(objects, 1):
        offsets.append(out.tell())
        out.write(f"{i} 0 obj\n".encode() + body + b"\nendobj\n")
    xref = out.tell()
    out.write(f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode())
    for off in offsets:
        out.write(f"{off:010d} 00000 n \n".encode())
    out.write(f"trailer\n<< /Size {len(objects) + 1} /Root {root} 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode())
    return out.getvalue()


def stream(data: bytes, extra: str = "", compress: bool = True) -> bytes:
    if compress:
        data = zlib.compress(data, 9)
        extra += " /Filter /FlateDecode"
    return f"<< /Length {len(data)}{extra} >>\nstream\n".encode() + data + b"\nendstream"


_FONT = b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"


def form_bomb_pdf(times: int = 3000, words: int = 40, depth: int = 1, name: bytes = b"/X") -> bytes:
    """One page that paints a text-holding Form XObject `times` times; with depth > 1 each form paints the next
    level `times` times (nested Form XObjects repeated)."""
    text = b"BT /F1 9 Tf 10 10 Td (" + b"SECRET " * words + b") Tj ET"
    objects: list[bytes] = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
        b"/Resources << /XObject << /X 5 0 R >> /Font << /F1 6 0 R >> >> >>",
    ]
    paint = (b"q " + name + b" Do Q\n") * times  # `name` may spell /X with #xx escapes
    objects.append(stream(paint))
    objects.append(b"")  # placeholder for 5 (the outer form)
    objects.append(_FONT)
    for level in range(depth):  # level 0 is object 5; each deeper level is appended and named by the one above
        num = 5 if level == 0 else len(objects) + 1
        inner = len(objects) + 1 if level == 0 else num + 1
        if level < depth - 1:
            body = paint
            res = f"/Resources << /XObject << /X {inner} 0 R >> /Font << /F1 6 0 R >> >>"
        else:
            body, res = text, "/Resources << /Font << /F1 6 0 R >> >>"
        obj = stream(body, f" /Type /XObject /Subtype /Form /BBox [0 0 595 842] {res}")
        if level == 0:
            objects[4] = obj
        else:
            objects.append(obj)
    return pdf(objects)


def image_pdf(width: int, height: int) -> bytes:
    """One page drawing an image XObject that declares width × height pixels (its data is a few bytes)."""
    data = zlib.compress(b"\xff" * 3000, 9)
    image = (f"<< /Type /XObject /Subtype /Image /Width {width} /Height {height} /ColorSpace /DeviceGray "
             f"/BitsPerComponent 8 /Filter /FlateDecode /Length {len(data)} >>\nstream\n").encode() + data + b"\nendstream"
    return pdf([
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R /Resources << /XObject << /I 5 0 R >> >> >>",
        stream(b"q 500 0 0 700 40 60 cm /I Do Q"),
        image,
    ])


def png_header(width: int, height: int) -> bytes:
    """A PNG that declares width × height (one tiny IDAT: the pixels are never there)."""
    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\x00" * 64)) + chunk(b"IEND", b"")


def docx_with_image(width: int, height: int) -> bytes:
    ct = ('<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
          '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
          '<Default Extension="xml" ContentType="application/xml"/><Default Extension="png" ContentType="image/png"/>'
          '<Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.'
          'wordprocessingml.document.main+xml"/></Types>')
    rels = ('<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/'
            'relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
            'relationships/officeDocument" Target="word/document.xml"/></Relationships>')
    doc_rels = ('<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/'
                '2006/relationships"><Relationship Id="rIdImg" Type="http://schemas.openxmlformats.org/officeDocument/'
                '2006/relationships/image" Target="media/image1.png"/></Relationships>')
    doc = ('<?xml version="1.0" encoding="UTF-8"?><w:document xmlns:w="http://schemas.openxmlformats.org/'
           'wordprocessingml/2006/main"><w:body><w:p><w:r><w:t>通知</w:t></w:r></w:p></w:body></w:document>')
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("[Content_Types].xml", ct)
        zf.writestr("_rels/.rels", rels)
        zf.writestr("word/document.xml", doc)
        zf.writestr("word/_rels/document.xml.rels", doc_rels)
        zf.writestr("word/media/image1.png", png_header(width, height))
    return buf.getvalue()


def xlsx_formulas(cells: int, columns: int = 100) -> bytes:
    """A workbook whose one sheet holds `cells` formula cells (=1+1), compressed to a few KB."""
    rows = []
    for r in range(1, cells // columns + 1):
        rows.append(f'<row r="{r}">' + "".join("<c><f>1+1</f></c>" for _ in range(columns)) + "</row>")
    sheet = ('<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/'
             '2006/main"><sheetData>' + "".join(rows) + "</sheetData></worksheet>")
    ct = ('<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
          '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
          '<Default Extension="xml" ContentType="application/xml"/>'
          '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.'
          'spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/'
          'vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>')
    rels = ('<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/'
            'relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
            'relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>')
    wb = ('<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/'
          'main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets>'
          '<sheet name="表1" sheetId="1" r:id="rId1"/></sheets></workbook>')
    wb_rels = ('<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/'
               '2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/'
               '2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>')
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        zf.writestr("[Content_Types].xml", ct)
        zf.writestr("_rels/.rels", rels)
        zf.writestr("xl/workbook.xml", wb)
        zf.writestr("xl/_rels/workbook.xml.rels", wb_rels)
        zf.writestr("xl/worksheets/sheet1.xml", sheet)
    return buf.getvalue()


def nested_html(depth: int = 100_000) -> bytes:
    return b"<html><body>" + b"<div>" * depth + "通知".encode() + b"</div>" * depth + b"</body></html>"


def type3_pdf(glyphs: int = 2000, proc_paints: int = 200) -> bytes:
    """One page showing `glyphs` characters in a Type3 font whose glyph procedure paints a text form `proc_paints`
    times: a few bytes of text that each run a long drawing."""
    text = b"BT /F1 9 Tf 10 10 Td (" + b"SECRET " * 20 + b") Tj ET"
    proc = b"1000 0 0 0 1000 1000 d1 " + b"q /X Do Q\n" * proc_paints
    return pdf([
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R /Resources << /Font << /T3 5 0 R >> >> >>",
        stream(b"BT /T3 12 Tf 20 800 Td (" + b"a" * glyphs + b") Tj ET"),
        b"<< /Type /Font /Subtype /Type3 /FontBBox [0 0 1000 1000] /FontMatrix [0.001 0 0 0.001 0 0] /FirstChar 97 "
        b"/LastChar 97 /Widths [1000] /Encoding << /Type /Encoding /Differences [97 /a] >> /CharProcs << /a 6 0 R >> "
        b"/Resources << /XObject << /X 7 0 R >> /Font << /F1 8 0 R >> >> >>",
        stream(proc),
        stream(text, " /Type /XObject /Subtype /Form /BBox [0 0 595 842] /Resources << /Font << /F1 8 0 R >> >>"),
        _FONT,
    ])


def hidden_after_inline_image_pdf(times: int = 3000) -> bytes:
    """Form paints after an inline image whose data holds no 'EI': a counter that skipped to the end of the stream
    looking for EI would miss them."""
    paint = b"BI /W 2 /H 2 /CS /G /BPC 8 ID \x00\x01\x02\x03 EI\n" + b"q /X Do Q\n" * times
    text = b"BT /F1 9 Tf 10 10 Td (" + b"SECRET " * 40 + b") Tj ET"
    return pdf([
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
        b"/Resources << /XObject << /X 5 0 R >> /Font << /F1 6 0 R >> >> >>",
        stream(paint),
        stream(text, " /Type /XObject /Subtype /Form /BBox [0 0 595 842] /Resources << /Font << /F1 6 0 R >> >>"),
        _FONT,
    ])


def pages_pdf(pages: int, times: int) -> bytes:
    """`pages` pages each painting one shared text form `times` times: every page under the per-page limits, the
    document far beyond what its size can justify."""
    text = b"BT /F1 9 Tf 10 10 Td (" + b"SECRET " * 40 + b") Tj ET"
    kids = " ".join(f"{7 + i} 0 R" for i in range(pages))
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        f"<< /Type /Pages /Kids [{kids}] /Count {pages} >>".encode(),
        stream(b"q /X Do Q\n" * times),
        stream(text, " /Type /XObject /Subtype /Form /BBox [0 0 595 842] /Resources << /Font << /F1 6 0 R >> >>"),
        b"<< /XObject << /X 4 0 R >> /Font << /F1 6 0 R >> >>",
        _FONT,
    ]
    for _ in range(pages):
        objects.append(b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 3 0 R /Resources 5 0 R >>")
    return pdf(objects)
