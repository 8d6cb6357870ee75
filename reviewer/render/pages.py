"""PDF pages and image files as page images, with the PDF text layer's characters and what else the page draws."""

from __future__ import annotations

import contextlib
import ctypes
import io
import itertools
import logging
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from reviewer.errors import exception_zh
from reviewer.render.convert import RenderError
from reviewer.render.model import Box
from reviewer.render.twins import exact_only

_log = logging.getLogger(__name__)

DPI = 150
MAX_IMAGE_SIDE = 2480  # an A4 scan at 300 dpi; larger images are scaled down before reading
MAX_IMAGE_PIXELS = 80_000_000  # refuse decompression bombs
MIN_IMAGE_PX = (16, 8)  # width, height on the rendered page: smaller pictures cannot show a legible character


SIG = 12  # side of a glyph's signature: its loose box (font metrics, not ink) scaled to SIG × SIG grey levels
# the fine signature: the loose box at FINE × FINE, each cell widened by FINE_BLUR pixels. Compared by its largest cell
# difference, it tells apart characters that differ by one short stroke (未/末, 土/士), which the signature's mean
# difference cannot (docs/render.md, “只差一笔的字”)
FINE = 24
FINE_BLUR = 1.0


@dataclass(slots=True)
class Glyph:
    ch: str
    box: Box
    sig: Any = None  # numpy float32 SIG×SIG in 0..1: what the page draws in the glyph's loose box
    size: int = 0  # height of the loose box in pixels: glyphs are compared with glyphs of their size only
    loose: tuple[float, float, float, float] | None = None  # the loose box in page pixels (what `sig` shows)
    verified: bool = False  # found in the glyph memory (render/glyphs.py): set once known, never unset
    fine: Any = None  # numpy float32 FINE×FINE in 0..1 (with `sig`): the same box, finer and less blurred
    # for a twin-prone claimed character (render/twins.py): a hash of the exact pixels drawn in the loose box, cut to
    # their ink (None without ink): such a glyph is trusted only as a pixel-identical copy of a verified drawing
    exact: bytes | None = None
    index: int = -1  # the character's index in PDFium's text page (PdfPage.redraw draws it again from there)
    # set by PdfPage.redraw: (document, font) of the drawing, and whether the page's pixels in its loose box are exactly
    # what that font draws for the claimed character there, with nothing else drawn over, under or instead of it
    font: tuple[int, int] | None = None
    faithful: bool = False
    # pdf_pages(signatures="lazy"): a digest of the page's pixels in the whole pixels the loose box touches (with
    # its width): the same digest for the same claimed character is the very picture of a verified glyph
    crop: bytes | None = None


@dataclass(slots=True)
class PdfPage:
    number: int
    picture: Any  # PIL.Image.Image (RGB), or None for a grey page (`gray`): made from it when first asked (`image`)
    glyphs: list[Glyph] = field(default_factory=list)
    image_area: float = 0.0  # share of the page covered by image objects
    images: int = 0  # image objects big enough to hold legible text (MIN_IMAGE_PX): their regions are read by OCR
    shapes: int = 0  # filled vector shapes larger than a rule line (WordArt, text as outlines, stamps)
    invisible_text: bool = False  # text objects in render mode 3 (drawn nowhere)
    annotations: int = 0  # visible annotations and form fields (stamps, free text, widgets): drawn, not in the text layer
    regions: list[Box] = field(default_factory=list)  # pixel boxes of images and shapes: what OCR must read
    # the page's grey levels (H × W uint8, numpy) when every pixel is grey (r = g = b: most text pages), else None;
    # taken once from PDFium's bitmap for the signatures and the stored PNG (check._png)
    gray: Any = None
    # PDF pages with a text layer, while the page is being checked (pdf_pages yields it open): redraw(targets, also)
    # draws the claimed characters of `targets` and `also` with their own fonts on a blank page and sets each
    # target's `font` and `faithful` (glyphs.verify_glyphs: one verified drawing of a font's glyph stands for all)
    redraw: Any = None
    levels: Any = None  # the grey levels the glyphs' signatures are made from (H × W uint8), with signatures

    @property
    def image(self) -> Any:
        """The page as an RGB PIL image (a grey page's made from its levels on first use: most text pages of a
        verified draft never need it — their PNG is written from the levels and nothing on them is read by OCR)."""
        if self.picture is None:
            from PIL import Image

            grey = Image.fromarray(self.gray, "L")
            self.picture = Image.merge("RGB", (grey, grey, grey))
        return self.picture

    @property
    def size(self) -> tuple[int, int]:
        """(width, height) in pixels."""
        if self.picture is None:
            return int(self.gray.shape[1]), int(self.gray.shape[0])
        return tuple(self.picture.size)  # type: ignore[return-value]


def pdf_pages(pdf: bytes, max_pages: int, dpi: int = DPI, signatures: bool | str = True) -> Iterator[PdfPage]:
    """The PDF's pages; glyph signatures only when `signatures` (the text layer is checked against its pixels);
    "lazy": only each glyph's `crop` digest, the signatures made by `sign(page.levels, glyphs)` for the glyphs that
    need them (render/check.py: a glyph pixel for pixel the same as a verified one needs none)."""
    import numpy as np
    import pypdfium2 as pdfium
    import pypdfium2.raw as raw

    from reviewer.extract.workload import check_pdf_bytes

    check_pdf_bytes(pdf)  # what each page asks PDFium for, counted before it is asked (LimitExceeded: Chinese)
    try:
        doc = pdfium.PdfDocument(pdf)
    except pdfium.PdfiumError:
        raise RenderError("PDF 无法打开（文件已损坏、加密或不是 PDF），未能核对显示内容，不得视为通过")
    try:
        doc.init_forms()  # form fields drawn as a viewer draws them
    except Exception:  # noqa: BLE001 - a document without a usable form: its widgets are still drawn as annotations
        pass
    fonts: _Fonts | None = None
    try:
        n = len(doc)
        if n > max_pages:
            raise RenderError(f"文档共 {n} 页，超过渲染核对上限 {max_pages} 页，未能核对显示内容，不得视为通过")
        scale = dpi / 72
        fonts = _Fonts(doc, next(_DOCUMENTS))
        for i in range(n):
            page = doc[i]
            try:
                width, height = page.get_size()
                img, gray = _bitmap(page.render(scale=scale, rotation=0, fill_color=(255, 255, 255, 255)))
                out = PdfPage(i + 1, img, gray=gray)  # img None for a grey page: made from `gray` when needed
                rot = page.get_rotation() % 360
                area = 0.0

                def region(left: float, bottom: float, right: float, top: float) -> Box:
                    return (max(0, int(left * scale)), max(0, int((height - top) * scale)),
                            int(right * scale + 0.999), int((height - bottom) * scale + 0.999))

                for kind, obj in _objects(page.raw, raw):
                    if kind == raw.FPDF_PAGEOBJ_IMAGE:
                        left, bottom, right, top = _bounds(obj, raw)
                        a = max(0.0, right - left) * max(0.0, top - bottom)
                        area += a
                        # any picture large enough on the rendered page to carry a legible word (a 200 px stamp
                        # image is 1% of an A4 page: a share threshold let it through unread)
                        if (right - left) * scale >= MIN_IMAGE_PX[0] and (top - bottom) * scale >= MIN_IMAGE_PX[1]:
                            out.images += 1
                            out.regions.append(region(left, bottom, right, top))
                    elif kind == raw.FPDF_PAGEOBJ_PATH:
                        left, bottom, right, top = _bounds(obj, raw)
                        if right - left > 6 and top - bottom > 6:
                            out.shapes += 1
                            out.regions.append(region(left, bottom, right, top))
                    elif kind == raw.FPDF_PAGEOBJ_TEXT:
                        if raw.FPDFTextObj_GetTextRenderMode(obj) == raw.FPDF_TEXTRENDERMODE_INVISIBLE:
                            out.invisible_text = True
                out.image_area = area / max(1.0, width * height)
                # Annotations (a Stamp or FreeText with its own appearance, a form field's widget) are drawn on the
                # page but are not in its text layer: their rectangles are read by OCR like images.
                rect = raw.FS_RECTF()
                for k in range(raw.FPDFPage_GetAnnotCount(page.raw)):
                    annot = raw.FPDFPage_GetAnnot(page.raw, k)
                    if not annot:
                        continue
                    try:
                        if raw.FPDFAnnot_GetSubtype(annot) in (raw.FPDF_ANNOT_LINK, raw.FPDF_ANNOT_POPUP):
                            continue
                        if raw.FPDFAnnot_GetFlags(annot) & (raw.FPDF_ANNOT_FLAG_HIDDEN | raw.FPDF_ANNOT_FLAG_NOVIEW):
                            continue
                        if raw.FPDFAnnot_GetRect(annot, ctypes.byref(rect)):
                            left, right = sorted((rect.left, rect.right))
                            bottom, top = sorted((rect.bottom, rect.top))
                            if right - left > 1 and top - bottom > 1:
                                out.annotations += 1
                                out.regions.append(region(left, bottom, right, top))
                    finally:
                        raw.FPDFPage_CloseAnnot(annot)
                textpage = None
                if rot == 0:  # rotated pages are read by OCR only (the text layer's boxes would need turning)
                    textpage = page.get_textpage()
                    grey = gray if gray is not None else np.asarray(out.image.convert("L"))
                    out.glyphs = _glyphs(textpage, grey, scale, height, signatures)
                    out.levels = grey if signatures else None
                    if signatures and out.glyphs:
                        out.redraw = _Redraw(doc, page, textpage, grey, scale, fonts)
                else:
                    out.invisible_text = True
                yield out
            finally:
                if textpage is not None:
                    textpage.close()
                page.close()
    finally:
        if fonts is not None:
            fonts.close()
        doc.close()


@contextlib.contextmanager
def _render_grey(page: Any, w: int, h: int, copy: bool = True) -> Iterator[Any]:
    """A scratch page (black text on white) rendered as pdf_pages renders pages (BGRx, same flags): its blue channel
    (H × W uint8: black text on white is grey; `copy`=False: a view valid inside the block only), or None when
    PDFium cannot make the bitmap."""
    import numpy as np
    import pypdfium2.raw as raw

    bitmap = raw.FPDFBitmap_Create(w, h, 0)
    if not bitmap:
        yield None
        return
    try:
        raw.FPDFBitmap_FillRect(bitmap, 0, 0, w, h, 0xFFFFFFFF)
        raw.FPDF_RenderPageBitmap(bitmap, page, 0, 0, w, h, 0, raw.FPDF_ANNOT)
        stride = raw.FPDFBitmap_GetStride(bitmap)
        buf = ctypes.cast(raw.FPDFBitmap_GetBuffer(bitmap), ctypes.POINTER(ctypes.c_uint8))
        blue = np.ctypeslib.as_array(buf, shape=(h, stride)).reshape(h, stride // 4, 4)[:, :w, 0]
        yield blue.copy() if copy else blue
    finally:
        raw.FPDFBitmap_Destroy(bitmap)


_DOCUMENTS = itertools.count(1)  # a serial per opened document: font handles are only unique within one


class _Fonts:
    """The fonts of one open document that glyphs were drawn again with: each kept alive by a text object of its own
    until the document closes, so that its handle (a pointer) names it alone for the whole document — a font PDFium
    frees when the last page using it closes could otherwise be replaced at the same address by another font, and
    what was proven of the first would be taken for the second. Also the document's session of trusted fonts
    (render/fontproof.py)."""

    def __init__(self, doc: Any, serial: int) -> None:
        self.doc, self.serial = doc, serial
        self._kept: dict[int, Any] = {}
        self._session: Any = None

    def key(self, font: Any) -> int:
        import pypdfium2.raw as raw

        ptr = ctypes.cast(font, ctypes.c_void_p).value or 0
        if ptr and ptr not in self._kept:
            keeper = raw.FPDFPageObj_CreateTextObj(self.doc.raw, font, 1.0)
            if not keeper:
                return 0  # not kept: not used as a key
            self._kept[ptr] = keeper
        return ptr

    def proves(self, font: Any, ch: str) -> bool:
        """The font's glyph for `ch` has the outline of `ch` in a font installed on the server (fontproof)."""
        from reviewer.render import fontproof

        if self._session is None:
            self._session = fontproof.shared().session()
        return bool(self._session.proves(font, ch))

    def close(self) -> None:
        import pypdfium2.raw as raw

        for keeper in self._kept.values():
            raw.FPDFPageObj_Destroy(keeper)
        self._kept.clear()
        self._session = None


def _drawn_with(tp: Any, index: int) -> tuple[Any, float, tuple[float, float, float, float], float, float] | None:
    """How the text page's character `index` is drawn: its text object's font, size and matrix (a, b, c, d) and the
    character's origin (PDF points), or None when PDFium cannot tell."""
    import pypdfium2.raw as raw

    obj = raw.FPDFText_GetTextObject(tp, index) if index >= 0 else None
    if not obj or raw.FPDFTextObj_GetTextRenderMode(obj) != raw.FPDF_TEXTRENDERMODE_FILL:
        return None
    size, matrix = ctypes.c_float(), raw.FS_MATRIX()
    x, y = ctypes.c_double(), ctypes.c_double()
    font = raw.FPDFTextObj_GetFont(obj)
    if not font or not raw.FPDFTextObj_GetFontSize(obj, ctypes.byref(size)) or \
            not raw.FPDFPageObj_GetMatrix(obj, ctypes.byref(matrix)) or \
            not raw.FPDFText_GetCharOrigin(tp, index, ctypes.byref(x), ctypes.byref(y)):
        return None
    return font, size.value, (matrix.a, matrix.b, matrix.c, matrix.d), x.value, y.value


def _draw(doc: Any, page: Any, font: Any, size: float, m: tuple[float, float, float, float], x: float, y: float,
          ch: str) -> bool:
    """Draw the character `ch` with `font` at `size` with the matrix `m` at (x, y) (PDF points) on the scratch
    `page`, black fill, as FPDFText_SetText maps it through the font's ToUnicode map."""
    import pypdfium2.raw as raw

    text = raw.FPDFPageObj_CreateTextObj(doc, font, size)
    if not text:
        return False
    code = ord(ch)
    units = (ctypes.c_ushort * 3)(code, 0, 0) if code < 0x10000 else \
        (ctypes.c_ushort * 3)(0xD800 + ((code - 0x10000) >> 10), 0xDC00 + ((code - 0x10000) & 0x3FF), 0)
    at = raw.FS_MATRIX(*m, x, y)
    if not raw.FPDFText_SetText(text, units) or not raw.FPDFPageObj_SetMatrix(text, ctypes.byref(at)):
        raw.FPDFPageObj_Destroy(text)
        return False
    raw.FPDFPage_InsertObject(page, text)  # the page owns it from here
    return True


class _Redraw:
    """The page's claimed characters drawn again, each with the font its own text object uses, at its own origin,
    size and matrix, in black on a blank page of the same document (PDFium's own fonts and rasteriser: the drawing
    of a glyph at one position is the same bytes every time). A glyph whose loose box holds exactly those pixels on
    the page shows what its font draws for the character it claims and nothing else: not covered, recoloured,
    clipped, overdrawn or drawn by another object. Which character that drawing shows is proven separately
    (glyphs.verify_glyphs), once per (document, font, character)."""

    def __init__(self, doc: Any, page: Any, textpage: Any, gray: Any, scale: float, fonts: _Fonts) -> None:
        self.doc, self.page, self.tp, self.gray, self.scale, self.fonts = doc, page, textpage, gray, scale, fonts

    def proves(self, g: Glyph) -> bool:
        """The outline g's font draws for its claimed character is that character's in an installed font."""
        import pypdfium2.raw as raw

        obj = raw.FPDFText_GetTextObject(self.tp.raw, g.index) if g.index >= 0 else None
        font = raw.FPDFTextObj_GetFont(obj) if obj else None
        return bool(font) and self.fonts.key(font) != 0 and self.fonts.proves(font, g.ch)

    def __call__(self, targets: list[Glyph], also: list[Glyph]) -> None:
        """Set `font` and `faithful` of every glyph of `targets` (`also`: drawn too, not judged: the neighbours whose
        antialiased edges reach into a target's box)."""
        import numpy as np
        import pypdfium2.raw as raw

        if not targets:
            return
        doc, tp = self.doc.raw, self.tp.raw
        width, height = self.page.get_size()
        h, w = self.gray.shape[0], self.gray.shape[1]
        at = raw.FPDF_GetPageCount(doc)
        scratch = raw.FPDFPage_New(doc, at, width, height)
        if not scratch:
            return
        try:
            box = [ctypes.c_float() for _ in range(4)]
            if raw.FPDFPage_GetMediaBox(self.page.raw, *(ctypes.byref(b) for b in box)):
                raw.FPDFPage_SetMediaBox(scratch, *(b.value for b in box))
            if raw.FPDFPage_GetCropBox(self.page.raw, *(ctypes.byref(b) for b in box)):
                raw.FPDFPage_SetCropBox(scratch, *(b.value for b in box))
            fonts: dict[int, int] = {}
            seen: set[int] = set()
            for g in [*targets, *also]:
                if g.index < 0 or g.index in seen or len(g.ch) != 1:
                    continue
                seen.add(g.index)
                how = _drawn_with(tp, g.index)
                if how is None:
                    continue
                font, size, m, x, y = how
                fid = self.fonts.key(font)
                if fid and _draw(doc, scratch, font, size, m, x, y, g.ch):
                    fonts[g.index] = fid
            with _render_grey(scratch, w, h, copy=False) as drawn:
                for g in targets if drawn is not None else ():
                    drawn_with = fonts.get(g.index)
                    if drawn_with is None or g.loose is None:
                        continue
                    g.font = (self.fonts.serial, drawn_with)
                    x0, y0, x1, y1 = g.loose
                    cut = (slice(max(0, int(y0) - 1), min(h, int(np.ceil(y1)) + 1)),
                           slice(max(0, int(x0) - 1), min(w, int(np.ceil(x1)) + 1)))
                    mine = drawn[cut]
                    g.faithful = bool((mine < 255).any()) and bool(np.array_equal(mine, self.gray[cut]))
        finally:
            raw.FPDF_ClosePage(scratch)
            raw.FPDFPage_Delete(doc, at)


    def copies(self, glyphs: list[Glyph], shifts: list[tuple[float, float]]) -> list[list[Glyph]]:
        """Each glyph's font's drawing of its claimed character again, alone on a blank page, moved by each of
        `shifts` (fractions of a pixel, x and y) from its own sub-pixel position: a Glyph (signatures, `exact`) per
        shift, in order ([] for a glyph that cannot be drawn). The drawings a glyph memory was taught sit at other
        sub-pixel positions than this draft's; one of these is likely near one of them."""
        import numpy as np
        import pypdfium2.raw as raw

        doc, tp = self.doc.raw, self.tp.raw
        _width, height = self.page.get_size()
        plans: list[tuple[Glyph, Any, float, Any, float, float]] = []
        cell = 0.0
        for g in glyphs:
            how = _drawn_with(tp, g.index) if g.loose is not None and len(g.ch) == 1 else None
            if how is None or g.loose is None:
                continue
            font, size, m, x, y = how
            plans.append((g, font, size, m, x * self.scale, (height - y) * self.scale))
            x0, y0, x1, y1 = g.loose
            cell = max(cell, x1 - x0, y1 - y0)
        out: dict[int, list[Glyph]] = {}
        if not plans or cell <= 0 or cell > 400:
            return [out.get(id(g), []) for g in glyphs]
        pitch = int(cell) + 8  # pixels between copies: no copy's antialiased edge reaches another's box
        cols = max(1, min(len(shifts) * len(plans), 2000 // pitch))
        rows = -(-len(shifts) * len(plans) // cols)
        w, h = cols * pitch, rows * pitch
        pw, ph = w / self.scale, h / self.scale
        scratch = raw.FPDFPage_New(doc, raw.FPDF_GetPageCount(doc), pw, ph)
        at = raw.FPDF_GetPageCount(doc) - 1
        if not scratch:
            return [[] for _ in glyphs]
        try:
            placed: list[tuple[Glyph, tuple[float, float, float, float]]] = []
            k = 0
            for g, font, fsize, m, ox, oy in plans:
                assert g.loose is not None
                for dx, dy in shifts:
                    col, row = k % cols, k // cols
                    k += 1
                    # the copy's origin in pixels: the cell's corner plus the glyph's own offset in its loose box and
                    # sub-pixel position, moved by the shift
                    tx = col * pitch + 4 - int(g.loose[0]) + dx
                    ty = row * pitch + 4 - int(g.loose[1]) + dy
                    if not _draw(doc, scratch, font, fsize, m, (ox + tx) / self.scale, ph - (oy + ty) / self.scale, g.ch):
                        continue
                    x0, y0, x1, y1 = g.loose
                    placed.append((g, (x0 + tx, y0 + ty, x1 + tx, y1 + ty)))
            with _render_grey(scratch, w, h) as gray:
                pass
            if gray is None:
                return [[] for _ in glyphs]
        finally:
            raw.FPDF_ClosePage(scratch)
            raw.FPDFPage_Delete(doc, at)
        if not placed:
            return [[] for _ in glyphs]
        boxes = np.array([b for _g, b in placed], dtype=np.float64)
        sigs = signatures_of(gray, boxes)
        fines = signatures_of(gray, boxes, FINE, FINE_BLUR)
        for (g, b), sig, fine in zip(placed, sigs, fines, strict=True):
            copy = Glyph(g.ch, g.box, sig, g.size, b, fine=fine)
            if exact_only(g.ch):
                copy.exact = exact_of(gray, b)
            out.setdefault(id(g), []).append(copy)
        return [out.get(id(g), []) for g in glyphs]


MAX_FORM_DEPTH = 8  # Form XObjects inside Form XObjects: levels looked into (the workload check bounds the count)


def _bitmap(bitmap: Any) -> tuple[Any, Any]:
    """The rendered page as an RGB PIL image and None, or, when every pixel is grey, None and its grey levels (the
    page's RGB image is then made from them only if asked for, PdfPage.image): one look at PDFium's BGR buffer (PIL's
    BGR decoding, then a second conversion for the signatures and a third, back to RGB, to tell a grey page for the
    PNG, cost as much as rendering the page)."""
    import numpy as np
    from PIL import Image

    bgr = bitmap.to_numpy()  # a view of PDFium's buffer (H × W × 3, B G R): copied out below
    if bgr.ndim == 3 and bgr.shape[2] == 3:
        b = bgr[:, :, 0]
        if bool((b == bgr[:, :, 1]).all()) and bool((b == bgr[:, :, 2]).all()):
            return None, np.ascontiguousarray(b)
        return Image.fromarray(np.ascontiguousarray(bgr[:, :, ::-1]), "RGB"), None
    return bitmap.to_pil().convert("RGB"), None


def _objects(page: Any, raw: Any, form: Any = None, level: int = 0) -> Iterator[tuple[int, Any]]:
    """(type, raw handle) of every page object, descending into Form XObjects MAX_FORM_DEPTH levels deep (raw PDFium
    calls: the wrapper's object per page object cost more than reading them)."""
    count = raw.FPDFFormObj_CountObjects(form) if form is not None else raw.FPDFPage_CountObjects(page)
    if count < 0:
        raise RenderError("页面对象无法读取（文件已损坏），未能核对显示内容，不得视为通过")
    for k in range(count):
        obj = raw.FPDFFormObj_GetObject(form, k) if form is not None else raw.FPDFPage_GetObject(page, k)
        if not obj:
            raise RenderError("页面对象无法读取（文件已损坏），未能核对显示内容，不得视为通过")
        kind = raw.FPDFPageObj_GetType(obj)
        yield kind, obj
        if kind == raw.FPDF_PAGEOBJ_FORM and level < MAX_FORM_DEPTH - 1:
            yield from _objects(page, raw, obj, level + 1)


def _bounds(obj: Any, raw: Any) -> tuple[float, float, float, float]:
    left, bottom, right, top = (ctypes.c_float() for _ in range(4))
    if not raw.FPDFPageObj_GetBounds(obj, ctypes.byref(left), ctypes.byref(bottom), ctypes.byref(right),
                                     ctypes.byref(top)):
        raise RenderError("页面对象的位置无法读取（文件已损坏），未能核对显示内容，不得视为通过")
    return left.value, bottom.value, right.value, top.value


def _glyphs(textpage: Any, gray: Any, scale: float, height: float, signatures: bool | str = True) -> list[Glyph]:
    """Every drawn character of the text layer with its box and, when `signatures`, its signature: the pixels inside
    its loose char box (the font's advance × ascent–descent, the same for every drawing of one glyph at one size,
    wherever it sits) averaged down to SIG × SIG (`signatures`). `gray`: the page's grey levels (H × W numpy).
    The page's characters are read in one call; each character's boxes by PDFium calls with plain addresses into two
    arrays for the page (_TextCalls), turned into pixel boxes in a few numpy operations; the signatures of a whole
    page likewise."""
    import numpy as np
    import pypdfium2.raw as raw

    tp = textpage.raw
    codes = _codes(tp, raw)
    n = len(codes)
    if not n:
        return []
    calls = _text_calls()
    page = ctypes.cast(tp, ctypes.c_void_p).value
    tight = (ctypes.c_double * (4 * n))()  # per character: left, right, bottom, top (FPDFText_GetCharBox)
    loose = (ctypes.c_float * (4 * n))()  # per character: FS_RECTF left, top, right, bottom (GetLooseCharBox)
    at_tight, at_loose = ctypes.addressof(tight), ctypes.addressof(loose)
    generated, char_box, loose_box = calls.generated, calls.char_box, calls.loose_box
    chars: list[int] = []  # characters with a tight box
    has_loose = bytearray(n)
    for c, code in enumerate(codes):
        if not code or (code < 0x110000 and chr(code).isspace()) or generated(page, c) == 1:
            continue
        a = at_tight + 32 * c
        if not char_box(page, c, a, a + 8, a + 16, a + 24):
            continue
        chars.append(c)
        if loose_box(page, c, at_loose + 16 * c):
            has_loose[c] = 1
    if not chars:
        return []
    idx = np.array(chars, dtype=np.int64)
    tb = np.frombuffer(memoryview(tight), dtype=np.float64).reshape(n, 4)[idx]
    x0, x1, y0, y1 = tb[:, 0], tb[:, 1], tb[:, 2], tb[:, 3]
    keep = (x1 > x0) & (y1 > y0)
    boxes = np.stack([x0 * scale, (height - y1) * scale, x1 * scale + 0.999, (height - y0) * scale + 0.999],
                     axis=1).astype(np.int64)  # truncated toward zero, as int() does
    lr = np.frombuffer(memoryview(loose), dtype=np.float32).reshape(n, 4)[idx].astype(np.float64)
    h, w = gray.shape[0], gray.shape[1]
    lbs = np.stack([np.maximum(0.0, lr[:, 0] * scale), np.maximum(0.0, (height - lr[:, 1]) * scale),
                    np.minimum(float(w), lr[:, 2] * scale), np.minimum(float(h), (height - lr[:, 3]) * scale)], axis=1)
    usable = (np.frombuffer(bytes(has_loose), dtype=np.uint8)[idx] == 1) & (lbs[:, 2] - lbs[:, 0] >= 1) & \
        (lbs[:, 3] - lbs[:, 1] >= 1)
    out: list[Glyph] = []
    signed: list[Glyph] = []
    for c, ok, box, use, lb in zip(chars, keep.tolist(), boxes.tolist(), usable.tolist(), lbs.tolist(), strict=True):
        if not ok:
            continue
        code = codes[c]
        ch = chr(code) if code < 0x110000 else "\ufffd"
        if not use:
            out.append(Glyph(ch, tuple(box)))  # type: ignore[arg-type]
            continue
        g = Glyph(ch, tuple(box), None, int(round(lb[3] - lb[1])), tuple(lb), index=c)  # type: ignore[arg-type]
        out.append(g)
        signed.append(g)
    if signatures == "lazy" and signed:
        crops_of(gray, signed)
    elif signatures and signed:
        sign(gray, signed)
    return out


class _TextCalls:
    """The text page's per-character calls with plain integer arguments (pypdfium2's prototypes convert typed
    pointers on every call): same functions of the same library (their addresses)."""

    def __init__(self) -> None:
        import pypdfium2.raw as raw

        vp, i = ctypes.c_void_p, ctypes.c_int

        def proto(fn: Any, *argtypes: Any) -> Any:
            address = ctypes.cast(fn, vp).value
            if not address:
                raise OSError("PDFium function missing")
            return ctypes.CFUNCTYPE(i, *argtypes)(address)

        self.generated = proto(raw.FPDFText_IsGenerated, vp, i)
        self.char_box = proto(raw.FPDFText_GetCharBox, vp, i, vp, vp, vp, vp)
        self.loose_box = proto(raw.FPDFText_GetLooseCharBox, vp, i, vp)


_TEXT_CALLS: list[_TextCalls] = []


def _text_calls() -> _TextCalls:
    if not _TEXT_CALLS:
        _TEXT_CALLS.append(_TextCalls())
    return _TEXT_CALLS[0]


def crops_of(gray: Any, glyphs: list[Glyph]) -> None:
    """Each glyph's `crop`: a digest of the page's pixels in the whole pixels its loose box touches, with their width
    (one array copy per crop size, then one hash per glyph)."""
    import hashlib

    import numpy as np

    digest = hashlib.blake2b
    boxes = np.array([g.loose for g in glyphs], dtype=np.float64)
    x0 = boxes[:, 0].astype(np.int64)
    y0 = boxes[:, 1].astype(np.int64)
    ws = (boxes[:, 2] + 0.999).astype(np.int64) - x0
    hs = (boxes[:, 3] + 0.999).astype(np.int64) - y0
    h, w = gray.shape[0], gray.shape[1]
    for cw, ch in set(zip(ws.tolist(), hs.tolist(), strict=True)):
        idx = np.nonzero((ws == cw) & (hs == ch))[0]
        inside = idx[(x0[idx] + cw <= w) & (y0[idx] + ch <= h)]
        if len(inside):
            windows = np.lib.stride_tricks.sliding_window_view(gray, (ch, cw))
            crops = np.ascontiguousarray(windows[y0[inside], x0[inside]]).reshape(len(inside), -1)
            person = cw.to_bytes(8, "big")
            for i, row in zip(inside.tolist(), crops, strict=True):
                glyphs[i].crop = digest(row.tobytes(), digest_size=16, person=person).digest()
        for i in np.setdiff1d(idx, inside).tolist():  # cut by the page's edge: hashed as cut, with its own width
            g = glyphs[i]
            crop = gray[int(y0[i]) : int(y0[i]) + ch, int(x0[i]) : int(x0[i]) + cw]
            g.crop = digest(crop.tobytes(), digest_size=16, person=crop.shape[1].to_bytes(8, "big")).digest()


def sign(gray: Any, glyphs: list[Glyph]) -> None:
    """The glyphs' signatures (and, for twin-prone characters, their exact hash) from the page's grey levels."""
    import numpy as np

    glyphs = [g for g in glyphs if g.loose is not None and g.sig is None]
    if not glyphs:
        return
    boxes = np.array([g.loose for g in glyphs], dtype=np.float64)
    sigs = signatures_of(np.asarray(gray), boxes)
    fines = signatures_of(np.asarray(gray), boxes, FINE, FINE_BLUR)
    for g, sig, fine in zip(glyphs, sigs, fines, strict=True):
        g.sig = sig
        g.fine = fine
        if exact_only(g.ch):
            g.exact = exact_of(gray, g.loose) if g.loose is not None else None


def exact_of(gray: Any, loose: tuple[float, float, float, float]) -> bytes | None:
    """A hash of the page's pixels in the loose box (the whole pixels it touches), cut to the rows and columns with
    any ink: the same drawing elsewhere with the same antialiasing hashes the same; None without ink."""
    import hashlib

    import numpy as np

    x0, y0, x1, y1 = loose
    crop = np.asarray(gray)[int(y0) : int(np.ceil(y1)), int(x0) : int(np.ceil(x1))]
    ink = crop < 255
    rows, cols = np.nonzero(ink.any(axis=1))[0], np.nonzero(ink.any(axis=0))[0]
    if not len(rows):
        return None
    cut = np.ascontiguousarray(crop[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1])
    return hashlib.blake2b(cut.tobytes() + repr(cut.shape).encode(), digest_size=16).digest()


def _codes(tp: Any, raw: Any) -> list[int]:
    """The code point of every character of the text page (what FPDFText_GetUnicode gives one by one), from one
    FPDFText_GetText call when its UTF-16 has exactly one unit per character (no surrogate pairs); otherwise, and
    when it fails, one call per character."""
    n = raw.FPDFText_CountChars(tp)
    if n <= 0:
        return []
    buf = (ctypes.c_ushort * (n + 1))()
    got = raw.FPDFText_GetText(tp, 0, n, buf)
    if got == n + 1:  # n characters and the terminating zero
        units = list(buf[:n])
        if not any(0xD800 <= u <= 0xDFFF for u in units):
            return units
    return [raw.FPDFText_GetUnicode(tp, c) for c in range(n)]


SIG_BLUR = 2.0  # pixels each signature cell reaches past its edges (docs/render.md: calibration of SAME_GLYPH)
_MARGIN = 4  # white border around the page so that a cell reaching past the page edge reads white


def signatures_of(gray: Any, boxes: Any, side: int = SIG, blur: float = SIG_BLUR) -> Any:
    """Signatures (N × SIG × SIG, 0 black … 1 white) of the boxes (N × [x0, y0, x1, y1], page pixels, fractional) on
    the grey page: cell (i, j) is the mean of the pixels in the box's SIG × SIG grid cell widened by SIG_BLUR pixels
    on every side, pixels weighted by how much of them the widened cell covers. The widening is a blur: the same
    glyph drawn at another sub-pixel position antialiases differently, and the blur absorbs most of that while
    different characters stay apart. Computed per group of equal crop sizes as two small matrix products."""
    import numpy as np

    x0, y0, x1, y1 = boxes.T
    cx = np.floor(x0 - blur).astype(np.int64)
    cy = np.floor(y0 - blur).astype(np.int64)
    cw = np.ceil(x1 + blur).astype(np.int64) - cx
    ch = np.ceil(y1 + blur).astype(np.int64) - cy
    # white beyond the right and bottom edges as far as the widest and tallest crop reaches: a group's crops are as
    # wide as its widest, so a narrow glyph at the page's edge (text running off the page) reached past the margin
    page = np.full((gray.shape[0] + 2 * _MARGIN + int(ch.max()), gray.shape[1] + 2 * _MARGIN + int(cw.max())), 255,
                   dtype=np.uint8)
    page[_MARGIN : _MARGIN + gray.shape[0], _MARGIN : _MARGIN + gray.shape[1]] = gray
    out = np.empty((len(boxes), side, side), dtype=np.float32)
    for ch_ in np.unique(ch).tolist():  # one group per crop height, as wide as its widest crop (extra pixels weigh 0)
        idx = np.nonzero(ch == ch_)[0]
        cw_ = int(cw[idx].max())
        windows = np.lib.stride_tricks.sliding_window_view(page, (ch_, cw_))  # a view: nothing copied
        crops = windows[cy[idx] + _MARGIN, cx[idx] + _MARGIN].astype(np.float32) * (1 / 255.0)
        wy = _cell_weights(y0[idx], y1[idx], cy[idx], ch_, side, blur)
        wx = _cell_weights(x0[idx], x1[idx], cx[idx], cw_, side, blur)
        out[idx] = wy @ crops @ wx.transpose(0, 2, 1)
    return out


def _cell_weights(a: Any, b: Any, origin: Any, n: int, side: int = SIG, blur: float = SIG_BLUR) -> Any:
    """(N × SIG × n): how much of pixel origin+k the widened cell i of the span [a, b) covers, normalised per cell."""
    import numpy as np

    a, b = (a - origin).astype(np.float32), (b - origin).astype(np.float32)  # relative to the crop: float32 is exact enough
    edges = a[:, None] + (b - a)[:, None] * (np.arange(side + 1, dtype=np.float32) / side)
    lo, hi = edges[:, :-1, None] - blur, edges[:, 1:, None] + blur
    px = np.arange(n, dtype=np.float32)
    cover = np.minimum(hi, px + 1)
    cover -= np.maximum(lo, px)
    np.maximum(cover, 0, out=cover)
    cover /= hi - lo
    return cover


def image_pages(data: bytes, max_pages: int) -> Iterator[PdfPage]:
    """PNG, JPEG, TIFF (every frame), GIF, BMP, WebP as pages; pixels are the page pixels (scaled down if huge)."""
    from PIL import Image, ImageOps, UnidentifiedImageError

    Image.MAX_IMAGE_PIXELS = MAX_IMAGE_PIXELS
    try:
        im = Image.open(io.BytesIO(data))
        if im.size[0] * im.size[1] > MAX_IMAGE_PIXELS:  # declared in the header: refused before any decoding
            raise RenderError(f"图像声明为 {im.size[0]} × {im.size[1]} 像素，超过 {MAX_IMAGE_PIXELS:,} 像素上限，"
                              "与文件大小不相称，未能核对，不得视为通过")
        frames = getattr(im, "n_frames", 1)
        if frames > max_pages:
            raise RenderError(f"图像共 {frames} 帧，超过渲染核对上限 {max_pages} 页，未能核对，不得视为通过")
        for i in range(frames):
            im.seek(i)
            if im.size[0] * im.size[1] > MAX_IMAGE_PIXELS:  # a TIFF's later frame may declare its own size
                raise RenderError(f"图像第 {i + 1} 帧声明为 {im.size[0]} × {im.size[1]} 像素，超过 {MAX_IMAGE_PIXELS:,} "
                                  "像素上限，与文件大小不相称，未能核对，不得视为通过")
            frame = ImageOps.exif_transpose(im.convert("RGB"))
            side = max(frame.size)
            if side > MAX_IMAGE_SIDE:
                ratio = MAX_IMAGE_SIDE / side
                frame = frame.resize((max(1, int(frame.width * ratio)), max(1, int(frame.height * ratio))))
            yield PdfPage(i + 1, frame, image_area=1.0)
    except Image.DecompressionBombError:
        raise RenderError(f"图像声明的像素数超过 {MAX_IMAGE_PIXELS:,} 像素上限（疑似“解压炸弹”），未能核对，不得视为通过") from None
    except (UnidentifiedImageError, OSError, ValueError, EOFError) as exc:
        _log.warning("图像无法解码（%s），未能核对，本次渲染核对按出错处理", type(exc).__name__)
        raise RenderError(f"图像无法解码（{exception_zh(exc)}），未能核对，不得视为通过")
