"""Join extraction and scanning: one document (bytes + file name) -> one ScanResult with located findings."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from reviewer.extract import DEFAULT_LIMITS, Extraction, Limits, Members, extract
from reviewer.scan.model import Finding, ScanResult

if TYPE_CHECKING:  # pragma: no cover
    from reviewer.scan.scanner import Scanner

ISSUE_CATEGORY = "无法核验"


def scan_extraction(scanner: Scanner, extraction: Extraction) -> ScanResult:
    """Scan every part; each finding is located in its part (paragraph, cell, page, comment, revision …)."""
    result = ScanResult(rules_version=scanner.rules_version, encoding=extraction.encoding, error=extraction.error)
    if extraction.error:
        return result
    for part in extraction.parts:
        for f in scanner.scan(part.text).findings:
            location = part.locate(f.start, f.end)
            if location is not None:  # None: a duplicate of text already scanned in another view of the part
                result.findings.append(replace(f, location=location))
    for issue in extraction.issues:
        result.findings.append(
            Finding(f"extract.{issue.code}", issue.category or ISSUE_CATEGORY, issue.severity, 0, 0, "", "", issue.message, "",
                    issue.location, rule_title=issue.title)
        )
    return result


def scan_document(scanner: Scanner, data: bytes, filename: str = "", limits: Limits = DEFAULT_LIMITS,
                  members: Members | None = None) -> ScanResult:
    """`members`: only when the render check follows (the pipeline): image members of archives are left to it."""
    return scan_extraction(scanner, extract(data, filename, limits, members))
