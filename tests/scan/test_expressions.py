"""严重表述错误 (kind: expression, kind: titles): wrong forms with the right form, context, quoted citations, a unit's
names and titles and orders. Phrasings here are not those of the rule example files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from reviewer.errors import RuleError
from reviewer.ruleset.loader import load_rules, parse_rule_file
from reviewer.scan.model import Severity, Verdict
from reviewer.scan.rulecheck import check_directories
from reviewer.scan.scanner import Scanner
from reviewer.settings import BUILTIN_RULES_DIR, REPO_ROOT

ORG = REPO_ROOT / "examples" / "org-rules"
PACK = {"political-fixed-expressions", "territorial-expressions", "xinhua-banned-words"}


def counting(scanner: Scanner, text: str) -> list:  # type: ignore[type-arg]
    return [f for f in scanner.scan(text).findings if f.severity != Severity.INFO]


@pytest.mark.parametrize(("text", "wrong", "right"), [
    ("区人民代表大人常务委员会公告", "代表大人", "代表大会"),
    ("缅怀革命烈土，传承红色基因", "烈土", "烈士"),
    ("以党二十大精神为指引", "党二十大", "党的二十大"),
    ("常态化开展扫黑险恶斗争", "扫黑险恶", "扫黑除恶"),
    ("依据中华人民共合国预算法", "人民共合国", "人民共和国"),
    ("推动英国、台湾、法国等12个国家企业来访", "个国家", "个国家和地区"),
    ("香港同其他国家的往来", "其他国家", "其他国家和地区"),
    ("中港关系持续改善", "中港", "内地与香港"),
    ("派员列席北朝鲜有关会议", "北朝鲜", "朝鲜"),
])
def test_wrong_form_is_review_with_its_right_form(scanner: Scanner, text: str, wrong: str, right: str) -> None:
    found = counting(scanner, text)
    assert [(f.match, f.severity, f.suggestion) for f in found] == [(wrong, Severity.REVIEW, right)]
    assert found[0].message == f"应为：{right}" and found[0].category == "表述" and found[0].rule in PACK
    assert "依据：" in found[0].explanation


def test_wrong_form_is_found_through_noise_and_traditional_characters(scanner: Scanner) -> None:
    for text in ("全体中国\u3000入民", "黨十\u200b九大", "臺灣總統出席"):
        assert scanner.scan(text).verdict == Verdict.REVIEW, text


def test_context_decides(scanner: Scanner) -> None:
    assert counting(scanner, "与日本、台湾等国家开展合作") != []
    assert counting(scanner, "与日本、台湾等国家和地区开展合作") == []
    assert counting(scanner, "台湾是中国领土不可分割的一部分，我们是一个国家") == []
    assert counting(scanner, "香港、澳门等国家级旅游合作平台") == []
    assert counting(scanner, "有关情况已引起社会注意") == []
    assert counting(scanner, "坚定中国特色社会注意道路自信") != []
    assert counting(scanner, "建设数据中台关系数据库") == []
    assert counting(scanner, "区人民检察院副检查长") != [] and counting(scanner, "检查长江沿岸排污口") == []


def test_quoted_wrong_form_in_a_correction_is_a_note(scanner: Scanner) -> None:
    notice = "更正声明：本网昨日刊发的《工作动态》中，将“党的十九大”误写为“党十九大”，现予更正。"
    result = scanner.scan(notice)
    assert result.verdict == Verdict.PASS
    notes = [f for f in result.findings if f.rule in PACK]
    assert notes and all(f.severity == Severity.INFO and "降为提示" in f.explanation for f in notes)
    # quoted without any correction word (a headline in quotes) still counts, and so does an unquoted wrong form in
    # a sentence that talks about corrections
    assert scanner.scan("学习“党十九大”精神专题").verdict == Verdict.REVIEW
    assert scanner.scan("现予更正：全体中国入民团结奋斗").verdict == Verdict.REVIEW
    # unquoted correction syntax: the wrong form after 误写为/写成, or followed by 应为 and the right form itself
    assert scanner.scan("个别网站把党的二十大写成党二十大").verdict == Verdict.PASS
    assert scanner.scan("错误清单：人民检查院（应为人民检察院）").verdict == Verdict.PASS
    assert scanner.scan("学习党十九大应为首要任务").verdict == Verdict.REVIEW  # 应为 without the right form
    assert scanner.scan("人民检查院（应为区法院）受理").verdict == Verdict.REVIEW
    # a quotation in another sentence does not cover this one
    assert scanner.scan("已更正“中国人民”。全体中国入民团结奋斗").verdict == Verdict.REVIEW


def test_finding_carries_the_suggestion_in_json(scanner: Scanner) -> None:
    f = counting(scanner, "欢迎港澳台游客来华观光")[0]
    data = f.to_dict()
    assert data["suggestion"] == "港澳台游客来内地（大陆）" and data["message"].startswith("应为：")
    assert json.loads(json.dumps(data))["suggestion"] == f.suggestion
    other = counting(scanner, "机密★10年")[0].to_dict()
    assert other["suggestion"] == ""


def test_pack_loads_from_builtin_and_is_known_to_the_scanner(scanner: Scanner) -> None:
    assert scanner.expression_pack == frozenset(PACK)
    own = Scanner.load(ORG, defaults=False)
    assert own.expression_pack == frozenset()  # a unit's own rules are not the built-in pack


# ------------------------------------------------------------------------- titles (a unit's names and orders)
@pytest.fixture(scope="module")
def org() -> Scanner:
    return Scanner.load(ORG, defaults=False)


def test_name_with_a_title_not_its_own(org: Scanner) -> None:
    f = counting(org, "会议由总经济师周景行主持。")
    assert [(x.match, x.suggestion, x.rule) for x in f] == [("总经济师周景行", "副局长周景行", "org-leaders")]
    f = counting(org, "韩知远局长讲话。")
    assert [(x.match, x.suggestion) for x in f] == [("韩知远局长", "韩知远总经济师")]
    assert counting(org, "副局长周景行主持，周景行同志作报告。") == []
    # 副局长 is not read as 局长: the longest title wins on both sides
    assert counting(org, "林墨舟局长、苏晴岚副局长出席") == []


def test_required_order_in_one_list_only(org: Scanner) -> None:
    f = counting(org, "参加座谈的有韩知远、苏晴岚等同志。")
    assert [(x.message, x.severity) for x in f] == [("排序应为：苏晴岚、韩知远", Severity.REVIEW)]
    # names in different sentences or far apart are not one list
    assert counting(org, "韩知远介绍了情况。苏晴岚作总结。") == []
    assert counting(org, "韩知远主持会议，苏晴岚出席并讲话。") == []  # two statements, not a list
    far = "韩知远在调研中指出，要把各项工作任务落实落细落到位，" + "确保取得实效，" * 3 + "苏晴岚表示赞同"
    assert counting(org, far) == []
    # a wrong title inside a list in the wrong order: both are reported
    both = counting(org, "出席：局长周景行、林墨舟")
    assert {x.message for x in both} == {"应为：副局长周景行", "排序应为：林墨舟、周景行"}


# ------------------------------------------------------------------------- rule files
def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(("body", "field", "words"), [
    ("entries:\n  - {wrong: 甲乙, right: 甲乙, source: 某某依据}\n", "entries", "相同"),
    ("entries:\n  - {wrong: 甲乙, right: 丙丁}\n", "entries.0.source", "缺少"),
    ("entries:\n  - {wrong: 甲乙, right: 丙丁, source: 某某依据, after: '(未闭合'}\n", "entries.0.after", "无法编译"),
    ("entries: []\n", "entries", "不能为空"),
])
def test_expression_rule_errors_are_chinese(tmp_path: Path, body: str, field: str, words: str) -> None:
    p = _write(tmp_path / "x.yaml", "id: x\nkind: expression\nseverity: review\n" + body)
    with pytest.raises(RuleError) as exc:
        parse_rule_file(p)
    assert exc.value.field.startswith(field.split(".")[0]) and words in exc.value.message


def test_titles_rule_orders_must_name_listed_people(tmp_path: Path) -> None:
    p = _write(tmp_path / "t.yaml", "id: t\nkind: titles\nseverity: review\npeople:\n  - {name: 张某甲, titles: [局长]}\n"
                                    "orders:\n  - [张某甲, 李某乙]\n")
    with pytest.raises(RuleError, match="李某乙"):
        parse_rule_file(p)


def test_rules_check_requires_an_example_for_every_entry(tmp_path: Path) -> None:
    _write(tmp_path / "mine.yaml", "id: mine\nkind: expression\nseverity: review\ntitle: 本单位表述\nentries:\n"
                                   "  - {wrong: 青鸾四号工程, right: 某某工程, source: 本单位规定}\n"
                                   "  - {wrong: 朱雀计划书, right: 某某计划, source: 本单位规定}\n")
    _write(tmp_path / "mine.examples.txt", "命中: 推进青鸾四号工程建设\n不命中: 推进某某工程建设\n")
    report = check_directories([tmp_path], with_builtin=False)
    assert not report.ok and any("朱雀计划书" in p and "青鸾四号工程" not in p for p in report.problems)
    _write(tmp_path / "mine.examples.txt", "命中: 推进青鸾四号工程建设\n命中: 印发朱雀计划书\n不命中: 推进某某工程建设\n")
    assert check_directories([tmp_path], with_builtin=False).ok


def test_builtin_pack_every_entry_cites_a_source_and_is_review() -> None:
    rules = [lr.rule for lr in load_rules([BUILTIN_RULES_DIR]).rules if lr.rule.id in PACK]
    assert {r.id for r in rules} == PACK
    for rule in rules:
        assert rule.severity == Severity.REVIEW and rule.category == "表述"
        for e in rule.entries:  # type: ignore[union-attr]
            # a web address or a named public document (《…》, 文号〔…〕)
            assert "http" in e.source or "〔" in e.source or "《" in e.source, (rule.id, e.wrong)
