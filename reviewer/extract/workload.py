"""What a document will make the engines do, counted before they do it (issue 19).

A few KB can ask for hours: a PDF page that paints one text-holding Form XObject thousands of times (nested forms
multiply), a Type3 font whose every glyph runs a long drawing, an image that declares 30,000 × 30,000 pixels. The
counts here are taken from the file's own structure — every content stream tokenised once, a form's cost computed
once and multiplied by how often it is painted — so counting costs about the size of the file, never the work it
asks for. Over a limit is a `LimitExceeded` (the verdict is `error`, never `pass`) with a Chinese reason.

Counts may overstate (a string that looks like an operator, a 2-byte code counted as 2 glyphs), never understate:
an inline image is skipped only up to the first ` EI ` after its data, as PDFium does. Limits: reviewer/extract/limits.py.
"""

from __future__ import annotations

import io
import re
import zlib
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from reviewer.errors import ExtractionError, LimitExceeded
from reviewer.extract.limits import DEFAULT_LIMITS, Budget, Limits

if TYPE_CHECKING:  # pragma: no cover
    from pypdf import PdfReader

MAX_FORM_DEPTH = 24  # forms painting forms this deep (PDFium stops far earlier on real files)
_REFUSE = "，与文件大小不相称，可能是恶意构造的文件，未能读完，无法审查"


@dataclass(slots=True)
class Work:
    """Work of one content stream (or of everything a page draws, once expanded)."""

    operators: int = 0
    glyphs: int = 0  # bytes of shown strings: one or two per glyph drawn
    paints: int = 0  # XObjects painted (Do), inline images, Type3 glyph procedures run
    pixels: int = 0  # image pixels declared
    # Text objects of the page itself (content and forms; not Type3 glyphs, patterns or annotations): the show
    # operators with a non-empty string, and those shown in a font without a usable Unicode mapping (pdftext.py).
    shows: int = 0
    unmapped: int = 0
    codes: int = 0  # character codes those show (at least: a code of a CJK CMap of unknown width counts 4 bytes)

    def add(self, other: Work, times: int = 1, text: bool = True) -> None:
        self.operators += other.operators * times
        self.glyphs += other.glyphs * times
        self.paints += other.paints * times
        self.pixels += other.pixels * times
        if text:
            self.shows += other.shows * times
            self.unmapped += other.unmapped * times
            self.codes += other.codes * times

    @property
    def units(self) -> int:
        return self.operators + self.glyphs + 20 * self.paints


@dataclass(slots=True)
class _Stream:
    """One content stream tokenised: its own work and the names it uses (resolved against its resources)."""

    own: Work = field(default_factory=Work)
    xobjects: dict[bytes, int] = field(default_factory=dict)  # name -> times painted
    fonts: dict[bytes, int] = field(default_factory=dict)  # font name -> glyph bytes shown with it
    font_shows: dict[bytes, int] = field(default_factory=dict)  # font name -> show operators with a non-empty string
    patterns: dict[bytes, int] = field(default_factory=dict)  # pattern name -> times used as a colour


# Literal strings without nested parentheses, hex strings, names, keywords (operators and true/false/null), comments,
# '(' of a string with nested parentheses (walked by hand), and inline image starts. Numbers and delimiters are skipped.
_TOKEN = re.compile(
    rb"\((?:[^()\\]|\\[\s\S])*\)"  # simple literal string
    rb"|\("  # a string with nested parentheses
    rb"|<<|>>"
    rb"|<[0-9A-Fa-f\s]*>"  # hex string
    rb"|/[^\x00\t\n\x0c\r ()<>\[\]{}/%]*"  # name
    rb"|%[^\r\n]*"  # comment
    rb"|[A-Za-z'\"][^\x00\t\n\x0c\r ()<>\[\]{}/%]*"  # keyword
)
_SHOW = {b"Tj", b"TJ", b"'", b'"'}
_EI = re.compile(rb"[\x00\t\n\x0c\r ]EI(?=[\x00\t\n\x0c\r ]|$)")
_INLINE_W = re.compile(rb"/(?:W|Width)\s+(\d+)")
_INLINE_H = re.compile(rb"/(?:H|Height)\s+(\d+)")


_WHITE = re.compile(rb"[\x00\t\n\x0c\r ]")
_ESCAPES = re.compile(rb"\\(?:[0-7]{1,3}|\r\n|[\s\S])")


def _literal_bytes(body: bytes) -> int:
    """Bytes a literal string's body stands for (escapes \\n, \\053, \\( are one byte, a line continuation none)."""
    if b"\\" not in body:
        return len(body)
    return len(_ESCAPES.sub(lambda m: b"" if m.group()[1:2] in (b"\r", b"\n") else b"x", body))


def _nested_string_end(data: bytes, start: int) -> int:
    depth, i, n = 0, start, len(data)
    while i < n:
        c = data[i]
        if c == 0x5C:  # backslash: the next byte is escaped
            i += 2
            continue
        if c == 0x28:
            depth += 1
        elif c == 0x29:
            depth -= 1
            if depth == 0:
                return i + 1
        i += 1
    return n


_NAMED_ESCAPES = {b"n": b"\n", b"r": b"\r", b"t": b"\t", b"b": b"\b", b"f": b"\f"}


def _literal_value(body: bytes) -> bytes:
    """The bytes a literal string's body stands for (PDF escapes; a line continuation is nothing)."""
    def one(m: re.Match[bytes]) -> bytes:
        esc = m.group()[1:]
        if esc[:1] in (b"\r", b"\n"):
            return b""
        if esc[:1].isdigit():
            return bytes([int(esc, 8) & 0xFF])
        return _NAMED_ESCAPES.get(esc, esc)

    return _ESCAPES.sub(one, body) if b"\\" in body else body


def _hex_value(tok: bytes) -> bytes:
    digits = _WHITE.sub(b"", tok[1:-1])
    return bytes.fromhex((digits + b"0" * (len(digits) % 2)).decode("ascii"))


def tokenise(data: bytes, strings: list[tuple[bytes, bytes]] | None = None) -> _Stream:
    """Count one content stream's work. `strings`: when given, every show operator with a non-empty string adds
    (its font's resource name, the bytes it shows) to it, in order (pdftext.py reads them)."""
    out = _Stream()
    values: list[bytes] = []  # the strings since the last operator, when `strings` is wanted
    own = out.own
    last_name = b""
    font = b""
    shown = 0  # string bytes since the last operator (operands of a show operator)
    pos, n = 0, len(data)
    search = _TOKEN.search
    while True:
        m = search(data, pos)
        if m is None:
            break
        tok = m.group()
        pos = m.end()
        first = tok[:1]
        if first == b"(":
            if tok == b"(":
                end = _nested_string_end(data, m.start())
                body = data[m.start() + 1 : end - 1]
                pos = end
            else:
                body = tok[1:-1]
            shown += _literal_bytes(body)
            if strings is not None:
                values.append(_literal_value(body))
        elif first == b"<":
            if tok not in (b"<<", b">>"):
                shown += (len(_WHITE.sub(b"", tok)) - 1) // 2
                if strings is not None:
                    values.append(_hex_value(tok))
        elif first == b"/":
            last_name = tok[1:]
        elif first == b"%":
            continue
        elif first == b">":
            continue
        else:  # an operator (or true/false/null, counted as one: overstating is safe)
            own.operators += 1
            if tok in _SHOW:
                own.glyphs += shown
                out.fonts[font] = out.fonts.get(font, 0) + shown
                if shown:
                    own.shows += 1
                    out.font_shows[font] = out.font_shows.get(font, 0) + 1
                    if strings is not None:
                        strings.append((font, b"".join(values)))
            elif tok == b"Do":
                out.xobjects[last_name] = out.xobjects.get(last_name, 0) + 1
            elif tok == b"Tf":
                font = last_name
            elif tok in (b"scn", b"SCN", b"cs", b"CS") and last_name:
                out.patterns[last_name] = out.patterns.get(last_name, 0) + 1
            elif tok == b"BI":
                stop = data.find(b"ID", pos)
                head = data[pos:stop] if stop >= 0 else data[pos:]
                w = _INLINE_W.search(head)
                h = _INLINE_H.search(head)
                own.paints += 1
                own.pixels += (int(w.group(1)) if w else 1) * (int(h.group(1)) if h else 1)
                if stop < 0:
                    break
                ei = _EI.search(data, stop + 2)
                pos = ei.end() if ei else n
            shown = 0
            values.clear()
    return out


# ------------------------------------------------------------------------------------------------------------ PDF
class PdfWork:
    """Counts the work of a PDF's pages. One instance per document: forms, Type3 fonts and patterns shared by pages
    are tokenised once."""

    def __init__(self, limits: Limits, budget: Budget | None,
                 strings: dict[int, list[tuple[bytes, bytes]]] | None = None) -> None:
        self.limits = limits
        self.budget = budget
        self.strings = strings  # when given: each stream's shown strings, by object number (pdftext.py reads them)
        self._streams: dict[int, _Stream] = {}  # by the stream's object number (or id)
        self._expanded: dict[tuple[int, int, int], Work] = {}  # (stream, resources) -> work with everything it paints
        self._active: set[tuple[int, int, int]] = set()
        self.raw = Work()  # every stream counted once (what the file holds)

    def _decoded(self, stream: Any) -> bytes:
        from pypdf.generic import ArrayObject

        filters = stream.get("/Filter")
        if isinstance(filters, ArrayObject) and len(filters) == 1:
            filters = filters[0]
        limit = self.limits.max_unzipped_bytes - (self.budget.unzipped if self.budget else 0)
        if filters == "/FlateDecode" and stream.get("/DecodeParms") is None:
            # inflated with a bound: a flate bomb stops at the limit instead of filling memory
            z = zlib.decompressobj()
            try:
                data = z.decompress(stream._data, limit + 1)
            except zlib.error:
                data = stream.get_data()  # pypdf's tolerant decoder (what the extractor will read)
        else:
            data = stream.get_data()
        if len(data) > limit:
            raise LimitExceeded(f"PDF 的内容流解压后超过 {self.limits.max_unzipped_bytes} 字节上限（疑似“压缩炸弹”），拒绝处理")
        if self.budget is not None:
            self.budget.add_unzipped(len(data))
            self.budget.check_time()
        return data

    def _stream(self, ref: Any, obj: Any) -> _Stream:
        key = ref.idnum if hasattr(ref, "idnum") else id(obj)
        got = self._streams.get(key)
        if got is None:
            captured: list[tuple[bytes, bytes]] | None = [] if self.strings is not None else None
            got = tokenise(self._decoded(obj), captured)
            if self.strings is not None and captured is not None:
                self.strings[key] = captured
            self._streams[key] = got
            self.raw.add(got.own)
        return got

    def content(self, ref: Any, resources: Any, depth: int, inherited: Work | None = None) -> Work:
        """The work of a content stream with everything it paints (forms, images, Type3 glyphs, patterns).
        `inherited`: the costliest Type3 glyph the painter's fonts may leave selected (a form may show text in the
        font its painter set)."""
        from pypdf.generic import DictionaryObject, StreamObject

        obj = ref.get_object() if ref is not None else None
        if not isinstance(obj, StreamObject):
            return Work()
        res = resources.get_object() if resources is not None else None
        inherited = inherited or Work()
        key = (ref.idnum if hasattr(ref, "idnum") else id(obj), id(res), inherited.units)
        done = self._expanded.get(key)
        if done is not None:
            return done
        if key in self._active:  # a form painting itself: PDFium does not enter a form it is already drawing
            return Work()
        if depth > MAX_FORM_DEPTH:
            raise LimitExceeded(f"PDF 的表单对象嵌套超过 {MAX_FORM_DEPTH} 层{_REFUSE}")
        self._active.add(key)
        try:
            s = self._stream(ref, obj)
            total = Work()
            total.add(s.own)
            res = res if isinstance(res, DictionaryObject) else DictionaryObject()
            fonts = _dict(res.get("/Font"))
            type3: dict[str, Work] = {}  # Type3 fonts of these resources, costed when this stream needs them
            if s.fonts or s.xobjects or s.patterns:
                for fname, fref in fonts.items():
                    f = fref.get_object() if fref is not None else None
                    if isinstance(f, DictionaryObject) and f.get("/Subtype") == "/Type3":
                        type3[fname] = self._type3(f, res, depth)
            worst = max([inherited, *type3.values()], key=lambda w: w.units)
            xobjects = _dict(res.get("/XObject"))
            for name, times in s.xobjects.items():
                total.paints += times
                xref = _lookup(xobjects, name)
                x = xref.get_object() if xref is not None else None
                if not isinstance(x, StreamObject):
                    continue
                if x.get("/Subtype") == "/Image":
                    total.pixels += _pixels(x, self.limits) * times
                else:  # a form: its own resources, or (PDF 1.1) the ones it is painted with
                    inner = x.get("/Resources")
                    total.add(self.content(xref, inner if inner is not None else res, depth + 1, worst), times)
            for name, shown in s.fonts.items():
                # every glyph shown in a Type3 font runs one of its procedures; no Tf here: the painter's font;
                # a name not found among the fonts: the costliest Type3 one (never less than PDFium may run)
                fkey = _key(fonts, name) if name else None
                glyph = inherited if not name else (type3.get(fkey) if fkey is not None else worst)
                if glyph is not None and shown and glyph.units:
                    total.paints += shown
                    total.add(glyph, shown, text=False)
            for name, times in s.font_shows.items():
                fkey = _key(fonts, name) if name else None
                font = fonts.get(fkey) if fkey is not None else None
                if font is None or not _maps_unicode(font):
                    total.unmapped += times
                total.codes += s.fonts.get(name, 0) // _code_bytes(font)
            patterns = _dict(res.get("/Pattern"))
            for name, times in s.patterns.items():
                pref = _lookup(patterns, name)
                p = pref.get_object() if pref is not None else None
                if isinstance(p, StreamObject):
                    total.add(self.content(pref, p.get("/Resources") or res, depth + 1, worst), times, text=False)
        finally:
            self._active.discard(key)
        self._expanded[key] = total
        return total

    def _type3(self, font: Any, res: Any, depth: int) -> Work:
        """The costliest glyph procedure of a Type3 font (each glyph drawn runs one)."""
        worst = Work()
        procs = _dict(font.get("/CharProcs"))
        inner = font.get("/Resources")
        for ref in procs.values():
            w = self.content(ref, inner if inner is not None else res, depth + 1)
            if w.units > worst.units:
                worst = w
        return worst

    def page(self, page: Any) -> Work:
        """Everything one page makes the engines do: its content, and its annotations' appearances."""
        from pypdf.generic import ArrayObject, DictionaryObject, StreamObject

        total = Work()
        res = page.get("/Resources")
        contents = page.get("/Contents")
        resolved = contents.get_object() if contents is not None else None
        refs = list(resolved) if isinstance(resolved, ArrayObject) else [contents]
        for ref in refs:
            if ref is not None:
                total.add(self.content(ref, res, 0))
        for aref in _array(page.get("/Annots")):
            annot = aref.get_object()
            ap = annot.get("/AP") if isinstance(annot, DictionaryObject) else None
            normal = _dict(ap).get("/N") if ap is not None else None
            if normal is None:
                continue
            nobj = normal.get_object()
            states = [normal] if isinstance(nobj, StreamObject) else list(_dict(normal).values())
            for sref in states:
                s = sref.get_object()
                if isinstance(s, StreamObject):
                    total.add(self.content(sref, s.get("/Resources") or res, 1), text=False)
        return total


_STANDARD_ENCODINGS = {"/WinAnsiEncoding", "/MacRomanEncoding", "/StandardEncoding", "/MacExpertEncoding"}
_STANDARD_FONTS = {"/Helvetica", "/Helvetica-Bold", "/Helvetica-Oblique", "/Helvetica-BoldOblique", "/Times-Roman",
                   "/Times-Bold", "/Times-Italic", "/Times-BoldItalic", "/Courier", "/Courier-Bold", "/Courier-Oblique",
                   "/Courier-BoldOblique"}


def _maps_unicode(ref: Any) -> bool:
    """Do PDFium and pypdf map this font's codes to the same Unicode? Yes with a ToUnicode map, a predefined CJK
    CMap (not Identity), or a simple font with a standard encoding and no /Differences; a Type3 font, glyph names,
    Identity or embedded CMaps and symbolic built-in encodings are read differently by the two (pdftext.py)."""
    from pypdf.generic import DictionaryObject, NameObject

    font = ref.get_object() if ref is not None else None
    if not isinstance(font, DictionaryObject):
        return False
    if font.get("/ToUnicode") is not None:
        return True
    subtype = font.get("/Subtype")
    encoding = font.get("/Encoding")
    encoding = encoding.get_object() if encoding is not None else None
    if subtype == "/Type3":
        return False
    if subtype == "/Type0":
        return isinstance(encoding, NameObject) and encoding not in ("/Identity-H", "/Identity-V")
    if isinstance(encoding, NameObject):
        return encoding in _STANDARD_ENCODINGS
    if isinstance(encoding, DictionaryObject):
        return encoding.get("/Differences") is None
    return encoding is None and font.get("/BaseFont") in _STANDARD_FONTS


_TWO_BYTE_CMAPS = {"/Identity-H", "/Identity-V", "/UniGB-UCS2-H", "/UniGB-UCS2-V", "/UniGB-UTF16-H", "/UniGB-UTF16-V",
                   "/UniCNS-UCS2-H", "/UniCNS-UCS2-V", "/UniJIS-UCS2-H", "/UniJIS-UCS2-V", "/UniKS-UCS2-H",
                   "/UniKS-UCS2-V"}


def _code_bytes(ref: Any) -> int:
    """Bytes of one character code at most: 1 in a simple font, 2 in a Type0 font with a UCS-2 or Identity CMap,
    4 in any other Type0 font (mixed-width CMaps: a lower bound of the codes shown)."""
    from pypdf.generic import DictionaryObject

    font = ref.get_object() if ref is not None else None
    if not isinstance(font, DictionaryObject) or font.get("/Subtype") != "/Type0":
        return 1
    encoding = font.get("/Encoding")
    return 2 if isinstance(encoding, str) and encoding in _TWO_BYTE_CMAPS else 4


_ESCAPE = re.compile(rb"#([0-9A-Fa-f]{2})")


def _key(resources: Any, name: bytes) -> str | None:
    """The resource key a content-stream name refers to (#xx escapes decoded, as PDFium and pypdf do)."""
    raw = _ESCAPE.sub(lambda m: bytes([int(m.group(1), 16)]), name)
    for candidate in ("/" + raw.decode("utf-8", "replace"), "/" + raw.decode("latin-1")):
        if candidate in resources:
            return candidate
    return None


def _lookup(resources: Any, name: bytes) -> Any:
    key = _key(resources, name)
    return resources.get(key) if key is not None else None


def _dict(value: Any) -> Any:
    from pypdf.generic import DictionaryObject

    obj = value.get_object() if value is not None else None
    return obj if isinstance(obj, DictionaryObject) else DictionaryObject()


def _array(value: Any) -> list[Any]:
    from pypdf.generic import ArrayObject

    obj = value.get_object() if value is not None else None
    return list(obj) if isinstance(obj, ArrayObject) else []


def _pixels(image: Any, limits: Limits) -> int:
    """Declared pixels of an image XObject and its soft mask; one image over the limit is refused at once."""
    total = 0
    for im in (image, image.get("/SMask")):
        im = im.get_object() if im is not None else None
        if im is None or not hasattr(im, "get"):
            continue
        try:
            w, h = int(im.get("/Width", 0)), int(im.get("/Height", 0))
        except (TypeError, ValueError):
            raise ExtractionError("PDF 中图像的尺寸无效（文件结构异常），无法审查")
        if w * h > limits.max_image_pixels:
            raise LimitExceeded(f"PDF 中有一张图像声明为 {w} × {h} 像素，超过 {limits.max_image_pixels:,} 像素上限{_REFUSE}")
        total += max(0, w) * max(0, h)
    return total


def check_pdf(reader: PdfReader, size: int, limits: Limits = DEFAULT_LIMITS, budget: Budget | None = None,
              strings: dict[int, list[tuple[bytes, bytes]]] | None = None) -> list[Work]:
    """Count every page's work before any page is extracted or rendered; raise LimitExceeded (Chinese) when a page
    or the document asks for more than the limits allow. Returns the pages' counts."""
    counter = PdfWork(limits, budget, strings)
    pages: list[Work] = []
    total = Work()
    for n, page in enumerate(reader.pages, 1):
        w = counter.page(page)
        what = f"PDF 第{n}页"
        if w.operators > limits.max_page_operators:
            raise LimitExceeded(f"{what}需要执行约 {w.operators:,} 个绘制操作（计入重复绘制的表单对象），"
                                f"超过每页 {limits.max_page_operators:,} 个的上限{_REFUSE}")
        if w.glyphs > limits.max_page_glyphs:
            raise LimitExceeded(f"{what}要绘制约 {w.glyphs:,} 个字（计入重复绘制的表单对象），"
                                f"超过每页 {limits.max_page_glyphs:,} 个的上限{_REFUSE}")
        if w.paints > limits.max_page_paints:
            raise LimitExceeded(f"{what}要绘制 {w.paints:,} 次表单对象、图像或 Type3 字形，"
                                f"超过每页 {limits.max_page_paints:,} 次的上限{_REFUSE}")
        if w.pixels > limits.max_page_pixels:
            raise LimitExceeded(f"{what}的图像共声明 {w.pixels:,} 像素，超过每页 {limits.max_page_pixels:,} 像素的上限{_REFUSE}")
        pages.append(w)
        total.add(w)
        allowed = limits.work_floor + limits.work_per_byte * size
        if total.units > allowed:
            raise LimitExceeded(f"PDF 前 {n} 页需要的绘制工作量（约 {total.units:,} 个单位）超过按文件大小"
                                f"（{size:,} 字节）允许的 {allowed:,} 个单位{_REFUSE}")
    return pages


_COUNTED: dict[tuple[bytes, Limits], None] = {}  # PDFs (SHA-256) this process counted within those limits
_COUNTED_MAX = 16


def _digest(data: bytes) -> bytes:
    import hashlib

    return hashlib.sha256(data).digest()


def remember_counted(data: bytes, limits: Limits) -> None:
    """`data` was counted within `limits` (check_pdf raised nothing, with a budget at least as spent as a fresh
    one): check_pdf_bytes of the very same bytes under the same limits is answered from this, not counted again
    (the render check of a PDF draft counts what its text extraction counted a moment before)."""
    key = (_digest(data), limits)
    _COUNTED.pop(key, None)
    _COUNTED[key] = None
    while len(_COUNTED) > _COUNTED_MAX:
        del _COUNTED[next(iter(_COUNTED))]


def check_pdf_bytes(data: bytes, limits: Limits = DEFAULT_LIMITS) -> None:
    """check_pdf for PDF bytes (the render check's PDFs: drafts and what LibreOffice and Chromium printed)."""
    import warnings

    from pypdf import PdfReader

    if (_digest(data), limits) in _COUNTED:  # the same bytes, counted within the same limits by this process
        return

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            reader = PdfReader(io.BytesIO(data), strict=False)
            if reader.is_encrypted:
                reader.decrypt("")
            check_pdf(reader, len(data), limits, Budget(limits))
        remember_counted(data, limits)
    except ExtractionError:
        raise
    except Exception as exc:  # noqa: BLE001 - pypdf on hostile input: not counted is not rendered
        raise ExtractionError(f"PDF 文件结构异常，无法清点其绘制工作量（{type(exc).__name__}），未能核对，不得视为通过") from exc


# ------------------------------------------------------------------------------------------------- images, cells
def check_image(data: bytes, what: str, limits: Limits = DEFAULT_LIMITS) -> None:
    """Declared width × height of an image, from its header only (Pillow opens lazily, decodes nothing); refused
    when over the limit. Not an image Pillow knows: nothing to count here."""
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(data)) as im:
            w, h = int(im.size[0]), int(im.size[1])
    except Image.DecompressionBombError:  # Pillow's own guard: the header declares far more than its limit
        raise LimitExceeded(f"{what}声明的像素数超过 {limits.max_image_pixels:,} 像素上限{_REFUSE}") from None
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError):
        return
    if w * h > limits.max_image_pixels:
        raise LimitExceeded(f"{what}声明为 {w} × {h} 像素，超过 {limits.max_image_pixels:,} 像素上限{_REFUSE}")


def _tags(xml: bytes, name: bytes) -> int:
    """Elements named `name` (with or without a namespace prefix), counted by C-speed substring counts: every other
    tag that starts with the same letter (<col>, <formula1>) is counted too — more, never fewer."""
    return xml.count(b"<" + name) + xml.count(b":" + name + b" ") + xml.count(b":" + name + b">")


def count_cells(sheet_xml: bytes, budget: Budget) -> None:
    """Cells and formula cells of a worksheet, counted in its bytes before the XML is parsed (all sheets together)."""
    limits = budget.limits
    budget.cells += _tags(sheet_xml, b"c")
    budget.formulas += _tags(sheet_xml, b"f")
    if budget.formulas > limits.max_formula_cells:
        raise LimitExceeded(f"工作簿中含公式的单元格超过 {limits.max_formula_cells:,} 个上限{_REFUSE}")
    if budget.cells > limits.max_cells:
        raise LimitExceeded(f"工作簿的单元格超过 {limits.max_cells:,} 个上限{_REFUSE}")


_MEDIA = re.compile(r"(?i).*\.(png|jpe?g|gif|bmp|tiff?|webp|ico)$")


def check_package_media(pkg: Any, budget: Budget) -> None:
    """Images inside an Office package (word/media, xl/media, ppt/media …): their declared pixels, before LibreOffice
    is asked to decode them."""
    for n, name in enumerate(name for name in pkg.names if _MEDIA.fullmatch(name)):
        del n
        check_image(pkg.zip.read(pkg._by_name[name], count=False), "文档中有一张图片", budget.limits)


ROWS_PER_PAGE = 150  # paragraphs or table rows on one printed page, at most (6 pt text, one line each)
CELLS_PER_PAGE = 2_000  # spreadsheet cells on one printed page, at most


def office_pages_at_least(data: bytes, limits: Limits = DEFAULT_LIMITS) -> int:
    """A lower bound of the pages LibreOffice will print for an Office package (paragraphs and table rows of Word
    parts, cells of worksheets), counted in the XML before LibreOffice is started; 0 when it is not a zip."""
    import zipfile

    budget = Budget(limits)
    rows = cells = 0
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            for info in zf.infolist():
                name = info.filename
                if not name.endswith(".xml") or not name.startswith(("word/", "xl/worksheets/", "ppt/slides/")):
                    continue
                with zf.open(info) as f:
                    part = f.read(limits.max_unzipped_bytes - budget.unzipped + 1)
                budget.add_unzipped(len(part))
                if name.startswith("xl/"):
                    cells += _tags(part, b"c")
                else:  # <w:p>, <w:tr> (and every other tag starting p or tr: more, never fewer)
                    rows += part.count(b":p>") + part.count(b":p ") + part.count(b":tr>") + part.count(b":tr ")
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        return 0
    return rows // ROWS_PER_PAGE + cells // CELLS_PER_PAGE
