"""严重表述错误: wrong forms of fixed expressions (`kind: expression`) and a unit's own names, titles and orders
(`kind: titles`), judged where the automaton found a wrong form or a listed name.

The scanner finds the wrong forms and names like every term (folded, noise between characters allowed); this module
only judges a hit: the entry's context regexes (台湾 counts only in a list that ends 等国家), the quotation that cites
the wrong form in a correction notice (将“中国入民”误写为…、更正、不得使用“两岸三地”), the title written next to a
name, and the order of names in one list. Everything runs on the folded text, in a window around the hit."""

from __future__ import annotations

import re
from dataclasses import dataclass

from reviewer.ruleset.model import ExpressionEntry, ExpressionRule, TitlesRule
from reviewer.scan.model import Severity

SENTENCE_CAP = 160  # characters of a hit's sentence read on either side when looking for a citing quotation
_SENTENCE_END = "。！？!?；;\n"
_OPEN, _CLOSE, _BOTH = "“「『‘", "”」』’", "\"'"
# words of a sentence that quotes a wrong form in order to correct or cite it, not to use it
CITING = re.compile(
    r"误写|错写|误作|误用|误植|写成|写为|错为|误为|错成|勘误|更正|纠正|改正|订正|改为|应为|应是|应当为|应改为|规范表述|"
    r"错误表述|表述错误|不规范|错别字|错字|不得使用|不使用|不要使用|不能使用|不宜使用|避免使用|不得称|不应称|不能称|"
    r"禁用|慎用|所谓"
)


@dataclass(frozen=True, slots=True)
class Judged:
    """What the scanner turns into a candidate: a span of the folded text and how it reads."""

    start: int
    end: int
    severity: Severity
    explanation: str
    suggestion: str
    message: str


class Entry:
    """An ExpressionEntry with its context regexes compiled."""

    __slots__ = ("entry", "before", "after", "not_before", "not_after")

    def __init__(self, entry: ExpressionEntry) -> None:
        self.entry = entry
        self.before = re.compile(f"(?:{entry.before})\\Z") if entry.before else None
        self.not_before = re.compile(f"(?:{entry.not_before})\\Z") if entry.not_before else None
        self.after = re.compile(entry.after) if entry.after else None
        self.not_after = re.compile(entry.not_after) if entry.not_after else None

    def applies(self, folded: str, start: int, stop: int, window: int) -> bool:
        # The context is read without the spaces folding made of separators, as the wrong form itself is matched
        # (台　湾、香港等国家 is a list with 台湾 in it).
        lead = folded[max(0, start - window) : start].replace(" ", "")
        if self.before is not None and self.before.search(lead) is None:
            return False
        if self.not_before is not None and self.not_before.search(lead) is not None:
            return False
        trail = folded[stop : stop + window].replace(" ", "")
        if self.after is not None and self.after.match(trail) is None:
            return False
        return not (self.not_after is not None and self.not_after.match(trail) is not None)


def sentence(folded: str, start: int, stop: int) -> tuple[int, int]:
    """The sentence around [start, stop), cut at SENTENCE_CAP characters on either side."""
    lo = max(0, start - SENTENCE_CAP)
    hi = min(len(folded), stop + SENTENCE_CAP)
    a = max((folded.rfind(ch, lo, start) for ch in _SENTENCE_END), default=-1)
    a = a + 1 if a >= 0 else lo
    ends = [i for i in (folded.find(ch, stop, hi) for ch in _SENTENCE_END) if i >= 0]
    return a, (min(ends) + 1 if ends else hi)


def _inside_quotes(folded: str, a: int, start: int, stop: int, b: int) -> bool:
    opened = None
    for i in range(start - 1, a - 1, -1):
        ch = folded[i]
        if ch in _OPEN:
            opened = ch
            break
        if ch in _CLOSE:
            return False
        if ch in _BOTH:
            opened = ch if folded.count(ch, a, i) % 2 == 0 else None
            break
    if opened is None:
        return False
    closer = {"“": "”", "「": "」", "『": "』", "‘": "’"}.get(opened, opened)
    for i in range(stop, b):
        ch = folded[i]
        if ch == closer:
            return True
        if ch in _OPEN:
            return False
    return False


def citation(folded: str, start: int, stop: int) -> str | None:
    """The citing word when the hit is quoted in a sentence that corrects or cites it (else None)."""
    a, b = sentence(folded, start, stop)
    if not _inside_quotes(folded, a, start, stop, b):
        return None
    m = CITING.search(folded, a, b)
    return m.group() if m else None


# unquoted correction syntax: 将党的十九大误写为党十九大；党十九大（应为党的十九大）
_CORRECTED_BEFORE = re.compile(r"(?P<w>误写为|错写为|误写成|错写成|写成了?|误作|错为|误为|错写作|错误表述[:：为]?)[:：]?[“\"「]?[^。；;，,、\n]{0,4}\Z")
_CORRECTS_AFTER = r"[”\"」]?[，,（(]?(?:应为|应改为|应更正为|更正为|改为|正确表述为|正确写法为?)[:：]?[“\"「]?"


def corrected(folded: str, start: int, stop: int, right: str) -> str | None:
    """The citing words when the text corrects the wrong form without quotes: it follows 误写为/写成 …, or it is
    followed by 应为/更正为 … and the right form itself."""
    lead = folded[max(0, start - 12) : start].replace(" ", "")
    m = _CORRECTED_BEFORE.search(lead)
    if m:
        return m.group("w")
    trail = folded[stop : stop + 24 + len(right)].replace(" ", "")
    m = re.match(_CORRECTS_AFTER + "[^。；;\n]{0,8}?" + re.escape(right.replace(" ", "")), trail)
    return "应为" if m else None


def judge_expression(rule: ExpressionRule, entries: list[Entry], folded: str, start: int, stop: int) -> Judged | None:
    """The first entry whose context holds, as a finding; a citing quotation makes it a note (info)."""
    for compiled in entries:
        if not compiled.applies(folded, start, stop, rule.window):
            continue
        e = compiled.entry
        note = f"表述“{e.wrong}”应为“{e.right}”" + (f"（{e.note}）" if e.note else "") + f"；依据：{e.source}"
        if stop - start != len(e.wrong):
            note += "；原文字符间夹有空格或分隔符"
        severity = rule.severity
        cited = citation(folded, start, stop)
        fixed = None if cited else corrected(folded, start, stop, e.right)
        if cited:
            severity = Severity.INFO
            note += f"；位于引号中、所在句有“{cited}”（更正或通报引用错误表述），降为提示"
        elif fixed:
            severity = Severity.INFO
            note += f"；与“{fixed}”连用，是更正或通报对错误写法的引用，降为提示"
        return Judged(start, stop, severity, note, e.right, f"应为：{e.right}")
    return None


class People:
    """A titles rule: the titles regexes and who holds what."""

    def __init__(self, rule: TitlesRule) -> None:
        self.rule = rule
        self.titles = {p.name: p.titles for p in rule.people}
        alternatives = "|".join(re.escape(t) for t in rule.all_titles())
        self._after = re.compile(f" ?({alternatives})")
        self._before = re.compile(f"({alternatives}) ?\\Z")
        self._longest = max(len(t) for t in rule.all_titles()) + 1
        # what may stand between two names of one list: separators, titles, 同志
        self._joint = re.compile(f"(?:[ 、，,和及与/]|同志|{alternatives})*")

    def judge(self, name: str, folded: str, start: int, stop: int) -> Judged | None:
        """A title written right after or right before the name that is not one of its titles."""
        own = self.titles[name]
        m = self._after.match(folded, stop, min(len(folded), stop + self._longest))
        if m and m.group(1) not in own:
            return self._wrong(name, m.group(1), start, m.end(), f"{name}{own[0]}", own)
        lead_from = max(0, start - self._longest)
        b = self._before.search(folded[lead_from:start])
        if b and b.group(1) not in own:
            return self._wrong(name, b.group(1), lead_from + b.start(), stop, f"{own[0]}{name}", own)
        return None

    def _wrong(self, name: str, title: str, start: int, end: int, right: str, own: list[str]) -> Judged:
        # the suggestion uses the first listed title (the main one) on the side the text put the title
        listed = "、".join(own)
        return Judged(start, end, self.rule.severity,
                      f"本单位名单中“{name}”的职务为{listed}，此处写作“{title}”", right, f"应为：{right}")

    def orders(self, folded: str, hits: list[tuple[str, int, int]]) -> list[Judged]:
        """Names of one order list that appear in one list of names in another order. `hits`: (name, start, end) of
        this rule's names, by position. A list: names at most `gap` characters apart with nothing but separators,
        titles and 同志 between them (苏晴岚主持会议，林墨舟出席 is two statements, not a list)."""
        out: list[Judged] = []
        groups: list[list[tuple[str, int, int]]] = []
        for hit in hits:
            if groups:
                prev = groups[-1][-1]
                between = folded[prev[2] : hit[1]]
                if hit[1] - prev[2] <= self.rule.gap and self._joint.fullmatch(between):
                    groups[-1].append(hit)
                    continue
            groups.append([hit])
        for group in groups:
            for order in self.rule.orders:
                rank = {n: i for i, n in enumerate(order)}
                seen: list[tuple[str, int, int]] = []
                for hit in group:
                    if hit[0] in rank and all(hit[0] != s[0] for s in seen):
                        seen.append(hit)
                if len(seen) < 2:
                    continue
                ranks = [rank[h[0]] for h in seen]
                if ranks != sorted(ranks):
                    right = "、".join(h[0] for h in sorted(seen, key=lambda h: rank[h[0]]))
                    written = "、".join(h[0] for h in seen)
                    out.append(Judged(seen[0][1], seen[-1][2], self.rule.severity,
                                      f"本单位规定的排序为{'、'.join(order)}，此处为{written}", right,
                                      f"排序应为：{right}"))
        return out
