"""Normalisation that never moves a character: every fold maps one character to one character, so offsets into the
folded text are offsets into the original. Noise (spaces, zero-width, separators such as 青 鸾·四-号) is removed only in
the byte stream that the automaton reads; `Stream` keeps checkpoints to find the original position of a hit again.

Why bytes: pyahocorasick walks a str one code point at a time and looks children up linearly, so a dictionary of
100,000 Chinese terms (thousands of first characters) costs a long search per character. Walking the UTF-8 bytes
(decoded as latin-1, one byte per code point) gives nodes with at most 256, usually a handful of, children.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass
from functools import cache

# ASCII bytes deleted from the automaton stream. Multi-byte noise is first folded to an ASCII space.
NOISE_BYTES = b" \t\r\n\x0b\x0c.-_*~|/\\"
_NOISE_MULTI = "\u3000\u00a0\u200b\u200c\u200d\u200e\u200f\u2060\ufeff\u00b7\u2022\u30fb\u2027\u2219\u2014\u2013"
_NOISE_FULLWIDTH = "\uff0e\uff0d\uff3f\uff0a\uff5e\uff5c\uff0f\uff3c"
NOISE_CLASS = b"[ \\t\\r\\n\\x0b\\x0c.\\-_*~|/\\\\]*"
CHUNK = 8192


def _opencc_t2s() -> dict[str, str]:
    """Single-character traditional -> simplified table from OpenCC's offline dictionaries (shipped in the wheel).
    Converting one character per line keeps the mapping 1:1 (phrase rules cannot cross a newline)."""
    import opencc

    converter = opencc.OpenCC("t2s")
    chars = [chr(c) for c in (*range(0x3400, 0x4DC0), *range(0x4E00, 0xA000))]
    out = converter.convert("\n".join(chars)).split("\n")
    if len(out) != len(chars):  # pragma: no cover - OpenCC changed its behaviour
        raise RuntimeError("OpenCC t2s did not convert character by character")
    return {a: b for a, b in zip(chars, out) if a != b and len(b) == 1}


@cache
def fold_table() -> dict[str, str]:
    """Every non-ASCII character that folds, with its 1-character replacement (constant data, built once)."""
    table = _opencc_t2s()
    # Full-width digits and Latin letters. Full-width punctuation （），：； stays: it is everywhere in Chinese text,
    # folding it would cost time on every document and no term depends on it.
    for lo, hi in ((0xFF10, 0xFF19), (0xFF21, 0xFF3A), (0xFF41, 0xFF5A)):
        for code in range(lo, hi + 1):
            table[chr(code)] = chr(code - 0xFEE0)
    table["＋"] = "+"
    for ch in _NOISE_MULTI + _NOISE_FULLWIDTH:
        table[ch] = " "
    return table


@cache
def _fold_regex() -> re.Pattern[str]:
    chars = sorted(fold_table())
    return re.compile("[" + "".join(re.escape(c) for c in chars) + "]")


def fold(text: str) -> str:
    """Width, traditional -> simplified and noise folding; the result has exactly len(text) characters."""
    table = fold_table()
    regex = _fold_regex()
    if regex.search(text) is None:
        return text
    return regex.sub(lambda m: table[m.group()], text)


def term_key(term: str) -> bytes:
    """The automaton key of a term: folded, ASCII-lowercased UTF-8 without noise."""
    return fold(term).encode("utf-8").lower().translate(None, NOISE_BYTES)


def term_keys(terms: list[str]) -> list[bytes]:
    """term_key for many terms at once (one fold, one encode: 100,000 terms in well under a second)."""
    if not terms:
        return []
    joined = fold("\x00".join(terms)).encode("utf-8").lower().translate(None, NOISE_BYTES)
    return joined.split(b"\x00")


@cache
def relocation_regex(key: bytes) -> re.Pattern[bytes]:
    """Finds a key in the folded, lowercased bytes with any noise between its characters (青 鸾 四 号)."""
    chars = key.decode("utf-8")
    parts = [re.escape(ch.encode("utf-8")) for ch in chars]
    return re.compile(NOISE_CLASS.join(parts))


@dataclass(slots=True)
class Stream:
    """The folded text as bytes (`data`), the same without noise (`clean`, what the automaton reads) and checkpoints."""

    folded: str
    data: bytes
    clean: str  # latin-1 view of the noise-free bytes
    out_starts: list[int]

    @classmethod
    def of(cls, text: str) -> "Stream":
        folded = fold(text)
        data = folded.encode("utf-8").lower()
        pieces = [data[i : i + CHUNK].translate(None, NOISE_BYTES) for i in range(0, len(data), CHUNK)]
        out_starts = []
        pos = 0
        for piece in pieces:
            out_starts.append(pos)
            pos += len(piece)
        return cls(folded, data, b"".join(pieces).decode("latin-1"), out_starts)

    def lower_bound(self, clean_pos: int) -> int:
        """A byte offset in `data` at or before the place where `clean[clean_pos]` came from."""
        k = bisect_right(self.out_starts, clean_pos) - 1
        if k < 0:
            return 0
        return k * CHUNK + (clean_pos - self.out_starts[k])


class CharOffsets:
    """Byte offsets of `data` -> character offsets, for positions asked in any order (sorted internally, cached)."""

    def __init__(self, data: bytes) -> None:
        self._data = data
        self._known: list[tuple[int, int]] = [(0, 0)]
        self._ascii = data.isascii()

    def __call__(self, byte_pos: int) -> int:
        if self._ascii:
            return byte_pos
        i = bisect_right(self._known, (byte_pos, 1 << 62)) - 1
        b0, c0 = self._known[i]
        chars = c0 + len(self._data[b0:byte_pos].decode("utf-8"))
        self._known.insert(i + 1, (byte_pos, chars))
        return chars
