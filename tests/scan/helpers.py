"""Check-digit generators for tests: numbers built here correspond to no real person or account."""

from __future__ import annotations

from reviewer.scan.validators import id_check_char, uscc_check_char


def id_number(first17: str) -> str:
    return first17 + id_check_char(first17)


def luhn_number(prefix: str) -> str:
    for d in "0123456789":
        s = prefix + d
        total = 0
        for i, ch in enumerate(reversed(s)):
            x = int(ch)
            if i % 2 == 1:
                x = x * 2 - 9 if x > 4 else x * 2
            total += x
        if total % 10 == 0:
            return s
    raise AssertionError("unreachable")


def credit_code(first17: str) -> str:
    return first17 + uscc_check_char(first17)


def wrong_last(number: str) -> str:
    return number[:-1] + ("1" if number[-1] != "1" else "2")
