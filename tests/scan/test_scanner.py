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


# ------------------------------------------------------------------------------------------ jieba does not gate recall
GLUED = [  # real public-gov sentences with a fictional term planted where jieba glues its last characters onward
    ("赤霄专项", "扩大技改赤霄专项资金规模。"),  # 专项资金
    ("白泽工程", "加快实施“十四五”规划重大白泽工程项目。"),  # 工程项目
    ("朱雀行动", "制定实施朱雀行动计划，完善推进机制。"),  # 行动计划
    ("海燕号", "<!-- 原稿：海燕号码头改造方案 -->"),  # 号码
    ("云岫七号", "推动云岫七号系统建设、运行、维护。"),
]


def test_listed_term_is_a_term_wherever_it_stands(tmp_path: Path) -> None:
    import jieba

    terms = [t for t, _ in GLUED]
    (tmp_path / "t.yaml").write_text(f"id: t\nkind: terms\nseverity: block\nterms: {terms}\n", encoding="utf-8")
    scanner = Scanner.load(tmp_path, defaults=False)
    plain = jieba.Tokenizer()
    glued = 0
    for term, sentence in GLUED:
        start = sentence.index(term)
        cuts, pos = {0}, 0
        for token in plain.cut(sentence, HMM=False):
            pos += len(token)
            cuts.add(pos)
        glued += start + len(term) not in cuts  # plain jieba ends no word where the term ends
        [f] = [f for f in scanner.scan(sentence).findings if f.rule == "t"]
        assert (f.start, f.end, f.severity) == (start, start + len(term), Severity.BLOCK), sentence
        assert "更大词语" not in f.explanation
    assert glued >= 3  # the old boundary judgement would have downgraded these to info


def test_short_terms_and_word_rules_keep_the_boundary_judgement(tmp_path: Path) -> None:
    (tmp_path / "t.yaml").write_text("id: t\nkind: terms\nseverity: block\nterms: [机密, 赤霄专项]\n", encoding="utf-8")
    scanner = Scanner.load(tmp_path, defaults=False)
    [f] = scanner.scan("采用有机密封工艺").findings
    assert f.severity == Severity.INFO  # two characters: still judged (有机|密封)
    (tmp_path / "t.yaml").write_text("id: t\nkind: terms\nseverity: block\nboundary: word\nterms: [密封]\n",
                                     encoding="utf-8")
    assert Scanner.load(tmp_path, defaults=False).scan("采用密封圈").findings == []  # word rule: 密封圈 is one word


def test_rule_terms_are_in_the_private_dictionary_only(tmp_path: Path) -> None:
    import jieba

    (tmp_path / "t.yaml").write_text("id: t\nkind: terms\nseverity: block\nterms: [赤霄专项, 玄圃]\n", encoding="utf-8")
    scanner = Scanner.load(tmp_path, defaults=False)
    assert scanner._boundaries.knows("赤霄专项") and scanner._boundaries.knows("玄圃")
    assert not jieba.dt.FREQ.get("赤霄专项")  # jieba's global dictionary is never touched


# ------------------------------------------------------------------------------------------ hidden control characters
def test_bidi_control_is_a_located_finding(scanner: Scanner) -> None:
    text = "经研究，现将\u202e项事关有\u202c通知如下。"
    [f, pop] = [f for f in scanner.scan(text).findings if f.rule == "bidi-control"]
    assert (f.start, f.end, f.severity) == (6, 7, Severity.REVIEW)
    assert (pop.start, pop.end, pop.match) == (11, 12, "\u202c")
    assert f.message == "含有改变显示顺序的控制字符" and "U+202E" in f.explanation
    assert scanner.scan(text).verdict == Verdict.REVIEW
    [g] = [f for f in scanner.scan("国旗🏴\U000e0067\U000e0062\U000e007f。").findings if f.rule == "bidi-control"]
    assert (g.start, g.end) == (3, 6)


def test_bidi_control_inside_an_exempt_phrase_still_counts(scanner: Scanner) -> None:
    result = scanner.scan("坚持涉密不\u2066上网、上网不涉密")
    assert [f.rule for f in result.findings] == ["bidi-control"] and result.verdict == Verdict.REVIEW


def test_direction_marks_are_not_findings(scanner: Scanner) -> None:
    assert scanner.scan("代表\u200fعلي\u200f先生，\u061c会谈。").verdict == Verdict.PASS


# ------------------------------------------------------------------------------------------ linear cost
PLANTED = ["，赤霄专项资金", "青鸾\u00ad四号", "机密文件", "\n秘密★5年\n", "，内部资料，", "玄 鸟 工 程"]


def _planted(copies: int, sep: str) -> str:
    corpus = Path(__file__).resolve().parents[1] / "data" / "corpus"
    base = "".join(p.read_text(encoding="utf-8") for p in sorted(corpus.glob("*.txt")))[:60_000]
    pieces = []
    for k, pos in enumerate(range(0, len(base), 1000)):
        pieces.append(base[pos : pos + 1000] + PLANTED[k % len(PLANTED)])
    text = sep.join(["".join(pieces)] * copies)
    return text.replace("\n", "。") if sep == "" else text


@pytest.mark.parametrize("sep", ["\n", ""], ids=["lines", "one-line"])
def test_work_grows_linearly_with_text_size(tmp_path: Path, sep: str) -> None:
    """Counted, not timed: characters fed to the automata, bytes read to map hits back and characters of lines read
    by the marking grammar. Scanning the whole buffer per window (the old `iter(text, start, end)`) or per hit would
    make 4N cost 16 times N."""
    (tmp_path / "t.yaml").write_text("id: t\nkind: terms\nseverity: block\nterms: [赤霄专项, 玄鸟工程]\n",
                                     encoding="utf-8")
    scanner = Scanner.load(ORG_RULES, tmp_path, defaults=True)
    small, large = _planted(1, sep), _planted(4, sep)
    w1, w4 = scanner.work(small), scanner.work(large)
    assert w1.hits >= 20 and w4.hits >= 4 * w1.hits - 4
    assert w1.automaton_calls >= 20
    for name in ("automaton_chars", "relocation_bytes", "line_chars"):
        a, b = getattr(w1, name), getattr(w4, name)
        assert a > 0, name
        assert b <= 4.4 * a + 1000, (name, a, b)
    assert w4.automaton_chars <= len(large)  # never more than the text itself
    assert w4.total <= 4.4 * w1.total


def test_numbers_with_hidden_characters_and_math_digits(scanner: Scanner) -> None:
    number = id_number("32010619851123004")
    hidden = number[:9] + "\u00ad\u2063" + number[9:]
    [f] = scanner.scan(f"证件号码：{hidden}。").findings
    assert (f.rule, f.start, f.end, f.match) == ("id-card", 5, 5 + len(hidden), hidden)
    math = "".join(chr(0x1D7CE + int(c)) if c.isdigit() else c for c in number)  # 𝟎𝟏… bold digits
    [g] = scanner.scan(f"证件号码：{math}").findings
    assert (g.rule, g.start, g.end) == ("id-card", 5, 5 + len(math))
    assert scanner.scan(f"证件号码：{wrong_last(number)[:9]}\u00ad{wrong_last(number)[9:]}").verdict == Verdict.PASS


def test_many_hidden_characters_stay_linear_and_listed_briefly(scanner: Scanner) -> None:
    # more deleted characters than HIDDEN_RUNS: the pattern runs over the whole text once, same findings
    text = "正\u00ad文" * 3000 + "现将\u202e有关\u2066事项" + "正\u00ad文" * 3000
    found = [(f.start, f.end) for f in scanner.scan(text).findings if f.rule == "bidi-control"]
    at = 9000 + 2
    assert found == [(at, at + 1), (at + 3, at + 4)]
    # hundreds of controls: the first 50 are located, the last of them says how many there are
    flood = "甲\u202e" * 200
    listed = [f for f in scanner.scan(flood).findings if f.rule == "bidi-control"]
    assert len(listed) == 50 and [f.start for f in listed] == list(range(1, 101, 2))
    assert "共 200 处" in listed[-1].explanation
