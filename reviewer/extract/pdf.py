"""PDF: the text layer of every page, annotations, form fields, bookmarks, metadata (Info and XMP) and attachments.

Page text is read by PDFium (pdftext.py) and, on a page where PDFium may read less than pypdf, by pypdf as well;
everything else (the structure: annotations, fields, bookmarks, metadata, attachments, images) by pypdf.

A page that draws something but has no text layer is a scan: its content cannot be verified, so it becomes a `review`
issue. When `tesseract` with Chinese data (chi_sim) is installed, the page images are also OCR'd and scanned, and the
issue stays (OCR can be wrong).
"""

from __future__ import annotations

import io
import logging
import re
import shutil
import subprocess
import tempfile
import warnings
from pathlib import Path
from typing import Any

from pypdf import PasswordType, PdfReader
from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject, StreamObject

from reviewer.errors import ExtractionError, LimitExceeded, exception_zh
from reviewer.extract.context import Context
from reviewer.extract.imagemeta import ImageMeta, meta_parts, read_image_meta, read_xmp
from reviewer.extract.limits import Budget
from reviewer.extract.links import link_text
from reviewer.extract.model import Extraction, ExtractionIssue, TextPart
from reviewer.extract.parts import PartBuilder
from reviewer.extract.pdfrevisions import earlier_versions
from reviewer.extract.pdftext import Shows, decode, read_page, tounicode, union
from reviewer.extract.script import add_hidden_strings
from reviewer.extract.workload import Work, _key, check_pdf, remember_counted, tokenise

_log = logging.getLogger(__name__)

# pypdf logs repairs with the objects it repaired, i.e. draft text (an outline title, an annotation). Draft text must
# never reach the workers' logs, and every damage that matters already ends as an `error` or an issue.
logging.getLogger("pypdf").setLevel(logging.CRITICAL)

_TAG = re.compile(r"<[^>]*>")
_SPACE = re.compile(r"\s+")


def ocr_available() -> bool:
    program = shutil.which("tesseract")
    if program is None:
        return False
    try:
        out = subprocess.run([program, "--list-langs"], capture_output=True, text=True, timeout=20, check=False)
    except (OSError, subprocess.SubprocessError):
        return False
    return "chi_sim" in out.stdout.split()


def _ocr_page(page: Any, seconds: float) -> str:
    """OCR every image of a page with tesseract (chi_sim+eng). Failures give empty text: the page stays `review`."""
    texts: list[str] = []
    try:
        images = list(page.images)  # pypdf needs Pillow to decode them; without it the page stays `review`
    except Exception:  # noqa: BLE001 — an optional helper: the page is a `review` issue either way
        return ""
    with tempfile.TemporaryDirectory(prefix="reviewer-ocr-") as tmp:
        for i, image in enumerate(images):
            path = Path(tmp) / f"img{i}{Path(image.name).suffix or '.png'}"
            path.write_bytes(image.data)
            out = subprocess.run(
                ["tesseract", str(path), "stdout", "-l", "chi_sim+eng"],
                capture_output=True,
                text=True,
                timeout=max(1.0, seconds),
                check=False,
            )
            texts.append(out.stdout)
    return "\n".join(texts)


def _text(value: Any) -> str:
    return str(value) if value is not None else ""


_IMAGE_OPS = re.compile(rb"(?<![A-Za-z])(?:Do|BI)(?![A-Za-z])")
_FEW_CHARS = 30
_PAINT_OPS = re.compile(rb"(?<![A-Za-z*])(?:[fFSsBb])\*?(?![A-Za-z])")


def _draws_something(paint: bytes) -> bool:
    """Does the content stream paint an image, a form, or many paths (text turned into outlines)? A page without
    text that does is a scan; a page that paints nothing is blank."""
    return bool(_IMAGE_OPS.search(paint)) or len(_PAINT_OPS.findall(paint)) > 20


def _outline_titles(items: Any, out: list[str], depth: int = 0) -> None:
    if depth > 50:
        return
    for item in items:
        if isinstance(item, list):
            _outline_titles(item, out, depth + 1)
        else:
            out.append(_text(item.get("/Title")))


def _check_page_tree(reader: PdfReader) -> None:
    """pypdf (non-strict) skips a page whose object is missing or is not a page: every node the page tree names
    must exist, and the leaves must be exactly the pages read. The content streams of each page must exist too."""
    root = reader.trailer["/Root"].get_object()
    top = root.get("/Pages") if isinstance(root, DictionaryObject) else None
    stack: list[Any] = [top]
    seen: set[int] = set()
    leaves = 0
    while stack:
        ref = stack.pop()
        node = ref.get_object() if ref is not None else None
        if not isinstance(node, DictionaryObject):
            raise ExtractionError("PDF 的页面目录指向不存在或损坏的页面对象，有页面无法读取，无法审查")
        if isinstance(ref, IndirectObject):
            if ref.idnum in seen:
                raise ExtractionError("PDF 的页面目录有循环引用（结构异常），无法审查")
            seen.add(ref.idnum)
        kids = node.get("/Kids")
        if node.get("/Type") == "/Pages" or kids is not None:
            kids = kids.get_object() if kids is not None else None
            if not isinstance(kids, ArrayObject):
                raise ExtractionError("PDF 的页面目录损坏（缺少页面列表），无法审查")
            stack.extend(reversed(list(kids)))
            if len(stack) > 1_000_000:
                raise ExtractionError("PDF 的页面目录异常庞大，无法审查")
        else:
            leaves += 1
            contents = node.get("/Contents")
            if contents is not None:
                resolved = contents.get_object()
                streams = list(resolved) if isinstance(resolved, ArrayObject) else [contents]
                if any(not isinstance(c.get_object() if c is not None else None, StreamObject) for c in streams):
                    raise ExtractionError("PDF 有页面的内容流缺失或损坏，该页无法读取，无法审查")
    if leaves != len(reader.pages):
        raise ExtractionError("PDF 的页面目录与实际可读的页面数不一致，有页面无法读取，无法审查")


def _image_metadata(page: Any, where: str, budget: Budget, parts: list[TextPart], issues: list[ExtractionIssue],
                    seen: set[int]) -> None:
    """The pictures a page draws: an image XObject's own XMP packet (/Metadata) and, for a JPEG kept as it was
    (/DCTDecode), its EXIF and XMP; a GPS position is an issue of its own (imagemeta.py)."""
    resources = page.get("/Resources")
    resources = resources.get_object() if resources is not None else None
    xobjects = resources.get("/XObject") if isinstance(resources, DictionaryObject) else None
    xobjects = xobjects.get_object() if xobjects is not None else None
    if not isinstance(xobjects, DictionaryObject):
        return
    for name, ref in xobjects.items():
        if isinstance(ref, IndirectObject):  # a picture drawn on many pages (a logo) is read once
            if ref.idnum in seen:
                continue
            seen.add(ref.idnum)
        image = ref.get_object()
        if not isinstance(image, StreamObject) or image.get("/Subtype") != "/Image":
            continue
        label = f"{where} 图片“{str(name).lstrip('/')}”"
        meta = ImageMeta()
        packet = image.get("/Metadata")
        packet = packet.get_object() if packet is not None else None
        if isinstance(packet, StreamObject):
            read_xmp(packet.get_data(), meta)
        filters = image.get("/Filter")
        names = [str(f) for f in filters] if isinstance(filters, ArrayObject) else [str(filters)]
        if names == ["/DCTDecode"]:
            try:
                more = read_image_meta(image.get_data(), budget)
            except LimitExceeded:
                raise
            except ExtractionError as exc:
                issues.append(ExtractionIssue("image_metadata_unreadable", label, f"{exc.message}，需人工核对"))
                continue
            meta.fields.extend(f for f in more.fields if f not in meta.fields)
            meta.gps = meta.gps or more.gps
        got, found = meta_parts(meta, label, budget)
        parts.extend(got)
        issues.extend(found)


def _javascript(reader: PdfReader) -> list[str]:
    """Document-level JavaScript (the /JavaScript name tree and /OpenAction): it can write text a reader sees."""
    root = reader.root_object
    actions: list[Any] = []
    names = root.get("/Names")
    tree = names.get_object().get("/JavaScript") if names is not None else None
    stack = [tree] if tree is not None else []
    while stack and len(actions) < 10000:
        node = stack.pop().get_object()
        if not isinstance(node, DictionaryObject):
            continue
        pairs = node.get("/Names")
        if pairs is not None:
            items = list(pairs.get_object())
            actions.extend(items[1::2])
        for kid in node.get("/Kids") or []:
            stack.append(kid)
    if root.get("/OpenAction") is not None:
        actions.append(root["/OpenAction"])
    out: list[str] = []
    for action in actions:
        action = action.get_object()
        if isinstance(action, DictionaryObject) and action.get("/JS") is not None:
            js = action["/JS"].get_object()
            out.append(js.get_data().decode("utf-8", "replace") if isinstance(js, StreamObject) else _text(js))
    return out


def _open_pdfium(data: bytes, pages: int) -> Any:
    """PDFium's view of the file, opened only after check_pdf counted what its pages ask for. It must see the pages
    pypdf sees: a file the two parsers read differently is refused rather than read half."""
    import pypdfium2 as pdfium

    try:
        doc = pdfium.PdfDocument(data)
    except pdfium.PdfiumError as exc:
        raise ExtractionError("PDF 文件无法由 PDFium 打开（文件已损坏或结构异常），无法审查") from exc
    seen = len(doc)
    if seen != pages:
        doc.close()
        raise ExtractionError(f"PDF 的页数在两种读法下不一致（{pages} 页与 {seen} 页），文件结构异常，无法审查")
    return doc


def decoded_shows(page: Any, work: Work, cmaps: dict[int, Any],
                  captured: dict[int, list[tuple[bytes, bytes]]] | None = None) -> Shows:
    """The page's own show operators in order, each decoded by its font's ToUnicode map: (text, codes).
    None when that is not certain: text in forms, a font without a ToUnicode map, a code the map does not name.
    `captured`: the strings check_pdf's tokeniser kept for each content stream (else the page is tokenised again)."""
    contents = page.get("/Contents")
    resolved = contents.get_object() if contents is not None else None
    refs = list(resolved) if isinstance(resolved, ArrayObject) else [contents] if contents is not None else []
    strings: list[tuple[bytes, bytes]] = []
    if captured is not None and all(isinstance(r, IndirectObject) and r.idnum in captured for r in refs):
        for r in refs:
            strings.extend(captured[r.idnum])
    else:
        stream = page.get_contents()
        tokenise(stream.get_data() if stream is not None else b"", strings)
    if len(strings) != work.shows:
        return None
    resources = page.get("/Resources")
    resources = resources.get_object() if resources is not None else None
    fonts = resources.get("/Font") if isinstance(resources, DictionaryObject) else None
    fonts = fonts.get_object() if fonts is not None else None
    if not isinstance(fonts, DictionaryObject):
        return None
    out: list[tuple[str, int]] = []
    by_name: dict[bytes, Any] = {}
    for name, shown in strings:
        if name not in by_name:
            by_name[name] = _cmap_of(fonts, name, cmaps)
        cmap = by_name[name]
        text = decode(shown, cmap) if cmap is not None else None
        if text is None:
            return None
        out.append((text, len(shown) // cmap[0]))
    return out


def _cmap_of(fonts: Any, name: bytes, cmaps: dict[int, Any]) -> Any:
    """The parsed ToUnicode map of the font a content stream names (read once a document), or None."""
    key = _key(fonts, name)
    font = fonts[key].get_object() if key is not None else None
    ref = font.get("/ToUnicode") if isinstance(font, DictionaryObject) else None
    stream = ref.get_object() if ref is not None else None
    if not isinstance(stream, StreamObject):
        return None
    number = ref.idnum if isinstance(ref, IndirectObject) else id(stream)
    if number not in cmaps:
        cmaps[number] = tounicode(stream.get_data())
    return cmaps[number]


def _page_text(doc: Any, n: int, page: Any, work: Work, cmaps: dict[int, Any], order: PartBuilder,
               captured: dict[int, list[tuple[bytes, bytes]]]) -> str:
    """Page n's text: PDFium's, or pypdf's followed by what only PDFium read (pdftext.py says when)."""
    import pypdfium2 as pdfium

    try:
        pdfium_page = doc[n - 1]
        try:
            got = read_page(pdfium_page, work, lambda: decoded_shows(page, work, cmaps, captured))
        finally:
            pdfium_page.close()
    except ExtractionError as exc:
        raise ExtractionError(f"PDF 第{n}页：{exc.message}，无法审查") from exc
    except pdfium.PdfiumError as exc:
        raise ExtractionError(f"PDF 第{n}页的文字层无法由 PDFium 读取（页面已损坏或结构异常），无法审查") from exc
    if got.stream_order:  # the text objects in the order the stream shows them (pdftext.py)
        order.begin(f"第{n}页")
        for piece, out_of_place in got.stream_order:
            order.write(piece, *(["内容流顺序连读处"] if out_of_place else []))
        order.end()
    if not got.why_pypdf:
        return got.text
    return union(page.extract_text() or "", got.text)


def _read(data: bytes, ctx: Context) -> Extraction:
    budget = ctx.budget
    if b"%%EOF" not in data[-2048:]:
        # pypdf would rebuild the cross-reference table and read whatever pages survived: fail closed instead.
        raise ExtractionError("PDF 文件不完整（缺少文件结束标记 %%EOF），可能在上传或传输中被截断，无法审查")
    reader = PdfReader(io.BytesIO(data), strict=False)
    if reader.is_encrypted and reader.decrypt("") == PasswordType.NOT_DECRYPTED:
        raise ExtractionError("PDF 文件已设置打开密码（已加密），无法审查；请去除密码后重新提交")
    _check_page_tree(reader)
    captured: dict[int, list[tuple[bytes, bytes]]] = {}  # shown strings of each content stream, for pdftext
    works = check_pdf(reader, len(data), budget.limits, budget, captured)  # what the pages ask for, before any is read
    remember_counted(data, budget.limits)  # the render check of these bytes need not count them again
    doc = _open_pdfium(data, len(reader.pages))
    try:
        return _read_pages(ctx, reader, doc, works, captured)
    finally:
        doc.close()


def _read_pages(ctx: Context, reader: PdfReader, doc: Any, works: list[Work],
                captured: dict[int, list[tuple[bytes, bytes]]]) -> Extraction:
    budget = ctx.budget
    body = PartBuilder("正文", budget)
    order = PartBuilder("正文（内容流顺序）", budget, spans_only=True)  # only what touches text read out of order
    notes = PartBuilder("批注", budget)
    attached: list[tuple[bytes, str, str]] = []
    ocr = PartBuilder("OCR识别文字", budget)
    issues: list[ExtractionIssue] = []
    links = PartBuilder("链接地址", budget)
    pictures: list[TextPart] = []
    seen_images: set[int] = set()
    can_ocr: bool | None = None
    cmaps: dict[int, Any] = {}  # ToUnicode maps read for pdftext's checks, by object number
    for n, page in enumerate(reader.pages, 1):
        budget.check_time()
        text = _page_text(doc, n, page, works[n - 1], cmaps, order, captured)
        stripped = text.strip()
        if stripped:
            body.add(f"第{n}页", text)
        contents = page.get_contents()
        paint = contents.get_data() if contents is not None else b""
        # A scan: no text but something painted, or a few characters (a stamped page number) over an image.
        if (not stripped and _draws_something(paint)) or (len(stripped) < _FEW_CHARS and _IMAGE_OPS.search(paint)):
            if can_ocr is None:
                can_ocr = ocr_available()
            recognised = _ocr_page(page, budget.remaining_seconds()) if can_ocr else ""
            ocr.add(f"第{n}页（OCR识别，可能有误）", recognised)
            if not can_ocr:
                how = "文本扫描不识别图像中的文字（显示内容核对会识别：命令行用 reviewer scan --render，审查系统提交后自动核对）"
            elif recognised.strip():
                how = "已用 OCR 识别出文字一并检查，但识别可能有误"
            else:
                how = "OCR 未识别出文字"
            what = "没有文字层（扫描件或图片）" if not stripped else f"只有 {len(stripped)} 个字的文字层，其余是图片（可能是扫描件）"
            issues.append(
                ExtractionIssue("scanned_page", f"第{n}页", f"第{n}页{what}，其内容无法自动核验；{how}，需人工逐页核对")
            )
        _image_metadata(page, f"第{n}页", budget, pictures, issues, seen_images)
        for ref in page.get("/Annots") or []:
            annot = ref.get_object()
            if annot.get("/Subtype") == "/Link":  # its target: a URI or a file path, raw and percent-decoded
                action = annot.get("/A")
                action = action.get_object() if action is not None else None
                if isinstance(action, DictionaryObject):
                    target = action.get("/URI") or action.get("/F")
                    target = target.get_object() if target is not None else None
                    if isinstance(target, DictionaryObject):
                        target = target.get("/UF") or target.get("/F")
                    if target is not None:
                        links.add(f"第{n}页 链接地址", link_text(_text(target)))
                continue
            if annot.get("/Subtype") == "/Popup":
                continue
            rich = _SPACE.sub(" ", _TAG.sub(" ", _text(annot.get("/RC")))).strip()
            words = "\n".join(t for t in (_text(annot.get("/Subj")), _text(annot.get("/Contents")), rich) if t.strip())
            author = _text(annot.get("/T")) or "未知"
            notes.add(f"第{n}页 批注（作者：{author}）", words)
            if annot.get("/Subtype") == "/FileAttachment" and annot.get("/FS") is not None:
                spec = annot["/FS"].get_object()
                name = _text(spec.get("/UF") or spec.get("/F")) if isinstance(spec, DictionaryObject) else ""
                stream = spec.get("/EF", {}).get("/F") if isinstance(spec, DictionaryObject) else None
                if stream is None:
                    raise ExtractionError("PDF 的附件批注缺少附件内容（文件已损坏），无法审查")
                attached.append((stream.get_object().get_data(), name, f"第{n}页 附件批注“{name}”"))
    fields = PartBuilder("表单字段", budget)
    for name, field in (reader.get_fields() or {}).items():
        options = field.get("/Opt") or []
        shown = [_text(field.get("/V")), _text(field.get("/TU"))]
        shown += [_text(o[-1] if isinstance(o, list) else o) for o in options]
        fields.add(f"表单字段:{name}", "\n".join(t for t in shown if t.strip()))
    bookmarks = PartBuilder("书签", budget)
    titles: list[str] = []
    _outline_titles(reader.outline, titles)
    for title in titles:
        bookmarks.add("书签", title)
    meta = PartBuilder("文档属性", budget)
    for key, value in (reader.metadata or {}).items():
        meta.add(f"文档属性:{str(key).lstrip('/').lower()}", _text(value))
    xmp = reader.root_object.get("/Metadata")
    if xmp is not None:
        raw = xmp.get_object().get_data().decode("utf-8", "replace")
        meta.add("文档属性:XMP", _SPACE.sub(" ", _TAG.sub(" ", raw)).strip())
    scripts = PartBuilder("PDF脚本", budget)
    decoded = PartBuilder("脚本字符串（PDF脚本）", budget)
    for i, js in enumerate(_javascript(reader), 1):
        scripts.add(f"PDF脚本 第{i}段", js)
        add_hidden_strings(decoded, js, f"脚本字符串（PDF脚本 第{i}段）", budget)
    builders = (body, order, notes, ocr, fields, bookmarks, meta, scripts, decoded, links)
    parts: list[TextPart] = [p for p in (b.build() for b in builders) if p] + pictures
    for blob, name, where in attached:
        inner_parts, inner_issues = ctx.embedded(blob, name, where)
        parts.extend(inner_parts)
        issues.extend(inner_issues)
    for name, blobs in reader.attachments.items():
        for blob in blobs:
            inner_parts, inner_issues = ctx.embedded(blob, name, f"附件“{name}”")
            parts.extend(inner_parts)
            issues.extend(inner_issues)
    return Extraction(parts=parts, kind="pdf", issues=issues)


def extract_pdf(data: bytes, ctx: Context) -> Extraction:
    # pypdf raises many kinds of exception on broken files (its own, KeyError, ValueError, RecursionError, zlib …).
    # Each means the same to a person: the PDF cannot be read completely, so the verdict is `error` with the cause.
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # pypdf warns about repairable damage; we read what it repairs
            result = _read(data, ctx)
            earlier_versions(data, ctx, result, _read)
            return result
    except ExtractionError:
        raise
    except Exception as exc:  # noqa: BLE001 — third-party parser on hostile input; see above
        # The cause's own text is left out: a parser's message can quote the damaged object (draft text).
        _log.warning("PDF 解析失败：%s", type(exc).__name__)
        raise ExtractionError(f"PDF 文件已损坏或结构异常，无法完整读取（{exception_zh(exc)}）") from exc
