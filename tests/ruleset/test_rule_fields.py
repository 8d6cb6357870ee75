"""The rule fields added for issue 9 are validated with a Chinese message that says how to fix the file."""

from __future__ import annotations

from pathlib import Path

import pytest

from reviewer.errors import RuleError
from reviewer.ruleset.loader import parse_rule_file
from reviewer.scan.model import Severity
from reviewer.scan.scanner import Scanner


@pytest.mark.parametrize(
    ("body", "words"),
    [
        ("kind: marking\ngrammar: standalone\nmarkers: [内部]\ninline_markers: [勿传]\n", "也必须列在 markers 中"),
        ("kind: marking\ngrammar: copy_number\ninline_markers: [份号]\nmarkers: [份号]\n", "copy_number"),
        ("kind: pattern\npatterns: [{name: a, regex: 'A\\d{8}'}]\nrequire_context: true\n", "必须填写 context"),
        ("kind: pattern\npatterns: [{name: a, regex: 'A\\d{8}'}]\nanchor: words\n", "anchor_words"),
        ("kind: pattern\npatterns: [{name: a, regex: 'A\\d{8}'}]\nanchor_words: [编号]\n", "anchor_words"),
    ],
)
def test_new_fields_are_checked(tmp_path: Path, body: str, words: str) -> None:
    path = tmp_path / "r.yaml"
    path.write_text("id: r\ntitle: 测试\nseverity: review\n" + body, encoding="utf-8")
    with pytest.raises(RuleError) as exc:
        parse_rule_file(path)
    assert words in exc.value.message


def test_anchor_words_rule_finds_the_pattern_only_after_its_word(tmp_path: Path) -> None:
    (tmp_path / "member-no.yaml").write_text(
        "id: member-no\ntitle: 会员编号\nkind: pattern\nseverity: review\nanchor: words\nanchor_words: [会员编号]\n"
        "anchor_window: 20\npatterns: [{name: 编号, regex: '会员编号[:：]?\\s*[A-Z]{2}\\d{4}'}]\n",
        encoding="utf-8",
    )
    scanner = Scanner.load(tmp_path, defaults=False)
    text = "前文。会员编号：QX2041，后文。"
    [f] = scanner.scan(text).findings
    assert (f.rule, f.match, f.severity) == ("member-no", "会员编号：QX2041", Severity.REVIEW)
    assert text[f.start : f.end] == f.match
    assert scanner.scan("编号：QX2041").findings == []  # no anchor word: never tried
    assert scanner.scan("会员编号" + "，" * 30 + "会员编号QX2041").findings[0].match == "会员编号QX2041"
