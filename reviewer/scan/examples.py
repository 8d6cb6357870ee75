"""Sibling example files: `<id>.examples.txt`, one Chinese example a line, marked

    命中: …     the rule must report a finding that counts toward the verdict (block or review)
    提示: …     the rule must report only info findings (a mention, or a hit inside a larger word)
    不命中: …   the rule must not report a finding that counts (for exemption rules: nothing in the text counts)

`#` starts a comment line; `\\n` inside an example stands for a line break (markings depend on lines), `\\uXXXX` and
`\\UXXXXXXXX` for that code point (invisible characters such as bidi controls)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from reviewer.errors import RuleError
from reviewer.rulebase import Severity
from reviewer.ruleset.loader import LoadedRule
from reviewer.ruleset.model import ExemptionRule, ExpressionRule

if TYPE_CHECKING:  # pragma: no cover
    from reviewer.scan.scanner import Scanner

MARKS = {"命中": "hit", "提示": "info", "不命中": "ok"}


@dataclass(frozen=True, slots=True)
class Example:
    path: Path
    line: int
    expect: str  # hit | info | ok
    text: str


_ESCAPE = re.compile(r"\\n|\\u([0-9a-fA-F]{4})|\\U([0-9a-fA-F]{8})")


def _unescape(text: str) -> str:
    return _ESCAPE.sub(lambda m: "\n" if m.group() == "\\n" else chr(int(m.group(1) or m.group(2), 16)), text)


def parse_examples(path: Path) -> list[Example]:
    out = []
    for n, raw in enumerate(path.read_text(encoding="utf-8-sig").splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        mark, sep, text = line.replace("：", ":", 1).partition(":")
        if not sep or mark.strip() not in MARKS:
            raise RuleError(f"第{n}行应以“命中:”“提示:”或“不命中:”开头", path=str(path))
        out.append(Example(path, n, MARKS[mark.strip()], _unescape(text.strip())))
    return out


def run_example(scanner: Scanner, loaded: LoadedRule, example: Example) -> str | None:
    """None when the example holds, else a Chinese description of the failure."""
    rule = loaded.rule
    where = f"{example.path}:{example.line}"
    if isinstance(rule, ExemptionRule):
        if example.expect == "hit":
            if not any(r == rule.id for _, _, r in scanner.exemption_spans(example.text)):
                return f"{where}：应识别为豁免短语，但没有识别（检查 phrases）"
            return None
        counting = [f for f in scanner.scan(example.text).findings if f.severity != Severity.INFO]
        if counting:
            return f"{where}：豁免后不应有计入结论的结果，却有 {', '.join(f.rule for f in counting)}"
        return None
    findings = [f for f in scanner.scan(example.text).findings if f.rule == rule.id]
    counting = [f for f in findings if f.severity != Severity.INFO]
    if example.expect == "hit" and not counting:
        return f"{where}：应命中规则 {rule.id}，实际未命中"
    if example.expect == "info" and (counting or not findings):
        got = "计入结论的结果" if counting else "没有结果"
        return f"{where}：应只产生提示，实际{got}"
    if example.expect == "ok" and counting:
        return f"{where}：不应命中规则 {rule.id}，实际命中“{counting[0].match}”（{counting[0].explanation}）"
    return None


def uncovered_entries(scanner: Scanner, loaded: LoadedRule, examples: list[Example]) -> list[str]:
    """Entries of an expression rule that no “命中” example makes the rule report (every entry needs its own example).
    A finding names its entry by its explanation, which starts 表述“wrong”应为“right”."""
    rule = loaded.rule
    if not isinstance(rule, ExpressionRule):
        return []
    found: set[str] = set()
    for example in examples:
        if example.expect == "hit":
            for f in scanner.scan(example.text).findings:
                if f.rule == rule.id and f.severity != Severity.INFO:
                    found.add(f.explanation)
    return [f"{e.wrong}→{e.right}" for e in rule.entries
            if not any(x.startswith(f"表述“{e.wrong}”应为“{e.right}”") for x in found)]
