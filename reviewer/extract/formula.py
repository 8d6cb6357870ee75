"""A tiny, safe evaluator for spreadsheet formulas that build text: `="青"&"鸾"`, CONCATENATE/CONCAT/TEXTJOIN,
UNICHAR/CHAR, LOWER/UPPER/PROPER/TRIM, LEFT/RIGHT/MID/REPT/SUBSTITUTE/REPLACE, IF, T, TEXT(x,"@"), HYPERLINK, and
references to cells of the same sheet. A spreadsheet program recalculates on opening, so what a reader sees is the
formula's value, not the cached value the file carries (which may be missing or may lie).

No `eval`: a tokenizer and a recursive-descent parser over a closed set of functions. Anything else raises
`Unevaluable` and the caller decides (fail closed: a text formula it cannot evaluate is a `review` issue).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable

Value = str | float | bool
_TOKEN = re.compile(
    r"""\s*(?:
    (?P<str>"(?:[^"]|"")*")
    |(?P<num>\d+(?:\.\d*)?(?:[eE][+-]?\d+)?|\.\d+(?:[eE][+-]?\d+)?)
    |(?P<ref>(?:(?:'(?:[^']|'')+'|[A-Za-z_\u4e00-\u9fff][\w.\u4e00-\u9fff]*)!)?\$?[A-Za-z]{1,3}\$?\d+(?::\$?[A-Za-z]{1,3}\$?\d+)?)(?![\w(])
    |(?P<func>(?:_xlfn\.|_xlws\.)?[A-Za-z][A-Za-z0-9.]*)\s*\(
    |(?P<bool>TRUE|FALSE)(?![\w(])
    |(?P<op><>|<=|>=|[-+*/^&=<>%(),;])
    )""",
    re.X | re.I,
)
_MAX_DEPTH = 64
_MAX_RANGE = 10000
_MAX_TEXT = 32767  # Excel's cell text limit


class Unevaluable(Exception):
    """The formula uses something this evaluator does not know (a function, another sheet, an error value)."""


def _col(letters: str) -> int:
    n = 0
    for ch in letters.upper():
        n = n * 26 + ord(ch) - 64
    return n


def _letters(n: int) -> str:
    out = ""
    while n:
        n, rem = divmod(n - 1, 26)
        out = chr(65 + rem) + out
    return out


def _split_ref(ref: str) -> tuple[int, int]:
    m = re.fullmatch(r"\$?([A-Za-z]{1,3})\$?(\d+)", ref)
    if m is None:
        raise Unevaluable(ref)
    return _col(m.group(1)), int(m.group(2))


def to_text(value: Value) -> str:
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        if not math.isfinite(value):
            raise Unevaluable("#NUM!")
        if value == int(value) and abs(value) < 1e15:
            return str(int(value))
        return repr(value)
    return value


def _num(value: Value) -> float:
    if isinstance(value, bool):
        return 1.0 if value else 0.0
    if isinstance(value, float):
        return value
    try:
        return float(value) if value.strip() else 0.0
    except ValueError as exc:
        raise Unevaluable("#VALUE!") from exc


def _char(code: float) -> str:
    """CHAR: the character of the system code page (GBK for Chinese Excel), so CHAR(47811) is a Chinese character."""
    n = int(code)
    if 1 <= n < 128:
        return chr(n)
    if 0x8140 <= n <= 0xFEFE:
        try:
            return bytes((n >> 8, n & 0xFF)).decode("gbk")
        except UnicodeDecodeError as exc:
            raise Unevaluable("#VALUE!") from exc
    if 128 <= n <= 255:
        return bytes((n,)).decode("cp1252", "replace")
    raise Unevaluable("#VALUE!")


def _unichar(code: float) -> str:
    n = int(code)
    if 1 <= n <= 0x10FFFF and not 0xD800 <= n <= 0xDFFF:
        return chr(n)
    raise Unevaluable("#VALUE!")


def _flat(args: list[Value | list[Value]]) -> list[Value]:
    out: list[Value] = []
    for arg in args:
        out.extend(arg if isinstance(arg, list) else [arg])
    return out


def _one(arg: Value | list[Value]) -> Value:
    if isinstance(arg, list):
        if len(arg) != 1:
            raise Unevaluable("range")
        return arg[0]
    return arg


def _text_of(value: Value, fmt: Value) -> str:
    if to_text(fmt) in ("@", "General", "G/通用格式", ""):
        return to_text(value)
    raise Unevaluable("TEXT format")


def _if(args: list[Value | list[Value]]) -> Value:
    if not 1 <= len(args) <= 3:
        raise Unevaluable("IF")
    cond = _one(args[0])
    truthy = cond if isinstance(cond, bool) else _num(cond) != 0
    if truthy:
        return _one(args[1]) if len(args) > 1 else True
    return _one(args[2]) if len(args) > 2 else False


def _textjoin(args: list[Value | list[Value]]) -> str:
    if len(args) < 3:
        raise Unevaluable("TEXTJOIN")
    delim = to_text(_one(args[0]))
    skip = _one(args[1])
    skip_empty = skip if isinstance(skip, bool) else _num(skip) != 0
    items = [to_text(v) for v in _flat(args[2:])]
    return delim.join(i for i in items if i or not skip_empty)


def _mid(args: list[Value]) -> str:
    text, start, length = to_text(args[0]), int(_num(args[1])), int(_num(args[2]))
    if start < 1 or length < 0:
        raise Unevaluable("#VALUE!")
    return text[start - 1 : start - 1 + length]


def _replace(args: list[Value]) -> str:
    text, start, length, new = to_text(args[0]), int(_num(args[1])), int(_num(args[2])), to_text(args[3])
    if start < 1 or length < 0:
        raise Unevaluable("#VALUE!")
    return text[: start - 1] + new + text[start - 1 + length :]


def _substitute(args: list[Value]) -> str:
    text, old, new = to_text(args[0]), to_text(args[1]), to_text(args[2])
    if len(args) > 3:
        nth = int(_num(args[3]))
        parts = text.split(old)
        if not old or nth < 1 or nth >= len(parts):
            return text
        return old.join(parts[:nth]) + new + old.join(parts[nth:])
    return text.replace(old, new) if old else text


def _rept(args: list[Value]) -> str:
    text, times = to_text(args[0]), int(_num(args[1]))
    if times < 0 or len(text) * times > _MAX_TEXT:
        raise Unevaluable("#VALUE!")
    return text * times


_SCALAR: dict[str, tuple[int, int, Callable[[list[Value]], Value]]] = {
    # name: (min args, max args, function of scalar arguments)
    "UNICHAR": (1, 1, lambda a: _unichar(_num(a[0]))),
    "CHAR": (1, 1, lambda a: _char(_num(a[0]))),
    "LOWER": (1, 1, lambda a: to_text(a[0]).lower()),
    "UPPER": (1, 1, lambda a: to_text(a[0]).upper()),
    "PROPER": (1, 1, lambda a: to_text(a[0]).title()),
    "TRIM": (1, 1, lambda a: " ".join(to_text(a[0]).split(" ")).strip()),
    "CLEAN": (1, 1, lambda a: "".join(ch for ch in to_text(a[0]) if ord(ch) >= 32)),
    "LEFT": (1, 2, lambda a: to_text(a[0])[: int(_num(a[1])) if len(a) > 1 else 1]),
    "RIGHT": (1, 2, lambda a: (lambda t, n: t[len(t) - n :] if n > 0 else "")(to_text(a[0]), int(_num(a[1])) if len(a) > 1 else 1)),
    "MID": (3, 3, _mid),
    "REPLACE": (4, 4, _replace),
    "SUBSTITUTE": (3, 4, _substitute),
    "REPT": (2, 2, _rept),
    "T": (1, 1, lambda a: a[0] if isinstance(a[0], str) else ""),
    "TEXT": (2, 2, lambda a: _text_of(a[0], a[1])),
    "HYPERLINK": (1, 2, lambda a: to_text(a[1] if len(a) > 1 else a[0])),
    "LEN": (1, 1, lambda a: float(len(to_text(a[0])))),
    "UNICODE": (1, 1, lambda a: float(ord(to_text(a[0])[0])) if to_text(a[0]) else _raise()),
    "CODE": (1, 1, lambda a: float(ord(to_text(a[0])[0])) if to_text(a[0]) else _raise()),
    "EXACT": (2, 2, lambda a: to_text(a[0]) == to_text(a[1])),
}


def _raise() -> float:
    raise Unevaluable("#VALUE!")


class _Parser:
    def __init__(self, formula: str, resolve: Callable[[str, str | None], Value], depth: int) -> None:
        self.tokens = self._tokenize(formula)
        self.i = 0
        self.resolve = resolve
        self.depth = depth

    @staticmethod
    def _tokenize(formula: str) -> list[tuple[str, str]]:
        tokens: list[tuple[str, str]] = []
        pos = 0
        text = formula.strip()
        while pos < len(text):
            m = _TOKEN.match(text, pos)
            if m is None or m.end() == pos:
                if text[pos:].strip() == "":
                    break
                raise Unevaluable("token")
            kind = m.lastgroup or ""
            tokens.append((kind, m.group(kind)))
            pos = m.end()
        return tokens

    def peek(self) -> tuple[str, str]:
        return self.tokens[self.i] if self.i < len(self.tokens) else ("end", "")

    def take(self) -> tuple[str, str]:
        token = self.peek()
        self.i += 1
        return token

    def expect(self, op: str) -> None:
        if self.take() != ("op", op):
            raise Unevaluable("syntax")

    def parse(self) -> Value:
        value = self.comparison(0)
        if self.peek()[0] != "end":
            raise Unevaluable("syntax")
        return _one_value(value)

    def comparison(self, level: int) -> Value | list[Value]:
        left = self.concat(level)
        while self.peek()[0] == "op" and self.peek()[1] in ("=", "<>", "<", ">", "<=", ">="):
            op = self.take()[1]
            a, b = _one(left), _one(self.concat(level))
            if isinstance(a, str) or isinstance(b, str):
                x, y = to_text(a).lower(), to_text(b).lower()
                result = {"=": x == y, "<>": x != y, "<": x < y, ">": x > y, "<=": x <= y, ">=": x >= y}[op]
            else:
                p, q = _num(a), _num(b)
                result = {"=": p == q, "<>": p != q, "<": p < q, ">": p > q, "<=": p <= q, ">=": p >= q}[op]
            left = result
        return left

    def concat(self, level: int) -> Value | list[Value]:
        left = self.additive(level)
        while self.peek() == ("op", "&"):
            self.take()
            text = to_text(_one(left)) + to_text(_one(self.additive(level)))
            if len(text) > _MAX_TEXT:
                raise Unevaluable("#VALUE!")
            left = text
        return left

    def additive(self, level: int) -> Value | list[Value]:
        left = self.term(level)
        while self.peek()[0] == "op" and self.peek()[1] in ("+", "-"):
            op = self.take()[1]
            right = _num(_one(self.term(level)))
            left = _num(_one(left)) + right if op == "+" else _num(_one(left)) - right
        return left

    def term(self, level: int) -> Value | list[Value]:
        left = self.power(level)
        while self.peek()[0] == "op" and self.peek()[1] in ("*", "/"):
            op = self.take()[1]
            right = _num(_one(self.power(level)))
            if op == "/" and right == 0:
                raise Unevaluable("#DIV/0!")
            left = _num(_one(left)) * right if op == "*" else _num(_one(left)) / right
        return left

    def power(self, level: int) -> Value | list[Value]:
        left = self.unary(level)
        while self.peek() == ("op", "^"):
            self.take()
            try:
                left = float(_num(_one(left)) ** _num(_one(self.unary(level))))
            except (OverflowError, ZeroDivisionError, ValueError) as exc:
                raise Unevaluable("#NUM!") from exc
        return left

    def unary(self, level: int) -> Value | list[Value]:
        if self.peek()[0] == "op" and self.peek()[1] in ("+", "-"):
            op = self.take()[1]
            number = _num(_one(self.unary(level)))
            return -number if op == "-" else number
        value = self.primary(level)
        if self.peek() == ("op", "%"):
            self.take()
            return _num(_one(value)) / 100
        return value

    def primary(self, level: int) -> Value | list[Value]:
        if level > _MAX_DEPTH:
            raise Unevaluable("depth")
        kind, text = self.take()
        if kind == "str":
            return text[1:-1].replace('""', '"')
        if kind == "num":
            return float(text)
        if kind == "bool":
            return text.upper() == "TRUE"
        if kind == "ref":
            return self.reference(text)
        if kind == "func":
            return self.call(text, level + 1)
        if (kind, text) == ("op", "("):
            value = self.comparison(level + 1)
            self.expect(")")
            return value
        raise Unevaluable("syntax")

    def reference(self, text: str) -> Value | list[Value]:
        sheet: str | None = None
        if "!" in text:
            sheet, text = text.rsplit("!", 1)
            sheet = sheet[1:-1].replace("''", "'") if sheet.startswith("'") else sheet
        if ":" not in text:
            return self.resolve(text.replace("$", "").upper(), sheet)
        first, last = text.split(":")
        (c1, r1), (c2, r2) = _split_ref(first), _split_ref(last)
        if (abs(c2 - c1) + 1) * (abs(r2 - r1) + 1) > _MAX_RANGE:
            raise Unevaluable("range too large")
        return [
            self.resolve(f"{_letters(c)}{r}", sheet)
            for r in range(min(r1, r2), max(r1, r2) + 1)
            for c in range(min(c1, c2), max(c1, c2) + 1)
        ]

    def call(self, name: str, level: int) -> Value | list[Value]:
        upper = name.upper().removeprefix("_XLFN.").removeprefix("_XLWS.")
        args: list[Value | list[Value]] = []
        if self.peek() != ("op", ")"):
            while True:
                if self.peek()[0] == "op" and self.peek()[1] in (",", ")"):
                    args.append("")  # an omitted argument
                else:
                    args.append(self.comparison(level))
                if self.peek() == ("op", ","):
                    self.take()
                    continue
                break
        self.expect(")")
        if upper in ("CONCATENATE", "CONCAT"):
            items = _flat(args) if upper == "CONCAT" else [_one(a) for a in args]
            return "".join(to_text(v) for v in items)
        if upper == "TEXTJOIN":
            return _textjoin(args)
        if upper == "IF":
            return _if(args)
        if upper in _SCALAR:
            low, high, fn = _SCALAR[upper]
            if not low <= len(args) <= high:
                raise Unevaluable(upper)
            return fn([_one(a) for a in args])
        raise Unevaluable(upper)


def _one_value(value: Value | list[Value]) -> Value:
    return _one(value)


def evaluate(formula: str, resolve: Callable[[str, str | None], Value], depth: int = 0) -> Value:
    """The value of `formula` (without its leading `=`). `resolve(ref, sheet)` gives a referenced cell's value (it
    raises Unevaluable for what it cannot give). Raises Unevaluable for anything outside the supported subset."""
    if depth > 50:
        raise Unevaluable("reference chain")
    try:
        return _Parser(formula, resolve, depth).parse()
    except RecursionError as exc:
        raise Unevaluable("depth") from exc
    except (OverflowError, ValueError, IndexError, TypeError, MemoryError) as exc:  # e.g. LEFT("a", 1E400)
        raise Unevaluable("#NUM!") from exc


_TEXTUAL = re.compile(r'"|&|\b(?:_xlfn\.)?(?:CONCAT|CONCATENATE|TEXTJOIN|UNICHAR|CHAR|LOWER|UPPER|PROPER|TRIM|LEFT|RIGHT|MID|REPT|SUBSTITUTE|REPLACE|TEXT|T|HYPERLINK|CLEAN|FIXED|DOLLAR|RMB|BAHTTEXT|NUMBERSTRING|WEBSERVICE|FILTERXML|ENCODEURL|INDIRECT)\s*\(', re.I)


def is_textual(formula: str) -> bool:
    """Can the formula produce text that is not already a cell's text (a literal, `&`, a text function)?"""
    return bool(_TEXTUAL.search(formula))
