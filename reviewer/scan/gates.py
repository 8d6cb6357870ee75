"""Which characters a pattern cannot match without (issue 19): a cheap test before a regex is tried on a window.

Number and word patterns are tried on short windows around digit runs and anchor words, thousands of times per long
text, and most windows hold no match. `required_class` reads the parsed regex and finds a set of characters of which
every match consumes at least one (a literal, or a character class the match cannot skip: not optional, not inside a
lookaround). When a window holds none of them, the pattern cannot match inside it, and the window is passed over
with one search for that class in C instead of trying the pattern at every place. This never changes what is found:
a match lies inside its window and consumes one of those characters there.

Only sets without ASCII digits are used (the windows of number patterns always hold digits, so such a test would
never pass anything over) and only small ones; a pattern with nothing suitable has no gate and is tried as before."""

from __future__ import annotations

import importlib
import re
from typing import Any

_c: Any
_p: Any
try:  # the regex parser of the standard library (Python ≥ 3.11); without it there are no gates, nothing else changes
    _c = importlib.import_module("re._constants")
    _p = importlib.import_module("re._parser")
except ImportError:  # pragma: no cover - other Python versions
    _c = _p = None

MAX_SET = 200  # characters a gate's class may hold (a larger set passes almost every window)
_DIGITS = frozenset(range(0x30, 0x3A))


def _set_of(items: list[tuple[Any, Any]]) -> frozenset[int] | None:
    """The characters of a class (LITERAL and RANGE items only; NEGATE or categories like \\d give None)."""
    out: set[int] = set()
    for op, av in items:
        if op is _c.LITERAL:
            out.add(av)
        elif op is _c.RANGE and av[1] - av[0] < MAX_SET:
            out.update(range(av[0], av[1] + 1))
        else:
            return None
    return frozenset(out)


def _required(seq: Any) -> frozenset[int] | None:
    """A set of characters every match of the sequence consumes one of (the smallest usable one found), or None."""
    best: frozenset[int] | None = None
    for op, av in seq:
        need: frozenset[int] | None = None
        if op is _c.LITERAL:
            need = frozenset((av,))
        elif op is _c.IN:
            need = _set_of(av)
        elif op in (_c.MAX_REPEAT, _c.MIN_REPEAT, _c.POSSESSIVE_REPEAT):
            low, _high, sub = av
            need = _required(sub) if low >= 1 else None
        elif op is _c.SUBPATTERN:
            _group, add_flags, _del_flags, sub = av
            need = None if add_flags & re.IGNORECASE else _required(sub)
        elif op is _c.ATOMIC_GROUP:
            need = _required(av)
        elif op is _c.BRANCH:
            union: set[int] = set()
            for branch in av[1]:
                part = _required(branch)
                if part is None:
                    union = set()
                    break
                union |= part
            need = frozenset(union) or None
        # anything else (lookarounds, anchors, any character, back references) requires nothing
        if need is not None and not (need & _DIGITS) and len(need) <= MAX_SET and (best is None or len(need) < len(best)):
            best = need
    return best


def required_class(pattern: re.Pattern[str]) -> re.Pattern[str] | None:
    """A compiled class of characters that every match of `pattern` consumes one of, or None when there is no usable
    one (see the module docstring)."""
    if _p is None or pattern.flags & re.IGNORECASE:
        return None
    try:
        need = _required(_p.parse(pattern.pattern, pattern.flags))
    except Exception:  # pragma: no cover - a parser change: no gate, nothing else changes
        return None
    if not need:
        return None
    return re.compile("[" + "".join(re.escape(chr(c)) for c in sorted(need)) + "]")
