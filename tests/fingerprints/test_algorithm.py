"""The pieces: keyed hash against the SipHash reference, the winnowing guarantee, normalisation and offsets."""

from __future__ import annotations

import random

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from reviewer.scan import fingerprints as fp


def test_keyed_hash_is_aes_128_of_the_padded_block() -> None:
    """FIPS-197 appendix C.1 through the same library call, then the function against block-by-block AES."""
    from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

    key = bytes(range(16))
    enc = Cipher(algorithms.AES(key), modes.ECB()).encryptor()
    assert enc.update(bytes.fromhex("00112233445566778899aabbccddeeff")).hex() == "69c4e0d86a7b0430d8cdb78070b4c55a"
    rnd = random.Random(7)
    values = [rnd.getrandbits(64) for _ in range(300)] + [0, (1 << 64) - 1, 1 << 63]
    key = bytes(rnd.getrandbits(8) for _ in range(16))
    got = fp.keyed(key, np.array(values, dtype=np.uint64))
    want = []
    for v in values:
        block = Cipher(algorithms.AES(key), modes.ECB()).encryptor().update(v.to_bytes(8, "little") + bytes(8))
        want.append(int.from_bytes(block[:8], "little"))
    assert [int(x) for x in got] == want
    assert len(set(want)) == len(want)


def test_the_key_changes_every_hash() -> None:
    values = np.arange(1000, dtype=np.uint64)
    a = fp.keyed(bytes(16), values)
    b = fp.keyed(bytes(15) + b"\x01", values)
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


def test_long_texts_hash_in_blocks_with_the_same_result(monkeypatch) -> None:  # noqa: ANN001
    rnd = np.random.default_rng(5)
    cps = rnd.integers(0x4E00, 0x9FA5, size=5000, dtype=np.uint32)
    whole = fp.gram_hashes(cps)
    monkeypatch.setattr(fp.grams, "GRAM_BLOCK", 1000)  # the module that uses it (fingerprints is a package)
    fp._POWERS.clear()
    blocked = fp.gram_hashes(cps)
    assert len(blocked) == len(cps) - fp.K + 1
    assert np.array_equal(whole, blocked)
    assert len(fp._POWERS[0]) <= 1001
    fp._POWERS.clear()


def test_shipped_common_list_is_what_the_in_repo_texts_give() -> None:
    import subprocess
    import sys

    from reviewer.settings import REPO_ROOT

    done = subprocess.run([sys.executable, str(REPO_ROOT / "scripts" / "build_common_shingles.py"), "--check"],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    common = fp.default_common()
    assert len(common) > 20_000 and np.all(common[1:] > common[:-1])
    # boilerplate of the government work reports is in it, a sentence of one report alone is not
    boiler = fp.Prepared.of("坚持稳中求进工作总基调，完整、准确、全面贯彻新发展理念，加快构建新发展格局")
    assert np.isin(boiler.hashes, common).mean() > 0.8


def test_index_lookup_equals_a_dictionary() -> None:
    """Bucket tags, buckets with several hashes, repeated hashes (several postings) and a hash whose tag bits are 0."""
    rnd = np.random.default_rng(11)
    base = rnd.integers(0, 1 << 63, size=3000, dtype=np.uint64) * np.uint64(2)
    base[:5] = base[:5] & ~np.uint64(0x7FFFFFFF)  # low 31 bits zero: the tag would read as "empty"
    hashes = np.sort(np.concatenate([base, base[:400], base[:50]]))  # 1, 2 or 3 postings
    docs = np.arange(len(hashes), dtype=np.uint32)
    r = fp._RuleIndex(0, bytes(16), hashes, docs, np.zeros(len(hashes), np.uint32), ["x"])
    postings: dict[int, list[int]] = {}
    for h, d in zip(hashes.tolist(), docs.tolist()):
        postings.setdefault(h, []).append(d)
    queries = np.concatenate([base[rnd.permutation(len(base))[:1500]], rnd.integers(0, 1 << 63, size=1500, dtype=np.uint64) * np.uint64(2) + np.uint64(1)])
    which, first, count = r.lookup(queries)
    got = {int(queries[w]): sorted(r.docs[f : f + c].tolist()) for w, f, c in zip(which, first, count)}
    want = {int(q): sorted(postings[int(q)]) for q in queries.tolist() if int(q) in postings}
    assert got == want and len(want) == 1500
