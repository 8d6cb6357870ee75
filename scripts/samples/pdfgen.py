"""A minimal PDF writer for samples, tests and benchmarks: Chinese text in the standard Adobe-GB1 font STSong-Light
(UniGB-UCS2-H, not embedded, with a ToUnicode map so text layers extract exactly), image-only pages (scans),
text annotations, bookmarks and the document information dictionary. No dependency beyond the standard library."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Annotation:
    contents: str
    author: str = ""


@dataclass
class Page:
    lines: list[str] = field(default_factory=list)
    scanned: bool = False  # an image only: no text layer
    annotations: list[Annotation] = field(default_factory=list)


def _hex(text: str) -> str:
    return "<" + text.encode("utf-16-be").hex().upper() + ">"


def _pdf_string(text: str) -> str:
    return "<FEFF" + text.encode("utf-16-be").hex().upper() + ">"


def _tounicode(chars: set[str]) -> bytes:
    entries = sorted(c for c in chars if ord(c) <= 0xFFFF)
    body = []
    for i in range(0, len(entries), 100):
        chunk = entries[i : i + 100]
        body.append(f"{len(chunk)} beginbfchar")
        body.extend(f"<{ord(c):04X}> <{ord(c):04X}>" for c in chunk)
        body.append("endbfchar")
    return (
        "/CIDInit /ProcSet findresource begin 12 dict begin begincmap\n"
        "/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def\n"
        "/CMapName /Adobe-Identity-UCS def /CMapType 2 def\n"
        "1 begincodespacerange <0000> <FFFF> endcodespacerange\n" + "\n".join(body) + "\n"
        "endcmap CMapName currentdict /CMap defineresource pop end end"
    ).encode("ascii")


def make_pdf(pages: list[Page], info: dict[str, str] | None = None, bookmarks: list[str] | None = None) -> bytes:
    objects: list[bytes] = []

    def add(obj: bytes) -> int:
        objects.append(obj)
        return len(objects)

    def stream(dictionary: str, data: bytes) -> bytes:
        return f"<< {dictionary} /Length {len(data)} >>\nstream\n".encode() + data + b"\nendstream"

    chars = {c for p in pages for line in p.lines for c in line}
    catalog = add(b"")  # filled in last
    pages_id = add(b"")
    tounicode = add(stream("", _tounicode(chars)))
    descriptor = add(
        b"<< /Type /FontDescriptor /FontName /STSong-Light /Flags 6 /FontBBox [-25 -254 1000 880] "
        b"/ItalicAngle 0 /Ascent 880 /Descent -120 /CapHeight 880 /StemV 93 >>"
    )
    cidfont = add(
        f"<< /Type /Font /Subtype /CIDFontType0 /BaseFont /STSong-Light /CIDSystemInfo << /Registry (Adobe) "
        f"/Ordering (GB1) /Supplement 2 >> /FontDescriptor {descriptor} 0 R /DW 1000 >>".encode()
    )
    font = add(
        f"<< /Type /Font /Subtype /Type0 /BaseFont /STSong-Light /Encoding /UniGB-UCS2-H "
        f"/DescendantFonts [{cidfont} 0 R] /ToUnicode {tounicode} 0 R >>".encode()
    )
    gray = bytes((x * 7 + y * 13) % 256 for y in range(64) for x in range(64))
    image = add(stream("/Type /XObject /Subtype /Image /Width 64 /Height 64 /ColorSpace /DeviceGray /BitsPerComponent 8", gray))
    page_ids: list[int] = []
    for page in pages:
        if page.scanned:  # an image, plus any lines as a thin text layer (a stamped page number)
            stamp = "".join(f"{_hex(line)} Tj T* " for line in page.lines)
            content = f"q 495 0 0 700 50 70 cm /Im1 Do Q BT /F1 9 Tf 12 TL 280 40 Td {stamp}ET".encode("ascii")
        else:
            ops = ["BT /F1 12 Tf 16 TL 60 780 Td"]
            for line in page.lines:
                ops.append(f"{_hex(line)} Tj T*")
            ops.append("ET")
            content = "\n".join(ops).encode("ascii")
        content_id = add(stream("", content))
        annots = [
            add(
                f"<< /Type /Annot /Subtype /Text /Rect [500 700 520 720] /Contents {_pdf_string(a.contents)} "
                f"/T {_pdf_string(a.author)} >>".encode()
            )
            for a in page.annotations
        ]
        annots_entry = f"/Annots [{' '.join(f'{a} 0 R' for a in annots)}]" if annots else ""
        page_ids.append(
            add(
                f"<< /Type /Page /Parent {pages_id} 0 R /MediaBox [0 0 595 842] /Contents {content_id} 0 R "
                f"/Resources << /Font << /F1 {font} 0 R >> /XObject << /Im1 {image} 0 R >> >> {annots_entry} >>".encode()
            )
        )
    objects[pages_id - 1] = f"<< /Type /Pages /Kids [{' '.join(f'{p} 0 R' for p in page_ids)}] /Count {len(page_ids)} >>".encode()
    outline_entry = ""
    if bookmarks:
        outlines = add(b"")
        items = []
        for i, title in enumerate(bookmarks):
            items.append(len(objects) + 1 + i)
        for i, title in enumerate(bookmarks):
            links = f"/Parent {outlines} 0 R /Dest [{page_ids[0]} 0 R /Fit]"
            if i:
                links += f" /Prev {items[i - 1]} 0 R"
            if i + 1 < len(items):
                links += f" /Next {items[i + 1]} 0 R"
            add(f"<< /Title {_pdf_string(title)} {links} >>".encode())
        objects[outlines - 1] = f"<< /Type /Outlines /First {items[0]} 0 R /Last {items[-1]} 0 R /Count {len(items)} >>".encode()
        outline_entry = f"/Outlines {outlines} 0 R"
    objects[catalog - 1] = f"<< /Type /Catalog /Pages {pages_id} 0 R {outline_entry} >>".encode()
    info_id = add(("<< " + " ".join(f"/{k} {_pdf_string(v)}" for k, v in (info or {}).items()) + " >>").encode())

    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, obj in enumerate(objects, 1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + obj + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{off:010d} 00000 n \n".encode() for off in offsets)
    out += f"trailer\n<< /Size {len(objects) + 1} /Root {catalog} 0 R /Info {info_id} 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)
