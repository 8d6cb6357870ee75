"""Plain text: detect the encoding reliably (BOMs, strict UTF-8, then GB18030) and refuse binary data."""

from __future__ import annotations

import codecs

from reviewer.errors import ExtractionError
from reviewer.extract.model import Extraction, TextPart

_BOMS = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


def decode_text(data: bytes) -> tuple[str, str]:
    """Return (text, encoding). Raises ExtractionError for data that is not text in a supported encoding."""
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            try:
                return data.decode(encoding), encoding
            except UnicodeDecodeError as exc:
                raise ExtractionError(f"文件以 {encoding} 字节顺序标记开头，但内容无法按该编码解码（位置 {exc.start}）") from exc
    if b"\x00" in data:
        raise ExtractionError("文件含有二进制数据（NUL 字节），不是可读的文本文件；请提交原始格式的文档")
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        text = data.decode("gb18030")
    except UnicodeDecodeError as exc:
        raise ExtractionError(
            f"无法识别文本编码（既不是 UTF-8/UTF-16，也不是 GB18030/GBK，第 {exc.start} 字节处出错）"
        ) from exc
    return text, "gb18030"


def _control_ratio(text: str) -> float:
    if not text:
        return 0.0
    bad = sum(1 for ch in text[:20000] if ord(ch) < 32 and ch not in "\t\n\r\f\v")
    return bad / min(len(text), 20000)


def extract_text(data: bytes) -> Extraction:
    text, encoding = decode_text(data)
    if _control_ratio(text) > 0.01:
        raise ExtractionError("文件中控制字符过多，疑似二进制文件被改名为文本文件；请提交原始格式的文档")
    return Extraction(parts=[TextPart(text=text, location="正文")], kind="text", encoding=encoding)
