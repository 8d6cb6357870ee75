"""Scanning a draft against the registered documents: one lookup of its keyed selections per rule, matches of one
registered paragraph close together in the draft form a passage, reported when long and similar enough."""

from __future__ import annotations

import hashlib
import json
from bisect import bisect_left
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from reviewer.errors import RuleError, exception_zh
from reviewer.scan.fingerprints.explain import Hit
from reviewer.scan.fingerprints.grams import _U64, K, Prepared, W, default_common
from reviewer.scan.fingerprints.storage import HASH_NAME, decode_data, keyed, read_key

if TYPE_CHECKING:  # pragma: no cover
    from reviewer.ruleset.model import FingerprintRule

MIN_MATCHES = 3  # matched selections of one registered paragraph (a 50-character copy always has >= 4)
MIN_SPAN = 30  # normalised characters a passage must cover (a 50-character copy always covers >= 36)
MAX_GAP = 60  # matches further apart than this (normalised characters) start a new passage
MIN_SIMILARITY = 0.5


@dataclass
class _RuleIndex:
    """One rule's postings, ordered by keyed hash. `hashes` holds each distinct hash once; the postings (document,
    paragraph) of hashes[u] are docs/paras[offsets[u] : offsets[u + 1]]."""

    rule: int
    key: bytes
    hashes: np.ndarray
    docs: np.ndarray
    paras: np.ndarray
    labels: list[str]
    bits: int = 0
    tags: np.ndarray = field(default_factory=lambda: np.zeros(1, np.uint32))
    offsets: np.ndarray = field(default_factory=lambda: np.zeros(1, np.int64))
    starts: np.ndarray = field(default_factory=lambda: np.zeros(1, np.uint32))

    def __post_init__(self) -> None:
        h = self.hashes
        change = np.ones(len(h), bool)
        if len(h):
            change[1:] = h[1:] != h[:-1]
        self.offsets = np.append(np.flatnonzero(change), len(h)).astype(np.uint32 if len(h) < 2**32 else np.int64)
        self.hashes = h[change]
        # Direct addressing by the top `bits` bits (about one distinct hash per bucket): a lookup is one gather into
        # `starts` and a comparison or two, instead of a binary search through megabytes.
        n = len(self.hashes)
        self.bits = max(1, min(28, int(n).bit_length()))
        top = (self.hashes >> _U64(64 - self.bits)).astype(np.int64)
        counts = np.bincount(top, minlength=1 << self.bits)
        self.starts = np.concatenate([[0], np.cumsum(counts)]).astype(np.uint32 if n < 2**32 else np.int64)
        # One 32-bit tag per bucket, read first: 31 low bits of the bucket's first hash and a "more than one" bit
        # (0 = empty). Most queries stop at this one memory access; only candidates touch `starts` and `hashes`.
        tags = np.zeros(1 << self.bits, np.uint32)
        filled = np.flatnonzero(counts)
        low = (self.hashes[self.starts[filled].astype(np.intp)] & _U64(0x7FFFFFFF)).astype(np.uint32)
        tags[filled] = (low << np.uint32(1)) | (counts[filled] > 1).astype(np.uint32)
        tags[filled[tags[filled] == 0]] = 1  # a real tag of 0 would read as empty: mark it "look further"
        self.tags = tags

    @property
    def nbytes(self) -> int:
        return int(self.hashes.nbytes + self.docs.nbytes + self.paras.nbytes + self.starts.nbytes + self.offsets.nbytes
                   + self.tags.nbytes)

    def lookup(self, q: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(indexes of the queries that occur, their first posting, their number of postings) for keyed hashes q:
        every query is compared with every distinct hash of its bucket at once (a bucket holds ~1 on average)."""
        top = (q >> _U64(64 - self.bits)).astype(np.intp)
        tag = np.take(self.tags, top)
        want = ((q & _U64(0x7FFFFFFF)).astype(np.uint32) << np.uint32(1))
        maybe = np.flatnonzero((tag & np.uint32(1)) | ((tag & ~np.uint32(1)) == want) & (tag != 0))
        if len(maybe) == 0:
            return np.zeros(0, np.intp), np.zeros(0, np.intp), np.zeros(0, np.intp)
        which, first, count = self._lookup_full(np.take(q, maybe), np.take(top, maybe))
        return np.take(maybe, which), first, count

    def _lookup_full(self, q: np.ndarray, top: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        lo = np.take(self.starts, top).astype(np.intp)
        sizes = np.take(self.starts, top + 1).astype(np.intp) - lo
        total = int(sizes.sum())
        if total == 0:
            return np.zeros(0, np.intp), np.zeros(0, np.intp), np.zeros(0, np.intp)
        query = np.repeat(np.arange(len(q)), sizes)
        at = np.repeat(lo - np.cumsum(sizes) + sizes, sizes) + np.arange(total)
        eq = np.take(self.hashes, at) == np.take(q, query)
        which, u = query[eq], at[eq]
        first = np.take(self.offsets, u).astype(np.intp)
        return which, first, np.take(self.offsets, u + 1).astype(np.intp) - first


def _labels_file(path: Path, rule: FingerprintRule) -> list[str]:
    if not rule.documents_file:
        return []
    try:
        entries = json.loads((path.parent / rule.documents_file).read_text(encoding="utf-8"))
        labels = [str(e["label"]) for e in entries]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ValueError(f"登记文件清单 {rule.documents_file} 无法读取或格式不对（{exception_zh(exc)}）") from exc
    return labels


class FingerprintIndex:
    """Every fingerprint rule of a rule set, loaded once; `find` is called once per scanned text."""

    def __init__(self) -> None:
        self._rules: list[_RuleIndex] = []

    def add(self, rule: int, key: bytes, hashes: np.ndarray, docs: np.ndarray, paras: np.ndarray,
            labels: list[str]) -> None:
        if len(docs) and int(docs.max()) >= len(labels):
            raise ValueError("指纹数据引用了不存在的登记文件（数据与规则文件不一致）")
        self._rules.append(_RuleIndex(rule, key, hashes, docs, paras, labels))

    @classmethod
    def load(cls, rules: Iterable[tuple[int, Path, FingerprintRule]]) -> FingerprintIndex:
        """(rule index, rule file path, FingerprintRule) for every fingerprint rule; a missing, altered or foreign
        data or key file raises RuleError (fail closed: the scanner does not start without it)."""
        index = cls()
        default_common()  # the similarity needs it: fail when the scanner is built, not in the middle of a scan
        for i, path, rule in rules:
            shown = str(path)
            if (rule.hash, rule.gram, rule.window) != (HASH_NAME, K, W):
                raise RuleError(f"指纹参数（hash={rule.hash}，gram={rule.gram}，window={rule.window}）与本程序"
                                f"（{HASH_NAME}，{K}，{W}）不符；请用 reviewer fingerprints build 重新生成", path=shown,
                                field="hash")
            data_path = path.parent / rule.data_file
            key_path = path.parent / rule.key_file
            try:
                blob = data_path.read_bytes()
            except OSError as exc:
                raise RuleError(f"指纹数据文件 {data_path} 无法读取（{exception_zh(exc)}）", path=shown, field="data_file") from exc
            if hashlib.sha256(blob).hexdigest() != rule.data_sha256:
                raise RuleError("指纹数据文件与规则记录的 SHA-256 不符（被替换或损坏）；请重新生成", path=shown,
                                field="data_sha256")
            try:
                key = read_key(key_path)
            except (OSError, ValueError) as exc:
                raise RuleError(f"密钥文件 {key_path} 无法读取或格式不对（{exception_zh(exc)}）", path=shown, field="key_file") from exc
            try:
                labels = [d.label for d in rule.documents] + _labels_file(path, rule)
                hashes, docs, paras = decode_data(blob)
                index.add(i, key, hashes, docs, paras, labels)
            except ValueError as exc:
                raise RuleError(str(exc), path=shown, field="data_file") from exc
        return index

    def __len__(self) -> int:
        return len(self._rules)

    @property
    def nbytes(self) -> int:
        return sum(r.nbytes for r in self._rules)

    def find(self, text: str, folded: str | None = None) -> list[Hit]:
        """Passages of `text` (offsets into `text`) that reproduce registered paragraphs. `folded` = fold(text)
        when the caller already has it."""
        if not self._rules:
            return []
        prep = Prepared.of(text, folded if folded is not None and len(folded) == len(text) else None)
        if len(prep.selected) < MIN_MATCHES:
            return []
        out: list[Hit] = []
        for r in self._rules:
            out.extend(self._find_rule(r, prep))
        return out

    @staticmethod
    def _find_rule(r: _RuleIndex, prep: Prepared) -> list[Hit]:
        if len(r.hashes) == 0:
            return []
        q = keyed(r.key, prep.hashes)
        matched, left, counts = r.lookup(q)  # matched: index into prep.selected
        if len(matched) < MIN_MATCHES:
            return []
        total = int(counts.sum())
        which = np.repeat(matched, counts)
        firsts = np.repeat(left - np.cumsum(counts) + counts, counts)
        postings = firsts + np.arange(total)
        docs = r.docs[postings].astype(np.int64)
        paras = r.paras[postings].astype(np.int64)
        pos = prep.selected[which]
        order = np.lexsort((pos, paras, docs))
        docs, paras, pos, which = docs[order], paras[order], pos[order], which[order]
        new_group = np.ones(len(pos), bool)
        new_group[1:] = (docs[1:] != docs[:-1]) | (paras[1:] != paras[:-1]) | (pos[1:] - pos[:-1] > MAX_GAP)
        starts = np.flatnonzero(new_group)
        ends = np.append(starts[1:], len(pos))
        sizes = ends - starts  # one draft position per posting of a (document, paragraph): matches = size
        ok = sizes >= MIN_MATCHES
        starts, ends, sizes = starts[ok], ends[ok], sizes[ok]
        first, last = pos[starts], pos[ends - 1]
        ok = last + K - first >= MIN_SPAN
        starts, sizes, first, last = starts[ok], sizes[ok], first[ok], last[ok]
        lo = np.searchsorted(prep.selected, first, side="left")
        hi = np.searchsorted(prep.selected, last, side="right")
        similarity = sizes / np.maximum(sizes, prep.plain_between(lo, hi))
        ok = similarity >= MIN_SIMILARITY
        hits = [
            Hit(r.rule, int(prep.offsets[f]), int(prep.offsets[la + K - 1]) + 1, r.labels[int(docs[s])], int(paras[s]),
                float(sim), int(n))
            for s, f, la, sim, n in zip(starts[ok], first[ok], last[ok], similarity[ok], sizes[ok])
        ]
        return _best(hits)


def _best(hits: list[Hit]) -> list[Hit]:
    """Where passages of different registered paragraphs cover mostly the same stretch of the draft, keep the one
    with the most matches (then the highest similarity): one finding per copied passage."""
    kept_starts: list[int] = []
    kept: list[Hit] = []
    longest = 0
    for h in sorted(hits, key=lambda h: (-h.matches, -h.similarity, h.start - h.end, h.start, h.paragraph)):
        half = (h.end - h.start) // 2
        # kept passages that can overlap h start within `longest` before it
        i = bisect_left(kept_starts, h.start - longest)
        j = bisect_left(kept_starts, h.end)
        if any(min(h.end, k.end) - max(h.start, k.start) > half for k in kept[i:j]):
            continue
        at = bisect_left(kept_starts, h.start)
        kept_starts.insert(at, h.start)
        kept.insert(at, h)
        longest = max(longest, h.end - h.start)
    return kept
