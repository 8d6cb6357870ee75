"""OFD (GB/T 33190, the national fixed-layout format of 电子公文 and e-invoices): a zip whose OFD.xml names each
document (Doc_N/Document.xml), which names its pages (Pages/Page_N/Content.xml) and templates.

Read: the text objects (TextObject/TextCode) of every page and template page, in drawing order, a line per baseline;
annotations (remark, parameters, drawn text); outlines and bookmarks; attachments, read as members through the same
intake as archive members; custom data (CustomTags and the files they name, CustomDatas); metadata (DocInfo: title,
author, subject, abstract, keywords, creator …); and every other XML part (signatures, resources) as leftover text.
Pictures on pages cannot be read as text: a note (a page made only of pictures, such as a scan, needs review).

The render check draws the pages itself (reviewer/render/ofd.py, with the file's own fonts; docs/render.md)."""

from __future__ import annotations

import posixpath
import re
from xml.etree.ElementTree import Element

from reviewer.errors import ExtractionError
from reviewer.extract import mime
from reviewer.extract.context import Context
from reviewer.extract.model import Extraction, ExtractionIssue, TextPart
from reviewer.extract.ooxml import Package, local
from reviewer.extract.parts import PartBuilder
from reviewer.extract.xmlfile import read_tree
from reviewer.scan.model import Severity

WHAT = "OFD 文件"
_INFO = (("Title", "标题"), ("Author", "作者"), ("Subject", "主题"), ("Abstract", "摘要"), ("Creator", "创建程序"),
         ("DocUsage", "文档用途"), ("CreationDate", "创建日期"), ("ModDate", "修改日期"))
_IMAGE = re.compile(r".*\.(png|jpe?g|jb2|jbig2|bmp|tiff?|gif)", re.I)


def _children(el: Element, name: str) -> list[Element]:
    return [c for c in el if local(str(c.tag)) == name]


def _first(el: Element, name: str) -> Element | None:
    found = _children(el, name)
    return found[0] if found else None


def _descendants(el: Element, name: str) -> list[Element]:
    return [c for c in el.iter() if isinstance(c.tag, str) and local(c.tag) == name]


class _Doc:
    def __init__(self, pkg: Package) -> None:
        self.pkg = pkg
        self.base = ""  # the folder of the current Document.xml: producers also write locations relative to it

    def resolve(self, base_dir: str, loc: str | None) -> str:
        """A location in the package: absolute (`/Doc_0/…`), relative to the referring part's folder, or from the root."""
        loc = (loc or "").strip().replace("\\", "/")
        if not loc:
            raise ExtractionError(f"{WHAT}中有部件的位置为空，文件结构异常，无法审查")
        candidates = [loc.lstrip("/")] if loc.startswith("/") else [
            posixpath.normpath(posixpath.join(base_dir, loc)), posixpath.normpath(posixpath.join(self.base, loc)), loc]
        for c in candidates:
            if c in self.pkg:
                return c
        raise ExtractionError(f"{WHAT}缺少一个被引用的部件（页面、注释、附件或模板），文件可能已损坏，无法审查")

    def xml(self, name: str) -> Element:
        return self.pkg.xml(name)


def _float(value: str | None, default: float = 0.0) -> float:
    try:
        return float((value or "").split()[0]) if value and value.split() else default
    except ValueError:
        return default


def _advance(delta: str | None, count: int, size: float) -> float:
    """Width of a TextCode: the sum of its DeltaX (with the `g n v` repeat form) plus one glyph."""
    if not delta:
        return count * size
    tokens = delta.split()
    total, i = 0.0, 0
    try:
        while i < len(tokens):
            if tokens[i] == "g" and i + 2 < len(tokens):
                total += int(tokens[i + 1]) * float(tokens[i + 2])
                i += 3
            else:
                total += float(tokens[i])
                i += 1
    except ValueError:
        return count * size
    return total + size


def page_text(root: Element) -> str:
    """The text objects of one page (or template, or annotation appearance) in drawing order: codes on one baseline
    joined (a space where a gap wider than a glyph and a half lies between), a new line where the baseline moves."""
    out: list[str] = []
    last_y: float | None = None
    last_end = 0.0
    for obj in _descendants(root, "TextObject"):
        box = (obj.get("Boundary") or "0 0 0 0").split()
        bx = _float(box[0] if box else None)
        by = _float(box[1] if len(box) > 1 else None)
        size = _float(obj.get("Size"), 3.5) or 3.5
        x = bx
        y = by
        for code in _children(obj, "TextCode"):
            text = code.text or ""
            if code.get("X") is not None:
                x = bx + _float(code.get("X"))
            if code.get("Y") is not None:
                y = by + _float(code.get("Y"))
            if not text:
                continue
            if last_y is None:
                pass
            elif abs(y - last_y) > size * 0.5:
                out.append("\n")
            elif x - last_end > size * 1.5:
                out.append(" ")
            out.append(text)
            last_y = y
            last_end = x + _advance(code.get("DeltaX"), len(text), size)
            x = last_end
    return "".join(out).strip()


def _annotations(doc: _Doc, base: str, name: str, numbers: dict[str, int], b: PartBuilder) -> None:
    index_path = doc.resolve(base, name)
    for page in _descendants(doc.xml(index_path), "Page"):
        where = f"第{numbers[page.get('PageID', '')]}页" if page.get("PageID", "") in numbers else "未知页面"
        for loc in _children(page, "FileLoc"):
            path = doc.resolve(posixpath.dirname(index_path), loc.text)
            for n, annot in enumerate(_descendants(doc.xml(path), "Annot"), 1):
                kind = annot.get("Type") or annot.get("Subtype") or "注释"
                label = f"{where} 注释{n}（{kind}）"
                texts = [annot.get("Creator", ""), annot.get("Subtype", "") if annot.get("Type") else ""]
                texts += [(r.text or "") for r in _descendants(annot, "Remark")]
                texts += [f"{p.get('Name', '')} {p.text or ''}" for p in _descendants(annot, "Parameter")]
                for appearance in _descendants(annot, "Appearance"):
                    texts.append(page_text(appearance))
                b.add(label, "\n".join(t.strip() for t in texts if t and t.strip()))


def _attachments(doc: _Doc, base: str, name: str, ctx: Context, parts: list[TextPart],
                 issues: list[ExtractionIssue], names: PartBuilder, first: int) -> int:
    index_path = doc.resolve(base, name)
    n = first
    for att in _descendants(doc.xml(index_path), "Attachment"):
        shown = (att.get("Name") or "").strip() or f"附件{n}"
        fmt = (att.get("Format") or "").strip().lower()
        file = shown if not fmt or shown.lower().endswith("." + fmt) else f"{shown}.{fmt}"
        names.add(f"附件“{shown}”（名称）", shown)
        for loc in _children(att, "FileLoc"):
            n += 1
            path = doc.resolve(posixpath.dirname(index_path), loc.text)
            got, notes = mime.read_member(ctx, n, file, doc.pkg.read(path), mime.chained(ctx, f"附件“{shown}”"),
                                          WHAT, strict=True)
            parts.extend(got)
            issues.extend(notes)
    return n


def _custom_tags(doc: _Doc, base: str, name: str, ctx: Context, parts: list[TextPart]) -> None:
    index_path = doc.resolve(base, name)
    for n, tag in enumerate(_descendants(doc.xml(index_path), "CustomTag"), 1):
        for loc in _children(tag, "FileLoc"):
            path = doc.resolve(posixpath.dirname(index_path), loc.text)
            where = f"自定义标引{n}（{posixpath.basename(path)}）"
            parts.extend(read_tree(doc.xml(path), ctx.budget, prefix=where, location=where))


def extract_ofd(data: bytes, ctx: Context) -> Extraction:
    pkg = Package(data, ctx.budget, WHAT)
    doc = _Doc(pkg)
    root = doc.xml("OFD.xml")
    if local(str(root.tag)) != "OFD":
        raise ExtractionError(f"{WHAT}的入口文件 OFD.xml 不是可识别的 OFD 格式，无法审查")
    bodies = _children(root, "DocBody")
    if not bodies:
        raise ExtractionError(f"{WHAT}的入口文件中没有文档（DocBody），文件可能已损坏，无法审查")
    own: list[TextPart] = []
    members: list[TextPart] = []
    issues: list[ExtractionIssue] = []
    has_text = False
    attachment_no = 0
    for d, body in enumerate(bodies, 1):
        tag = f"文档{d} · " if len(bodies) > 1 else ""
        info = PartBuilder(f"{tag}文档信息", ctx.budget)
        docinfo = _first(body, "DocInfo")
        if docinfo is not None:
            for name, label in _INFO:
                for el in _children(docinfo, name):
                    info.add(f"{tag}文档信息:{label}", (el.text or "").strip())
            for el in _descendants(docinfo, "Keyword"):
                info.add(f"{tag}文档信息:关键词", (el.text or "").strip())
            for el in _descendants(docinfo, "CustomData"):
                info.add(f"{tag}文档信息:自定义数据（{(el.get('Name') or '')[:40]}）",
                         f"{el.get('Name', '')} {el.text or ''}".strip())
        root_el = _first(body, "DocRoot")
        if root_el is None:
            raise ExtractionError(f"{WHAT}的文档缺少根节点位置（DocRoot），无法审查")
        doc_path = doc.resolve("", root_el.text)
        document = doc.xml(doc_path)
        base = doc.base = posixpath.dirname(doc_path)
        pages = PartBuilder(f"{tag}页面", ctx.budget)
        numbers: dict[str, int] = {}
        listed = _first(document, "Pages")
        for n, page in enumerate(_descendants(listed, "Page") if listed is not None else [], 1):
            ctx.budget.check_time()
            numbers[page.get("ID", "")] = n
            text = page_text(doc.xml(doc.resolve(base, page.get("BaseLoc"))))
            has_text = has_text or bool(text)
            pages.add(f"{tag}第{n}页", text)
        templates = PartBuilder(f"{tag}模板页", ctx.budget)
        common = _first(document, "CommonData")
        for n, tpl in enumerate(_children(common, "TemplatePage") if common is not None else [], 1):
            templates.add(f"{tag}模板页{n}（{tpl.get('Name') or tpl.get('ID', '')}）",
                          page_text(doc.xml(doc.resolve(base, tpl.get("BaseLoc")))))
        annots = PartBuilder(f"{tag}注释", ctx.budget)
        outline = PartBuilder(f"{tag}大纲与书签", ctx.budget)
        for el in _descendants(document, "OutlineElem"):
            outline.add(f"{tag}大纲", el.get("Title", "").strip())
        for el in _descendants(document, "Bookmark"):
            outline.add(f"{tag}书签", el.get("Name", "").strip())
        names = PartBuilder(f"{tag}附件名称", ctx.budget)
        for child in document:
            kind = local(str(child.tag))
            if kind == "Annotations":
                _annotations(doc, base, child.text or "", numbers, annots)
            elif kind == "Attachments":
                attachment_no = _attachments(doc, base, child.text or "", ctx, members, issues, names, attachment_no)
            elif kind == "CustomTags":
                _custom_tags(doc, base, child.text or "", ctx, own)
        own.extend(p for p in (b.build() for b in (info, pages, templates, annots, outline, names)) if p)
    leftover = [n for n in pkg.names if n not in pkg.visited and n.lower().endswith(".xml")]
    for name in leftover:
        own.extend(read_tree(doc.xml(name), ctx.budget, prefix=f"其他部件（{name}）", location=f"其他部件（{name}）"))
    images = [n for n in pkg.names if _IMAGE.fullmatch(n)]
    if images:
        issues.append(ExtractionIssue(
            "images_not_verified" if has_text else "images_only", "图片",
            f"OFD 文件含 {len(images)} 张图片，图片中的文字无法自动核验，请人工查看" if has_text else
            f"OFD 文件的页面没有可读文字，只有 {len(images)} 张图片（可能是扫描件），其内容无法自动核验，需人工审查",
            Severity.INFO if has_text else Severity.REVIEW))
    parts = [mime.own_part(ctx, p) for p in own] + members
    return Extraction(parts=parts, kind="archive" if ctx.archive_label else "ofd",
                      issues=[mime.own_issue(ctx, i) if not i.location.startswith(ctx.archive_label or "\0") else i
                              for i in issues])
