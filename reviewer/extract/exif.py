"""The metadata a picture's own structures carry, whatever the container: EXIF/TIFF IFDs (IFD0 and its chain, the
Exif and GPS sub-IFDs; ASCII text in UTF-8 or GBK, the Windows XP fields in UTF-16LE, UserComment with its 8-byte
charset header), XMP packets and IPTC-IIM datasets. Every offset and length is checked; damage is an ExtractionError.
The containers (JPEG, PNG, WebP, a TIFF file) are read in imagemeta.py."""

from __future__ import annotations

import re
import struct
from collections.abc import Callable
from dataclasses import dataclass, field

from reviewer.errors import ExtractionError
from reviewer.extract.limits import Budget

BROKEN = "图片的元数据（EXIF/XMP）结构已损坏，无法完整读取"

# EXIF tags whose value is text a person typed or a device wrote (tag -> name shown in the location)
_IFD0_TEXT = {0x010D: "DocumentName", 0x010E: "ImageDescription", 0x010F: "Make", 0x0110: "Model", 0x011D: "PageName",
              0x0131: "Software", 0x013B: "Artist", 0x013C: "HostComputer", 0x8298: "Copyright"}
_XP = {0x9C9B: "XPTitle", 0x9C9C: "XPComment", 0x9C9D: "XPAuthor", 0x9C9E: "XPKeywords", 0x9C9F: "XPSubject"}
_EXIF_TEXT = {0xA420: "ImageUniqueID", 0xA430: "CameraOwnerName", 0xA431: "BodySerialNumber", 0xA434: "LensModel",
              0xA435: "LensSerialNumber"}
_COMMENT = {0x9286: "UserComment", 0x001B: "GPSProcessingMethod", 0x001C: "GPSAreaInformation"}
_EXIF_IFD, _GPS_IFD, _XMP_TAG, _IPTC_TAG = 0x8769, 0x8825, 0x02BC, 0x83BB
_SIZES = {1: 1, 2: 1, 3: 2, 4: 4, 5: 8, 6: 1, 7: 1, 8: 2, 9: 4, 10: 8, 11: 4, 12: 8}
_MAX_IFDS = 1000
# IPTC-IIM record 2 datasets a person types (caption, headline, keywords, by-line, place names …)
_IPTC = {5: "ObjectName", 15: "Category", 20: "SupplementalCategory", 25: "Keywords", 40: "SpecialInstructions",
         80: "By-line", 85: "By-lineTitle", 90: "City", 92: "Sublocation", 95: "Province-State", 101: "Country",
         105: "Headline", 110: "Credit", 115: "Source", 116: "CopyrightNotice", 120: "Caption-Abstract",
         122: "Writer-Editor"}
_XMP_SKIP = {"image", "DocumentID", "InstanceID", "OriginalDocumentID", "DerivedFrom", "History", "Thumbnails",
             "ColorSpace", "PixelXDimension", "PixelYDimension", "format", "CreatorTool", "ModifyDate", "CreateDate",
             "MetadataDate", "documentID", "instanceID"}
_TAG = re.compile(r"<[^<>]*>")  # not `<[^>]*>`: a run of "<" would be re-read from each one
_SPACE = re.compile(r"\s+")


@dataclass(slots=True)
class ImageMeta:
    fields: list[tuple[str, str]] = field(default_factory=list)  # (label such as `EXIF:Artist`, text)
    gps: tuple[float, float] | None = None
    pages: int = 1  # frames a reader sees (a TIFF's IFD chain)
    xmp_coords: dict[str, float] = field(default_factory=dict)

    def add(self, label: str, text: str) -> None:
        text = text.replace("\x00", "").strip()
        if text and (label, text) not in self.fields:
            self.fields.append((label, text))


def decode_text(raw: bytes) -> str:
    """ASCII-typed EXIF text: cameras and Chinese software write UTF-8 or GBK into it."""
    raw = raw.split(b"\x00", 1)[0] if raw.count(b"\x00") < len(raw) // 2 else raw.replace(b"\x00", b"")
    for codec in ("utf-8", "gb18030"):
        try:
            return raw.decode(codec)
        except UnicodeDecodeError:
            continue
    return raw.decode("latin-1")


def _user_comment(raw: bytes, big_endian: bool) -> str:
    """UserComment, GPSProcessingMethod: an 8-byte charset header (ASCII, UNICODE, JIS or undefined), then text."""
    head, body = raw[:8], raw[8:]
    if head.startswith(b"UNICODE"):
        if body[:2] in (b"\xff\xfe", b"\xfe\xff"):
            return body.decode("utf-16", "replace")
        order = "utf-16-be" if big_endian else "utf-16-le"
        text = body.decode(order, "replace")
        other = body.decode("utf-16-le" if big_endian else "utf-16-be", "replace")
        return text if _plausible(text) >= _plausible(other) else other  # writers disagree on the byte order
    if head.startswith(b"JIS"):
        try:
            return body.decode("iso2022_jp")
        except UnicodeDecodeError:
            return body.decode("shift_jis", "replace")
    if head.startswith(b"ASCII"):
        return decode_text(body)
    return decode_text(body if head == b"\x00" * 8 else raw)


def _plausible(text: str) -> int:
    return sum(1 for c in text if c.isprintable() and (c.isascii() or "\u4e00" <= c <= "\u9fff" or "\u3000" <= c <= "\u303f"))


class Tiff:
    """An EXIF/TIFF block: every IFD of the chain, the Exif and GPS sub-IFDs; offsets checked, cycles refused."""

    def __init__(self, data: bytes, meta: ImageMeta, budget: Budget) -> None:
        if len(data) < 8 or data[:4] not in (b"II*\x00", b"MM\x00*"):
            raise ExtractionError(BROKEN)
        self.data, self.meta, self.budget = data, meta, budget
        self.e = "<" if data[:2] == b"II" else ">"
        self.seen: set[int] = set()

    def u(self, fmt: str, at: int) -> tuple[int, ...]:
        size = struct.calcsize(fmt)
        if at < 0 or at + size > len(self.data):
            raise ExtractionError(BROKEN)
        return struct.unpack_from(self.e + fmt, self.data, at)

    def entries(self, at: int) -> tuple[list[tuple[int, int, bytes]], int]:
        if at in self.seen or len(self.seen) > _MAX_IFDS:
            raise ExtractionError(BROKEN + "（目录循环引用）")
        self.seen.add(at)
        (count,) = self.u("H", at)
        out = []
        for i in range(count):
            tag, kind, n, inline = self.u("HHI", at + 2 + 12 * i) + (at + 2 + 12 * i + 8,)
            size = _SIZES.get(kind, 1) * n
            if size <= 4:
                value = self.data[inline : inline + size]
            else:
                (offset,) = self.u("I", inline)
                if offset + size > len(self.data):
                    raise ExtractionError(BROKEN)
                value = self.data[offset : offset + size]
            out.append((tag, kind, value))
        (following,) = self.u("I", at + 2 + 12 * count)
        return out, following

    def offset(self, kind: int, value: bytes) -> int:
        return struct.unpack(self.e + ("H" if kind == 3 else "I"), value[: 2 if kind == 3 else 4])[0]

    def read(self, first: Callable[[int, int, bytes], None] | None = None) -> int:
        """Walk IFD0 and the chain after it (pages of a TIFF, the thumbnail of an EXIF block); returns their number."""
        (at,) = self.u("I", 4)
        pages = 0
        while at:
            self.budget.check_time()
            pages += 1
            entries, at = self.entries(at)
            for tag, kind, value in entries:
                if first is not None:
                    first(tag, kind, value)
                self.tag(tag, kind, value, "EXIF")
        return pages

    def tag(self, tag: int, kind: int, value: bytes, ifd: str) -> None:
        if tag in _IFD0_TEXT and kind in (1, 2, 7):
            self.meta.add(f"EXIF:{_IFD0_TEXT[tag]}", decode_text(value))
        elif tag in _XP:
            self.meta.add(f"EXIF:{_XP[tag]}", value.decode("utf-16-le", "replace"))
        elif tag in _EXIF_TEXT and kind in (1, 2, 7):
            self.meta.add(f"EXIF:{_EXIF_TEXT[tag]}", decode_text(value))
        elif tag in _COMMENT and kind in (1, 2, 7) and (ifd == "GPS") == (tag != 0x9286):
            self.meta.add(f"EXIF:{_COMMENT[tag]}", _user_comment(value, self.e == ">"))
        elif tag == _XMP_TAG:
            read_xmp(value, self.meta)
        elif tag == _IPTC_TAG:
            read_iptc(value, self.meta)
        elif tag == _EXIF_IFD and ifd == "EXIF":
            self.sub(self.offset(kind, value), "Exif")
        elif tag == _GPS_IFD and ifd == "EXIF":
            self.gps(self.offset(kind, value))

    def sub(self, at: int, ifd: str) -> None:
        entries, _next = self.entries(at)
        for tag, kind, value in entries:
            self.tag(tag, kind, value, ifd)

    def gps(self, at: int) -> None:
        entries, _next = self.entries(at)
        got = {tag: (kind, value) for tag, kind, value in entries}
        for tag, kind, value in entries:
            self.tag(tag, kind, value, "GPS")
        try:
            lat = self.degrees(got.get(2), got.get(1), "S")
            lon = self.degrees(got.get(4), got.get(3), "W")
        except (struct.error, ZeroDivisionError):
            return
        if lat is not None and lon is not None and (abs(lat) > 1e-6 or abs(lon) > 1e-6):
            if abs(lat) <= 90 and abs(lon) <= 180:
                self.meta.gps = (lat, lon)

    def degrees(self, coord: tuple[int, bytes] | None, ref: tuple[int, bytes] | None, negative: str) -> float | None:
        if coord is None or coord[0] not in (5, 10) or len(coord[1]) < 24:
            return None
        fmt = "iiiiii" if coord[0] == 10 else "IIIIII"
        n = struct.unpack(self.e + fmt, coord[1][:24])
        value = sum((n[2 * i] / n[2 * i + 1] if n[2 * i + 1] else 0.0) / 60**i for i in range(3))
        if ref is not None and ref[1][:1].decode("latin-1").upper() == negative:
            value = -value
        return value


def read_xmp(raw: bytes, meta: ImageMeta) -> None:
    """Every property of an XMP packet with text (dc:title, dc:description, dc:creator, dc:subject, photoshop:City …),
    element or attribute; a packet that is not well-formed XML is read as marked-up text (fail closed)."""
    from reviewer.extract.ooxml import local, parse_xml

    text = raw.decode("utf-8", "replace").strip("\x00 \r\n\t")
    if not text:
        return
    try:
        root = parse_xml(text.encode("utf-8"), "图片的 XMP 元数据")
    except ExtractionError:
        meta.add("XMP", _SPACE.sub(" ", _TAG.sub(" ", text)).strip())
        return
    parent = {child: el for el in root.iter() for child in el}
    for el in root.iter():
        name = local(el.tag)
        for key, value in el.attrib.items():
            attr = local(key)
            if attr not in _XMP_SKIP and not key.startswith(_RDF) and value.strip():
                meta.add(f"XMP:{attr}", value)
                _xmp_gps(attr, value, meta)
        if el.text and el.text.strip() and name not in _XMP_SKIP:
            owner = name
            up = parent.get(el)
            if name == "li" and up is not None:  # rdf:Alt/Bag/Seq item: named after the property holding the list
                holder = parent.get(up)
                owner = local(holder.tag) if holder is not None else name
            if owner not in _XMP_SKIP:
                meta.add(f"XMP:{owner}", el.text)
                _xmp_gps(owner, el.text, meta)


_RDF = "{http://www.w3.org/1999/02/22-rdf-syntax-ns#"
_XMP_COORD = re.compile(r"^\s*(\d{1,3}),(\d{1,2}(?:\.\d+)?)(?:,(\d{1,2}(?:\.\d+)?))?\s*([NSEW])\s*$", re.I)


def _xmp_gps(name: str, value: str, meta: ImageMeta) -> None:
    """exif:GPSLatitude="39,54.44N" (degrees, decimal minutes or minutes,seconds, and the hemisphere)."""
    if name not in ("GPSLatitude", "GPSLongitude"):
        return
    m = _XMP_COORD.match(value)
    if not m:
        return
    deg = int(m.group(1)) + float(m.group(2)) / 60 + (float(m.group(3)) / 3600 if m.group(3) else 0.0)
    meta.xmp_coords[name] = -deg if m.group(4).upper() in "SW" else deg
    lat, lon = meta.xmp_coords.get("GPSLatitude"), meta.xmp_coords.get("GPSLongitude")
    if meta.gps is None and lat is not None and lon is not None and (abs(lat) > 1e-6 or abs(lon) > 1e-6):
        meta.gps = (lat, lon)


def read_iptc(raw: bytes, meta: ImageMeta) -> None:
    """IPTC-IIM datasets (0x1C record dataset length value); text in UTF-8 (or GBK when it is not)."""
    i = 0
    while i + 5 <= len(raw):
        if raw[i] != 0x1C:
            break
        record, dataset, size = raw[i + 1], raw[i + 2], int.from_bytes(raw[i + 3 : i + 5], "big")
        if size & 0x8000:  # extended length: not used for text
            raise ExtractionError(BROKEN + "（IPTC）")
        value = raw[i + 5 : i + 5 + size]
        if len(value) < size:
            raise ExtractionError(BROKEN + "（IPTC）")
        if record == 2 and dataset in _IPTC:
            meta.add(f"IPTC:{_IPTC[dataset]}", decode_text(value))
        i += 5 + size


def photoshop(raw: bytes, meta: ImageMeta) -> None:
    """APP13 "Photoshop 3.0" image resources; resource 0x0404 holds IPTC-IIM."""
    i = 0
    while i + 12 <= len(raw) and raw[i : i + 4] == b"8BIM":
        rid = int.from_bytes(raw[i + 4 : i + 6], "big")
        name_len = raw[i + 6]
        j = i + 6 + 1 + name_len + ((1 + name_len) % 2)
        if j + 4 > len(raw):
            raise ExtractionError(BROKEN + "（Photoshop 资源）")
        size = int.from_bytes(raw[j : j + 4], "big")
        body = raw[j + 4 : j + 4 + size]
        if len(body) < size:
            raise ExtractionError(BROKEN + "（Photoshop 资源）")
        if rid == 0x0404:
            read_iptc(body, meta)
        i = j + 4 + size + (size % 2)
