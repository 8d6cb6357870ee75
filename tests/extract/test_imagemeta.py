"""Image metadata (issue 22): EXIF, XP fields, UserComment, XMP, IPTC, PNG text in standalone pictures and pictures
inside documents are scanned with Chinese locations; a GPS position is its own finding; damaged metadata fails closed."""

from __future__ import annotations

import io
import struct
import zlib

import pytest
from PIL import Image
from PIL.TiffImagePlugin import IFDRational

from reviewer.extract import extract
from tests.extract.helpers import docx_with_body, zip_of
from tests.extract.places import CLEAN, PLANTS, counting, hits, scan

PAGE_NOTE = ("extract.scanned_page",)


def _exif(fields: dict[int, bytes], exif: dict[int, bytes] | None = None, gps: bool = False) -> Image.Exif:
    ex = Image.Exif()
    ex[0x010F] = b"Camera"  # Pillow leaves out an EXIF block whose IFD0 is empty
    for tag, value in fields.items():
        ex[tag] = value
    for tag, value in (exif or {}).items():
        ex.get_ifd(0x8769)[tag] = value
    if gps:
        g = ex.get_ifd(0x8825)
        g[1], g[3] = "N", "E"
        g[2] = (IFDRational(31), IFDRational(13), IFDRational(4410, 100))
        g[4] = (IFDRational(121), IFDRational(28), IFDRational(1820, 100))
    return ex


def picture(fmt: str, ex: Image.Exif | None = None, **info: object) -> bytes:
    buf = io.BytesIO()
    kwargs: dict[str, object] = {"exif": ex} if ex is not None else {}
    kwargs.update(info)
    Image.new("RGB", (8, 8), "white").save(buf, fmt, **kwargs)
    return buf.getvalue()


def _utf16(text: str) -> bytes:
    return text.encode("utf-16-le") + b"\0\0"


# (place, how to plant text there, location it must be reported at)
PLACES = {
    "ImageDescription": (lambda t: _exif({0x010E: t.encode()}), "图片元数据（EXIF:ImageDescription）"),
    "Artist (GBK)": (lambda t: _exif({0x013B: t.encode("gbk")}), "图片元数据（EXIF:Artist）"),
    "Copyright": (lambda t: _exif({0x8298: t.encode()}), "图片元数据（EXIF:Copyright）"),
    "XPTitle": (lambda t: _exif({0x9C9B: _utf16(t)}), "图片元数据（EXIF:XPTitle）"),
    "XPComment": (lambda t: _exif({0x9C9C: _utf16(t)}), "图片元数据（EXIF:XPComment）"),
    "XPAuthor": (lambda t: _exif({0x9C9D: _utf16(t)}), "图片元数据（EXIF:XPAuthor）"),
    "XPKeywords": (lambda t: _exif({0x9C9E: _utf16(t)}), "图片元数据（EXIF:XPKeywords）"),
    "XPSubject": (lambda t: _exif({0x9C9F: _utf16(t)}), "图片元数据（EXIF:XPSubject）"),
    "UserComment UNICODE": (lambda t: _exif({}, {0x9286: b"UNICODE\0" + t.encode("utf-16-le")}),
                            "图片元数据（EXIF:UserComment）"),
    "UserComment ASCII": (lambda t: _exif({}, {0x9286: b"ASCII\0\0\0" + t.encode()}), "图片元数据（EXIF:UserComment）"),
    "UserComment undefined": (lambda t: _exif({}, {0x9286: b"\0" * 8 + t.encode("gbk")}), "图片元数据（EXIF:UserComment）"),
}


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP"])
@pytest.mark.parametrize("place", list(PLACES))
@pytest.mark.parametrize("plant", list(PLANTS))
def test_exif_text_is_scanned_and_located(fmt: str, place: str, plant: str) -> None:
    text, rule = PLANTS[plant]
    build, where = PLACES[place]
    result = scan(picture(fmt, build(f"说明：{text}")), f"照片.{fmt.lower()}")
    assert result.error is None
    found = hits(result, rule)
    assert found and found[0].location == where, result.findings
    clean = scan(picture(fmt, build(CLEAN)), f"照片.{fmt.lower()}")
    assert clean.error is None and counting(clean, PAGE_NOTE) == []


def _xmp(inner: str) -> bytes:
    return (
        '<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?><x:xmpmeta xmlns:x="adobe:ns:meta/">'
        '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description rdf:about="" '
        'xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:photoshop="http://ns.adobe.com/photoshop/1.0/" '
        f'xmlns:exif="http://ns.adobe.com/exif/1.0/">{inner}</rdf:Description></rdf:RDF></x:xmpmeta>'
        '<?xpacket end="w"?>'
    ).encode()


XMP_PLACES = {
    "dc:title": ('<dc:title><rdf:Alt><rdf:li xml:lang="x-default">{t}</rdf:li></rdf:Alt></dc:title>', "XMP:title"),
    "dc:description": ('<dc:description><rdf:Alt><rdf:li xml:lang="zh-CN">{t}</rdf:li></rdf:Alt></dc:description>',
                       "XMP:description"),
    "dc:creator": ("<dc:creator><rdf:Seq><rdf:li>{t}</rdf:li></rdf:Seq></dc:creator>", "XMP:creator"),
    "dc:subject": ("<dc:subject><rdf:Bag><rdf:li>会议</rdf:li><rdf:li>{t}</rdf:li></rdf:Bag></dc:subject>", "XMP:subject"),
    "photoshop:Headline": ("<photoshop:Headline>{t}</photoshop:Headline>", "XMP:Headline"),
}


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP"])
@pytest.mark.parametrize("place", list(XMP_PLACES))
def test_xmp_properties_are_scanned(fmt: str, place: str) -> None:
    template, label = XMP_PLACES[place]
    for plant, (text, rule) in PLANTS.items():
        packet = _xmp(template.format(t=f"说明：{text}"))
        data = picture(fmt, xmp=packet) if fmt != "PNG" else _png_with(b"iTXt", b"XML:com.adobe.xmp\0\0\0\0\0" + packet)
        result = scan(data, "图.img")
        found = hits(result, rule)
        assert found and found[0].location == f"图片元数据（{label}）", (plant, result.findings)
    clean = picture("JPEG", xmp=_xmp(template.format(t=CLEAN)))
    assert counting(scan(clean, "图.jpg"), PAGE_NOTE) == []


def _png_with(kind: bytes, body: bytes) -> bytes:
    data = picture("PNG")
    chunk = struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
    return data[:33] + chunk + data[33:]  # after IHDR


@pytest.mark.parametrize("kind", ["tEXt", "zTXt", "iTXt"])
def test_png_text_chunks(kind: str) -> None:
    for text, rule in PLANTS.values():
        value = f"说明：{text}"
        body = {"tEXt": b"Comment\0" + value.encode("gbk"),
                "zTXt": b"Description\0\0" + zlib.compress(value.encode()),
                "iTXt": b"Title\0\0\0zh\0\0" + value.encode()}[kind]
        result = scan(_png_with(kind.encode(), body), "a.png")
        found = hits(result, rule)
        assert found and found[0].location.startswith("图片元数据（PNG文本:"), result.findings


def test_jpeg_comment_and_iptc_caption() -> None:
    base = picture("JPEG")
    com = "说明：玄鸟工程".encode()
    with_com = base[:2] + b"\xff\xfe" + struct.pack(">H", len(com) + 2) + com + base[2:]
    assert hits(scan(with_com, "a.jpg"), "org-project-codes")[0].location == "图片元数据（JPEG注释）"
    caption = "说明：秘密★10年".encode()
    iptc = b"\x1c\x02\x78" + struct.pack(">H", len(caption)) + caption
    resource = b"8BIM\x04\x04\x00\x00" + struct.pack(">I", len(iptc)) + iptc + b"\0" * (len(iptc) % 2)
    app13 = b"Photoshop 3.0\0" + resource
    with_iptc = base[:2] + b"\xff\xed" + struct.pack(">H", len(app13) + 2) + app13 + base[2:]
    found = hits(scan(with_iptc, "a.jpg"), "classification-marking")
    assert found and found[0].location == "图片元数据（IPTC:Caption-Abstract）"


def test_tiff_every_page_and_sub_ifds() -> None:
    ex = _exif({0x010E: "说明：玄鸟工程".encode()}, {0x9286: b"UNICODE\0" + "秘密★10年".encode("utf-16-le")}, gps=True)
    block = ex.tobytes()
    tiff = block[6:]  # after "Exif\0\0": a TIFF header and its IFDs (big-endian)
    result = scan(tiff, "扫描.tif")
    assert hits(result, "org-project-codes") and hits(result, "classification-marking")
    assert [f.location for f in result.findings if f.rule == "extract.photo_location"] == ["图片"]


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP"])
def test_gps_position_is_its_own_finding(fmt: str) -> None:
    result = scan(picture(fmt, _exif({0x010E: CLEAN.encode()}, gps=True)), "现场.jpg")
    gps = [f for f in result.findings if f.rule == "extract.photo_location"]
    assert len(gps) == 1 and str(gps[0].severity) == "review"
    assert gps[0].rule_title == "照片含拍摄位置" and gps[0].category == "位置信息"
    assert "北纬31.2" in gps[0].message and "东经121.4" in gps[0].message
    no_gps = scan(picture(fmt, _exif({0x010E: CLEAN.encode()})), "现场.jpg")
    assert not [f for f in no_gps.findings if f.rule == "extract.photo_location"]


def test_xmp_gps_position() -> None:
    packet = _xmp('<exif:GPSLatitude>39,54.440N</exif:GPSLatitude><exif:GPSLongitude>116,23.500E</exif:GPSLongitude>')
    result = scan(picture("JPEG", xmp=packet), "a.jpg")
    assert [f.rule for f in result.findings if f.rule == "extract.photo_location"] == ["extract.photo_location"]


def test_standalone_picture_is_never_a_pass() -> None:
    """Its pixels are not read by text extraction: a clean picture is `review` (scanned page), not `pass`."""
    result = scan(picture("PNG"), "a.png")
    assert str(result.verdict) == "review"
    assert [f.rule for f in result.findings] == ["extract.scanned_page"] and result.findings[0].location == "第1页"


@pytest.mark.parametrize("cut", [10, 40, 80])
def test_damaged_metadata_fails_closed(cut: int) -> None:
    data = picture("JPEG", _exif({0x010E: "说明".encode()}))
    start = data.index(b"Exif\0\0") + 6
    broken = bytearray(data)
    # point IFD0 far outside the block
    broken[start + 4 : start + 8] = struct.pack("<I", 0xFFFFF0) if data[start:start + 2] == b"II" else struct.pack(">I", 0xFFFFF0)
    assert extract(bytes(broken), "a.jpg").error is not None
    truncated = data[: data.index(b"Exif\0\0") + cut]
    assert extract(truncated, "a.jpg").error is not None
    bad_crc = bytearray(_png_with(b"tEXt", b"Comment\0x"))
    bad_crc[45] ^= 0xFF
    assert extract(bytes(bad_crc), "a.png").error is not None


def test_ifd_cycle_is_refused() -> None:
    tiff = b"II*\x00" + struct.pack("<I", 8) + struct.pack("<H", 0) + struct.pack("<I", 8)
    assert "循环" in (extract(tiff, "a.tif").error or "")


@pytest.mark.parametrize("plant", list(PLANTS))
def test_pictures_inside_documents(plant: str) -> None:
    text, rule = PLANTS[plant]
    jpeg = picture("JPEG", _exif({0x9C9C: _utf16(f"说明：{text}")}, gps=True))
    body = f"<w:p><w:r><w:t>{CLEAN}</w:t></w:r></w:p>"
    docx = docx_with_body(body, {"word/media/image1.jpeg": jpeg})
    result = scan(docx, "a.docx")
    found = hits(result, rule)
    assert found and found[0].location == "图片“image1.jpeg” · 图片元数据（EXIF:XPComment）"
    assert [f.location for f in result.findings if f.rule == "extract.photo_location"] == ["图片“image1.jpeg”"]
    clean = docx_with_body(body, {"word/media/image1.jpeg": picture("JPEG", _exif({0x9C9C: _utf16(CLEAN)}))})
    assert counting(scan(clean, "a.docx")) == []


def test_picture_in_archive_is_read_for_metadata() -> None:
    jpeg = picture("JPEG", _exif({0x010E: "说明：玄鸟工程".encode()}))
    result = scan(zip_of({"现场/照片.jpg": jpeg}), "附件.zip")
    found = hits(result, "org-project-codes")
    assert found and found[0].location == "压缩包“附件.zip” › 现场/照片.jpg · 图片元数据（EXIF:ImageDescription）"


def test_bm_text_is_still_text() -> None:
    assert extract("BMW 车辆采购公告：玄鸟工程".encode(), "a.txt").kind == "text"


def test_mutated_metadata_is_read_or_refused_never_a_crash() -> None:
    """Random damage to EXIF/XMP/PNG/WebP structures: the reader returns metadata or raises ExtractionError (a Chinese
    message), never another exception (which `extract` would turn into a generic error without the cause)."""
    import random

    from reviewer.errors import ExtractionError
    from reviewer.extract.imagemeta import read_image_meta
    from reviewer.extract.limits import DEFAULT_LIMITS, Budget

    ex = _exif({0x010E: "说明".encode(), 0x9C9C: _utf16("备注")}, {0x9286: b"UNICODE\0" + "注释".encode("utf-16-le")}, gps=True)
    seeds = [picture(fmt, ex) for fmt in ("JPEG", "PNG", "WEBP")]
    block = ex.tobytes()[6:]
    seeds.append(block)
    rng = random.Random(22)
    for _ in range(600):
        data = bytearray(rng.choice(seeds))
        for _ in range(rng.randrange(1, 6)):
            at = rng.randrange(min(len(data), 400))
            data[at] = rng.randrange(256)
        if rng.random() < 0.2:
            data = data[: rng.randrange(8, len(data))]
        try:
            read_image_meta(bytes(data), Budget(DEFAULT_LIMITS))
        except ExtractionError:
            pass


@pytest.mark.parametrize("plant", list(PLANTS))
def test_picture_inlined_in_a_web_page(plant: str) -> None:
    import base64

    text, rule = PLANTS[plant]

    def page(description: str, gps: bool) -> bytes:
        jpeg = base64.b64encode(picture("JPEG", _exif({0x010E: description.encode()}, gps=gps))).decode()
        return f'<html><body><p>{CLEAN}</p><img alt="图" src="data:image/jpeg;base64,{jpeg}"></body></html>'.encode()

    result = scan(page(f"说明：{text}", True), "a.html")
    found = hits(result, rule)
    assert found and found[0].location == "内嵌数据（data: URI，<img>） · 图片元数据（EXIF:ImageDescription）"
    assert [f.location for f in result.findings if f.rule == "extract.photo_location"] == ["内嵌数据（data: URI，<img>）"]
    assert counting(scan(page(CLEAN, False), "a.html")) == []


def test_thumbnail_outside_the_media_folder() -> None:
    jpeg = picture("JPEG", _exif({0x9C9F: _utf16("说明：玄鸟工程")}))
    docx = docx_with_body(f"<w:p><w:r><w:t>{CLEAN}</w:t></w:r></w:p>", {"docProps/thumbnail.jpeg": jpeg})
    assert hits(scan(docx, "a.docx"), "org-project-codes")[0].location == "图片“thumbnail.jpeg” · 图片元数据（EXIF:XPSubject）"


def test_every_page_of_a_tiff_is_a_page_to_read() -> None:
    buf = io.BytesIO()
    pages = [Image.new("RGB", (8, 8), "white") for _ in range(3)]
    pages[0].save(buf, "TIFF", save_all=True, append_images=pages[1:])
    result = scan(buf.getvalue(), "扫描件.tif")
    assert [f.location for f in result.findings if f.rule == "extract.scanned_page"] == ["第1页", "第2页", "第3页"]
