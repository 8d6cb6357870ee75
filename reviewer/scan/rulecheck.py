"""`reviewer rules check`: validate rule directories and run every sibling example file."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from reviewer.errors import RuleError
from reviewer.ruleset.loader import LoadedRule, RuleSet, load_rules, parse_rule_file, rule_files
from reviewer.ruleset.model import FingerprintRule
from reviewer.scan.examples import parse_examples, run_example, uncovered_entries
from reviewer.settings import BUILTIN_RULES_DIR


@dataclass
class CheckReport:
    rules: int = 0
    examples: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def check_directories(directories: Iterable[Path], with_builtin: bool = True) -> CheckReport:
    """Every problem is collected (not only the first) so that one run lists all fixes."""
    from reviewer.scan.scanner import Scanner  # noqa: I001

    report = CheckReport()
    dirs = [Path(d).resolve() for d in directories]
    own: list[LoadedRule] = []
    for d in dirs:
        try:
            paths = rule_files(d)
        except RuleError as exc:
            report.problems.append(exc.message)
            continue
        for path in paths:
            try:
                own.append(parse_rule_file(path))
            except RuleError as exc:
                report.problems.append(exc.message)
    if report.problems:
        return report
    try:
        base = [BUILTIN_RULES_DIR.resolve()] if with_builtin else []
        ruleset: RuleSet = load_rules([*base, *dirs])  # duplicate ids across directories are reported here
    except RuleError as exc:
        report.problems.append(exc.message)
        return report
    scanner = Scanner(ruleset)
    report.rules = len(own)
    for loaded in own:
        if not loaded.rule.title.strip():
            report.problems.append(f"{loaded.path}：缺少 title 字段（给人看的中文规则名称，例如 “title: 密级标志”），请补上")
        elif not any("\u4e00" <= ch <= "\u9fff" for ch in loaded.rule.title):
            report.problems.append(f"{loaded.path}：title “{loaded.rule.title}” 应为中文规则名称（给审查人员看），请改写")
        if isinstance(loaded.rule, FingerprintRule):
            continue  # an example file would hold the registered text in clear; tests/fingerprints covers the kind
        if not loaded.examples_path.is_file():
            report.problems.append(f"{loaded.path}：缺少示例文件 {loaded.examples_path.name}（至少一行“命中:”和一行“不命中:”）")
            continue
        try:
            examples = parse_examples(loaded.examples_path)
        except RuleError as exc:
            report.problems.append(exc.message)
            continue
        marks = {e.expect for e in examples}
        if "ok" not in marks or not marks & {"hit", "info"}:
            report.problems.append(f"{loaded.examples_path}：至少需要一行“命中:”（或“提示:”）和一行“不命中:”")
        for example in examples:
            report.examples += 1
            failure = run_example(scanner, loaded, example)
            if failure:
                report.problems.append(failure)
        missing = uncovered_entries(scanner, loaded, examples)
        if missing:
            report.problems.append(f"{loaded.examples_path}：以下表述没有一行“命中:”示例使规则命中：{'、'.join(missing)}")
    return report
