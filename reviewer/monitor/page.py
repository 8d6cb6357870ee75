"""One HTML page as the monitor reads it: decoded with the charset the server or the page declares (GBK sites are
common), parsed (lxml), cut into text blocks in reading order with what each block is (heading, link list, inside a
header/nav/footer/sidebar), and its links."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from urllib.parse import urljoin, urlsplit

from reviewer.errors import ExtractionError

_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_\-]+)""", re.I)
_BLOCK_TAGS = frozenset({
    "address", "article", "aside", "blockquote", "caption", "dd", "div", "dl", "dt", "figcaption", "figure", "footer",
    "form", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hr", "li", "main", "nav", "ol", "p", "pre", "section", "table",
    "tbody", "thead", "tfoot", "td", "th", "tr", "ul", "body", "center", "font-block", "br",
})  # fmt: skip
_SKIP_TAGS = frozenset({"script", "style", "noscript", "template", "head", "title", "meta", "link", "object", "svg"})
_CHROME_TAGS = frozenset({"header", "nav", "footer", "aside"})
_HINT_WORDS = (
    "nav", "navbar", "menu", "header", "head", "top", "topbar", "footer", "foot", "bottom", "sidebar", "side", "aside",
    "breadcrumb", "crumb", "crumbs", "position", "location", "weizhi", "dqwz", "copyright", "banquan", "friendlink",
    "yqlj", "links", "banner", "toolbar", "share", "search", "login", "skip", "gotop", "backtop",
)  # fmt: skip
_HINT = re.compile(r"(?:^|[-_])(?:" + "|".join(_HINT_WORDS) + r")(?:$|[-_]|\d)", re.I)
_HEADINGS = frozenset({"h1", "h2", "h3", "h4"})
_TITLE_HINT = re.compile(r"(?:^|[-_])(?:title|tit|bt|biaoti)(?:$|[-_]|\d)", re.I)
_SPACE = re.compile(r"\s+")
_BINARY_CONTROLS = re.compile(r"[\x00-\x08\x0e-\x1a\x1c-\x1f\ufffd]")


def normalise(text: str) -> str:
    """Width and whitespace do not matter: NFKC (full-width letters, digits and punctuation to half width),
    then every whitespace character removed."""
    return _SPACE.sub("", unicodedata.normalize("NFKC", text))


def _valid_codec(name: str) -> str | None:
    import codecs

    name = {"gb2312": "gb18030", "gbk": "gb18030", "x-gbk": "gb18030", "gb_2312-80": "gb18030"}.get(name.lower(), name)
    try:
        return codecs.lookup(name).name
    except LookupError:
        return None


def decode(body: bytes, header_charset: str | None) -> tuple[str, str]:
    """(text, encoding) — the HTTP header first, then the page's own <meta charset>, then a careful guess.
    Raises ExtractionError (Chinese) when the bytes are not text in the declared or any supported encoding."""
    if b"\x00" in body[:65536] and not body.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise ExtractionError("以网页（text/html）返回的内容实为二进制数据，不是网页，未能读取")
    declared = header_charset
    where = "服务器（HTTP 头）"
    if not declared:
        m = _META_CHARSET.search(body[:8192])
        if m:
            declared, where = m.group(1).decode("ascii", "replace"), "网页的 <meta charset>"
    if body.startswith(b"\xef\xbb\xbf"):
        declared, where = "utf-8-sig", "字节顺序标记"
    if declared:
        codec = _valid_codec(declared)
        if codec is None:
            raise ExtractionError(f"{where}声明的字符集“{declared[:40]}”无法识别，未能读取")
        try:
            text = body.decode(codec)
        except UnicodeDecodeError as exc:
            raise ExtractionError(
                f"{where}声明的字符集为 {declared[:40]}，但内容在第 {exc.start} 字节处无法按该字符集解码，未能完整读取"
            ) from exc
        encoding = codec
    else:
        from reviewer.extract.text import decode_text

        text, encoding = decode_text(body)
    if len(_BINARY_CONTROLS.findall(text[:20000])) > max(8, len(text[:20000]) // 100):
        raise ExtractionError("以网页（text/html）返回的内容含大量控制字符，疑似二进制数据，未能读取")
    return text, encoding


@dataclass(slots=True)
class Block:
    text: str
    norm: str
    path: tuple[int, ...]  # ancestor elements (their place in document order), outermost first
    heading: bool = False
    hints: tuple[bool, ...] = ()  # per path level: header/nav/footer/aside, or a class/id that says so
    link_chars: int = 0

    def hinted_below(self, depth: int) -> bool:
        """Inside site chrome below the content's common ancestor at `depth` (hints above it say nothing)."""
        return any(self.hints[depth:])

    @property
    def link_dense(self) -> bool:
        return len(self.norm) > 0 and self.link_chars >= 0.7 * len(self.norm)


@dataclass(slots=True)
class Page:
    url: str
    html: str
    encoding: str
    title_tag: str = ""
    blocks: list[Block] = field(default_factory=list)
    links: list[tuple[str, str]] = field(default_factory=list)  # (absolute url, tag)
    scripts: list[str] = field(default_factory=list)  # inline script bodies
    script_srcs: list[str] = field(default_factory=list)
    root: object = None  # the lxml tree (kept only while the page is processed; `tree()` parses again)
    elements: list[object] = field(default_factory=list)  # the body's elements in document order

    def tree(self) -> None:
        """Parse the page again for its elements (the first parse's blocks are kept; the tree is not, to save memory)."""
        import lxml.html

        root = lxml.html.document_fromstring(self.html or "<html></html>")
        self.root = root
        body = root.find(".//body")
        self.elements = list(body.iter()) if body is not None else []

    def drop_tree(self) -> None:
        self.root = None
        self.elements = []


def _hinted(el: object) -> bool:
    tag = getattr(el, "tag", "")
    if tag in _CHROME_TAGS:
        return True
    get = el.get  # type: ignore[attr-defined]
    role = (get("role") or "").lower()
    if role in ("navigation", "banner", "contentinfo", "complementary", "search"):
        return True
    for name in (get("id") or "").split() + (get("class") or "").split():
        if _HINT.search(name):
            return True
    return False


def parse(url: str, html: str, encoding: str = "utf-8", base: str | None = None) -> Page:
    import lxml.html
    from lxml import etree

    page = Page(url, html, encoding)
    try:
        root = lxml.html.document_fromstring(html or "<html></html>")
    except (etree.ParserError, ValueError) as exc:
        raise ExtractionError(f"网页无法解析（{str(exc)[:100]}），未能读取") from exc
    page.root = root
    title = root.find(".//title")
    if title is not None:
        page.title_tag = _SPACE.sub(" ", title.text_content()).strip()
    base = base or url
    base_el = root.find(".//base[@href]")
    if base_el is not None:
        base = urljoin(url, base_el.get("href", ""))
    for el in root.iter("a", "area", "iframe", "frame", "script"):
        attr = "src" if el.tag in ("iframe", "frame", "script") else "href"
        target = (el.get(attr) or "").strip()
        if el.tag == "script":
            if target:
                try:
                    page.script_srcs.append(urljoin(base, target))
                except ValueError:
                    pass
            elif el.text:
                page.scripts.append(el.text)
            continue
        if target and not target.lower().startswith(("javascript:", "mailto:", "tel:", "#", "data:")):
            try:
                absolute = urljoin(base, target)
                scheme = urlsplit(absolute).scheme
            except ValueError:  # a malformed address (`http://[::1`): a broken link, nothing to fetch
                continue
            if scheme in ("http", "https"):
                page.links.append((absolute.split("#")[0], el.tag))
    body = root.find(".//body")
    if body is not None:
        page.elements = list(body.iter())
        _blocks(body, page)
    return page


def _blocks(body: object, page: Page) -> None:
    """Leaf text blocks in reading order. A block element's own inline text (not that of nested blocks) is one block."""
    out = page.blocks
    order = {el: i for i, el in enumerate(page.elements)}
    path: list[int] = []
    hints: list[bool] = []
    buf: list[str] = []
    link_buf = [0]

    def flush(heading: bool) -> None:
        text = _SPACE.sub(" ", "".join(buf)).strip()
        buf.clear()
        links = link_buf[0]
        link_buf[0] = 0
        if text:
            out.append(Block(text, normalise(text), tuple(path), heading, tuple(hints), links))

    def walk(el: object, in_link: bool, heading: bool) -> None:
        tag = el.tag if isinstance(el.tag, str) else ""  # type: ignore[attr-defined]
        if not tag or tag in _SKIP_TAGS:
            tail = el.tail  # type: ignore[attr-defined]
            if tail:
                _add(tail, in_link)
            return
        style = (el.get("style") or "").replace(" ", "").lower()  # type: ignore[attr-defined]
        hidden = "display:none" in style or "visibility:hidden" in style or el.get("hidden") is not None  # type: ignore[attr-defined]
        is_block = tag in _BLOCK_TAGS
        if is_block:
            flush(heading)
            path.append(order[el])
            hints.append(_hinted(el))
        here_heading = heading or tag in _HEADINGS or (is_block and _is_title(el))
        link = in_link or tag == "a"
        if not hidden:
            if el.text:  # type: ignore[attr-defined]
                _add(el.text, link)  # type: ignore[attr-defined]
            for child in el:  # type: ignore[attr-defined]
                walk(child, link, here_heading)
        if is_block:
            flush(here_heading)
            path.pop()
            hints.pop()
        tail = el.tail  # type: ignore[attr-defined]
        if tail:
            _add(tail, in_link)

    def _add(text: str, in_link: bool) -> None:
        buf.append(text)
        if in_link:
            link_buf[0] += len(normalise(text))

    walk(body, False, False)
    flush(False)


def _is_title(el: object) -> bool:
    get = el.get  # type: ignore[attr-defined]
    return any(_TITLE_HINT.search(n) for n in (get("id") or "").split() + (get("class") or "").split())
