"""The resources of an OFD document (PublicRes, DocumentRes, a page's PageRes): fonts (the package's own files, or
the system's for fonts it only names), pictures (decoded completely, as data: URLs), colour spaces and draw
parameters. A resource the package names but lacks is RenderError."""

from __future__ import annotations

import base64
import io
import posixpath
from dataclasses import dataclass
from xml.etree.ElementTree import Element

from reviewer.errors import ExtractionError
from reviewer.extract.ofd import _Doc
from reviewer.extract.ooxml import local
from reviewer.render.convert import RenderError
from reviewer.render.ofdbase import _first, _unsupported

MAX_PIXELS = 80_000_000  # as pages.py: larger pictures are refused before they are decoded
_BROWSER_IMAGES = {"JPEG": "image/jpeg", "PNG": "image/png", "GIF": "image/gif"}
FALLBACK = {"黑体": "Noto Sans CJK SC", "simhei": "Noto Sans CJK SC", "微软雅黑": "Noto Sans CJK SC",
            "arial": "Noto Sans CJK SC", "helvetica": "Noto Sans CJK SC"}

@dataclass(slots=True)
class Font:
    family: str  # CSS font-family list
    bold: bool = False
    italic: bool = False
    css: str | None = None  # the package's own font's CSS family (None: not embedded)
    system: str = '"Noto Serif CJK SC", "Noto Sans CJK SC", serif'  # what draws what the font lacks


class Res:
    """The fonts, images, colour spaces and draw parameters of the document's resource files (and a page's own)."""

    def __init__(self, doc: _Doc, fonts: dict[str, bytes]) -> None:
        self.doc = doc
        self.embedded = fonts  # CSS family -> font file: what the HTML declares with @font-face
        self.fonts: dict[str, Font] = {}
        self.images: dict[str, str] = {}  # ID -> data: URL (PNG)
        self.spaces: dict[str, str] = {}  # ID -> RGB | GRAY | CMYK
        self.params: dict[str, Element] = {}
        self.loaded: set[str] = set()

    def load(self, base_dir: str, loc: str | None) -> None:
        path = self.doc.resolve(base_dir, loc)
        if path in self.loaded:  # a page's PageRes shared by many pages: its fonts and pictures once
            return
        self.loaded.add(path)
        root = self.doc.xml(path)
        res_dir = posixpath.dirname(path)
        if root.get("BaseLoc"):
            res_dir = posixpath.normpath(posixpath.join(res_dir, root.get("BaseLoc", "")))
        for el in root.iter():
            kind = local(str(el.tag)) if isinstance(el.tag, str) else ""
            if kind == "Font":
                self._font(el, res_dir)
            elif kind == "MultiMedia":
                self._media(el, res_dir)
            elif kind == "ColorSpace":
                self.spaces[el.get("ID", "")] = (el.get("Type") or "RGB").upper()
            elif kind == "DrawParam":
                self.params[el.get("ID", "")] = el
            elif kind == "CompositeGraphicUnit":
                raise _unsupported("复合图元（CompositeGraphicUnit）")

    def _file(self, res_dir: str, el: Element, name: str) -> bytes | None:
        loc = _first(el, name)
        if loc is None or not (loc.text or "").strip():
            return None
        path = (loc.text or "").strip()
        for base in (res_dir, posixpath.dirname(res_dir)):
            try:
                return self.doc.pkg.read(self.doc.resolve(base, path))
            except ExtractionError:
                continue
        raise RenderError("OFD 文件缺少被引用的资源文件（字体或图片），未能核对显示内容，不得视为通过")

    def _font(self, el: Element, res_dir: str) -> None:
        fid = el.get("ID", "")
        name = (el.get("FontName") or el.get("FamilyName") or "").strip()
        system = FALLBACK.get(name.lower(), "Noto Serif CJK SC")
        data = self._file(res_dir, el, "FontFile")
        fallback = f'"{system}", "Noto Sans CJK SC", serif'
        family, css = fallback, None
        if data is not None:  # the package's own font, loaded by Chromium as a web font (ofdprint checks it loaded)
            css = f"ofd-font-{len(self.embedded)}"
            self.embedded[css] = data
            family = f'"{css}", {fallback}'
        self.fonts[fid] = Font(family, el.get("Bold") == "true", el.get("Italic") == "true", css, fallback)

    def _media(self, el: Element, res_dir: str) -> None:
        data = self._file(res_dir, el, "MediaFile")
        if data is None:
            raise RenderError("OFD 文件中有图片资源没有文件，未能核对显示内容，不得视为通过")
        if (el.get("Type") or "Image").lower() != "image":
            raise _unsupported("多媒体对象（音频、视频）")
        self.images[el.get("ID", "")] = self.picture(data)

    @staticmethod
    def picture(data: bytes) -> str:
        """An image as a data: URL: JPEG and PNG as they are, others converted to PNG by Pillow (TIFF, BMP, GIF);
        bombs and pictures that do not decode are refused."""
        from PIL import Image

        try:
            with Image.open(io.BytesIO(data)) as img:
                if img.width * img.height > MAX_PIXELS:
                    raise RenderError(f"OFD 文件中有图片超过 {MAX_PIXELS:,} 像素上限（疑似“解压炸弹”），未能核对显示内容，"
                                      "不得视为通过")
                img.load()  # decoded completely here: a picture Chromium could not draw must not go unnoticed
                fmt = img.format or ""
                if fmt in _BROWSER_IMAGES and fmt != "GIF":  # as they are (a scan's JPEG stays small)
                    return f"data:{_BROWSER_IMAGES[fmt]};base64," + base64.b64encode(data).decode()
                buf = io.BytesIO()
                img.seek(0)
                img.convert("RGBA").save(buf, format="PNG")  # TIFF, BMP, the first frame of a GIF (as readers show)
        except (OSError, ValueError, EOFError, Image.DecompressionBombError):
            raise RenderError("OFD 文件中有图片无法解码，未能核对显示内容，不得视为通过") from None
        return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode()
