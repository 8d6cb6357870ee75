"""Plain text: detect the encoding reliably (BOMs, strict UTF-8, BOM-less UTF-16, then GB18030) and refuse binary data."""

from __future__ import annotations

import codecs

from reviewer.errors import ExtractionError
from reviewer.extract.limits import Budget
from reviewer.extract.model import Extraction, TextPart

_BOMS = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
_SAMPLE = 20000


def _utf16_without_bom(data: bytes) -> str | None:
    """UTF-16 text without a BOM has NUL in (nearly) every other byte for ASCII; guess the byte order from that."""
    if len(data) < 4 or len(data) % 2:
        return None
    head = data[:_SAMPLE]
    even_nul = head[0::2].count(0)
    odd_nul = head[1::2].count(0)
    half = len(head) // 2
    for nul, other, encoding in ((odd_nul, even_nul, "utf-16-le"), (even_nul, odd_nul, "utf-16-be")):
        if nul >= 0.3 * half and other == 0:
            try:
                return data.decode(encoding)
            except UnicodeDecodeError:
                return None
    return None


def _implausible_ratio(text: str, *, guessed: bool = False) -> float:
    """Share of characters that real text hardly has: controls; for a guessed encoding also private use and astral
    characters, which GB18030's four-byte sequences produce from random bytes."""
    sample = text[:_SAMPLE]
    if not sample:
        return 0.0
    bad = 0
    for ch in sample:
        o = ord(ch)
        if (o < 32 and ch not in "\t\n\r\f\v") or 0x80 <= o < 0xA0:
            bad += 1
        elif guessed and (0xE000 <= o <= 0xF8FF or o > 0xFFFF or ch == "\ufffd"):
            bad += 1
    return bad / len(sample)


def _refuse_damaged_utf8(data: bytes) -> None:
    """UTF-8 text with a few broken bytes must not be read as GB18030: every Chinese character would become
    mojibake and nothing would be found. Real GBK text hardly ever forms valid multi-byte UTF-8 sequences."""
    text = data.decode("utf-8", "replace")
    bad = text.count("\ufffd")
    good = sum(1 for ch in text if ord(ch) > 0x7F) - bad
    if good >= 20 and good >= 10 * bad:
        raise ExtractionError(
            f"文件是 UTF-8 编码，但有 {bad} 处字节无法解码（文件可能已损坏或混入了其他编码），无法可靠审查；请修复后重新提交"
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
        text16 = _utf16_without_bom(data)
        if text16 is not None and _implausible_ratio(text16, guessed=True) < 0.01:
            return text16, "utf-16-le" if data[1] == 0 else "utf-16-be"
        raise ExtractionError("文件含有二进制数据（NUL 字节），不是可读的文本文件；请提交原始格式的文档")
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    _refuse_damaged_utf8(data)
    try:
        text = data.decode("gb18030")
    except UnicodeDecodeError as exc:
        raise ExtractionError(
            f"无法识别文本编码（既不是 UTF-8/UTF-16，也不是 GB18030/GBK，第 {exc.start} 字节处出错）"
        ) from exc
    if _implausible_ratio(text, guessed=True) > 0.01:
        raise ExtractionError("文件内容按 GB18030/GBK 解码后大多不是正常文字，疑似二进制文件或不支持的编码，无法审查")
    return text, "gb18030"


def extract_text(data: bytes, budget: Budget) -> Extraction:
    text, encoding = decode_text(data)
    if _implausible_ratio(text) > 0.01:
        raise ExtractionError("文件中控制字符过多，疑似二进制文件被改名为文本文件；请提交原始格式的文档")
    budget.add_chars(len(text))
    parts = [TextPart(text=text, location="正文")] if text else []
    return Extraction(parts=parts, kind="text", encoding=encoding)
