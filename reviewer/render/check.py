"""The render check of one draft: render it as a reader sees it, read the pages (text layer or OCR), scan the visible
text with the same Scanner, and compare it with the extracted text. Fail closed: anything not rendered or read
completely sets `error`. Policy and measurements: docs/render.md."""

from __future__ import annotations

import hashlib
import io
import json
import re
import time
import zipfile
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path, PurePath
from typing import TYPE_CHECKING, Any

from reviewer.errors import ExtractionError
from reviewer.extract import Extraction
from reviewer.extract.html import decode_html
from reviewer.extract.sniff import Format, is_image, sniff
from reviewer.extract.workload import office_pages_at_least
from reviewer.render import compare, members, ocr
from reviewer.render.convert import RenderError, html_to_pdf, office_to_pdf
from reviewer.render.glyphs import GlyphMemory, prepare_glyphs, read_glyphs, shared
from reviewer.render.lies import small_lies
from reviewer.render.model import Box, Line, RenderedPage, RenderReport, union
from reviewer.render.ofdprint import hidden_findings, ofd_to_pdf
from reviewer.render.pagecache import CACHE_DIR, CheckedPage, PageCache, page_key
from reviewer.render.pages import DPI, Glyph, PdfPage, image_pages, pdf_pages, sign
from reviewer.render.visible import GAP, covered, fold, lines_of, merge_boxes, repair_marking
from reviewer.scan.model import Finding, ScanResult, Severity

if TYPE_CHECKING:  # pragma: no cover
    from reviewer.scan.scanner import Scanner

MISMATCH_RULE = "render.mismatch"
MISMATCH = "显示内容与文本不一致"
SCRIPT_RULE = "render.script"
SCRIPT_MESSAGE = "含有脚本生成的内容，未能核对"
IMAGE_SHARE = 0.02  # pages whose image objects cover more than this share are read by OCR
_OFFICE_SUFFIX = {Format.DOCX: ".docx", Format.XLSX: ".xlsx"}
_PUA = re.compile("[\ue000-\uf8ff\ufffd]")
_FONT_FACE = re.compile(r"@font-face", re.I)
NOT_CONTENT = ("样式", "脚本", "HTML注释", "HTML元数据")


@dataclass(frozen=True, slots=True)
class RenderLimits:
    max_seconds: float = 300.0  # per draft, rendering and reading together
    max_pages: int = 400  # a 300-page report fits (bench/render.py --long); max_seconds bounds the work
    dpi: int = DPI
    # the deployment's glyph memory (render/glyphs.py): verified drawings kept across documents and restarts;
    # None: each draft starts with an empty memory
    glyph_memory: str | None = None


DEFAULT_RENDER_LIMITS = RenderLimits()
OFFICE_MAX_PAGES = 200  # the estimate of an Office draft's pages (before LibreOffice prints it) may not exceed this


@dataclass(slots=True)
class _Plan:
    kind: str
    pdf: bytes | None = None
    images: bytes | None = None
    verify: bool = False  # check every text-layer line against its pixels
    script_text: tuple[str, str] | None = None  # (text without scripts, text with scripts)
    memory: GlyphMemory = field(default_factory=lambda: GlyphMemory())  # glyphs already checked against their pixels
    pages: PageCache | None = None  # pages already checked (the deployment's, beside the glyph memory)
    extra_pdfs: list[bytes] = field(default_factory=list)  # HTML altChunks: Word shows them, LibreOffice does not
    hidden: list[Finding] = field(default_factory=list)  # an OFD's text that no reader shows (render/ofd.py)
    # (document, font, character) whose font's drawing was verified to show the character (glyphs.prove_fonts)
    proven: set[tuple[int, int, str]] = field(default_factory=set)


def kind_of(data: bytes, filename: str) -> str | None:
    """"pdf" | "office" | "html" | "image" | "archive" (its members are rendered: members.py; also e-mail and MHTML),
    "ofd" (drawn by render/ofd.py, printed by Chromium, checked as a PDF), or None for what is not rendered (plain
    text, XML: what is read is what is seen)."""
    suffix = PurePath(filename).suffix.lower()
    if is_image(data):
        return "image"
    fmt = sniff(data, suffix)
    if fmt in (Format.MHTML, Format.EML):  # their pages, bodies, pictures and attachments are rendered as members
        return "archive"
    if fmt is Format.OFD:
        return "ofd"
    if fmt in (Format.SEVEN_ZIP, Format.GZIP, Format.TAR) or fmt is Format.ZIP_OTHER and not _zip_has(data, "ppt/"):
        return "archive"
    if fmt is Format.PDF:
        return "pdf"
    if fmt in (Format.DOCX, Format.XLSX, Format.LEGACY, Format.PPTX):  # PPTX was left out: decks were never rendered
        return "office"
    if fmt is Format.ZIP_OTHER and _zip_has(data, "ppt/"):
        return "office"
    if fmt is Format.HTML:
        return "html"
    return None


def _zip_has(data: bytes, prefix: str) -> bool:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            return any(n.startswith(prefix) for n in zf.namelist())
    except (zipfile.BadZipFile, OSError, ValueError):
        return False


def _plan(data: bytes, filename: str, kind: str, timeout: float, max_pages: int) -> _Plan:
    suffix = PurePath(filename).suffix.lower()
    if kind == "pdf":
        return _Plan(kind, pdf=data, verify=True)  # the draft's own fonts: its text layer may lie
    if kind == "image":
        return _Plan(kind, images=data)
    if kind == "ofd":  # the package's own fonts may lie (a font missing from it is drawn by a system font): verified
        ofd = ofd_to_pdf(data, timeout, max_pages)
        return _Plan(kind, pdf=ofd.pdf, verify=True, hidden=hidden_findings(ofd.hidden))
    if kind == "office":
        fmt = sniff(data, suffix)
        lo_suffix = suffix if suffix else _OFFICE_SUFFIX.get(fmt, ".docx")
        if fmt in _OFFICE_SUFFIX and suffix not in (".docx", ".docm", ".dotx", ".xlsx", ".xlsm"):
            lo_suffix = _OFFICE_SUFFIX[fmt]
        if _zip_has(data, "ppt/") and suffix not in (".pptx", ".ppsx"):
            lo_suffix = ".pptx"
        embedded_fonts = _zip_has(data, "word/fonts/") or _zip_has(data, "ppt/fonts/")
        at_least = office_pages_at_least(data)
        # refused before LibreOffice spends minutes printing pages never checked. LibreOffice's printing is not
        # bounded page by page as PDFium's rendering is (workload.py counts a PDF page's work before it is drawn), so
        # an Office draft keeps the old 200-page bound even where the page limit is higher for PDFs
        office_max = min(max_pages, OFFICE_MAX_PAGES)
        if at_least > office_max:
            raise RenderError(f"文档至少有 {at_least} 页（按段落、表格行和单元格数估计），超过渲染核对上限 {office_max} 页，"
                              "未能核对显示内容，不得视为通过")
        plan = _Plan(kind, pdf=office_to_pdf(data, lo_suffix, timeout), verify=embedded_fonts)
        for chunk in _html_chunks(data):
            plan.extra_pdfs.append(html_to_pdf(decode_html(chunk)[0], timeout).pdf)
        return plan
    html, _encoding = decode_html(data)
    r = html_to_pdf(html, timeout)
    script = (r.text_without_scripts, r.text_with_scripts) if r.text_with_scripts is not None else None
    return _Plan(kind, pdf=r.pdf, verify=bool(_FONT_FACE.search(html)), script_text=script)


_CHUNK_REL = re.compile(rb'<Relationship\b[^>]*Type="[^"]*/aFChunk"[^>]*>', re.I)
_TARGET = re.compile(rb'Target="([^"]+)"')


def _html_chunks(data: bytes) -> list[bytes]:
    """The HTML parts a Word document imports with w:altChunk (Word shows them in place; LibreOffice drops them, so
    they are rendered with Chromium as pages after the document's own)."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            names = set(zf.namelist())
            out: list[bytes] = []
            for rels in (n for n in names if n.startswith("word/_rels/") and n.endswith(".rels")):
                for rel in _CHUNK_REL.findall(zf.read(rels)):
                    m = _TARGET.search(rel)
                    if not m:
                        continue
                    target = m.group(1).decode("utf-8", "replace").lstrip("/")
                    name = target if target in names else "word/" + target
                    if name in names and zf.getinfo(name).file_size < 20_000_000:
                        part = zf.read(name)
                        if b"<html" in part[:4096].lower() or name.lower().endswith((".htm", ".html", ".xhtml")):
                            out.append(part)
            return out
    except (zipfile.BadZipFile, OSError, ValueError, KeyError):
        return []


def _numbered(first: Any, more: list[Any]) -> Any:
    """Pages of the document, then of its HTML chunks, numbered on."""
    n = 0
    for source in [first, *more]:
        for page in source:
            n += 1
            page.number = n
            yield page


def render_check(scanner: Scanner, data: bytes, filename: str, extraction: Extraction,
                 text_findings: list[Finding] | None = None, limits: RenderLimits = DEFAULT_RENDER_LIMITS) -> RenderReport:
    started = time.monotonic()
    kind = kind_of(data, filename)
    report = RenderReport(kind=kind or "")
    if kind is None:
        return report
    if kind == "archive":  # each member rendered as a draft; `extraction` must be the archive's, read with Members
        from reviewer.extract import extract

        asked = members.wanted()
        if extract(data, filename, members=asked).error is None:
            return members.render_members(scanner, asked.files, extraction, text_findings or [], limits)
        report.error = "压缩包无法完整读取，未能核对其中文件的显示内容，不得视为通过"
        return report
    plan: _Plan | None = None
    memory_file: Path | None = None
    try:
        plan = _plan(data, filename, kind, limits.max_seconds, limits.max_pages)
        memory_file = Path(limits.glyph_memory) if limits.glyph_memory else None
        plan.memory = shared(memory_file)
        plan.pages = PageCache(memory_file.parent / CACHE_DIR) if memory_file is not None else None
        known = Counter((f.rule, fold(f.match)) for f in text_findings or [])
        # what the reviewer reads as the document: code (style and script bodies), comments and metadata do not
        # explain visible text even when they contain it (CSS content: strings live in a style body)
        extracted = compare.Extracted([p.text for p in extraction.parts if not p.location.startswith(NOT_CONTENT)])
        has_text = any(p.text.strip() for p in extraction.parts)
        # glyph signatures only where the text layer is checked against its pixels (the draft's own fonts)
        sigs = "lazy" if plan.verify else False
        source = pdf_pages(plan.pdf, limits.max_pages, limits.dpi, sigs) if plan.pdf is not None else \
            image_pages(plan.images or b"", limits.max_pages)
        more = [pdf_pages(x, limits.max_pages, limits.dpi, sigs) for x in plan.extra_pdfs]
        pending: list[_Pending] = []  # pages whose new glyphs wait to be read with the next pages' (read_glyphs)
        for page in _numbered(source, more):
            if time.monotonic() - started > limits.max_seconds:
                raise RenderError(f"渲染核对超过时间上限 {limits.max_seconds:.0f} 秒（已核对 {len(report.pages)} 页），"
                                  "未能核对全部显示内容，不得视为通过")
            pending.append(_start_page(page, plan))  # everything that needs the page open (its redraw)
            waiting = sum(len(p.unread) for p in pending)
            if not waiting or len(pending) >= PENDING_PAGES or waiting >= PENDING_GLYPHS:
                _finish_pages(scanner, pending, plan, extracted, has_text, known, report)
        _finish_pages(scanner, pending, plan, extracted, has_text, known, report)
        if plan.script_text is not None:
            _script_finding(*plan.script_text, report)
        report.findings.extend(plan.hidden)
    except ExtractionError as exc:  # RenderError and limits: fail closed with the Chinese reason
        report.error = exc.message
    except MemoryError:
        report.error = "渲染核对内存不足，未能核对显示内容，不得视为通过"
    if plan is not None and memory_file is not None:
        try:  # what was verified stays verified, whatever became of the rest of the check
            plan.memory.save(memory_file)
        except OSError:  # a read-only data directory costs OCR next time, nothing else
            pass
    report.seconds = time.monotonic() - started
    return report


CONTEXT = 2  # characters read on each side of an unverified glyph (recognition needs a little context)


@dataclass(slots=True)
class _Window:
    """Characters [start, end) of a stretch whose pixels are read by OCR and compared with what the layer claims."""

    stretch: Line
    start: int
    end: int
    glyphs: list[Glyph | None]

    @property
    def claimed(self) -> str:
        return self.stretch.text[self.start : self.end]

    @property
    def box(self) -> Box:
        return union(self.stretch.boxes[self.start : self.end])


def _windows(stretch: Line, glyphs: list[Glyph | None], memory: GlyphMemory) -> list[_Window]:
    """The parts of a stretch around its unverified glyphs (CONTEXT characters each side, overlapping parts joined;
    the whole stretch when they cover most of it)."""
    n = len(stretch.text)
    spans: list[list[int]] = []
    for i, g in enumerate(glyphs):
        if g is not None and memory.known(g):
            continue
        a, b = max(0, i - CONTEXT), min(n, i + CONTEXT + 1)
        if spans and a <= spans[-1][1]:
            spans[-1][1] = b
        else:
            spans.append([a, b])
    if spans and sum(b - a for a, b in spans) >= 0.7 * n:
        spans = [[0, n]]
    return [_Window(stretch, a, b, glyphs[a:b]) for a, b in spans]


def _overlap(a: Box, b: Box) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


INKED = 0.04  # share of dark pixels above which a character's box holds a drawn glyph


def _dropped_by_ocr(image: Any, s: Line, w: _Window, diff: tuple[int, int, str]) -> bool:
    """A disagreement that is OCR noise, not a lie: the reading has fewer than MIN_RUN characters there (so nothing
    legible that the layer lacks is drawn) while the layer's characters there are drawn — every one of their boxes has
    ink. OCR drops or merges rare characters (嫖娼曾 read as 會 in a published law); text the page does not draw
    (covered, invisible) leaves its boxes blank and stays a mismatch, and a lie drawing other characters is read as
    those characters, MIN_RUN or more of them."""
    import numpy as np

    a, b, read = diff
    if len(fold(read)) >= compare.MIN_RUN or b <= a:
        return False
    gray = image.convert("L")
    for box in s.boxes[w.start + a : w.start + b]:
        x0, y0, x1, y1 = box
        if x1 - x0 < 2 or y1 - y0 < 2:
            return False
        cell = np.asarray(gray.crop(box))
        if float((cell < 128).mean()) < INKED:
            return False
    return True


def _crop(image: Any, box: Box, pad: int = 3) -> Any:
    w, h = image.size
    return image.crop((max(0, box[0] - pad), max(0, box[1] - pad), min(w, box[2] + pad), min(h, box[3] + pad)))


def _stretches(line: Line) -> list[Line]:
    out: list[Line] = []
    start = 0
    for i, ch in enumerate([*line.text, GAP]):
        if ch == GAP:
            if i > start:
                out.append(Line(line.text[start:i], line.boxes[start:i], line.source, line.score))
            start = i + 1
    return out


# a page's new glyphs are read together with those of the next pages (one recognition run reads a line of 16 glyphs
# for the cost of one: a page of a verified draft often has one or two): up to this many pages wait (their grey levels
# and glyphs held), or until this many glyphs wait to be read; pages with nothing to read are finished at once
PENDING_PAGES = 8
PENDING_GLYPHS = 48


@dataclass(slots=True)
class _Pending:
    """A page between _start_page and _finish_pages: its PNG and cache key, and, when it is read (not cached), the
    stretches of its text layer, the windows read whatever happens, and the stretches whose glyphs are checked."""

    page: PdfPage
    reasons: list[str]
    full_ocr: bool
    png: bytes
    png_sha: str
    cache_key: str
    checked: CheckedPage | None = None  # from the page cache
    stretches: list[Line] = field(default_factory=list)
    windows: list[_Window] = field(default_factory=list)
    to_verify: list[tuple[Line, list[Glyph | None]]] = field(default_factory=list)
    unread: list[Glyph] = field(default_factory=list)  # glyphs of to_verify that prepare_glyphs left unverified


def _start_page(page: PdfPage, plan: _Plan) -> _Pending:
    """What a page's check needs the page open for: its PNG, its cache entry, and, when it is read, step 1 up to the
    glyphs still to be read (mark_crops, signatures, the glyph memory, the font proofs with the page's redraw)."""
    reasons: list[str] = []
    if not page.glyphs:
        reasons.append("页面没有文字层" if plan.kind != "image" else "图像文件")
    if (page.images or page.image_area > IMAGE_SHARE) and plan.kind != "image":
        reasons.append("页面含有图片")
    if page.shapes:
        reasons.append("页面含有图形（可能是艺术字或转为曲线的文字）")
    if page.invisible_text:
        reasons.append("页面含有不可见文字")
    if page.annotations:
        reasons.append("页面含有批注、图章或表单域（不在文字层中）")
    full_ocr = bool(reasons)
    if plan.verify and page.glyphs:
        reasons.append("文字层来自送审文件自带的字体，逐字形与图像核对")
    png = _png(page.picture, page.gray)
    png_sha = hashlib.sha256(png).hexdigest()
    cache_key = page_key(page, png_sha, plan.kind, plan.verify, full_ocr) if plan.pages is not None else ""
    checked = plan.pages.get(cache_key) if plan.pages is not None else None
    out = _Pending(page, reasons, full_ocr, png, png_sha, cache_key)
    if checked is not None and reasons:  # the very same pixels and claimed text were read before (an earlier version)
        # (only where the page is read at all: `ocr` empty still means a trusted text layer, members.read_locations)
        reasons.append("与此前核对过的页面完全相同（像素与文字层），沿用其识别结果")
        out.checked = checked
    else:
        _read_start(out, plan)
    return out


def _finish_pages(scanner: Scanner, pending: list[_Pending], plan: _Plan, extracted: compare.Extracted,
                  has_text: bool, known: Counter[tuple[str, str]], report: RenderReport) -> None:
    """The waiting pages' new glyphs read together, then each page finished in order."""
    groups = [(_image_of(p.page), p.unread) for p in pending if p.unread]
    if groups:
        read_glyphs(groups, plan.memory, plan.proven)
    for p in pending:
        _check_page(scanner, p, plan, extracted, has_text, known, report)
    pending.clear()


def _image_of(page: PdfPage) -> Any:
    return lambda: page.image


def _read_start(p: _Pending, plan: _Plan) -> None:
    """Step 1 of a page's check up to reading: the text layer's stretches, those read whole (something drawn over or
    under them, hidden text, a symbol font), and for the draft's own fonts the glyphs the memory and the font proofs
    do not verify (`unread`)."""
    page = p.page
    text_lines = lines_of(page.glyphs)
    stretches = [s for ln in text_lines for s in _stretches(ln)]
    by_box: dict[tuple[str, Box], Glyph] = {(g.ch, g.box): g for g in page.glyphs}
    covering = [] if page.invisible_text else merge_boxes(page.regions)
    for s in stretches:
        glyphs = [by_box.get((ch, box)) for ch, box in zip(s.text, s.boxes, strict=True)]
        if page.invisible_text or any(_overlap(s.box, r) for r in covering) or _PUA.search(s.text):
            # something else is drawn over or under it (an image, a shape), the page has text drawn nowhere (a scan
            # with a hidden text layer), or a symbol font's private-use code: the whole stretch is read
            p.windows.append(_Window(s, 0, len(s.text), glyphs))
        elif plan.verify:  # the draft's own fonts: the glyphs not yet verified are read, with a little context
            p.to_verify.append((s, glyphs))
    p.stretches = stretches
    if p.to_verify and page.levels is not None:  # the exact pictures of verified glyphs need no signatures
        plan.memory.mark_crops(page.glyphs)
        sign(page.levels, [g for g in page.glyphs if not g.verified])
    if p.to_verify:  # each distinct new glyph is read alone, in synthetic lines (_finish_pages); the rest in context
        checked = [g for _s, gs in p.to_verify for g in gs if g is not None]
        prepare_glyphs(checked, plan.memory, page.redraw, page.glyphs, plan.proven)
        p.unread = [g for g in checked if not g.verified]


def _read(p: _Pending, plan: _Plan) -> CheckedPage:
    """Steps 1–2 of a page's check, after _read_start and the reading of its new glyphs: the lines a reader sees (the
    text layer where it is trusted or agrees with its pixels, OCR where it does not or where only pixels speak) and
    the disagreements found. The page's RGB image is asked for (page.image: made on first use for a grey page) only
    where something is read by OCR."""
    page = p.page
    mismatches: list[tuple[Line, int, int, str, str]] = []  # line, start, end, claimed (the part read), read
    near: list[tuple[Line, int, int, str]] = []  # one- or two-character differences: scanned as read (lies.py)
    final: list[Line] = []
    stretches = p.stretches
    windows = list(p.windows)
    for s, glyphs in p.to_verify:
        windows.extend(_windows(s, glyphs, plan.memory))
    readings = ocr.read_crops([_crop(page.image, w.box) for w in windows])
    by_stretch: dict[int, list[tuple[_Window, str, float]]] = {}
    for w, (read, score) in zip(windows, readings, strict=True):
        by_stretch.setdefault(id(w.stretch), []).append((w, read, score))
    for s in stretches:
        done = by_stretch.get(id(s))
        if not done:
            final.append(s)
            continue
        shown, shown_boxes = s.text, list(s.boxes)
        replaced = False
        for w, read, score in reversed(done):  # right to left: earlier offsets stay valid while splicing
            claimed = w.claimed
            diffs = [d for d in compare.disagreements(claimed, read) if not _dropped_by_ocr(page.image, s, w, d)]
            if not diffs and read and compare.disagreements(claimed, read):
                continue  # only OCR noise: the claim stands, but its glyphs are not learnt as verified
            if not diffs and not _PUA.search(claimed):
                # learnt only when read exactly as claimed: one or two differing characters are tolerated as OCR
                # noise for the finding, but a glyph for 密 that draws 公 must never be remembered as 密
                if fold(read) == fold(claimed):
                    for g in w.glyphs:
                        if g is not None:
                            plan.memory.learn(g)
                elif read:  # … and what the one or two differing characters make the line say is scanned (lies.py)
                    near.append((s, w.start, w.end, read))
                continue
            if not diffs and not read:
                continue
            for da, db, _what in diffs:
                mismatches.append((s, w.start + da, w.start + db, claimed, read))
            # the reader sees what the pixels show: the reading replaces the claim (nothing, where nothing is drawn)
            shown = shown[: w.start] + read + shown[w.end :]
            shown_boxes = shown_boxes[: w.start] + (_split_box(w.box, len(read)) if read else []) + shown_boxes[w.end :]
            replaced = True
        if replaced:
            if shown.strip(GAP + " "):
                final.append(repair_marking(Line(shown, shown_boxes, "ocr", min(x[2] for x in done))))
        else:
            final.append(s)
    if p.to_verify:
        plan.memory.remember_crops(page.glyphs)
    # 2. what only the pixels show: images, shapes, scans
    if p.full_ocr:
        taken = [s.box for s in stretches]
        for ln in _read_regions(page.image, page, plan.kind):
            if not any(covered(ln.box, t, 0.5) for t in taken):
                final.append(repair_marking(ln))
    return CheckedPage(final, mismatches, near)


def _check_page(scanner: Scanner, p: _Pending, plan: _Plan, extracted: compare.Extracted, has_text: bool,
                known: Counter[tuple[str, str]], report: RenderReport) -> None:
    page = p.page
    checked = p.checked
    if checked is None:
        checked = _read(p, plan)
        if plan.pages is not None:
            plan.pages.put(p.cache_key, checked)
    final, mismatches = list(checked.final), checked.mismatches
    final.sort(key=_middle)
    final = _rows(final)
    rendered = RenderedPage(page.number, *page.size, p.png, p.png_sha, final, "；".join(p.reasons))
    report.pages.append(rendered)
    # 3. scan the visible text with the same rules
    text, boxes, sources = _page_text(final)
    where = f"第{page.number}页"
    near = [(s.text, a, b, read, union(s.boxes[a:b]) if b > a else s.box) for s, a, b, read in checked.near]
    rendered.visible = visible_record(where, text, sources, near)
    report.findings.extend(visible_findings(scanner, where, page.number, text, boxes, sources, near, known))
    # 4. visible text the extraction lacks (only where there is extracted text to compare with)
    for s, a, b, claimed, read in mismatches:
        box = union(s.boxes[a:b]) if b > a else s.box
        report.findings.append(Finding(
            MISMATCH_RULE, MISMATCH, Severity.REVIEW, 0, 0, s.text[a:b] or read, claimed, MISMATCH,
            f"文件的文字层写的是“{claimed}”，页面图像上识别出的是“{read or '（空白）'}”；两者不一致，"
            "可能是字体编码（ToUnicode）被篡改、文字被遮盖或不可见，请以页面图像为准核对",
            f"{where}（图像识别）", page.number, box))
    if has_text and plan.kind != "image":
        for ln in final:
            if ln.source != "text":
                continue
            for run in compare.unexplained(ln.text, extracted):
                report.findings.append(Finding(
                    MISMATCH_RULE, MISMATCH, Severity.REVIEW, 0, 0, run.text, ln.text.replace(GAP, " "), MISMATCH,
                    f"页面上显示“{run.text}”（所在行：“{ln.text.replace(GAP, ' ')}”），但提取出的文本中没有这段文字；"
                    "可能由样式生成的内容、字段、编号或嵌入内容显示，请以页面为准核对",
                    f"{where}（显示文字）", page.number, union(ln.boxes[run.start : run.end])))


def visible_findings(scanner: Scanner, where: str, number: int, text: str, boxes: list[Box | None], sources: list[str],
                     near: Sequence[tuple[str, int, int, str, Box | None]], known: Counter[tuple[str, str]]) -> list[Finding]:
    """What the rules find in a page's visible text (`text`, with each character's box and source: "text" or "ocr")
    and in its small lies (`near`: a line, the stretch OCR read differently, the reading, its box), less what the text
    scan already reported (`known`, consumed). The render check calls it on each page; the re-scan under new rules
    calls it again on the text the check stored (`visible_record`), so a rule added later reads what the pages show."""
    out: list[Finding] = []
    for f in scanner.scan(text).findings:
        key = (f.rule, fold(f.match))
        if known[key] > 0:  # as many occurrences as the text scan reported are already there
            known[key] -= 1
            continue
        span = [b for b in boxes[f.start : max(f.end, f.start + 1)] if b is not None]
        by_ocr = "ocr" in sources[f.start : max(f.end, f.start + 1)]
        label = f"{where}（图像识别）" if by_ocr else f"{where}（显示文字）"
        if by_ocr and f.suggestion:  # OCR itself confuses 士/土, 人/入: a wording finding read by OCR is only a note
            f = replace(f, severity=Severity.INFO, explanation=f.explanation + "；由图像识别读出，识别误差也会造成此类错字，降为提示")
        out.append(replace(f, location=label, page=number, box=union(span) if span else None,
                           explanation=f.explanation + "；在渲染后的页面上读到（" + ("图像识别" if by_ocr else "渲染文字层") + "）"))
    for line, a, b, read, box in near:
        for f in small_lies(scanner, line, a, b, read):
            if known[(f.rule, fold(f.match))] > 0:
                known[(f.rule, fold(f.match))] -= 1
                continue
            out.append(replace(f, location=f"{where}（图像识别）", page=number, box=box,
                               explanation=f.explanation + f"；文字层写的是“{line[a:b]}”，页面图像上识别出的字与之"
                               "有一两个字不同，读者看到的是图像上的字（字体编码可能被篡改）"))
    return out


VISIBLE_VERSION = 1


def visible_record(where: str, text: str, sources: list[str],
                   near: Sequence[tuple[str, int, int, str, Box | None]]) -> str:
    """The page's visible text as the check scanned it, stored with the page (RenderPage.visible): which characters
    OCR read, and the small lies' lines and readings. Boxes are not kept (the page image shows them)."""
    return json.dumps({"v": VISIBLE_VERSION, "where": where, "text": text,
                       "ocr": "".join("o" if x == "ocr" else "." for x in sources),
                       "near": [[line, a, b, read] for line, a, b, read, _ in near]}, ensure_ascii=False)


def rescan_visible(scanner: Scanner, records: list[tuple[int, str]], text_findings: list[Finding]) -> list[Finding]:
    """The findings the current rules make in the pages' stored visible text (`records`: page number, visible_record)
    beyond what the text scan (`text_findings`) reported — the render check's step 3 run again under new rules.
    A record that cannot be read raises ValueError (the caller fails closed)."""
    knowns: dict[str, Counter[tuple[str, str]]] = {}
    out: list[Finding] = []
    for number, raw in records:
        rec = json.loads(raw)
        if not isinstance(rec, dict) or rec.get("v") != VISIBLE_VERSION:
            raise ValueError("unknown visible-text record")
        scope = str(rec.get("scope", ""))  # an archive member's pages: its own text findings (members.render_members)
        if scope not in knowns:
            knowns[scope] = Counter((f.rule, fold(f.match)) for f in text_findings if f.location.startswith(scope))
        known = knowns[scope]
        text, flags = str(rec["text"]), str(rec["ocr"])
        if len(flags) != len(text):
            raise ValueError("visible-text record out of step")
        sources = ["ocr" if c == "o" else "text" for c in flags]
        near = [(str(n[0]), int(n[1]), int(n[2]), str(n[3]), None) for n in rec["near"]]
        out.extend(visible_findings(scanner, str(rec["where"]), number, text, [None] * len(text), sources, near, known))
    return out


MAX_REGIONS = 8


def _read_regions(image: Any, page: PdfPage, kind: str) -> list[Line]:
    """OCR of the page where the text layer cannot speak for it: the whole page when it has no text layer (a scan, an
    image file, a rotated page, invisible text), otherwise only the images and shapes (cheaper, same result)."""
    w, h = image.size
    regions = merge_boxes(page.regions) if page.glyphs and not page.invisible_text and kind != "image" else []
    regions = [(max(0, r[0]), max(0, r[1]), min(w, r[2]), min(h, r[3])) for r in regions]
    regions = [r for r in regions if r[2] - r[0] >= 8 and r[3] - r[1] >= 8]
    if not regions or len(regions) > MAX_REGIONS or sum((r[2] - r[0]) * (r[3] - r[1]) for r in regions) > 0.6 * w * h:
        return ocr.read_page(image)
    out: list[Line] = []
    from PIL import Image

    for r in regions:
        # on a white canvas with a margin: detection fails on crops that end at the glyphs' edges
        m = max(24, (r[3] - r[1]) // 3)
        canvas = Image.new("RGB", (r[2] - r[0] + 2 * m, r[3] - r[1] + 2 * m), "white")
        canvas.paste(image.crop(r), (m, m))
        dx, dy = r[0] - m, r[1] - m
        for ln in ocr.read_page(canvas):
            boxes = [(max(0, b[0] + dx), max(0, b[1] + dy), b[2] + dx, b[3] + dy) for b in ln.boxes]
            out.append(Line(ln.text, boxes, ln.source, ln.score))
    return out


def _split_box(box: Box, n: int) -> list[Box]:
    n = max(1, n)
    step = (box[2] - box[0]) / n
    return [(int(box[0] + i * step), box[1], int(box[0] + (i + 1) * step + 0.999), box[3]) for i in range(n)]


def _middle(ln: Line) -> int:
    box = ln.box
    return box[1] + box[3]  # twice the middle: the same order


def _rows(lines: list[Line]) -> list[Line]:
    """Stretches that sit on one visual row become one line again (left to right, GAP between)."""
    rows: list[list[tuple[Line, Box]]] = []
    top = bottom = 0
    for ln in lines:
        box = ln.box  # a union over the line's characters: taken once
        mid = (box[1] + box[3]) / 2
        if rows and top <= mid <= bottom and rows[-1][0][0].source == ln.source:
            rows[-1].append((ln, box))
            top, bottom = min(top, box[1]), max(bottom, box[3])
            continue
        rows.append([(ln, box)])
        top, bottom = box[1], box[3]
    out: list[Line] = []
    for row in rows:
        row.sort(key=lambda x: x[1][0])
        text = GAP.join(x.text for x, _b in row)
        boxes: list[Box] = []
        for k, (x, b) in enumerate(row):
            if k:
                before = row[k - 1][1]
                boxes.append((before[2], b[1], b[0], b[3]))
            boxes.extend(x.boxes)
        out.append(Line(text, boxes, row[0][0].source, min(x.score for x, _b in row)))
    return out


def _page_text(lines: list[Line]) -> tuple[str, list[Box | None], list[str]]:
    chars: list[str] = []
    boxes: list[Box | None] = []
    sources: list[str] = []
    for ln in lines:
        if chars:
            chars.append("\n")
            boxes.append(None)
            sources.append("")
        for ch, box in zip(ln.text, ln.boxes, strict=True):
            chars.append(" " if ch == GAP else ch)
            boxes.append(box)
            sources.append(ln.source)
    return "".join(chars), boxes, sources


def _deflate(data: Any) -> bytes:
    """A zlib stream of `data` (the PNG's IDAT): ISA-L's level 1 when installed (about 2 ms for an A4 page at 150 dpi
    against zlib's 8.5 ms with its fastest run-length strategy, a few per cent larger), else zlib."""
    import zlib

    try:
        from isal import isal_zlib
    except ImportError:  # pragma: no cover - isal is a dependency; zlib gives the same PNG, slower
        z = zlib.compressobj(1, zlib.DEFLATED, 15, 8, zlib.Z_RLE)
        return z.compress(data) + z.flush()  # the array's own buffer: no copy
    return bytes(isal_zlib.compress(data, 1))


def _png(image: Any, gray: Any = None) -> bytes:
    """The page as the reviewer sees it, losslessly, as a PNG: grey pages (most text pages) as a grey PNG, a third of
    the bytes to compress; every row with PNG's "Up" filter (numpy) and zlib's run-length strategy at level 1. Pillow's
    encoder (adaptive filters, level 3) cost three times PDFium's rendering of the page; this costs about one."""
    import struct
    import zlib

    import numpy as np

    if gray is not None:  # the renderer found every pixel grey (pages.PdfPage.gray): those levels are the page
        px = gray
    else:
        if image.mode not in ("L", "RGB"):
            image = image.convert("RGB")
        px = np.asarray(image)
        if image.mode == "RGB" and bool((px[:, :, 0] == px[:, :, 1]).all()) and bool((px[:, :, 1] == px[:, :, 2]).all()):
            px = np.ascontiguousarray(px[:, :, 0])  # r = g = b everywhere: a red stamp keeps the page in colour
    height, width = px.shape[0], px.shape[1]
    rows = px.reshape(height, -1)
    raw = np.empty((height, rows.shape[1] + 1), dtype=np.uint8)
    raw[:, 0] = 2  # filter type Up: each byte minus the byte above it (mod 256)
    raw[0, 1:] = rows[0]
    np.subtract(rows[1:], rows[:-1], out=raw[1:, 1:])
    data = _deflate(raw.data)

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", width, height, 8, 0 if px.ndim == 2 else 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", data) + chunk(b"IEND", b"")


def _script_finding(without: str, with_scripts: str, report: RenderReport) -> None:
    if fold(without) == fold(with_scripts):
        return
    added = [read for _a, _b, read in compare.disagreements(without, with_scripts, min_run=1) if read]
    shown = "、".join(added[:5])[:120] or "（脚本删除或改写了文字）"
    report.findings.append(Finding(
        SCRIPT_RULE, MISMATCH, Severity.REVIEW, 0, 0, shown, "", SCRIPT_MESSAGE,
        f"网页中的脚本运行后会改变显示的文字（例如“{shown}”），审查时脚本已禁用，其生成的内容未能核对；"
        "请删除脚本或把内容写成静态文字后重新提交", "第1页（网页脚本）", 1, None))


def merge(result: ScanResult, report: RenderReport) -> ScanResult:
    """The text scan's result with the render check's findings added; a render error makes the verdict `error`."""
    result.findings.extend(report.findings)
    if report.error:
        note = f"渲染核对未完成：{report.error}"
        result.error = f"{result.error}；{note}" if result.error else note
    return result


def scan_rendered(scanner: Scanner, data: bytes, filename: str,
                  limits: RenderLimits = DEFAULT_RENDER_LIMITS) -> tuple[ScanResult, RenderReport]:
    """Text scan and render check of one draft (what `reviewer scan --render` and the render task do)."""
    from reviewer.document import scan_extraction
    from reviewer.extract import extract

    kind = kind_of(data, filename)
    asked = members.wanted() if kind == "archive" else None  # image members: an issue the render check answers
    extraction = extract(data, filename, members=asked)
    result = scan_extraction(scanner, extraction)  # an image: its metadata, GPS position and one note per page
    if extraction.error:  # not read: nothing was rendered either, and the check says so (never an empty "done")
        return result, RenderReport(kind=kind or "", error=f"{extraction.error}；未能渲染核对，不得视为通过")
    if asked is not None:
        report = members.render_members(scanner, asked.files, extraction, result.findings, limits)
    else:  # what an image shows is all the reader sees: its metadata explains no visible text
        shown = Extraction(kind="image") if kind == "image" else extraction
        report = render_check(scanner, data, filename, shown, result.findings, limits)
    # a page the extractor could only flag as a scan, an image member it could not read, has now been read: its OCR
    # text was scanned (a clean scan passes). Only when the check completed (read_locations is empty otherwise).
    read = members.read_locations(report)
    result.findings = [f for f in result.findings if not members.is_read(f.rule, f.location, read)]
    if report.error is None and any(f.rule == members.IMAGE_MEMBER_RULE for f in result.findings):
        result.error = members.UNREAD_IMAGE  # fail closed: never happens unless an image member was not rendered
    return merge(result, report), report
