"""HTML from the CMS: the visible text with markup removed (so 青鸾<b>四号</b> stays 青鸾四号), and every place a
browser does not show but the published page still carries: comments, <meta> content, title/alt and similar
attributes, hidden elements, <noscript>, and script and style bodies as parts of their own."""

from __future__ import annotations

import codecs
import re
from collections import Counter
from html.parser import HTMLParser

from reviewer.errors import ExtractionError
from reviewer.extract.limits import Budget
from reviewer.extract.model import Extraction, TextPart
from reviewer.extract.parts import PartBuilder
from reviewer.extract.text import decode_text

_VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param", "source", "track", "wbr"}
_BLOCK = {
    "address", "article", "aside", "blockquote", "br", "caption", "dd", "div", "dl", "dt", "figcaption", "figure",
    "footer", "form", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hr", "li", "main", "nav", "ol", "p", "pre",
    "section", "table", "td", "th", "tr", "ul", "option", "title", "body", "html", "head",
}  # fmt: skip
_ATTRS = ("title", "alt", "aria-label", "placeholder", "value", "label", "summary", "data-original-title")
_HIDDEN_STYLE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.I)
_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_\-]+)""", re.I)
_SPACE = re.compile(r"\s+")
_MARKED = re.compile(r"<!\[(?!CDATA\[)", re.I)
_CHUNK = 65536


class _Collector(HTMLParser):
    def __init__(self, budget: Budget) -> None:
        super().__init__(convert_charrefs=True)
        self.budget = budget
        self.visible = PartBuilder("正文", budget, separator="")
        self.hidden = PartBuilder("隐藏元素", budget)
        self.noscript = PartBuilder("noscript", budget)
        self.title = PartBuilder("HTML标题", budget)
        self.comments = PartBuilder("HTML注释", budget)
        self.meta = PartBuilder("HTML元数据", budget)
        self.attrs = PartBuilder("HTML属性", budget)
        self.blocks: list[TextPart] = []  # script and style bodies
        self.stack: list[tuple[str, str | None]] = []  # (tag, sink) where sink None means visible text
        self._open: Counter[str] = Counter()  # tags on the stack
        self._raw: list[str] = []
        self._counts = {"script": 0, "style": 0, "comment": 0}

    def _sink(self) -> str | None:
        return self.stack[-1][1] if self.stack else None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {k.lower(): (v or "") for k, v in attrs}
        self._attributes(tag, values)
        if tag in _VOID:
            if tag in _BLOCK and self._sink() is None:
                self.visible.write("\n")
            return
        parent = self._sink()
        if tag in ("script", "style"):
            sink: str | None = tag
        elif parent in ("script", "style", "title", "comment"):
            sink = parent
        elif tag == "title":
            sink = "title"
        elif parent == "hidden" or "hidden" in values or _HIDDEN_STYLE.search(values.get("style", "")) or tag == "template":
            sink = "hidden"
            if parent != "hidden":
                self.hidden.begin(f"隐藏元素<{tag}>")
        elif tag == "noscript" or parent == "noscript":
            sink = "noscript"
        else:
            sink = parent
        self.stack.append((tag, sink))
        self._open[tag] += 1
        if tag in _BLOCK and sink is None:
            self.visible.write("\n")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._attributes(tag, {k.lower(): (v or "") for k, v in attrs})
        if tag in _BLOCK and self._sink() is None:
            self.visible.write("\n")

    def handle_endtag(self, tag: str) -> None:
        if not self._open[tag]:  # a stray end tag: without this check each one would scan the whole stack
            if tag in _BLOCK and self._sink() is None:
                self.visible.write("\n")
            return
        for i in range(len(self.stack) - 1, -1, -1):
            if self.stack[i][0] == tag:
                closing = self.stack[i]
                for name, _sink in self.stack[i:]:
                    self._open[name] -= 1
                del self.stack[i:]
                if closing[1] in ("script", "style") and self._sink() not in ("script", "style"):
                    self._flush(closing[1])
                break
        if tag in _BLOCK and self._sink() is None:
            self.visible.write("\n")

    def handle_data(self, data: str) -> None:
        sink = self._sink()
        if sink in ("script", "style"):
            self._raw.append(data)
            return
        text = _SPACE.sub(" ", data)
        if sink is None:
            self.visible.write(text)
        elif sink == "hidden":
            self.hidden.write(text)
        elif sink == "noscript":
            self.noscript.add("noscript", text)
        elif sink == "title":
            self.title.add("HTML标题", text)

    def unknown_decl(self, data: str) -> None:  # <![CDATA[ … ]]>
        self.handle_data(data[6:] if data.startswith("CDATA[") else data)

    def handle_comment(self, data: str) -> None:
        if data.strip():
            self._counts["comment"] += 1
            self.comments.add(f"HTML注释 第{self._counts['comment']}处", data.strip())

    def _attributes(self, tag: str, values: dict[str, str]) -> None:
        if tag == "meta" and values.get("content", "").strip():
            name = values.get("name") or values.get("property") or values.get("http-equiv") or values.get("itemprop") or "content"
            self.meta.add(f"HTML元数据:{name}", values["content"].strip())
        for name in _ATTRS:
            if values.get(name, "").strip() and not (tag == "meta"):
                self.attrs.add(f"HTML属性:{name}（<{tag}>）", values[name].strip())

    def _flush(self, kind: str) -> None:
        body = "".join(self._raw)
        self._raw.clear()
        if body.strip():
            self._counts[kind] += 1
            label = f"{'脚本' if kind == 'script' else '样式'} 第{self._counts[kind]}段"
            self.budget.add_chars(len(body))
            self.blocks.append(TextPart(body, label))

    def parts(self) -> list[TextPart]:
        if self._raw and self.stack:  # an unclosed <script> at the end of the file
            self._flush(self.stack[-1][1] or "script")
        builders = (self.visible, self.hidden, self.noscript, self.title, self.comments, self.meta, self.attrs)
        return [p for p in (b.build() for b in builders) if p] + self.blocks


def decode_html(data: bytes) -> tuple[str, str]:
    """BOM, then strict UTF-8, then the charset the page declares, then GB18030."""
    if data.startswith((codecs.BOM_UTF8, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return decode_text(data)
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    declared = _CHARSET.search(data[:4096])
    if declared:
        name = declared.group(1).decode("ascii", "replace").lower()
        if name in ("gb2312", "gbk", "gb_2312-80", "x-gbk"):
            name = "gb18030"
        try:
            codecs.lookup(name)
            return data.decode(name), name
        except (LookupError, UnicodeDecodeError):
            pass
    return decode_text(data)


def extract_html(data: bytes, budget: Budget) -> Extraction:
    text, encoding = decode_html(data)
    if "\x00" in text:
        raise ExtractionError("HTML 文件含有二进制数据（NUL 字节），文件可能已损坏或不是网页，无法审查")
    # html.parser (3.11) raises AssertionError on marked sections other than CDATA; browsers treat them as bogus
    # comments. Escaping them keeps their text in the visible part, which over-reports rather than loses text.
    text = _MARKED.sub("&lt;![", text)
    collector = _Collector(budget)
    try:
        for i in range(0, len(text), _CHUNK):
            budget.check_time()
            collector.feed(text[i : i + _CHUNK])
        collector.close()
    except AssertionError as exc:  # html.parser's way of saying "malformed declaration"
        raise ExtractionError(f"HTML 结构严重异常，无法完整解析（{exc}），无法审查") from exc
    if collector.rawdata:  # an unclosed <script>, comment or tag at the end: HTMLParser keeps it unparsed
        collector.handle_data(collector.rawdata)
    return Extraction(parts=collector.parts(), kind="html", encoding=encoding)
