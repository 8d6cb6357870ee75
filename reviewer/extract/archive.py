"""Archives a publisher attaches (.zip, .7z): every member is read recursively as the document it is.

Locations: `压缩包“附件.zip” › 子目录/文件.docx · 正文 第3段`; an archive inside an archive continues the chain
(`压缩包“附件.zip” › 内层.zip › 说明.txt · 正文`). The member names themselves are text a reader sees and are scanned
(`压缩包“附件.zip”的文件名`).

Fail closed: an encrypted, damaged, unsupported or unreadable member makes the whole input `error` (an image member
too, except for the render check, which reads it by OCR: `context.Members`); so do archives
nested deeper than `max_archive_depth`, more than `max_archive_members` files in all, or more than
`max_unzipped_bytes` inflated (counted while inflating, never trusted from the directory). Error messages name neither
members nor their text (issue 11): a reviewer finds the member by its number.
"""

from __future__ import annotations

import io
import tarfile
import zlib
from collections.abc import Callable
from pathlib import PurePosixPath

from reviewer.errors import ExtractionError, LimitExceeded
from reviewer.extract.context import Context
from reviewer.extract.imagemeta import image_meta_parts
from reviewer.extract.model import Extraction, ExtractionIssue, TextPart
from reviewer.extract.parts import PartBuilder
from reviewer.extract.sniff import is_image
from reviewer.extract.zipread import ZipReader
from reviewer.scan.model import Severity

IMAGE_MEMBER = "image_member"
IMAGE_MEMBER_MESSAGE = ("压缩包中的图片无法提取文字，须由显示内容核对（图像识别）读出并审查；"
                        "未经识别不得视为通过")
_APPLE_DOUBLE = b"\x00\x05\x16\x07"
_DS_STORE = b"\x00\x00\x00\x01Bud1"


def _display_name(filename: str) -> str:
    name = PurePosixPath(filename.replace("\\", "/")).name
    return name or "附件"


def _is_clutter(name: str, data: bytes) -> bool:
    """macOS resource forks and Finder files that archivers add: skipped only when their content is what they claim."""
    base = PurePosixPath(name).name
    if (name.startswith("__MACOSX/") or base.startswith("._")) and data.startswith(_APPLE_DOUBLE):
        return True
    return base == ".DS_Store" and data.startswith(_DS_STORE)


class _Collector:
    def __init__(self, filename: str, ctx: Context, kind: str) -> None:
        self.ctx = ctx
        self.kind = kind
        limits = ctx.budget.limits
        if ctx.archive_depth >= limits.max_archive_depth:
            raise LimitExceeded(f"压缩包嵌套超过 {limits.max_archive_depth} 层，拒绝处理；请解开外层压缩包后提交")
        self.label = ctx.archive_label or f"压缩包“{_display_name(filename)}”"
        self.names = PartBuilder(f"{self.label}的文件名", ctx.budget)
        self.parts: list[TextPart] = []
        self.issues: list[ExtractionIssue] = []
        self.count = 0

    def declare(self, entries: list[tuple[str, int]]) -> None:
        limits = self.ctx.budget.limits
        self.ctx.budget.add_members(len(entries))
        for n, (name, size) in enumerate(entries, 1):
            if size > limits.max_member_bytes:
                raise LimitExceeded(f"压缩包中第 {n} 个文件解压后超过 {limits.max_member_bytes} 字节上限，拒绝处理")
            self.names.add(f"{self.label} › {name}（文件名）", name)

    def member(self, n: int, name: str, data: bytes) -> None:
        self.ctx.budget.check_time()
        if not data or _is_clutter(name, data):
            return
        where = f"{self.label} › {name}"
        wanted = self.ctx.members
        if wanted is not None:
            wanted.offer(where, name, data, (*self.ctx.member_numbers, n))
            if is_image(data):  # the render check reads it (OCR); until it has, the issue keeps it from passing
                self.issues.append(ExtractionIssue(IMAGE_MEMBER, where, IMAGE_MEMBER_MESSAGE, Severity.REVIEW))
                # its metadata is text, read here (damage is an issue: the render check decodes it or fails)
                parts, issues = image_meta_parts(data, where, self.ctx.budget)
                self.parts.extend(parts)
                self.issues.extend(issues)
                return
        try:
            parts, issues = self.ctx.member(data, name, where, where, n)
        except ExtractionError as exc:
            raise type(exc)(f"压缩包中第 {n} 个文件无法审查：{exc.message}") from exc
        self.parts.extend(parts)
        self.issues.extend(issues)

    def result(self) -> Extraction:
        names = self.names.build()
        return Extraction(parts=([names] if names else []) + self.parts, kind="archive", issues=self.issues)


def extract_zip(data: bytes, filename: str, ctx: Context) -> Extraction:
    out = _Collector(filename, ctx, "zip")
    reader = ZipReader(data, ctx.budget, "压缩包", max_entries=ctx.budget.limits.max_archive_members)
    files = [m for m in reader.members if not m.is_dir]
    out.declare([(m.name, m.size) for m in files])
    for n, member in enumerate(files, 1):
        try:
            content = reader.read(member)
        except ExtractionError as exc:
            raise type(exc)(exc.message.replace("压缩包中有成员", f"压缩包中第 {n} 个文件", 1)) from exc
        out.member(n, member.name, content)
    return out.result()


def extract_7z(data: bytes, filename: str, ctx: Context) -> Extraction:
    import py7zr
    from py7zr.io import Py7zIO, WriterFactory

    out = _Collector(filename, ctx, "7z")
    budget = ctx.budget
    limits = budget.limits

    class _Capped(Py7zIO):
        """Collects one member; stops (LimitExceeded) as soon as it grows past its declared size or the budget."""

        def __init__(self, declared: int) -> None:
            self.declared = declared
            self.buffer = io.BytesIO()

        def write(self, s: bytes | bytearray) -> int:
            if self.buffer.tell() + len(s) > self.declared:
                raise LimitExceeded("压缩包中有文件解压后的实际大小超过其声明的大小（疑似“压缩炸弹”），拒绝处理")
            budget.add_unzipped(len(s))
            budget.check_time()
            return self.buffer.write(s)

        def read(self, size: int | None = None) -> bytes:
            return self.buffer.getvalue() if size is None else self.buffer.getvalue()[:size]

        def seek(self, offset: int, whence: int = 0) -> int:
            return self.buffer.tell()

        def flush(self) -> None:
            return None

        def size(self) -> int:
            return self.buffer.tell()

    class _Factory(WriterFactory):
        def __init__(self, sizes: dict[str, int]) -> None:
            self.sizes = sizes
            self.products: dict[str, _Capped] = {}

        def create(self, filename: str) -> Py7zIO:
            if filename not in self.sizes or filename in self.products:
                raise ExtractionError("压缩包的文件列表与内容不一致（结构异常），无法审查")
            product = _Capped(self.sizes[filename])
            self.products[filename] = product
            return product

    guard: Callable[[], None] = budget.check_time
    try:
        with py7zr.SevenZipFile(io.BytesIO(data), mode="r") as archive:
            if archive.needs_password():
                raise ExtractionError("压缩包已加密（需要密码），无法审查；请提交未加密的压缩包")
            infos = [i for i in archive.list() if not i.is_directory]
            if len(infos) > limits.max_archive_members:
                raise LimitExceeded(f"压缩包内的文件总数超过 {limits.max_archive_members} 个上限，拒绝处理")
            if sum(i.uncompressed for i in infos) > limits.max_unzipped_bytes:
                raise LimitExceeded(f"压缩包解压后超过 {limits.max_unzipped_bytes} 字节上限（疑似“压缩炸弹”），拒绝处理")
            out.declare([(i.filename, i.uncompressed) for i in infos])
            factory = _Factory({i.filename: i.uncompressed for i in infos})
            guard()
            archive.extractall(factory=factory)
    except (ExtractionError, LimitExceeded):
        raise
    except Exception as exc:  # noqa: BLE001 — third-party decoder on hostile input; the cause is the same to a person
        if type(exc).__name__ in ("PasswordRequired", "UnsupportedCompressionMethodError") or "password" in str(exc).lower():
            raise ExtractionError("压缩包已加密或使用了不支持的压缩方式，无法审查；请提交未加密的 ZIP 或 7z 压缩包") from exc
        raise ExtractionError("压缩包已损坏或结构异常（7z 无法完整解压），无法审查") from exc
    for n, info in enumerate(infos, 1):
        product = factory.products.get(info.filename)
        if product is None or product.size() != info.uncompressed:
            raise ExtractionError(f"压缩包中第 {n} 个文件未能完整解压，无法审查")
        out.member(n, info.filename, product.buffer.getvalue())
    return out.result()


def _gunzip(data: bytes, ctx: Context) -> bytes:
    """Inflate a gzip stream (also several concatenated members) with the output capped while inflating."""
    limits = ctx.budget.limits
    out: list[bytes] = []
    size = 0
    rest = data
    try:
        while rest:
            decomp = zlib.decompressobj(31)
            tail = rest
            while not decomp.eof:
                if not tail:
                    raise ExtractionError("gzip 压缩包不完整（可能被截断），无法审查")
                chunk = decomp.decompress(tail, 1 << 20)
                tail = decomp.unconsumed_tail
                size += len(chunk)
                if size > limits.max_member_bytes:
                    raise LimitExceeded(f"gzip 压缩包解压后超过 {limits.max_member_bytes} 字节上限（疑似“压缩炸弹”），拒绝处理")
                ctx.budget.add_unzipped(len(chunk))
                ctx.budget.check_time()
                out.append(chunk)
            rest = decomp.unused_data.lstrip(b"\x00")
    except zlib.error as exc:
        raise ExtractionError("gzip 压缩包已损坏，无法审查") from exc
    return b"".join(out)


def extract_gzip(data: bytes, filename: str, ctx: Context) -> Extraction:
    inner = _gunzip(data, ctx)
    base = _display_name(filename)
    lower = base.lower()
    name = base[:-3] if lower.endswith(".gz") else base[:-4] + ".tar" if lower.endswith(".tgz") else base + ".out"
    if len(inner) > 262 and inner[257:262] == b"ustar":
        return extract_tar(inner, filename, ctx)
    out = _Collector(filename, ctx, "gzip")
    out.declare([(name, len(inner))])
    out.member(1, name, inner)
    return out.result()


def extract_tar(data: bytes, filename: str, ctx: Context) -> Extraction:
    out = _Collector(filename, ctx, "tar")
    limits = ctx.budget.limits
    try:
        with tarfile.open(fileobj=io.BytesIO(data), mode="r:") as archive:
            members = archive.getmembers()
            if len(members) > limits.max_archive_members:
                raise LimitExceeded(f"压缩包内的文件总数超过 {limits.max_archive_members} 个上限，拒绝处理")
            files = [m for m in members if m.isfile()]  # links and devices hold no content of their own
            out.declare([(m.name, m.size) for m in files])
            for n, member in enumerate(files, 1):
                handle = archive.extractfile(member)
                content = handle.read() if handle is not None else b""
                if len(content) != member.size:
                    raise ExtractionError(f"压缩包中第 {n} 个文件不完整（可能被截断），无法审查")
                out.member(n, member.name, content)
    except tarfile.TarError as exc:
        raise ExtractionError("tar 压缩包已损坏或被截断，无法审查") from exc
    return out.result()
