"""Normalisation that never moves a character: every fold maps one character to one character, so offsets into the
folded text are offsets into the original. Noise (spaces, zero-width, separators such as 青 鸾·四-号) is removed only in
the text that the automata read (`Stream.clean`); `Stream` keeps checkpoints, and a hit is found again in the folded
bytes with a regex that allows noise between the characters of the term (`relocation_regex`)."""

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
    return fold(term).encode("utf-8", "replace").lower().translate(None, NOISE_BYTES)


def term_keys(terms: list[str]) -> list[bytes]:
    """term_key for many terms at once (one fold, one encode: 100,000 terms in well under a second)."""
    if not terms:
        return []
    joined = fold("\x00".join(terms)).encode("utf-8", "replace").lower().translate(None, NOISE_BYTES)
    keys = joined.split(b"\x00")
    if len(keys) != len(terms):  # a term itself contained NUL: fall back to one at a time
        keys = [term_key(t) for t in terms]
    return keys


@cache
def relocation_regex(key: bytes) -> re.Pattern[bytes]:
    """Finds a key in the folded, lowercased bytes with any noise between its characters (青 鸾 四 号)."""
    chars = key.decode("utf-8")
    parts = [re.escape(ch.encode("utf-8")) for ch in chars]
    return re.compile(NOISE_CLASS.join(parts))


@dataclass(slots=True)
class Stream:
    """The folded text as bytes (`data`, where hits are relocated), the noise-free text the automata read (`clean`)
    and checkpoints: chunk k starts at byte `byte_starts[k]` of `data` and at character `out_starts[k]` of `clean`."""

    folded: str
    data: bytes
    clean: str
    byte_starts: list[int]
    out_starts: list[int]

    @classmethod
    def of(cls, text: str) -> Stream:
        folded = fold(text)
        # "replace" turns a lone surrogate (possible in text from broken documents) into "?": still one character
        data = folded.encode("utf-8", "replace").lower()
        n = len(data)
        pieces: list[str] = []
        byte_starts: list[int] = []
        out_starts: list[int] = []
        pos = out = 0
        while pos < n:
            end = min(pos + CHUNK, n)
            while end < n and data[end] & 0xC0 == 0x80:  # never split a character
                end -= 1
            piece = data[pos:end].translate(None, NOISE_BYTES).decode("utf-8")
            byte_starts.append(pos)
            out_starts.append(out)
            pieces.append(piece)
            out += len(piece)
            pos = end
        return cls(folded, data, "".join(pieces), byte_starts, out_starts)

    def lower_bound(self, clean_pos: int) -> int:
        """A byte offset in `data` at or before the place where `clean[clean_pos]` came from
        (every character is at least one byte, and removed noise only pushes the place further)."""
        k = bisect_right(self.out_starts, clean_pos) - 1
        if k < 0:
            return 0
        return self.byte_starts[k] + (clean_pos - self.out_starts[k])


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
