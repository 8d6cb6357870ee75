"""OFD pages (GB/T 33190) drawn as a reader draws them, as SVG: text objects at their Boundary, CTM, X/Y/DeltaX/DeltaY,
size, colour and the package's own fonts; paths; images; template pages (ZOrder Background/Foreground); annotations
with an appearance; electronic seals. Objects a reader does not show (Visible="false", zero alpha, neither filled
nor stroked, too small, placed outside the page, outside their clip or far outside their Boundary) are not drawn;
their text is listed as hidden, so the render check can report text the file holds that no reader sees. What this drawer cannot draw faithfully (composite graphic
units, glyph-index text (CGTransform) other than one glyph per code (ofdglyphs.py), vertical or rotated character
directions, shaded fills, encrypted packages, electronic seals whose picture cannot be found in the signed value
(ofdseal.py), unknown object types, missing resources) raises RenderError: never drawn approximately, never passed.
Resources: ofdres.py; numbers, matrices, colours, path data: ofdbase.py; printing with Chromium: ofdprint.py."""

from __future__ import annotations

import math
import posixpath
import re
from dataclasses import dataclass, field
from xml.etree.ElementTree import Element
from xml.sax.saxutils import escape, quoteattr

from reviewer.extract.limits import DEFAULT_LIMITS, Budget
from reviewer.extract.ofd import WHAT, _Doc
from reviewer.extract.ooxml import Package, local
from reviewer.render.convert import RenderError
from reviewer.render.ofdbase import (
    _PATH_ARGS,
    IDENTITY,
    Matrix,
    _children,
    _components,
    _deltas,
    _first,
    _fmt,
    _list,
    _matrix,
    _num,
    _nums,
    _path_data,
    _unsupported,
    apply,
    mul,
)
from reviewer.render.ofdglyphs import Variants, glyph_map
from reviewer.render.ofdres import Font, Res
from reviewer.render.ofdseal import seals

MAX_BLOCK_DEPTH = 64
MIN_SIZE = 0.8  # mm: text smaller than this (about 2 pt) is not legible to a reader at 100 %
_SKIP = {"Actions"}  # object children that change nothing drawn


@dataclass(slots=True)
class Hidden:
    """Text a reader does not show: page number (1-based over the file), the text, why (Chinese)."""

    page: int
    text: str
    reason: str


@dataclass(slots=True)
class DrawnPage:
    width: float  # mm
    height: float
    svg: str


@dataclass(slots=True)
class Drawing:
    pages: list[DrawnPage] = field(default_factory=list)
    fonts: dict[str, bytes] = field(default_factory=dict)  # CSS family -> font file (the package's own)
    hidden: list[Hidden] = field(default_factory=list)
    variants: Variants = field(default_factory=Variants)  # fonts derived for glyph-index text (CGTransform)


@dataclass(slots=True)
class _Style:
    fill: str | None
    stroke: str | None
    width: float


class _Painter:
    """One page: the SVG of what is drawn (page millimetres, origin top left), and the text that is not drawn."""

    def __init__(self, res: Res, page: int, box: tuple[float, float, float, float], drawing: Drawing) -> None:
        self.res = res
        self.page = page
        self.box = box  # x, y, w, h of the page area a reader shows
        self.drawing = drawing
        self.out: list[str] = []
        self.clip_no = 0

    def hide(self, text: str, reason: str) -> None:
        if text.strip():
            self.drawing.hidden.append(Hidden(self.page, text.strip(), reason))

    def layer(self, el: Element, base: Matrix, hidden: str | None = None, depth: int = 0) -> None:
        if depth > MAX_BLOCK_DEPTH:
            raise RenderError(f"OFD 页面块（PageBlock）嵌套超过 {MAX_BLOCK_DEPTH} 层，未能核对显示内容，不得视为通过")
        for obj in el:
            kind = local(str(obj.tag)) if isinstance(obj.tag, str) else ""
            if kind == "PageBlock":
                self.layer(obj, base, hidden, depth + 1)
            elif kind == "TextObject":
                self.text(obj, base, hidden)
            elif kind == "PathObject":
                if hidden is None:
                    self.path(obj, base)
            elif kind == "ImageObject":
                if hidden is None:
                    self.image(obj, base)
            elif kind == "CompositeObject":
                raise _unsupported("复合图元（CompositeObject）")
            elif kind and kind not in _SKIP:
                raise _unsupported(f"页面对象（{kind[:40]}）")

    def _why_hidden(self, obj: Element, style: _Style) -> str | None:
        if obj.get("Visible") == "false":
            return "对象设为不可见（Visible=false）"
        if _num(obj.get("Alpha"), 255) <= 0:
            return "对象完全透明（Alpha=0）"
        if style.fill is None and style.stroke is None:
            return "对象没有可见的填充或描边（未设置，或颜色完全透明）"
        return None

    def _style(self, obj: Element, text: bool) -> _Style:
        param = self.res.params.get(obj.get("DrawParam", ""))
        seen = 0
        fill_el = _first(obj, "FillColor")
        stroke_el = _first(obj, "StrokeColor")
        width = obj.get("LineWidth")
        while param is not None and seen < 8:  # a DrawParam supplies what the object leaves out (Relative: its parent)
            fill_el = fill_el if fill_el is not None else _first(param, "FillColor")
            stroke_el = stroke_el if stroke_el is not None else _first(param, "StrokeColor")
            width = width or param.get("LineWidth")
            param = self.res.params.get(param.get("Relative", ""))
            seen += 1
        do_fill = obj.get("Fill", "true" if text else "false") != "false"
        do_stroke = obj.get("Stroke", "false" if text else "true") != "false"
        fill = self._colour(fill_el, "#000000") if do_fill else None
        stroke = self._colour(stroke_el, "#000000") if do_stroke else None
        return _Style(fill, stroke, _num(width, 0.353))

    def _colour(self, el: Element | None, default: str) -> str | None:
        if el is None:
            return default
        if any(isinstance(c.tag, str) for c in el):
            raise _unsupported("渐变或图案填充（AxialShd、RadialShd、Pattern 等）")
        if el.get("Index") is not None:
            raise _unsupported("调色板颜色（Index）")
        alpha = _num(el.get("Alpha"), 255)
        if alpha <= 0:
            return None
        v = _components(el.get("Value") or "0 0 0")
        # a colour space the resources do not declare: the number of components says which
        space = self.res.spaces.get(el.get("ColorSpace", ""), {1: "GRAY", 4: "CMYK"}.get(len(v), "RGB"))
        if space == "GRAY" and len(v) == 1:
            r = g = b = v[0]
        elif space == "CMYK" and len(v) == 4:
            c, m, y, k = (x / 255 for x in v)
            r, g, b = (255 * (1 - c) * (1 - k), 255 * (1 - m) * (1 - k), 255 * (1 - y) * (1 - k))
        elif space == "RGB" and len(v) == 3:
            r, g, b = v
        else:
            raise _unsupported(f"颜色空间（{space[:20]}）")
        rgb = ",".join(str(max(0, min(255, round(x)))) for x in (r, g, b))
        return f"rgba({rgb},{alpha / 255:.3f})"

    def _place(self, obj: Element, base: Matrix) -> tuple[Matrix, Matrix, list[float], str]:
        """The object's transform to the page (its CTM, then its Boundary's origin, then the container's), its Boundary,
        and the opening SVG that applies the CTM and the object's Clips. The Boundary does not clip: producers write
        Boundaries smaller than what they draw (even zero-height ones on e-invoices) and readers show the glyphs; text
        far outside its Boundary is reported and not drawn (text())."""
        if obj.get("Boundary") is None:  # required: without it a reader's clip is unknown
            raise RenderError("OFD 页面中有图元缺少外接矩形（Boundary），未能核对显示内容，不得视为通过")
        bx, by, bw, bh = _nums(obj.get("Boundary"), 4)
        ctm = _matrix(obj.get("CTM"))
        outer = mul((1, 0, 0, 1, bx, by), base)
        clip = self._clips(obj, outer)
        alpha = _num(obj.get("Alpha"), 255) / 255
        head = (f'<g transform="matrix({_fmt(outer)})"{clip} opacity="{alpha:.3f}">'
                f'<g transform="matrix({_fmt(ctm)})">')
        return ctm, outer, [bx, by, bw, bh], head

    def _clip_box(self, obj: Element) -> tuple[float, float, float, float] | None:
        """The bounding box of an object's clip areas, in its Boundary's space (the end and control points of the paths):
        text whose middle lies outside it is not shown."""
        clips = _first(obj, "Clips")
        if clips is None:
            return None
        pts: list[tuple[float, float]] = []
        for area in (a for clip in _children(clips, "Clip") for a in _children(clip, "Area")):
            for part in _children(area, "Path"):
                pb = _nums(part.get("Boundary") or "0 0 0 0", 4)
                m = mul(mul(_matrix(part.get("CTM")), (1, 0, 0, 1, pb[0], pb[1])), _matrix(area.get("CTM")))
                data = _first(part, "AbbreviatedData")
                nums = [t for t in ((data.text if data is not None else "") or "").split() if t not in _PATH_ARGS]
                coords = _nums(" ".join(nums))
                pts.extend(apply(m, coords[k], coords[k + 1]) for k in range(0, len(coords) - 1, 2))
        if not pts:
            return None
        return (min(p[0] for p in pts), min(p[1] for p in pts), max(p[0] for p in pts), max(p[1] for p in pts))

    def _clips(self, obj: Element, outer: Matrix) -> str:
        clips = _first(obj, "Clips")
        if clips is None:
            return ""
        ids = []
        for clip in _children(clips, "Clip"):
            shapes = []
            for area in _children(clip, "Area"):
                area_ctm = _matrix(area.get("CTM"))
                for part in area:
                    kind = local(str(part.tag)) if isinstance(part.tag, str) else ""
                    if kind != "Path":
                        raise _unsupported(f"裁剪区（{kind[:30]}）")
                    pb = _nums(part.get("Boundary") or "0 0 0 0", 4)
                    m = mul(mul(_matrix(part.get("CTM")), (1, 0, 0, 1, pb[0], pb[1])), area_ctm)
                    d = _path_data(_first(part, "AbbreviatedData"))
                    shapes.append(f'<path transform="matrix({_fmt(m)})" d="{d}"/>')
            self.clip_no += 1
            cid = f"c{self.page}-{self.clip_no}"
            self.out.append(f'<clipPath id="{cid}" clipPathUnits="userSpaceOnUse">{"".join(shapes)}</clipPath>')
            ids.append(cid)
        if not ids:
            return ""
        if len(ids) > 1:
            raise _unsupported("多重裁剪区")
        return f' clip-path="url(#{ids[0]})"'

    def text(self, obj: Element, base: Matrix, hidden: str | None) -> None:
        codes = _children(obj, "TextCode")
        claimed = "".join(c.text or "" for c in codes)
        style = self._style(obj, text=True)
        why = hidden or self._why_hidden(obj, style)
        size = _num(obj.get("Size"), 0)
        ctm_now = _matrix(obj.get("CTM"))
        shown_size = size * math.sqrt(abs(ctm_now[0] * ctm_now[3] - ctm_now[1] * ctm_now[2]))  # as drawn, in mm
        if why is None and shown_size < MIN_SIZE:
            why = f"字号过小（{shown_size:.2g} 毫米），阅读器中无法辨认"
        if why is not None:
            self.hide(claimed, why)
            return
        if _num(obj.get("CharDirection"), 0) or _num(obj.get("ReadDirection"), 0):
            raise _unsupported("竖排或旋转的文字方向（ReadDirection、CharDirection）")
        # a font the resources do not declare is drawn with the system's, as readers do (the text is still verified
        # against its pixels: a system font cannot lie, what it draws is what the text claims)
        font = self.res.fonts.get(obj.get("Font", "")) or Font('"Noto Serif CJK SC", "Noto Sans CJK SC", serif')
        family = font.family
        if _first(obj, "CGTransform") is not None:  # drawn by glyph index: a derived copy of the font (ofdglyphs.py)
            if font.css is None:
                raise _unsupported("按字形编号绘制、但字体没有内嵌在文件中的文字（CGTransform）")
            family = f'"{self.drawing.variants.family(font.css, glyph_map(obj, claimed))}", {font.system}'
        ctm, outer, bound, head = self._place(obj, base)
        clip = self._clip_box(obj)
        hscale = _num(obj.get("HScale"), 1.0) or 1.0
        weight = "bold" if font.bold or _num(obj.get("Weight"), 400) >= 700 else "normal"
        italic = "italic" if font.italic or obj.get("Italic") == "true" else "normal"
        paint = f'fill="{style.fill or "none"}"'
        if style.stroke:
            paint += f' stroke="{style.stroke}" stroke-width="{style.width:g}"'
        spans: list[str] = []
        off: list[str] = []
        reasons: set[str] = set()
        x = y = 0.0
        for code in codes:
            text = code.text or ""
            if code.get("X") is not None:
                x = _num(code.get("X"))
            if code.get("Y") is not None:
                y = _num(code.get("Y"))
            dx = _deltas(code.get("DeltaX"), len(text), size * hscale)
            dy = _deltas(code.get("DeltaY"), len(text), 0.0)
            xs, ys, shown = [], [], []
            for i, ch in enumerate(text):
                # the glyph's middle decides (lenient to producers' tight Boundaries): in the Boundary, the clip, the page
                bx, by = apply(ctm, x + size * 0.5 * hscale, y - size * 0.35)
                px, py = apply(outer, bx, by)
                why = None
                if _far_outside(bx, by, bound, shown_size):
                    why = "文字远在对象边界（Boundary）之外"
                elif clip is not None and not (clip[0] <= bx <= clip[2] and clip[1] <= by <= clip[3]):
                    why = "文字在裁剪区（Clip）之外，被裁剪"
                elif not (self.box[0] <= px <= self.box[0] + self.box[2] and self.box[1] <= py <= self.box[1] + self.box[3]):
                    why = "文字在页面范围之外"
                if why is None:
                    xs.append(x / hscale)
                    ys.append(y)
                    shown.append(ch)
                elif not ch.isspace():
                    off.append(ch)
                    reasons.add(why)
                if i < len(text) - 1:
                    x += dx[i]
                    y += dy[i]
            x += size * hscale if text else 0.0
            if shown:
                spans.append(f'<text x="{_list(xs)}" y="{_list(ys)}">{escape("".join(shown))}</text>')
        if off:
            self.hide("".join(off), "；".join(sorted(reasons)))
        if spans:
            family = quoteattr(family)
            self.out.append(f'{head}<g transform="scale({hscale:g},1)" font-family={family} font-size="{size:g}" '
                            f'font-weight="{weight}" font-style="{italic}" style="white-space:pre" {paint}>{"".join(spans)}</g></g></g>')

    def path(self, obj: Element, base: Matrix) -> None:
        style = self._style(obj, text=False)
        if self._why_hidden(obj, style):
            return
        _ctm, _outer, _bound, head = self._place(obj, base)
        d = _path_data(_first(obj, "AbbreviatedData"))
        rule = "evenodd" if obj.get("Rule", "NonZero").lower() == "even-odd" else "nonzero"
        stroke = f' stroke="{style.stroke}" stroke-width="{style.width:g}"' if style.stroke else ""
        self.out.append(f'{head}<path d="{d}" fill="{style.fill or "none"}" fill-rule="{rule}"{stroke}/></g></g>')

    def seal(self, boundary: str, url: str) -> None:
        x, y, w, h = _nums(boundary, 4)
        self.out.append(f'<image href="{url}" x="{x:g}" y="{y:g}" width="{w:g}" height="{h:g}" preserveAspectRatio="none"/>')

    def image(self, obj: Element, base: Matrix) -> None:
        if obj.get("Visible") == "false" or _num(obj.get("Alpha"), 255) <= 0:
            return
        url = self.res.images.get(obj.get("ResourceID", ""))
        if url is None:
            raise RenderError("OFD 文件中有图片对象引用了不存在的图片资源，未能核对显示内容，不得视为通过")
        _ctm, _outer, _bound, head = self._place(obj, base)
        self.out.append(f'{head}<image href="{url}" x="0" y="0" width="1" height="1" preserveAspectRatio="none"/>'
                        "</g></g>")


def _far_outside(x: float, y: float, bound: list[float], size: float) -> bool:
    """A glyph's middle more than a glyph's size outside a Boundary that has a width and a height (a zero-height
    Boundary, as e-invoices write, says nothing)."""
    w, h = bound[2], bound[3]
    if w <= 0 or h <= 0:
        return False
    return x < -size or x > w + size or y < -size or y > h + size


_ENCRYPTED = re.compile(r"^(Encryptions?|EncryptInfo)$")


def draw(data: bytes, max_pages: int, budget: Budget | None = None) -> Drawing:
    """Every page of every document in the package, as SVG, with the hidden text listed."""
    pkg = Package(data, budget or Budget(DEFAULT_LIMITS), WHAT)
    doc = _Doc(pkg)
    root = doc.xml("OFD.xml")
    if local(str(root.tag)) != "OFD":
        raise RenderError("OFD.xml 不是可识别的 OFD 入口文件，未能核对显示内容，不得视为通过")
    if any(_ENCRYPTED.match(local(str(e.tag))) for e in root.iter() if isinstance(e.tag, str)) or \
            any(posixpath.basename(n).lower().startswith("encrypt") for n in pkg.names):
        raise RenderError("OFD 文件含加密部件，渲染核对无法读取，未能核对显示内容，不得视为通过")
    drawing = Drawing()
    number = 0
    for body in _children(root, "DocBody"):
        root_el = _first(body, "DocRoot")
        if root_el is None:
            raise RenderError("OFD 文件的文档缺少根节点位置（DocRoot），未能核对显示内容，不得视为通过")
        doc_path = doc.resolve("", root_el.text)
        document = doc.xml(doc_path)
        base = doc.base = posixpath.dirname(doc_path)
        stamps = seals(doc, body)
        res = Res(doc, drawing.fonts)
        common = _first(document, "CommonData")
        for kind in ("PublicRes", "DocumentRes"):
            for el in _children(common, kind) if common is not None else []:
                res.load(base, el.text)
        area = _first(common, "PageArea")
        templates = {t.get("ID", ""): t for t in (_children(common, "TemplatePage") if common is not None else [])}
        annots = _annotations(doc, base, document)
        pages = _first(document, "Pages")
        for page_el in _children(pages, "Page") if pages is not None else []:
            number += 1
            if number > max_pages:
                raise RenderError(f"OFD 文件超过渲染核对上限 {max_pages} 页，未能核对显示内容，不得视为通过")
            pkg.budget.check_time()
            path = doc.resolve(base, page_el.get("BaseLoc"))
            content = doc.xml(path)
            for el in _children(content, "PageRes"):
                res.load(posixpath.dirname(path), el.text)
            box = _page_box(_first(content, "Area"), area)
            painter = _Painter(res, number, box, drawing)
            below: list[Element] = []
            above: list[Element] = []
            for t in _children(content, "Template"):
                tpl = templates.get(t.get("TemplateID", ""))
                if tpl is None:
                    raise RenderError("OFD 页面引用了不存在的模板页，未能核对显示内容，不得视为通过")
                (above if t.get("ZOrder") == "Foreground" else below).append(doc.xml(doc.resolve(base, tpl.get("BaseLoc"))))
            for tpl_root in below:
                _content(painter, tpl_root)
            _content(painter, content)
            for tpl_root in above:
                _content(painter, tpl_root)
            for annot in annots.get(page_el.get("ID", ""), []):
                _annotation(painter, annot)
            for seal in stamps:  # on top of everything, as readers draw them
                if seal.page_id == page_el.get("ID", ""):
                    painter.seal(seal.boundary, res.picture(seal.picture))
            x, y, w, h = box
            svg = (f'<svg xmlns="http://www.w3.org/2000/svg" width="{w:g}mm" height="{h:g}mm" viewBox="{x:g} {y:g} {w:g} {h:g}">'
                   + "".join(painter.out) + "</svg>")
            drawing.pages.append(DrawnPage(w, h, svg))
    if not drawing.pages:
        raise RenderError("OFD 文件没有页面，未能核对显示内容，不得视为通过")
    drawing.variants.build(drawing.fonts)
    return drawing


def _page_box(own: Element | None, document: Element | None) -> tuple[float, float, float, float]:
    """The page's own Area, else the document's PageArea: its CropBox when it has one (what readers show), else its
    PhysicalBox; A4 when neither says."""
    box = None
    for area in (own, document):
        for name in ("CropBox", "PhysicalBox"):
            found = _first(area, name)
            if box is None and found is not None:
                box = found
    if box is None:
        return (0.0, 0.0, 210.0, 297.0)
    x, y, w, h = _nums(box.text, 4)
    if not (0 < w <= 5000 and 0 < h <= 5000):
        raise RenderError("OFD 页面尺寸异常，未能核对显示内容，不得视为通过")
    return (x, y, w, h)


def _content(painter: _Painter, root: Element) -> None:
    body = _first(root, "Content")
    layers = _children(body, "Layer") if body is not None else []
    order = {"Background": 0, "Body": 1, "Foreground": 2}
    for layer in sorted(layers, key=lambda el: order.get(el.get("Type", "Body"), 1)):
        painter.layer(layer, IDENTITY)


def _annotations(doc: _Doc, base: str, document: Element) -> dict[str, list[Element]]:
    out: dict[str, list[Element]] = {}
    for index in _children(document, "Annotations"):
        index_path = doc.resolve(base, index.text)
        for page in _children(doc.xml(index_path), "Page"):
            for loc in _children(page, "FileLoc"):
                path = doc.resolve(posixpath.dirname(index_path), loc.text)
                out.setdefault(page.get("PageID", ""), []).extend(
                    a for a in doc.xml(path).iter() if isinstance(a.tag, str) and local(a.tag) == "Annot")
    return out


def _annotation(painter: _Painter, annot: Element) -> None:
    """An annotation's appearance is drawn at its Boundary unless the annotation is hidden from readers."""
    hidden = None
    if annot.get("Visible") == "false":
        hidden = "注释设为不可见（Visible=false）"
    elif annot.get("NoView") == "true":
        hidden = "注释设为不在屏幕上显示（NoView）"
    for appearance in _children(annot, "Appearance"):
        bx, by, _bw, _bh = _nums(appearance.get("Boundary") or "0 0 0 0", 4)
        saved = painter.out
        painter.out = []
        painter.layer(appearance, (1, 0, 0, 1, bx, by), hidden)
        inner = "".join(painter.out)
        painter.out = saved
        if inner:
            painter.out.append(inner)
