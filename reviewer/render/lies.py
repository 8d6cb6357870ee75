"""Small lies: a font (an OFD's embedded font, a PDF's ToUnicode map) that draws one or two characters other than
the text claims — `公开★5年` in the text, `机密★5年` on the page. The comparison tolerates differences shorter than
MIN_RUN as OCR noise (compare.py), so on its own it would let such a two-character lie pass. What the reader sees
is what counts: the line with the reading spliced in is scanned with the same rules, and whatever it finds that the
claimed line does not is reported (wording suggestions excepted: OCR itself confuses 士/土)."""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING

from reviewer.render.visible import GAP, fold
from reviewer.scan.model import Finding

if TYPE_CHECKING:  # pragma: no cover
    from reviewer.scan.scanner import Scanner


def small_lies(scanner: Scanner, line: str, start: int, end: int, read: str) -> list[Finding]:
    """Findings in `line` with `line[start:end]` replaced by the OCR reading `read` that the line as claimed lacks."""
    claimed = line.replace(GAP, " ")
    shown = (line[:start] + read + line[end:]).replace(GAP, " ")
    if fold(shown) == fold(claimed):
        return []
    had = Counter((f.rule, fold(f.match)) for f in scanner.scan(claimed).findings)
    out: list[Finding] = []
    for f in scanner.scan(shown).findings:
        key = (f.rule, fold(f.match))
        if had[key] > 0:
            had[key] -= 1
        elif not f.suggestion:
            out.append(f)
    return out
