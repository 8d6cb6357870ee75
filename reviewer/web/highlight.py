"""The draft as reviewers see it: text parts split into plain and highlighted segments at the findings' offsets, and
a line diff against the version reviewed before. Pure functions over strings; the template escapes every segment."""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

from reviewer.extract import TextPart

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


@dataclass(slots=True)
class PartView:
    location: str
    segments: list[Segment] = field(default_factory=list)


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
        cuts = sorted({0, len(part.text), *(f.start for f in here), *(f.end for f in here)})
        view = PartView(part.location)
        starts: dict[int, int] = {}
        for f in sorted(here, key=lambda f: (f.start, _RANK.get(f.severity, 3))):
            starts.setdefault(f.start, f.id)
        for a, b in zip(cuts, cuts[1:]):
            cover = [f for f in here if f.start <= a and f.end >= b]
            sev = min((f.severity for f in cover), key=lambda s: _RANK.get(s, 3), default="")
            view.segments.append(Segment(part.text[a:b], tuple(f.id for f in cover), sev, starts.pop(a, None)))
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
