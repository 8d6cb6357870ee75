from __future__ import annotations

import pytest

from reviewer.scan.validators import VALIDATORS, compact, id_card, id_card_numerals, luhn, mobile, uscc
from tests.scan.helpers import credit_code, id_number, luhn_number, wrong_last

ID = id_number("11010519900307123")


def test_id_card_valid_and_spaced() -> None:
    assert ID == "110105199003071239"
    assert id_card(ID)[0]
    assert id_card(f"{ID[:6]} {ID[6:14]} {ID[14:]}")[0]
    assert id_card(id_number("44030419851212456").replace("X", "x"))[0]


def test_id_card_x_check_digit() -> None:
    # find a body whose check character is X and accept lower-case x too
    body = next(f"1101051990030712{i}" for i in range(10) if id_number(f"1101051990030712{i}").endswith("X"))
    assert id_card(body + "x")[0]


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        (wrong_last(ID), "校验位"),
        (id_number("11010519900230123"), "出生日期"),  # 30 February
        (id_number("99010519900307123"), "行政区划码"),
        (id_number("11010521990307123"), "出生日期"),  # born in the future
        ("11010519900307123", "18位"),
    ],
)
def test_id_card_rejects(value: str, reason: str) -> None:
    ok, why = id_card(value)
    assert not ok and reason in why


def test_id_card_legacy_15() -> None:
    assert id_card("110105900307123")[0]
    assert not id_card("110105901307123")[0]  # month 13


def test_luhn() -> None:
    card = luhn_number("622202100112345678")
    assert luhn(card)[0] and "62" in luhn(card)[1]
    assert luhn(f"{card[:4]} {card[4:8]} {card[8:12]} {card[12:16]} {card[16:]}")[0]
    assert not luhn(wrong_last(card))[0]
    assert not luhn("4111111111111")[0]  # 13 digits: too short


def test_uscc() -> None:
    code = credit_code("91210102MA0Y12345")
    assert uscc(code)[0]
    assert not uscc(wrong_last(code))[0]
    assert not uscc("91210102MA0Y1234I5")[0]  # I is not in the character set
    # a published real-world format check: hutool's example code
    assert uscc("91350100M000100Y43")[0]


def test_mobile() -> None:
    assert mobile("13812345678")[0]
    assert mobile("+86 138 1234 5678")[0]
    assert not mobile("12812345678")[0]
    assert not mobile("1381234567")[0]


def test_compact_and_registry() -> None:
    assert compact("110 105-1990\u30000307") == "11010519900307"
    assert set(VALIDATORS) == {"id_card", "luhn", "uscc", "mobile", "id_card_numerals", "coordinates"}


def test_id_card_numerals() -> None:
    """Chinese numerals read as digits, then the GB 11643 checks (a wrong check digit is still rejected)."""
    assert id_card_numerals("四四〇三〇四一九八五一二一二四五六九")[0]
    assert id_card_numerals("贰壹零壹零贰壹玖柒贰零壹零壹零零贰玖")[0]
    assert id_card_numerals("三二〇一〇二一九八八〇七一五一〇七十")[0]  # check digit X written 十
    assert not id_card_numerals("一一〇一〇五一九九〇〇三〇七一二三〇")[0]
    assert not id_card_numerals("一二三四五六七八九一二三四五六七八九")[0]


def test_luhn_rejects_a_checksum_valid_credit_code() -> None:
    """A 机关's 18-digit 统一社会信用代码 whose digits happen to pass Luhn is a code, not a card (GB 32100 first)."""
    assert uscc("112100000034979130")[0]
    ok, why = luhn("112100000034979130")
    assert not ok and "统一社会信用代码" in why
    # an 18-digit number that passes Luhn but not GB 32100 is still judged by Luhn
    card = luhn_number("11210000003497912")
    assert not uscc(card)[0] and luhn(card)[0]
