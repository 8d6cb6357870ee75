"""Build one TextPart out of many small places (paragraphs, cells), remembering where each lies."""

from __future__ import annotations

from reviewer.extract.limits import Budget
from reviewer.extract.model import Span, SpanKind, TextPart


class PartBuilder:
    """Append text place by place; `build()` gives one TextPart whose spans name each place and each mark."""

    def __init__(self, location: str, budget: Budget, *, spans_only: bool = False, separator: str = "\n") -> None:
        self.location = location
        self.budget = budget
        self.spans_only = spans_only
        self.separator = separator
        self._chunks: list[str] = []
        self._spans: list[Span] = []
        self._pos = 0
        self._place: tuple[int, str] | None = None

    def begin(self, label: str, separator: str | None = None) -> None:
        """Start a new place; a separator (default: the builder's) keeps it apart from the previous one."""
        self.end()
        if self._pos:
            self._raw(self.separator if separator is None else separator)
        self._place = (self._pos, label)

    def end(self) -> None:
        if self._place is not None:
            start, label = self._place
            if self._pos > start:
                self._spans.append(Span(start, self._pos, label, SpanKind.PLACE))
            self._place = None

    def write(self, text: str, *marks: str) -> None:
        if not text:
            return
        end = self._pos + len(text)
        for mark in marks:
            grown = False
            for i in range(len(self._spans) - 1, max(-1, len(self._spans) - 4), -1):
                span = self._spans[i]
                if span.kind is SpanKind.MARK and span.label == mark and span.end == self._pos:
                    self._spans[i] = Span(span.start, end, mark, SpanKind.MARK)
                    grown = True
                    break
            if not grown:
                self._spans.append(Span(self._pos, end, mark, SpanKind.MARK))
        self._raw(text)

    def add(self, label: str, text: str, *marks: str) -> None:
        """One whole place at once."""
        if text.strip():
            self.begin(label)
            self.write(text, *marks)
            self.end()

    def mark_all(self, mark: str) -> None:
        """Qualify everything written so far (e.g. a hidden sheet)."""
        if self._pos:
            self._spans.append(Span(0, self._pos, mark, SpanKind.MARK))

    def _raw(self, text: str) -> None:
        self.budget.add_chars(len(text))
        self._chunks.append(text)
        self._pos += len(text)

    def build(self) -> TextPart | None:
        self.end()
        text = "".join(self._chunks)
        if not text.strip():
            return None
        spans = tuple(sorted(self._spans, key=lambda s: (s.start, s.kind != SpanKind.PLACE)))
        return TextPart(text, self.location, spans, self.spans_only)
