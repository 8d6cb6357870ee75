from __future__ import annotations

from reviewer.scan.prefilter import Prefilter, anchor_hash


def test_windows_cover_every_occurrence_and_nothing_else() -> None:
    pre = Prefilter(["青鸾四号工程", "玄鸟", "云岫计"])
    text = "今天玄鸟飞过，青鸾四号工程启动，云岫计划"
    windows = pre.windows(text)
    assert windows == [(2, 4), (7, 13), (16, 19)]
    assert all(text[a:b] in {"玄鸟", "青鸾四号工程", "云岫计"} for a, b in windows)


def test_no_anchor_no_window() -> None:
    pre = Prefilter(["青鸾四号"])
    assert pre.windows("青鸾是神鸟，四号线") == []
    assert pre.windows("") == [] and pre.windows("青") == []
    assert Prefilter([]).windows("青鸾四号") == []


def test_overlapping_windows_merge() -> None:
    pre = Prefilter(["ab", "bc", "abcd"])
    assert pre.windows("xabcdx") == [(1, 5)]


def test_anchor_hash_matches_numpy_hash() -> None:
    # the Python hash of an anchor must equal the vectorised one, or the prefilter would miss every hit
    pre = Prefilter(["𠀀𠀁"])  # astral characters: one code point each in UTF-32
    assert pre.windows("x𠀀𠀁y") == [(1, 3)]
    assert anchor_hash("ab") == (ord("a") * 0x01000193 + ord("b")) & 0xFFFFFFFF
