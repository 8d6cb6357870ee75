"""Which characters a pattern cannot match without (issue 19): a cheap test before a regex is tried on a window.

Number and word patterns are tried on short windows around digit runs and anchor words, thousands of times per long
text, and most windows hold no match. `required_class` reads the parsed regex and finds a set of characters of which
every match consumes at least one (a literal, or a character class the match cannot skip: not optional, not inside a
lookaround). When a window holds none of them, the pattern cannot match inside it, and the window is passed over
with one search for that class in C instead of trying the pattern at every place. This never changes what is found:
a match lies inside its window and consumes one of those characters there.

Only sets without ASCII digits are used (the windows of number patterns always hold digits, so such a test would
never pass anything over) and only small ones; a pattern with nothing suitable has no gate and is tried as before.

Round 8: a pattern's core, where it has one, is a stronger test than one class (`required_core`, below): for the
coordinates rule, one class passed 1,764 of 1,881 windows of the public corpus (an "o" or a "." is in almost every
window of an HTML page), its core 129; `gate` gives the core, else the class."""

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


# ------------------------------------------------------------------ cores: a run of the pattern without its look-arounds
# A stronger test than one class (round 8): a run of consecutive one-character items of the pattern (literals, classes,
# their repetitions), zero-width assertions left out, is a regex that every match of the pattern contains a match of:
# the run's characters are consumed one after another by the match. Items at the ends of the run are cut to their
# least number of repetitions (at least that many of them stand next to the rest), and dropped when they may be absent.
# The look-behind at the start of most number and word patterns keeps the regex engine from skipping ahead to a
# possible first character; the core has none, so a window without a plate (京A…), a coordinate (39°54′, 30.57°) or a
# credit code is passed over by one fast search instead of the pattern tried at every place.
_CATEGORIES = {"CATEGORY_DIGIT": r"\d", "CATEGORY_NOT_DIGIT": r"\D", "CATEGORY_SPACE": r"\s",
               "CATEGORY_NOT_SPACE": r"\S", "CATEGORY_WORD": r"\w", "CATEGORY_NOT_WORD": r"\W"}
_ZERO_WIDTH = (_c.ASSERT, _c.ASSERT_NOT, _c.AT) if _c is not None else ()


def _esc(code: int) -> str:
    return re.escape(chr(code))


def _char(item: tuple[Any, Any]) -> tuple[str, bool] | None:
    """Regex source for one character item and whether it only ever matches ASCII digits, or None."""
    op, av = item
    if op is _c.LITERAL:
        return _esc(av), 0x30 <= av <= 0x39
    if op is _c.IN:
        parts: list[str] = []
        digits = True
        for sop, sav in av:
            if sop is _c.NEGATE and not parts:
                parts.append("^")
                digits = False
            elif sop is _c.LITERAL:
                parts.append(_esc(sav))
                digits = digits and 0x30 <= sav <= 0x39
            elif sop is _c.RANGE:
                parts.append(_esc(sav[0]) + "-" + _esc(sav[1]))
                digits = digits and 0x30 <= sav[0] and sav[1] <= 0x39
            elif sop is _c.CATEGORY and str(sav) in _CATEGORIES:
                parts.append(_CATEGORIES[str(sav)])
                digits = digits and str(sav) == "CATEGORY_DIGIT"
            else:
                return None
        return "[" + "".join(parts) + "]", digits
    if op is _c.SUBPATTERN:
        _group, add_flags, del_flags, sub = av
        if add_flags or del_flags or len(sub) != 1:
            return None
        return _char(sub[0])
    if op is _c.BRANCH:  # (?:°|度): alternatives of one character each
        alts = [_char(b[0]) if len(b) == 1 else None for b in av[1]]
        if not alts or any(a is None for a in alts):
            return None
        return "(?:" + "|".join(a[0] for a in alts if a) + ")", all(a[1] for a in alts if a)
    return None


def _element(item: tuple[Any, Any]) -> tuple[str, int, int, bool] | None:
    """(source of the character, least and most repetitions, digits only) for a one-character item or a repetition of
    one; None for anything else."""
    op, av = item
    if op in (_c.MAX_REPEAT, _c.MIN_REPEAT, _c.POSSESSIVE_REPEAT):
        low, high, sub = av
        if len(sub) != 1:
            return None
        one = _char(sub[0])
        return None if one is None else (one[0], low, high, one[1])
    one = _char(item)
    return None if one is None else (one[0], 1, 1, one[1])


def _count(low: int, high: int) -> str:
    if (low, high) == (1, 1):
        return ""
    if high is _c.MAXREPEAT or high == _c.MAXREPEAT:
        return "*" if low == 0 else "+" if low == 1 else f"{{{low},}}"
    if (low, high) == (0, 1):
        return "?"
    return f"{{{low}}}" if low == high else f"{{{low},{high}}}"


def _trimmed(run: list[tuple[str, int, int, bool]]) -> tuple[str, tuple[int, int, int]] | None:
    """A run as a core: ends that may be absent dropped, the ends cut to their least count; with its rank (how it
    begins: 2 with a literal that is not a digit, 1 with a class that is not only digits, 0 with digits; characters
    required that are not only digits; all characters required)."""
    while run and run[0][1] == 0:
        run = run[1:]
    while run and run[-1][1] == 0:
        run = run[:-1]
    if not run:
        return None
    parts = []
    letters = digits = 0
    for k, (src, low, high, only_digits) in enumerate(run):
        if k == 0 or k == len(run) - 1:
            high = low  # at an end: at least `low` of them stand next to the rest
        parts.append(src + _count(low, high))
        if only_digits:
            digits += low
        else:
            letters += low
    first = 0 if run[0][3] else 2 if run[0][0][:1] not in ("[", "(") else 1
    return "".join(parts), (first, letters, letters + digits)


def _run_cores(run: list[tuple[str, int, int, bool]]) -> list[tuple[str, tuple[int, int, int]]]:
    """Cores of a run: the whole run, and the run from each later element on (a regex that begins with a literal or a
    rare class is skipped through quickly; one that begins with \\d or a class of common characters is tried at each
    of them)."""
    out = []
    for k in range(len(run)):
        core = _trimmed(run[k:])
        if core:
            out.append(core)
    return out


def _enough(rank: tuple[int, int, int]) -> bool:
    """A core worth a search: a character that is not a digit and one more character, or six digits (number patterns
    are tried around runs of digits, where a short digit core passes almost every window)."""
    _first, letters, total = rank
    return (letters >= 1 and total >= 2) or total >= 6


def _cores(seq: Any) -> list[tuple[str, tuple[int, int, int]]]:
    """Candidate cores of a sequence of parsed items (each one necessary for a match of the sequence)."""
    out: list[tuple[str, tuple[int, int, int]]] = []
    run: list[tuple[str, int, int, bool]] = []

    def close() -> None:
        out.extend(_run_cores(run))
        run.clear()

    for item in seq:
        op, av = item
        if op in _ZERO_WIDTH:
            continue  # left out: the core only needs more places to match
        element = _element(item)
        if element is not None:
            run.append(element)
            continue
        close()
        if op is _c.SUBPATTERN:  # a group that must match: its own cores are necessary too
            _group, add_flags, del_flags, sub = av
            if not add_flags and not del_flags:
                out.extend(_cores(sub))
        elif op is _c.BRANCH:
            out.extend(_branch_core(av[1]))
        elif op in (_c.MAX_REPEAT, _c.MIN_REPEAT, _c.POSSESSIVE_REPEAT) and av[0] >= 1:
            out.extend(_cores(av[2]))
    close()
    return out


def _branch_core(branches: Any) -> list[tuple[str, tuple[int, int, int]]]:
    """One core for alternatives: the best core of each, joined (a match contains one of them), ranked by the
    weakest; nothing when an alternative has none."""
    best = []
    for branch in branches:
        cores = [c for c in _cores(branch) if _enough(c[1])]
        if not cores:
            return []
        best.append(max(cores, key=lambda c: c[1]))
    return [("|".join(src for src, _ in best), min(rank for _, rank in best))]


def required_core(pattern: re.Pattern[str]) -> re.Pattern[str] | None:
    """A regex without look-arounds of which every match of `pattern` contains a match and that requires enough
    (`_enough`), or None."""
    if _p is None or pattern.flags & (re.IGNORECASE | re.VERBOSE):
        return None
    try:
        cores = _cores(_p.parse(pattern.pattern, pattern.flags))
        if not cores:
            return None
        cores = [c for c in cores if _enough(c[1])]
        if not cores:
            return None
        src, _rank = max(cores, key=lambda c: c[1])
        return re.compile(src, pattern.flags & ~re.UNICODE)
    except Exception:  # pragma: no cover - a parser change or a core that does not compile: no gate
        return None


def gate(pattern: re.Pattern[str]) -> re.Pattern[str] | None:
    """The test a window must pass before `pattern` is tried on it: its core when it has one, else its required class
    (or None: every window is tried)."""
    return required_core(pattern) or required_class(pattern)
