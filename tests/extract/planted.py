"""What the new-format tests plant in every place they read: a classification marking, a classified term from a rule
(tests/render/rules: 北辰三号) and a checksum-valid ID number; and the clean text their counterparts carry."""

from __future__ import annotations

from collections import defaultdict
from functools import cache
from pathlib import Path

from reviewer.scan.model import ScanResult
from reviewer.scan.scanner import Scanner

RULES = Path(__file__).resolve().parents[1] / "render" / "rules"
MARK_RULE, TERM_RULE, ID_RULE = "classification-marking", "render-test-codes", "id-card"
ALL = {MARK_RULE, TERM_RULE, ID_RULE}


def id_number(first17: str) -> str:
    weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    return first17 + "10X98765432"[sum(int(d) * w for d, w in zip(first17, weights, strict=True)) % 11]


ID = id_number("32050219870312411")
PLANT = f"机密★5年 北辰三号 身份证号{ID}"
CLEAN = "关于做好春季防汛工作的通知，请各单位认真落实。"


@cache
def scanner() -> Scanner:
    return Scanner.load(RULES)


def rules_by_location(result: ScanResult) -> dict[str, set[str]]:
    out: dict[str, set[str]] = defaultdict(set)
    for f in result.findings:
        out[f.location].add(f.rule)
    return dict(out)


def missing(result: ScanResult, places: list[str]) -> dict[str, set[str]]:
    """The planted rules not found at each place (empty when every place reported all three)."""
    got = rules_by_location(result)
    return {p: ALL - got.get(p, set()) for p in places if ALL - got.get(p, set())}
