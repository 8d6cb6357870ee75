"""Registering documents: read a source in any format the intake reads, number its paragraphs, select and key its
grams, and leave out what is not the registered document's own text (the common-shingle list, the officer's public
reference lists: a passage already public is not a leak), counting the public share. The unit's released items are
measured too (the share of the document already published by the unit) and left out only when the caller merges them
into `public`: a released item that contains a newly registered passage is what the post-release alert is for."""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from reviewer.errors import ReviewerError
from reviewer.scan.fingerprints.grams import _fold_exact, _in_sorted, content_values, grams_of_values, winnow
from reviewer.scan.fingerprints.storage import KEY_BYTES, encode_data, keyed, write_rule_files

MAX_POSTINGS = 64  # a gram in more registered paragraphs than this is boilerplate of the registered set: dropped


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
    # share of the document's selections (common prose aside) found in public text and therefore not registered;
    # None when no public text was supplied
    public_share: float | None = None
    released_share: float | None = None  # share found in the unit's released items (measured; see Builder.released)


@dataclass
class Builder:
    """Collects the keyed selections of many documents; `write` produces the rule files."""

    key: bytes = field(default_factory=lambda: secrets.token_bytes(KEY_BYTES))
    common: np.ndarray = field(default_factory=lambda: np.zeros(0, np.uint64))
    # public hashes of public text (public reference lists, released items): left out and counted as the public share
    public: np.ndarray | None = None
    # public hashes of the unit's released items: measured as `released_share`, not left out by themselves
    released: np.ndarray | None = None
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
        released = None
        if self.released is not None:
            released = float(_in_sorted(h, self.released).sum()) / len(h) if len(h) else 0.0
        share = None
        if self.public is not None:
            public = _in_sorted(h, self.public)
            share = float(public.sum()) / len(h) if len(h) else 0.0
            sel, h = sel[~public], h[~public]
        starts = np.cumsum([0] + [len(p) + 1 for p in paragraphs[:-1]], dtype=np.int64)
        paras = (np.searchsorted(starts, offsets[sel], side="right")).astype(np.uint32)  # 1-based
        stored = keyed(self.key, h)
        if len(stored):
            pair = np.unique(np.stack([stored, paras.astype(np.uint64)], axis=1), axis=0)
            self._hashes.append(pair[:, 0].copy())
            self._paras.append(pair[:, 1].astype(np.uint32))
            self._docs.append(np.full(len(pair), doc, np.uint32))
        info = DocumentInfo(label, len(paragraphs), share, released)
        self.documents.append(info)
        return info

    @property
    def public_share(self) -> float | None:
        """The public share of the whole registration (documents weighted by their paragraphs)."""
        return weighted([(d.public_share, d.paragraphs) for d in self.documents])

    @property
    def released_share(self) -> float | None:
        return weighted([(d.released_share, d.paragraphs) for d in self.documents])

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
        documents = [(d.label, d.paragraphs, d.public_share) for d in self.documents]
        return write_rule_files(out_dir, rule_id, self.encoded(), self.key, documents, severity=severity,
                                message=message, category=category)


def weighted(shares: Iterable[tuple[float | None, int]]) -> float | None:
    """Mean of the measured shares weighted by paragraphs (None when none was measured)."""
    known = [(share, max(1, paragraphs)) for share, paragraphs in shares if share is not None]
    if not known:
        return None
    return sum(share * weight for share, weight in known) / sum(weight for _, weight in known)
