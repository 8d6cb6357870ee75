"""Property: every term occurrence (with any noise or invisible character between its characters, traditional,
full-width, radical, Greek/Cyrillic or mathematical look-alike forms) is reported exactly once, at offsets that index
the original text. Compared with a brute-force reference that folds one original character at a time."""

from __future__ import annotations

import unicodedata
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reviewer.scan.normalize import fold
from reviewer.scan.scanner import Scanner

TERMS = ["青鸾四号", "玄鸟", "鸟工程", "ab12"]
NOISE = " \u3000\u200b·-.\n\t\u2010\u22c5"
INVISIBLE = "\u00ad\u2062\u180e\u3164\u034f\u0301\ufe0f\U000e0100\U000e0041\u202e\u2066\u200f"
LOOKALIKE = ["⾭", "⽞", "⻦", "⼯", "Α", "А", "𝐁", "𝟷", "２", "Ｂ"]
PIECES = ["青", "鸾", "鸞", "四", "号", "號", "玄", "鸟", "工", "程", "a", "B", "Ａ", "1", "２", "，", "的",
          *NOISE, *INVISIBLE, *LOOKALIKE]
_NOISE_FOLDED = set(" \t\r\n\x0b\x0c.-_*~|/\\")


def reference(text: str) -> set[tuple[int, int]]:
    """Brute force over original characters: each folds on its own; the first must be the term's first character,
    then the term's characters follow with noise or deleted characters between them; marks attached to the last
    character belong to the hit."""
    units = [fold(ch).lower() for ch in text]
    found = set()
    for term in TERMS:
        for start in range(len(text)):
            if units[start] != term[0]:
                continue
            i, j = start + 1, 1
            while j < len(term) and i < len(text):
                if units[i] == term[j]:
                    i, j = i + 1, j + 1
                elif units[i] == "" or units[i] in _NOISE_FOLDED:
                    i += 1
                else:
                    break
            if j == len(term):
                while i < len(text) and unicodedata.category(text[i]) in ("Mn", "Me"):
                    i += 1
                found.add((start, i))
    return found


@pytest.fixture(scope="module")
def term_scanner(tmp_path_factory: pytest.TempPathFactory) -> Scanner:
    d: Path = tmp_path_factory.mktemp("rules")
    (d / "t.yaml").write_text(f"id: t\nkind: terms\nseverity: review\nterms: {TERMS}\n", encoding="utf-8")
    return Scanner.load(d, defaults=False)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.sampled_from(PIECES), max_size=40))
def test_terms_found_at_original_offsets(term_scanner: Scanner, pieces: list[str]) -> None:
    text = "".join(pieces)
    got = {(f.start, f.end) for f in term_scanner.scan(text).findings}
    assert got == reference(text)
    for f in term_scanner.scan(text).findings:
        assert text[f.start : f.end] == f.match


_ANY = st.text(
    alphabet=st.one_of(
        st.characters(codec="utf-8"),
        st.sampled_from(list("机密秘绝★０１２３４５６７８９ＸX-  \u3000\u200b\n青鸾四号內部資料")),
        st.characters(min_codepoint=0xD800, max_codepoint=0xDFFF),  # lone surrogates
    ),
    max_size=80,
)


@settings(max_examples=300, deadline=None)
@given(_ANY)
def test_scan_never_fails_and_spans_are_original(text: str) -> None:
    """Any text (incl. lone surrogates, digits, markings in all widths): no exception, every span indexes the input."""
    from reviewer.settings import BUILTIN_RULES_DIR

    scanner = Scanner.shared(BUILTIN_RULES_DIR, defaults=False)
    for f in scanner.scan(text).findings:
        assert 0 <= f.start <= f.end <= len(text)
        assert text[f.start : f.end] == f.match


def test_nul_in_terms_does_not_misalign(tmp_path: Path) -> None:
    from reviewer.scan.normalize import term_keys

    assert term_keys(["a\x00b", "青鸾"]) == [b"a\x00b", "青鸾".encode()]
