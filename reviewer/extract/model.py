"""What an extractor returns: the text of every place a document holds text, each with a location a person understands."""

from __future__ import annotations

from dataclasses import dataclass, field

from reviewer.scan.model import Severity


@dataclass(frozen=True, slots=True)
class TextPart:
    """Text found in one place of a document. `location` is Chinese, e.g. `正文 第12段`, `批注（作者：张三）`, `页眉`."""

    text: str
    location: str


@dataclass(frozen=True, slots=True)
class ExtractionIssue:
    """Something the extractor could not verify but that does not make the whole document unreadable
    (e.g. a PDF page without a text layer). It becomes a finding of rule `extract.<code>`."""

    code: str
    location: str
    message: str
    severity: Severity = Severity.REVIEW


@dataclass(slots=True)
class Extraction:
    """Every text part of one document. `error` set means the document could not be read completely:
    the scan verdict is then `error`, never `pass`."""

    parts: list[TextPart] = field(default_factory=list)
    kind: str = ""
    encoding: str | None = None
    issues: list[ExtractionIssue] = field(default_factory=list)
    error: str | None = None
