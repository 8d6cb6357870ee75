"""The marking grammar (GB/T 9704 head, 国家秘密标志 ★) evaluated on the line around an automaton hit.
All functions read the folded text (full-width digits and spaces already folded), so offsets are original offsets."""

from __future__ import annotations

import re
from dataclasses import dataclass

_SP = r"[ \t]*"
LEVEL = r"(?P<level>绝" + _SP + r"密|机" + _SP + r"密|秘" + _SP + r"密)"
PERIOD = r"(?P<period>\d{1,3}" + _SP + r"(?:年|个月|月)|长期|[^\n★]{0,20}?解密)?"
STAR_MARKING = re.compile(LEVEL + _SP + r"[★☆]" + _SP + PERIOD)
HEAD_LINE = re.compile(
    r"(?:\d{6}" + _SP + r")?" + LEVEL + r"(?:" + _SP + r"[★☆]" + _SP + PERIOD + r")?" + _SP + r"(?:特急|加急|特提|平急)?"
)
LABELLED = re.compile(r"密" + _SP + r"级" + _SP + r"[:：]" + _SP + LEVEL + r"(?:" + _SP + r"[★☆]" + _SP + PERIOD + r")?")
PARAGRAPH_PREFIX = re.compile(r"[（(【\[]" + _SP + LEVEL + _SP + r"[）)】\]]")
COPY_NUMBER = re.compile(r"[ \t]*\d{6}[ \t\r]*")
MAX_YEARS = {"秘密": 10, "机密": 20, "绝密": 30}
DECORATION = " \t\r【】[]()（）〔〕<>《》\"“”'‘’:：★☆*"
_TOKEN_SPLIT = re.compile(r"[ \t、,，]+")


@dataclass(frozen=True, slots=True)
class MarkingHit:
    start: int
    end: int
    kind: str  # "star" | "head" | "line" | "label" | "paragraph"
    explanation: str


def line_bounds(text: str, start: int, end: int) -> tuple[int, int]:
    a = text.rfind("\n", 0, start) + 1
    b = text.find("\n", end)
    return a, (len(text) if b < 0 else b)


def head_end(text: str, lines: int) -> int:
    """Offset just after the first `lines` non-blank lines: the document head (版头)."""
    pos = 0
    seen = 0
    n = len(text)
    while pos < n and seen < lines:
        nl = text.find("\n", pos)
        nl = n if nl < 0 else nl
        if text[pos:nl].strip():
            seen += 1
        pos = nl + 1
    return min(pos, n)


def _period_note(level: str, period: str | None) -> str:
    level = re.sub(r"\s", "", level)
    if not period:
        return f"密级“{level}”，未标保密期限（按法定最长期限）"
    years = re.match(r"(\d+)\s*年", period)
    limit = MAX_YEARS.get(level)
    if years and limit and int(years.group(1)) > limit:
        return f"密级“{level}”，保密期限“{period.strip()}”超过法定上限{limit}年，标志格式异常"
    return f"密级“{level}”，保密期限/解密条件“{period.strip()}”"


def classification(text: str, start: int, end: int, head: int) -> MarkingHit | None:
    """A 密级 word at [start, end) that is part of a marking, or None when it is only mentioned."""
    a, b = line_bounds(text, start, end)
    for m in STAR_MARKING.finditer(text, a, b):
        if m.start("level") <= start < m.end("level"):
            return MarkingHit(m.start(), m.end(), "star", "国家秘密标志（密级★）：" + _period_note(m["level"], m["period"]))
    for m in LABELLED.finditer(text, a, b):
        if m.start("level") <= start < m.end("level"):
            where = "文首" if a < head else "正文中"
            return MarkingHit(m.start(), m.end(), "head" if a < head else "label",
                              f"{where}“密级：”栏填写了密级：" + _period_note(m["level"], m["period"]))
    stripped_from = a + (len(text[a:b]) - len(text[a:b].lstrip(" \t")))
    line_match = HEAD_LINE.fullmatch(text[a:b].strip(" \t\r"))
    if line_match:
        off = stripped_from
        note = _period_note(line_match["level"], line_match["period"])
        if a < head:
            return MarkingHit(off + line_match.start(), off + line_match.end(), "head", "文首单独成行的密级：" + note)
        return MarkingHit(off + line_match.start(), off + line_match.end(), "line", "单独成行的密级词（疑似密级标志）：" + note)
    pm = PARAGRAPH_PREFIX.match(text, stripped_from, b)
    if pm and pm.start("level") <= start < pm.end("level"):
        return MarkingHit(pm.start(), pm.end(), "paragraph", "段首密级标注：" + _period_note(pm["level"], None))
    return None


def standalone(text: str, start: int, end: int, marker_words: frozenset[str], head: int, title_suffix: bool) -> MarkingHit | None:
    """An internal/process marker that stands alone on its line (or with other markers), or ends a head title line."""
    a, b = line_bounds(text, start, end)
    line = text[a:b]
    stripped = line.strip(DECORATION)
    tokens = [t.strip(DECORATION) for t in _TOKEN_SPLIT.split(stripped) if t.strip(DECORATION)]
    word = text[start:end]
    if tokens and all(t in marker_words or t == word for t in tokens):
        return MarkingHit(start, end, "line", "单独成行的标志")
    if title_suffix and a < head and "。" not in line and len(line.strip()) <= 80:
        tail = line.rstrip(" \t\r").rstrip("）)】]").rstrip(" \t")
        if a + len(tail) == end:
            return MarkingHit(start, end, "head", "文首标题以该标志结尾")
    return None


def copy_number(text: str, head: int) -> MarkingHit | None:
    """A 6-digit 份号 line among the head lines (涉密公文应当标注份号)."""
    pos = 0
    while pos < head:
        nl = text.find("\n", pos)
        nl = len(text) if nl < 0 else nl
        if COPY_NUMBER.fullmatch(text, pos, nl):
            s = pos + (len(text[pos:nl]) - len(text[pos:nl].lstrip(" \t")))
            return MarkingHit(s, s + 6, "head", "文首6位份号（涉密公文应当标注份号）")
        pos = nl + 1
    return None
