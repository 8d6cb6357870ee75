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
_BITS = 22
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
        for key in keys:
            n = min(len(key), MAX_ANCHOR)
            group = groups.setdefault(n, {})
            h = anchor_hash(key[:n])
            group[h] = max(group.get(h, 0), len(key))
        self._groups: dict[int, tuple[np.ndarray, np.ndarray]] = {}
        self._bitmaps: dict[int, np.ndarray] = {}
        for n, group in sorted(groups.items()):
            hashes = np.array(sorted(group), dtype=np.uint32)
            self._groups[n] = (hashes, np.array([group[h] for h in hashes.tolist()], dtype=np.int64))
            bitmap = np.zeros(1 << _BITS, dtype=np.bool_)
            bitmap[hashes & np.uint32(_SLOTS)] = True
            self._bitmaps[n] = bitmap

    def windows(self, clean: str) -> list[tuple[int, int]]:
        """Disjoint, sorted [start, end) character ranges of `clean` that contain every possible term occurrence."""
        if not self._groups or len(clean) < 2:
            return []
        codes = np.frombuffer(clean.encode("utf-32-le"), dtype=np.uint32)
        total = len(codes)
        lengths = sorted(self._groups)
        starts: list[np.ndarray] = []
        ends: list[np.ndarray] = []
        for lo in range(0, total - 1, _BLOCK):
            hi = min(total, lo + _BLOCK + MAX_ANCHOR - 1)
            h = codes[lo:hi].copy()  # hash of the 1-character windows, extended one character per step
            for n in range(2, lengths[-1] + 1):
                h = h[:-1]
                h *= np.uint32(_P)
                h += codes[lo + n - 1 : hi]
                if n not in self._groups:
                    continue
                usable = min(len(h), _BLOCK)  # windows starting in this block only
                maybe = np.flatnonzero(self._bitmaps[n][h[:usable] & np.uint32(_SLOTS)])
                if maybe.size:
                    hashes, longest = self._groups[n]
                    candidates = h[maybe]
                    at = np.minimum(np.searchsorted(hashes, candidates), len(hashes) - 1)
                    found = hashes[at] == candidates
                    if found.any():
                        sure = maybe[found] + lo
                        starts.append(sure)
                        ends.append(sure + longest[at[found]])
        if not starts:
            return []
        first = np.concatenate(starts)
        order = np.argsort(first, kind="stable")
        merged: list[tuple[int, int]] = []
        for p, e in zip(first[order].tolist(), np.minimum(np.concatenate(ends)[order], total).tolist()):
            if merged and p <= merged[-1][1]:
                if e > merged[-1][1]:
                    merged[-1] = (merged[-1][0], e)
            else:
                merged.append((p, e))
        return merged
