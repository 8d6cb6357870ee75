"""Text that hides as escapes in JavaScript and JSON string literals is decoded and located."""

from __future__ import annotations

import json

import pytest

from reviewer.extract import extract
from reviewer.extract.script import hidden_strings
from tests.extract.helpers import locations_of

TERM = "赤枫行动"
U = "".join(f"\\u{ord(c):04x}" for c in TERM)  # \u8d64\u67ab…


def _page(script: str) -> bytes:
    return f"<!DOCTYPE html><html><body><p>项目</p><script>{script}</script></body></html>".encode()


@pytest.mark.parametrize(
    "literal",
    [
        f'"{U}"',
        f"'{U}'",
        "`" + U + "`",
        '"' + "".join(f"\\u{{{ord(c):x}}}" for c in TERM) + '"',
        '"' + "".join(f"&#{ord(c)};" for c in TERM) + '"',
        '"' + "".join(f"&#x{ord(c):x};" for c in TERM) + '"',
        '"赤" + "枫" + \'行\' + "动"',
        '"' + "".join(f"%{b:02X}" for b in TERM.encode()) + '"',
        '"' + "".join(f"%u{ord(c):04X}" for c in TERM) + '"',
        "String.fromCharCode(" + ", ".join(str(ord(c)) for c in TERM) + ")",
        'atob("' + __import__("base64").b64encode(TERM.encode()).decode() + '")',
        '"' + "".join(f"\\{ord(c):o}" if ord(c) < 256 else f"\\u{ord(c):04x}" for c in TERM) + '"',
    ],
)
def test_script_string_forms_are_decoded_in_html(literal: str) -> None:
    result = extract(_page(f"var x = {literal};\ndocument.title = x;"), "a.html")
    assert result.error is None
    assert locations_of(result, TERM) == ["脚本字符串（<script> 第1段） 第1行"]


def test_surrogate_pairs_and_hex_escapes() -> None:
    code = r'var a = "\ud840\udc00\x41"; var b = "\u{20000}";'
    values = [text for _, text in hidden_strings(code)]
    assert values == ["\U00020000A", "\U00020000"]


def test_line_of_a_hidden_string_is_reported() -> None:
    code = "var a = 1;\n// \"not a string\"\n/* '\\u8d64' */\nvar b = '" + U + "';"
    result = extract(_page(code), "a.html")
    assert locations_of(result, TERM) == ["脚本字符串（<script> 第1段） 第4行"]


def test_plain_scripts_add_nothing() -> None:
    result = extract(_page('var a = "普通文字"; var b = 2 / 3; var c = "it\'s";'), "a.html")
    assert not [p for p in result.parts if p.location.startswith("脚本字符串")]


def test_event_handler_attributes_are_scripts() -> None:
    page = f"<html><body><button onclick=\"alert('{U}')\">确定</button><a href=\"javascript:void('{TERM}')\">x</a></body></html>"
    result = extract(page.encode(), "a.html")
    assert "脚本字符串（事件属性 onclick，<button>） 第1行" in locations_of(result, TERM)
    assert "脚本（事件属性 href，<a>）" in locations_of(result, TERM)


def test_json_file_with_escaped_strings() -> None:
    data = json.dumps({"title": f"{TERM}进展", "items": [{"note": "普通"}]}, ensure_ascii=True).encode()
    assert TERM.encode() not in data
    result = extract(data, "data.json")
    assert result.error is None and result.kind == "json"
    assert locations_of(result, TERM) == ["JSON字符串 第1行"]


def test_json_entities_and_pretty_printed_lines() -> None:
    entity = "".join(f"&#{ord(c)};" for c in TERM)
    data = json.dumps({"a": 1, "b": {"html": f"<p>{entity}</p>"}}, indent=2).encode()
    result = extract(data, "feed.json")
    assert locations_of(result, TERM) == ["JSON字符串 第4行"]


def test_json_without_the_json_extension_is_sniffed() -> None:
    data = json.dumps([f"{TERM}"], ensure_ascii=True).encode()
    result = extract(data, "export.txt")
    assert result.error is None and locations_of(result, TERM) == ["JSON字符串 第1行"]


def test_clean_json_has_only_its_text() -> None:
    data = json.dumps({"标题": "通知", "正文": "普通文字"}, ensure_ascii=False).encode()
    result = extract(data, "a.json")
    assert result.error is None and [p.location for p in result.parts] == ["正文"]


def test_json_script_block_in_html() -> None:
    page = f'<html><body><script type="application/ld+json">{{"name": "{U}"}}</script></body></html>'
    result = extract(page.encode(), "a.html")
    assert locations_of(result, TERM) == ["脚本字符串（<script> 第1段） 第1行"]


def test_large_script_stays_linear() -> None:
    import time

    code = ('var s = "' + U + '" + "x"; // c\n') * 20000 + "'" * 5000
    start = time.monotonic()
    found = hidden_strings(code)
    assert time.monotonic() - start < 10
    assert len(found) == 20000
