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


# -- encodings without a BOM (Windows "Unicode" exports, Big5 from Taiwan/Hong Kong sources) ----------------------------
LEAK = "关于赤枫行动的通报：秘密★5年。各处室认真落实。"
CLEAN = "关于做好年度政务公开工作的通知。各处室认真落实，按时报送。"


@pytest.mark.parametrize("encoding", ["utf-16-le", "utf-16-be"])
@pytest.mark.parametrize("text", [LEAK, CLEAN, LEAK * 300])
def test_bomless_utf16_of_chinese_text_is_read(encoding: str, text: str) -> None:
    data = text.encode(encoding)
    assert b"\x00" not in data[:40] or encoding  # Chinese UTF-16 has few NUL bytes: the old NUL heuristic missed it
    result = extract(data, "export.txt")
    assert (result.error, result.encoding) == (None, encoding)
    assert result.parts[0].text == text


def test_big5_text_is_read() -> None:
    traditional = "關於赤楓行動的通報：秘密★5年。各處室認真落實。"
    result = extract(traditional.encode("big5"), "tw.txt")
    assert (result.error, result.encoding) == (None, "big5")
    assert "赤楓行動" in result.parts[0].text and "秘密★5年" in result.parts[0].text
    clean = "各處室認真落實，按時報送年度工作總結。"
    assert extract(clean.encode("big5"), "tw.txt").error is None


def test_gb18030_four_byte_characters_are_read() -> None:
    text = "通知：㐀人名𠀀字的登记表，秘密★5年。" * 3
    result = extract(text.encode("gb18030"), "a.txt")
    assert (result.error, result.encoding) == (None, "gb18030")
    assert result.parts[0].text == text


def test_public_corpus_in_every_encoding_round_trips() -> None:
    from pathlib import Path

    corpus = Path(__file__).resolve().parents[3] / "shared" / "corpus" / "public-gov"
    texts = [p.read_text(encoding="utf-8") for p in sorted(corpus.glob("*.txt"))[:25]] if corpus.is_dir() else [CLEAN * 50]
    for text in texts:
        for encoding in ("utf-16-le", "utf-16-be", "gb18030"):
            result = extract(text.encode(encoding), "x.txt")
            assert (result.error, result.encoding) == (None, encoding)
            assert result.parts[0].text == text


@pytest.mark.parametrize("seed", range(20))
def test_random_bytes_are_never_read_as_text(seed: int) -> None:
    import random

    rng = random.Random(seed)
    data = bytes(rng.getrandbits(8) for _ in range(rng.choice([64, 600, 6000])))
    result = extract(data, "noise.txt")
    assert result.error and not result.parts


def test_html_in_bomless_utf16_is_read() -> None:
    page = f"<html><body><p>{LEAK}</p></body></html>"
    result = extract(page.encode("utf-16-le"), "page.html")
    assert result.error is None and "赤枫行动" in result.text_of("正文")
