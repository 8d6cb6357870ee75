"""The draft as reviewers see it: text parts split into plain and highlighted segments at the findings' offsets, and
a line diff against the version reviewed before. Pure functions over strings; the template escapes every segment."""

from __future__ import annotations

import difflib
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

from reviewer.extract import TextPart
from reviewer.extract.model import SpanKind

_RANK = {"block": 0, "review": 1, "info": 2}


class Located(Protocol):
    id: int
    severity: str
    start: int
    end: int
    location: str


@dataclass(frozen=True, slots=True)
class Segment:
    text: str
    finding_ids: tuple[int, ...] = ()
    severity: str = ""  # the most severe finding covering this segment
    anchor: int | None = None  # a finding that starts here (target of the list's links and of j/k)
    marks: tuple[str, ...] = ()  # insert | delete | hidden: tracked revisions and hidden text, marked in the body
    place: str = ""  # the paragraph, cell or property this text lies in (the part's PLACE span)


@dataclass(slots=True)
class Block:
    kind: str  # "text" or "table"
    label: str = ""  # shown for places whose name is the information (a document property, an attribute)
    segments: list[Segment] = field(default_factory=list)
    rows: list[list[list[Segment]]] = field(default_factory=list)


@dataclass(slots=True)
class PartView:
    location: str
    segments: list[Segment] = field(default_factory=list)
    blocks: list[Block] = field(default_factory=list)


# Bullets and marks Word draws from the Symbol and Wingdings fonts are stored as private-use code points (U+F0B7 for
# the round bullet); shown as the character the reader sees, one for one (offsets and highlights are unchanged).
SYMBOL_FONT = str.maketrans({
    0xF0B7: "•", 0xF0A7: "▪", 0xF06C: "●", 0xF06E: "■", 0xF0A8: "□", 0xF071: "❑", 0xF076: "❖", 0xF0D8: "➢",
    0xF0FC: "✓", 0xF0FB: "✗", 0xF0E0: "→", 0xF0E8: "➔", 0xF0B2: "″", 0xF02D: "−", 0xF0BE: "—", 0xF0A5: "∞",
})


def shown(text: str) -> str:
    return text.translate(SYMBOL_FONT)


_CELL = re.compile(r"^(?P<table>.*表格\d+)\s*第(?P<row>\d+)行第(?P<col>\d+)列")
_LABELLED = ("文档属性", "HTML属性", "定义名称", "隐藏元素")


def _mark_kind(label: str) -> str | None:
    if label.startswith("修订-插入") or "插入" in label and label.startswith("修订"):
        return "insert"
    if label.startswith("修订-删除") or "删除" in label and label.startswith("修订"):
        return "delete"
    if "隐藏" in label:
        return "hidden"
    return None


def blocks(segments: list[Segment]) -> list[Block]:
    """Group a part's segments by place: table cells (`表格N 第r行第c列`) become tables, every other place a block of
    text; places whose name carries the meaning (properties, attributes, defined names) keep their name as a label."""
    out: list[Block] = []
    keys: list[str | None] = []  # the place of each text block (None: text outside any place)
    for seg in segments:
        m = _CELL.match(seg.place) if seg.place else None
        if m:
            table = m.group("table")
            r, c = int(m.group("row")), int(m.group("col"))
            if not out or out[-1].kind != "table" or out[-1].label != table:
                out.append(Block("table", table))
                keys.append(table)
            last = out[-1]
            while len(last.rows) < r:
                last.rows.append([])
            row = last.rows[r - 1]
            while len(row) < c:
                row.append([])
            row[c - 1].append(seg)
            continue
        key = seg.place or None
        if key is None and not seg.text.strip() and out:
            if out[-1].kind == "text" and keys[-1] is None:
                out[-1].segments.append(seg)
            continue  # the separator between two places: the blocks themselves break the line
        if out and out[-1].kind == "text" and keys[-1] == key:
            out[-1].segments.append(seg)
            continue
        out.append(Block("text", seg.place if seg.place.startswith(_LABELLED) else "", [seg]))
        keys.append(key)
    return out


def _part_of(f: Located, parts: list[TextPart]) -> int | None:
    """The part a finding was found in: its offsets fit, and the part locates that stretch exactly where the scan
    said (document.scan_extraction stores `part.locate(start, end)`; record_scan keeps 300 characters of it)."""
    for i, part in enumerate(parts):
        if not (0 <= f.start < f.end <= len(part.text)):
            continue
        if f.location in (part.location, (part.locate(f.start, f.end) or "")[:300]):
            return i
    return None


def highlight(parts: list[TextPart], findings: Sequence[Located]) -> tuple[list[PartView], set[int]]:
    """Returns the parts split into segments and the ids of findings placed in the text. Findings that fit no part
    (e.g. extraction issues such as a page without a text layer) are listed beside the text only."""
    by_part: dict[int, list[Located]] = {}
    for f in findings:
        i = _part_of(f, parts)
        if i is not None:
            by_part.setdefault(i, []).append(f)
    placed = {f.id for here in by_part.values() for f in here}
    views = []
    for i, part in enumerate(parts):
        here = by_part.get(i, [])
        spans = [sp for sp in part.spans if 0 <= sp.start < sp.end <= len(part.text)]
        cuts = sorted({0, len(part.text), *(f.start for f in here), *(f.end for f in here),
                       *(sp.start for sp in spans), *(sp.end for sp in spans)})
        view = PartView(part.location)
        starts: dict[int, int] = {}
        for f in sorted(here, key=lambda f: (f.start, _RANK.get(f.severity, 3))):
            starts.setdefault(f.start, f.id)
        for a, b in zip(cuts, cuts[1:]):
            cover = [f for f in here if f.start <= a and f.end >= b]
            sev = min((f.severity for f in cover), key=lambda s: _RANK.get(s, 3), default="")
            marks = tuple(sorted({k for sp in spans if sp.kind is SpanKind.MARK and sp.start <= a and sp.end >= b
                                  for k in [_mark_kind(sp.label)] if k}))
            place = next((sp.label for sp in spans if sp.kind is SpanKind.PLACE and sp.start <= a and sp.end >= b), "")
            view.segments.append(Segment(shown(part.text[a:b]), tuple(f.id for f in cover), sev, starts.pop(a, None), marks,
                                         place))
        view.blocks = blocks(view.segments)
        views.append(view)
    return views, placed


@dataclass(frozen=True, slots=True)
class DiffLine:
    tag: str  # " " same, "-" removed, "+" added
    old_no: int | None
    new_no: int | None
    pieces: tuple[tuple[bool, str], ...]  # (changed?, text): characters changed within a modified line are marked


def diff(old: str, new: str, context: int = 2) -> list[DiffLine | None]:
    """Line diff with `context` unchanged lines around each change; None marks skipped unchanged lines.
    Modified lines (one-for-one replacements) also mark the changed characters, which matters for Chinese
    paragraphs that are single long lines."""
    a, b = old.splitlines(), new.splitlines()
    out: list[DiffLine | None] = []
    for group in difflib.SequenceMatcher(None, a, b, autojunk=False).get_grouped_opcodes(context):
        if out:
            out.append(None)
        for tag, i1, i2, j1, j2 in group:
            if tag == "equal":
                out.extend(DiffLine(" ", i + 1, j + 1, ((False, a[i]),)) for i, j in zip(range(i1, i2), range(j1, j2)))
                continue
            if tag == "replace" and i2 - i1 == j2 - j1:
                for i, j in zip(range(i1, i2), range(j1, j2)):
                    old_p, new_p = _char_diff(a[i], b[j])
                    out.append(DiffLine("-", i + 1, None, old_p))
                    out.append(DiffLine("+", None, j + 1, new_p))
                continue
            out.extend(DiffLine("-", i + 1, None, ((False, a[i]),)) for i in range(i1, i2))
            out.extend(DiffLine("+", None, j + 1, ((False, b[j]),)) for j in range(j1, j2))
    return out


def _char_diff(x: str, y: str) -> tuple[tuple[tuple[bool, str], ...], tuple[tuple[bool, str], ...]]:
    old: list[tuple[bool, str]] = []
    new: list[tuple[bool, str]] = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, x, y, autojunk=False).get_opcodes():
        if i2 > i1:
            old.append((tag != "equal", x[i1:i2]))
        if j2 > j1:
            new.append((tag != "equal", y[j1:j2]))
    return tuple(old), tuple(new)
