"""The visible text of a page: glyphs grouped into visual lines, each read left to right, as a reader reads them
(whatever order the file stores them in: right-to-left runs, absolutely positioned glyphs, flex row-reverse)."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from statistics import median

from reviewer.render.model import Box, Line
from reviewer.render.pages import Glyph

GAP = "\u2003"  # between two stretches of one visual line that stand apart (table cells, columns)


def lines_of(glyphs: list[Glyph]) -> list[Line]:
    """Greedy grouping by vertical overlap: O(n log n) for the sort, then one pass."""
    if not glyphs:
        return []
    order = sorted(glyphs, key=lambda g: ((g.box[1] + g.box[3]) / 2, g.box[0]))
    groups: list[list[Glyph]] = []
    top = bottom = 0.0
    for g in order:
        mid = (g.box[1] + g.box[3]) / 2
        if groups and top <= mid <= bottom:
            groups[-1].append(g)
            top, bottom = min(top, g.box[1]), max(bottom, g.box[3])
            # keep the band no taller than its glyphs, so that dense lines stay apart
        else:
            groups.append([g])
            top, bottom = g.box[1], g.box[3]
    out: list[Line] = []
    for group in groups:
        group.sort(key=lambda g: (g.box[0], g.box[2]))
        size = median(g.box[3] - g.box[1] for g in group) or 1
        text: list[str] = []
        boxes: list[Box] = []
        prev: Glyph | None = None
        for g in group:
            if prev is not None and g.box[0] - prev.box[2] > 0.9 * size:
                text.append(GAP)
                boxes.append((prev.box[2], prev.box[1], g.box[0], g.box[3]))
            text.append(g.ch)
            boxes.append(g.box)
            prev = g
        out.append(Line("".join(text), boxes, "text"))
    return out


def overlaps(a: Box, b: Box, share: float = 0.5) -> bool:
    """`a` and `b` overlap by at least `share` of the smaller one's area."""
    w = min(a[2], b[2]) - max(a[0], b[0])
    h = min(a[3], b[3]) - max(a[1], b[1])
    if w <= 0 or h <= 0:
        return False
    smaller = min((a[2] - a[0]) * (a[3] - a[1]), (b[2] - b[0]) * (b[3] - b[1])) or 1
    return w * h >= share * smaller


def covered(a: Box, b: Box, share: float = 0.5) -> bool:
    """At least `share` of `a`'s area lies inside `b`."""
    w = min(a[2], b[2]) - max(a[0], b[0])
    h = min(a[3], b[3]) - max(a[1], b[1])
    if w <= 0 or h <= 0:
        return False
    return w * h >= share * max(1, (a[2] - a[0]) * (a[3] - a[1]))


def merge_boxes(boxes: list[Box], pad: int = 8) -> list[Box]:
    """Overlapping (or nearly touching) boxes joined into one."""
    out: list[Box] = []
    for b in sorted(boxes):
        b = (b[0] - pad, b[1] - pad, b[2] + pad, b[3] + pad)
        for i, o in enumerate(out):
            if b[0] <= o[2] and o[0] <= b[2] and b[1] <= o[3] and o[1] <= b[3]:
                out[i] = (min(b[0], o[0]), min(b[1], o[1]), max(b[2], o[2]), max(b[3], o[3]))
                break
        else:
            out.append(b)
    if len(out) > 1 and len(out) != len(boxes):
        return merge_boxes(out, 0)
    return out


def keep(ch: str) -> bool:
    """Characters that carry content for comparing two readings: letters, digits, CJK; no spaces, punctuation,
    symbols (OCR reads those least reliably and CSS adds them as separators)."""
    cat = unicodedata.category(ch)
    return cat[0] in "LN"


# CJK Radicals Supplement code points that PDF makers (Chromium/Skia among them) put in ToUnicode maps for ordinary
# simplified characters (人民 comes out of pypdf as ⼈⺠; NFKC folds the Kangxi radicals ⼈ but not these).
RADICALS = str.maketrans({p[0]: p[1] for p in "⺠民 ⺧牛 ⺮竹 ⺳网 ⻄西 ⻅见 ⻆角 ⻈讠 ⻋车 ⻓长 ⻔门 ⻗雨 ⻚页 ⻛风 ⻜飞 ⻝食 ⻠饣 ⻢马 ⻤鬼 ⻥鱼 ⻦鸟 ⻩黄 ⻪黾 ⻮齿 ⻰龙 ⻳龟 ⺟母 ⺁厂 ⺇几 ⺊卜 ⺙攵 ⺝月 ⺩玉 ⺫罒 ⺬示 ⺭礻 ⺯糸 ⺰纟 ⺹耂 ⺾艹 ⺿艹 ⻀艹 ⻂衤 ⻉贝 ⻊足 ⻌辶 ⻍辶 ⻏阝 ⻖阝 ⻑長 ⻒镸 ⻘青 ⻙韦 ⻞食 ⻟食 ⻣骨 ⻨麦 ⻬齐 ⻱龜 ⻲亀 ⺶羊 ⺻聿 ⺪疋".split()})


def fold(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKC", text.translate(RADICALS)).casefold() if keep(c))


@lru_cache(maxsize=1 << 16)
def _fold_char(ch: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKC", ch).casefold() if keep(c))


def fold_map(text: str) -> tuple[str, list[int]]:
    """Folded text and, for each folded character, the index of the original character it came from (each character
    folded on its own, as a pure function of the character: cached)."""
    out: list[str] = []
    idx: list[int] = []
    for i, ch in enumerate(text.translate(RADICALS)):
        folded = _fold_char(ch)
        if len(folded) == 1:
            out.append(folded)
            idx.append(i)
        elif folded:
            out.extend(folded)
            idx.extend([i] * len(folded))
    return "".join(out), idx


# What OCR cannot be relied on to read in a 国家秘密标志: the ★ comes out as 女/大/☆/*/x or is dropped.
_OCR_STAR = re.compile(r"(绝\s*密|机\s*密|秘\s*密)\s*([女大☆*＊xX×]|)\s*(?=\d{1,2}\s*(?:年|个月)|长期)")


def repair_marking(line: Line) -> Line:
    """Give an OCR line the ★ its marking has on paper, so the marking grammar reads it (boxes follow)."""
    m = _OCR_STAR.search(line.text)
    if m is None:
        return line
    text, boxes = line.text, list(line.boxes)
    if m.group(2):
        i = m.start(2)
        return Line(text[:i] + "★" + text[i + 1 :], boxes, line.source, line.score)
    i = m.end(1)
    near = boxes[i - 1] if i > 0 else boxes[0]
    return Line(text[:i] + "★" + text[i:], boxes[:i] + [near] + boxes[i:], line.source, line.score)
