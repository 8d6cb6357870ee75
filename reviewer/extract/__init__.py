"""bytes + file name -> text parts with locations. Fail closed: anything unreadable is an `Extraction` with `error`.

The format is decided by content (sniff.py), the file name only breaks ties; see docs/extraction.md.
"""

from __future__ import annotations

import logging
import re
import traceback
from pathlib import PurePath

from reviewer.errors import ExtractionError, exception_zh
from reviewer.extract.context import Context, MemberFile, Members
from reviewer.extract.limits import DEFAULT_LIMITS, Budget, Limits
from reviewer.extract.model import Extraction, ExtractionIssue, Span, SpanKind, TextPart
from reviewer.extract.sniff import (
    HTML_SUFFIXES,
    JSON_SUFFIXES,
    LEGACY_SUFFIXES,
    MIME_SUFFIXES,
    OOXML_SUFFIXES,
    TEXT_SUFFIXES,
    XML_SUFFIXES,
    Format,
    binary_kind,
    sniff,
)
from reviewer.scan.model import Severity

__all__ = ["extract", "Extraction", "ExtractionIssue", "TextPart", "Span", "SpanKind", "Limits", "DEFAULT_LIMITS",
           "Members", "MemberFile"]

_EXPECTED = {
    **{s: Format.TEXT for s in TEXT_SUFFIXES},
    **{s: Format.HTML for s in HTML_SUFFIXES},
    **{s: Format.LEGACY for s in LEGACY_SUFFIXES},
    **{s: Format.JSON for s in JSON_SUFFIXES},
    **OOXML_SUFFIXES,
    **MIME_SUFFIXES,
    **{s: Format.XML for s in XML_SUFFIXES},
    ".ofd": Format.OFD,
    ".pdf": Format.PDF,
    ".zip": Format.ZIP_OTHER,
    ".7z": Format.SEVEN_ZIP,
    ".gz": Format.GZIP,
    ".tgz": Format.GZIP,
    ".tar": Format.TAR,
}
_log = logging.getLogger(__name__)
_SAFE_SUFFIX = re.compile(r"\.[A-Za-z0-9]{1,10}")


def _shown(suffix: str) -> str:
    """A suffix as it may appear in a message: a member name inside an archive is draft text, so only a plain one."""
    return f"“{suffix}”" if _SAFE_SUFFIX.fullmatch(suffix) else "（无法显示的扩展名）"
_NAMES = {".docx": "Word 文档（.docx）", ".xlsx": "Excel 工作簿（.xlsx）", ".pdf": "PDF 文件", ".doc": "Word 97-2003 文档",
          ".ppt": "PowerPoint 97-2003 演示文稿", ".ofd": "OFD 版式文件", ".eml": "电子邮件（.eml）",
          ".mht": "单个文件网页（.mht）", ".mhtml": "单个文件网页（.mhtml）"}


def _compatible(expected: Format, fmt: Format) -> bool:
    """Names that honestly cover several contents: a .txt holding HTML/JSON/XML, Word's web pages saved as .doc."""
    return (expected is Format.TEXT and fmt in (Format.HTML, Format.JSON, Format.XML)) or (
        expected is Format.XML and fmt is Format.HTML)


def extract(data: bytes, filename: str = "", limits: Limits = DEFAULT_LIMITS, members: Members | None = None) -> Extraction:
    """Read every text part of a document. Never raises for bad input: returns an Extraction with `error` set.
    `members`: the render check's view of archive members (context.Members; image members become issues)."""
    return _read(data, filename, Context(Budget(limits), 0, _read, members=members))


def _read(data: bytes, filename: str, ctx: Context) -> Extraction:
    suffix = PurePath(filename).suffix.lower()
    try:
        limits = ctx.budget.limits
        if len(data) > limits.max_bytes:
            raise ExtractionError(f"文件大小 {len(data)} 字节，超过上限 {limits.max_bytes} 字节")
        ctx.budget.check_time()
        fmt = sniff(data, suffix)
        result = _dispatch(fmt, data, filename, ctx)
        expected = _EXPECTED.get(suffix)
        if expected is not None and expected is not fmt and not _compatible(expected, fmt):
            result.issues.append(
                ExtractionIssue(
                    "type_mismatch",
                    "文件",
                    f"文件扩展名为{_shown(suffix)}，但内容是 {result.kind or fmt}，已按实际内容读取",
                    Severity.INFO,
                )
            )
        return result
    except ExtractionError as exc:
        return Extraction(kind=suffix.lstrip("."), error=exc.message)
    except (Exception, RecursionError, MemoryError) as exc:  # noqa: BLE001 — fail closed on any unexpected failure
        # Not read completely is `error`, never a crash that might be retried into a pass. The exception's message
        # may quote draft text, so the log gets its type and frames only.
        _log.warning(
            "提取时发生意外异常 %s\n%s", type(exc).__name__, "".join(traceback.format_tb(exc.__traceback__)[-5:])
        )
        return Extraction(kind=suffix.lstrip("."), error=f"读取文档时发生意外错误（{exception_zh(exc)}），未能读完，无法审查")


def _dispatch(fmt: Format, data: bytes, filename: str, ctx: Context) -> Extraction:
    # Extractors are imported when needed: importing reviewer.extract for its types stays cheap (no pypdf).
    suffix = PurePath(filename).suffix.lower()
    if fmt is Format.TEXT:
        if suffix not in TEXT_SUFFIXES:
            expected = _EXPECTED.get(suffix)
            if expected is not None:
                what = _NAMES.get(suffix, f"{_shown(suffix)}文件")
                raise ExtractionError(f"文件扩展名表明是{what}，但内容不是该格式（可能已损坏、被截断或被改名），无法审查")
            raise ExtractionError(
                f"不支持的文件类型{_shown(suffix)}，无法审查；请提交 txt、json、xml、html、mht、eml、docx、xlsx、pptx、ppt、odp、"
                "pdf、ofd 或 zip/7z/tar/gz 压缩包"
            )
        from reviewer.extract.text import extract_text

        return extract_text(data, ctx.budget, markdown=suffix in (".md", ".markdown"))
    if fmt is Format.JSON:
        from reviewer.extract.script import extract_json

        return extract_json(data, ctx.budget)
    if fmt is Format.HTML:
        from reviewer.extract.html import extract_html

        return extract_html(data, ctx.budget)
    if fmt is Format.DOCX:
        from reviewer.extract.docx import extract_docx

        return extract_docx(data, ctx)
    if fmt is Format.XLSX:
        from reviewer.extract.xlsx import extract_xlsx

        return extract_xlsx(data, ctx)
    if fmt is Format.PDF:
        from reviewer.extract.pdf import extract_pdf

        return extract_pdf(data, ctx)
    if fmt is Format.LEGACY:
        from reviewer.extract.legacy import extract_legacy

        return extract_legacy(data, suffix, ctx)
    if fmt is Format.ENCRYPTED_OFFICE:
        raise ExtractionError("Office 文档已设置打开密码（已加密），无法审查；请去除密码后重新提交")
    if fmt is Format.ZIP_BROKEN:
        what = _NAMES.get(suffix, "ZIP 格式的文件")
        raise ExtractionError(f"{what}已损坏或被截断（ZIP 结构无法读取），无法审查；请重新导出后提交")
    if fmt is Format.ZIP_OTHER:
        if suffix in OOXML_SUFFIXES:
            raise ExtractionError(f"文件扩展名为{_shown(suffix)}，但压缩包内没有相应的文档部件，文件可能已损坏或被改名，无法审查")
        from reviewer.extract.archive import extract_zip

        return extract_zip(data, filename, ctx)
    if fmt is Format.SEVEN_ZIP:
        from reviewer.extract.archive import extract_7z

        return extract_7z(data, filename, ctx)
    if fmt is Format.GZIP:
        from reviewer.extract.archive import extract_gzip

        return extract_gzip(data, filename, ctx)
    if fmt is Format.TAR:
        from reviewer.extract.archive import extract_tar

        return extract_tar(data, filename, ctx)
    if fmt is Format.PPTX:
        from reviewer.extract.pptx import extract_pptx

        return extract_pptx(data, ctx)
    if fmt is Format.XML:
        from reviewer.extract.xmlfile import extract_xml

        return extract_xml(data, ctx.budget)
    if fmt is Format.MHTML:
        from reviewer.extract.mhtml import extract_mhtml

        return extract_mhtml(data, filename, ctx)
    if fmt is Format.EML:
        from reviewer.extract.eml import extract_eml

        return extract_eml(data, filename, ctx)
    if fmt is Format.OFD:
        from reviewer.extract.ofd import extract_ofd

        return extract_ofd(data, ctx)
    if fmt is Format.IMAGE:
        from reviewer.extract.imagemeta import extract_image

        return extract_image(data, ctx.budget)
    kind = binary_kind(data) or "二进制文件"
    if kind.startswith("RAR"):
        raise ExtractionError("RAR 压缩包暂不支持审查（没有可用的开源解压组件）；请改用 ZIP 或 7z 重新打包后提交")
    if "图片" in kind or "图像" in kind:  # a picture has no text to extract; the render check reads it by OCR
        raise ExtractionError(f"文件内容是{kind}，文本扫描无法核验其中的文字；请用显示内容核对识别（reviewer scan --render）")
    raise ExtractionError(f"文件内容是{kind}，不是可审查的文档，无法核验其内容")
