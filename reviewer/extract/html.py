"""HTML from the CMS: the visible text with markup removed (so 青鸾<b>四号</b> stays 青鸾四号), and every place a
browser does not show but the published page still carries: comments, <meta> content, title/alt and similar
attributes, hidden elements, <noscript>, and script and style bodies as parts of their own."""

from __future__ import annotations

import base64
import binascii
import codecs
import re
from collections import Counter
from html.parser import HTMLParser
from urllib.parse import unquote_to_bytes

from reviewer.errors import ExtractionError, LimitExceeded
from reviewer.extract.cells import reader_join
from reviewer.extract.imagemeta import image_meta_parts
from reviewer.extract.limits import Budget
from reviewer.extract.links import link_text
from reviewer.extract.model import Extraction, ExtractionIssue, Span, SpanKind, TextPart
from reviewer.extract.parts import PartBuilder
from reviewer.extract.script import add_hidden_strings, script_part
from reviewer.extract.text import decode_text

_VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param", "source", "track", "wbr"}
_BLOCK = {
    "address", "article", "aside", "blockquote", "br", "caption", "dd", "div", "dl", "dt", "figcaption", "figure",
    "footer", "form", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hr", "li", "main", "nav", "ol", "p", "pre",
    "section", "table", "td", "th", "tr", "ul", "option", "title", "body", "html", "head",
}  # fmt: skip
_ATTRS = (
    "title", "alt", "aria-label", "aria-description", "aria-roledescription", "aria-placeholder", "aria-valuetext",
    "placeholder", "value", "label", "summary", "data-original-title", "abbr", "download", "standby",
)  # fmt: skip
# Attributes that carry no text a reader meets; every other attribute is kept so that CSS `attr(x)` can name it.
_NOT_TEXT = {
    "class", "id", "style", "href", "src", "type", "rel", "width", "height", "name", "lang", "dir", "charset",
    "content", "http-equiv", "colspan", "rowspan", "align", "valign", "border", "cellpadding", "cellspacing",
    "target", "method", "action", "for", "role", "tabindex", "srcset", "sizes", "media", "async", "defer",
    "crossorigin", "integrity", "loading", "xmlns", "srcdoc", "data", "hidden", "color", "bgcolor", "face", "size",
}  # fmt: skip
_CSS_CONTENT = re.compile(r"(?<![-\w])content\s*:\s*((?:[^;}\"']|\"(?:[^\"\\]|\\[\s\S])*\"|'(?:[^'\\]|\\[\s\S])*')*)", re.I)
_CSS_TOKEN = re.compile(r"\"((?:[^\"\\]|\\[\s\S])*)\"|'((?:[^'\\]|\\[\s\S])*)'|attr\(\s*([-\w:]+)", re.I)
_CSS_ESCAPE = re.compile(r"\\(?:([0-9a-fA-F]{1,6})(?:\r\n|[ \t\r\n\f])?|(\r\n|[\r\n\f])|([\s\S]))")
_DATA_URI = re.compile(r"\s*data:([^,;]*)((?:;[^,;]*)*),(.*)", re.I | re.S)
_MAX_FRAMES = 3
_HIDDEN_STYLE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.I)
_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_\-]+)""", re.I)
_SPACE = re.compile(r"\s+")
_MARKED = re.compile(r"<!\[(?!CDATA\[)", re.I)
_CHUNK = 65536
_PICTURES = {"image/jpeg", "image/jpg", "image/png", "image/webp", "image/tiff"}
_LINKS = {"href", "src", "action", "formaction", "cite", "longdesc", "poster", "background", "xlink:href", "ping", "srcset",
          "data", "codebase", "archive", "manifest"}


# closed by the browser when the next one (or its container's end) comes: unclosed, they are not nesting
_AUTO_CLOSED = ("p", "li", "dt", "dd", "option", "optgroup", "tr", "td", "th", "thead", "tbody", "tfoot", "colgroup",
                "rb", "rt", "rp", "rtc")
_RTL = re.compile(r"direction\s*:\s*rtl", re.I)
_OVERRIDE = re.compile(r"unicode-bidi\s*:\s*(?:bidi-override|isolate-override)", re.I)
_ROW_REVERSE = re.compile(r"flex-direction\s*:\s*(?:row|column)-reverse|flex-flow\s*:[^;]*-reverse", re.I)


def _reversal(tag: str, values: dict[str, str]) -> str | None:
    style = values.get("style", "")
    if (tag == "bdo" and values.get("dir", "").lower() == "rtl") or (_RTL.search(style) and _OVERRIDE.search(style)):
        return "chars"
    if _ROW_REVERSE.search(style):
        return "children"
    return None


def css_unescape(text: str) -> str:
    def one(m: re.Match[str]) -> str:
        hexa, newline, other = m.groups()
        if hexa:
            code = int(hexa, 16)
            return chr(code) if 0 < code <= 0x10FFFF and not 0xD800 <= code <= 0xDFFF else "\ufffd"
        return "" if newline else other

    return _CSS_ESCAPE.sub(one, text) if "\\" in text else text


def css_generated(css: str) -> tuple[list[str], set[str]]:
    """The strings of every `content:` declaration whose shown text differs from its source (CSS escapes decoded,
    adjacent strings joined) and the attribute names that `attr(…)` shows."""
    texts: list[str] = []
    names: set[str] = set()
    for decl in _CSS_CONTENT.finditer(css):
        pieces: list[str] = []
        for token in _CSS_TOKEN.finditer(decl.group(1)):
            double, single, attr = token.groups()
            if attr:
                names.add(attr.lower())
                pieces.append("\n")
            else:
                pieces.append(css_unescape(double if double is not None else single or ""))
        text = "".join(pieces)
        # a single plain string is already in the style text as it stands: only escapes and joins hide text
        if text.strip() and ("\\" in decl.group(1) or len(pieces) > 1):
            texts.append(text)
    return texts, names


class _Collector(HTMLParser):
    def __init__(self, budget: Budget, depth: int = 0, issues: list[ExtractionIssue] | None = None) -> None:
        super().__init__(convert_charrefs=True)
        self.budget = budget
        self.depth = depth
        self.issues: list[ExtractionIssue] = [] if issues is None else issues  # pictures' GPS positions
        self.generated = PartBuilder("CSS生成内容", budget)
        self.strings = PartBuilder("脚本字符串", budget)
        self.handlers = PartBuilder("脚本（事件属性）", budget)
        self.nested: list[TextPart] = []  # iframe srcdoc, data: URIs
        self.kept: list[tuple[str, str, str]] = []  # (tag, attribute, value) for CSS attr()
        self.attr_names: set[str] = set()
        self._frames = 0
        # Elements that show their text in reverse order: <bdo dir=rtl>, direction:rtl with unicode-bidi override
        # (characters), flex row-reverse (children). (stack depth, tag, how, text chunks met inside)
        self._reversers: list[tuple[int, str, str, list[str]]] = []
        self.reversed = PartBuilder("反向显示文字", budget)
        self.links = PartBuilder("链接地址", budget)
        self.visible = PartBuilder("正文", budget, separator="")
        self.hidden = PartBuilder("隐藏元素", budget)
        self.noscript = PartBuilder("noscript", budget)
        self.title = PartBuilder("HTML标题", budget)
        self.comments = PartBuilder("HTML注释", budget)
        self.meta = PartBuilder("HTML元数据", budget)
        self.attrs = PartBuilder("HTML属性", budget)
        self.blocks: list[TextPart] = []  # script and style bodies
        # visible tables being read (rows of cell texts) and their joined numbers (extract/cells.py)
        self._tables: list[list[list[str]]] = []
        self._table_count = 0
        self.joined: list[TextPart] = []
        self.stack: list[tuple[str, str | None]] = []  # (tag, sink) where sink None means visible text
        self._open: Counter[str] = Counter()  # tags on the stack
        self._raw: list[str] = []
        self._counts = {"script": 0, "style": 0, "comment": 0}
        self._elements = 0

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
        self._elements += 1
        if len(self.stack) > self.budget.limits.max_html_depth or self._elements > self.budget.limits.max_html_elements:
            self._too_deep()
        if sink is None and tag in ("table", "tr", "td", "th"):
            self._table_cell(tag)
        reverse = _reversal(tag, values)
        if reverse and len(self._reversers) < 16:  # bounded: each text chunk is copied to every open one
            self._reversers.append((len(self.stack), tag, reverse, []))
        self._open[tag] += 1
        if tag in _BLOCK and sink is None:
            self.visible.write("\n")

    def _too_deep(self) -> None:
        """Elements a browser closes by itself (an unclosed <p> before the next one) do not count as depth."""
        limits = self.budget.limits
        if self._elements > limits.max_html_elements:
            raise LimitExceeded(f"网页含有的元素超过 {limits.max_html_elements:,} 个的上限，与文件大小不相称，未能读完，无法审查")
        depth = len(self.stack) - sum(self._open[t] for t in _AUTO_CLOSED)
        if depth > limits.max_html_depth:
            raise LimitExceeded(f"网页的元素嵌套超过 {limits.max_html_depth:,} 层的上限，与文件大小不相称，可能是恶意构造的文件，"
                                "未能读完，无法审查")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._attributes(tag, {k.lower(): (v or "") for k, v in attrs})
        if tag in _BLOCK and self._sink() is None:
            self.visible.write("\n")

    def _table_cell(self, tag: str) -> None:
        if tag == "table":
            self._tables.append([])
        elif self._tables:
            rows = self._tables[-1]
            if tag == "tr" or not rows:
                rows.append([])
            if tag != "tr":
                rows[-1].append("")

    def _close_table(self) -> None:
        rows = self._tables.pop()
        self._table_count += 1
        part = reader_join(f"表格{self._table_count}", rows, self.budget)
        if part:
            self.joined.append(part)

    def handle_endtag(self, tag: str) -> None:
        if tag == "table" and self._tables and self._open[tag] and self._sink() is None:
            self._close_table()
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
                while self._reversers and self._reversers[-1][0] > len(self.stack):
                    _depth, rtag, how, chunks = self._reversers.pop()
                    shown = "".join(chunks)[::-1] if how == "chars" else "".join(reversed(chunks))
                    self.reversed.add(f"反向显示文字<{rtag}>", _SPACE.sub(" ", shown).strip())
                if closing[1] in ("script", "style") and self._sink() not in ("script", "style"):
                    self._flush(closing[1])
                break
        if tag in _BLOCK and self._sink() is None:
            self.visible.write("\n")

    def handle_data(self, data: str) -> None:
        sink = self._sink()
        if self._reversers and sink not in ("script", "style") and data.strip():
            for reverser in self._reversers:
                reverser[3].append(data.strip())
        if sink in ("script", "style"):
            self._raw.append(data)
            return
        text = _SPACE.sub(" ", data)
        if sink is None:
            self.visible.write(text)
            if self._tables and self._tables[-1] and self._tables[-1][-1]:
                self._tables[-1][-1][-1] += text
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

    def handle_pi(self, data: str) -> None:  # <?php …?>, <?xml-stylesheet …?>: not shown, still published
        if data.strip():
            self._counts["comment"] += 1
            self.comments.add(f"HTML处理指令 第{self._counts['comment']}处", data.strip())

    def _attributes(self, tag: str, values: dict[str, str]) -> None:
        if tag == "meta" and values.get("content", "").strip():
            name = values.get("name") or values.get("property") or values.get("http-equiv") or values.get("itemprop") or "content"
            self.meta.add(f"HTML元数据:{name}", values["content"].strip())
        for name in _ATTRS:
            if values.get(name, "").strip() and not (tag == "meta"):
                self.attrs.add(f"HTML属性:{name}（<{tag}>）", values[name].strip())
        for name, value in values.items():
            if not value.strip():
                continue
            if name.startswith("on") or (name in ("href", "src", "action") and value.lstrip().lower().startswith("javascript:")):
                self.handlers.add(f"脚本（事件属性 {name}，<{tag}>）", value)
                add_hidden_strings(self.strings, value, f"脚本字符串（事件属性 {name}，<{tag}>）", self.budget)
            elif name == "style":
                texts, names = css_generated(value)
                self.attr_names |= names
                for text in texts:
                    self.generated.add(f"CSS生成内容（style属性，<{tag}>）", text)
            elif name == "srcdoc":
                self._frame(value, f"内嵌框架（srcdoc，<{tag}>）")
            elif name in ("src", "data", "href") and value.lstrip()[:5].lower() == "data:":
                self._data_uri(value, f"内嵌数据（data: URI，<{tag}>）")
            elif name in _LINKS:  # the path and query of a link, raw and percent-decoded (UTF-8, GBK), mailto:
                self.links.add(f"链接地址（{name}，<{tag}>）", link_text(value))
            elif name not in _NOT_TEXT and name not in _ATTRS:
                self.kept.append((tag, name, value.strip()))

    def _frame(self, markup: str, label: str) -> None:
        if self.depth >= _MAX_FRAMES:
            raise ExtractionError(f"HTML 内嵌框架（srcdoc 或 data: URI）嵌套超过 {_MAX_FRAMES} 层，无法完整读取，无法审查")
        self._frames += 1
        for part in _parse(markup, self.budget, self.depth + 1, self.issues):
            self.nested.append(TextPart(part.text, f"{label} · {part.location}", _prefixed(part.spans, label), part.spans_only))

    def _data_uri(self, uri: str, label: str) -> None:
        m = _DATA_URI.match(uri)
        if m is None:
            return
        mime, params, payload = m.group(1).strip().lower(), m.group(2).lower(), m.group(3)
        if mime in _PICTURES and ";base64" in params:  # a picture inlined in the page: its metadata is text
            try:
                picture = base64.b64decode("".join(payload.split()), validate=False)
            except (binascii.Error, ValueError) as exc:
                raise ExtractionError("HTML 中的内嵌图片（data: URI）无法解码，无法完整读取，无法审查") from exc
            parts, issues = image_meta_parts(picture, label, self.budget)
            self.nested.extend(parts)
            self.issues.extend(issues)
            return
        if not (mime.startswith("text/") or mime in ("", "image/svg+xml", "application/xhtml+xml", "application/json")):
            return  # a picture: no text to read here
        try:
            raw = base64.b64decode("".join(payload.split()), validate=False) if ";base64" in params else unquote_to_bytes(payload)
        except (binascii.Error, ValueError) as exc:
            raise ExtractionError("HTML 中的内嵌数据（data: URI）无法解码，无法完整读取，无法审查") from exc
        charset = re.search(r";charset=([-\w]+)", params)
        try:
            text = raw.decode(charset.group(1)) if charset else decode_text(raw)[0]
        except (LookupError, UnicodeDecodeError) as exc:
            raise ExtractionError("HTML 中的内嵌数据（data: URI）编码无法识别，无法完整读取，无法审查") from exc
        if mime in ("text/html", "image/svg+xml", "application/xhtml+xml", ""):
            self._frame(text, label)
        else:
            self.nested.append(TextPart(text, label))
            if mime == "application/json" or "javascript" in mime:
                part = script_part(text, f"{label} 脚本字符串", self.budget)
                if part:
                    self.nested.append(part)

    def _flush(self, kind: str) -> None:
        body = "".join(self._raw)
        self._raw.clear()
        if body.strip():
            self._counts[kind] += 1
            label = f"{'脚本' if kind == 'script' else '样式'} 第{self._counts[kind]}段"
            self.budget.add_chars(len(body))
            self.blocks.append(TextPart(body, label))
            if kind == "script":
                add_hidden_strings(self.strings, body, f"脚本字符串（<script> 第{self._counts[kind]}段）", self.budget)
            else:
                texts, names = css_generated(body)
                self.attr_names |= names
                for text in texts:
                    self.generated.add(f"CSS生成内容（<style> 第{self._counts[kind]}段）", text)

    def parts(self) -> list[TextPart]:
        if self._raw and self.stack:  # an unclosed <script> at the end of the file
            self._flush(self.stack[-1][1] or "script")
        while self._reversers:  # elements still open at the end of the page
            _depth, rtag, how, chunks = self._reversers.pop()
            shown = "".join(chunks)[::-1] if how == "chars" else "".join(reversed(chunks))
            self.reversed.add(f"反向显示文字<{rtag}>", _SPACE.sub(" ", shown).strip())
        for tag, name, value in self.kept:  # data-* always (scripts and CSS show them); others when attr() names them
            if name.startswith("data-") or name in self.attr_names:
                self.attrs.add(f"HTML属性:{name}（<{tag}>）", value)
        while self._tables:  # tables still open at the end of the page
            self._close_table()
        builders = (
            self.visible, self.hidden, self.noscript, self.title, self.comments, self.meta, self.attrs, self.generated,
            self.strings, self.handlers, self.reversed, self.links,
        )  # fmt: skip
        return [p for p in (b.build() for b in builders) if p] + self.blocks + self.nested + self.joined


def decode_html(data: bytes) -> tuple[str, str]:
    """BOM, then strict UTF-8, then the charset the page declares, then GB18030."""
    if data.startswith((codecs.BOM_UTF8, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) or b"\x00" in data[:4096]:
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
    issues: list[ExtractionIssue] = []
    return Extraction(parts=_parse(text, budget, 0, issues), kind="html", encoding=encoding, issues=issues)


def _prefixed(spans: tuple[Span, ...], label: str) -> tuple[Span, ...]:
    return tuple(Span(s.start, s.end, f"{label} · {s.label}", s.kind) if s.kind is SpanKind.PLACE else s for s in spans)


def _parse(text: str, budget: Budget, depth: int, issues: list[ExtractionIssue] | None = None) -> list[TextPart]:
    if "\x00" in text:
        raise ExtractionError("HTML 文件含有二进制数据（NUL 字节），文件可能已损坏或不是网页，无法审查")
    # html.parser (3.11) raises AssertionError on marked sections other than CDATA; browsers treat them as bogus
    # comments. Escaping them keeps their text in the visible part, which over-reports rather than loses text.
    text = _MARKED.sub("&lt;![", text)
    collector = _Collector(budget, depth, issues)
    try:
        for i in range(0, len(text), _CHUNK):
            budget.check_time()
            collector.feed(text[i : i + _CHUNK])
        collector.close()
    except AssertionError as exc:  # html.parser's way of saying "malformed declaration"
        raise ExtractionError("HTML 结构严重异常，无法完整解析，无法审查") from exc
    if collector.rawdata:  # an unclosed <script>, comment or tag at the end: HTMLParser keeps it unparsed
        collector.handle_data(collector.rawdata)
    return collector.parts()
