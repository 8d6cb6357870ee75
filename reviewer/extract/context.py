"""What every extractor is handed: the budget of one document and a way to read documents embedded in it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from reviewer.extract.limits import Budget
from reviewer.extract.model import Extraction, ExtractionIssue, Span, SpanKind, TextPart


@dataclass(slots=True)
class Context:
    budget: Budget
    depth: int
    read_nested: Callable[[bytes, str, Context], Extraction]

    def embedded(self, data: bytes, name: str, location: str) -> tuple[list[TextPart], list[ExtractionIssue]]:
        """Read an attachment or embedded object; its parts are prefixed with `location`. An embedded object that
        cannot be read makes the document need review (an issue), not unreadable: the host text was read."""
        if self.depth >= self.budget.limits.max_nesting:
            return [], [ExtractionIssue("nested_too_deep", location, f"嵌入对象“{name}”嵌套过深，未读取，需人工核对")]
        inner = self.read_nested(data, name, Context(self.budget, self.depth + 1, self.read_nested))
        if inner.error:
            return [], [ExtractionIssue("embedded_unreadable", location, f"嵌入对象“{name}”无法读取：{inner.error}；需人工核对")]
        parts = [TextPart(p.text, f"{location} · {p.location}", _prefixed(p.spans, location), p.spans_only) for p in inner.parts]
        issues = [ExtractionIssue(i.code, f"{location} · {i.location}", i.message, i.severity) for i in inner.issues]
        return parts, issues


def _prefixed(spans: tuple[Span, ...], location: str) -> tuple[Span, ...]:
    return tuple(
        Span(s.start, s.end, f"{location} · {s.label}", s.kind) if s.kind is SpanKind.PLACE else s for s in spans
    )
