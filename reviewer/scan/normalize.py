"""Normalisation: the text as a reader sees it, with every offset mapped back to the original.

`fold` turns the original into the *folded* text the scanner reads:

* characters a reader never sees are deleted: every Unicode default-ignorable code point (soft hyphen, zero-width
  characters, bidi controls, invisible operators U+2061–2064, Mongolian vowel separator, Hangul fillers, variation
  selectors, tag characters …) and every combining mark (Mn/Me: accents, the combining grapheme joiner);
* characters that read as the same are replaced by one form: NFKC where the result is letters or digits (full-width,
  mathematical, circled and other compatibility forms, Kangxi radicals, CJK compatibility ideographs), the CJK radicals
  supplement and CJK strokes by a table from the UCD (`fold_data.RADICALS`), letters of other scripts that look like
  Latin letters or digits by Unicode's confusables data (`fold_data.CONFUSABLES`: Greek Α, Cyrillic Х …), accented
  Latin/Greek/Cyrillic letters by their base letter, traditional by simplified characters (OpenCC, one character at a
  time);
* separators a reader skips inside a word (spaces of every width, dashes U+2010–2015, middle dots ⋅･·, ー …) become an
  ASCII space, line and paragraph separators a newline.

Deleting and expanding characters moves offsets, so `fold_map` also returns an `OffsetMap` from folded offsets to
original offsets (identity, at no cost, for the common text that has no such character). A hit's original span covers
the visible characters plus whatever hid between them, and a combining mark or variation selector on its last
character. Compatibility forms that NFKC expands (⑩ → 10, ㎞ → km) map each of their characters to the one original
character; enclosed forms (①, ⒜, ㊀ …) are padded with spaces because a reader reads them as separate signs.

Noise (spaces, separators such as 青 鸾·四-号) is removed only in the text that the keys are looked for in
(`Stream.clean`); `Stream` keeps where the removed characters were, and a hit's clean span is mapped back to the folded
text by a binary search (`Stream.folded_span`)."""

from __future__ import annotations

import unicodedata
from array import array
from bisect import bisect_right
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache

import numpy as np

from reviewer.scan import accel, fold_data

# ASCII bytes deleted from the automaton stream. Multi-byte noise is first folded to an ASCII space.
NOISE_BYTES = b" \t\r\n\x0b\x0c.-_*~|/\\"
_NOISE_ASCII = " \t\r\n\x0b\x0c.-_*~|/\\"
# visible separators a reader skips inside a word (all become a space)
_NOISE_MULTI = (
    "\u00b7\u0387\u2022\u2027\u2219\u22c5\u2e31\u30fb\uff65\u30fc\uff70\u2043\u2212\u2e3a\u2e3b\ufe58\ufe63"
    + "".join(chr(c) for c in range(0x2010, 0x2016))  # hyphen, non-breaking hyphen, figure dash, en/em dash, bar
)
_NOISE_FULLWIDTH = "\uff0e\uff0d\uff3f\uff0a\uff5e\uff5c\uff0f\uff3c"
_LINE_BREAKS = "\u2028\u2029"
_FOLD_BLOCK = 1 << 20  # characters whose code points are looked at at once (4 bytes each)
_DENSE = 32  # a block with fewer folding places than 1 in _DENSE characters is folded one place at a time
# enclosed alphanumerics (①, ⑴, ⒜, ❶, ㊀, 🄐 …): read as separate signs, so padded with spaces when NFKC expands them
_ENCLOSED = ((0x2460, 0x24FF), (0x2776, 0x2793), (0x3200, 0x32FF), (0x1F100, 0x1F1FF))
# accented letters folded to their base letter: Latin, Greek, Cyrillic (not kana or Hangul, whose NFD differs)
_ACCENT_BLOCKS = ((0x00C0, 0x052F), (0x1E00, 0x1FFF))
# variant ideographs that some radicals are mapped to and that OpenCC leaves alone (⾭ -> 靑 -> 青)
_VARIANTS = {"靑": "青", "斉": "齐", "歯": "齿", "竜": "龙", "亀": "龟", "镸": "长", "歺": "歹"}


# look-alikes the confusables data lacks or that NFKC would send elsewhere (Ϲ -> Σ, ϲ -> ς)
_MORE_CONFUSABLES = {"\u03f9": "C", "\u03f2": "c", "\u051a": "Q", "\u212e": "e", "\u13a0": "D", "\u13a1": "R",
                     "\u13a2": "T", "\u13a9": "Y", "\u13aa": "A", "\u13ab": "J", "\u13ac": "E", "\u13b3": "W",
                     "\u13b7": "M", "\u13bb": "H", "\u13c0": "G", "\u13c2": "h", "\u13c3": "Z", "\u13cf": "b",
                     "\u13d2": "R", "\u13da": "S", "\u13de": "L", "\u13df": "C", "\u13e2": "P", "\u13e6": "K",
                     "\u13e7": "d"}


def _is_separator(ch: str) -> bool:
    """Signs a reader skips inside a word, beyond the listed ones: every dash (Pd), connector (Pc) and modifier
    symbol (Sk, e.g. ˗ U+02D7, ˉ), and the spacing modifier letters U+02B0–02FF (ˆ ˇ ˊ ˋ ˍ …). Not ASCII."""
    if ord(ch) < 0x80:
        return False
    cat = unicodedata.category(ch)
    return cat in ("Pd", "Pc", "Sk") or (cat == "Lm" and 0x02B0 <= ord(ch) <= 0x02FF)


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


def is_ignorable(cp: int) -> bool:
    """Default_Ignorable_Code_Point (Unicode 15.0)."""
    return any(lo <= cp <= hi for lo, hi in fold_data.IGNORABLE)


def _in(cp: int, blocks: tuple[tuple[int, int], ...]) -> bool:
    return any(lo <= cp <= hi for lo, hi in blocks)


@cache
def _attached() -> frozenset[str]:
    """Invisible characters that belong to the character before them: combining marks and variation selectors."""
    out = set()
    for cp in (*range(0x300, 0x20000), *range(0xE0100, 0xE01F0)):
        ch = chr(cp)
        if unicodedata.category(ch) in ("Mn", "Me"):
            out.add(ch)
    return frozenset(out)


@cache
def fold_table() -> dict[str, str]:
    """Every character that folds, with its replacement: "" (deleted), one character, or a few (NFKC expansions).
    Constant data, built once per process (about 0.3 s)."""
    t2s = _opencc_t2s()
    noise = set(_NOISE_MULTI + _NOISE_FULLWIDTH)
    confusables = {chr(k): v for k, v in fold_data.CONFUSABLES.items()}

    confusables.update(_MORE_CONFUSABLES)

    def base(ch: str) -> str:
        """The fold of one character that NFKC leaves alone (or of one character of an NFKC result)."""
        if ch in noise or _is_separator(ch):
            return " "
        if ch in _LINE_BREAKS:
            return "\n"
        if ch in confusables:
            return confusables[ch]
        if ch in t2s:
            ch = t2s[ch]
        if ch in _VARIANTS:
            return _VARIANTS[ch]
        cp = ord(ch)
        if _in(cp, _ACCENT_BLOCKS):
            nfd = unicodedata.normalize("NFD", ch)
            if len(nfd) > 1 and all(unicodedata.category(m) == "Mn" for m in nfd[1:]):
                return base(nfd[0]) if nfd[0] != ch else ch
        return ch

    table: dict[str, str] = {}
    ignorable = {cp for lo, hi in fold_data.IGNORABLE for cp in range(lo, hi + 1)}
    special = noise | set(_LINE_BREAKS) | set(confusables) | set(t2s) | set(_VARIANTS)
    for cp in (*range(0x80, 0x30000), *range(0xE0000, 0xE1000)):
        if 0xD800 <= cp <= 0xDFFF:
            continue
        ch = chr(cp)
        cat = unicodedata.category(ch)
        if cp in ignorable or cat in ("Mn", "Me"):
            table[ch] = ""
            continue
        if ch in confusables:  # before NFKC: Ϲ would become Σ, which looks like no Latin letter
            out = confusables[ch]
        elif cp in fold_data.RADICALS:
            out = base(chr(fold_data.RADICALS[cp]))
        elif not unicodedata.is_normalized("NFKC", ch):
            nfkc = unicodedata.normalize("NFKC", ch)
            if nfkc.isalnum():
                out = "".join(base(c) for c in nfkc)
                if _in(cp, _ENCLOSED):
                    out = " " + out + " "
            elif len(nfkc) == 1 and (nfkc in _NOISE_ASCII or nfkc in noise):
                out = " "
            else:
                out = base(ch)
        elif ch in special or cat == "Zs" or _in(cp, _ACCENT_BLOCKS) or _is_separator(ch):
            out = base(ch)
        else:
            continue
        if out != ch:
            table[ch] = out
    # the full-width + and the full-width separators (NFKC would map ＋ to +; the others are noise)
    table["＋"] = "+"
    for ch in _NOISE_FULLWIDTH:
        table[ch] = " "
    return table


class OffsetMap:
    """Folded offsets -> original offsets. `changes` lists, in order, every original character whose fold is not one
    character: (folded start, folded length, original index). Empty for most texts (then both maps are the identity).
    Kept in compact arrays: a text with millions of invisible characters costs 32 bytes per character here."""

    __slots__ = ("_starts", "_ends", "_orig", "_delta")

    def __init__(self, changes: list[tuple[int, int, int]] | None = None) -> None:
        changes = changes or []
        self._starts = array("q", [f for f, _, _ in changes])
        self._ends = array("q", [f + n for f, n, _ in changes])
        self._orig = array("q", [o for _, _, o in changes])
        self._delta = array("q", [o + 1 - (f + n) for f, n, o in changes])

    @classmethod
    def _of(cls, starts: array[int], ends: array[int], orig: array[int]) -> OffsetMap:
        out = cls()
        out._starts, out._ends, out._orig = starts, ends, orig
        out._delta = array("q", (o + 1 - e for o, e in zip(orig, ends)))
        return out

    @property
    def identity(self) -> bool:
        return not self._starts

    def _char(self, f: int) -> int:
        """Original index of the character at folded offset f (or of the place f, past the end)."""
        j = bisect_right(self._ends, f) - 1  # the last change that ends at or before f
        k = j + 1
        if k < len(self._starts) and self._starts[k] <= f < self._ends[k]:  # inside an expansion (⑩ -> 10)
            return self._orig[k]
        return f + (self._delta[j] if j >= 0 else 0)

    @property
    def deleted(self) -> int:
        """How many original characters folding deleted (an upper bound: counts expansions too)."""
        return len(self._starts)

    def deleted_runs(self) -> Iterator[tuple[int, int]]:
        """[start, end) runs of original characters that folding deleted (invisible characters), in order."""
        run: tuple[int, int] | None = None
        for f_start, f_end, o in zip(self._starts, self._ends, self._orig):
            if f_start != f_end:  # an expansion, not a deletion
                continue
            if run and run[1] == o:
                run = (run[0], o + 1)
            else:
                if run:
                    yield run
                run = (o, o + 1)
        if run:
            yield run

    def start(self, f: int) -> int:
        return f if not self._starts else self._char(f)

    def end(self, f: int) -> int:
        if not self._starts or f <= 0:
            return f
        return self._char(f - 1) + 1


IDENTITY = OffsetMap()


@cache
def _info() -> np.ndarray:
    """One byte per BMP code point: its class (`_CLASS`: noise, digit, capital, other; non-ASCII characters "other",
    except the Chinese numerals of NUMERALS, "N"),
    plus 0x80 when it folds (it is in `fold_table`). One look-up gives what folding and the stream both need."""
    info = np.full(0x10001, _CLASS[0x80], dtype=np.uint8)  # 0x10000: every astral character (looked up one by one)
    info[:0x80] = _CLASS[:0x80]
    info[[ord(ch) for ch in NUMERALS]] = _NUMERAL
    info[[ord(ch) for ch in fold_table() if ord(ch) < 0x10000]] |= np.uint8(_FOLDS)
    return info


def _classes(codes: np.ndarray) -> np.ndarray:
    """The class byte (`_CLASS`, and "N" for NUMERALS) of each code point, without the fold flag: for characters that
    folding wrote in (貳 became 贰, a numeral) and for texts whose folding deleted or expanded characters."""
    classes = _info().take(np.minimum(codes, np.uint32(0x10000)))
    classes &= np.uint8(0x7F)
    return classes


def _read_again(folded: str, code_parts: list[np.ndarray], class_parts: list[np.ndarray]) -> None:
    """The code points and classes of a folded block in which characters were deleted or expanded."""
    codes = np.frombuffer(folded.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    code_parts.append(codes)
    class_parts.append(_classes(codes))


def fold_map(text: str) -> tuple[str, OffsetMap]:
    """The folded text and the map of its offsets back to `text`."""
    if text.isascii():  # no ASCII character folds
        return text, IDENTITY
    if accel.native is not None:
        return _fold_native(text)
    folded, offsets, _, _ = _fold(text)
    return folded, offsets


@cache
def _single() -> np.ndarray:
    """For the C accelerator: the one-character fold of each BMP code point (UTF-32), 0 where there is none."""
    single = np.zeros(0x10000, dtype=np.uint32)
    for ch, out in fold_table().items():
        if ord(ch) < 0x10000 and len(out) == 1 and out != ch:
            single[ord(ch)] = ord(out)
    return single


def _fold_native(text: str) -> tuple[str, OffsetMap]:
    """fold_map by the C accelerator (accel.py), in two passes over the text: the one-character folds (which move no
    offset) from `_single`, the characters that are deleted or expand (and astral ones) from `fold_table`. The same
    result as `_fold`."""
    assert accel.native is not None
    folded, starts, ends, orig = accel.native.fold(text, _info(), _single(), fold_table())
    if not starts:
        return folded, IDENTITY
    return folded, OffsetMap._of(array("q", starts), array("q", ends), array("q", orig))


def _fold(text: str) -> tuple[str, OffsetMap, np.ndarray | None, np.ndarray | None]:
    """The folded text, the map of its offsets back to `text`, and the code points of the folded text and their
    classes (as `Stream` needs them). Where a block had characters deleted or expanded, its folded text is read again
    for them (that block only: one zero-width space in a 10 MB text no longer costs reading all of it twice).

    numpy finds the characters that fold. A usual document has a few dozen (ideographic spaces, full-width digits,
    dashes): they are spliced one by one. Where many fold (a traditional-Chinese text), the one-character replacements
    are made in the code-point array at once (they move no offset), and only the characters that are deleted or expand
    (invisible ones, ⑩ -> 10) are spliced one by one. Either way only those enter the offset map."""
    table = fold_table()
    info_table = _info()
    starts, ends, orig = array("q"), array("q"), array("q")
    shift = 0  # folded offset - original offset so far
    parts: list[str] = []
    code_parts: list[np.ndarray] = []
    class_parts: list[np.ndarray] = []
    changed = False
    # Every character folds on its own, so the text can be cut anywhere: blocks bound the memory of the code-point
    # array and of the pieces (a text of millions of invisible characters would otherwise need hundreds of MB at once).
    # "surrogatepass" keeps a lone surrogate (text from a broken document) one code unit, which never folds.
    for base in range(0, max(len(text), 1), _FOLD_BLOCK):
        stop = min(len(text), base + _FOLD_BLOCK)
        block = text[base:stop]
        codes = np.frombuffer(block.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
        info = info_table.take(np.minimum(codes, np.uint32(0x10000)))
        flags = info >= np.uint8(_FOLDS)
        flags |= codes > np.uint32(0xFFFF)  # astral characters are looked up one by one
        places = flags.nonzero()[0]
        del flags
        if not places.size:
            parts.append(block)
            code_parts.append(codes)
            class_parts.append(info)
            continue
        pieces: list[str] = []
        if places.size * _DENSE < len(block):  # the usual document: a few dozen such characters, spliced one by one
            done = base  # original characters already in pieces
            at: list[int] = []  # block indexes of one-character replacements, and what they became
            became: list[int] = []
            moved = False
            for i in places.tolist():
                ch = text[base + i]
                out = table.get(ch, ch)
                if out == ch:  # an astral character that does not fold
                    continue
                pieces.append(text[done : base + i])
                pieces.append(out)
                done = base + i + 1
                if len(out) != 1:
                    starts.append(base + i + shift)
                    ends.append(base + i + shift + len(out))
                    orig.append(base + i)
                    shift += len(out) - 1
                    moved = True
                else:
                    at.append(i)
                    became.append(ord(out))
            if pieces:
                changed = True
                pieces.append(text[done:stop])
                parts.append("".join(pieces))
            else:
                parts.append(block)
            if not moved:  # the folded block's code points and classes: the replacements written in
                if at:
                    codes = codes.copy()
                    codes[at] = became
                    info[at] = _classes(codes[at])
                code_parts.append(codes)
                class_parts.append(info)
            else:  # offsets moved in this block: its folded text read again (this block only, not the whole text)
                _read_again(parts[-1], code_parts, class_parts)
            continue
        done = 0  # characters of the block already in pieces
        # many (a traditional-Chinese text): the one-character replacements at once in the code-point array (they
        # move no offset), then only the deleted or expanding characters spliced one by one
        unique, which = np.unique(codes[places], return_inverse=True)
        outs = [table.get(ch, ch) for ch in map(chr, unique.tolist())]
        # per distinct character: its one-character replacement (0: none), and whether it is deleted or expands
        single = np.fromiter((ord(o) if len(o) == 1 and o != chr(c) else 0 for o, c in zip(outs, unique.tolist())),
                             dtype=np.uint32, count=len(outs))
        moves = np.fromiter((len(o) != 1 for o in outs), dtype=np.bool_, count=len(outs))
        replaced = single[which]
        one = replaced.nonzero()[0]
        if one.size:
            new = codes.copy()
            new[places[one]] = replaced[one]
            block = new.tobytes().decode("utf-32-le", "surrogatepass")
            changed = True
            info[places[one]] = _classes(replaced[one])
            codes = new
        spliced = moves[which].nonzero()[0]
        if not spliced.size:
            parts.append(block)
            code_parts.append(codes)
            class_parts.append(info)
            continue
        changed = True
        for i, w in zip(places[spliced].tolist(), which[spliced].tolist()):
            out = outs[w]
            pieces.append(block[done:i])
            pieces.append(out)
            done = i + 1
            starts.append(base + i + shift)
            ends.append(base + i + shift + len(out))
            orig.append(base + i)
            shift += len(out) - 1
        pieces.append(block[done:])
        parts.append("".join(pieces))
        _read_again(parts[-1], code_parts, class_parts)
    whole = len(code_parts) == len(parts)  # every block's code points and classes are there
    codes_out = (code_parts[0] if len(code_parts) == 1 else np.concatenate(code_parts)) if whole else None
    classes_out = (class_parts[0] if len(class_parts) == 1 else np.concatenate(class_parts)) if whole else None
    if not changed:
        return text, IDENTITY, codes_out, classes_out
    return "".join(parts), (OffsetMap._of(starts, ends, orig) if starts else IDENTITY), codes_out, classes_out


def fold(text: str) -> str:
    """The text as a reader sees it (see the module docstring); offsets move only where characters were deleted or
    expanded (`fold_map` returns the map)."""
    return fold_map(text)[0]


def original_span(text: str, offsets: OffsetMap, start: int, end: int) -> tuple[int, int]:
    """The span of `text` (the original) behind folded [start, end): the visible characters, what hid between them,
    and the combining marks or variation selectors attached to the last one."""
    s, e = offsets.start(start), offsets.end(end)
    if not offsets.identity and e > s:
        attached = _attached()
        while e < len(text) and text[e] in attached:
            e += 1
    return s, e


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


def visible_terms(terms: list[str]) -> list[str]:
    """The folded terms without noise, case kept (what the boundary tokenizer's dictionary holds); one fold for all."""
    if not terms:
        return []
    folded = fold("\x00".join(terms)).split("\x00")
    if len(folded) != len(terms):
        folded = [fold(t) for t in terms]
    strip = str.maketrans("", "", _NOISE_ASCII)
    return [t.translate(strip) for t in folded]


# what each code point is to the scanner (every non-ASCII one at 0x80), one byte: noise bytes are above "Z" (space and
# hyphen "_", the others "|"), digits "0", capitals "A", anything else "#". `Stream.digits` is this byte for every folded
# character, where the Chinese numerals (NUMERALS, given by `_info` for the whole BMP) are "N".
_CLASS = np.full(0x81, ord("#"), dtype=np.uint8)
_CLASS[list(NOISE_BYTES)] = ord("|")
_CLASS[[0x20, 0x2D]] = ord("_")
_CLASS[0x30:0x3A] = ord("0")
_CLASS[0x41:0x5B] = ord("A")  # ASCII capitals: lowercased in `clean`
_UPPER = b"A"
# the Chinese numerals that write a number digit by digit (一九八五…, 壹贰叁…): `anchor: numerals` patterns are tried
# around runs of them (scanner._numeral_hits), as `anchor: digits` patterns around runs of digits
NUMERALS = "〇○零一二三四五六七八九壹贰叁肆伍陆柒捌玖"
_NUMERAL = ord("N")
_FOLDS = 0x80  # `_info`: the character folds
_NOISE_CLASS = ord("Z")  # classes above this ("_" and "|") are noise
PAD = 4  # NUL code points after `Stream.codes` (the prefilter reads up to 4 characters from any place)


@dataclass(slots=True)
class Stream:
    """The folded text (`folded`, with `offsets` back to the original); the noise-free, ASCII-lowercased text the keys
    are looked for in (`clean`, with its code points in `codes`, followed by PAD NULs); `digits`, one byte per
    character of `folded` (digits "0", space and hyphen "_", other noise "|", capitals "A", Chinese numerals "N",
    anything else "#"), where numbers are looked for; and
    `gaps`, for mapping clean positions back to folded ones: gaps[j] is the number of clean characters before the
    j-th removed (noise) character.

    Everything is computed on code points at once (numpy): a clean position p comes from folded position
    p + (number of gaps ≤ p), so a hit is mapped back by a binary search, never by reading the text again."""

    folded: str
    clean: str
    codes: np.ndarray | None  # None when the C accelerator made the stream: its prefilter reads `clean` itself
    digits: bytes
    gaps: np.ndarray
    offsets: OffsetMap = IDENTITY

    @classmethod
    def of(cls, text: str) -> Stream:
        if accel.native is not None:  # one C pass over the folded text (accel.py); numpy below otherwise
            folded, offsets = fold_map(text)
            clean, digits, removed = accel.native.stream(folded, _info())
            return cls(folded, clean, None, digits, np.frombuffer(removed, dtype=np.int64), offsets)
        # folding reads the code points and their classes anyway: when it deleted or expanded nothing (most texts),
        # they are the folded text's and are used as they are
        folded, offsets, codes, classes = _fold(text)
        if codes is None or classes is None:
            # "surrogatepass": a lone surrogate (text from a broken document) stays one code point; in `clean` it
            # becomes "?", as the keys' UTF-8 encoding with "replace" makes it (term_key)
            codes = np.frombuffer(folded.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
            classes = _classes(codes)
        digits = classes.tobytes()
        noise = classes > _NOISE_CLASS
        gaps = noise.nonzero()[0]
        n = len(codes) - len(gaps)
        kept = np.zeros(n + PAD, dtype=np.uint32)
        if len(gaps):
            kept[:n] = codes[~noise]
            gaps -= np.arange(len(gaps), dtype=gaps.dtype)
        else:
            kept[:n] = codes
        del noise, classes, codes
        body = kept[:n]
        if _UPPER in digits:  # ASCII lowercase only (as bytes.lower)
            body[(body - np.uint32(0x41)) < np.uint32(26)] += np.uint32(0x20)
        raw = body.tobytes()
        try:
            clean = raw.decode("utf-32-le")
        except UnicodeDecodeError:  # lone surrogates
            body[(body - np.uint32(0xD800)) < np.uint32(0x800)] = np.uint32(0x3F)
            clean = body.tobytes().decode("utf-32-le")
        return cls(folded, clean, kept, digits, gaps, offsets)

    def folded_starts(self, positions: np.ndarray) -> np.ndarray:
        """The folded positions of the clean characters at `positions` (int64, any order)."""
        if not len(self.gaps):
            return positions
        return positions + np.searchsorted(self.gaps, positions, side="right")

    def folded_places(self, positions: list[int]) -> list[int]:
        """folded_starts for a list (one numpy call, however many positions; one C call with the accelerator)."""
        if not len(self.gaps):
            return positions
        if accel.native is not None:
            return accel.native.places(self.gaps, positions)
        return (np.searchsorted(self.gaps, positions, side="right") + positions).tolist()  # type: ignore[no-any-return]

    def folded_span(self, start: int, last: int) -> tuple[int, int]:
        """The folded span of clean[start : last + 1]: from its first character to just after its last one (noise
        between them included)."""
        gaps = self.gaps
        if not len(gaps):
            return start, last + 1
        return (start + int(np.searchsorted(gaps, start, side="right")),
                last + 1 + int(np.searchsorted(gaps, last, side="right")))
