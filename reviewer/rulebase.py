"""What both the rule model (`ruleset`) and the engine (`scan`) need, below both: the severities and the names of the
validators a pattern rule may call. The validator functions themselves live in scan/validators.py; a test keeps
their names and VALIDATOR_NAMES equal (tests/test_layering.py)."""

from __future__ import annotations

from enum import StrEnum


class Severity(StrEnum):
    BLOCK = "block"
    REVIEW = "review"
    INFO = "info"


VALIDATOR_NAMES = frozenset({"id_card", "id_card_numerals", "luhn", "uscc", "mobile", "coordinates"})
