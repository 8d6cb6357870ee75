"""Prefilter for large term lists: which places of the noise-free text can start a term at all, and the terms found
there.

Every term of two or more characters is anchored by its first min(len, 4) characters. numpy hashes every 2-, 3- and
4-character window of the text at once (a polynomial hash modulo 2**32; a collision only costs one comparison),
tables of hash slots and an exact hash check keep only the places where some anchor starts, and the term automaton
(pyahocorasick) then walks only short windows from those places. A term that occurs always has its anchor at its start,
so the prefilter never loses a hit; it only spares the automaton the rest of the text. Why: pyahocorasick looks
children up linearly, and 100,000 Chinese terms give the root thousands of children, so walking every character is
what makes plain Aho-Corasick slow.

`find` goes one step further and needs no automaton for most keys: at a place where an anchor starts, the keys that
share this anchor (usually one: a 2- or 3-character key is its own anchor, and few keys share their first four
characters) are compared with the text there. Only an anchor shared by more than `GROUP` keys sends its places to an
automaton of those keys, walked on short windows as before, so a unit's list of hundreds of names that begin alike
still costs each place one walk, not one comparison per name.

What one document costs beyond its length (the pipeline scans one document per task) is mostly the number of numpy
calls, about a microsecond each whatever the size, and the cache misses of its look-ups (the tables are bitmaps,
128 KB and 512 KB: a table of one byte per slot saved bit arithmetic but cost a document more in misses): a bitmap says
whether a 2-character hash begins some key; the 2-, 3- and 4-character hashes of the places that pass are put
one after another and checked against one table and one sorted array of every anchor's hash, whatever its length (a
hash of one length that equals an anchor of another length is a collision like any other: one more place, dropped by
the comparison). About 30 numpy calls per document, where a check per anchor length took about 50. The slot is taken
from the high bits of the hash multiplied by an odd constant, another one for the anchor table than for the prefix
table (with the same one, places that pass the prefix table by a collision would pass the anchor table again)."""

from __future__ import annotations

from collections.abc import Iterable

import ahocorasick
import numpy as np

from reviewer.scan import accel

MAX_ANCHOR = 4
_P = 0x01000193  # FNV-1 32-bit prime
_MASK = (1 << 32) - 1
_BITS = 20  # slots of the prefix table: 2**20 bits, 128 KB
_ANCHOR_BITS = 22  # slots of the anchor table (anchors of every length): 2**22 bits, 512 KB, a few percent of them set
_MIX = 0x9E3779B1  # odd multiplier: the slot is the top bits of hash * _MIX (mod 2**32)
# the anchor table uses another multiplier than the prefix table: with the same one, a 2-character anchor's slot would
# be a slot of the prefix table too, and the places that pass the prefix table by a collision would pass it again
_MIX_ANCHOR = 0x85EBCA77
_MIX_CHECK = 0xC2B2AE3D  # the second anchor bitmap's multiplier: a place passes both by chance about once in 2,000
GROUP = 8  # keys sharing an anchor beyond which their places are walked by an automaton
SHORT = 64  # a text of at most this many characters is looked up place by place in Python (numpy costs more)
_BLOCK = 1 << 20  # characters hashed at once (bounds memory for very large texts)
_ABSENT = (0, ())  # what the anchor dictionary gives for a place where no anchor starts


def anchor_hash(anchor: str) -> int:
    h = 0
    for ch in anchor:
        h = (h * _P + ord(ch)) & _MASK
    return h


def _table(hashes: np.ndarray, mix: int, bits: int) -> np.ndarray:
    """A bitmap of 2**bits slots, packed in 32-bit words: the slot of a hash is the top `bits` bits of hash * mix
    (mod 2**32). Packed, because a document's look-ups touch fewer cache lines: the pipeline scans one document per
    task, and between two documents the table falls out of the cache (a byte per slot cost more for a document than
    the bit arithmetic saves)."""
    flags = np.zeros(1 << bits, dtype=np.bool_)
    flags[(hashes.astype(np.uint32) * np.uint32(mix)) >> np.uint32(32 - bits)] = True
    return np.packbits(flags, bitorder="little").view(np.uint32)


def _member(table: np.ndarray, slots: np.ndarray) -> np.ndarray:
    """Indexes of the slots that are set in the bitmap (`slots` is overwritten)."""
    words = table.take(slots >> np.uint32(5))
    slots &= np.uint32(31)
    words >>= slots
    words &= np.uint32(1)
    return words.astype(np.bool_).nonzero()[0]  # nonzero of a bool array is several times faster than of uint32


class Prefilter:
    def __init__(self, keys: Iterable[str]) -> None:
        self._keys = keys = list(keys)
        if any(len(key) < 2 for key in keys):
            raise ValueError("prefilter keys have at least two characters")
        # the anchor of a key is key[:MAX_ANCHOR] (the whole key when shorter); its hash is computed for all keys at
        # once, by the same numpy operations that hash the text (anchor_hash is the same function in Python)
        lengths = np.fromiter(map(len, keys), dtype=np.int64, count=len(keys))
        heads = np.frombuffer("".join(key[:MAX_ANCHOR].ljust(MAX_ANCHOR, "\x00") for key in keys).encode("utf-32-le"),
                              dtype=np.uint32).reshape(-1, MAX_ANCHOR)
        p = np.uint32(_P)
        by_length = [heads[:, 0] * p + heads[:, 1]]  # 2-, 3- and 4-character hashes of every key
        for col in range(2, MAX_ANCHOR):
            by_length.append(by_length[-1] * p + heads[:, col])
        n = np.minimum(lengths, MAX_ANCHOR)
        self._lengths = tuple(int(x) for x in np.unique(n)) if len(keys) else ()
        # every anchor's hash, whatever its length, in one sorted array with the sentinel after it (searchsorted never
        # runs off the end; a place that matches only the sentinel is dropped), the longest key of each hash, and a
        # bitmap of their slots. Anchors of different lengths share the array: a 2-character hash that equals a
        # 3-character one is a 32-bit collision like any other, which only adds a place. So all lengths are checked
        # with one gather and one search: a short document pays a few numpy calls, not a few per anchor length.
        anchor_hashes = np.choose(n - 2, by_length) if len(keys) else np.zeros(0, dtype=np.uint32)
        order = np.argsort(anchor_hashes, kind="stable")
        anchor_hashes, key_lengths = anchor_hashes[order], lengths[order]
        unique, first = np.unique(anchor_hashes, return_index=True)
        self._anchor_hashes = np.append(unique, np.uint32(_MASK)).astype(np.uint32)
        self._anchor_longest = np.append(np.maximum.reduceat(key_lengths, first) if len(first) else first, 0).astype(np.int64)
        self._anchor_table = _table(unique, _MIX_ANCHOR, _ANCHOR_BITS)
        self._check_table = _table(unique, _MIX_CHECK, _ANCHOR_BITS)
        # the prefix check runs on every position of the text: is this 2-character hash the start of some key?
        self._prefix_table = _table(np.unique(by_length[0]), _MIX, _BITS)
        self._length_of = np.array(self._lengths, dtype=np.int64)
        self._length_mask = sum(1 << n for n in self._lengths)  # the anchor lengths, as bits (accel.anchors)
        # anchor -> its keys (key, index), or None when more than GROUP keys share it (those go to the automaton)
        anchors = [key[:MAX_ANCHOR] for key in keys]
        last = dict(zip(anchors, range(len(keys))))
        # anchor -> (characters its keys compare, its keys as (key, index, length - 1)), or None for a large group
        self._by_anchor: dict[str, tuple[int, tuple[tuple[str, int, int], ...]] | None] = {
            a: (len(keys[i]), ((keys[i], i, len(keys[i]) - 1),)) for a, i in last.items()}
        shared: dict[str, list[int]] = {}
        if len(last) < len(keys):
            for i, anchor in enumerate(anchors):
                if last[anchor] != i:
                    shared.setdefault(anchor, []).append(i)
        self._longest: dict[str, int] = {}  # anchor of a large group -> its longest key
        self._automaton: ahocorasick.Automaton | None = None
        for anchor, members in shared.items():
            members.append(last[anchor])
            if len(members) <= GROUP:
                self._by_anchor[anchor] = (sum(len(keys[i]) for i in members),
                                           tuple((keys[i], i, len(keys[i]) - 1) for i in members))
                continue
            self._by_anchor[anchor] = None
            self._longest[anchor] = max(len(keys[i]) for i in members)
            if self._automaton is None:
                self._automaton = ahocorasick.Automaton()
            for i in members:
                self._automaton.add_word(keys[i], i)
        if self._automaton is not None:
            self._automaton.make_automaton()

    def _anchors(self, clean: str, codes: np.ndarray | None = None,
                 longest: bool = False) -> list[tuple[np.ndarray, np.ndarray, np.ndarray | None]]:
        """Places where an anchor (probably) starts: (positions, anchor lengths there, and with `longest` the longest
        key of that anchor), in no particular order. The hash check is exact up to 32-bit collisions, which only add a
        place. `codes`: the code points of `clean` followed by at least MAX_ANCHOR NULs, when the caller has them
        (normalize.Stream.codes)."""
        total = len(clean)
        if not self._lengths or total < 2:
            return []
        # padded with NULs so that the 3- and 4-character hashes need no bounds check (a hash that reads padding only
        # adds a place, which the comparison with the text drops; it never hides one)
        if codes is None or len(codes) < total + MAX_ANCHOR:
            codes = np.frombuffer((clean + "\x00" * MAX_ANCHOR).encode("utf-32-le"), dtype=np.uint32)
        out: list[tuple[np.ndarray, np.ndarray, np.ndarray | None]] = []
        p = np.uint32(_P)
        lengths = self._lengths
        for lo in range(0, total - 1, _BLOCK):
            hi = min(total, lo + _BLOCK + 1)
            # one pass over every position: the 2-character hash, kept where it can begin some key
            h2 = codes[lo : hi - 1] * p
            h2 += codes[lo + 1 : hi]
            slots = h2 * np.uint32(_MIX)
            slots >>= np.uint32(32 - _BITS)
            at = _member(self._prefix_table, slots)
            del slots
            if not at.size:
                continue
            h = h2[at]
            del h2
            # the 2-, 3- and 4-character hashes of the surviving places, one after another, checked together
            hashes = [h] if lengths[0] == 2 else []
            for n in range(3, lengths[-1] + 1):
                h = h * p
                h += codes[lo + n - 1 :].take(at)  # the n-th character of every place
                if n in lengths:
                    hashes.append(h)
            if lo:
                at += lo
            every = np.concatenate(hashes) if len(hashes) > 1 else hashes[0]
            slots = every * np.uint32(_MIX_ANCHOR)
            slots >>= np.uint32(32 - _ANCHOR_BITS)
            maybe = _member(self._anchor_table, slots)
            if not maybe.size:
                continue
            candidates = every[maybe]
            if longest:  # the exact hash, for the longest key of the anchor (windows)
                idx = np.searchsorted(self._anchor_hashes, candidates)
                found = (self._anchor_hashes[idx] == candidates).nonzero()[0]
            else:  # a second bitmap, by another slot function: one look-up, where a binary search took about 17
                slots = candidates * np.uint32(_MIX_CHECK)
                slots >>= np.uint32(32 - _ANCHOR_BITS)
                found = _member(self._check_table, slots)
            if found.size:
                size = len(at)
                which = maybe[found]
                out.append((at[which % size], self._length_of[which // size],
                            self._anchor_longest[idx[found]] if longest else None))
        return out

    def windows(self, clean: str) -> list[tuple[int, int]]:
        """Disjoint, sorted [start, end) character ranges of `clean` that contain every possible key occurrence."""
        found = self._anchors(clean, longest=True)
        if not found:
            return []
        first = np.concatenate([at for at, _, _ in found])
        last = np.minimum(np.concatenate([at + longest for at, _, longest in found if longest is not None]), len(clean))
        order = np.argsort(first, kind="stable")
        return _merge(zip(first[order].tolist(), last[order].tolist()))

    def find(self, clean: str, codes: np.ndarray | None = None) -> tuple[list[tuple[int, int]], int, int]:
        """Every occurrence of every key in `clean`, as (index of its last character, index of the key), ordered as
        an Aho-Corasick automaton reports them (by end, the longer key first); and the work done: characters
        compared or walked, and look-ups (places compared plus automaton walks). `codes`: see `_anchors`."""
        total = len(clean)
        places: list[tuple[int, int]] = []  # (position, anchor length)
        if total <= SHORT:
            places = [(pos, n) for pos in range(total - 1) for n in self._lengths if pos + n <= total]
        elif accel.native is not None and self._lengths:  # the same places in one C loop over `clean` (accel.py)
            places = accel.native.anchors(clean, self._prefix_table, _BITS, _MIX, self._anchor_table,
                                          self._check_table, _ANCHOR_BITS, _MIX_ANCHOR, _MIX_CHECK, self._length_mask)
        else:
            for at, lengths, _ in self._anchors(clean, codes):
                places.extend(zip(at.tolist(), lengths.tolist()))
        hits: list[tuple[int, int, int]] = []
        read = 0
        large: list[tuple[int, int]] = []
        get = self._by_anchor.get
        startswith = clean.startswith
        for pos, n in places:
            members = get(clean[pos : pos + n], _ABSENT)
            if members is _ABSENT:
                continue  # a hash collision, padding, or (short texts) no anchor here
            if members is None:
                large.append((pos, min(total, pos + self._longest[clean[pos : pos + n]])))
                continue
            size, keys = members
            read += size
            for key, i, last in keys:
                if startswith(key, pos):
                    hits.append((pos + last, pos, i))
        calls = len(places)
        if large and self._automaton is not None:
            large.sort()
            for ws, we in _merge(large):
                # each window is sliced and walked on its own: `iter(clean, ws, we)` would cost the whole text
                hits.extend((end + ws, end + ws - len(self._keys[i]) + 1, i) for end, i in self._automaton.iter(clean[ws:we]))
                read += we - ws
                calls += 1
        hits.sort()
        return [(end, i) for end, _, i in hits], read, calls


def _merge(ranges: Iterable[tuple[int, int]]) -> list[tuple[int, int]]:
    """Sorted [start, end) ranges merged where they overlap or touch; empty ones dropped."""
    merged: list[tuple[int, int]] = []
    for p0, e in ranges:
        if merged and p0 <= merged[-1][1]:
            if e > merged[-1][1]:
                merged[-1] = (merged[-1][0], e)
        elif e > p0:
            merged.append((p0, e))
    return merged
