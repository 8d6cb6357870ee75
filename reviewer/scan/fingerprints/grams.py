"""Steps 1-3 of the fingerprint pipeline, the same for registering, for public reference lists and for scanning:
normalisation to content characters, public 64-bit gram hashes, winnowing; the common-shingle lists (public hashes of
ordinary public prose). Pure numpy."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np

from reviewer.errors import RuleError, exception_zh
from reviewer.scan.normalize import fold

K = 13  # characters per gram
W = 8  # grams per winnowing window
GUARANTEE = K + W - 1  # a shared stretch of this many normalised characters always shares a selection (20)

_U64 = np.uint64
_M64 = (1 << 64) - 1
_BASE = _U64(0x9E3779B97F4A7C15)
_SEED = _U64(0xC2B2AE3D27D4EB4F)
COMMON_FILE = Path(__file__).resolve().parents[1] / "data" / "common-shingles.u64"


# --------------------------------------------------------------------------------------------------- normalisation
def _fold_exact(text: str) -> str:
    """fold() keeps one character per character; should that ever change, fold character by character (slow, correct)."""
    folded = fold(text)
    if len(folded) == len(text):
        return folded
    return "".join((f if len(f := fold(ch)) == 1 else ch) for ch in text)  # pragma: no cover - defensive


@cache
def _content_table() -> np.ndarray:
    """Is-content flag of every code point (1 MB, built once)."""
    keep = np.zeros(0x110000, bool)
    for lo, hi in ((0x4E00, 0x9FFF), (0x61, 0x7A), (0x41, 0x5A), (0x30, 0x39), (0x3400, 0x4DBF), (0x3007, 0x3007),
                   (0x3040, 0x30FA), (0x30FC, 0x30FF), (0xAC00, 0xD7A3), (0xC0, 0x24F), (0x370, 0x4FF),
                   (0xF900, 0xFAFF), (0x20000, 0x3FFFF)):
        keep[lo : hi + 1] = True
    keep[[0xD7, 0xF7]] = False
    return keep


def content_chars(folded: str) -> tuple[np.ndarray, np.ndarray]:
    """(code points of the content characters, ASCII lowercased; their offsets in the text). Content: CJK ideographs
    and 〇, ASCII digits and letters, Latin/Greek/Cyrillic letters, kana and hangul. Everything else is dropped."""
    if not folded:
        return np.zeros(0, np.uint32), np.zeros(0, np.intp)
    cps = np.frombuffer(folded.encode("utf-32-le", "replace"), dtype=np.uint32)
    where = np.flatnonzero(np.take(_content_table(), cps))
    kept = np.take(cps, where)
    kept += ((kept - np.uint32(0x41)) < np.uint32(26)).astype(np.uint32) << np.uint32(5)  # A-Z -> a-z
    return kept, where


def _mix(x: np.ndarray) -> np.ndarray:
    """splitmix64 finaliser on a uint64 array (wrapping arithmetic)."""
    x = x ^ (x >> _U64(30))
    x = x * _U64(0xBF58476D1CE4E5B9)
    x = x ^ (x >> _U64(27))
    x = x * _U64(0x94D049BB133111EB)
    return x ^ (x >> _U64(31))


@cache
def _char_values() -> np.ndarray:
    """The random 64-bit value of every content code point (splitmix64 of the code point, never 0; A-Z share the
    value of a-z) and 0 for every other code point: one gather both filters and hashes (9 MB, built once)."""
    values = _mix(np.arange(0x110000, dtype=np.uint64) * _BASE + _SEED)
    values[values == 0] = 1
    values[0x41:0x5B] = values[0x61:0x7B]
    values[~_content_table()] = 0
    return values


def content_values(folded: str) -> tuple[np.ndarray, np.ndarray]:
    """(random value of each content character, its offset in the text): `content_chars` and the value lookup in
    one pass, for the scan and the build."""
    if not folded:
        return np.zeros(0, np.uint64), np.zeros(0, np.intp)
    cps = np.frombuffer(folded.encode("utf-32-le", "replace"), dtype=np.uint32)
    values = np.take(_char_values(), cps)
    where = np.flatnonzero(values)
    return np.take(values, where), where


_POWERS: list[np.ndarray] = []  # [BASE^i, BASE^-i] for i < len, extended on demand


def _powers(n: int) -> tuple[np.ndarray, np.ndarray]:
    if not _POWERS or len(_POWERS[0]) < n:
        size = min(max(n, 1 << 16, 2 * len(_POWERS[0]) if _POWERS else 0), GRAM_BLOCK + 1)
        inverse = _U64(pow(int(_BASE), -1, 1 << 64))
        up = np.full(size, _BASE, np.uint64)
        up[0] = 1
        down = np.full(size, inverse, np.uint64)
        down[0] = 1
        _POWERS[:] = [np.cumprod(up, dtype=np.uint64), np.cumprod(down, dtype=np.uint64)]
    return _POWERS[0], _POWERS[1]


GRAM_BLOCK = 1 << 20  # characters hashed per block: bounds the power tables and the temporaries


def gram_hashes(cps: np.ndarray) -> np.ndarray:
    """Public 64-bit hash of every K-gram of content code points: hash[i] covers cps[i : i + K]."""
    return grams_of_values(np.take(_char_values(), cps))


def grams_of_values(values: np.ndarray) -> np.ndarray:
    """The polynomial sum(v[i + j] * BASE^(K - 1 - j)) modulo 2^64 over the characters' random values, for every
    i at once from prefix sums (BASE is odd, hence invertible), so the cost does not grow with K. Long texts go in
    blocks of GRAM_BLOCK characters (overlapping by K - 1)."""
    n = len(values) - K + 1
    if n <= 0:
        return np.zeros(0, np.uint64)
    if len(values) > GRAM_BLOCK:
        step = GRAM_BLOCK - K + 1
        return np.concatenate([_grams(values[i : i + GRAM_BLOCK]) for i in range(0, n, step)])
    return _grams(values)


def _grams(values: np.ndarray) -> np.ndarray:
    n = len(values) - K + 1
    up, down = _powers(len(values) + 1)
    prefix = np.zeros(len(values) + 1, np.uint64)
    np.cumsum(values * down[: len(values)], dtype=np.uint64, out=prefix[1:])
    h = prefix[K:] - prefix[:n]
    h *= up[K - 1 : K - 1 + n]
    return h


def _sliding(a: np.ndarray, width: int, op: np.ufunc) -> np.ndarray:
    """out[i] = op over a[i : i + width] (len(a) - width + 1 values), by doubling: O(n log width)."""
    span = 1
    cur = a
    while span * 2 <= width:
        cur = op(cur[:-span], cur[span:])
        span *= 2
    if span < width:
        cur = op(cur[: len(a) - width + 1], cur[width - span : width - span + len(a) - width + 1])
    return cur


def winnow(hashes: np.ndarray) -> np.ndarray:
    """Positions (ascending) of the grams selected by winnowing with window W: a gram is selected when it is the
    minimum of at least one window that contains it (ties: all minimal grams of the window)."""
    n = len(hashes)
    if n == 0:
        return np.zeros(0, np.int64)
    if n < W:
        return np.flatnonzero(hashes == hashes.min())
    minima = _sliding(hashes, W, np.minimum)
    pad = np.zeros(W - 1, np.uint64)
    best = _sliding(np.concatenate([pad, minima, pad]), W, np.maximum)
    return np.flatnonzero(hashes == best)


@dataclass(slots=True)
class Prepared:
    """A text after steps 1-3: offsets of its content characters and its selected grams."""

    offsets: np.ndarray  # normalised index -> original offset
    selected: np.ndarray  # normalised index of each selected gram (ascending)
    hashes: np.ndarray  # public hash of each selected gram

    @classmethod
    def of(cls, text: str, folded: str | None = None) -> Prepared:
        values, offsets = content_values(_fold_exact(text) if folded is None else folded)
        g = grams_of_values(values)
        sel = winnow(g)
        return cls(offsets, sel, g[sel])

    def plain_between(self, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
        """Selections in [lo, hi) that are not in the default common list (those can never match: they are not
        registered), the denominator of the similarity. Only the selections inside the asked ranges are looked up."""
        n = len(self.hashes)
        mark = np.bincount(lo, minlength=n + 1) - np.bincount(hi, minlength=n + 1)
        inside = np.flatnonzero(np.cumsum(mark[:n]) > 0)
        plain = np.zeros(n, np.int64)
        plain[inside] = ~_in_sorted(self.hashes[inside], default_common())
        running = np.concatenate([[0], np.cumsum(plain)])
        return running[hi] - running[lo]



# --------------------------------------------------------------------------------------------------- common shingles
def common_hashes_of(texts: Iterable[str], min_documents: int = 1) -> np.ndarray:
    """Sorted public hashes of every gram that occurs in at least `min_documents` of the texts."""
    per_doc = [np.unique(grams_of_values(content_values(_fold_exact(t))[0])) for t in texts]
    if not per_doc:
        return np.zeros(0, np.uint64)
    allh = np.concatenate(per_doc)
    if min_documents <= 1:
        return np.unique(allh)
    values, counts = np.unique(allh, return_counts=True)
    return values[counts >= min_documents]


@cache
def default_common() -> np.ndarray:
    """The shipped list (scripts/build_common_shingles.py builds it from the public law and government-report
    texts in tests/data/corpus and tests/data/public-gov): sorted public hashes of grams found in several of them."""
    try:
        return np.fromfile(COMMON_FILE, dtype="<u8").astype(np.uint64)
    except OSError as exc:
        raise RuleError(f"缺少默认常用语列表 {COMMON_FILE}（{exception_zh(exc)}）；请运行 scripts/build_common_shingles.py") from exc


def _in_sorted(values: np.ndarray, sorted_set: np.ndarray) -> np.ndarray:
    if len(sorted_set) == 0 or len(values) == 0:
        return np.zeros(len(values), bool)
    idx = np.searchsorted(sorted_set, values)
    idx[idx == len(sorted_set)] = 0
    return sorted_set[idx] == values
