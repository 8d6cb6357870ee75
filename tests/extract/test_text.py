from __future__ import annotations

import pytest

from reviewer.extract import extract

TEXT = "关于青鸾四号的通知：机密★10年，联系人 11010519491231002X。\nEnglish too."


@pytest.mark.parametrize(
    ("data", "encoding"),
    [
        (TEXT.encode("utf-8"), "utf-8"),
        (b"\xef\xbb\xbf" + TEXT.encode("utf-8"), "utf-8-sig"),
        (TEXT.encode("utf-16"), "utf-16"),
        ("\ufeff".encode("utf-16-be") + TEXT.encode("utf-16-be"), "utf-16"),
        (TEXT.encode("gbk"), "gb18030"),
        (TEXT.encode("gb18030"), "gb18030"),
        ("中华人民共和国保守国家秘密法".encode("gb2312"), "gb18030"),
    ],
)
def test_encodings_are_detected(data: bytes, encoding: str) -> None:
    result = extract(data, "a.txt")
    assert result.error is None
    assert result.encoding == encoding
    assert result.parts[0].text.lstrip("\ufeff") in (TEXT, "中华人民共和国保守国家秘密法")
    assert result.parts[0].location == "正文"


def test_utf16_without_bom_is_read() -> None:
    result = extract("Hello 世界 report".encode("utf-16-le"), "a.txt")
    assert (result.error, result.encoding) == (None, "utf-16-le")


@pytest.mark.parametrize(
    "data",
    [
        bytes(range(256)) * 10,
        b"\x00\x01\x02binary\x00",
        bytes([0xFE, 0x80, 0x81, 0xFF] * 50),
        b"\x81\x30\x81\x30" * 40 + b"\xe0\x80" * 20,
        b"text\x01\x02\x03\x04\x05\x06\x07\x08" * 20,
    ],
)
def test_binary_renamed_txt_is_an_error(data: bytes) -> None:
    result = extract(data, "renamed.txt")
    assert result.error and not result.parts


def test_empty_file_has_no_parts_and_no_error() -> None:
    result = extract(b"", "empty.txt")
    assert result.error is None and result.parts == []


def test_unknown_type_is_an_error() -> None:
    result = extract("文字".encode(), "draft.pages")
    assert result.error and "不支持" in result.error


def test_damaged_utf8_is_an_error_not_mojibake() -> None:
    data = bytearray(TEXT.encode("utf-8"))
    data[5] = 0xFF  # one broken byte in the middle of a character
    result = extract(bytes(data), "a.txt")
    assert result.error and "UTF-8" in result.error


def test_long_gbk_text_is_not_mistaken_for_damaged_utf8() -> None:
    from pathlib import Path

    corpus = Path(__file__).resolve().parents[3] / "shared" / "corpus" / "public-gov"
    texts = [p.read_text(encoding="utf-8") for p in sorted(corpus.glob("*.txt"))[:40]] if corpus.is_dir() else [TEXT * 200]
    for text in texts:
        result = extract(text.encode("gb18030"), "gbk.txt")
        assert (result.error, result.encoding) == (None, "gb18030")
