"""XML files (.xml, feeds, data exports): every text node (CDATA included), every attribute value, comments and
processing instructions, each located by its element path (`/rss/channel/item[3]/title`, `…/enclosure/@url`).

Mixed content (`<p>机<b>密</b>★5年</p>`) is read as one place, as a reader of the rendered element sees it. Text that
is escaped HTML (an RSS `description`) is also read through the HTML extractor, so that markup between the characters
of a term does not hide it.

Safety: a DOCTYPE without declarations is accepted (RSS 0.91 carries one); entity declarations (billion laughs) and
external entities are refused (defusedxml), an undefined entity is a parse error: the file is an `error`, never a pass.
"""

from __future__ import annotations

import codecs
import re
from xml.etree.ElementTree import Element, ParseError, TreeBuilder

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import DefusedXMLParser

from reviewer.errors import ExtractionError
from reviewer.extract.limits import Budget
from reviewer.extract.model import Extraction, TextPart
from reviewer.extract.parts import PartBuilder

_DECL = re.compile(rb"""^(\xef\xbb\xbf)?\s*<\?xml[^>]*?encoding\s*=\s*["']([A-Za-z0-9._\-]+)["']""")
_NATIVE = {"utf-8", "utf8", "utf-16", "utf16", "us-ascii", "ascii", "iso-8859-1", "latin-1", "latin1"}
_MARKUP = re.compile(r"<(?:[A-Za-z][\w:-]*|/[A-Za-z][\w:-]*|!--)[^<>]*>")
_CHUNK = 1 << 20


def local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _bytes_for_expat(data: bytes) -> bytes:
    """Expat reads UTF-8/UTF-16/Latin-1 only: a GBK/GB18030/Big5 file is decoded here and handed over as UTF-8 with its
    declaration rewritten; a file without a declaration that is not UTF-8 is tried as GB18030."""
    m = _DECL.match(data[:512])
    if m:
        name = m.group(2).decode("ascii").lower()
        if name in _NATIVE:
            return data
        if name in ("gb2312", "gbk", "x-gbk", "gb_2312-80", "cp936"):
            name = "gb18030"
        try:
            codecs.lookup(name)
            text = data.decode(name)
        except (LookupError, UnicodeDecodeError) as exc:
            raise ExtractionError(f"XML 文件声明的编码“{name[:20]}”无法识别或与内容不符，无法审查") from exc
        text = text.lstrip("\ufeff")
        text = re.sub(r"""encoding\s*=\s*["'][^"']*["']""", 'encoding="utf-8"', text, count=1)
        return text.encode("utf-8")
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return data
    try:
        data.decode("utf-8")
        return data
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("gb18030").encode("utf-8")
    except UnicodeDecodeError as exc:
        raise ExtractionError("XML 文件既不是 UTF-8 编码，也未声明编码，无法识别，无法审查") from exc


def parse(data: bytes, budget: Budget, what: str = "XML 文件") -> Element:
    """The document tree, comments and processing instructions kept; no entity declarations, no external entities."""
    parser = DefusedXMLParser(target=TreeBuilder(insert_comments=True, insert_pis=True), forbid_dtd=False,
                              forbid_entities=True, forbid_external=True)
    raw = _bytes_for_expat(data)
    try:
        for i in range(0, len(raw), _CHUNK):
            budget.check_time()
            parser.feed(raw[i : i + _CHUNK])
        root: Element = parser.close()
    except DefusedXmlException as exc:
        raise ExtractionError(f"{what}含有实体声明或外部实体（可能是 XML 实体攻击），拒绝处理") from exc
    except ParseError as exc:
        line, column = getattr(exc, "position", (0, 0))
        raise ExtractionError(f"{what}不是有效的 XML（第 {line} 行第 {column} 列出错），文件可能已损坏或被截断，无法审查") from exc
    except (ValueError, LookupError) as exc:
        raise ExtractionError(f"{what}不是有效的 XML（编码声明或内容异常），无法审查") from exc
    return root


def _is_special(el: Element) -> bool:
    return not isinstance(el.tag, str)  # Comment and ProcessingInstruction have factory functions as tags


def _mixed(el: Element) -> bool:
    """Text interleaved with child elements: read as one place."""
    children = [c for c in el if not _is_special(c)]
    if not children:
        return False
    return bool((el.text or "").strip()) or any((c.tail or "").strip() for c in children)


def _shown(el: Element) -> str:
    """The text of an element and its descendants in reading order, comments and PIs left out."""
    out: list[str] = []
    stack: list[tuple[Element, bool]] = [(el, False)]
    while stack:
        node, after = stack.pop()
        if after:
            out.append(node.tail or "")
            continue
        if _is_special(node):
            out.append(node.tail or "")
            continue
        out.append(node.text or "")
        for child in reversed(list(node)):
            if child is not el:
                stack.append((child, True))
                stack.append((child, False))
    return "".join(out)


def read_tree(root: Element, budget: Budget, *, prefix: str = "", location: str = "XML") -> list[TextPart]:
    """Text nodes, attributes, comments/PIs and escaped HTML of one tree as parts; locations are element paths."""
    texts = PartBuilder(f"{location}文本", budget)
    attrs = PartBuilder(f"{location}属性", budget)
    notes = PartBuilder(f"{location}注释与处理指令", budget)
    markup = PartBuilder(f"{location}文本中的HTML", budget)
    names: dict[str, str] = {}  # tag -> local name (a data export repeats a few tags millions of times)

    def name_of(tag: str) -> str:
        got = names.get(tag)
        if got is None:
            got = names[tag] = local(tag)
        return got

    # (element, path, its text already read with a mixed-content ancestor)
    stack: list[tuple[Element, str, bool]] = [(root, f"{prefix}/{local(str(root.tag))}", False)]
    count = 0
    while stack:
        el, path, read = stack.pop()
        count += 1
        if count % 2000 == 0:
            budget.check_time()
        for name, value in el.attrib.items():
            if value.strip():
                attrs.add(f"{path}/@{name_of(name)}", value.strip())
        children = list(el)
        mixed = not read and bool(children) and _mixed(el)
        if mixed:
            text = _shown(el)
            texts.add(path, text.strip())
            _html(markup, path, text, budget)
        elif not read and el.text and not el.text.isspace():
            text = el.text.strip()
            texts.add(path, text)
            _html(markup, path, text, budget)
        if not children:
            continue
        tags = [c.tag if isinstance(c.tag, str) else None for c in children]
        totals: dict[str, int] = {}
        for tag in tags:
            if tag is not None:
                totals[tag] = totals.get(tag, 0) + 1
        seen: dict[str, int] = {}
        pending: list[tuple[Element, str, bool]] = []
        for c, tag in zip(children, tags, strict=True):
            if tag is None:
                kind = "注释" if "Comment" in getattr(c.tag, "__name__", "") else "处理指令"
                notes.add(f"{path}（{kind}）", (c.text or "").strip())
                if not (read or mixed):  # text after a comment is the parent's text
                    texts.add(path, (c.tail or "").strip())
                continue
            if totals[tag] > 1:
                seen[tag] = seen.get(tag, 0) + 1
                child_path = f"{path}/{name_of(tag)}[{seen[tag]}]"
            else:
                child_path = f"{path}/{name_of(tag)}"
            pending.append((c, child_path, read or mixed))
        stack.extend(reversed(pending))
    return [p for p in (b.build() for b in (texts, attrs, notes, markup)) if p]


def _html(builder: PartBuilder, path: str, text: str, budget: Budget) -> None:
    """Escaped HTML in a text node (feed descriptions): its visible text, so tags between characters hide nothing."""
    if "<" not in text or _MARKUP.search(text) is None:
        return
    from reviewer.extract.html import extract_html

    for part in extract_html(text.encode("utf-8"), budget).parts:
        if part.location == "正文":
            builder.add(f"{path}（HTML正文）", part.text.strip())
        else:
            builder.add(f"{path}（HTML {part.location}）", part.text.strip())


_PROLOG_ITEM = re.compile(r"\s*(?:<!--(.*?)-->|<\?(.*?)\?>|<!DOCTYPE[^<>\[]*(?:\[[^\]]*\])?\s*>)", re.S | re.I)


def _outside(raw: bytes, root: Element, budget: Budget) -> TextPart | None:
    """Comments and processing instructions before and after the root element (the tree keeps only those inside)."""
    text = raw.decode("utf-8", "replace") if not raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) \
        else raw.decode("utf-16", "replace")
    text = text.lstrip("\ufeff")
    b = PartBuilder("XML注释与处理指令（根元素之外）", budget)
    pos = 0
    while (m := _PROLOG_ITEM.match(text, pos)) is not None and m.end() > pos:
        found = m.group(1) if m.group(1) is not None else m.group(2)
        if found and found.strip() and not (m.group(2) is not None and found.startswith("xml ")):
            b.add("根元素之前", found.strip())
        pos = m.end()
    name = re.escape(local(str(root.tag)))
    ends = list(re.finditer(rf"</(?:[\w.-]+:)?{name}\s*>", text[-1_000_000:]))
    tail = text[-1_000_000:][ends[-1].end() :] if ends else ""
    for m in re.finditer(r"<!--(.*?)-->|<\?(.*?)\?>", tail, re.S):
        found = m.group(1) if m.group(1) is not None else m.group(2)
        b.add("根元素之后", (found or "").strip())
    return b.build()


def extract_xml(data: bytes, budget: Budget) -> Extraction:
    root = parse(data, budget)
    if local(str(root.tag)).lower() == "svg":
        raise ExtractionError("文件是 SVG 图形：其中的文字可能以路径绘制，无法提取核对，无法审查；请转为 PNG 或 PDF 后提交")
    parts = read_tree(root, budget)
    outside = _outside(_bytes_for_expat(data), root, budget)
    return Extraction(parts=parts + ([outside] if outside else []), kind="xml", encoding="utf-8")
