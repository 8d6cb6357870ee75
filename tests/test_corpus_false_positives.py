"""Public government text must pass: at most 1% of ../shared/corpus/public-gov may get a verdict other than pass
with the built-in rules (aim: 0), the Liaoning annual report must pass, and the in-repo hard negatives must pass."""

from __future__ import annotations

from pathlib import Path

import pytest

from reviewer.scan.model import Severity, Verdict
from reviewer.scan.scanner import Scanner
from reviewer.settings import BUILTIN_RULES_DIR, REPO_ROOT

SHARED = REPO_ROOT.parent / "shared" / "corpus"
IN_REPO = REPO_ROOT / "tests" / "data" / "corpus"
needs_shared = pytest.mark.skipif(
    not (SHARED / "public-gov").is_dir(), reason=f"{SHARED / 'public-gov'} 不存在（共享语料只在开发机和 CI 上提供）"
)


@pytest.fixture(scope="module")
def scanner() -> Scanner:
    return Scanner.load(BUILTIN_RULES_DIR, defaults=False)


def _problems(scanner: Scanner, path: Path) -> list[str]:
    result = scanner.scan(path.read_text(encoding="utf-8"))
    return [f"{path.name} {f.rule} {f.context}" for f in result.findings if f.severity != Severity.INFO]


def test_in_repo_hard_negatives_pass(scanner: Scanner) -> None:
    files = sorted(IN_REPO.glob("*.txt"))
    assert len(files) >= 4
    problems = [p for f in files for p in _problems(scanner, f)]
    assert problems == []


def test_hard_negatives_mention_classification_words(scanner: Scanner) -> None:
    """The in-repo texts do exercise the mention logic (so the test above can fail)."""
    text = (IN_REPO / "law-0001.txt").read_text(encoding="utf-8")
    assert "绝密" in text and "机密" in text
    assert scanner.scan(text + "\n机密★10年\n").verdict == Verdict.BLOCK


@needs_shared
def test_public_gov_corpus(scanner: Scanner) -> None:
    files = sorted((SHARED / "public-gov").glob("*.txt"))
    assert len(files) == 500
    bad = {f.name: p for f in files if (p := _problems(scanner, f))}
    assert len(bad) <= len(files) // 100, bad
    assert bad == {}, bad  # the goal is zero; relax to the 1% bound above only with a documented reason


@needs_shared
def test_annual_report_passes(scanner: Scanner) -> None:
    assert _problems(scanner, SHARED / "annual-report-2018-liaoning-justice.txt") == []
