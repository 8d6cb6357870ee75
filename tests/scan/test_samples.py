"""samples/*.txt against the table in samples/EXPECTED.md (via the same path as `reviewer scan`)."""

from __future__ import annotations

import pytest

from reviewer.document import scan_document
from reviewer.scan.model import Severity
from reviewer.scan.scanner import Scanner
from reviewer.settings import BUILTIN_RULES_DIR

SAMPLES = BUILTIN_RULES_DIR.parent / "samples"
ORG = BUILTIN_RULES_DIR.parent / "examples" / "org-rules"


def expected_rows() -> list[tuple[str, str, str, list[str]]]:
    rows = []
    for line in (SAMPLES / "EXPECTED.md").read_text(encoding="utf-8").splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 4 and cells[0].endswith(".txt"):
            rows.append((cells[0], cells[1], cells[2], [r.strip() for r in cells[3].split(",") if r.strip()]))
    return rows


ROWS = expected_rows()


def test_every_sample_is_listed() -> None:
    assert sorted(r[0] for r in ROWS) == sorted(p.name for p in SAMPLES.glob("*.txt"))
    assert len(ROWS) >= 6


@pytest.fixture(scope="module")
def scanners() -> tuple[Scanner, Scanner]:
    return Scanner.load(BUILTIN_RULES_DIR, defaults=False), Scanner.load(BUILTIN_RULES_DIR, ORG, defaults=False)


@pytest.mark.parametrize(("name", "builtin", "with_org", "rules"), ROWS, ids=[r[0] for r in ROWS])
def test_sample(scanners: tuple[Scanner, Scanner], name: str, builtin: str, with_org: str, rules: list[str]) -> None:
    data = (SAMPLES / name).read_bytes()
    plain = scan_document(scanners[0], data, name)
    assert plain.verdict == builtin, [(f.rule, f.match) for f in plain.findings]
    counting = {f.rule for f in plain.findings if f.severity != Severity.INFO}
    assert set(rules) <= counting
    assert scan_document(scanners[1], data, name).verdict == with_org
