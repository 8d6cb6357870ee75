"""Font files for the outline proof (fontproof.py): which installed faces are a trust root, a face of a collection
copied out as a font file of its own, and whether PDFium's hinted drawing of an embedded font program could differ
noticeably from its unhinted outline (docs/render.md, “字体轮廓证明”)."""

from __future__ import annotations

import io
import logging
import os
import shutil
import stat
import struct
import subprocess
from dataclasses import dataclass
from typing import Any

_log = logging.getLogger("reviewer.render.fontproof")

MAX_FACE_BYTES = 64 << 20  # an installed face larger than this is not loaded
MAX_BLUE_ZONE = 0.05  # em: a CFF blue zone taller than this could move stems far when PDFium hints the glyph
MAX_BLUE_FUZZ = 0.01  # em


@dataclass(frozen=True)
class Face:
    """One installed face: a file and its index in a collection."""

    path: str
    index: int
    psname: str
    families: tuple[str, ...]


def installed_faces() -> list[Face]:
    """The faces fontconfig knows whose file is a trust root: owned by root, writable by neither group nor others
    (a font the worker's own user could write is not the administrator's)."""
    exe = shutil.which("fc-list")
    if exe is None:
        _log.warning("字体轮廓证明：找不到 fc-list（fontconfig），没有可信的已安装字体，字形都不以轮廓证明，改由字形记忆或 OCR 核对")
        return []
    try:
        out = subprocess.run([exe, "-f", "%{file}|%{index}|%{postscriptname}|%{family}\n"], capture_output=True,
                             timeout=30, check=True).stdout.decode("utf-8", "replace")
    except (OSError, subprocess.SubprocessError) as exc:
        _log.warning("字体轮廓证明：fc-list 运行失败（%s），没有可信的已安装字体，字形都不以轮廓证明，改由字形记忆或 OCR 核对",
                     type(exc).__name__)
        return []
    faces = []
    for line in out.splitlines():
        parts = line.split("|")
        if len(parts) != 4 or not parts[1].isdigit():
            continue
        path = parts[0]
        try:
            st = os.stat(path)
        except OSError:
            continue
        if st.st_uid != 0 or st.st_mode & (stat.S_IWGRP | stat.S_IWOTH) or not stat.S_ISREG(st.st_mode):
            continue
        faces.append(Face(path, int(parts[1]), parts[2], tuple(f for f in parts[3].split(",") if f)))
    return sorted(set(faces), key=lambda f: (f.path, f.index))


def hinting_risk(data: bytes) -> str | None:
    """Why PDFium's rendering of this embedded font program could differ from its unhinted outline (None: it cannot
    noticeably). PDFium hints SFNT fonts only (Type 1 and bare CFF are drawn unhinted)."""
    head = data[:4]
    if head[:2] == b"%!":
        return None if data[:64].lstrip(b"%!").startswith((b"PS-AdobeFont", b"FontType1")) else "PostScript 字体"
    if head[:2] == b"\x80\x01":  # PFB segment
        text = data[6:70]
        return None if text.lstrip(b"%!").startswith((b"PS-AdobeFont", b"FontType1")) else "PFB 非 Type 1"
    if head[:2] == b"\x01\x00" and len(data) > 4 and 4 <= data[2] <= 16:
        return None  # bare CFF (FontFile3): the cff driver, no SFNT flag, drawn unhinted
    if head not in (b"\x00\x01\x00\x00", b"true", b"OTTO", b"ttcf"):
        return "未识别的字体格式"
    from fontTools.ttLib import TTFont

    try:
        tt = TTFont(io.BytesIO(data), lazy=True, fontNumber=0)
        if "glyf" in tt:
            if "fpgm" in tt or "prep" in tt:
                return "TrueType 微调程序"
            head = tt.reader["head"]
            if _glyph_instructions(tt.reader["glyf"], tt.reader["loca"], int.from_bytes(head[50:52], "big") == 1):
                return "TrueType 字形指令"
            return None
        if "CFF " in tt:
            return _cff_blues(tt)
        return "没有可比较的轮廓表"
    except Exception as exc:  # noqa: BLE001 — a malformed program proves nothing; why is logged, the glyph is read
        _log.info("字体轮廓证明：稿件内嵌的字体程序无法解析（%s），该字体的字形不以轮廓证明，改由字形记忆或 OCR 核对", type(exc).__name__)
        return "字体程序无法解析"


def _glyph_instructions(glyf: bytes, loca: bytes, long: bool) -> bool:
    """Whether any glyph carries instructions (or the table cannot be walked: then it is treated as if it did). Read
    from the raw tables — decompiling every glyph of a large embedded font would cost seconds."""
    width = 4 if long else 2
    offsets = [int.from_bytes(loca[i:i + width], "big") * (1 if long else 2) for i in range(0, len(loca), width)]
    for start, end in zip(offsets, offsets[1:], strict=False):
        if end <= start:
            continue
        if end > len(glyf) or end - start < 10:
            return True
        contours = int.from_bytes(glyf[start:start + 2], "big", signed=True)
        if contours >= 0:
            at = start + 10 + 2 * contours
            if at + 2 > end or int.from_bytes(glyf[at:at + 2], "big"):
                return True
            continue
        at, instructions = start + 10, False
        while True:  # composite: components until MORE_COMPONENTS is clear, then the instructions if flagged
            if at + 4 > end:
                return True
            flags = int.from_bytes(glyf[at:at + 2], "big")
            instructions |= bool(flags & 0x100)  # WE_HAVE_INSTRUCTIONS
            at += 4 + (4 if flags & 0x1 else 2) + (2 if flags & 0x8 else 4 if flags & 0x40 else 8 if flags & 0x80 else 0)
            if not flags & 0x20:
                break
        if instructions and (at + 2 > end or int.from_bytes(glyf[at:at + 2], "big")):
            return True
    return False


def _cff_blues(tt: Any) -> str | None:
    cff = tt["CFF "].cff
    top = cff.topDictIndex[0]
    upem = float(tt["head"].unitsPerEm or 1000)
    privates = [fd.Private for fd in top.FDArray] if hasattr(top, "FDArray") else [top.Private]
    for p in privates:
        for key in ("BlueValues", "OtherBlues", "FamilyBlues", "FamilyOtherBlues"):
            zones = list(getattr(p, key, None) or [])
            if len(zones) % 2:
                return "CFF 对齐区无效"
            for lo, hi in zip(zones[0::2], zones[1::2], strict=True):
                if not 0 <= (hi - lo) / upem <= MAX_BLUE_ZONE:
                    return "CFF 对齐区过高"
        if abs(getattr(p, "BlueFuzz", 1) or 0) / upem > MAX_BLUE_FUZZ:
            return "CFF 对齐容差过大"
    return None


def face_bytes(face: Face) -> bytes | None:
    """The face as one SFNT font file (a collection's face: its table directory and tables copied out), when it has a
    Unicode cmap (a symbol-encoded font maps letters to pictures and is no reference for them); None for other
    formats (Type 1, bitmap fonts) and for anything malformed."""
    if os.path.getsize(face.path) > 4 * MAX_FACE_BYTES:
        return None
    with open(face.path, "rb") as fh:
        data = fh.read()
    head = data[:4]
    if head == b"ttcf":
        count = int.from_bytes(data[8:12], "big")
        if not 0 <= face.index < count:
            return None
        start = int.from_bytes(data[12 + 4 * face.index:16 + 4 * face.index], "big")
    elif face.index == 0 and head in (b"\x00\x01\x00\x00", b"true", b"OTTO"):
        start = 0
    else:
        return None
    tables = _tables(data, start)
    if tables is None or b"cmap" not in tables or not _unicode_cmap(tables[b"cmap"]):
        return None
    return _sfnt(data[start:start + 4], tables) if head == b"ttcf" else data


def _tables(data: bytes, start: int) -> dict[bytes, bytes] | None:
    """The tables of the SFNT whose offset table starts at `start` (offsets are from the file's start, as in a
    collection)."""
    if len(data) < start + 12:
        return None
    count = int.from_bytes(data[start + 4:start + 6], "big")
    tables = {}
    for i in range(count):
        rec = data[start + 12 + 16 * i:start + 28 + 16 * i]
        if len(rec) < 16:
            return None
        offset, length = int.from_bytes(rec[8:12], "big"), int.from_bytes(rec[12:16], "big")
        if offset + length > len(data):
            return None
        tables[rec[:4]] = data[offset:offset + length]
    return tables


def _sfnt(version: bytes, tables: dict[bytes, bytes]) -> bytes:
    """One SFNT file of `tables` (checksums are not verified by FreeType and left as computed here)."""
    n = len(tables)
    power = 1 << (n.bit_length() - 1)
    head = version + struct.pack(">HHHH", n, power * 16, power.bit_length() - 1, n * 16 - power * 16)
    directory, body = bytearray(), bytearray()
    offset = 12 + 16 * n
    for tag in sorted(tables):
        table = tables[tag]
        padded = table + b"\0" * (-len(table) % 4)
        checksum = sum(struct.unpack(f">{len(padded) // 4}I", padded)) & 0xFFFFFFFF
        directory += tag + struct.pack(">III", checksum, offset + len(body), len(table))
        body += padded
    return bytes(head + directory + body)


def _unicode_cmap(table: bytes) -> bool:
    """Whether a cmap table has a Unicode subtable (platform 0, or Windows Unicode BMP / full repertoire)."""
    if len(table) < 4:
        return False
    count = int.from_bytes(table[2:4], "big")
    for i in range(min(count, (len(table) - 4) // 8)):
        platform = int.from_bytes(table[4 + 8 * i:6 + 8 * i], "big")
        encoding = int.from_bytes(table[6 + 8 * i:8 + 8 * i], "big")
        if platform == 0 or (platform == 3 and encoding in (1, 10)):
            return True
    return False
