"""Result types of a scan. Shared by the scanner, the extractors, the CLI and the workflow."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from reviewer.rulebase import Severity


class Verdict(StrEnum):
    PASS = "pass"
    REVIEW = "review"
    BLOCK = "block"
    ERROR = "error"


CONTEXT_CHARS = 20  # characters of original text kept on each side of a hit in `Finding.context`

SEVERITY_LABEL = {Severity.BLOCK: "禁止发布", Severity.REVIEW: "需人工审查", Severity.INFO: "提示"}
VERDICT_LABEL = {
    Verdict.PASS: "未发现问题",
    Verdict.REVIEW: "需人工审查",
    Verdict.BLOCK: "禁止发布",
    Verdict.ERROR: "无法完整读取（不得视为通过）",
}


@dataclass(frozen=True, slots=True)
class Finding:
    """One hit. `start`/`end` index the original text of the part named by `location`."""

    rule: str
    category: str
    severity: Severity
    start: int
    end: int
    match: str
    context: str
    message: str
    explanation: str = ""
    location: str = ""
    page: int | None = None  # 1-based page of a rendered document (reviewer.render); None for text findings
    box: tuple[int, int, int, int] | None = None  # [x0, y0, x1, y1] in that page image's pixels
    rule_title: str = ""  # the rule's Chinese title (empty for findings that come from no rule file)
    suggestion: str = ""  # the right form (规范表述) for expression and titles findings; "" for the others

    def highlight(self) -> tuple[str, str, str]:
        """(before, hit, after) split of `context`: the scanner keeps CONTEXT_CHARS characters before the hit."""
        lead = min(self.start, CONTEXT_CHARS)
        hit_len = self.end - self.start
        return self.context[:lead], self.context[lead : lead + hit_len], self.context[lead + hit_len :]

    def to_dict(self) -> dict[str, object]:
        return {
            "rule": self.rule,
            "category": self.category,
            "severity": str(self.severity),
            "start": self.start,
            "end": self.end,
            "match": self.match,
            "context": self.context,
            "location": self.location,
            "message": self.message,
            "explanation": self.explanation,
            "rule_title": self.rule_title,
            "suggestion": self.suggestion,
            **({"page": self.page, "box": list(self.box) if self.box else None} if self.page is not None else {}),
        }


def verdict_of(findings: list[Finding], error: str | None = None) -> Verdict:
    """block > review > pass; any read error makes the verdict `error` (fail closed)."""
    if error:
        return Verdict.ERROR
    severities = {f.severity for f in findings}
    if Severity.BLOCK in severities:
        return Verdict.BLOCK
    if Severity.REVIEW in severities:
        return Verdict.REVIEW
    return Verdict.PASS


@dataclass(slots=True)
class ScanResult:
    rules_version: str
    findings: list[Finding] = field(default_factory=list)
    error: str | None = None
    encoding: str | None = None

    @property
    def verdict(self) -> Verdict:
        return verdict_of(self.findings, self.error)

    def counts(self) -> dict[str, int]:
        out = {str(s): 0 for s in Severity}
        for f in self.findings:
            out[str(f.severity)] += 1
        return out
