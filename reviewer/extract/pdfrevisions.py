"""PDF incremental updates: an appended update can remove text, annotations or metadata from what a viewer shows,
but every earlier revision stays in the file and anyone recovers it by cutting the file at an earlier `%%EOF`. Every
revision is read (by pdf.py's reader); what an earlier one held that the current one does not is located as
`早期版本（第k次修订前） · …`. A revision chain that points nowhere, or a revision that cannot be read, is an error."""

from __future__ import annotations

import re
import warnings
from collections.abc import Callable
from dataclasses import replace

from reviewer.errors import ExtractionError, LimitExceeded
from reviewer.extract.context import Context
from reviewer.extract.model import Extraction, TextPart
from reviewer.extract.parts import PartBuilder

_STARTXREF = re.compile(rb"startxref\s+(\d+)\s*%%EOF")
_XREF_AT = re.compile(rb"\s*(?:xref|\d+\s+\d+\s+obj)")


def revision_ends(data: bytes) -> list[int]:
    """Where each earlier revision of an incrementally updated PDF ends (after its `startxref N %%EOF`), oldest
    first. An update appended later can remove text, annotations or metadata from what a viewer shows, but every
    earlier revision stays in the file and anyone recovers it by cutting the file there."""
    marks = list(_STARTXREF.finditer(data))
    if len(marks) < 2:
        return []
    for prev in _PREV.finditer(data):  # each update's trailer names the cross-reference section it updates
        if not _xref_near(data, int(prev.group(1)), len(data)):
            raise ExtractionError(_BROKEN_CHAIN)
    linearized = b"/Linearized" in data[:1024]
    ends: list[int] = []
    for i, mark in enumerate(marks[:-1]):
        offset = int(mark.group(1))
        if (linearized and i == 0) or offset == 0:  # a linearized file's first-page trailer is no revision
            continue
        if not _xref_near(data, offset, mark.start()):
            raise ExtractionError(_BROKEN_CHAIN)
        ends.append(mark.end())
    return ends


_PREV = re.compile(rb"/Prev\s+(\d+)(?!\s+\d+\s+R)")  # not an outline item's /Prev 12 0 R
_BROKEN_CHAIN = "PDF 的修订记录（增量更新链）已损坏：早期版本的交叉引用表位置无效，无法读取全部版本，无法审查"
_SLACK = 64  # producers write offsets a few bytes off; viewers (and pypdf) look around them


def _xref_near(data: bytes, offset: int, limit: int) -> bool:
    """A cross-reference table (`xref`) or stream (`N 0 obj`) starts at `offset`, give or take _SLACK bytes."""
    if offset >= limit:
        return False
    if _XREF_AT.match(data, offset):
        return True
    window = data[max(0, offset - _SLACK) : min(limit, offset + _SLACK)]
    return b"xref" in window or re.search(rb"\d+\s+\d+\s+obj", window) is not None


def _places(parts: list[TextPart]) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    for part in parts:
        places = [s for s in part.spans if s.kind.value == "place"]
        if not places:
            out.append((part.location, part.text))
        out.extend((s.label, part.text[s.start : s.end]) for s in places)
    return out


def _lines(text: str) -> set[str]:
    return {line.strip() for line in text.splitlines() if line.strip()}


def earlier_versions(data: bytes, ctx: Context, current: Extraction, read: Callable[[bytes, Context], Extraction]) -> None:
    """Read every earlier revision; what it held that the current one does not (line by line) is added as
    `早期版本（第k次修订前）· 第2页`. A revision that cannot be read is an error (the chain is broken)."""
    ends = revision_ends(data)
    if not ends:
        return
    known = set().union(*(_lines(text) for _label, text in _places(current.parts))) if current.parts else set()
    issues = {(i.code, i.location) for i in current.issues}
    for k, end in reversed(list(enumerate(ends, 1))):  # newest first: text kept by a later revision is reported there
        where = f"早期版本（第{k}次修订前）"
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                older = read(data[:end], ctx)
        except ExtractionError as exc:
            if isinstance(exc, LimitExceeded):
                raise
            raise ExtractionError(f"PDF 的{where}无法读取（增量更新链已损坏），无法审查全部版本") from exc
        except Exception as exc:  # noqa: BLE001 — third-party parser on hostile input, as in extract_pdf
            raise ExtractionError(f"PDF 的{where}无法读取（增量更新链已损坏，{type(exc).__name__}），无法审查全部版本") from exc
        b = PartBuilder(where, ctx.budget)
        for label, text in _places(older.parts):
            gone = [line for line in text.splitlines() if line.strip() and line.strip() not in known]
            if gone:
                b.add(f"{where} · {label}", "\n".join(gone))
                known.update(line.strip() for line in gone)
        part = b.build()
        if part:
            current.parts.append(part)
        for issue in older.issues:
            if (issue.code, issue.location) not in issues:
                issues.add((issue.code, issue.location))
                current.issues.append(replace(issue, location=f"{where} · {issue.location}"))
