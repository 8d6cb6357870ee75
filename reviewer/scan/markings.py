"""The marking grammar (GB/T 9704 head, 国家秘密标志 ★, internal and release markings) evaluated on the line around an
automaton hit. All functions read the folded text (full-width digits and spaces already folded), so offsets are original
offsets. Where folding may have erased a character the grammar needs (a full-width asterisk used for ★ is folded to
noise), the original line is consulted: folding maps one character to one character, so the two align."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

_SP = r"[ \t]*"
LEVEL = r"(?P<level>绝" + _SP + r"密|机" + _SP + r"密|秘" + _SP + r"密)"
_PERIOD_BODY = r"(?:\d{1,3}|[一二三四五六七八九十两]{1,3})" + _SP + r"(?:年|个月|月)|长期|[^\n★*]{0,20}?解密"
PERIOD = r"(?P<period>" + _PERIOD_BODY + r")?"
REQUIRED_PERIOD = r"(?P<required>" + _PERIOD_BODY + r")"
# ★ itself and star-shaped look-alikes: the marking may omit the period (机密★ means the statutory maximum).
STARS = "★☆✩✪✫✬✭✮✯✰⭐⭑⭒✦✧✶✷✸✹✡"
# Asterisks and other symbols written for ★ (秘密*2年, 机密＊10年, 秘密✱5年): a period must follow in running text.
ASTERISKS = "*＊﹡⁎∗✱✲✳✴✵✺✻✼✽❊❉❋✢✣✤✥٭※⚹"
STAR_MARKING = re.compile(LEVEL + _SP + r"(?:★" + _SP + PERIOD + r"|\*" + _SP + REQUIRED_PERIOD + r")")
HEAD_LINE = re.compile(
    r"(?:\d{6}" + _SP + r")?" + LEVEL + r"(?:" + _SP + r"[★*]" + _SP + PERIOD + r")?" + _SP + r"(?:特急|加急|特提|平急)?"
)
LABELLED = re.compile(r"密" + _SP + r"级" + _SP + r"[:：]" + _SP + LEVEL + r"(?:" + _SP + r"[★*]" + _SP + PERIOD + r")?")
PARAGRAPH_PREFIX = re.compile(r"[（(【\[〔［「『<＜〈]" + _SP + LEVEL + _SP + r"[）)】\]〕］」』>＞〉]")
COPY_NUMBER = re.compile(r"[ \t]*\d{6}[ \t\r]*")
# 份号 with its label (份号：004926, 份号:, 份 号 004926) or No./№ with digits, at the start of a head line.
_LABEL = (r"(?:份" + _SP + r"号" + _SP + r"[:：]?" + _SP + r"\d{0,8}(?!\d)|(?:No|NO|no|№)" + _SP + r"[.:：]?" + _SP
          + r"\d{3,8}(?![\d\-－/.]))")
LABELLED_COPY = re.compile(_SP + _LABEL)
# a head line that COPY_NUMBER matches whole (a 6-digit line) or LABELLED_COPY matches from its start (copy_number)
_HEAD_COPY = re.compile(r"^(?:" + _SP + r"(?P<six>\d{6})[ \t\r]*$|" + _SP + r"(?P<label>" + _LABEL + r"))", re.M)
# 份号：004926 anywhere (a classified head pasted into a body); 身份号码 is not a 份号.
COPY_ANYWHERE = re.compile(r"份" + _SP + r"号" + _SP + r"[:：]" + _SP + r"\d{3,8}(?!\d)")
MAX_YEARS = {"秘密": 10, "机密": 20, "绝密": 30}
DECORATION = " \t\r【】[]()（）〔〕<>《》\"“”'‘’:：★☆*"
_TOKEN_SPLIT = re.compile(r"[ \t、,，;；:：|｜/／\\\-—–－~～*＊★☆·•]+")
# Page furniture that shares a line with a marking in headers and footers: page numbers, Excel header/footer codes
# (&L &C &R sections, &P page, &N pages, &D date, &"font,style", &12 size, &K colour), issue numbers and dates.
_XLSX_CODE = re.compile(r'&(?:"[^"\n]*"|K[0-9A-Fa-f]{6}|K\d{2}[+-]\d{3}|\d{1,3}|[LCRPNDTFAZGBIUSXYEH&]|\[[^\]\n]{1,12}\])')
_PAGE = re.compile(
    r"第" + _SP + r"(?:\d+|[一二三四五六七八九十百]+)?" + _SP + r"页"
    + r"|共" + _SP + r"(?:\d+|[一二三四五六七八九十百]+)?" + _SP + r"页"
    + r"|(?:[-—–]" + _SP + r")?\d{1,4}" + _SP + r"/" + _SP + r"\d{1,4}(?:" + _SP + r"[-—–])?"
    + r"|[-—–]" + _SP + r"\d{1,4}" + _SP + r"[-—–]"
    + r"|(?i:page)" + _SP + r"\d*(?:" + _SP + r"(?i:of)" + _SP + r"\d*)?"
    + r"|页码[:：]?" + _SP + r"\d*"
    + r"|(?:\d{4}" + _SP + r"年" + _SP + r")?(?:总" + _SP + r")?第" + _SP + r"\d{1,4}" + _SP + r"期"
    + r"|\d{4}" + _SP + r"年" + _SP + r"\d{1,2}" + _SP + r"月(?:" + _SP + r"\d{1,2}" + _SP + r"日)?"
    + r"|\d{4}[-.]\d{1,2}[-.]\d{1,2}"
    + r"|^[ \t]*\d{1,4}[ \t]*$|(?<=[ \t])\d{1,4}(?=[ \t]*$)|^[ \t]*\d{1,4}(?=[ \t])"
)
# Characters that may stand for ★ (a quick test before the per-character look at a line): ASCII and full-width
# asterisks and the symbol blocks (arrows … dingbats, enclosed and CJK compatibility symbols, pictographs).
_SYMBOL = re.compile("[*" + re.escape(STARS + ASTERISKS) + "\u2190-\u2bff\u3200-\u33ff\U0001f300-\U0001faff]")
# A line with more visible characters than this is prose, never a marking line with page furniture.
MAX_MARKING_LINE = 80
# After a clause marker (注意保存) in running text the clause must end: it then is an instruction, not a verb with an
# object (注意保存证据).
_CLAUSE_END = re.compile(r"[ \t]*(?:$|[。，,；;！!？?、）)】\]」』”\"\r\n])")


@dataclass(frozen=True, slots=True)
class MarkingHit:
    start: int
    end: int
    kind: str  # "star" | "head" | "line" | "label" | "paragraph" | "inline"
    explanation: str


def line_bounds(text: str, start: int, end: int) -> tuple[int, int]:
    a = text.rfind("\n", 0, start) + 1
    b = text.find("\n", end)
    return a, (len(text) if b < 0 else b)


def head_end(text: str, lines: int) -> int:
    """Offset just after the first `lines` non-blank lines: the document head (版头)."""
    return head_ends(text, (lines,))[lines]


def head_ends(text: str, counts: Iterable[int]) -> dict[int, int]:
    """head_end for several numbers of lines, in one search over the head (see `_head_pattern`)."""
    wanted = sorted(set(counts))
    out = {lines: 0 for lines in wanted if lines <= 0}
    positive = tuple(lines for lines in wanted if lines > 0)
    if positive:
        m = _head_pattern(positive).match(text)
        for group, lines in enumerate(positive, 1):
            end = -1 if m is None else m.end(group)
            out[lines] = len(text) if end < 0 else end  # fewer non-blank lines: the head is all of the text
    return out


# blank lines (they count for nothing), then a non-blank line (something that str.strip() keeps) with its line break;
# atomic: a line that matched is never read again when a later count is not reached (a text of one 4 M-character line)
_HEAD_LINE = r"(?>\s*+\S[^\n]*+(?:\n|\Z))"


@lru_cache(maxsize=64)
def _head_pattern(counts: tuple[int, ...]) -> re.Pattern[str]:
    """Where the first counts[0], counts[1], … non-blank lines end (positive, ascending), in one match: an empty group
    after each count, each later count optional (a text may have fewer lines). Each line can be matched one way only
    (a line ends at its line break) and is never read twice (`_HEAD_LINE` is atomic)."""
    pattern, done = "", 0
    for i, lines in enumerate(counts):
        part = f"(?:{_HEAD_LINE}){{{lines - done}}}()"
        pattern += part if i == 0 else "(?:" + part
        done = lines
    return re.compile(pattern + ")?" * (len(counts) - 1))


def _number(digits: str) -> int:
    """Arabic or Chinese numerals up to 99 (十年, 二十年, 两年)."""
    if digits.isdigit():
        return int(digits)
    values = {"一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
    if "十" in digits:
        tens, _, ones = digits.partition("十")
        return values.get(tens, 1) * 10 + values.get(ones, 0)
    return values.get(digits[:1], 0)


def _period_note(level: str, period: str | None) -> str:
    level = re.sub(r"\s", "", level)
    if not period:
        return f"密级“{level}”，未标保密期限（按法定最长期限）"
    years = re.match(r"(\d+|[一二三四五六七八九十两]+)\s*年", period)
    limit = MAX_YEARS.get(level)
    if years and limit and _number(years.group(1)) > limit:
        return f"密级“{level}”，保密期限“{period.strip()}”超过法定上限{limit}年，标志格式异常"
    return f"密级“{level}”，保密期限/解密条件“{period.strip()}”"


def marking_line(text: str, a: int, b: int, original: str | None) -> str:
    """The folded line [a, b) with star look-alikes of the original written as ★ (star-shaped) or * (asterisk-like)
    and other pictographic symbols (■, ●) as * (same length: offsets stay valid)."""
    line = text[a:b]
    source = original[a:b] if original is not None and len(original) == len(text) else line
    if _SYMBOL.search(source):
        chars = list(line)
        for i, ch in enumerate(source):
            if ch in STARS:
                chars[i] = "★"
            elif ch in ASTERISKS or (not ch.isascii() and unicodedata.category(ch) == "So"):
                chars[i] = "*"
        line = "".join(chars)
    return line


def _markdown_blanked(line: str) -> str | None:
    """The line with Markdown marks (heading hashes, quote marks, emphasis, pipes) replaced by spaces of the same
    length; None when nothing changes."""
    prefix = _MD_PREFIX.match(line)
    out = line
    if prefix and prefix.end():
        out = " " * prefix.end() + out[prefix.end():]
    out = _MD_WRAP.sub(lambda m: " " * len(m.group()), out)
    return out if out != line else None


def _visible_len(line: str) -> int:
    return len(line) - line.count(" ") - line.count("\t") - line.count("\r")


def blank_furniture(line: str) -> str:
    """Page numbers, Excel header/footer codes, issue numbers and dates replaced by spaces of the same length."""
    line = _XLSX_CODE.sub(lambda m: " " * len(m.group()), line)
    return _PAGE.sub(lambda m: " " * len(m.group()), line)


def classification(text: str, start: int, end: int, head: int, original: str | None = None) -> MarkingHit | None:
    """A 密级 word at [start, end) that is part of a marking, or None when it is only mentioned.
    `original` (the unfolded text, same length) lets star look-alikes that folding erased count as ★.
    A word split over lines (机 / 密★10年; 绝 / 密 / ★) is read as the reader reads it: the line breaks inside the
    word and between it and its ★ and period count as spaces. A marking quoted as an example of the format in running
    text (如“机密★10年”) is returned with kind `quoted`: a mention, not a marking."""
    a, b = line_bounds(text, start, end)
    line = marking_line(text, a, b, original)
    if "\n" in line:  # the automaton read the word across a line break: join the lines it spans
        line, b = _joined(text, line, a, b, original)
    s = start - a
    for m in STAR_MARKING.finditer(line):
        if m.start("level") <= s < m.end("level"):
            example = _quoted_example(line, m.start(), m.end())
            if example:
                return MarkingHit(a + m.start(), a + m.end(), "quoted", example)
            period = m["period"] or m["required"]
            star_at = a + m.end("level") + len(line[m.end("level"):]) - len(line[m.end("level"):].lstrip(" \t"))
            shown = (original if original is not None and len(original) == len(text) else text)[star_at]
            kind = "国家秘密标志（密级★）" if shown == "★" else f"国家秘密标志（以“{shown}”代替★）"
            return MarkingHit(a + m.start(), a + m.end(), "star", kind + "：" + _period_note(m["level"], period))
    for m in LABELLED.finditer(line):
        if m.start("level") <= s < m.end("level"):
            where = "文首" if a < head else "正文中"
            return MarkingHit(a + m.start(), a + m.end(), "head" if a < head else "label",
                              f"{where}“密级：”栏填写了密级：" + _period_note(m["level"], m["period"]))
    table = _TABLE_LABEL.search(line)
    if table and table.start("level") <= s < table.end("level"):
        where = "文首" if a < head else "正文中"
        return MarkingHit(a + table.start(), a + table.end(), "head" if a < head else "label",
                          f"{where}表格“密级”栏填写了密级：" + _period_note(table["level"], table["period"]))
    bare = blank_furniture(line) if _visible_len(line) <= MAX_MARKING_LINE else line
    markdown = False
    if a < head and not HEAD_LINE.fullmatch(bare.strip(" \t\r")) and _MARKDOWN.search(bare):
        plain = _markdown_blanked(bare)  # **机密★5年**, # 机密, > **秘密**: Markdown around the marking
        if plain is not None and HEAD_LINE.fullmatch(plain.strip(" \t\r")):
            bare, markdown = plain, True
    stripped_from = len(bare) - len(bare.lstrip(" \t"))
    line_match = HEAD_LINE.fullmatch(bare.strip(" \t\r"))
    if line_match:
        off = a + stripped_from
        note = _period_note(line_match["level"], line_match["period"])
        shared = ("（Markdown 标题、粗体或引用）" if markdown else
                  "（与页码等版面元素同行）" if bare.strip() != line.strip() else "")
        if a < head:
            return MarkingHit(off + line_match.start(), off + line_match.end(), "head", "文首单独成行的密级" + shared + "：" + note)
        return MarkingHit(off + line_match.start(), off + line_match.end(), "line",
                          "单独成行的密级词（疑似密级标志）" + shared + "：" + note)
    pm = PARAGRAPH_PREFIX.match(line, stripped_from)
    if pm and pm.start("level") <= s < pm.end("level"):
        return MarkingHit(a + pm.start(), a + pm.end(), "paragraph", "段首密级标注：" + _period_note(pm["level"], None))
    return None


# Markdown around a head marking: heading hashes, quote marks, emphasis, code ticks, table pipes (at the head only: a
# teaching text may list the levels as headings or bullets further down).
_MARKDOWN = re.compile(r"^[ \t]*(?:#{1,6}|>|[*_](?=\S))|\*\*|__|~~|`|^[ \t]*\||\|[ \t]*$")
_MD_PREFIX = re.compile(r"^(?:[ \t]*(?:#{1,6}|>|\|))+")
_MD_WRAP = re.compile(r"\*{1,3}|_{1,3}|~~|`+|\|")
# A table row 密级 | 机密 (Markdown, or cells that an extractor joined with a tab): the label cell, then the level.
_TABLE_LABEL = re.compile(r"密" + _SP + r"级" + r"[ \t*_]*[|｜\t][ \t*_|｜]*" + LEVEL + r"(?:" + _SP + r"[★*]" + _SP
                          + PERIOD + r")?(?=[ \t*_]*(?:[|｜\t\r]|$))(?![ \t*_]*[|｜\t][ \t*_]*(?:绝|机|秘)" + _SP + r"密)")
# Running text that explains the format of a marking (保密宣传: 标志的写法如“机密★10年”).
_QUOTES = {"“": "”", "「": "」", "『": "』", "\"": "\"", "‘": "’", "《": "》", "〈": "〉", "'": "'"}
_EXAMPLE_CUE = re.compile(r"(?:如|例如|比如|譬如|诸如)[：:，,]?[ \t]*$|格式|形式|样式|写法|写作|写成|书写|示例|范例|举例|标志|标识")
_EXPLAINED = re.compile(r"[ \t]*(?:表示|是指|指的是|意为|意思是|代表|的含义|含义是|这样的|等(?!级)|、|字样|标志|标识|的写法|格式"
                        r"|[“「『\"‘])")
_SELF = re.compile(r"本文|本件|此件|此文|本材料|本报告|本通知|本通报|该文|该件|该通报|该材料|该报告|本页|本册|本书|本方案|本表|本段|本章"
                   r"|以下内容|上述内容|本决定|本纪要")


def _quoted_example(line: str, ms: int, me: int) -> str | None:
    """A star marking at line[ms:me] directly inside quotation marks, in a sentence that explains the format (a cue
    such as 如/格式/写法 before it, or 表示/等/、 after it) and that does not declare the document's own level
    (本文件密级为“机密★10年” stays a marking). Returns the explanation, or None."""
    lo = ms
    while lo > 0 and line[lo - 1] in " \t":
        lo -= 1
    hi = me
    while hi < len(line) and line[hi] in " \t":
        hi += 1
    if lo == 0 or hi >= len(line) or _QUOTES.get(line[lo - 1]) != line[hi]:
        return None
    cut = max(line.rfind(ch, 0, lo - 1) for ch in "。！？!?；;")
    sentence = line[cut + 1 : lo - 1]
    rest = line[: lo - 1] + line[hi + 1 :]
    if _SELF.search(sentence) or not any(p in rest for p in "，。；,;！？"):  # running text, not a label line
        return None
    if _EXAMPLE_CUE.search(sentence) or _EXPLAINED.match(line, hi + 1):
        return "正文中用引号举例说明标志的格式（提及，不是标志）"
    return None


def _joined(text: str, line: str, a: int, b: int, original: str | None) -> tuple[str, int]:
    """The line breaks inside a split marking word, and those between it and the ★ and period on the next lines,
    read as spaces (same length: offsets stay valid). Returns the joined line and its new end."""
    chars = list(line)
    for i, ch in enumerate(chars):
        if ch == "\n":
            chars[i] = " "
    # extend over following lines while they continue the marking: a lone ★ (or look-alike) or a period
    pos = b
    while pos < len(text) and text[pos] == "\n":
        nxt = text.find("\n", pos + 1)
        nxt = len(text) if nxt < 0 else nxt
        piece = marking_line(text, pos + 1, nxt, original)
        joined = "".join(chars).rstrip(" \t\r")
        if not (re.fullmatch(r"[ \t]*(?:[★*][ \t]*)?(?:" + _PERIOD_BODY + r")?[ \t\r]*", piece) and piece.strip()
                and (joined.endswith("密") or re.search(r"密" + _SP + r"[★*]$", joined))) or len(chars) > LINE_JOIN:
            break
        chars.append(" ")
        chars.extend(piece)
        pos = nxt
    return "".join(chars), pos


LINE_JOIN = 200  # characters a split marking may span (bounded: the grammar reads lines, not the whole text)


_NOISE_IN_WORD = re.compile(r"[ \t\r\n.\-_*~|/\\·・•]")


def _only_markers(token: str, marker_words: frozenset[str], longest: int) -> bool:
    """True when the token is one marker word or several written together (工作秘密注意保管, 内部资料请勿外传)."""
    if token in marker_words:
        return True
    n = len(token)
    reach = [False] * (n + 1)
    reach[0] = True
    for i in range(n):
        if reach[i]:
            for j in range(i + 2, min(n, i + longest) + 1):
                if token[i:j] in marker_words:
                    reach[j] = True
    return reach[n]


def standalone(text: str, start: int, end: int, marker_words: frozenset[str], head: int, title_suffix: bool) -> MarkingHit | None:
    """An internal/process marker that stands alone on its line (or with other markers, decorations, page numbers,
    Excel header/footer codes or a tab), or ends a head title line."""
    a, b = line_bounds(text, start, end)
    line = text[a:b]
    if _visible_len(line) <= MAX_MARKING_LINE:
        word = _NOISE_IN_WORD.sub("", text[start:end])  # 内 部 资 料 is the marker 内部资料
        plain = line[: start - a] + " " + word + " " + line[end - a :]
        bare = blank_furniture(plain)
        stripped = bare.strip(DECORATION)
        tokens = [t.strip(DECORATION) for t in _TOKEN_SPLIT.split(stripped) if t.strip(DECORATION)]
        longest = max((len(w) for w in marker_words), default=0)
        if tokens and all(t == word or _only_markers(t, marker_words, longest) for t in tokens):
            shared = bare.strip(DECORATION) != plain.strip(DECORATION)
            return MarkingHit(start, end, "line", "与页码、页眉页脚代码等版面元素同行的标志" if shared else "单独成行的标志")
    if title_suffix and a < head and "。" not in line and len(line.strip()) <= 80:
        tail = line.rstrip(" \t\r").rstrip("）)】]").rstrip(" \t")
        if a + len(tail) == end:
            return MarkingHit(start, end, "head", "文首标题以该标志结尾")
    return None


def inline(text: str, start: int, end: int, term: str, inline_words: frozenset[str], clause_words: frozenset[str],
           marker_words: frozenset[str]) -> MarkingHit | None:
    """An instruction that no public text contains (请勿外传, 此件不予公开, 内部资料) counts wherever it stands; a clause
    marker (注意保存) counts where it ends its clause (注意保存。 / 注意保存，), not as a verb with an object."""
    if term in inline_words:
        return MarkingHit(start, end, "inline", f"正文中出现“{term}”：公开文本不使用这类发布限制或内部标志用语，不论是否单独成行都计入")
    if term in clause_words:
        pos = end
        while pos < len(text) and text[pos] in " \t":
            pos += 1
        if _CLAUSE_END.match(text, end) or any(text.startswith(w, pos) for w in marker_words):
            return MarkingHit(start, end, "inline", f"正文中“{term}”自成一句（指示语，不是带宾语的动词）")
    return None


def copy_number(text: str, head: int) -> list[MarkingHit]:
    """份号: a 6-digit line, a labelled 份号 (份号：004926, 份号:) or No.004926 among the head lines; a labelled 份号 with
    digits anywhere (涉密公文应当标注份号)."""
    out: list[MarkingHit] = []
    if head > 0:
        # the head lines are every line that starts before `head`, each read whole (to the end of the line `head`
        # falls in); one search finds the lines that are a 6-digit number or begin with a labelled 份号 (blank lines
        # are neither)
        last = text.find("\n", head - 1)
        for m in _HEAD_COPY.finditer(text, 0, len(text) if last < 0 else last):
            if m.group("six") is not None:
                out.append(MarkingHit(m.start("six"), m.start("six") + 6, "head", "文首6位份号（涉密公文应当标注份号）"))
            else:
                out.append(MarkingHit(m.start("label"), m.end(), "head", "文首标注份号（涉密公文应当标注份号）"))
    for m in COPY_ANYWHERE.finditer(text):
        if (m.start() == 0 or text[m.start() - 1] != "身") and not any(h.start <= m.start() < h.end for h in out):
            out.append(MarkingHit(m.start(), m.end(), "label", "正文中标注份号（涉密公文应当标注份号）"))
    return out
