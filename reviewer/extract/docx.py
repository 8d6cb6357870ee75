"""DOCX: every story of a WordprocessingML package, read from its XML so that nothing Word keeps is skipped.

Body paragraphs and tables, headers and footers, footnotes and endnotes, comments with their author, tracked
insertions and deletions (w:delText is read), hidden (w:vanish) text, text boxes, field codes, charts, SmartArt,
custom XML, embedded documents and the core/app/custom properties.

Each story becomes one part in its "current" view (insertions and hidden text included and marked); paragraphs with
tracked deletions also get a `spans_only` part in their pre-revision view, so a term split by a deletion is found and
text that merely repeats the current view is not reported twice.
"""

from __future__ import annotations

import email
import email.policy
import re
from dataclasses import dataclass, replace
from pathlib import PurePosixPath
from xml.etree.ElementTree import Element

from reviewer.errors import ExtractionError
from reviewer.extract.cells import reader_join
from reviewer.extract.context import Context, prefixed
from reviewer.extract.links import link_text, link_texts
from reviewer.extract.model import Extraction, ExtractionIssue, TextPart
from reviewer.extract.ooxml import (
    Package,
    drawing_text,
    external_targets,
    image_issue,
    leftover_text,
    local,
    main_part,
    media_metadata,
    properties,
    typed_relationships,
)
from reviewer.extract.parts import PartBuilder

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_MATH = "{http://schemas.openxmlformats.org/officeDocument/2006/math}"
_MC = "{http://schemas.openxmlformats.org/markup-compatibility/2006}"
_OFF = {"0", "false", "off", "none"}
HIDDEN = "隐藏文字"
_FORM_FIELD = {"helpText": "表单域帮助文字", "statusText": "表单域状态栏文字", "listEntry": "表单域选项",
               "default": "表单域默认文字"}
_STRUCTURE_KINDS = ("内容控件标题", "内容控件标记", "内容控件选项", "书签名称", "表单域帮助文字", "表单域状态栏文字", "表单域选项",
                    "表单域默认文字", "表格替代文字标题", "表格替代文字说明", "超链接提示文字", "链接图片路径")
_AUTO_BOOKMARK = re.compile(r"_(?:GoBack|Toc|Hlk|Ref|Int|PictureBullets)\d*|_[A-Za-z]+_?\d{5,}")
SYMBOL = "符号字符（w:sym）"
_R = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
_VML = "{urn:schemas-microsoft-com:vml}"
_OFFICE = "{urn:schemas-microsoft-com:office:office}"
# Adobe Symbol encoding 0x20-0x7E (Word writes Symbol characters as F020-F07E): Greek letters and math signs.
_SYMBOL_FONT = (
    " !∀#∃%&∋()∗+,−./0123456789:;<=>?≅ΑΒΧΔΕΦΓΗΙϑΚΛΜΝΟΠΘΡΣΤΥςΩΞΨΖ[∴]⊥_‾αβχδεφγηιϕκλμνοπθρστυϖωξψζ{|}∼"
)


def sym_char(font: str, code: str) -> str:
    """The character a `w:sym` shows. Codes F000-F0FF are a symbol font's own slots: the Symbol font is mapped to
    Unicode; other symbol fonts (Wingdings …) draw pictures, not text. Any other code is the Unicode character."""
    try:
        value = int(code, 16)
    except ValueError:
        return ""
    if 0xF000 <= value <= 0xF0FF:
        value -= 0xF000
        if "symbol" in font.lower() and 0x20 <= value <= 0x7E:
            return _SYMBOL_FONT[value - 0x20]
        return ""
    if value <= 0x1F or 0xD800 <= value <= 0xDFFF or value > 0x10FFFF:
        return ""
    return chr(value)


_QUOTED = re.compile(r'"([^"]*)"')
_SYMBOL_FIELD = re.compile(r"\bSYMBOL\s+(0[xX][0-9A-Fa-f]+|\d+)", re.I)


def _symbol_field_chars(codes: str) -> list[str]:
    out = []
    for m in _SYMBOL_FIELD.finditer(codes):
        number = m.group(1)
        value = int(number, 16) if number[:2].lower() == "0x" else int(number)
        if 0x20 <= value <= 0x10FFFF and not 0xD800 <= value <= 0xDFFF:
            out.append(chr(value))
    return out


def branches(alt: Element) -> list[Element]:
    """Every branch of an mc:AlternateContent (each mc:Choice and the mc:Fallback): a consumer shows one of them,
    which one depends on the program, so all are read; a branch that repeats an earlier one's text is left out."""
    seen: set[str] = set()
    out: list[Element] = []
    for branch in alt:
        key = "".join(branch.itertext())
        if key in seen:
            continue
        seen.add(key)
        out.append(branch)
    return out


@dataclass(frozen=True, slots=True)
class _Seg:
    text: str
    ins: str | None = None  # author of a tracked insertion
    dele: str | None = None  # author of a tracked deletion
    hidden: bool = False
    symbol: bool = False  # a w:sym character


@dataclass(frozen=True, slots=True)
class _State:
    ins: str | None = None
    dele: str | None = None
    hidden: bool = False  # the paragraph's style hides its text


class _Story:
    """The builders of one story (body, headers, comments, …): current view, pre-revision view, field codes."""

    def __init__(self, location: str, ctx: Context) -> None:
        self.current = PartBuilder(location, ctx.budget)
        self.original = PartBuilder(f"{location}（修订前）", ctx.budget, spans_only=True)
        self.fields = PartBuilder(f"域代码 · {location}", ctx.budget)

    def parts(self) -> list[TextPart]:
        return [p for p in (self.current.build(), self.original.build(), self.fields.build()) if p]


def _cells(row: Element) -> list[Element]:
    """The cells of a table row, also those wrapped in a content control."""
    out: list[Element] = []
    for child in row:
        if child.tag == f"{W}tc":
            out.append(child)
        elif child.tag in (f"{W}sdt", f"{W}customXml"):
            inner = child.find(f"{W}sdtContent")
            out.extend(_cells(inner if inner is not None else child))
    return out


def _hidden_styles(pkg: Package) -> set[str]:
    """Ids of paragraph and character styles that hide their text (w:vanish in the style or a style it is based on)."""
    if "word/styles.xml" not in pkg:
        return set()
    own: dict[str, tuple[bool | None, str | None]] = {}
    for style in pkg.xml("word/styles.xml").iter(f"{W}style"):
        vanish = style.find(f"{W}rPr/{W}vanish")
        based = style.find(f"{W}basedOn")
        flag = None if vanish is None else vanish.get(f"{W}val", "true").lower() not in _OFF
        own[style.get(f"{W}styleId", "")] = (flag, based.get(f"{W}val") if based is not None else None)
    hidden: set[str] = set()
    for style_id in own:
        current: str | None = style_id
        for _ in range(20):  # basedOn chains are short; a cycle must not loop forever
            if current is None or current not in own:
                break
            flag, current_based = own[current]
            if flag is not None:
                if flag:
                    hidden.add(style_id)
                break
            current = current_based
    return hidden


def mime_html(data: bytes) -> bytes | None:
    """The HTML of an MHT (MIME "web archive") part, decoded from its transfer encoding; None if it has none."""
    message = email.message_from_bytes(data, policy=email.policy.compat32)
    for part in message.walk():
        if part.get_content_type() in ("text/html", "application/xhtml+xml"):
            payload = part.get_payload(decode=True)
            if isinstance(payload, bytes):
                charset = part.get_content_charset()
                if charset:
                    try:
                        return payload.decode(charset).encode("utf-8")
                    except (LookupError, UnicodeDecodeError):
                        return payload
                return payload
    return None


def _numbering_labels(pkg: Package, ctx: Context) -> TextPart | None:
    """The literal text of list labels (`w:lvlText w:val="…%1…"`): Word prints it before every item of the list."""
    if "word/numbering.xml" not in pkg:
        return None
    b = PartBuilder("列表编号文字", ctx.budget)
    for abstract in pkg.xml("word/numbering.xml").iter(f"{W}abstractNum"):
        number = abstract.get(f"{W}abstractNumId", "")
        for lvl in abstract.iter(f"{W}lvl"):
            text = lvl.find(f"{W}lvlText")
            value = text.get(f"{W}val", "") if text is not None else ""
            literal = re.sub(r"%\d", "", value)
            if re.search(r"[^\s\d.．、,，:：()（）\-–—·•*]", literal):
                b.add(f"列表编号文字（编号定义{number} 第{int(lvl.get(f'{W}ilvl', '0') or 0) + 1}级）", literal)
    return b.build()


def _author(el: Element) -> str:
    return el.get(f"{W}author") or "未知"


class _DocxReader:
    def __init__(self, pkg: Package, ctx: Context) -> None:
        self.pkg = pkg
        self.ctx = ctx
        self.parts: list[TextPart] = []
        self.issues: list[ExtractionIssue] = []
        self.anchors: dict[str, str] = {}  # comment id -> where in the body it is anchored
        self.boxes: list[tuple[str, Element]] = []
        self._paragraphs = 0
        self._tables = 0
        self._pending_anchors: list[str] = []
        self._pending_boxes: list[Element] = []
        self._pending_extras: list[tuple[str, str]] = []
        self.extras: list[tuple[str, str, str]] = []  # (kind, where, text): WordArt, picture descriptions
        self.rels: dict[str, str] = {}
        self.hidden_styles = _hidden_styles(pkg)
        self._last_label = ""

    # -- blocks ----------------------------------------------------------------------------------------------------
    def blocks(self, parent: Element, story: _Story, label: str | None, numbered: bool = False) -> None:
        """Paragraphs and tables of a block container. `numbered` counts body paragraphs as `正文 第N段`."""
        for child in parent:
            tag = child.tag
            if tag == f"{W}p":
                self.paragraph(child, story, label, numbered)
            elif tag == f"{W}tbl":
                self.table(child, story, label)
            elif tag == f"{_MC}AlternateContent":
                for branch in branches(child):
                    self.blocks(branch, story, label, numbered)
            elif tag == f"{W}altChunk":
                self.alt_chunk(child, label)
            elif tag in (f"{W}pPr", f"{W}sectPr", f"{W}tblPr", f"{W}rPr"):
                continue
            elif tag in (f"{W}sdtPr", f"{W}bookmarkStart"):
                self._structure(child)
            else:  # w:sdt/w:sdtContent, w:customXml, w:ins/w:del around blocks …
                self.blocks(child, story, label, numbered)

    def table(self, tbl: Element, story: _Story, label: str | None) -> None:
        self._tables += 1
        name = f"表格{self._tables}"
        prefix = f"{label} · {name}" if label and not label.startswith("正文") else name
        for what, kind in (("tblCaption", "表格替代文字标题"), ("tblDescription", "表格替代文字说明")):
            node = tbl.find(f"{W}tblPr/{W}{what}")
            if node is not None and node.get(f"{W}val", "").strip():
                self.extras.append((kind, prefix, node.get(f"{W}val", "")))
        rows: list[list[str]] = []  # cell texts, for the reader's join of numbers cut over cells (extract/cells.py)
        for r, row in enumerate((c for c in tbl if c.tag == f"{W}tr"), 1):
            self.ctx.budget.check_time()
            rows.append([])
            for col, cell in enumerate(_cells(row), 1):
                self.blocks(cell, story, f"{prefix} 第{r}行第{col}列")
                rows[-1].append("".join(t.text or "" for t in cell.iter(f"{W}t")))
        joined = reader_join(prefix, rows, self.ctx.budget)
        if joined:
            self.parts.append(joined)

    def paragraph(self, p: Element, story: _Story, label: str | None, numbered: bool) -> None:
        segs: list[_Seg] = []
        fields: list[str] = []
        style = p.find(f"{W}pPr/{W}pStyle")
        self._walk(p, _State(hidden=style is not None and style.get(f"{W}val") in self.hidden_styles), segs, fields, label)
        if not any(s.text.strip() for s in segs) and not fields:
            # a paragraph holding only a text box or a comment anchor: name it after its neighbour
            near = label or (f"位于{self._last_label}之后" if self._last_label else story.current.location)
            self._settle(near, near)
            return
        if numbered and label is None:
            self._paragraphs += 1
            where = f"正文 第{self._paragraphs}段"
        else:
            where = label or story.current.location
        self._last_label = where
        self._settle(where, where)
        current = [s for s in segs if s.dele is None]
        if any(s.text.strip() for s in current):
            story.current.begin(where)
            for s in current:
                marks = [f"修订-插入（作者：{s.ins}）"] if s.ins else []
                if s.hidden:
                    marks.append(HIDDEN)
                if s.symbol:
                    marks.append(SYMBOL)
                story.current.write(s.text, *marks)
        if any(s.dele for s in segs):
            story.original.begin(where)
            for s in segs:
                if s.ins is None:
                    story.original.write(s.text, *([f"修订-删除（作者：{s.dele}）"] if s.dele else []))
        if fields:
            codes = "".join(fields)
            shown = "".join(_symbol_field_chars(codes))  # SYMBOL 36196 \f "宋体" prints 赤
            # HYPERLINK, INCLUDEPICTURE, INCLUDETEXT, LINK: their targets percent-decoded (UTF-8, GBK) as well
            decoded = [t for quoted in _QUOTED.findall(codes) if "%" in quoted for t in link_texts(quoted)]
            story.fields.add(where, "\n".join([codes, *([shown] if shown else []), *decoded]))

    def _settle(self, anchor: str, box_label: str) -> None:
        """Comment anchors and text boxes met inside a paragraph learn the paragraph's location."""
        for cid in self._pending_anchors:
            self.anchors.setdefault(cid, anchor)
        self._pending_anchors.clear()
        self.boxes.extend((box_label, box) for box in self._pending_boxes)
        self._pending_boxes.clear()
        for kind, text in self._pending_extras:
            self.extras.append((kind, box_label, text))
        self._pending_extras.clear()

    # -- inline content --------------------------------------------------------------------------------------------
    def _walk(self, el: Element, state: _State, segs: list[_Seg], fields: list[str], label: str | None) -> None:
        for child in el:
            tag = child.tag
            if tag == f"{W}r":
                self._run(child, state, segs, fields, label)
            elif tag in (f"{W}ins", f"{W}moveTo"):
                self._walk(child, replace(state, ins=_author(child)), segs, fields, label)
            elif tag in (f"{W}del", f"{W}moveFrom"):
                self._walk(child, replace(state, dele=_author(child)), segs, fields, label)
            elif tag in (f"{W}pPr", f"{W}rPr"):
                continue
            elif tag in (f"{W}commentRangeStart", f"{W}commentReference"):
                self._pending_anchors.append(child.get(f"{W}id", ""))
            elif tag == f"{W}txbxContent":
                self._pending_boxes.append(child)
            elif tag == f"{_MATH}t":
                segs.append(_Seg(child.text or "", state.ins, state.dele))
            elif tag == f"{_MC}AlternateContent":
                for branch in branches(child):
                    self._walk(branch, state, segs, fields, label)
            elif tag in (f"{W}sdtPr", f"{W}bookmarkStart"):
                self._structure(child)
            else:  # w:hyperlink, w:smartTag, w:sdt, w:fldSimple, w:customXml, m:oMath …
                if tag == f"{W}fldSimple" and child.get(f"{W}instr"):
                    fields.append(child.get(f"{W}instr", ""))
                if tag == f"{W}hyperlink" and child.get(f"{W}tooltip", "").strip():
                    self._pending_extras.append(("超链接提示文字", child.get(f"{W}tooltip", "")))
                self._walk(child, state, segs, fields, label)

    def _run(self, r: Element, state: _State, segs: list[_Seg], fields: list[str], label: str | None) -> None:
        hidden = state.hidden
        rpr = r.find(f"{W}rPr")
        if rpr is not None:
            vanish = rpr.find(f"{W}vanish")
            style = rpr.find(f"{W}rStyle")
            if vanish is not None:
                hidden = vanish.get(f"{W}val", "true").lower() not in _OFF
            elif style is not None and style.get(f"{W}val") in self.hidden_styles:
                hidden = True
        self._run_content(r, _State(state.ins, state.dele, hidden), segs, fields, label)

    def _run_content(self, r: Element, state: _State, segs: list[_Seg], fields: list[str], label: str | None) -> None:
        for child in r:
            tag = child.tag
            text = ""
            marks_sym = False
            if tag in (f"{W}t", f"{W}delText"):
                text = child.text or ""
            elif tag == f"{W}tab":
                text = "\t"
            elif tag in (f"{W}br", f"{W}cr"):
                text = "\n"
            elif tag == f"{W}noBreakHyphen":
                text = "-"
            elif tag == f"{W}sym":
                text = sym_char(child.get(f"{W}font", ""), child.get(f"{W}char", ""))
                marks_sym = True
            elif tag in (f"{W}instrText", f"{W}delInstrText"):
                fields.append(child.text or "")
            elif tag == f"{W}commentReference":
                self._pending_anchors.append(child.get(f"{W}id", ""))
            elif tag == f"{_MC}AlternateContent":  # run content in each branch (a consumer shows one of them)
                for branch in branches(child):
                    self._run_content(branch, state, segs, fields, label)
            elif tag == f"{W}ruby":  # phonetic guide: the base text inline, the guide text too
                self._walk(child, state, segs, fields, label)
            elif tag != f"{W}rPr":  # w:drawing, w:pict, w:object: text boxes, WordArt and picture descriptions
                self._objects(child)
            if text:
                segs.append(_Seg(text, state.ins, state.dele, state.hidden, marks_sym))

    def _objects(self, el: Element) -> None:
        """Text boxes, VML WordArt (`v:textpath string=`) and picture descriptions (`wp:docPr descr/title`,
        `pic:cNvPr`, VML `alt`/`o:title`) inside a drawing or picture, settled with the paragraph they sit in."""
        self._pending_boxes.extend(el.iter(f"{W}txbxContent"))
        for node in el.iter():
            name = local(node.tag)
            if node.tag.startswith(W) and name in _FORM_FIELD:  # legacy form field (w:ffData): help, status bar …
                value = node.get(f"{W}val", "")
                if value.strip() and (name != "default" or local(el.tag) == "fldChar"):
                    self._pending_extras.append((_FORM_FIELD[name], value))
            elif name == "textpath" and node.get("string"):
                self._pending_extras.append(("艺术字", node.get("string", "")))
            elif name in ("docPr", "cNvPr"):
                for attr in ("descr", "title"):
                    if node.get(attr, "").strip():
                        self._pending_extras.append(("图片说明文字", node.get(attr, "")))
            elif node.tag.startswith(_VML):
                for attr in ("alt", f"{_OFFICE}title", "title"):
                    if node.get(attr, "").strip():
                        self._pending_extras.append(("图片说明文字", node.get(attr, "")))
                if node.get(f"{_OFFICE}href", "").strip():  # v:imagedata o:href: where a linked picture was taken from
                    self._pending_extras.append(("链接图片路径", link_text(node.get(f"{_OFFICE}href", ""))))

    def _structure(self, el: Element) -> None:
        """Content-control titles and tags (w:sdtPr alias/tag) and bookmark names, settled with the paragraph they
        open; Word's own bookmarks (_GoBack, _Toc123 …) carry no text."""
        if el.tag == f"{W}bookmarkStart":
            name = el.get(f"{W}name", "")
            if name.strip() and not _AUTO_BOOKMARK.fullmatch(name):
                self._pending_extras.append(("书签名称", name))
            return
        for what, kind in (("alias", "内容控件标题"), ("tag", "内容控件标记")):
            node = el.find(f"{W}{what}")
            if node is not None and node.get(f"{W}val", "").strip():
                self._pending_extras.append((kind, node.get(f"{W}val", "")))
        for entry in el.iter(f"{W}listItem"):  # drop-down and combo-box choices
            for attr in ("displayText", "value"):
                if entry.get(f"{W}{attr}", "").strip():
                    self._pending_extras.append(("内容控件选项", entry.get(f"{W}{attr}", "")))

    def alt_chunk(self, el: Element, label: str | None) -> None:
        """w:altChunk: a whole HTML, MHT, RTF, text or Word part imported into the body when Word opens the file."""
        target = self.rels.get(el.get(f"{_R}id", ""))
        where = f"嵌入内容（altChunk，{label or (f'位于{self._last_label}之后' if self._last_label else '正文')}）"
        if target is None or target not in self.pkg:
            raise ExtractionError("Word 文档的嵌入内容（altChunk）指向不存在的部件，文件已损坏或被篡改，无法审查")
        data = self.pkg.read(target)
        suffix = PurePosixPath(target).suffix.lower()
        html = mime_html(data) if suffix in (".mht", ".mhtml") or data[:400].lstrip().lower().startswith(b"mime-version") else None
        if html is not None:
            data, suffix = html, ".html"
        if suffix in (".htm", ".xhtml", ".xml"):
            suffix = ".html"
        inner = self.ctx.read_nested(data, f"altchunk{suffix}", Context(self.ctx.budget, self.ctx.depth + 1, self.ctx.read_nested))
        if inner.error:
            raise ExtractionError(f"Word 文档的嵌入内容（altChunk）无法读取：{inner.error}")
        self.parts.extend(TextPart(p.text, f"{where} · {p.location}", prefixed(p.spans, where), p.spans_only) for p in inner.parts)
        self.issues.extend(replace(i, location=f"{where} · {i.location}") for i in inner.issues)

    # -- stories ---------------------------------------------------------------------------------------------------
    def story(self, location: str, root: Element, numbered: bool = False) -> None:
        story = _Story(location, self.ctx)
        self.blocks(root, story, None, numbered)
        self.parts.extend(story.parts())

    def notes(self, name: str, kind: str, label: str) -> None:
        if name not in self.pkg:
            return
        story = _Story(label, self.ctx)
        n = 0
        for note in self.pkg.xml(name):
            if local(note.tag) != kind or note.get(f"{W}type") in ("separator", "continuationSeparator", "continuationNotice"):
                continue
            n += 1
            self.blocks(note, story, f"{label}{n}")
        self.parts.extend(story.parts())

    def comments(self, names: dict[str, None]) -> None:
        story = _Story("批注", self.ctx)
        for comment in (c for name in names if name in self.pkg for c in self.pkg.xml(name)):
            if local(comment.tag) != "comment":
                continue
            where = f"批注（作者：{_author(comment)}）"
            anchor = self.anchors.get(comment.get(f"{W}id", ""))
            self.blocks(comment, story, f"{where} · 位于{anchor}" if anchor else where)
        self.parts.extend(story.parts())

    def text_boxes(self) -> None:
        story = _Story("文本框", self.ctx)
        seen: set[str] = set()
        i = 0
        while i < len(self.boxes):  # a text box may hold another one
            where, box = self.boxes[i]
            i += 1
            key = "".join(box.itertext())
            if key in seen:  # Word stores each box twice (DrawingML choice and VML fallback)
                continue
            seen.add(key)
            self.blocks(box, story, f"文本框（{where}）" if where else "文本框")
        self.parts.extend(story.parts())

    def generic(self, pattern: str, location: str) -> None:
        for name in self.pkg.matching(pattern):
            text = drawing_text(self.pkg.xml(name))
            if text.strip():
                b = PartBuilder(f"{location}（{PurePosixPath(name).name}）", self.ctx.budget)
                b.add(b.location, text)
                part = b.build()
                if part:
                    self.parts.append(part)

    def extras_part(self) -> None:
        # a content control or bookmark after the last paragraph of a story (an empty control at the end): still read
        self.extras.extend((kind, f"位于{self._last_label}之后" if self._last_label else "", text)
                           for kind, text in self._pending_extras)
        self._pending_extras.clear()
        for kind in ("艺术字", "图片说明文字", *_STRUCTURE_KINDS):
            b = PartBuilder(kind, self.ctx.budget)
            seen: set[tuple[str, str]] = set()
            for what, where, text in self.extras:
                if what == kind and (where, text) not in seen:
                    seen.add((where, text))
                    b.add(f"{kind}（{where}）" if where else kind, text)
            part = b.build()
            if part:
                self.parts.append(part)

    def doc_variables(self) -> None:
        """Document variables (`w:docVar`, settings.xml): DOCVARIABLE fields print them."""
        if "word/settings.xml" not in self.pkg:
            return
        b = PartBuilder("文档变量", self.ctx.budget)
        for var in self.pkg.xml("word/settings.xml").iter(f"{W}docVar"):
            b.add(f"文档变量:{var.get(f'{W}name', '')}", var.get(f"{W}val", ""))
        part = b.build()
        if part:
            self.parts.append(part)

    def embeddings(self) -> None:
        for name in self.pkg.matching(r"word/embeddings/.+"):
            file = PurePosixPath(name).name
            parts, issues = self.ctx.embedded(self.pkg.read(name), file, f"嵌入对象“{file}”")
            self.parts.extend(parts)
            self.issues.extend(issues)


def extract_docx(data: bytes, ctx: Context) -> Extraction:
    try:
        return _extract(data, ctx)
    except RecursionError as exc:  # the walk follows the XML's nesting; Word nests a few levels, an attack thousands
        raise ExtractionError("Word 文档的结构嵌套层次异常深（疑似恶意构造），无法完整读取") from exc


def _extract(data: bytes, ctx: Context) -> Extraction:
    pkg = Package(data, ctx.budget, "Word 文档")
    reader = _DocxReader(pkg, ctx)
    main = main_part(pkg, "word/document.xml")
    if main not in pkg:
        raise ExtractionError("Word 文档缺少正文部件（word/document.xml），文件可能已损坏，无法审查")
    folder = str(PurePosixPath(main).parent)
    rels = typed_relationships(pkg, f"{folder}/_rels/{PurePosixPath(main).name}.rels", folder)
    reader.rels = {rid: path for rid, _kind, path in rels}
    by_type: dict[str, list[str]] = {}
    for _rid, kind, path in rels:
        if path in pkg and path not in by_type.setdefault(kind, []):
            by_type[kind].append(path)
    root = pkg.xml(main)
    if root.tag != f"{W}document":  # another vocabulary: reading it as Word would find nothing and pass
        raise ExtractionError("Word 文档的正文部件不是可识别的 WordprocessingML 格式，无法审查；请用 Word 另存为 .docx 后提交")
    body = root.find(f"{W}body")
    reader.story("正文", body if body is not None else root, numbered=True)
    # Stories by their relationships (a header part may have any name) and by the usual names.
    for kind, location in (("header", "页眉"), ("footer", "页脚")):
        names = pkg.matching(rf"word/{kind}\d*\.xml")
        for name in names + [n for n in by_type.get(kind, []) if n not in names]:
            reader.story(location, pkg.xml(name))
    for kind, default, element, location in (
        ("footnotes", "word/footnotes.xml", "footnote", "脚注"),
        ("endnotes", "word/endnotes.xml", "endnote", "尾注"),
    ):
        for name in dict.fromkeys([default, *by_type.get(kind, [])]):
            reader.notes(name, element, location)
    reader.comments(dict.fromkeys(["word/comments.xml", *by_type.get("comments", [])]))
    if "word/glossary/document.xml" in pkg:
        reader.story("文档部件库", pkg.xml("word/glossary/document.xml"))
    reader.text_boxes()
    reader.generic(r"word/charts/chart\d*\.xml", "图表")
    reader.generic(r"word/diagrams/data\d*\.xml", "SmartArt图形")
    reader.generic(r"customXml/item\d+\.xml", "自定义XML部件")
    reader.embeddings()
    reader.extras_part()
    labels = _numbering_labels(pkg, ctx)
    if labels:
        reader.parts.append(labels)
    reader.doc_variables()
    body_text = any(p.location.startswith("正文") and p.text.strip() for p in reader.parts)
    pictures, picture_issues = media_metadata(pkg, "word/media/", ctx.budget)
    reader.parts.extend(pictures)
    reader.issues.extend(picture_issues)
    images = image_issue(pkg, "word/media/", body_text)
    if images:
        reader.issues.append(images)
    links = external_targets(pkg, ctx.budget).build()
    if links:
        reader.parts.append(links)
    props = properties(pkg, ctx.budget).build()
    if props:
        reader.parts.append(props)
    rest = leftover_text(pkg, ctx.budget).build()
    if rest:
        reader.parts.append(rest)
    return Extraction(parts=reader.parts, kind="docx", issues=reader.issues)
