"""Prefilter for large term lists: which places of the noise-free text can start a term at all.

Every term of two or more characters is anchored by its first min(len, 4) characters. numpy hashes every 2-, 3- and
4-character window of the text at once (a polynomial hash modulo 2**32; a collision only costs one short automaton walk), a bitmap and an exact hash check keep only the
places where some anchor starts, and the term automaton (pyahocorasick) then walks only short windows from those
places. A term that occurs always has its anchor at its start, so the prefilter never loses a hit; it only spares the
automaton the rest of the text. Why: pyahocorasick looks children up linearly, and 100,000 Chinese terms give the
root thousands of children, so walking every character is what makes plain Aho-Corasick slow."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

MAX_ANCHOR = 4
_P = 0x01000193  # FNV-1 32-bit prime
_MASK = (1 << 32) - 1
_BITS = 20  # 1 MB bitmaps: random look-ups stay in cache
_SLOTS = (1 << _BITS) - 1  # the low bits of the hash index the bitmap
_BLOCK = 1 << 20  # characters hashed at once (bounds memory for very large texts)


def anchor_hash(anchor: str) -> int:
    h = 0
    for ch in anchor:
        h = (h * _P + ord(ch)) & _MASK
    return h


class Prefilter:
    def __init__(self, keys: Iterable[str]) -> None:
        groups: dict[int, dict[int, int]] = {}  # anchor length -> anchor hash -> longest key with that anchor
        prefixes: set[int] = set()  # hashes of the first two characters of every anchor
        for key in keys:
            n = min(len(key), MAX_ANCHOR)
            group = groups.setdefault(n, {})
            h = anchor_hash(key[:n])
            group[h] = max(group.get(h, 0), len(key))
            prefixes.add(anchor_hash(key[:2]))
        self._groups: dict[int, tuple[np.ndarray, np.ndarray]] = {}
        self._bitmaps: dict[int, np.ndarray] = {}
        for n, group in sorted(groups.items()):
            hashes = np.array(sorted(group), dtype=np.uint32)
            self._groups[n] = (hashes, np.array([group[h] for h in hashes.tolist()], dtype=np.int64))
            self._bitmaps[n] = self._bitmap(hashes)
        self._prefix_bitmap = self._bitmap(np.array(sorted(prefixes), dtype=np.uint32))
        self._longest_anchor = max(groups, default=0)

    @staticmethod
    def _bitmap(hashes: np.ndarray) -> np.ndarray:
        bitmap = np.zeros(1 << _BITS, dtype=np.bool_)
        bitmap[hashes & np.uint32(_SLOTS)] = True
        return bitmap

    def windows(self, clean: str) -> list[tuple[int, int]]:
        """Disjoint, sorted [start, end) character ranges of `clean` that contain every possible key occurrence."""
        if not self._groups or len(clean) < 2:
            return []
        codes = np.frombuffer(clean.encode("utf-32-le"), dtype=np.uint32)
        total = len(codes)
        starts: list[np.ndarray] = []
        ends: list[np.ndarray] = []
        p = np.uint32(_P)
        for lo in range(0, total - 1, _BLOCK):
            hi = min(total, lo + _BLOCK + 1)
            # one pass over every position: the 2-character hash, kept where it can begin some anchor
            h2 = codes[lo : hi - 1] * p
            h2 += codes[lo + 1 : hi]
            at = np.flatnonzero(self._prefix_bitmap[h2 & np.uint32(_SLOTS)]) + lo
            if not at.size:
                continue
            h = h2[at - lo]
            for n in range(2, self._longest_anchor + 1):
                if n > 2:  # extend the surviving hashes by one character
                    keep = at + (n - 1) < total
                    at, h = at[keep], h[keep]
                    h = h * p + codes[at + (n - 1)]
                if n not in self._groups or not at.size:
                    continue
                maybe = np.flatnonzero(self._bitmaps[n][h & np.uint32(_SLOTS)])
                if maybe.size:
                    hashes, longest = self._groups[n]
                    candidates = h[maybe]
                    idx = np.minimum(np.searchsorted(hashes, candidates), len(hashes) - 1)
                    found = hashes[idx] == candidates
                    if found.any():
                        sure = at[maybe[found]]
                        starts.append(sure)
                        ends.append(sure + longest[idx[found]])
        if not starts:
            return []
        first = np.concatenate(starts)
        order = np.argsort(first, kind="stable")
        merged: list[tuple[int, int]] = []
        for p0, e in zip(first[order].tolist(), np.minimum(np.concatenate(ends)[order], total).tolist()):
            if merged and p0 <= merged[-1][1]:
                if e > merged[-1][1]:
                    merged[-1] = (merged[-1][0], e)
            else:
                merged.append((p0, e))
        return merged
