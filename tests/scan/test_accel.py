"""The C accelerator (reviewer/scan/_accel.c, accel.py) changes what the scanner's passes cost, never what they give.

Each pass is run both ways, in C and in numpy (`accel.native` switched off), on crafted texts (hypothesis, over an
alphabet of every kind of character the passes treat apart: noise, digits, capitals, Chinese numerals, characters that
fold into one, into several or into nothing, astral ones that fold or not, lone surrogates) and on real documents, and
must give the same folded text, offsets, stream, prefilter places and findings. The module must be built where a
compiler is (the default install and CI), or the figures of bench/scan_throughput.py would be the numpy path's."""

from __future__ import annotations

import os
import random
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reviewer.scan import accel
from reviewer.scan.normalize import PAD, OffsetMap, Stream, fold_map, fold_table, original_span
from reviewer.scan.prefilter import Prefilter
from reviewer.scan.scanner import Scanner

PUBLIC = Path(__file__).resolve().parents[1] / "data" / "public-gov"
NATIVE = accel.native
needs_native = pytest.mark.skipif(NATIVE is None, reason="C 加速模块未构建（没有 C 编译器时扫描器使用 numpy）")

# one or more characters of every kind the passes tell apart
PIECES = [
    "a", "Z", "Q", "7", "0", " ", "-", "\n", "\t", "_", "|", ".", "。", "，", "密", "机", "青", "鸾", "四", "号",
    "〇", "一", "九", "壹", "玖", "貳", "陸", "國", "機", "密級",  # numerals, traditional characters (fold into one)
    "\u3000", "—", "１", "９", "Ａ", "ｚ", "．", "·", "µ", "½", "\u00ad",  # full-width, dashes, Latin-1 that folds
    "\u200b", "\u200d", "\u202e", "\ufeff", "\U000e0041",  # deleted (invisible, bidi, tag)
    "⑩", "㈠", "①", "㎡", "ﬁ",  # expanded
    "\U0002f800", "\U0002f8a6", "\U0001f600", "\U00020000",  # astral: folds into one, or not
    "\ud800", "\udfff",  # lone surrogates (text from a broken document)
    "é", "e\u0301", "\ufe0f",  # combining marks, variation selector
]


@contextmanager
def numpy_only() -> Iterator[None]:
    saved = accel.native
    accel.native = None
    try:
        yield
    finally:
        accel.native = saved


def changes(offsets: OffsetMap) -> tuple[list[int], list[int], list[int]]:
    return list(offsets._starts), list(offsets._ends), list(offsets._orig)


def both_streams(text: str) -> tuple[Stream, Stream]:
    fast = Stream.of(text)
    with numpy_only():
        slow = Stream.of(text)
    return fast, slow


def assert_same_stream(fast: Stream, slow: Stream) -> None:
    assert fast.folded == slow.folded
    assert fast.clean == slow.clean
    assert fast.digits == slow.digits
    assert fast.codes is None  # the C prefilter reads `clean`, which the numpy path's codes spell out
    assert slow.codes is not None and slow.codes[len(slow.clean):].tolist() == [0] * PAD
    assert slow.codes[:len(slow.clean)].tobytes().decode("utf-32-le") == slow.clean
    assert fast.gaps.dtype == slow.gaps.dtype and np.array_equal(fast.gaps, slow.gaps)
    assert changes(fast.offsets) == changes(slow.offsets)


def test_built_where_a_compiler_is() -> None:
    if shutil.which("cc") is None and shutil.which("gcc") is None:
        pytest.skip("本机没有 C 编译器：不构建加速模块")
    if os.environ.get("REVIEWER_SCAN_ACCEL") == "0":
        pytest.skip("REVIEWER_SCAN_ACCEL=0：有意关闭加速模块")
    assert NATIVE is not None, "有 C 编译器却没有构建 reviewer/scan/_accel（pip install -e . 或 bash scripts/setup.sh）"


@needs_native
@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(PIECES), max_size=80))
def test_fold_and_stream_match_numpy(pieces: list[str]) -> None:
    text = "".join(pieces)
    fast, slow = both_streams(text)
    assert_same_stream(fast, slow)
    folded, offsets = fold_map(text)
    with numpy_only():
        folded_np, offsets_np = fold_map(text)
    assert folded == folded_np and changes(offsets) == changes(offsets_np)
    for start in range(len(folded) + 1):  # every span maps back to the same original span
        assert original_span(text, offsets, start, len(folded)) == original_span(text, offsets_np, start, len(folded))


@needs_native
@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.characters(blacklist_categories=()), max_size=60))
def test_any_code_point_matches_numpy(text: str) -> None:
    """Any code point (surrogates, private use, unassigned, astral planes), not only the crafted alphabet."""
    assert_same_stream(*both_streams(text))


@needs_native
def test_every_folding_character_matches_numpy() -> None:
    """Every character of the fold table, alone and between others: the C pass's one-character map and the places it
    leaves to Python cover the whole table."""
    chars = sorted(fold_table())
    text = "机".join(chars) + "\n" + "".join(chars)
    assert_same_stream(*both_streams(text))


@needs_native
def test_large_dense_text_matches_numpy() -> None:
    """A traditional-Chinese text longer than numpy's fold block (1 M characters), where numpy replaces characters in
    bulk and splices the deleted ones block by block."""
    rng = random.Random(19)
    body = "".join(rng.choice(["國", "機", "密", "級", "\u200b", "⑩", "Ａ", " ", "\n", "文", "\U0002f800"])
                   for _ in range(1_200_000))
    assert_same_stream(*both_streams(body))


@needs_native
def test_prefilter_places_match_numpy() -> None:
    rng = random.Random(7)
    alphabet = "机密青鸾四号甲乙丙丁北辰三"
    keys = sorted({"".join(rng.choice(alphabet) for _ in range(rng.randint(2, 7))) for _ in range(300)})
    prefilter = Prefilter(keys)
    for size in (65, 100, 1000, 20_000):
        text = "".join(rng.choice(alphabet + "，。的了") for _ in range(size))
        found = prefilter.find(text)
        with numpy_only():
            assert prefilter.find(text) == found
        assert found, "random texts over the keys' alphabet contain keys"


@needs_native
@pytest.mark.parametrize("name", ["law-0001.txt", "gwr-0001.txt"])
def test_findings_match_numpy_on_documents(name: str) -> None:
    path = PUBLIC / name
    if not path.is_file():
        pytest.skip(f"缺少测试数据 {path}")
    public = path.read_text(encoding="utf-8")
    leaks = ("机密★1年\n青鸾四号 身份证号 110105194912310021 坐标 北纬39°54′27″ 京A12345\u200b内部资料\n"
             "國家秘密 壹壹〇壹〇伍壹玖肆玖壹贰叁壹〇〇贰壹 ⑩ 机\u200d密")
    scanner = Scanner.load()
    for text in (public, leaks, public[:5000] + leaks + public[5000:]):
        fast = [(f.rule, f.start, f.end, f.severity, f.explanation) for f in scanner.scan(text).findings]
        with numpy_only():
            slow = [(f.rule, f.start, f.end, f.severity, f.explanation) for f in scanner.scan(text).findings]
        assert fast == slow
    assert fast, "the planted leaks are found"


@needs_native
@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(0, 200), max_size=40).map(sorted), st.lists(st.integers(0, 250), max_size=20))
def test_places_match_numpy(gaps: list[int], positions: list[int]) -> None:
    """Folded positions of hits: p + the number of gaps at or before p, as numpy's searchsorted(side="right")."""
    assert NATIVE is not None
    array = np.array(gaps, dtype=np.int64)
    assert NATIVE.places(array, positions) == (np.searchsorted(array, positions, side="right") + positions).tolist()


@needs_native
def test_rejects_short_buffers() -> None:
    """The C functions check the sizes of what they are given (a wrong caller gets an error, not a read past the end)."""
    assert NATIVE is not None
    with pytest.raises(ValueError):
        NATIVE.stream("机密", b"\x00" * 16)
    prefilter = Prefilter(["机密", "青鸾四号"])
    with pytest.raises(ValueError):  # bitmaps smaller than their number of bits says
        NATIVE.anchors("机密文件", prefilter._prefix_table[:100], 20, 1, prefilter._anchor_table,
                       prefilter._check_table, 22, 1, 1, 4)
    with pytest.raises(ValueError):
        NATIVE.fold("机密", np.zeros(0x10001, dtype=np.uint8), np.zeros(100, dtype=np.uint32), {})
