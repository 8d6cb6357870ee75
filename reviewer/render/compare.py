"""Compare what a reader sees with what was extracted (docs/render.md, “比对规则”).

Visible → extracted: every visual line is cut into stretches at wide gaps (table cells, columns); the characters of a
stretch are folded (NFKC, case, no spaces, punctuation or symbols). A character is *explained* when a 3-gram of its
stretch that contains it occurs in the folded extracted text (stretches of one or two characters: when the stretch
itself occurs). A run of MIN_RUN or more unexplained characters is a mismatch, unless it is an ordinary visible
addition: list numbering (（一） 1． ① …), page numbers and numerals.

Text layer → pixels (PDF drafts, pages with images or shapes, untrusted fonts): the image of each text-layer line is
read by OCR and aligned with what the layer claims; a differing block of MIN_RUN or more characters is a mismatch.
OCR noise (one or two misread characters in a row) stays below MIN_RUN by design.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass

from reviewer.render.visible import GAP, fold_map

N = 3
MIN_RUN = 3
_NUMBERING = re.compile(
    r"^\s*(?:[（(][一二三四五六七八九十百零〇\d]{1,4}[)）]|[一二三四五六七八九十百]{1,3}[、.．]|\d{1,3}(?:[.．]\d{1,3})*[、.．)）]?"
    r"|[①-⑳⑴-⒇⒈-⒛]|[a-zA-Z][.)）]|[•·●○■□◆◇▪►✓\-–—])\s*"
)
_TRIVIAL = re.compile(r"^[\d一二三四五六七八九十百千零〇第页共/]+$")
# What the spreadsheet renderer itself writes, folded (no spaces, lower case): chart labels for unnamed series and
# categories (LibreOffice: "Column B", "Series 1", "列 B") and formula error values (#NAME? #VALUE! #REF! #DIV/0! …)
_RENDERER_LABEL = re.compile(r"^(?:(?:column|row|series|系列|列|行)[a-z]{0,2}\d{0,3}|name|value|ref|div0|na|num|null)+$")


class Extracted:
    """The folded extracted text as a set of its 1-, 2- and 3-grams."""

    def __init__(self, texts: list[str]) -> None:
        self.grams: set[str] = set()
        for text in texts:
            folded, _ = fold_map(text)
            for n in (1, 2, N):
                self.grams.update(folded[i : i + n] for i in range(len(folded) - n + 1))

    def __contains__(self, gram: str) -> bool:
        return gram in self.grams


@dataclass(frozen=True, slots=True)
class Run:
    start: int  # offsets in the line's text
    end: int
    text: str


def unexplained(line: str, extracted: Extracted, min_run: int = MIN_RUN) -> list[Run]:
    out: list[Run] = []
    pos = 0
    for stretch in line.split(GAP):
        base = pos
        pos += len(stretch) + 1
        m = _NUMBERING.match(stretch)
        skip = m.end() if m and m.end() < len(stretch) else 0
        folded, idx = fold_map(stretch[skip:])
        if not folded:
            continue
        covered = [False] * len(folded)
        if len(folded) < N:
            if folded in extracted:
                covered = [True] * len(folded)
        else:
            for i in range(len(folded) - N + 1):
                if folded[i : i + N] in extracted:
                    for k in range(i, i + N):
                        covered[k] = True
        i = 0
        while i < len(folded):
            if covered[i]:
                i += 1
                continue
            j = i
            while j < len(folded) and not covered[j]:
                j += 1
            run = folded[i:j]
            if j - i >= min_run and not _TRIVIAL.match(run) and not _RENDERER_LABEL.match(run):
                s = base + skip + idx[i]
                e = base + skip + idx[j - 1] + 1
                out.append(Run(s, e, line[s:e]))
            i = j
    return out


def disagreements(claimed: str, read: str, min_run: int = MIN_RUN) -> list[tuple[int, int, str]]:
    """Blocks where the text layer (`claimed`) and the OCR reading (`read`) differ by `min_run` or more characters:
    (start, end) in `claimed` (empty when the block is only in `read`) and the OCR text of the block."""
    a, ia = fold_map(claimed)
    b, _ = fold_map(read)
    out: list[tuple[int, int, str]] = []
    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal" or max(i2 - i1, j2 - j1) < min_run:
            continue
        if _TRIVIAL.match(a[i1:i2] or "x") and _TRIVIAL.match(b[j1:j2] or "x"):
            continue
        if i2 > i1:
            out.append((ia[i1], ia[i2 - 1] + 1, b[j1:j2]))
        else:
            at = ia[i1] if i1 < len(ia) else (ia[-1] + 1 if ia else 0)
            out.append((at, at, b[j1:j2]))
    return out
