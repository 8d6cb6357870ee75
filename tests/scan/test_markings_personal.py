"""Personal information without a rule before issue 9 (passport numbers, detailed home addresses) and the credit code
that passed Luhn and was reported as a bank card. Masked forms keep passing."""

from __future__ import annotations

import random

import pytest

from reviewer.scan.model import Finding, Severity, Verdict
from reviewer.scan.scanner import Scanner
from reviewer.scan.validators import luhn, uscc
from tests.scan.helpers import credit_code, luhn_number


def counting(scanner: Scanner, text: str) -> list[Finding]:
    return [f for f in scanner.scan(text).findings if f.severity != Severity.INFO]


# ------------------------------------------------------------------ passports
@pytest.mark.parametrize(
    ("text", "number"),
    [
        ("出境人员王某，护照号码E73019264，随团出访。", "E73019264"),
        ("护照：EH2047183", "EH2047183"),
        ("所持普通护照（号码G30918275）已过期。", "G30918275"),
        ("证件类型：护照；证件号码：E 18273645", "E 18273645"),
        ("公务护照号SE0192837", "SE0192837"),
        ("往来港澳通行证C20194857", "C20194857"),
        ("Passport No. E55102938", "E55102938"),
        ("护照号码１４７２９３０１８", "１４７２９３０１８"),
    ],
)
def test_passport_number_near_a_context_word(scanner: Scanner, text: str, number: str) -> None:
    [f] = [f for f in counting(scanner, text) if f.rule == "passport"]
    assert f.match == number and text[f.start : f.end] == number
    assert f.severity == Severity.REVIEW
    assert f.rule_title == "护照及出入境证件号码"


@pytest.mark.parametrize(
    "text",
    [
        "护照号码E7301****",
        "护照号码E73*****64",
        "设备型号E73019264，出厂编号G30918275。",  # no context word: a model or serial number
        "持有效护照或者其他国际旅行证件办理。",
        "护照号码E730192641",  # ten characters: not a passport number
    ],
)
def test_masked_or_context_free_numbers_are_not_passports(scanner: Scanner, text: str) -> None:
    assert [f for f in counting(scanner, text) if f.rule == "passport"] == []


# ------------------------------------------------------------------ home addresses
@pytest.mark.parametrize(
    "text",
    [
        "当事人赵某，家庭住址：鞍山市铁东区胜利路36号2单元501室。",
        "住址：吉林市船营区北京路12号楼3单元402",
        "现住址为本溪市平山区新华街8栋1-302。",
        "申请人孙某，现住某县某镇东风村4组。",
        "家住营口市西市区渤海大街105号三单元六楼。",
        "户籍地址：丹东市振兴区锦山大街17号4-601",
    ],
)
def test_detailed_home_address(scanner: Scanner, text: str) -> None:
    [f] = [f for f in counting(scanner, text) if f.rule == "home-address"]
    assert f.severity == Severity.REVIEW and text[f.start : f.end] == f.match


@pytest.mark.parametrize(
    "text",
    [
        "办公地址：鞍山市铁东区胜利路36号",
        "单位地址：吉林市船营区北京路12号3楼",
        "家庭住址：鞍山市铁东区某街道",
        "家庭住址：鞍山市铁东区胜利路**号*单元***室",
        "公民以其户籍所在地的居住地为住所，经常居住地与住所不一致的，经常居住地视为住所。",
        "受理地点：市政务服务中心3号楼2层。",
    ],
)
def test_office_street_level_and_masked_addresses_pass(scanner: Scanner, text: str) -> None:
    assert [f for f in counting(scanner, text) if f.rule == "home-address"] == [], text


# ------------------------------------------------------------------ credit code versus bank card
def _luhn_valid_credit_codes(n: int) -> list[str]:
    """Digit-only GB 32100 codes of 机关 (1 1 …) whose 18 digits also pass Luhn (about one in ten)."""
    rng = random.Random(9)
    out: list[str] = []
    while len(out) < n:
        code = credit_code("11" + rng.choice(["210000", "210100", "220000", "320500"]) + f"{rng.randrange(10**9):09d}")
        if _plain_luhn(code):
            out.append(code)
    return out


def _plain_luhn(v: str) -> bool:
    if not v.isdigit():
        return False
    total = 0
    for i, ch in enumerate(reversed(v)):
        d = int(ch)
        if i % 2 == 1:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def test_luhn_valid_credit_code_is_not_a_bank_card(scanner: Scanner) -> None:
    codes = _luhn_valid_credit_codes(12)
    for code in codes:
        assert uscc(code)[0] and _plain_luhn(code)
        assert luhn(code) == (False, "符合统一社会信用代码（GB 32100）的校验码，是单位代码，不按银行卡号处理")
        for text in (f"统一社会信用代码：{code}", f"机关名称：某市某局　统一社会信用代码{code}　开户银行：略"):
            result = scanner.scan(text)
            assert result.verdict == Verdict.PASS, [(f.rule, f.match) for f in result.findings]
            assert [f.rule for f in result.findings] == ["credit-code"]


def test_bank_card_of_eighteen_digits_that_is_no_credit_code_still_blocks(scanner: Scanner) -> None:
    card = luhn_number("62284800123456789")
    assert not uscc(card)[0]
    assert scanner.scan(f"收款账号{card}").verdict == Verdict.BLOCK
    assert scanner.scan(f"收款账号{luhn_number('622848001234567890')}").verdict == Verdict.BLOCK


# ------------------------------------------------------------------ residential unit numbers without a label
def test_unit_number_in_a_list_whose_header_names_the_address(scanner: Scanner) -> None:
    rows = ["序号\t户主\t家庭人口\t现居住地"] + [f"{n}\t{name}\t3\t见附件" for n, name in enumerate(["王某", "李某"], 1)]
    text = "\n".join([*rows, "3\t赵某\t2\t铁西区兴华街52号4单元702室", "合计\t3户"])
    found = [f for f in counting(scanner, text) if f.rule == "residential-address"]
    assert [f.match for f in found] == ["52号4单元702室"]
    assert text[found[0].start : found[0].end] == "52号4单元702室"


@pytest.mark.parametrize(
    "text",
    [
        "办公地点：市民服务中心5号楼2单元501",  # no personal word near: an office
        "户主赵某，兴华街52号*单元***室",
        "以社区为基本单元，3号文件规定的网格化管理。",
        "第12号令第3单元",
    ],
)
def test_unit_numbers_without_personal_context_or_masked_pass(scanner: Scanner, text: str) -> None:
    assert [f for f in counting(scanner, text) if f.rule == "residential-address"] == [], text
