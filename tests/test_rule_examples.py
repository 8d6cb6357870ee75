"""Every rule file has a sibling `<id>.examples.txt`; every example line must hold (built-in and example org rules)."""

from __future__ import annotations

from pathlib import Path

import pytest

from reviewer.ruleset.loader import load_rules
from reviewer.scan.examples import parse_examples, run_example
from reviewer.scan.scanner import Scanner
from reviewer.settings import BUILTIN_RULES_DIR

ORG = BUILTIN_RULES_DIR.parent / "examples" / "org-rules"
RULESET = load_rules([BUILTIN_RULES_DIR, ORG])
SCANNER = Scanner(RULESET)
CASES = [
    pytest.param(lr, ex, id=f"{lr.rule.id}:{ex.line}")
    for lr in RULESET.rules
    if lr.examples_path.is_file()
    for ex in parse_examples(lr.examples_path)
]


@pytest.mark.parametrize("loaded", RULESET.rules, ids=lambda lr: lr.rule.id)
def test_every_rule_has_examples(loaded) -> None:  # type: ignore[no-untyped-def]
    assert loaded.examples_path.is_file(), f"缺少 {loaded.examples_path}"
    marks = {e.expect for e in parse_examples(loaded.examples_path)}
    assert "ok" in marks and marks & {"hit", "info"}


@pytest.mark.parametrize(("loaded", "example"), CASES)
def test_example(loaded, example) -> None:  # type: ignore[no-untyped-def]
    failure = run_example(SCANNER, loaded, example)
    assert failure is None, failure


def test_examples_can_fail() -> None:
    """The runner notices a wrong expectation (guards against a runner that always passes)."""
    loaded = next(lr for lr in RULESET.rules if lr.rule.id == "classification-marking")
    bogus = parse_examples(loaded.examples_path)[0]
    flipped = type(bogus)(bogus.path, bogus.line, "ok", bogus.text)
    assert run_example(SCANNER, loaded, flipped) is not None


def test_all_rule_dirs_listed() -> None:
    assert Path(BUILTIN_RULES_DIR).is_dir() and ORG.is_dir()
