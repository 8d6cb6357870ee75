"""Registered documents: find passages of a draft that reproduce a registered (internal, classified) document, holding
nothing of its text but keyed hashes. See docs/fingerprints.md for the choices and the threat they answer.

Pipeline, the same for registering and for scanning:

1. `fold` (reviewer.scan.normalize: width, traditional -> simplified, noise; one character -> one character), then
   keep only content characters (CJK ideographs, digits, letters, lowercased): spaces, line breaks, punctuation and
   separators disappear, and every kept character remembers its offset in the original text.
2. Every K-character gram gets a public 64-bit hash (`grams_of_values`, a polynomial modulo 2^64 over random
   per-character values). It is never stored for registered text; it serves to select grams and to drop common ones.
3. Winnowing (Schleimer, Wilkerson, Aiken 2003): in every window of W consecutive grams the gram of minimal hash is
   selected. Any stretch of at least K + W - 1 characters shared by two texts yields at least one common selection.
4. A selected gram is stored as AES-128 (a keyed pseudorandom function) of its public hash under a per-rule 128-bit
   secret key; the posting says
   which document and which paragraph. Grams of ordinary public prose (the common-shingle list) are not stored.

At scan time the draft goes through steps 1-3, each selection is keyed with each rule's key and looked up; matches of
the same registered paragraph that lie close together in the draft form a passage, reported with its similarity
(matched selections / all selections of the draft inside the passage) when it is long enough.

This module is pure (numpy, no database, no files written except by `Builder.write`)."""

from __future__ import annotations

import hashlib
import json
import os
import secrets
from bisect import bisect_left
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from reviewer.errors import ReviewerError, RuleError, exception_zh
from reviewer.scan.normalize import fold

if TYPE_CHECKING:  # pragma: no cover
    from reviewer.ruleset.model import FingerprintRule

K = 13  # characters per gram
W = 8  # grams per winnowing window
GUARANTEE = K + W - 1  # a shared stretch of this many normalised characters always shares a selection (20)
MIN_MATCHES = 3  # matched selections of one registered paragraph (a 50-character copy always has >= 4)
MIN_SPAN = 30  # normalised characters a passage must cover (a 50-character copy always covers >= 36)
MAX_GAP = 60  # matches further apart than this (normalised characters) start a new passage
MIN_SIMILARITY = 0.5
MAX_POSTINGS = 64  # a gram in more registered paragraphs than this is boilerplate of the registered set: dropped
HASH_NAME = "aes128-winnow-v2"
DATA_MAGIC = b"RVFP\x01\x00\x00\x00"
KEY_BYTES = 16
INLINE_DOCUMENTS = 100  # more registered sources than this go to <id>.documents.json

_U64 = np.uint64
_M64 = (1 << 64) - 1
_BASE = _U64(0x9E3779B97F4A7C15)
_SEED = _U64(0xC2B2AE3D27D4EB4F)
COMMON_FILE = Path(__file__).with_name("data") / "common-shingles.u64"


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


# --------------------------------------------------------------------------------------------------- keyed hash
def keyed(key: bytes, messages: np.ndarray) -> np.ndarray:
    """The stored value of each public gram hash: the first 64 bits of AES-128 under the rule's key of the block
    (hash as 8 little-endian bytes, then 8 zero bytes). AES is a pseudorandom permutation, so on distinct inputs this
    is a pseudorandom function: without the key the values say nothing about the grams, and a guessed passage
    cannot be checked against them. One call per text (AES-NI through `cryptography`)."""
    if len(key) != KEY_BYTES:
        raise ValueError("AES-128 key must be 16 bytes")
    from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

    blocks = np.zeros((len(messages), 2), "<u8")
    blocks[:, 0] = messages
    encryptor = Cipher(algorithms.AES(key), modes.ECB()).encryptor()
    out = encryptor.update(blocks.tobytes()) + encryptor.finalize()
    return np.frombuffer(out, "<u8")[::2].astype(np.uint64)


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


# --------------------------------------------------------------------------------------------------- registering
def paragraphs_of(text: str) -> list[str]:
    """Paragraph numbering of a registered source: every non-blank line is one paragraph, counted from 1."""
    return [line for line in text.splitlines() if line.strip()]


def paragraphs_of_parts(parts: Iterable[tuple[str, bool]]) -> list[str]:
    """Paragraphs of an extracted source, from its parts as (text, spans_only) in document order. A `spans_only`
    part (the pre-revision view of a Word body) repeats the body: only its lines not seen already are added (the
    deleted text of tracked changes), so the numbering stays that of the body."""
    out: list[str] = []
    seen: set[str] = set()
    for text, spans_only in parts:
        for line in paragraphs_of(text):
            if spans_only and line in seen:
                continue
            seen.add(line)
            out.append(line)
    return out


# Document properties (generator, dates, template, HTML meta) are the same in unrelated documents: not registered.
METADATA_PARTS = ("文档属性", "HTML元数据")


def read_source(data: bytes, filename: str, label: str | None = None) -> tuple[str, list[str]]:
    """(label, paragraphs) of one source document in any format the intake reads. A source that cannot be read
    completely raises ReviewerError: nothing is registered from a partly read document."""
    from pathlib import PurePath

    from reviewer.extract import extract  # imported here: extract imports scan.model
    from reviewer.scan.fingerprints import paragraphs_of_parts

    extraction = extract(data, filename)
    if extraction.error:
        raise ReviewerError(f"源文件 {filename} 无法完整读取：{extraction.error}；未登记任何文件")
    paragraphs = paragraphs_of_parts((p.text, p.spans_only) for p in extraction.parts
                                     if not p.location.startswith(METADATA_PARTS))
    if not paragraphs:
        raise ReviewerError(f"源文件 {filename} 中没有可登记的文字；未登记任何文件")
    return (label or PurePath(filename).stem), paragraphs


@dataclass
class DocumentInfo:
    label: str
    paragraphs: int


@dataclass
class Builder:
    """Collects the keyed selections of many documents; `write` produces the rule files."""

    key: bytes = field(default_factory=lambda: secrets.token_bytes(KEY_BYTES))
    common: np.ndarray = field(default_factory=lambda: np.zeros(0, np.uint64))
    documents: list[DocumentInfo] = field(default_factory=list)
    _hashes: list[np.ndarray] = field(default_factory=list)
    _docs: list[np.ndarray] = field(default_factory=list)
    _paras: list[np.ndarray] = field(default_factory=list)
    characters: int = 0

    def add(self, label: str, paragraphs: Sequence[str]) -> DocumentInfo:
        doc = len(self.documents)
        text = "\n".join(paragraphs)
        folded = _fold_exact(text)
        values, offsets = content_values(folded)
        self.characters += len(values)
        g = grams_of_values(values)
        sel = winnow(g)
        h = g[sel]
        keep = ~_in_sorted(h, self.common)
        sel, h = sel[keep], h[keep]
        starts = np.cumsum([0] + [len(p) + 1 for p in paragraphs[:-1]], dtype=np.int64)
        paras = (np.searchsorted(starts, offsets[sel], side="right")).astype(np.uint32)  # 1-based
        stored = keyed(self.key, h)
        if len(stored):
            pair = np.unique(np.stack([stored, paras.astype(np.uint64)], axis=1), axis=0)
            self._hashes.append(pair[:, 0].copy())
            self._paras.append(pair[:, 1].astype(np.uint32))
            self._docs.append(np.full(len(pair), doc, np.uint32))
        info = DocumentInfo(label, len(paragraphs))
        self.documents.append(info)
        return info

    def arrays(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(sorted keyed hashes, document index, paragraph number) with over-common hashes dropped."""
        if not self._hashes:
            return np.zeros(0, np.uint64), np.zeros(0, np.uint32), np.zeros(0, np.uint32)
        hashes = np.concatenate(self._hashes)
        docs = np.concatenate(self._docs)
        paras = np.concatenate(self._paras)
        order = np.argsort(hashes, kind="stable")
        hashes, docs, paras = hashes[order], docs[order], paras[order]
        values, starts, counts = np.unique(hashes, return_index=True, return_counts=True)
        crowded = values[counts > MAX_POSTINGS]
        if len(crowded):
            keep = ~_in_sorted(hashes, crowded)
            hashes, docs, paras = hashes[keep], docs[keep], paras[keep]
        return hashes, docs, paras

    def encoded(self) -> bytes:
        """The data file's bytes."""
        return encode_data(*self.arrays())

    def write(self, out_dir: Path, rule_id: str, *, severity: str = "block", message: str = "",
              category: str = "登记文件") -> tuple[Path, Path, Path]:
        """Write `<id>.yaml`, `<id>.fp` (hashes and postings only) and `<id>.key` (the secret key, mode 0600)."""
        documents = [(d.label, d.paragraphs) for d in self.documents]
        return write_rule_files(out_dir, rule_id, self.encoded(), self.key, documents, severity=severity,
                                message=message, category=category)


DEFAULT_MESSAGE = "与登记的内部或涉密文件高度相似，疑似摘抄，请核对来源"


def fingerprint_title(labels: Sequence[str]) -> str:
    """The Chinese title `rules check` requires: the kind and, for a few documents, their labels."""
    shown = "、".join(labels[:3])
    more = f"等 {len(labels)} 份" if len(labels) > 3 else ""
    return f"登记文件比对（{shown}{more}）" if shown else "登记文件比对"


def write_rule_files(out_dir: Path, rule_id: str, blob: bytes, key: bytes, documents: Sequence[tuple[str, int]], *,
                     severity: str = "block", message: str = "", category: str = "登记文件") -> tuple[Path, Path, Path]:
    """The rule files of one fingerprint rule (the CLI's output, and what a worker materialises from the database)."""
    import yaml

    out_dir.mkdir(parents=True, exist_ok=True)
    data_path = out_dir / f"{rule_id}.fp"
    key_path = out_dir / f"{rule_id}.key"
    yaml_path = out_dir / f"{rule_id}.yaml"
    data_path.write_bytes(blob)
    fd = os.open(key_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as fh:
        fh.write(key.hex() + "\n")
    os.chmod(key_path, 0o600)
    rule: dict[str, object] = {
        "id": rule_id,
        "kind": "fingerprint",
        "title": fingerprint_title([label for label, _ in documents]),
        "severity": severity,
        "category": category,
        "message": message or DEFAULT_MESSAGE,
        "hash": HASH_NAME,
        "gram": K,
        "window": W,
        "data_file": data_path.name,
        "data_sha256": hashlib.sha256(blob).hexdigest(),
        "key_file": key_path.name,
    }
    entries = [{"label": label, "paragraphs": paragraphs} for label, paragraphs in documents]
    docs_path = out_dir / f"{rule_id}.documents.json"
    if len(entries) <= INLINE_DOCUMENTS:
        rule["documents"] = entries
        docs_path.unlink(missing_ok=True)
    else:  # thousands of entries: JSON loads in milliseconds where YAML takes seconds
        docs_path.write_text(json.dumps(entries, ensure_ascii=False, indent=0), encoding="utf-8")
        rule["documents_file"] = docs_path.name
    yaml_path.write_text(yaml.safe_dump(rule, allow_unicode=True, sort_keys=False, width=1000), encoding="utf-8")
    return yaml_path, data_path, key_path


def encode_data(hashes: np.ndarray, docs: np.ndarray, paras: np.ndarray) -> bytes:
    count = len(hashes)
    header = DATA_MAGIC + np.array([count], "<u8").tobytes()
    return header + hashes.astype("<u8").tobytes() + docs.astype("<u4").tobytes() + paras.astype("<u4").tobytes()


def decode_data(blob: bytes) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    if blob[:8] != DATA_MAGIC or len(blob) < 16:
        raise ValueError("不是登记文件指纹数据（文件头不符）")
    count = int(np.frombuffer(blob, "<u8", 1, 8)[0])
    if len(blob) != 16 + 16 * count:
        raise ValueError("指纹数据长度与记录数不符（文件被截断或损坏）")
    hashes = np.frombuffer(blob, "<u8", count, 16).astype(np.uint64)
    docs = np.frombuffer(blob, "<u4", count, 16 + 8 * count).astype(np.uint32)
    paras = np.frombuffer(blob, "<u4", count, 16 + 12 * count).astype(np.uint32)
    if count and np.any(hashes[1:] < hashes[:-1]):
        raise ValueError("指纹数据未排序（文件被改动）")
    return hashes, docs, paras


def read_key(path: Path) -> bytes:
    text = path.read_text(encoding="ascii").strip()
    key = bytes.fromhex(text)
    if len(key) != KEY_BYTES:
        raise ValueError(f"密钥长度应为 {KEY_BYTES} 字节（{2 * KEY_BYTES} 个十六进制字符）")
    return key


# --------------------------------------------------------------------------------------------------- scanning
@dataclass(frozen=True, slots=True)
class Hit:
    rule: int  # the caller's rule index
    start: int
    end: int
    label: str
    paragraph: int
    similarity: float
    matches: int

    @property
    def explanation(self) -> str:
        pct = int(self.similarity * 100 + 0.5)
        return f"与登记文件“{self.label}”第{self.paragraph}段高度相似（相似度 {pct}%）"


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


def describe(path: Path) -> dict[str, object]:
    """Size figures of a data file (for `reviewer fingerprints` output and the bench)."""
    blob = path.read_bytes()
    hashes, docs, _ = decode_data(blob)
    return {"selections": len(hashes), "documents": int(docs.max()) + 1 if len(docs) else 0, "bytes": len(blob)}


__all__ = ["Builder", "FingerprintIndex", "Hit", "Prepared", "keyed", "winnow", "gram_hashes", "content_chars",
           "common_hashes_of", "default_common", "paragraphs_of"]
