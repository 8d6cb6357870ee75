"""Property: every term occurrence (with any noise between its characters, traditional or full-width forms) is
reported exactly once, at offsets that index the original text. Compared with a brute-force reference."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reviewer.scan.normalize import fold
from reviewer.scan.scanner import Scanner

TERMS = ["青鸾四号", "玄鸟", "鸟工程", "ab12"]
NOISE = " \u3000\u200b·-.\n\t"
PIECES = ["青", "鸾", "鸞", "四", "号", "號", "玄", "鸟", "工", "程", "a", "B", "Ａ", "1", "２", "，", "的", *NOISE]


def reference(text: str) -> set[tuple[int, int]]:
    """Brute force: from each start, match the term's characters on the folded, lower-cased text skipping noise."""
    folded = fold(text).lower()
    noise = set(" \t\r\n\x0b\x0c.-_*~|/\\")
    found = set()
    for term in TERMS:
        for start in range(len(folded)):
            i, j = start, 0
            while j < len(term) and i < len(folded):
                if folded[i] == term[j]:
                    i, j = i + 1, j + 1
                elif j > 0 and folded[i] in noise:
                    i += 1
                else:
                    break
            if j == len(term):
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
