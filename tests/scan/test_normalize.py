"""Folds, one by one, with exact offsets: the folded text reads as a reader sees the original, and a finding's
start/end slice the original to the visible term plus whatever hid inside it."""

from __future__ import annotations

import subprocess
import sys
import unicodedata
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reviewer.scan import fold_data
from reviewer.scan.model import Severity
from reviewer.scan.normalize import (
    NOISE_BYTES,
    NUMERALS,
    PAD,
    OffsetMap,
    Stream,
    fold,
    fold_map,
    fold_table,
    original_span,
    term_key,
    term_keys,
)
from reviewer.scan.scanner import Scanner

REPO = Path(__file__).resolve().parents[2]
_ALPHABET = st.sampled_from(list("青鸾四号機密机密ＡａZz０9 \u3000\u200b·-.\n，。★青鸞號𠀀é\u00ad\u0301\ufe0f\U000e0041⑩"))

# fictional terms (no real project is named here)
TERMS = ["赤霄七号", "苍梧计划", "KX-417", "玄圃"]


@pytest.fixture(scope="module")
def term_scanner(tmp_path_factory: pytest.TempPathFactory) -> Scanner:
    d: Path = tmp_path_factory.mktemp("rules")
    (d / "t.yaml").write_text(f"id: t\nkind: terms\nseverity: block\nterms: {TERMS}\n", encoding="utf-8")
    return Scanner.load(d, defaults=False)


def spans(scanner: Scanner, text: str) -> list[tuple[int, int, str]]:
    return [(f.start, f.end, f.match) for f in scanner.scan(text).findings if f.rule == "t"]


# ----------------------------------------------------------------------------------------------- the old 1:1 folds
def test_width_traditional_and_noise() -> None:
    assert fold("機密★１０年") == "机密★10年"
    assert fold("青\u3000鸞·四-號") == "青 鸾 四-号"
    assert fold("ＺＸ－２０９") == "ZX 209"
    assert fold("（征求意见稿），：") == "（征求意见稿），："  # full-width punctuation is kept
    assert fold("……") == "……"  # an ellipsis is kept (it is not noise inside a word)


def test_term_key_drops_noise_case_and_invisible() -> None:
    assert term_key("青 鸾·四-号") == term_key("青鸾四号") == "青鸾四号".encode()
    assert term_key("ZX-209") == b"zx209"
    assert term_key("赤\u00ad霄\u202e七号") == "赤霄七号".encode()
    assert term_keys(["ZX-209", "青鸞四號", "a b", "Κ\u0425"]) == [b"zx209", "青鸾四号".encode(), b"ab", b"kx"]


# ------------------------------------------------------------------------------------------------ invisible ones
INVISIBLE = [
    "\u00ad",  # soft hyphen
    "\u2061", "\u2062", "\u2063", "\u2064",  # invisible function application / times / separator / plus
    "\u180e",  # Mongolian vowel separator
    "\u3164", "\uffa0", "\u115f",  # Hangul fillers
    "\u034f",  # combining grapheme joiner
    "\u200b", "\u200c", "\u200d", "\u2060", "\ufeff",  # zero width
    "\u202a", "\u202b", "\u202c", "\u202d", "\u202e", "\u2066", "\u2067", "\u2068", "\u2069",  # bidi controls
    "\u200e", "\u200f", "\u061c",  # direction marks
    "\ufe00", "\ufe0f", "\U000e0100", "\U000e01ef",  # variation selectors
    "\U000e0001", "\U000e0041", "\U000e007f",  # tag characters
    "\u0301", "\u0308", "\u20dd",  # combining accents, an enclosing mark
    "\U0001bca0", "\U0001d173",  # shorthand format, musical format controls
]


@pytest.mark.parametrize("hidden", INVISIBLE, ids=[f"U+{ord(c):04X}" for c in INVISIBLE])
def test_invisible_character_inside_a_term(term_scanner: Scanner, hidden: str) -> None:
    text = f"关于{'赤霄' + hidden + '七号'}的报告"
    folded, offsets = fold_map(text)
    assert folded == "关于赤霄七号的报告"
    assert not offsets.identity
    # exact offsets: the visible term plus the hidden character, in original code points (astral ones count once)
    assert spans(term_scanner, text) == [(2, 7, "赤霄" + hidden + "七号")]


def test_every_default_ignorable_code_point_is_deleted() -> None:
    table = fold_table()
    for lo, hi in fold_data.IGNORABLE:
        for cp in range(lo, hi + 1):
            assert table.get(chr(cp)) == "", f"U+{cp:04X}"


def test_every_combining_mark_is_deleted() -> None:
    table = fold_table()
    marks = [chr(c) for c in range(0x300, 0x20000) if unicodedata.category(chr(c)) in ("Mn", "Me")]
    assert len(marks) > 1500
    assert all(table.get(m) == "" for m in marks)


def test_mark_on_the_last_character_belongs_to_the_hit(term_scanner: Scanner) -> None:
    text = "甲玄\u0301圃\u0301\ufe0f，乙"
    assert spans(term_scanner, text) == [(1, 6, "玄\u0301圃\u0301\ufe0f")]
    # a zero-width space after the term is not part of it (it does not attach to the character before it)
    assert spans(term_scanner, "玄圃\u200b，") == [(0, 2, "玄圃")]


def test_hidden_characters_before_a_term_are_not_part_of_it(term_scanner: Scanner) -> None:
    assert spans(term_scanner, "\u202e\u200b\u00ad玄圃") == [(3, 5, "玄圃")]


def test_accented_letters_fold_to_the_base_letter(term_scanner: Scanner) -> None:
    assert fold("José Ğ ά ё") == "Jose G α е".translate(str.maketrans("αе", "ae"))
    text = "型号ＫＸ–４１７Ì"  # full width, an en dash, a precomposed accent after it (not part of the hit)
    assert spans(term_scanner, text) == [(2, 8, "ＫＸ–４１７")]
    assert spans(term_scanner, "K\u0301X-4\u03081\u03017") == [(0, 9, "K\u0301X-4\u03081\u03017")]


# ------------------------------------------------------------------------------------------------ noise
NOISE = ["\u2010", "\u2011", "\u2012", "\u2013", "\u2014", "\u2015", "\u22c5", "\uff65", "\u30fc", "\uff70", "\u2027",
         "\u00b7", "\u30fb", "\u2022", "\u2219", "\u2043", "\u2212", "\u00a0", "\u2002", "\u2009", "\u202f", "\u3000"]


@pytest.mark.parametrize("sep", NOISE, ids=[f"U+{ord(c):04X}" for c in NOISE])
def test_noise_between_characters(term_scanner: Scanner, sep: str) -> None:
    assert fold(sep) == " "
    text = f"报送苍{sep}梧{sep}计{sep}划材料"
    assert spans(term_scanner, text) == [(2, 9, text[2:9])]


def test_line_separator_is_a_line_break() -> None:
    assert fold("标题\u2028机密") == "标题\n机密"


# ------------------------------------------------------------------------------------------------ look-alikes
def _unified(cp: int) -> bool:
    """CJK unified ideographs (the basic block and extensions A to H)."""
    return 0x4E00 <= cp <= 0x9FFF or 0x3400 <= cp <= 0x4DBF or 0x20000 <= cp <= 0x323AF


def test_kangxi_radicals_fold_by_nfkc() -> None:
    assert fold("⾭⽞⼯⾦⼈") == "青玄工金人"  # ⾭ is NFKC 靑, the old form of 青
    for cp in range(0x2F00, 0x2FD6):
        out = fold(chr(cp))
        assert len(out) == 1 and _unified(ord(out)), f"U+{cp:04X}"


def test_cjk_radicals_supplement_folds_by_table() -> None:
    # not NFKC-mapped (except two): the table comes from the UCD's EquivalentUnifiedIdeograph.txt
    assert unicodedata.normalize("NFKC", "⻦") == "⻦"
    assert fold("⻦⻘⻢⻓⻔⻄⻅⻉⻜⺠") == "鸟青马长门西见贝飞民"
    assert fold("⺟⻳") == "母龟"  # the two that NFKC does map
    for cp, target in fold_data.RADICALS.items():
        assert _unified(target), f"U+{cp:04X}"
        assert fold(chr(cp)) == fold(chr(target))


def test_radical_look_alikes_in_a_term(term_scanner: Scanner) -> None:
    assert spans(term_scanner, "完成⾚霄七号") == [(2, 6, "⾚霄七号")]
    assert spans(term_scanner, "启动⽞圃") == [(2, 4, "⽞圃")]
    # radical with a variation selector and a soft hyphen inside
    assert spans(term_scanner, "启动⽞\ufe0f\u00ad圃。") == [(2, 6, "⽞\ufe0f\u00ad圃")]


def test_greek_cyrillic_and_mathematical_letters(term_scanner: Scanner) -> None:
    for code in ("ΚΧ-417", "KХ-417", "Кx-417", "KX-𝟺𝟷𝟽", "𝐊𝐗-417", "ＫＸ-４１７", "KX-⁴¹⁷"):
        text = f"代号{code}。"
        assert spans(term_scanner, text) == [(2, 2 + len(code), code)], code
    assert fold("ΖΧ") == "ZX" and fold("АВЕКМНОРСТХ") == "ABEKMHOPCTX"


def test_enclosed_numbers_are_padded_and_mapped_back(term_scanner: Scanner) -> None:
    folded, offsets = fold_map("⑩号")
    assert folded == " 10 号"
    assert [offsets.start(i) for i in range(5)] == [0, 0, 0, 0, 1]
    assert offsets.end(3) == 1 and offsets.end(5) == 2
    assert spans(term_scanner, "KX-④①⑦") == [(0, 6, "KX-④①⑦")]
    # a circled list number glued to a phone number does not hide it
    scanner = Scanner.shared(REPO / "rules", defaults=False)
    [f] = [f for f in scanner.scan("联系人①13912345678").findings if f.rule == "mobile"]
    assert (f.start, f.end) == (4, 15)


def test_multi_character_nfkc_expansion_maps_to_the_one_character(term_scanner: Scanner) -> None:
    folded, offsets = fold_map("№㎞")
    assert folded == "Nokm"
    assert original_span("№㎞", offsets, 1, 3) == (0, 2)  # "ok" straddles both: each maps to its whole character
    assert original_span("№㎞", offsets, 2, 4) == (1, 2)


def test_astral_characters_before_a_term_keep_offsets(term_scanner: Scanner) -> None:
    text = "𠀀𠀁\U0001f600" + "赤\U000e0100霄七号" + "𠀂"
    assert spans(term_scanner, text) == [(3, 8, "赤\U000e0100霄七号")]
    stream = Stream.of(text)
    assert stream.folded == "𠀀𠀁\U0001f600赤霄七号𠀂"


# ------------------------------------------------------------------------------------------------ clean text
CLEAN = [
    "设 Σ = α + β，则 γ 射线与 α 粒子的能量之比为 λ/μ。",
    "会见了古巴外宾José Martí与Zoë Müller（拼写含组合附加符号：Jose\u0301、Zoe\u0308）。",
    "代表团团长\u200fعبد الله\u200f先生出席会议。",
    "Москва和Αθήνα是两座城市；第①项、第⑩项已完成。",
    "☎\ufe0f 服务热线 12345；👍\U0001f3fb 表示赞同；H₂O、E=mc²、10㎞。",
    "这是一个软\u00ad连字符的英文单词 infor\u00admation。",
]


@pytest.mark.parametrize("text", CLEAN)
def test_ordinary_use_of_these_characters_is_not_a_finding(text: str) -> None:
    scanner = Scanner.load(REPO / "examples" / "org-rules", defaults=True)
    counting = [f for f in scanner.scan(text).findings if f.severity != Severity.INFO]
    assert counting == []


# ------------------------------------------------------------------------------------------------ maps
def test_offset_map_start_end() -> None:
    text = "a\u00adb⑩c\u200b"
    folded, offsets = fold_map(text)
    assert folded == "ab 10 c"
    assert [offsets.start(i) for i in range(len(folded) + 1)] == [0, 2, 3, 3, 3, 3, 4, 6]
    assert offsets.end(2) == 3 and offsets.end(7) == 5
    assert list(offsets.deleted_runs()) == [(1, 2), (5, 6)] and offsets.deleted == 3
    assert OffsetMap().identity and OffsetMap().start(5) == 5


def test_identity_when_nothing_moves() -> None:
    folded, offsets = fold_map("機密★１０年　内部")
    assert folded == "机密★10年 内部" and offsets.identity


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=_ALPHABET, max_size=60))
def test_map_is_monotonic_and_in_range(text: str) -> None:
    folded, offsets = fold_map(text)
    starts = [offsets.start(i) for i in range(len(folded) + 1)]
    assert starts == sorted(starts) and all(0 <= s <= len(text) for s in starts)
    for i in range(len(folded)):
        s, e = original_span(text, offsets, i, i + 1)
        assert s < e <= len(text)
        assert fold(text[s:e]).strip() in folded or fold(text[s:e]) == ""


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=_ALPHABET, max_size=40), st.text(alphabet=_ALPHABET, max_size=40))
def test_relocation_finds_every_noisy_occurrence(before: str, after: str) -> None:
    """A term written with noise between its characters is found in the clean text and mapped back to the folded
    text: the span runs from its first character to just after its last, and covers the noise between them."""
    text = before + "青 鸾\u200b四·号" + after
    stream = Stream.of(text)
    assert "青鸾四号" in stream.clean
    at = stream.clean.index("青鸾四号")
    start, end = stream.folded_span(at, at + 3)
    assert stream.folded[start:end].replace(" ", "") == "青鸾四号"
    assert stream.folded[start] == "青" and stream.folded[end - 1] == "号"
    s, e = original_span(text, stream.offsets, start, end)
    assert fold(text[s:e]).replace(" ", "") == "青鸾四号"


_STREAM_ALPHABET = st.sampled_from(list("青鸾四号貳陸〇○一九壹玖十機密机密ＡａZz０9 \u3000\u200b·-.\n，。★青鸞號𠀀é\u00ad\u0301⑩"
                                         "Aa0 9-\t.\\|/*~_Z?\x0b\x0c\r") + ["\ud800", "\udfff"])


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=_STREAM_ALPHABET, max_size=80))
def test_stream_is_the_folded_text_without_noise(text: str) -> None:
    """`clean` is the folded UTF-8 ("replace": a lone surrogate reads "?", as in the keys), ASCII-lowercased, without
    the noise bytes; each clean character maps back to the folded character it came from; `digits` marks digits,
    spaces and hyphens of the folded text, one byte per character."""
    stream = Stream.of(text)
    folded = stream.folded
    expected = folded.encode("utf-8", "replace").lower().translate(None, NOISE_BYTES).decode("utf-8")
    assert stream.clean == expected
    kept = [i for i, ch in enumerate(folded) if not (ch.isascii() and ch.encode() in NOISE_BYTES)]
    assert len(kept) == len(expected)
    assert stream.folded_starts(np.arange(len(kept), dtype=np.int64)).tolist() == kept
    assert [stream.folded_span(k, k) for k in range(len(kept))] == [(i, i + 1) for i in kept]
    if stream.codes is not None:  # the numpy path's code points (the C accelerator's prefilter reads `clean`)
        assert stream.codes.tolist() == [ord(ch) for ch in expected] + [0] * PAD
    digits = stream.digits.translate(bytes.maketrans(b"|#A", b"xxx"))  # other noise, capitals, anything else
    assert digits == bytes(ord("0") if ch in "0123456789" else ord("_") if ch in " -" else ord("N") if ch in NUMERALS
                           else ord("x") for ch in folded)


# ------------------------------------------------------------------------------------------------ generated data
def test_generated_fold_data_matches_its_sources() -> None:
    """scripts/gen_fold_data.py --check: the committed table equals what the UCD files and the confusables package
    give (skipped where the Debian package unicode-data or the PyPI package confusable-homoglyphs is missing)."""
    pytest.importorskip("confusable_homoglyphs")
    ucd = Path("/usr/share/unicode/ReadMe.txt")
    if not ucd.is_file() or "Version 15.0" not in ucd.read_text(encoding="utf-8", errors="replace"):
        pytest.skip("/usr/share/unicode 不是 Unicode 15.0 数据（Debian 软件包 unicode-data 15.0）")
    if not Path("/usr/share/unicode/EquivalentUnifiedIdeograph.txt").is_file():
        pytest.skip("/usr/share/unicode 不存在（Debian 软件包 unicode-data）")
    run = subprocess.run([sys.executable, str(REPO / "scripts" / "gen_fold_data.py"), "--check"], capture_output=True,
                         text=True, timeout=120)
    assert run.returncode == 0, run.stderr


def test_confusables_table_keeps_chinese_alone() -> None:
    assert fold_data.CONFUSABLES[0x03A7] == "X" and fold_data.CONFUSABLES[0x0425] == "X"
    assert fold_data.CONFUSABLES[0x0399] == "I"  # a capital iota reads as I, not as the skeleton's l
    assert all(not (0x2E80 <= cp <= 0x9FFF) for cp in fold_data.CONFUSABLES)
    assert fold("口工一丨〇") == "口工一丨〇"
