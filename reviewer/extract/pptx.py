"""PPTX: every slide in presentation order (hidden ones marked), speaker notes, comments, picture descriptions,
slide masters and layouts, charts and the properties; every other XML part through `leftover_text`."""

from __future__ import annotations

from pathlib import PurePosixPath
from xml.etree.ElementTree import Element

from reviewer.errors import ExtractionError
from reviewer.extract.context import Context
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

P = "{http://schemas.openxmlformats.org/presentationml/2006/main}"
_R = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"


def _descriptions(root: Element) -> str:
    texts = [el.get(a, "") for el in root.iter() if local(el.tag) == "cNvPr" for a in ("descr", "title")]
    return "\n".join(dict.fromkeys(t for t in texts if t.strip()))


def _rels(pkg: Package, part: str) -> list[tuple[str, str, str]]:
    folder = str(PurePosixPath(part).parent)
    return typed_relationships(pkg, f"{folder}/_rels/{PurePosixPath(part).name}.rels", folder)


def extract_pptx(data: bytes, ctx: Context) -> Extraction:
    pkg = Package(data, ctx.budget, "PowerPoint 演示文稿")
    main = main_part(pkg, "ppt/presentation.xml")
    if main not in pkg:
        raise ExtractionError("PowerPoint 演示文稿缺少 presentation.xml 部件，文件可能已损坏，无法审查")
    root = pkg.xml(main)
    if root.tag != f"{P}presentation":
        raise ExtractionError("PowerPoint 演示文稿的主部件不是可识别的 PresentationML 格式，无法审查")
    rels = {rid: path for rid, _kind, path in _rels(pkg, main)}
    order = [rels.get(s.get(f"{_R}id", ""), "") for s in root.iter(f"{P}sldId")]
    slides = [s for s in order if s in pkg]
    slides += [s for s in pkg.matching(r"ppt/slides/slide\d+\.xml") if s not in slides]  # unlisted slides too
    issues: list[ExtractionIssue] = []
    if len(slides) < len([s for s in order if s]):
        issues.append(ExtractionIssue("slide_missing", "幻灯片", "演示文稿列出的幻灯片有部件缺失，无法核验"))
    body = PartBuilder("幻灯片", ctx.budget)
    notes = PartBuilder("备注", ctx.budget)
    pictures = PartBuilder("图片说明文字", ctx.budget)
    comments = PartBuilder("批注", ctx.budget)
    for n, slide in enumerate(slides, 1):
        ctx.budget.check_time()
        xml = pkg.xml(slide)
        listed = slide in order
        where = f"幻灯片{n}" if listed else f"幻灯片（未列入放映：{PurePosixPath(slide).name}）"
        marks = ["隐藏幻灯片"] if xml.get("show") in ("0", "false") or not listed else []
        text = drawing_text(xml)
        if text.strip():
            body.begin(where)
            body.write(text, *marks)
            body.end()
        pictures.add(f"图片说明文字 · {where}", _descriptions(xml))
        for _rid, kind, target in _rels(pkg, slide):
            if target not in pkg:
                continue
            if kind == "notesSlide":
                notes.add(f"{where} 备注", drawing_text(pkg.xml(target)))
            elif kind == "comments":
                for cm in pkg.xml(target).iter():
                    if local(cm.tag) == "cm":
                        comments.add(f"{where} 批注", "".join(t.text or "" for t in cm.iter() if local(t.tag) == "text"))
            elif kind == "chart":
                body.add(f"{where} 图表（{PurePosixPath(target).name}）", drawing_text(pkg.xml(target)))
    masters = PartBuilder("幻灯片母版与版式", ctx.budget)
    for name in pkg.matching(r"ppt/(slideMasters/slideMaster|slideLayouts/slideLayout|notesMasters/notesMaster)\d+\.xml"):
        masters.add(f"幻灯片母版与版式（{PurePosixPath(name).name}）", drawing_text(pkg.xml(name)))
    structure = PartBuilder("演示文稿结构", ctx.budget)
    for el in root.iter():  # p14:section (PowerPoint sections), p:custShow (custom shows): names a reader meets
        named = {"section": "节名称", "custShow": "自定义放映名称"}.get(local(el.tag))
        if named and el.get("name", "").strip():
            structure.add(named, el.get("name", ""))
    for slide in slides:  # hyperlink tooltips (a:hlinkClick tooltip=)
        for el in pkg.xml(slide).iter():
            if local(el.tag) in ("hlinkClick", "hlinkHover") and el.get("tooltip", "").strip():
                structure.add("超链接提示文字", el.get("tooltip", ""))
    builders = (body, notes, comments, pictures, masters, structure, external_targets(pkg, ctx.budget))
    parts: list[TextPart] = [p for p in (b.build() for b in builders) if p]
    for name in pkg.matching(r"ppt/embeddings/.+"):
        file = PurePosixPath(name).name
        inner_parts, inner_issues = ctx.embedded(pkg.read(name), file, f"嵌入对象“{file}”")
        parts.extend(inner_parts)
        issues.extend(inner_issues)
    media_parts, picture_issues = media_metadata(pkg, "ppt/media/", ctx.budget)
    parts.extend(media_parts)
    issues.extend(picture_issues)
    images = image_issue(pkg, "ppt/media/", any(p.location.startswith("幻灯片") for p in parts))
    if images:
        issues.append(images)
    for builder in (properties(pkg, ctx.budget), leftover_text(pkg, ctx.budget)):
        part = builder.build()
        if part:
            parts.append(part)
    return Extraction(parts=parts, kind="pptx", issues=issues)
