"""Join extraction and scanning: one document (bytes + file name) -> one ScanResult with located findings."""

from __future__ import annotations

from typing import TYPE_CHECKING

from reviewer.extract import DEFAULT_LIMITS, Limits, extract
from reviewer.scan.model import Finding, ScanResult

if TYPE_CHECKING:  # pragma: no cover
    from reviewer.scan.scanner import Scanner


def scan_document(scanner: "Scanner", data: bytes, filename: str = "", limits: Limits = DEFAULT_LIMITS) -> ScanResult:
    extraction = extract(data, filename, limits)
    result = ScanResult(rules_version=scanner.rules_version, encoding=extraction.encoding, error=extraction.error)
    if extraction.error:
        return result
    for part in extraction.parts:
        part_result = scanner.scan(part.text)
        for f in part_result.findings:
            result.findings.append(
                Finding(f.rule, f.category, f.severity, f.start, f.end, f.match, f.context, f.message, f.explanation, part.location)
            )
    for issue in extraction.issues:
        result.findings.append(
            Finding(f"extract.{issue.code}", "无法核验", issue.severity, 0, 0, "", "", issue.message, "", issue.location)
        )
    return result
