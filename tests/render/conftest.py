from __future__ import annotations

from pathlib import Path

import pytest

from reviewer.scan.scanner import Scanner

RULES = Path(__file__).parent / "rules"


@pytest.fixture(scope="session")
def scanner() -> Scanner:
    """Built-in rules plus the fictional project codes of tests/render/rules (苍龙计划, 北辰三号, 天枢工程)."""
    return Scanner.load(RULES)
