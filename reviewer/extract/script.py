"""String literals of JavaScript and JSON, decoded: text that hides as escapes a reader never sees in the source.

`"\\u9752\\u9E3E"`, `'\\xNN'`, `"\\u{1F600}"`, surrogate pairs, legacy octal, line continuations, `"青" + "鸾"`
(joined), HTML entities inside a string (`"&#38738;"`), percent-encoding (`"%E9%9D%92"`, `"%u9752"`),
`String.fromCharCode(38738, …)` and `atob("…")` all become the text a script would write. Only expressions whose
value differs from their source are reported (the raw script is scanned as it stands); each is placed by line.

Linear: the lexer jumps between quote characters with one regular expression and never backtracks; a regular
expression literal that contains a quote may make it misread a stretch, which can only add text, never drop the raw
script (that part is always scanned too).
"""

from __future__ import annotations

import base64
import binascii
import html
import re
from collections.abc import Callable
from urllib.parse import unquote

from reviewer.extract.limits import Budget
from reviewer.extract.model import Extraction, TextPart
from reviewer.extract.parts import PartBuilder

_NEXT = re.compile(r"""["'`]|//|/\*|\bString\s*\.\s*fromCharCode\s*\(""")
_LITERAL = {
    '"': re.compile(r'"((?:[^"\\\r\n]|\\[\s\S])*)"'),
    "'": re.compile(r"'((?:[^'\\\r\n]|\\[\s\S])*)'"),
    "`": re.compile(r"`((?:[^`\\]|\\[\s\S])*)`"),
}
_PLUS = re.compile(r"\s*\+\s*(?=[\"'`])")
_CHARCODES = re.compile(r"\s*((?:(?:0[xX][0-9a-fA-F]+|\d+)\s*,\s*)*(?:0[xX][0-9a-fA-F]+|\d+))\s*\)")
_ATOB = re.compile(r"\batob\s*\(\s*$")
_ESCAPE = re.compile(
    r"\\(?:u\{([0-9a-fA-F]{1,8})\}|u([0-9a-fA-F]{4})|x([0-9a-fA-F]{2})|([0-3][0-7]{0,2}|[4-7][0-7]?)|(\r\n|[\r\n\u2028\u2029])|([\s\S]))"
)
_SIMPLE = {"n": "\n", "t": "\t", "r": "\r", "b": "\b", "f": "\f", "v": "\v"}
_ENTITY = re.compile(r"&(?:#[0-9]+|#[xX][0-9a-fA-F]+|[A-Za-z][A-Za-z0-9]{1,31});?")
_PERCENT = re.compile(r"%[0-9A-Fa-f]{2}|%u[0-9A-Fa-f]{4}")
_PERCENT_U = re.compile(r"%u([0-9A-Fa-f]{4})")
_BASE64 = re.compile(r"[A-Za-z0-9+/=\s]{8,}")
_TICK = 1 << 16


def _escape(m: re.Match[str]) -> str:
    brace, u4, x2, octal, newline, other = m.groups()
    if brace or u4:
        code = int(brace or u4, 16)
        return chr(code) if code <= 0x10FFFF else "\ufffd"
    if x2:
        return chr(int(x2, 16))
    if octal:
        return chr(int(octal, 8))
    if newline:
        return ""  # a line continuation
    return _SIMPLE.get(other, other)


def _pairs(text: str) -> str:
    """Join surrogate pairs written as two escapes (\\ud83d\\ude00); lone surrogates become U+FFFD."""
    if not any("\ud800" <= ch <= "\udfff" for ch in text):
        return text
    return text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")


def decode_literal(body: str) -> str:
    """The value of a JS/JSON string literal's body (between the quotes)."""
    return _pairs(_ESCAPE.sub(_escape, body)) if "\\" in body else body


def _readings(value: str) -> list[str]:
    """The value itself, and what it becomes when a page treats it as HTML or as a percent-encoded URL component."""
    out = [value]
    if "&" in value and _ENTITY.search(value):
        out.append(html.unescape(value))
    if "%" in value and _PERCENT.search(value):
        decoded = unquote(_PERCENT_U.sub(lambda m: chr(int(m.group(1), 16)), value), errors="replace")
        if decoded != value:
            out.append(decoded)
    return out


def _atob(value: str) -> str | None:
    if not _BASE64.fullmatch(value):
        return None
    try:
        raw = base64.b64decode("".join(value.split()), validate=True)
    except (binascii.Error, ValueError):
        return None
    for encoding in ("utf-8", "gb18030"):
        try:
            text = raw.decode(encoding)
        except UnicodeDecodeError:
            continue
        if text.isprintable() or all(ch.isprintable() or ch in "\t\r\n" for ch in text):
            return text
    return None


_LINE_END = re.compile(r"[\r\n]")


def _line_end(code: str, start: int) -> int:
    m = _LINE_END.search(code, start)
    return len(code) if m is None else m.start()


def hidden_strings(code: str, tick: Callable[[], None] | None = None) -> list[tuple[int, str]]:
    """(offset, text) of every string expression in `code` whose value differs from its source."""
    out: list[tuple[int, str]] = []
    pos = 0
    steps = 0
    n = len(code)
    # Where an unterminated literal of each quote kind was found to end: a later quote of that kind before it cannot
    # open a literal either, so it is skipped without rescanning (keeps a line full of stray quotes linear).
    dead: dict[str, int] = {}
    while pos < n:
        steps += 1
        if tick is not None and steps % 4096 == 0:
            tick()
        m = _NEXT.search(code, pos)
        if m is None:
            break
        token = m.group()
        start = m.start()
        if token == "//":
            end = code.find("\n", start)
            pos = n if end < 0 else end + 1
            continue
        if token == "/*":
            end = code.find("*/", start + 2)
            pos = n if end < 0 else end + 2
            continue
        if token[0] == "S":  # String.fromCharCode(…)
            args = _CHARCODES.match(code, m.end())
            if args is None:
                pos = m.end()
                continue
            chars = []
            for number in args.group(1).split(","):
                digits = number.strip()
                code_point = int(digits, 16) if digits[:2].lower() == "0x" else int(digits, 10)
                chars.append(chr(code_point & 0xFFFF))
            out.append((start, _pairs("".join(chars))))
            pos = args.end()
            continue
        # a chain of literals joined by `+`
        if start < dead.get(token, -1):  # inside a stretch already known to hold no closing quote of this kind
            pos = start + 1
            continue
        values: list[str] = []
        changed = False
        cursor = start
        while True:
            quote = code[cursor]
            lit = _LITERAL[quote].match(code, cursor) if cursor >= dead.get(quote, -1) else None
            if lit is None:  # unterminated: no closing quote of this kind up to the line end (or, for `, the end)
                if cursor >= dead.get(quote, -1):
                    end = n if quote == "`" else _line_end(code, cursor)
                    dead[quote] = end
                break
            body = lit.group(1)
            value = decode_literal(body)
            changed = changed or value != body
            values.append(value)
            cursor = lit.end()
            plus = _PLUS.match(code, cursor)
            if plus is None:
                break
            cursor = plus.end()
        if not values:
            pos = start + 1
            continue
        pos = max(cursor, start + 1)
        joined = "".join(values)
        readings = _readings(joined)
        if len(values) == 1 and _ATOB.search(code, max(0, start - 16), start):
            decoded = _atob(joined)
            if decoded:
                readings.append(decoded)
        if changed or len(values) > 1 or len(readings) > 1:
            for reading in dict.fromkeys(readings[1:] if not changed and len(values) == 1 else readings):
                if reading.strip():
                    out.append((start, reading))
    return out


def add_hidden_strings(builder: PartBuilder, code: str, label: str, budget: Budget) -> None:
    """Write the decoded strings of `code` into `builder`, one place per expression: `<label> 第L行`."""
    line = 1
    last = 0
    for offset, text in hidden_strings(code, budget.check_time):
        line += code.count("\n", last, offset)
        last = offset
        builder.add(f"{label} 第{line}行", text)


def extract_json(data: bytes, budget: Budget) -> Extraction:
    """A JSON (or JSON Lines) file: its text as it stands, and its string values decoded (`JSON字符串 第L行`)."""
    from reviewer.extract.text import extract_text

    result = extract_text(data, budget)
    result.kind = "json"
    if result.parts:
        strings = PartBuilder("JSON字符串", budget)
        add_hidden_strings(strings, result.parts[0].text, "JSON字符串", budget)
        part = strings.build()
        if part:
            result.parts.append(part)
    return result


def script_part(code: str, label: str, budget: Budget) -> TextPart | None:
    builder = PartBuilder(label, budget)
    add_hidden_strings(builder, code, label, budget)
    return builder.build()
