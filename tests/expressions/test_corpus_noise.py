"""No noise: the expression pack adds no finding that counts to any published public document — the 500 of the shared
corpus (../shared/corpus/public-gov) and the in-repo law-/gwr- texts — so none of them changes verdict with it on."""

from __future__ import annotations

from pathlib import Path

import pytest

from reviewer.scan.model import Severity
from reviewer.scan.scanner import Scanner
from reviewer.settings import BUILTIN_RULES_DIR, REPO_ROOT

PACK = {"political-fixed-expressions", "territorial-expressions", "xinhua-banned-words"}
# the main checkout sits beside ../shared; a helper's worktree one level deeper
SHARED = next((p for p in (REPO_ROOT.parent / "shared" / "corpus" / "public-gov",
                           REPO_ROOT.parent.parent / "shared" / "corpus" / "public-gov") if p.is_dir()), None)


@pytest.fixture(scope="module")
def scanner() -> Scanner:
    scanner = Scanner.load(BUILTIN_RULES_DIR, defaults=False)
    assert scanner.expression_pack == frozenset(PACK)
    return scanner


def _noise(scanner: Scanner, files: list[Path]) -> dict[str, list[str]]:
    out = {}
    for path in files:
        found = [f"{f.rule} {f.match} {f.context}" for f in scanner.scan(path.read_text(encoding="utf-8")).findings
                 if f.rule in PACK and f.severity != Severity.INFO]
        if found:
            out[path.name] = found
    return out


def test_in_repo_public_texts(scanner: Scanner) -> None:
    files = sorted((REPO_ROOT / "tests" / "data" / "public-gov").glob("*.txt"))
    assert len(files) >= 300
    assert _noise(scanner, files) == {}


@pytest.mark.skipif(SHARED is None, reason="共享语料 ../shared/corpus/public-gov 不存在（只在开发机和 CI 上提供）")
def test_shared_public_gov_corpus(scanner: Scanner) -> None:
    assert SHARED is not None
    files = sorted(SHARED.glob("*.txt"))
    assert len(files) == 500
    assert _noise(scanner, files) == {}


def test_the_pack_does_fire_on_these_texts(scanner: Scanner) -> None:
    """The corpus tests above can fail: one planted wrong form in a corpus text is reported."""
    path = sorted((REPO_ROOT / "tests" / "data" / "public-gov").glob("gwr-*.txt"))[0]
    text = path.read_text(encoding="utf-8")
    assert _noise(scanner, [path]) == {}
    found = [f for f in scanner.scan(text + "\n认真学习宣传贯彻党十九大精神。").findings if f.rule in PACK]
    assert found and found[0].severity == Severity.REVIEW
