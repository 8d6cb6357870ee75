"""Text an OFD draws by glyph index (CGTransform): the characters [CodePosition, CodePosition + CodeCount) of a text
object are drawn with the embedded font's glyphs listed in Glyphs, whatever the font's cmap says. A browser draws
characters, not glyph indices, so each such mapping becomes a derived copy of the embedded font whose cmap sends
those characters to those glyphs (fontTools); the text layer keeps the characters the file claims, and the glyph
check compares what the glyphs draw with them, as for any embedded font. Copies are shared while their mappings
agree; a character mapped to two glyphs gets another copy. One code drawn as several glyphs (or several codes as
one) is not drawn: RenderError."""

from __future__ import annotations

import io
import struct
from xml.etree.ElementTree import Element

from reviewer.extract.ooxml import local
from reviewer.render.convert import RenderError

MAX_VARIANTS = 64


def _fail(what: str) -> RenderError:
    return RenderError(f"OFD 文件中按字形编号绘制的文字（CGTransform）{what}，未能核对显示内容，不得视为通过")


def glyph_map(obj: Element, claimed: str) -> dict[str, int]:
    """Character -> glyph index from a text object's CGTransforms. CodePosition counts the object's characters (its
    TextCodes joined) when the CGTransforms stand together before or after the TextCodes; when they stand between
    TextCodes, each counts in the TextCode that follows it (producers write both)."""
    items = [(local(el.tag), el) for el in obj if isinstance(el.tag, str) and local(el.tag) in ("TextCode", "CGTransform")]
    kinds = [k for k, _ in items]
    codes = [i for i, k in enumerate(kinds) if k == "TextCode"]
    between = bool(codes) and "CGTransform" in kinds[codes[0] + 1 : codes[-1]]
    out: dict[str, int] = {}
    offset = 0
    for kind, el in items:
        if kind == "TextCode":
            offset += len(el.text or "")
            continue
        try:
            pos, count = int(el.get("CodePosition", "0")), int(el.get("CodeCount", "1"))
            glyph_count = int(el.get("GlyphCount", str(count)))
            glyphs = [int(t) for g in el if isinstance(g.tag, str) and local(g.tag) == "Glyphs" for t in (g.text or "").split()]
        except ValueError:
            raise _fail("的数值无法解析") from None
        start = pos + (offset if between else 0)
        if count != glyph_count or len(glyphs) != count or pos < 0 or start + count > len(claimed):
            raise _fail("不是一字一形（字数与字形数不符或位置越界）")
        for ch, gid in zip(claimed[start : start + count], glyphs, strict=True):
            if out.get(ch, gid) != gid:
                raise _fail("在同一对象中把同一个字画成不同字形")
            out[ch] = gid
    return out


class Variants:
    """Derived copies of the embedded fonts, one per set of agreeing CGTransform mappings."""

    def __init__(self) -> None:
        self._maps: list[tuple[str, dict[str, int]]] = []  # (base CSS family, mapping), index = variant number

    def family(self, css: str, mapping: dict[str, int]) -> str:
        for n, (base, known) in enumerate(self._maps):
            if base == css and all(known.get(ch, gid) == gid for ch, gid in mapping.items()):
                known.update(mapping)
                return f"{css}-g{n}"
        if len(self._maps) >= MAX_VARIANTS:
            raise _fail(f"需要超过 {MAX_VARIANTS} 个字体变体")
        self._maps.append((css, dict(mapping)))
        return f"{css}-g{len(self._maps) - 1}"

    def build(self, fonts: dict[str, bytes]) -> None:
        for n, (css, mapping) in enumerate(self._maps):
            fonts[f"{css}-g{n}"] = remap(fonts[css], mapping)


def remap(data: bytes, mapping: dict[str, int]) -> bytes:
    """The font with its cmap sending each character of `mapping` to the glyph of that index."""
    try:
        from fontTools.ttLib import TTFont, TTLibError, newTable
        from fontTools.ttLib.tables._c_m_a_p import CmapSubtable
    except ImportError:
        raise RenderError("本机未安装 fontTools（pip install fonttools），无法绘制按字形编号排布的 OFD 文字，不得视为通过")
    try:
        font = TTFont(io.BytesIO(data))
        order = font.getGlyphOrder()
        if any(gid < 0 or gid >= len(order) for gid in mapping.values()):
            raise _fail("引用了字体中不存在的字形")
        if "cmap" not in font:
            font["cmap"] = newTable("cmap")
            font["cmap"].tableVersion = 0
            font["cmap"].tables = []
        tables = [t for t in font["cmap"].tables if t.isUnicode()]
        wide = any(ord(ch) > 0xFFFF for ch in mapping)
        for fmt, platform, encoding in ((4, 3, 1), (12, 3, 10)):
            if fmt == 12 and not wide or any(t.format == fmt for t in tables):
                continue
            table = CmapSubtable.newSubtable(fmt)
            table.platformID, table.platEncID, table.language, table.cmap = platform, encoding, 0, {}
            font["cmap"].tables.append(table)
            tables.append(table)
        for table in tables:
            for ch, gid in mapping.items():
                if ord(ch) <= 0xFFFF or table.format in (12, 13):
                    table.cmap[ord(ch)] = order[gid]
        buf = io.BytesIO()
        font.save(buf)
        return buf.getvalue()
    except (TTLibError, KeyError, ValueError, AssertionError, struct.error, IndexError, TypeError):
        raise RenderError("OFD 文件内嵌的字体无法解析，按字形编号绘制的文字无法核对，未能核对显示内容，不得视为通过") from None

