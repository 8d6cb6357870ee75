"""Where a text finding is on the rendered pages: the reviewer sees each finding a reader can see boxed on the page
image ("读者看到的页面"), not only in the extracted text.

    place(wanted, pages) -> {key: (page number, box)}

`wanted` is (key, matched text, offset in the extracted text). The pages' lines (their text layer, or what OCR read)
give each character a box. Matching ignores whitespace and width (NFKC), so a term broken over two lines or printed
in full-width digits is still found; the k-th finding of a term in text order is placed on the k-th occurrence in page
order, and a finding with no such occurrence stays unplaced (never boxed somewhere else). The box is the union of the
occurrence's characters on its first line."""

from __future__ import annotations

import unicodedata
from collections.abc import Hashable, Iterable
from dataclasses import dataclass

from reviewer.render.model import Box, RenderedPage, union


@dataclass(frozen=True, slots=True)
class _Glyph:
    page: int
    line: int
    box: Box


def _fold(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKC", text) if not c.isspace())


def _flatten(pages: Iterable[RenderedPage]) -> tuple[str, list[_Glyph]]:
    chars: list[str] = []
    glyphs: list[_Glyph] = []
    line_no = 0
    for page in pages:
        for ln in page.lines:
            line_no += 1
            for ch, box in zip(ln.text, ln.boxes, strict=False):
                for c in _fold(ch):
                    chars.append(c)
                    glyphs.append(_Glyph(page.number, line_no, box))
    return "".join(chars), glyphs


def _occurrences(text: str, needle: str) -> list[int]:
    out, at = [], text.find(needle)
    while at >= 0:
        out.append(at)
        at = text.find(needle, at + len(needle))
    return out


def place(wanted: Iterable[tuple[Hashable, str, int]], pages: list[RenderedPage]) -> dict[Hashable, tuple[int, Box]]:
    text, glyphs = _flatten(pages)
    by_term: dict[str, list[tuple[int, Hashable]]] = {}
    for key, match, start in wanted:
        folded = _fold(match)
        if folded:
            by_term.setdefault(folded, []).append((start, key))
    out: dict[Hashable, tuple[int, Box]] = {}
    for term, found in by_term.items():
        spots = _occurrences(text, term)
        for k, (_start, key) in enumerate(sorted(found, key=lambda sk: sk[0])):
            if k >= len(spots):
                break
            span = glyphs[spots[k] : spots[k] + len(term)]
            first = [g for g in span if g.line == span[0].line]
            out[key] = (span[0].page, union([g.box for g in first]))
    return out
