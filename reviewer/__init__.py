"""secrecy-review：发布前保密审查。

Public API used by the CLI, the workers and the benchmarks::

    from reviewer import Scanner
    scanner = Scanner.load("path/to/org-rules", defaults=True)
    result = scanner.scan(text)
    result.verdict, result.rules_version, result.findings
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__all__ = ["Scanner", "ScanResult", "Finding", "Severity", "Verdict"]

if TYPE_CHECKING:  # pragma: no cover
    from reviewer.scan.model import Finding, ScanResult, Severity, Verdict
    from reviewer.scan.scanner import Scanner


def __getattr__(name: str) -> Any:
    # Lazy so that `import reviewer` (e.g. from the CLI's --help) does not load jieba and the automaton.
    if name == "Scanner":
        from reviewer.scan.scanner import Scanner

        return Scanner
    if name in {"ScanResult", "Finding", "Severity", "Verdict"}:
        from reviewer.scan import model

        return getattr(model, name)
    raise AttributeError(name)
