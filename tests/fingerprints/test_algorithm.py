"""The pieces: keyed hash against the SipHash reference, the winnowing guarantee, normalisation and offsets."""

from __future__ import annotations

import random

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from reviewer.scan import fingerprints as fp

MASK = (1 << 64) - 1


def _rotl(x: int, b: int) -> int:
    return ((x << b) | (x >> (64 - b))) & MASK


def siphash_reference(key: bytes, message: bytes, c: int = 2, d: int = 4) -> int:
    """SipHash-c-d written from the paper (any message length), independent of the vectorised code."""
    k0, k1 = int.from_bytes(key[:8], "little"), int.from_bytes(key[8:], "little")
    v = [k0 ^ 0x736F6D6570736575, k1 ^ 0x646F72616E646F6D, k0 ^ 0x6C7967656E657261, k1 ^ 0x7465646279746573]

    def sipround() -> None:
        v[0] = (v[0] + v[1]) & MASK
        v[1] = _rotl(v[1], 13) ^ v[0]
        v[0] = _rotl(v[0], 32)
        v[2] = (v[2] + v[3]) & MASK
        v[3] = _rotl(v[3], 16) ^ v[2]
        v[0] = (v[0] + v[3]) & MASK
        v[3] = _rotl(v[3], 21) ^ v[0]
        v[2] = (v[2] + v[1]) & MASK
        v[1] = _rotl(v[1], 17) ^ v[2]
        v[2] = _rotl(v[2], 32)

    blocks = len(message) // 8
    for i in range(blocks):
        m = int.from_bytes(message[8 * i : 8 * i + 8], "little")
        v[3] ^= m
        for _ in range(c):
            sipround()
        v[0] ^= m
    tail = message[8 * blocks :]
    b = ((len(message) & 0xFF) << 56) | int.from_bytes(tail, "little")
    v[3] ^= b
    for _ in range(c):
        sipround()
    v[0] ^= b
    v[2] ^= 0xFF
    for _ in range(d):
        sipround()
    return v[0] ^ v[1] ^ v[2] ^ v[3]


KEY = bytes(range(16))


def test_reference_matches_published_vectors() -> None:
    # vectors_sip64 of the SipHash reference implementation: key 00..0f, message 00..(n-1)
    assert siphash_reference(KEY, b"") == 0x726FDB47DD0E0E31
    assert siphash_reference(KEY, bytes(range(8))) == 0x93F5F5799A932462
    assert siphash_reference(KEY, bytes(range(15))) == 0xA129CA6149BE45E5  # the paper's appendix example


def test_vectorised_siphash_equals_reference() -> None:
    """SipHash-2-4 against the published vector, and SipHash-1-3 (what the fingerprints use) against the reference
    with the same round counts."""
    rnd = random.Random(7)
    values = [rnd.getrandbits(64) for _ in range(200)] + [0, MASK, 1 << 63]
    key = bytes(rnd.getrandbits(8) for _ in range(16))
    arr = np.array(values, dtype=np.uint64)
    assert [int(x) for x in fp.siphash(key, arr, 2, 4)] == [siphash_reference(key, v.to_bytes(8, "little")) for v in values]
    assert [int(x) for x in fp.siphash(key, arr)] == [siphash_reference(key, v.to_bytes(8, "little"), 1, 3) for v in values]
    assert int(fp.siphash(KEY, np.array([int.from_bytes(bytes(range(8)), "little")], np.uint64), 2, 4)[0]) == 0x93F5F5799A932462


def test_the_key_changes_every_hash() -> None:
    values = np.arange(1000, dtype=np.uint64)
    a = fp.siphash(bytes(16), values)
    b = fp.siphash(bytes(15) + b"\x01", values)
    assert not np.any(a == b)


CJK = st.text(alphabet=st.characters(min_codepoint=0x4E00, max_codepoint=0x4E00 + 400), min_size=0, max_size=120)


@settings(max_examples=150, deadline=None)
@given(left_a=CJK, left_b=CJK, shared=st.text(alphabet=st.characters(min_codepoint=0x4E00, max_codepoint=0x9FA5),
                                                min_size=fp.GUARANTEE, max_size=80), right_a=CJK, right_b=CJK)
def test_winnowing_guarantee(left_a: str, left_b: str, shared: str, right_a: str, right_b: str) -> None:
    """Any stretch of K + W - 1 characters two texts share yields a selected gram both texts have."""
    a = fp.Prepared.of(left_a + shared + right_a)
    b = fp.Prepared.of(left_b + shared + right_b)
    assert set(a.hashes.tolist()) & set(b.hashes.tolist())


def test_winnow_selects_the_window_minima() -> None:
    rnd = np.random.default_rng(3)
    h = rnd.integers(1, 1 << 62, size=5000, dtype=np.uint64)
    got = set(fp.winnow(h).tolist())
    want = {i + int(np.argmin(h[i : i + fp.W])) for i in range(len(h) - fp.W + 1)}
    assert got == want
    assert abs(len(got) / len(h) - 2 / (fp.W + 1)) < 0.03  # the density winnowing promises
    assert fp.winnow(h[:3]).tolist() == [int(np.argmin(h[:3]))]
    assert fp.winnow(h[:0]).tolist() == []


def test_normalisation_keeps_original_offsets() -> None:
    text = "第一条　為了保守 國家秘密，（ＡＢＣ１２）\u200b维护-国家·安全。"
    cps, offsets = fp.content_chars(fp.fold(text))
    kept = "".join(chr(c) for c in cps)
    assert kept == "第一条为了保守国家秘密abc12维护国家安全"
    assert [text[i] for i in offsets[:6]] == list("第一条為了保")
    # the same passage written plainly gives the same grams
    assert fp.Prepared.of(text).hashes.tolist() == fp.Prepared.of("第一条为了保守国家秘密abc12维护国家安全").hashes.tolist()


def test_paragraph_numbering_is_non_blank_lines() -> None:
    assert fp.paragraphs_of("标题\n\n  \n第一段\r\n第二段\n") == ["标题", "第一段", "第二段"]
    # the pre-revision view of a Word body adds only its deleted text, not a second copy of the body
    parts = [("甲\n乙", False), ("甲\n乙（已删除）\n乙", True)]
    assert fp.paragraphs_of_parts(parts) == ["甲", "乙", "乙（已删除）"]
