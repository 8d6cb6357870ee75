"""What every extractor is handed: the budget of one document and a way to read documents embedded in it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace

from reviewer.errors import ExtractionError
from reviewer.extract.limits import Budget
from reviewer.extract.model import Extraction, ExtractionIssue, Span, SpanKind, TextPart


@dataclass(frozen=True, slots=True)
class MemberFile:
    """One file inside an archive, as the render check needs it (reviewer.render: it renders archive members)."""

    location: str  # `压缩包“附件.zip” › 子目录/通知.pdf`: the prefix of the member's text locations (` · 第1页`)
    name: str  # the member's path inside its archive
    data: bytes
    numbers: tuple[int, ...]  # its number in its archive, after those of the archives it lies in (outermost first)

    def described(self) -> str:
        """The member by its numbers only (a member's name is draft text, issue 11): `压缩包中第 2 个文件内的第 1 个文件`."""
        return "压缩包中" + "内的".join(f"第 {n} 个文件" for n in self.numbers)


@dataclass(slots=True)
class Members:
    """Asked for by a caller that renders what archives hold (the render check, and the pipeline's text scan that it
    follows): every archive member at every depth is offered in archive order (a nested archive's members after the
    archive), the ones `keep` accepts are kept in `files`; and an image member, which text extraction cannot read, is
    an `image_member` issue instead of making the whole input an error — the render check reads it by OCR, and must
    fail closed when it does not (reviewer.render.check.scan_rendered, workflow.render_check.record). Without a
    `Members` (plain `extract`, `reviewer scan`), an archive holding a picture stays an error."""

    keep: Callable[[bytes, str], bool] | None = None
    files: list[MemberFile] = field(default_factory=list)

    def offer(self, location: str, name: str, data: bytes, numbers: tuple[int, ...]) -> None:
        if self.keep is not None and self.keep(data, name):
            self.files.append(MemberFile(location, name, data, numbers))


@dataclass(slots=True)
class Context:
    budget: Budget
    depth: int
    read_nested: Callable[[bytes, str, Context], Extraction]
    archive_depth: int = 0  # archives this input lies in
    archive_label: str | None = None  # set for an archive inside an archive: `压缩包“a.zip” › b.zip`
    members: Members | None = None  # archive members wanted by the render check (not passed into embedded objects)
    member_numbers: tuple[int, ...] = ()  # for an archive inside an archive: its numbers (MemberFile.numbers)

    def member(self, data: bytes, name: str, label: str, nested_label: str,
               number: int = 0) -> tuple[list[TextPart], list[ExtractionIssue]]:
        """Read one member of an archive. Unlike an embedded object, a member that cannot be read makes the whole
        input unreadable (ExtractionError, with a message that names neither the member nor its text)."""
        inner = self.read_nested(
            data, name, Context(self.budget, self.depth, self.read_nested, self.archive_depth + 1, nested_label,
                                self.members, (*self.member_numbers, number))
        )
        if inner.error:
            raise ExtractionError(inner.error)
        if inner.kind == "archive":  # its locations already start with the whole chain of archives
            return inner.parts, inner.issues
        parts = [TextPart(p.text, f"{label} · {p.location}", prefixed(p.spans, label), p.spans_only) for p in inner.parts]
        issues = [replace(i, location=f"{label} · {i.location}") for i in inner.issues]
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
        issues = [replace(i, location=f"{location} · {i.location}") for i in inner.issues]
        return parts, issues


def prefixed(spans: tuple[Span, ...], location: str) -> tuple[Span, ...]:
    return tuple(
        Span(s.start, s.end, f"{location} · {s.label}", s.kind) if s.kind is SpanKind.PLACE else s for s in spans
    )
