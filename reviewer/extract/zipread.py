"""A strict zip reader for every zip-based input (DOCX/XLSX packages, OpenDocument, .zip attachments).

The zip directory is not trusted: every member is inflated here with a streaming cap, so a member that declares 2 KB
and inflates to a gigabyte stops after the declared size plus one chunk (never held in memory); the real size must
equal the declared one and the CRC must match; entries whose data overlap (the "overlapping files" bomb, where many
directory entries share one compressed stream) or whose local header disagrees with the directory are refused.
Messages never quote member names: a name inside a document is draft text (docs/extraction.md).
"""

from __future__ import annotations

import bz2
import io
import struct
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass

from reviewer.errors import ExtractionError, LimitExceeded
from reviewer.extract.limits import Budget

_IN = 1 << 16  # compressed bytes fed per step
_OUT = 1 << 20  # decompressed bytes taken per step
_ERRORS = (zipfile.BadZipFile, zlib.error, EOFError, OSError, ValueError, NotImplementedError, RuntimeError, struct.error)


@dataclass(frozen=True, slots=True)
class Member:
    info: zipfile.ZipInfo
    name: str  # decoded name (UTF-8 flag, else GBK as Chinese Windows writes it, else cp437)
    start: int  # offset of the compressed data

    @property
    def is_dir(self) -> bool:
        return self.info.is_dir()

    @property
    def size(self) -> int:
        return self.info.file_size


def _decoded_name(info: zipfile.ZipInfo) -> str:
    if info.flag_bits & 0x800:
        return info.filename
    try:
        raw = info.orig_filename.encode("cp437")
    except UnicodeEncodeError:
        return info.filename
    for encoding in ("utf-8", "gb18030"):
        try:
            return raw.decode(encoding).replace("\\", "/")
        except UnicodeDecodeError:
            continue
    return info.filename


class ZipReader:
    """The members of one zip, checked before anything is read; `read()` inflates one member strictly."""

    def __init__(self, data: bytes, budget: Budget, what: str, *, max_entries: int | None = None) -> None:
        self.data = data
        self.budget = budget
        self.what = what
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as zf:
                infos = zf.infolist()
        except _ERRORS as exc:
            raise ExtractionError(f"{what}已损坏或被截断（ZIP 结构无法读取），无法审查") from exc
        limits = budget.limits
        cap = limits.max_zip_entries if max_entries is None else max_entries
        if len(infos) > cap:
            raise LimitExceeded(f"{what}含有 {len(infos)} 个部件，超过 {cap} 个的上限（疑似“压缩炸弹”），拒绝处理")
        if sum(i.file_size for i in infos) > limits.max_unzipped_bytes:
            raise LimitExceeded(f"{what}解压后超过 {limits.max_unzipped_bytes} 字节上限（疑似“压缩炸弹”），拒绝处理")
        if any(i.flag_bits & 0x1 for i in infos):
            raise ExtractionError(f"{what}中有成员已加密（需要密码），无法审查；请提交未加密的文件")
        self.members = [self._locate(i) for i in infos]
        self._check_overlap()

    def _locate(self, info: zipfile.ZipInfo) -> Member:
        off = info.header_offset
        head = self.data[off : off + 30]
        if len(head) < 30 or head[:4] != b"PK\x03\x04":
            raise ExtractionError(f"{self.what}的目录指向不存在的成员数据（ZIP 结构异常），无法审查")
        n, m = struct.unpack("<HH", head[26:30])
        local_name = self.data[off + 30 : off + 30 + n]
        expected = info.orig_filename.encode("utf-8" if info.flag_bits & 0x800 else "cp437", "surrogateescape")
        if local_name != expected:
            raise ExtractionError(f"{self.what}的成员目录与成员头不一致（ZIP 结构异常，可能被篡改），无法审查")
        start = off + 30 + n + m
        if start + info.compress_size > len(self.data):
            raise ExtractionError(f"{self.what}已损坏或被截断（成员数据不完整），无法审查")
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED, zipfile.ZIP_BZIP2, 9):
            raise ExtractionError(f"{self.what}使用了不支持的压缩方式（编号 {info.compress_type}），无法审查；请用常规 ZIP 重新打包")
        return Member(info, _decoded_name(info), start)

    def _check_overlap(self) -> None:
        spans = sorted((m.info.header_offset, m.start + m.info.compress_size) for m in self.members)
        for (_, end), (next_start, _) in zip(spans, spans[1:]):
            if next_start < end:
                raise ExtractionError(f"{self.what}中有成员的数据相互重叠（疑似“压缩炸弹”），拒绝处理")

    def chunks(self, member: Member) -> Iterator[bytes]:
        """Inflate one member in chunks; the output never exceeds the declared size (stops one byte past it)."""
        info = member.info
        raw = memoryview(self.data)[member.start : member.start + info.compress_size]
        declared = info.file_size
        produced = 0
        crc = 0
        try:
            for chunk in _inflate(raw, info.compress_type, declared):
                produced += len(chunk)
                if produced > declared:
                    raise LimitExceeded(f"{self.what}中有成员解压后的实际大小超过其声明的大小（疑似“压缩炸弹”），拒绝处理")
                crc = zlib.crc32(chunk, crc)
                self.budget.check_time()
                yield chunk
        except (LimitExceeded, ExtractionError):
            raise
        except _ERRORS + (MemoryError,) as exc:
            raise ExtractionError(f"{self.what}中有成员已损坏（解压失败），无法审查") from exc
        if produced != declared:
            raise ExtractionError(f"{self.what}中有成员已损坏或被截断（解压后大小与声明不符），无法审查")
        if crc != info.CRC:
            raise ExtractionError(f"{self.what}中有成员已损坏（CRC 校验失败），无法审查")

    def read(self, member: Member, *, count: bool = True) -> bytes:
        out: list[bytes] = []
        for chunk in self.chunks(member):
            if count:
                self.budget.add_unzipped(len(chunk))
            out.append(chunk)
        return b"".join(out)

    def verify(self) -> None:
        """Inflate every member once (output discarded), counting the real bytes against the budget."""
        for member in self.members:
            for chunk in self.chunks(member):
                self.budget.add_unzipped(len(chunk))


def _inflate(raw: memoryview, method: int, declared: int) -> Iterator[bytes]:
    if method == zipfile.ZIP_STORED:
        if len(raw) != declared:
            raise ExtractionError("ZIP 成员大小与声明不符")
        for i in range(0, len(raw), _OUT):
            yield bytes(raw[i : i + _OUT])
        return
    if method == 9:  # Deflate64 (7-Zip, Windows for large files): no output cap in the library, so feed it small steps
        import inflate64

        inflater = inflate64.Inflater()
        for i in range(0, len(raw), 4096):  # deflate expands at most ~1032:1: a step yields at most ~4 MiB
            out = inflater.inflate(bytes(raw[i : i + 4096]))
            if out:
                yield out
            if inflater.eof:
                return
        raise ExtractionError("ZIP 成员数据不完整")
    decomp: zlib._Decompress | bz2.BZ2Decompressor
    if method == zipfile.ZIP_DEFLATED:
        decomp = zlib.decompressobj(-15)
        pos = 0
        tail = b""
        while not decomp.eof:
            if tail:
                data = tail
            elif pos < len(raw):
                data = bytes(raw[pos : pos + _IN])
                pos += len(data)
            else:
                if declared == 0 and pos == 0:
                    return
                raise ExtractionError("ZIP 成员数据不完整")
            out = decomp.decompress(data, _OUT)
            tail = decomp.unconsumed_tail
            if out:
                yield out
            elif tail == data and not decomp.eof:
                raise ExtractionError("ZIP 成员数据无法解压")
        return
    bzd = bz2.BZ2Decompressor()
    pos = 0
    while not bzd.eof:
        if bzd.needs_input:
            if pos >= len(raw):
                raise ExtractionError("ZIP 成员数据不完整")
            data = bytes(raw[pos : pos + _IN])
            pos += len(data)
        else:
            data = b""
        out = bzd.decompress(data, _OUT)
        if out:
            yield out
