"""Saved web pages in one file (.mht/.mhtml, and Word's "single file web page", often saved with a .doc name): a MIME
multipart/related whose page is HTML in quoted-printable or base64, in any charset. The page (and any frame) is read
by the HTML extractor, every place it reads; XML parts (Word's document properties, custom XML) by the XML extractor;
style sheets as text, scripts for their strings; pictures are members that the render check reads by OCR (a note that
cannot pass until then). The MIME preamble (Word writes a notice there) and the header's subject are read too.

Locations: `网页 · 正文`, `网页 · HTML注释 第1处`, `网页资源“image001.png”`, `网页资源“props002.xml” · XML文本 · …`.
A resource that holds no text of the page (theme, fonts) is skipped; one that cannot be read is a note for review."""

from __future__ import annotations

from pathlib import PurePosixPath
from urllib.parse import unquote, urlsplit

from reviewer.errors import ExtractionError
from reviewer.extract import mime
from reviewer.extract.context import Context
from reviewer.extract.model import Extraction, ExtractionIssue, TextPart
from reviewer.extract.parts import PartBuilder

WHAT = "单个文件网页"
# formatting only: no text of the page lives here
_SKIP = ("font/", "application/font", "application/x-font", "application/vnd.ms-fontobject", "application/vnd.ms-officetheme")
_SCRIPT = ("text/javascript", "application/javascript", "application/x-javascript", "text/ecmascript")


def _name(leaf: mime.Leaf) -> str:
    if leaf.filename:
        return leaf.filename
    location = leaf.part.get("Content-Location")
    if location:
        path = unquote(urlsplit(str(location).strip()).path.replace("\\", "/"))
        base = PurePosixPath(path).name
        if base:
            return mime._UNSAFE_NAME.sub("_", base)
    return f"第{leaf.number}部分"


def extract_mhtml(data: bytes, filename: str, ctx: Context) -> Extraction:
    msg = mime.parse(data)
    if not msg.is_multipart() and msg.get_content_type() != "text/html":
        raise ExtractionError("单个文件网页（MHTML）不是 MIME 多部分结构，也不含网页，文件可能已损坏，无法审查")
    leaves = mime.leaves(msg, ctx, WHAT)
    start = str(msg.get_param("start") or "").strip("<>") if msg.is_multipart() else ""
    pages = [leaf for leaf in leaves if leaf.content_type in ("text/html", "application/xhtml+xml")]
    if not pages:
        raise ExtractionError("单个文件网页（MHTML）中没有网页部分（text/html），无法审查")
    main = next((p for p in pages if start and str(p.part.get("Content-ID") or "").strip("<>") == start), pages[0])
    own = PartBuilder(mime.chained(ctx, "网页档案信息"), ctx.budget)
    for header, label in (("Subject", "标题（Subject）"), ("Snapshot-Content-Location", "保存自")):
        own.add(mime.chained(ctx, f"网页档案信息:{label}"), mime.header_text(msg.get(header)))
    for extra, label in ((msg.preamble, "MIME前言（不显示）"), (msg.epilogue, "MIME结语（不显示）")):
        if extra and extra.strip():
            own.add(mime.chained(ctx, label), mime.unescaped(extra).strip())
    parts: list[TextPart] = []
    issues: list[ExtractionIssue] = []
    names: dict[str, int] = {}
    for leaf in leaves:
        ctx.budget.check_time()
        if leaf.content_type.startswith(_SKIP):
            continue
        raw = mime.payload(leaf.part, ctx, WHAT)
        if not raw.strip():
            continue
        name = _name(leaf)
        names[name] = names.get(name, 0) + 1
        shown = name if names[name] == 1 else f"{name}（第{leaf.number}部分）"
        label = mime.chained(ctx, "网页" if leaf is main else f"网页资源“{shown}”")
        if leaf.content_type in ("text/html", "application/xhtml+xml"):
            html = mime.text_of(leaf.part, raw, WHAT).encode("utf-8")
            member = name if name.lower().endswith((".htm", ".html")) else f"{name}.html"
            got, notes = mime.read_member(ctx, leaf.number, member, html, label, WHAT, strict=True)
        elif leaf.content_type == "text/css":
            from reviewer.extract.html import css_generated

            text = mime.text_of(leaf.part, raw, WHAT)
            got, notes = [TextPart(text, f"{label} · 样式")], []
            generated = PartBuilder(f"{label} · CSS生成内容", ctx.budget)
            for shown_text in css_generated(text)[0]:
                generated.add(f"{label} · CSS生成内容", shown_text)
            if (g := generated.build()) is not None:
                got.append(g)
        elif leaf.content_type in _SCRIPT:
            from reviewer.extract.script import script_part

            text = mime.text_of(leaf.part, raw, WHAT)
            got, notes = [TextPart(text, f"{label} · 脚本")], []
            if (s := script_part(text, f"{label} · 脚本字符串", ctx.budget)) is not None:
                got.append(s)
        else:
            member = name
            if leaf.content_type in ("text/xml", "application/xml") and not name.lower().endswith(".xml"):
                member = f"{name}.xml"
            elif leaf.content_type == "text/plain" and "." not in name:
                member = f"{name}.txt"
            if leaf.content_type.startswith("text/") and not member.endswith(".xml"):  # XML declares its own
                raw = mime.text_of(leaf.part, raw, WHAT).encode("utf-8")
            got, notes = mime.read_member(ctx, leaf.number, member, raw, label, WHAT, strict=False)
        parts.extend(got)
        issues.extend(notes)
    first = own.build()
    return Extraction(parts=([first] if first else []) + parts, kind="archive" if ctx.archive_label else "mhtml",
                      issues=issues)
