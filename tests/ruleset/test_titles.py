"""Every rule carries a Chinese title for people; `rules check` refuses a rule without one; scan output carries it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from reviewer.cli import main
from reviewer.ruleset.loader import load_rules
from reviewer.scan.rulecheck import check_directories
from reviewer.settings import BUILTIN_RULES_DIR

ORG = BUILTIN_RULES_DIR.parent / "examples" / "org-rules"


def _chinese(text: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)


@pytest.mark.parametrize("loaded", load_rules([BUILTIN_RULES_DIR, ORG]).rules, ids=lambda lr: lr.rule.id)
def test_every_shipped_rule_has_a_chinese_title(loaded) -> None:  # type: ignore[no-untyped-def]
    assert loaded.rule.title.strip() and _chinese(loaded.rule.title), loaded.path


def _write_rule(tmp_path: Path, title_line: str) -> None:
    (tmp_path / "own-codes.yaml").write_text(
        f"id: own-codes\n{title_line}kind: terms\nseverity: block\nterms: [曜石七号]\n", encoding="utf-8"
    )
    (tmp_path / "own-codes.examples.txt").write_text("命中: 曜石七号\n不命中: 曜石\n", encoding="utf-8")


@pytest.mark.parametrize(("title_line", "problem"), [("", "缺少 title"), ("title: Own codes\n", "应为中文"),
                                                      ("title: '  '\n", "缺少 title")])
def test_rules_check_refuses_a_rule_without_a_chinese_title(tmp_path: Path, title_line: str, problem: str) -> None:
    _write_rule(tmp_path, title_line)
    report = check_directories([tmp_path])
    assert not report.ok and any(problem in p for p in report.problems), report.problems
    _write_rule(tmp_path, "title: 本单位项目代号\n")
    assert check_directories([tmp_path]).ok


def test_scan_json_carries_the_rule_title(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    draft = tmp_path / "d.txt"
    draft.write_text("关于某项工作的报告\n工作进展顺利。以上内容严禁外传。\n", encoding="utf-8")
    assert main(["scan", "--format", "json", str(draft)]) == 1
    row = json.loads(capsys.readouterr().out.splitlines()[0])
    [finding] = [f for f in row["findings"] if f["rule"] == "no-dissemination"]
    assert finding["rule_title"] == "禁止外传类标志" and finding["severity"] == "block"
