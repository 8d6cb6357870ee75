"""Text a picture carries besides its pixels, in JPEG (APP1 EXIF and XMP with extended XMP, APP13 IPTC, COM), PNG
(tEXt, zTXt, iTXt, eXIf), TIFF and WebP (EXIF, XMP chunks), standalone or inside a document; the structures
themselves are read in exif.py. A camera's GPS position is a finding of its own (`photo_location`, review): a published
photo tells where it was taken (a facility, a person's home).

Our own small readers, not a full image library: every length and offset is checked, and a picture whose metadata
structure is damaged is an ExtractionError (a standalone picture is then `error`; a picture inside a document is an
issue), never skipped silently.
"""

from __future__ import annotations

import struct
import zlib

from reviewer.errors import ExtractionError, LimitExceeded
from reviewer.extract.exif import BROKEN, ImageMeta, Tiff, decode_text, photoshop, read_xmp
from reviewer.extract.limits import Budget
from reviewer.extract.model import Extraction, ExtractionIssue, TextPart
from reviewer.extract.parts import PartBuilder
from reviewer.scan.model import Severity

__all__ = ["ImageMeta", "read_xmp", "read_image_meta", "image_meta_parts", "meta_parts", "extract_image", "gps_issue"]

PHOTO_LOCATION = "photo_location"
PHOTO_LOCATION_TITLE = "照片含拍摄位置"
PHOTO_LOCATION_CATEGORY = "位置信息"


def _jpeg(data: bytes, meta: ImageMeta, budget: Budget) -> None:
    i = 2
    extended: dict[bytes, dict[int, bytes]] = {}
    while i < len(data):
        budget.check_time()
        if data[i] != 0xFF:
            raise ExtractionError(BROKEN + "（JPEG 段结构异常）")
        marker = data[i + 1] if i + 1 < len(data) else 0
        if marker == 0xFF:  # fill byte
            i += 1
            continue
        if marker in (0xD8, 0x01) or 0xD0 <= marker <= 0xD7:
            i += 2
            continue
        if marker in (0xD9, 0xDA):  # end of image, start of scan: no metadata after it
            break
        if i + 4 > len(data):
            raise ExtractionError(BROKEN + "（JPEG 被截断）")
        size = int.from_bytes(data[i + 2 : i + 4], "big")
        body = data[i + 4 : i + 2 + size]
        if size < 2 or len(body) != size - 2:
            raise ExtractionError(BROKEN + "（JPEG 被截断）")
        if marker == 0xE1 and body.startswith(b"Exif\x00"):
            Tiff(body[6:], meta, budget).read()
        elif marker == 0xE1 and body.startswith(b"http://ns.adobe.com/xap/1.0/\x00"):
            read_xmp(body[29:], meta)
        elif marker == 0xE1 and body.startswith(b"http://ns.adobe.com/xmp/extension/\x00"):
            rest = body[35:]
            if len(rest) >= 40:
                extended.setdefault(rest[:32], {})[int.from_bytes(rest[36:40], "big")] = rest[40:]
        elif marker == 0xED and body.startswith(b"Photoshop 3.0\x00"):
            photoshop(body[14:], meta)
        elif marker == 0xFE:
            meta.add("JPEG注释", decode_text(body))
        i += 2 + size
    for chunks in extended.values():
        read_xmp(b"".join(chunks[k] for k in sorted(chunks)), meta)


_PNG_SIG = b"\x89PNG\r\n\x1a\n"


def _inflate(raw: bytes, budget: Budget) -> bytes:
    limit = budget.limits.max_member_bytes
    d = zlib.decompressobj()
    try:
        out = d.decompress(raw, limit)
    except zlib.error as exc:
        raise ExtractionError(BROKEN + "（PNG 压缩文本损坏）") from exc
    if d.unconsumed_tail:
        raise ExtractionError("图片的压缩文本解压后超过上限，拒绝处理")
    budget.add_unzipped(len(out))
    return out


def _png(data: bytes, meta: ImageMeta, budget: Budget) -> None:
    i = 8
    while i < len(data):
        budget.check_time()
        if i + 12 > len(data):
            raise ExtractionError(BROKEN + "（PNG 被截断）")
        size = int.from_bytes(data[i : i + 4], "big")
        kind = data[i + 4 : i + 8]
        body = data[i + 8 : i + 8 + size]
        if len(body) != size or i + 12 + size > len(data):
            raise ExtractionError(BROKEN + "（PNG 被截断）")
        (crc,) = struct.unpack(">I", data[i + 8 + size : i + 12 + size])
        if zlib.crc32(kind + body) != crc:
            raise ExtractionError(BROKEN + "（PNG 数据块校验失败）")
        if kind == b"tEXt":
            key, _, value = body.partition(b"\x00")
            meta.add(f"PNG文本:{key.decode('latin-1')}", decode_text(value))
        elif kind == b"zTXt":
            key, _, value = body.partition(b"\x00")
            meta.add(f"PNG文本:{key.decode('latin-1')}", decode_text(_inflate(value[1:], budget)))
        elif kind == b"iTXt":
            key, _, rest = body.partition(b"\x00")
            if len(rest) < 2:
                raise ExtractionError(BROKEN + "（PNG 文本块）")
            compressed, rest = rest[0], rest[2:]
            lang, _, rest = rest.partition(b"\x00")
            translated, _, value = rest.partition(b"\x00")
            value = _inflate(value, budget) if compressed else value
            name = key.decode("latin-1")
            if name == "XML:com.adobe.xmp":
                read_xmp(value, meta)
            else:
                meta.add(f"PNG文本:{name}", value.decode("utf-8", "replace"))
                meta.add(f"PNG文本:{name}", translated.decode("utf-8", "replace"))
        elif kind == b"eXIf":
            Tiff(body, meta, budget).read()
        elif kind == b"IEND":
            break
        i += 12 + size


def _webp(data: bytes, meta: ImageMeta, budget: Budget) -> None:
    declared = int.from_bytes(data[4:8], "little") + 8
    if declared > len(data):
        raise ExtractionError(BROKEN + "（WebP 被截断）")
    i = 12
    while i + 8 <= declared:
        budget.check_time()
        kind, size = data[i : i + 4], int.from_bytes(data[i + 4 : i + 8], "little")
        body = data[i + 8 : i + 8 + size]
        if len(body) != size:
            raise ExtractionError(BROKEN + "（WebP 被截断）")
        if kind == b"EXIF":
            Tiff(body[6:] if body.startswith(b"Exif\x00") else body, meta, budget).read()
        elif kind == b"XMP ":
            read_xmp(body, meta)
        i += 8 + size + (size % 2)


def read_image_meta(data: bytes, budget: Budget) -> ImageMeta:
    """The metadata of one picture; ExtractionError when its structure is damaged."""
    meta = ImageMeta()
    try:
        if data.startswith(b"\xff\xd8"):
            _jpeg(data, meta, budget)
        elif data.startswith(_PNG_SIG):
            _png(data, meta, budget)
        elif data[:4] in (b"II*\x00", b"MM\x00*"):
            meta.pages = Tiff(data, meta, budget).read()
        elif data[:4] == b"RIFF" and data[8:12] == b"WEBP":
            _webp(data, meta, budget)
    except (struct.error, IndexError, ValueError) as exc:
        raise ExtractionError(BROKEN) from exc
    return meta


def gps_text(lat: float, lon: float) -> str:
    ns = "北纬" if lat >= 0 else "南纬"
    ew = "东经" if lon >= 0 else "西经"
    return f"{ns}{abs(lat):.5f}°，{ew}{abs(lon):.5f}°"


def gps_issue(meta: ImageMeta, location: str) -> ExtractionIssue | None:
    if meta.gps is None:
        return None
    return ExtractionIssue(
        PHOTO_LOCATION, location,
        f"照片含拍摄位置（GPS 坐标 {gps_text(*meta.gps)}），公开后任何人都能读出拍摄地点；"
        "如拍摄的是单位内部、设施或个人住所，发布前应去除位置信息",
        Severity.REVIEW, category=PHOTO_LOCATION_CATEGORY, title=PHOTO_LOCATION_TITLE,
    )


def image_meta_parts(data: bytes, location: str, budget: Budget) -> tuple[list[TextPart], list[ExtractionIssue]]:
    """The metadata of a picture inside a document, located `<location> · 图片元数据（EXIF:Artist）`. Damaged metadata
    is an issue (review): the host document was read."""
    try:
        meta = read_image_meta(data, budget)
    except LimitExceeded:
        raise
    except ExtractionError as exc:
        return [], [ExtractionIssue("image_metadata_unreadable", location, f"{exc.message}，需人工核对")]
    return meta_parts(meta, location, budget)


def meta_parts(meta: ImageMeta, location: str | None, budget: Budget) -> tuple[list[TextPart], list[ExtractionIssue]]:
    prefix = f"{location} · " if location else ""
    b = PartBuilder(f"{prefix}图片元数据", budget)
    for label, text in meta.fields:
        b.add(f"{prefix}图片元数据（{label}）", text)
    part = b.build()
    issue = gps_issue(meta, location or "图片")
    return ([part] if part else []), ([issue] if issue else [])


def extract_image(data: bytes, budget: Budget) -> Extraction:
    """A picture submitted on its own: its metadata is read and scanned; its pixels are a scan each page of which
    needs review (the render check reads them by OCR and answers these notes: reviewer.render.members.READ_NOTES)."""
    meta = read_image_meta(data, budget)
    parts, issues = meta_parts(meta, None, budget)
    for n in range(1, max(1, meta.pages) + 1):
        issues.append(ExtractionIssue(
            "scanned_page", f"第{n}页",
            f"第{n}页是图片，图中文字和印章无法由文本提取核验（图片元数据已读取）；需人工查看或经显示内容核对（OCR）识别"))
    return Extraction(parts=parts, kind="image", issues=issues)
