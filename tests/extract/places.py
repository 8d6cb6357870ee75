"""Plants for the "places that are never read" tests (issue 22): a classification marking, a term of a rule (the
fictional examples/org-rules word list) and a checksum-valid ID number; each place is tested with each plant, located
in Chinese, and with a clean counterpart that must pass."""

from __future__ import annotations

from functools import cache

from reviewer.document import scan_document
from reviewer.scan.model import Finding, ScanResult
from reviewer.scan.scanner import Scanner
from reviewer.settings import REPO_ROOT
from tests.scan.helpers import id_number

ID = id_number("44030619851017203")
# (plant, the rule that must report it)
PLANTS = {"marking": ("秘密★10年", "classification-marking"), "term": ("玄鸟工程", "org-project-codes"),
          "id": (ID, "id-card")}
CLEAN = "本单位二〇二四年度政务公开工作要点"


@cache
def scanner() -> Scanner:
    return Scanner.load(REPO_ROOT / "examples" / "org-rules", defaults=True)


def scan(data: bytes, name: str) -> ScanResult:
    return scan_document(scanner(), data, name)


def hits(result: ScanResult, rule: str) -> list[Finding]:
    return [f for f in result.findings if f.rule == rule]


def counting(result: ScanResult, ignore: tuple[str, ...] = ()) -> list[Finding]:
    """Findings that would stop a pass (info notes and the listed extract.* notes left out)."""
    return [f for f in result.findings if str(f.severity) != "info" and f.rule not in ignore]
