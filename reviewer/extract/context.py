"""What every extractor is handed: the budget of one document and a way to read documents embedded in it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from reviewer.errors import ExtractionError
from reviewer.extract.limits import Budget
from reviewer.extract.model import Extraction, ExtractionIssue, Span, SpanKind, TextPart


@dataclass(slots=True)
class Context:
    budget: Budget
    depth: int
    read_nested: Callable[[bytes, str, Context], Extraction]
    archive_depth: int = 0  # archives this input lies in
    archive_label: str | None = None  # set for an archive inside an archive: `压缩包“a.zip” › b.zip`

    def member(self, data: bytes, name: str, label: str, nested_label: str) -> tuple[list[TextPart], list[ExtractionIssue]]:
        """Read one member of an archive. Unlike an embedded object, a member that cannot be read makes the whole
        input unreadable (ExtractionError, with a message that names neither the member nor its text)."""
        inner = self.read_nested(
            data, name, Context(self.budget, self.depth, self.read_nested, self.archive_depth + 1, nested_label)
        )
        if inner.error:
            raise ExtractionError(inner.error)
        if inner.kind == "archive":  # its locations already start with the whole chain of archives
            return inner.parts, inner.issues
        parts = [TextPart(p.text, f"{label} · {p.location}", prefixed(p.spans, label), p.spans_only) for p in inner.parts]
        issues = [ExtractionIssue(i.code, f"{label} · {i.location}", i.message, i.severity) for i in inner.issues]
        return parts, issues

    def embedded(self, data: bytes, name: str, location: str) -> tuple[list[TextPart], list[ExtractionIssue]]:
        """Read an attachment or embedded object; its parts are prefixed with `location`. An embedded object that
        cannot be read makes the document need review (an issue), not unreadable: the host text was read."""
        if self.depth >= self.budget.limits.max_nesting:
            return [], [ExtractionIssue("nested_too_deep", location, "嵌入对象嵌套过深，未读取，需人工核对")]
        inner = self.read_nested(data, name, Context(self.budget, self.depth + 1, self.read_nested))
        if inner.error:
            return [], [ExtractionIssue("embedded_unreadable", location, f"嵌入对象无法读取：{inner.error}；需人工核对")]
        parts = [TextPart(p.text, f"{location} · {p.location}", prefixed(p.spans, location), p.spans_only) for p in inner.parts]
        issues = [ExtractionIssue(i.code, f"{location} · {i.location}", i.message, i.severity) for i in inner.issues]
        return parts, issues


def prefixed(spans: tuple[Span, ...], location: str) -> tuple[Span, ...]:
    return tuple(
        Span(s.start, s.end, f"{location} · {s.label}", s.kind) if s.kind is SpanKind.PLACE else s for s in spans
    )
