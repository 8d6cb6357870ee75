"""Archives (.zip, .7z) are read member by member, recursively; anything in them that cannot be read makes the whole
input an error; zip bombs of every shape are refused without inflating them into memory."""

from __future__ import annotations

import io
import struct
import tracemalloc
import zipfile
import zlib

import pytest

from reviewer.extract import Limits, extract
from tests.extract.helpers import Page, docx_with_body, locations_of, make_pdf, zip_of

TERM = "沙洲七号"
DOCX = docx_with_body(f"<w:p><w:r><w:t>关于{TERM}的说明</w:t></w:r></w:p>")


def _zip(files: dict[str, bytes], *, utf8_names: bool = True) -> bytes:
    """A zip; with utf8_names=False the names are GBK bytes without the UTF-8 flag, as Chinese Windows writes them."""
    out = io.BytesIO()
    placeholders: dict[bytes, bytes] = {}
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        for i, (name, content) in enumerate(files.items()):
            if not utf8_names:
                raw = name.encode("gbk")
                placeholder = f"n{i}".encode().ljust(len(raw), b"_")
                placeholders[placeholder] = raw
                name = placeholder.decode()
            zf.writestr(name, content)
    data = out.getvalue()
    for placeholder, raw in placeholders.items():
        data = data.replace(placeholder, raw)
    return data


def test_every_member_is_read_with_its_path_and_own_places() -> None:
    data = _zip(
        {
            "通知/正文.docx": DOCX,
            "通知/附表.txt": f"附表：{TERM}经费".encode("gb18030"),
            "扫描/报告.pdf": make_pdf([Page(["第一页"]), Page([f"第二页{TERM}"])]),
        }
    )
    result = extract(data, "附件.zip")
    assert result.error is None and result.kind == "archive"
    assert sorted(locations_of(result, TERM)) == [
        "压缩包“附件.zip” › 扫描/报告.pdf · 第2页",
        "压缩包“附件.zip” › 通知/正文.docx · 正文 第1段",
        "压缩包“附件.zip” › 通知/附表.txt · 正文",
    ]


def test_archive_inside_archive_continues_the_chain() -> None:
    inner = _zip({"说明/内容.txt": f"内层{TERM}".encode()})
    result = extract(_zip({"外层/包.zip": inner}), "材料.zip")
    assert locations_of(result, TERM) == ["压缩包“材料.zip” › 外层/包.zip › 说明/内容.txt · 正文"]


def test_member_names_are_scanned_and_gbk_names_decoded() -> None:
    result = extract(_zip({f"{TERM}试验数据.txt": b"plain"}, utf8_names=False), "a.zip")
    assert result.error is None
    assert locations_of(result, TERM) == [f"压缩包“a.zip” › {TERM}试验数据.txt（文件名）"]


def test_seven_zip_is_read() -> None:
    py7zr = pytest.importorskip("py7zr")
    out = io.BytesIO()
    with py7zr.SevenZipFile(out, "w") as archive:
        archive.writestr(f"目录内{TERM}".encode(), "资料/说明.txt")
        archive.writestr(DOCX, "资料/正文.docx")
    result = extract(out.getvalue(), "资料.7z")
    assert result.error is None
    assert sorted(locations_of(result, TERM)) == [
        "压缩包“资料.7z” › 资料/正文.docx · 正文 第1段",
        "压缩包“资料.7z” › 资料/说明.txt · 正文",
    ]


def test_encrypted_seven_zip_is_an_error() -> None:
    py7zr = pytest.importorskip("py7zr")
    out = io.BytesIO()
    with py7zr.SevenZipFile(out, "w", password="secret") as archive:
        archive.writestr(b"x", "a.txt")
    result = extract(out.getvalue(), "p.7z")
    assert result.error and "加密" in result.error and not result.parts


def test_clean_archive_passes_with_no_issue() -> None:
    result = extract(_zip({"a/说明.txt": "一般性说明".encode(), "b.docx": docx_with_body("<w:p><w:r><w:t>普通</w:t></w:r></w:p>")}), "ok.zip")
    assert result.error is None and result.issues == []


def _encrypted_member_zip() -> bytes:
    """A zip whose second member has the 'encrypted' flag (traditional PKWARE encryption)."""
    data = bytearray(_zip({"a.txt": b"clear", f"{TERM}/b.txt": b"secret data"}))
    for sig, flag_offset in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        positions = [i for i in range(len(data)) if data.startswith(sig, i)]
        i = positions[1]
        data[i + flag_offset] |= 0x1
    return bytes(data)


def test_encrypted_member_makes_the_whole_input_an_error_without_naming_it() -> None:
    result = extract(_encrypted_member_zip(), "附件.zip")
    assert result.error and "加密" in result.error and not result.parts
    assert TERM not in result.error and "b.txt" not in result.error


def test_unreadable_member_is_an_error_that_names_neither_member_nor_text() -> None:
    broken = docx_with_body("<w:p><w:r><w:t>x</w:t></w:r></w:p>")[:-40]  # a truncated DOCX
    result = extract(_zip({"正常.txt": b"ok", f"材料/{TERM}报告.docx": broken}), "附件.zip")
    assert result.error and "第 2 个文件" in result.error and not result.parts
    assert TERM not in result.error and "报告" not in result.error and "材料" not in result.error


def test_damaged_picture_member_is_an_error() -> None:
    """A picture member is read for its metadata (test_imagemeta.py); one whose structure is damaged fails the archive."""
    result = extract(_zip({"图.png": b"\x89PNG\r\n\x1a\n" + b"\x00" * 30}), "附件.zip")
    assert result.error and "PNG" in result.error


def test_rar_is_a_clear_error() -> None:
    result = extract(b"Rar!\x1a\x07\x01\x00" + b"\x00" * 40, "a.rar")
    assert result.error and "RAR" in result.error and "ZIP" in result.error


def _patch_declared_sizes(data: bytes, size: int) -> bytes:
    out = bytearray(data)
    for sig, offset in ((b"PK\x03\x04", 22), (b"PK\x01\x02", 24)):
        i = out.find(sig)
        while i >= 0:
            out[i + offset : i + offset + 4] = size.to_bytes(4, "little")
            i = out.find(sig, i + 4)
    return bytes(out)


def _lying_bomb(real: int, declared: int, name: str = "word/media/image1.png") -> bytes:
    """A member that declares `declared` bytes (and the CRC of that prefix) but inflates to `real` bytes."""
    payload = b"\x00" * real
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    raw = compressor.compress(payload) + compressor.flush()
    crc = zlib.crc32(payload[:declared])
    name_b = name.encode()
    local = struct.pack("<4sHHHHHIIIHH", b"PK\x03\x04", 20, 0, 8, 0, 0, crc, len(raw), declared, len(name_b), 0) + name_b
    doc = DOCX_PARTS
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        for n, content in doc.items():
            zf.writestr(n, content)
    base = out.getvalue()
    cd_start = base.find(b"PK\x01\x02")
    end = base.find(b"PK\x05\x06")
    entries, old_cd = struct.unpack("<HI", base[end + 10 : end + 16])[0], base[cd_start:end]
    offset = cd_start
    central = struct.pack(
        "<4sHHHHHHIIIHHHHHII", b"PK\x01\x02", 20, 20, 0, 8, 0, 0, crc, len(raw), declared, len(name_b), 0, 0, 0, 0, 0, offset
    ) + name_b
    body = base[:cd_start] + local + raw
    cd = old_cd + central
    eocd = struct.pack("<4sHHHHIIH", b"PK\x05\x06", 0, 0, entries + 1, entries + 1, len(cd), len(body), 0)
    return body + cd + eocd


DOCX_PARTS = {
    "[Content_Types].xml": "<Types xmlns='http://schemas.openxmlformats.org/package/2006/content-types'/>",
    "word/document.xml": '<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>'
    "<w:p><w:r><w:t>普通文字</w:t></w:r></w:p></w:body></w:document>",
}


def test_docx_media_member_that_inflates_far_past_its_declared_size_is_an_error_in_little_memory() -> None:
    bomb = _lying_bomb(real=300_000_000, declared=2048)
    assert len(bomb) < 1_000_000
    tracemalloc.start()
    try:
        result = extract(bomb, "report.docx")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert result.error and "压缩炸弹" in result.error and not result.parts
    assert peak < 40_000_000, peak
    assert "image1" not in result.error


def test_same_bomb_inside_an_archive_is_an_error() -> None:
    bomb = _lying_bomb(real=50_000_000, declared=100, name="data.bin")
    result = extract(_zip({"a.txt": b"ok", "inner.docx": bomb}), "x.zip")
    assert result.error and "压缩炸弹" in result.error


def test_damaged_media_member_in_docx_is_an_error_not_skipped() -> None:
    good = zip_of({**DOCX_PARTS, "word/media/image1.png": b"\x89PNG" + b"\x01" * 5000})
    data = bytearray(good)
    i = data.find(b"\x01\x01\x01\x01", data.find(b"word/media/image1.png"))
    if i < 0:  # deflated: damage the compressed bytes right after the local header's name instead
        i = data.find(b"word/media/image1.png") + len("word/media/image1.png") + 4
    data[i] ^= 0xFF
    result = extract(bytes(data), "a.docx")
    assert result.error and not result.parts


def test_overlapping_entries_are_refused() -> None:
    """The 'better zip bomb' shape: several directory entries point at the same compressed data."""
    base = _zip({"a.txt": b"A" * 10000})
    cd_start = base.find(b"PK\x01\x02")
    end = base.find(b"PK\x05\x06")
    entry = base[cd_start:end]
    cd = entry * 6
    eocd = struct.pack("<4sHHHHIIH", b"PK\x05\x06", 0, 0, 6, 6, len(cd), cd_start, 0)
    result = extract(base[:cd_start] + cd + eocd, "overlap.zip")
    assert result.error and "重叠" in result.error and not result.parts
    renamed = entry[:46] + b"b.txt" + entry[51:]  # another name for the same data: the local header disagrees
    cd = entry + renamed
    eocd = struct.pack("<4sHHHHIIH", b"PK\x05\x06", 0, 0, 2, 2, len(cd), cd_start, 0)
    result = extract(base[:cd_start] + cd + eocd, "overlap.zip")
    assert result.error and not result.parts


def test_nested_bomb_trips_the_total_limit() -> None:
    layer = _zip({f"f{i}.txt": b"0" * 200_000 for i in range(10)})
    for _ in range(2):
        layer = _zip({f"z{i}.zip": layer for i in range(10)})
    assert len(layer) < 2_000_000
    result = extract(layer, "42.zip", Limits(max_unzipped_bytes=20_000_000, max_archive_members=100_000))
    assert result.error and not result.parts


def test_depth_limit() -> None:
    data = _zip({"a.txt": b"x"})
    for i in range(4):
        data = _zip({f"level{i}.zip": data})
    result = extract(data, "deep.zip", Limits(max_archive_depth=3))
    assert result.error and "嵌套" in result.error
    assert extract(data, "deep.zip", Limits(max_archive_depth=6)).error is None


def test_member_count_limit() -> None:
    data = _zip({f"f{i}.txt": b"x" for i in range(30)})
    result = extract(data, "many.zip", Limits(max_archive_members=20))
    assert result.error and "上限" in result.error


def test_declared_member_size_limit() -> None:
    data = _zip({"big.txt": b"a" * 100_000})
    result = extract(data, "big.zip", Limits(max_member_bytes=50_000))
    assert result.error and "上限" in result.error


def test_archive_in_document_scan_finds_markings() -> None:
    from reviewer import Scanner
    from reviewer.document import scan_document

    scanner = Scanner.load()
    result = scan_document(scanner, _zip({"子目录/文件.docx": docx_with_body("<w:p><w:r><w:t>机密★10年</w:t></w:r></w:p>")}), "附件.zip")
    assert result.error is None
    assert any(f.location == "压缩包“附件.zip” › 子目录/文件.docx · 正文 第1段" for f in result.findings)


def test_seven_zip_inside_a_zip_trips_the_shared_budget_while_inflating() -> None:
    """The 7z declares less than the limit, but the outer archive already used most of it: the capped writer stops
    the 7z decoder mid-way (the declared-size check alone would let it through)."""
    py7zr = pytest.importorskip("py7zr")
    out = io.BytesIO()
    with py7zr.SevenZipFile(out, "w") as archive:
        archive.writestr(b"0" * 8_000_000, "zeros.txt")
    data = _zip({"a/big.txt": b"1" * 8_000_000, "b/inner.7z": out.getvalue()})
    result = extract(data, "x.zip", Limits(max_unzipped_bytes=12_000_000, max_member_bytes=10_000_000, max_text_chars=10**9))
    assert result.error and "压缩炸弹" in result.error and not result.parts
    assert extract(data, "x.zip", Limits(max_unzipped_bytes=30_000_000, max_text_chars=10**9)).error is None


def _tar(files: dict[str, bytes]) -> bytes:
    import tarfile

    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w") as archive:
        for name, content in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(content)
            archive.addfile(info, io.BytesIO(content))
    return out.getvalue()


def test_tar_gz_and_gz_are_read() -> None:
    import gzip

    tgz = gzip.compress(_tar({"资料/说明.txt": f"说明{TERM}".encode(), "资料/正文.docx": DOCX}), mtime=0)
    result = extract(tgz, "资料.tar.gz")
    assert sorted(locations_of(result, TERM)) == [
        "压缩包“资料.tar.gz” › 资料/正文.docx · 正文 第1段",
        "压缩包“资料.tar.gz” › 资料/说明.txt · 正文",
    ]
    single = extract(gzip.compress(f"单个{TERM}".encode(), mtime=0), "通知.txt.gz")
    assert locations_of(single, TERM) == ["压缩包“通知.txt.gz” › 通知.txt · 正文"]


def test_gzip_bomb_is_an_error_in_little_memory() -> None:
    import gzip

    bomb = gzip.compress(b"\x00" * 200_000_000, compresslevel=9, mtime=0)
    tracemalloc.start()
    try:
        result = extract(bomb, "a.txt.gz", Limits(max_member_bytes=5_000_000))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert result.error and "压缩炸弹" in result.error
    assert peak < 30_000_000, peak


def test_truncated_tar_is_an_error() -> None:
    data = _tar({"a.txt": b"x" * 5000})
    result = extract(data[:3000], "a.tar")
    assert result.error and not result.parts


def _single_member_zip(name: str, payload: bytes, method: int, compressed: bytes) -> bytes:
    name_b = name.encode()
    crc = zlib.crc32(payload)
    local = struct.pack("<4sHHHHHIIIHH", b"PK\x03\x04", 20, 0x800, method, 0, 0, crc, len(compressed), len(payload), len(name_b), 0)
    body = local + name_b + compressed
    central = struct.pack(
        "<4sHHHHHHIIIHHHHHII", b"PK\x01\x02", 20, 20, 0x800, method, 0, 0, crc, len(compressed), len(payload), len(name_b), 0, 0, 0, 0, 0, 0
    ) + name_b
    eocd = struct.pack("<4sHHHHIIH", b"PK\x05\x06", 0, 0, 1, 1, len(central), len(body), 0)
    return body + central + eocd


def test_deflate64_and_bzip2_members_are_read() -> None:
    import bz2

    inflate64 = pytest.importorskip("inflate64")
    payload = f"七子目录说明：{TERM}。".encode() * 50
    deflater = inflate64.Deflater()
    d64 = deflater.deflate(payload) + deflater.flush()
    for method, compressed in ((9, d64), (12, bz2.compress(payload))):
        result = extract(_single_member_zip("说明.txt", payload, method, compressed), "a.zip")
        assert result.error is None, (method, result.error)
        assert locations_of(result, TERM)[0] == "压缩包“a.zip” › 说明.txt · 正文"


def test_bzip2_member_that_inflates_past_its_declared_size_is_refused() -> None:
    import bz2

    payload = b"\x00" * 20_000_000
    data = bytearray(_single_member_zip("a.txt", payload, 12, bz2.compress(payload)))
    for sig, offset in ((b"PK\x03\x04", 22), (b"PK\x01\x02", 24)):
        i = data.find(sig)
        data[i + offset : i + offset + 4] = (1000).to_bytes(4, "little")
    result = extract(bytes(data), "a.zip")
    assert result.error and "压缩炸弹" in result.error
