from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from reviewer.scan.normalize import CharOffsets, Stream, fold, relocation_regex, term_key, term_keys

_ALPHABET = st.sampled_from(list("青鸾四号機密机密ＡａZz０9 \u3000\u200b·-.\n，。★青鸞號𠀀é"))


def test_fold_is_one_to_one() -> None:
    assert fold("機密★１０年") == "机密★10年"
    assert fold("青\u3000鸞\u200b四·號") == "青 鸾 四 号"
    assert fold("ＺＸ－２０９") == "ZX 209"
    assert fold("（征求意见稿），：") == "（征求意见稿），："  # full-width punctuation is kept


def test_term_key_drops_noise_and_case() -> None:
    assert term_key("青 鸾·四-号") == term_key("青鸾四号") == "青鸾四号".encode()
    assert term_key("ZX-209") == b"zx209"
    assert term_keys(["ZX-209", "青鸞四號", "a b"]) == [b"zx209", "青鸾四号".encode(), b"ab"]


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=_ALPHABET, max_size=60))
def test_fold_keeps_length(text: str) -> None:
    assert len(fold(text)) == len(text)


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=_ALPHABET, max_size=40), st.text(alphabet=_ALPHABET, max_size=40))
def test_relocation_finds_every_noisy_occurrence(before: str, after: str) -> None:
    """A term written with noise between its characters is found at its original offsets."""
    text = before + "青 鸾\u200b四·号" + after
    stream = Stream.of(text)
    key = term_key("青鸾四号")
    assert "青鸾四号" in stream.clean
    m = relocation_regex(key).search(stream.data, stream.lower_bound(stream.clean.index("青鸾四号")))
    assert m is not None
    offsets = CharOffsets(stream.data)
    start, end = offsets(m.start()), offsets(m.end())
    assert fold(text[start:end]).replace(" ", "").replace("\u200b", "") in {"青鸾四号"}
    assert start <= len(before)


def test_char_offsets_any_order() -> None:
    data = "a青b鸾c".encode()
    offsets = CharOffsets(data)
    assert [offsets(p) for p in (9, 0, 4, 1, 5, 8)] == [5, 0, 2, 1, 3, 4]
