from __future__ import annotations

from pathlib import Path

import pytest

from reviewer.errors import RuleError
from reviewer.ruleset.loader import load_rules, parse_rule_file
from reviewer.ruleset.model import MarkingRule, PatternRule, TermsRule
from reviewer.scan.rulecheck import check_directories
from reviewer.settings import BUILTIN_RULES_DIR


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_builtin_rules_load_with_types() -> None:
    ruleset = load_rules([BUILTIN_RULES_DIR])
    kinds = {type(lr.rule) for lr in ruleset.rules}
    assert {MarkingRule, PatternRule} <= kinds
    assert all(lr.rule.id == lr.path.stem for lr in ruleset.rules)


def test_id_must_equal_stem(tmp_path: Path) -> None:
    p = write(tmp_path / "abc.yaml", "id: other\nkind: terms\nseverity: block\nterms: [x]\n")
    with pytest.raises(RuleError) as exc:
        parse_rule_file(p)
    assert exc.value.field == "id" and "abc" in exc.value.message and "重命名" in exc.value.message


def test_duplicate_ids_across_directories(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    write(tmp_path / "a" / "dup.yaml", "id: dup\nkind: terms\nseverity: block\nterms: [x]\n")
    write(tmp_path / "b" / "dup.yaml", "id: dup\nkind: terms\nseverity: block\nterms: [y]\n")
    with pytest.raises(RuleError, match="重复"):
        load_rules([tmp_path / "a", tmp_path / "b"])


@pytest.mark.parametrize(
    ("body", "field", "words"),
    [
        ("id: r\nkind: terms\nterms: [x]\n", "severity", "缺少必填字段"),
        ("id: r\nkind: terms\nseverity: high\nterms: [x]\n", "severity", "block、review 或 info"),
        ("id: r\nkind: nonsense\nseverity: block\n", "kind", "terms、pattern、marking、exemption、expression 或 titles"),
        ("id: r\nseverity: block\n", "", "缺少 kind"),
        ("id: r\nkind: terms\nseverity: block\n", "", "terms 与 terms_file 至少填写一项"),
        ("id: r\nkind: terms\nseverity: block\nterms: [x]\ncolour: red\n", "colour", "未知字段"),
        ("id: r\nkind: pattern\nseverity: block\npatterns: [{name: a, regex: '(('}]\n", "patterns.0.regex", "无法编译"),
        ("id: r\nkind: pattern\nseverity: block\nvalidator: foo\npatterns: [{name: a, regex: x}]\n", "validator", "未知的校验器"),
        ("id: R\nkind: terms\nseverity: block\nterms: [x]\n", "id", "小写字母"),
    ],
)
def test_errors_name_field_and_fix_in_chinese(tmp_path: Path, body: str, field: str, words: str) -> None:
    p = write(tmp_path / "r.yaml", body)
    with pytest.raises(RuleError) as exc:
        parse_rule_file(p)
    assert str(p) in exc.value.message
    assert words in exc.value.message
    if field:
        assert exc.value.field == field


def test_yaml_syntax_error(tmp_path: Path) -> None:
    p = write(tmp_path / "r.yaml", "id: r\nkind: [unclosed\n")
    with pytest.raises(RuleError, match="YAML 语法错误"):
        parse_rule_file(p)


def test_terms_file(tmp_path: Path) -> None:
    write(tmp_path / "list.txt", "# 注释\n青鸾四号\n\n  玄鸟工程  \n")
    p = write(tmp_path / "org.yaml", "id: org\nkind: terms\nseverity: block\nterms: [云岫计划]\nterms_file: list.txt\n")
    loaded = parse_rule_file(p)
    assert isinstance(loaded.rule, TermsRule)
    assert loaded.terms == ("云岫计划", "青鸾四号", "玄鸟工程")
    write(tmp_path / "org.yaml", "id: org\nkind: terms\nseverity: block\nterms_file: missing.txt\n")
    with pytest.raises(RuleError) as exc:
        parse_rule_file(p)
    assert exc.value.field == "terms_file"


def test_version_changes_with_terms_file_content(tmp_path: Path) -> None:
    write(tmp_path / "list.txt", "青鸾四号\n")
    write(tmp_path / "org.yaml", "id: org\nkind: terms\nseverity: block\nterms_file: list.txt\n")
    v1 = load_rules([tmp_path]).version
    assert load_rules([tmp_path]).version == v1
    write(tmp_path / "list.txt", "青鸾五号\n")
    assert load_rules([tmp_path]).version != v1


def test_check_reports_failing_examples_and_missing_files(tmp_path: Path) -> None:
    write(tmp_path / "org.yaml", "id: org\ntitle: 项目代号\nkind: terms\nseverity: block\nterms: [青鸾四号]\n")
    report = check_directories([tmp_path])
    assert not report.ok and "缺少示例文件" in report.problems[0]
    write(tmp_path / "org.examples.txt", "命中: 青鸾四号\n不命中: 青鸾四号项目\n")
    report = check_directories([tmp_path])
    assert not report.ok and "org.examples.txt:2" in report.problems[0]
    write(tmp_path / "org.examples.txt", "命中: 青鸾四号\n不命中: 青鸾\n")
    assert check_directories([tmp_path]).ok
    write(tmp_path / "org.examples.txt", "应该: 青鸾四号\n")
    assert "第1行" in check_directories([tmp_path]).problems[0]
