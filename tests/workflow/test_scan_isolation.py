"""The scan child (workflow/jobs.scan_isolated): killed at the limit, replaced for the next scan, fail closed."""

from __future__ import annotations

import time

import pytest

from reviewer import Scanner
from reviewer.workflow import jobs
from tests.reliability.test_scan_time_limit import xobject_bomb


@pytest.fixture(scope="module")
def scanner() -> Scanner:
    return Scanner.load(defaults=True)


def test_a_stuck_extraction_is_killed_and_the_next_scan_works(scanner: Scanner) -> None:
    started = time.monotonic()
    with pytest.raises(jobs.ScanTimeout):
        jobs.scan_isolated(scanner, xobject_bomb(draws=100, leaf_ops=290, pages=12, pad=120_000), "报告.pdf", 2.0)
    assert time.monotonic() - started < 10
    result = jobs.scan_isolated(scanner, "此件标注 机密★10年，请核实。".encode(), "a.txt", 30)
    assert result.error is None and any(f.severity == "block" for f in result.findings)


def test_a_scanner_exception_in_the_child_fails_closed(scanner: Scanner, monkeypatch: pytest.MonkeyPatch) -> None:
    child = getattr(jobs._children, "child", None)
    if child is not None:
        child.stop()

    def boom(*_: object) -> object:
        raise RuntimeError("secret draft text")

    monkeypatch.setattr(jobs, "scan_document", boom)  # the next child is forked with the patched function
    result = jobs.scan_isolated(scanner, b"x", "a.txt", 30)
    assert result.error and "RuntimeError" in result.error and "secret" not in result.error
    jobs._children.child.stop()
