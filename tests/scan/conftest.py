from __future__ import annotations

import pytest

from reviewer.scan.scanner import Scanner
from reviewer.settings import BUILTIN_RULES_DIR


@pytest.fixture(scope="session")
def scanner() -> Scanner:
    """Built-in rules only (independent of REVIEWER_RULES_PATH), shared by the whole session."""
    return Scanner.load(BUILTIN_RULES_DIR, defaults=False)
