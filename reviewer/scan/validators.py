"""Named validators for pattern rules. Each takes the matched text and returns (valid, explanation in Chinese).
Adding a validator: a function here, an entry in VALIDATORS, a test in tests/scan/test_validators.py."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date

from reviewer.scan import coordinates

Validator = Callable[[str], tuple[bool, str]]

_SEPARATORS = re.compile(r"[\s\-\u3000]")
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"
# First two digits of 行政区划码 (provinces, autonomous regions, municipalities, 台港澳).
_PROVINCES = frozenset(
    "11 12 13 14 15 21 22 23 31 32 33 34 35 36 37 41 42 43 44 45 46 50 51 52 53 54 61 62 63 64 65 71 81 82 83".split()
)
_USCC_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def compact(value: str) -> str:
    """Drop spaces and dashes between digit groups (110105 19900307 123X)."""
    return _SEPARATORS.sub("", value)


def _birth_date(digits: str) -> date | None:
    try:
        born = date(int(digits[0:4]), int(digits[4:6]), int(digits[6:8]))
    except ValueError:
        return None
    if born.year < 1880 or born > date.today():
        return None
    return born


def id_check_char(first17: str) -> str:
    return _ID_CHECK[sum(int(d) * w for d, w in zip(first17, _ID_WEIGHTS)) % 11]


def id_card(value: str) -> tuple[bool, str]:
    """居民身份证号码 (GB 11643-1999): region prefix, birth date and check digit; 15-digit legacy form by date only."""
    v = compact(value).upper()
    if len(v) == 15 and v.isdigit():
        if v[:2] not in _PROVINCES:
            return False, "行政区划码不合法"
        if _birth_date("19" + v[6:12]) is None:
            return False, "出生日期不合法"
        return True, "15位旧式身份证号：行政区划码与出生日期合法（无校验位）"
    if len(v) != 18 or not v[:17].isdigit() or v[17] not in "0123456789X":
        return False, "不是18位身份证号格式"
    if v[:2] not in _PROVINCES:
        return False, "行政区划码不合法"
    if _birth_date(v[6:14]) is None:
        return False, "出生日期不合法"
    expected = id_check_char(v[:17])
    if v[17] != expected:
        return False, f"校验位应为 {expected}，实为 {v[17]}：不是身份证号"
    return True, "行政区划码、出生日期、校验位（GB 11643）均正确"


# Chinese numerals a reader reads as digits (〇一二…, 零一二…, financial 壹贰叁…); 十/拾 as the check digit X.
_CN_DIGITS = str.maketrans({**{c: str(i) for i, c in enumerate("〇一二三四五六七八九")},
                            **{c: str(i) for i, c in enumerate("零壹贰叁肆伍陆柒捌玖")},
                            "○": "0", "Ｏ": "0", "十": "X", "拾": "X", "Ⅹ": "X"})


def id_card_numerals(value: str) -> tuple[bool, str]:
    """居民身份证号码 written in Chinese numerals (一一〇一〇五一九九〇…, 壹壹零壹…): read as digits, then `id_card`."""
    digits = compact(value).translate(_CN_DIGITS)
    ok, why = id_card(digits)
    return ok, f"按汉字数字读作 {len(digits)} 位号码；{why}"


def luhn(value: str) -> tuple[bool, str]:
    """银行卡号: 16–19 digits passing the Luhn check."""
    v = compact(value)
    if not v.isdigit() or not 16 <= len(v) <= 19:
        return False, "不是16至19位数字"
    if len(v) == 18 and v[:2] in _PROVINCES and _birth_date(v[6:14]) is not None:
        return False, "形似身份证号（行政区划码和出生日期合法），不按银行卡号处理"
    if len(v) == 18 and uscc(v)[0]:
        return False, "符合统一社会信用代码（GB 32100）的校验码，是单位代码，不按银行卡号处理"
    total = 0
    for i, ch in enumerate(reversed(v)):
        d = int(ch)
        if i % 2 == 1:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    if total % 10:
        return False, "Luhn 校验不通过：不是银行卡号"
    return True, "Luhn 校验通过" + ("（银联卡号段 62）" if v.startswith("62") else "")


def uscc_check_char(first17: str) -> str:
    total = sum(_USCC_CHARS.index(c) * w for c, w in zip(first17, _USCC_WEIGHTS))
    return _USCC_CHARS[(31 - total % 31) % 31]


def uscc(value: str) -> tuple[bool, str]:
    """统一社会信用代码 (GB 32100-2015): character set and check character."""
    v = compact(value).upper()
    if len(v) != 18 or any(c not in _USCC_CHARS for c in v):
        return False, "不是18位统一社会信用代码字符集"
    if not v[2:8].isdigit():
        return False, "第3至8位不是行政区划码"
    expected = uscc_check_char(v[:17])
    if v[17] != expected:
        return False, f"校验码应为 {expected}，实为 {v[17]}"
    return True, "统一社会信用代码校验码（GB 32100）正确"


def mobile(value: str) -> tuple[bool, str]:
    """Mainland mobile number, optionally with +86."""
    v = compact(value)
    if v.startswith("+86"):
        v = v[3:]
    elif v.startswith("86") and len(v) == 13:
        v = v[2:]
    if len(v) != 11 or not v.isdigit() or v[0] != "1" or v[1] not in "3456789":
        return False, "不是11位手机号"
    return True, "11位手机号号段合法"


VALIDATORS: dict[str, Validator] = {"id_card": id_card, "luhn": luhn, "uscc": uscc, "mobile": mobile,
                                    "id_card_numerals": id_card_numerals, "coordinates": coordinates.coordinate}

# Validators that also read the sentence around a match that passed (text, start, end -> valid, explanation): a
# facility's coordinates are a finding, a city's or an epicentre's are not.
SentenceCheck = Callable[[str, int, int], tuple[bool, str]]
SENTENCE_CHECKS: dict[str, SentenceCheck] = {"coordinates": coordinates.facility_sentence}
