"""The issue-22 kinds of the adversarial corpus (content_kinds.py) are what they claim to be: each leak hides its
content the way its class says (so the old scanner missed it), each clean case is the false positive of its class (so
the old scanner flagged it), and the two differ only where the class says. Scored with the rest in test_corpus.py."""

from __future__ import annotations

import html
import io
import re
import zipfile
from pathlib import Path

import pytest

from reviewer.scan.markings import STAR_MARKING
from reviewer.scan.scanner import Scanner
from reviewer.scan.validators import id_card, id_card_numerals
from reviewer.settings import BUILTIN_RULES_DIR
from tests.adversarial.content_kinds import FACILITIES, REGISTERED_ID, embedded_card, registration
from tests.adversarial.generate import Case, build_cases


@pytest.fixture(scope="module")
def cases() -> dict[str, list[Case]]:
    out: dict[str, list[Case]] = {}
    for case in build_cases():
        out.setdefault(case.kind, []).append(case)
    return out


def _text(case: Case) -> str:
    """What the file holds as text, decoded by the test (XML tags dropped, cells one a line)."""
    if case.name.endswith((".docx", ".xlsx")):
        with zipfile.ZipFile(io.BytesIO(case.data)) as zf:
            xml = "\n".join(zf.read(n).decode("utf-8") for n in zf.namelist() if n.endswith(".xml"))
        return html.unescape(re.sub(r"<[^>]+>", "\n", xml))
    text = case.data.decode("utf-8")
    return html.unescape(re.sub(r"<[^>]+>", "\n", text)) if case.name.endswith(".html") else text


def _pairs(cases: list[Case]) -> list[tuple[Case, Case]]:
    leaks = [c for c in cases if c.leak]
    cleans = [c for c in cases if not c.leak]
    assert len(leaks) == len(cleans) >= 10
    return list(zip(leaks, cleans))


def test_coordinates_are_the_same_in_leak_and_clean_only_the_place_differs(cases: dict[str, list[Case]]) -> None:
    for leak, clean in _pairs(cases["facility-coordinates"]):
        a, b = _text(leak), _text(clean)
        coord = re.search(r"坐标“(.+?)”", leak.note)
        assert coord and coord.group(1) in a and coord.group(1) in b, leak.name
        assert any(f in a for f in FACILITIES) and not any(f in b for f in FACILITIES), leak.name


def test_split_and_markdown_markings_are_not_plain_marking_lines(cases: dict[str, list[Case]]) -> None:
    """The old grammar read a line: no line of a split case holds a whole level word, and Markdown cases wrap it."""
    for leak, _ in _pairs(cases["split-marking"]):
        head = [ln for ln in _text(leak).splitlines() if ln.strip()][:6]
        plain = [ln for ln in head if re.fullmatch(r"\s*(?:绝密|机密|秘密)(?:★\d+年)?\s*", ln)]
        assert plain == [], leak.name
        assert any(re.search(r"(?:绝|机|秘)\s*$", ln) for ln in head) or any(
            re.search(r"\*\*|^#|^>|\|", ln) for ln in head), leak.name


def test_quoted_examples_are_star_markings_the_old_grammar_blocked(cases: dict[str, list[Case]]) -> None:
    for leak, clean in _pairs(cases["quoted-marking"]):
        text = _text(clean)
        quoted = [m for m in STAR_MARKING.finditer(text) if text[m.start() - 1] in "“「"]
        assert quoted, clean.name  # before issue 22 every ★ marking anywhere was block
        assert len(list(STAR_MARKING.finditer(_text(leak)))) > len(quoted), leak.name


def test_id_numbers_in_cells_are_never_written_whole(cases: dict[str, list[Case]]) -> None:
    for leak, clean in _pairs(cases["id-cells"]):
        text = _text(leak)
        assert not [m for m in re.finditer(r"\d{15,18}X?", text) if id_card(m.group())[0]], leak.name
        cells = [c.strip() for c in text.splitlines() if re.fullmatch(r"\s*[0-9X]{1,17}\s*", c)]
        joined = "".join(cells)
        assert any(id_card(joined[i : i + 18])[0] for i in range(len(joined) - 17)), leak.name
        digits = "".join(c.strip() for c in _text(clean).splitlines() if re.fullmatch(r"\s*[0-9X]{1,17}\s*", c))
        assert not any(id_card(digits[i : i + 18])[0] for i in range(max(0, len(digits) - 17))), clean.name


def test_id_numbers_in_chinese_numerals_have_no_arabic_digits(cases: dict[str, list[Case]]) -> None:
    numeral = re.compile(r"[〇零一二三四五六七八九壹贰叁肆伍陆柒捌玖十拾X ]{18,20}")
    for leak, clean in _pairs(cases["id-numerals"]):
        text = _text(leak)
        assert not re.search(r"\d{15}", text), leak.name
        assert any(id_card_numerals(m.group().strip())[0] for m in numeral.finditer(text)), leak.name
        assert not any(id_card_numerals(m.group().strip())[0] for m in numeral.finditer(_text(clean))), clean.name


def test_embedded_codes_were_cards_for_the_old_rule(cases: dict[str, list[Case]]) -> None:
    for _, clean in _pairs(cases["embedded-code"]):
        codes = re.findall(r"[A-Z]?\d+(?:-\d+){2,}", _text(clean))
        assert codes and all(embedded_card(c) for c in codes), clean.name


def test_public_quotes_are_flagged_when_the_public_text_is_not_supplied(cases: dict[str, list[Case]],
                                                                        tmp_path: Path) -> None:
    """Registered without the public reference list, the clean drafts (quoting the public law) are reported: the
    exclusion, not luck, makes them pass in test_corpus.py."""
    from reviewer.document import scan_document
    from reviewer.scan.fingerprints import Builder, default_common

    sources, _public, _ = registration()
    builder = Builder(common=default_common())
    for name, text in sources.items():
        builder.add(Path(name).stem, [ln for ln in text.splitlines() if ln.strip()])
    builder.write(tmp_path, REGISTERED_ID)
    scanner = Scanner.load(BUILTIN_RULES_DIR, tmp_path, defaults=False)
    flagged = [c.name for c in cases["public-quote"] if not c.leak
               and any(f.rule == REGISTERED_ID for f in scan_document(scanner, c.data, c.name).findings)]
    assert len(flagged) == len([c for c in cases["public-quote"] if not c.leak]), flagged
