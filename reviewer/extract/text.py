"""Plain text: detect the encoding reliably (BOMs, strict UTF-8, then the most plausible of BOM-less UTF-16 LE/BE,
GB18030 and Big5) and refuse binary data."""

from __future__ import annotations

import codecs
import functools

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


_GUESSES = ("utf-16-le", "utf-16-be", "gb18030", "big5")
_MIN_SCORE = 0.9


@functools.cache
def _common() -> frozenset[str]:
    """Characters real Chinese text is made of: GB2312 (simplified, with CJK punctuation and full-width forms) and
    Big5's common characters (traditional). Built from the codecs, nothing shipped."""
    chars: set[str] = set()
    for lead in range(0xA1, 0xF8):
        for trail in range(0xA1, 0xFF):
            try:
                chars.add(bytes((lead, trail)).decode("gb2312"))
            except UnicodeDecodeError:
                pass
    for lead in range(0xA1, 0xC7):
        for trail in (*range(0x40, 0x7F), *range(0xA1, 0xFF)):
            try:
                chars.add(bytes((lead, trail)).decode("big5"))
            except UnicodeDecodeError:
                pass
    return frozenset(chars)


def _plausibility(text: str) -> float:
    """Share of characters a real text is made of (printable ASCII, whitespace, Latin letters, common CJK,
    punctuation). The right decoding of a real text scores about 0.99; a wrong byte order, Big5 read as GBK or
    random bytes score far lower, because they land on rare and unassigned code points."""
    if not text:
        return 1.0
    common = _common()
    good = 0
    for ch in text:
        o = ord(ch)
        if 0x20 <= o < 0x7F or ch in "\t\n\r\f" or 0xC0 <= o <= 0x24F or 0x2000 <= o <= 0x206F or ch in common:
            good += 1
        elif 0x3000 <= o <= 0x303F or 0xFF01 <= o <= 0xFF5E or 0x2460 <= o <= 0x24FF or 0x2500 <= o <= 0x257F:
            good += 1
        elif 0x3400 <= o <= 0x4DBF or 0x20000 <= o <= 0x323AF:  # rare ideographs (names): GB18030's four-byte area
            good += 1
    return good / len(text)


def _head(data: bytes, encoding: str) -> str | None:
    """The first _SAMPLE bytes decoded strictly (a character cut at the end of the sample is allowed)."""
    decoder = codecs.getincrementaldecoder(encoding)("strict")
    try:
        return decoder.decode(data[:_SAMPLE], final=len(data) <= _SAMPLE)
    except UnicodeDecodeError:
        return None


def _guess(data: bytes) -> tuple[str, str]:
    """No BOM and not UTF-8: try BOM-less UTF-16 (both byte orders), GB18030 and Big5, and keep the decoding whose
    text is most plausible. Each candidate must decode the whole file strictly; none plausible enough is an error."""
    scored: list[tuple[float, str]] = []
    for encoding in _GUESSES:
        if encoding.startswith("utf-16") and len(data) % 2:
            continue
        head = _head(data, encoding)
        if head is not None:
            scored.append((_plausibility(head), encoding))
    # Ties (short inputs score 1.0 under several readings) go to the local default: GB18030, then UTF-16, then Big5.
    priority = {"gb18030": 3, "utf-16-le": 2, "utf-16-be": 1, "big5": 0}
    for score, encoding in sorted(scored, key=lambda se: (round(se[0], 2), priority[se[1]]), reverse=True):
        if score < _MIN_SCORE:
            break
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        return text, encoding
    if b"\x00" in data:
        raise ExtractionError("文件含有二进制数据（NUL 字节），不是可读的文本文件；请提交原始格式的文档")
    raise ExtractionError("无法识别文本编码（不是 UTF-8/UTF-16、GB18030/GBK 或 Big5 中可信的一种），疑似二进制文件，无法审查")


def decode_text(data: bytes) -> tuple[str, str]:
    """Return (text, encoding). Raises ExtractionError for data that is not text in a supported encoding."""
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            try:
                return data.decode(encoding), encoding
            except UnicodeDecodeError as exc:
                raise ExtractionError(f"文件以 {encoding} 字节顺序标记开头，但内容无法按该编码解码（位置 {exc.start}）") from exc
    if b"\x00" not in data:
        try:
            return data.decode("utf-8"), "utf-8"
        except UnicodeDecodeError:
            pass
        _refuse_damaged_utf8(data)
    return _guess(data)


def extract_text(data: bytes, budget: Budget, markdown: bool = False) -> Extraction:
    """`markdown`: also the text as a Markdown viewer shows it and every link's decoded readings (links.py)."""
    text, encoding = decode_text(data)
    if _implausible_ratio(text) > 0.01:
        raise ExtractionError("文件中控制字符过多，疑似二进制文件被改名为文本文件；请提交原始格式的文档")
    budget.add_chars(len(text))
    parts = [TextPart(text=text, location="正文")] if text else []
    if markdown and text:
        from reviewer.extract.links import markdown_parts

        parts.extend(markdown_parts(text, budget))
    return Extraction(parts=parts, kind="text", encoding=encoding)
