"""Facility coordinates (rule facility-coordinates, scan/coordinates.py): the coordinate validator and the sentence
check, alone and through the scanner."""

from __future__ import annotations

import pytest

from reviewer.scan.coordinates import coordinate, facility_sentence
from reviewer.scan.scanner import Scanner
from reviewer.settings import BUILTIN_RULES_DIR


@pytest.mark.parametrize("value", ["北纬39°54′27″、东经116°23′17″", "N41°2'7\" E122°9'31\"", "30.5728°N，104.0668°E",
                                   "北纬三十九度五十四分二十七秒", "N 43.81234, E 125.32101", "北纬41度48分06秒",
                                   '"lat": 39.90751, "lng": 116.39723', "经度118.24513，纬度31.06211"])
def test_precise_coordinates(value: str) -> None:
    assert coordinate(value)[0], value


@pytest.mark.parametrize("value", ["北纬39°61′", "北纬95°10′", "22.5度", "39.9, 116.4", "东经190°10′"])
def test_not_precise_or_out_of_range(value: str) -> None:
    assert not coordinate(value)[0], value


def _check(sentence: str, coord: str) -> bool:
    start = sentence.index(coord)
    return facility_sentence(sentence, start, start + len(coord))[0]


def test_the_sentence_decides() -> None:
    coord = "北纬36°03′12″、东经103°49′55″"
    assert _check(f"某观通站位于{coord}。", coord)
    assert _check(f"某弹药库已搬迁。其新址为{coord}。", coord)  # 其 reads the sentence before
    assert _check(f"前沿哨所\n{coord}", coord)  # a table row: the cell before names the place
    assert not _check(f"本次地震震中位于{coord}。", coord)
    assert not _check(f"通信保障有力。本次地震震中位于{coord}。", coord)  # the facility word is in another sentence
    assert not _check(f"该景区位于{coord}，临近通信基站。", coord)  # the public place is nearer


def test_through_the_scanner() -> None:
    scanner = Scanner.load(BUILTIN_RULES_DIR, defaults=False)
    hit = scanner.scan("新建卫星地面站选址位于北纬27度3分14秒、东经118度55分40秒。")
    assert [(f.rule, str(f.severity)) for f in hit.findings] == [("facility-coordinates", "review")]
    assert "卫星" in hit.findings[0].explanation or "地面站" in hit.findings[0].explanation
    assert scanner.scan("县城位于北纬27度3分14秒、东经118度55分40秒，交通便利。").findings == []
