"""What an extractor returns: the text of every place a document holds text, each with a location a person understands."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from reviewer.scan.model import Severity


class SpanKind(StrEnum):
    PLACE = "place"  # names where the text sits (a paragraph, a cell); replaces the part's location
    MARK = "mark"  # qualifies the text (a tracked deletion, hidden text); appended to the location


@dataclass(frozen=True, slots=True)
class Span:
    """A stretch `[start, end)` of a part's text with a finer location, e.g. `正文 第3段` or `修订-删除（作者：李四）`."""

    start: int
    end: int
    label: str
    kind: SpanKind = SpanKind.PLACE


@dataclass(frozen=True, slots=True)
class TextPart:
    """Text found in one place of a document. `location` is Chinese, e.g. `正文`, `批注（作者：张三）`, `页眉`.

    Parts may join many small places (all body paragraphs, all cells of a sheet) so that the scanner runs once per
    place-kind, not once per paragraph; `spans` then say which paragraph or cell a finding lies in. A part with
    `spans_only` repeats text already reported elsewhere (the pre-revision view of a paragraph): only findings that
    touch one of its MARK spans count, the rest would be duplicates.
    """

    text: str
    location: str
    spans: tuple[Span, ...] = ()
    spans_only: bool = False

    def locate(self, start: int, end: int) -> str | None:
        """Location of the text `[start, end)`; None when the part is `spans_only` and no MARK span is touched."""
        end = max(end, start + 1)
        places = [s for s in self.spans if s.kind is SpanKind.PLACE and s.start < end and start < s.end]
        marks = [s for s in self.spans if s.kind is SpanKind.MARK and s.start < end and start < s.end]
        if self.spans_only and not marks:
            return None
        if not places:
            where = self.location
        elif len(places) == 1 or places[0].label == places[-1].label:
            where = places[0].label
        else:
            where = f"{places[0].label}至{places[-1].label}"
        seen: list[str] = []
        for mark in marks:
            label = mark.label if mark.start <= start and end <= mark.end else f"部分位于{mark.label}"
            if label not in seen:
                seen.append(label)
        return " · ".join([where, *seen])


@dataclass(frozen=True, slots=True)
class ExtractionIssue:
    """Something the extractor could not verify but that does not make the whole document unreadable
    (e.g. a PDF page without a text layer). It becomes a finding of rule `extract.<code>`."""

    code: str
    location: str
    message: str
    severity: Severity = Severity.REVIEW
    category: str = ""  # empty: 无法核验 (reviewer.document.ISSUE_CATEGORY); `photo_location` is 位置信息
    title: str = ""  # the finding's Chinese title (Finding.rule_title), e.g. 照片含拍摄位置


@dataclass(slots=True)
class Extraction:
    """Every text part of one document. `error` set means the document could not be read completely:
    the scan verdict is then `error`, never `pass`."""

    parts: list[TextPart] = field(default_factory=list)
    kind: str = ""
    encoding: str | None = None
    issues: list[ExtractionIssue] = field(default_factory=list)
    error: str | None = None

    def text_of(self, location_prefix: str) -> str:
        """All text of parts whose location starts with `location_prefix` (for tests and debugging)."""
        return "\n".join(p.text for p in self.parts if p.location.startswith(location_prefix))
