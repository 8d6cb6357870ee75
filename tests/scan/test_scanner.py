from __future__ import annotations

from pathlib import Path

import pytest

from reviewer import Scanner as PublicScanner
from reviewer.scan.model import Severity, Verdict
from reviewer.scan.scanner import Scanner
from tests.scan.helpers import id_number, luhn_number, wrong_last

ORG_RULES = Path(__file__).resolve().parents[2] / "examples" / "org-rules"


def rules_of(scanner: Scanner, text: str, counting: bool = True) -> list[str]:
    return [f.rule for f in scanner.scan(text).findings if not counting or f.severity != Severity.INFO]


def test_public_api_resolves() -> None:
    assert PublicScanner is Scanner


def test_verdicts(scanner: Scanner) -> None:
    assert scanner.scan("秘密★1年\n通知").verdict == Verdict.BLOCK
    assert scanner.scan("联系人手机13812345678").verdict == Verdict.REVIEW
    assert scanner.scan("今天天气很好。").verdict == Verdict.PASS
    assert scanner.scan("").verdict == Verdict.PASS


def test_star_marking_offsets_point_into_original(scanner: Scanner) -> None:
    text = "前言\n\u3000\u3000機 密 ★ ２０年\n正文"
    [f] = [f for f in scanner.scan(text).findings if f.rule == "classification-marking"]
    assert f.severity == Severity.BLOCK
    assert text[f.start : f.end] == f.match == "機 密 ★ ２０年"
    assert "20年" in f.explanation


def test_marking_period_over_limit_is_explained(scanner: Scanner) -> None:
    [f] = scanner.scan("秘密★15年").findings
    assert "超过法定上限10年" in f.explanation


def test_head_line_and_copy_number(scanner: Scanner) -> None:
    result = scanner.scan("000015\n机密\n特急\n某某市人民政府文件\n")
    assert {"copy-number", "classification-marking"} <= set(rules_of(scanner, "000015\n机密\n特急\n"))
    assert result.verdict == Verdict.BLOCK


def test_mention_is_not_marking(scanner: Scanner) -> None:
    findings = scanner.scan("会议讨论了机密文件的管理。").findings
    assert [f.severity for f in findings] == [Severity.INFO]
    assert scanner.scan("国家秘密的密级分为绝密、机密、秘密三级。").verdict == Verdict.PASS


def test_boundary_inside_larger_word(scanner: Scanner) -> None:
    assert scanner.scan("使用有机密封材料").findings == []


def test_exemption_is_a_span_not_an_allow_list(scanner: Scanner) -> None:
    assert scanner.scan("坚持涉密不上网、上网不涉密，做好保密审查").findings == []
    # the exempt phrase on the same line does not hide a real marking next to it
    result = scanner.scan("保守国家秘密 机密★5年")
    assert result.verdict == Verdict.BLOCK
    assert any(f.match == "机密★5年" for f in result.findings)
    # 工作秘密 alone on a line is a marking although the phrase is exempt in prose
    assert scanner.scan("工作秘密\n报告").verdict == Verdict.BLOCK
    assert scanner.scan("加强工作秘密管理。").verdict == Verdict.PASS


def test_internal_and_process_markers(scanner: Scanner) -> None:
    assert rules_of(scanner, "内部资料 注意保存\n简报") == ["internal-marking"]
    assert rules_of(scanner, "注意保存\n内部资料\n简报") == ["internal-marking", "internal-marking"]
    assert rules_of(scanner, "某某办法（征求意见稿）\n第一条") == ["process-draft"]
    assert rules_of(scanner, "就《某某办法（征求意见稿）》公开征求意见。") == []
    assert rules_of(scanner, "正文\n（此件不予公开）") == ["not-for-release"]


def test_id_numbers(scanner: Scanner) -> None:
    number = id_number("11010519900307123")
    assert scanner.scan(f"身份证号{number}").verdict == Verdict.BLOCK
    wide = number.translate(str.maketrans("0123456789", "０１２３４５６７８９"))
    [f] = scanner.scan(f"证件：{wide}。").findings
    assert f.rule == "id-card" and f.match == wide
    assert scanner.scan(f"号码 {number[:6]} {number[6:14]} {number[14:]}").verdict == Verdict.BLOCK
    assert scanner.scan(f"身份证号{wrong_last(number)}").verdict == Verdict.PASS
    assert scanner.scan(f"身份证号{number[:6]}********{number[14:]}").verdict == Verdict.PASS


def test_bank_card_context(scanner: Scanner) -> None:
    card = luhn_number("622202100112345678")
    [f] = [f for f in scanner.scan(f"开户行某银行，账号{card}").findings if f.rule == "bank-card"]
    assert f.severity == Severity.BLOCK and "附近有" in f.explanation
    [g] = [f for f in scanner.scan(f"编码{card}").findings if f.rule == "bank-card"]
    assert g.severity == Severity.REVIEW
    assert "bank-card" not in rules_of(scanner, f"账号{wrong_last(card)}")


def test_mobile_masked_and_hotline(scanner: Scanner) -> None:
    assert scanner.scan("手机138****5678").findings == []
    [f] = scanner.scan("服务热线：13812345678").findings
    assert f.severity == Severity.INFO


def test_org_terms_noise_traditional_and_boundary() -> None:
    scanner = Scanner.load(ORG_RULES, defaults=True)
    for text in ("青鸾四号", "青 鸾\u200b四·号", "青鸞四號", "关于青鸾\n四号的报告"):
        [f] = [f for f in scanner.scan(text).findings if f.rule == "org-project-codes"]
        assert f.severity == Severity.BLOCK
        assert text[f.start : f.end] == f.match
    result = scanner.scan("北辰路改造工程，青鸾是神鸟")
    assert result.verdict == Verdict.PASS


def test_term_inside_larger_word_is_downgraded_not_dropped(tmp_path: Path) -> None:
    (tmp_path / "t.yaml").write_text("id: t\nkind: terms\nseverity: block\nterms: [机密]\n", encoding="utf-8")
    scanner = Scanner.load(tmp_path, defaults=False)
    [f] = scanner.scan("使用有机密封材料").findings
    assert f.severity == Severity.INFO and "更大词语" in f.explanation
    (tmp_path / "t.yaml").write_text("id: t\nkind: terms\nseverity: block\nboundary: word\nterms: [机密]\n", encoding="utf-8")
    assert Scanner.load(tmp_path, defaults=False).scan("使用有机密封材料").findings == []


def test_many_hits_of_one_term_all_located(tmp_path: Path) -> None:
    (tmp_path / "t.yaml").write_text("id: t\nkind: terms\nseverity: review\nterms: [玄鸟工程]\n", encoding="utf-8")
    scanner = Scanner.load(tmp_path, defaults=False)
    text = ("玄 鸟 工 程。" + "正文" * 3000 + "\n") * 5
    found = [f for f in scanner.scan(text).findings]
    assert len(found) == 5
    assert all(text[f.start : f.end] == "玄 鸟 工 程" for f in found)
    assert len({f.start for f in found}) == 5


def test_rules_version_stable_and_content_based(tmp_path: Path) -> None:
    a = Scanner.load(ORG_RULES, defaults=True).rules_version
    b = Scanner.load(ORG_RULES, defaults=True).rules_version
    assert a == b and len(a) == 16 and int(a, 16) >= 0
    assert Scanner.load(defaults=True).rules_version != a


def test_shared_returns_one_instance() -> None:
    assert Scanner.shared(ORG_RULES) is Scanner.shared(ORG_RULES)


def test_no_text_in_logs(caplog: pytest.LogCaptureFixture, scanner: Scanner) -> None:
    scanner.scan("机密★10年 青鸾四号 13812345678")
    assert "青鸾" not in caplog.text and "13812345678" not in caplog.text


@pytest.mark.parametrize("shift", [-4, -3, -2, -1, 0, 1])
def test_term_across_prefilter_block_boundary(tmp_path: Path, shift: int) -> None:
    """The prefilter hashes the text in blocks of 2**20 characters: a term straddling a block edge is still found."""
    (tmp_path / "t.yaml").write_text("id: t\nkind: terms\nseverity: review\nterms: [青鸾四号, 云]\n", encoding="utf-8")
    scanner = Scanner.load(tmp_path, defaults=False)
    at = (1 << 20) + shift
    text = "x" * at + "青鸾四号" + "y" * 10 + "云"
    found = [(f.start, f.end) for f in scanner.scan(text).findings]
    assert (at, at + 4) in found
    assert (len(text) - 1, len(text)) in found  # a one-character term (the other automaton)


def test_windows_line_endings(scanner: Scanner) -> None:
    text = "000015\r\n机密\r\n内部资料\r\n某某办法（征求意见稿）\r\n正文\r\n"
    rules = set(rules_of(scanner, text))
    assert {"copy-number", "classification-marking", "internal-marking"} <= rules
    assert rules_of(scanner, "某某办法（征求意见稿）\r\n第一条") == ["process-draft"]
