"""Page text through PDFium (C++), with pypdf where PDFium may read less (issue 19).

pypdf's `extract_text` is pure Python: about 40 ms of CPU a page on a LibreOffice-printed report, most of it spent
re-parsing each font's ToUnicode map on every page. PDFium's text page reads the same page in a few ms. But the two
do not read the same places: PDFium leaves out a text object that has no width (font size 0, horizontal scaling 0),
puts a marked-content ActualText in place of the glyphs drawn (and drops the glyphs when the ActualText is empty of
printable characters), skips a text object that repeats the one before it, and gives a glyph whose font maps it to
no Unicode as its raw code, where pypdf may read the glyph's name. Text a reader cannot see (render mode 3, white on
white, off the page, under a clip) PDFium reads like pypdf does.

So a page is read by PDFium alone only when PDFium demonstrably read every text object the content streams show:

* its text objects (page and forms, as often as painted) are exactly the show operators with a non-empty string
  that our own tokeniser counted (workload.py): a parser differential (a stream one parser reads differently) or a
  dropped object makes the counts differ;
* every one of them gave the text page at least one character;
* none sits in marked content with an ActualText;
* no character is unmapped (FPDFText_HasUnicodeMapError) and no font the page shows text in lacks a ToUnicode map
  while its codes are not standard (Type3, /Differences, Identity or embedded CMaps: workload.Work.unmapped);
* it gave at least as many characters as the strings hold character codes (PDFium merges a glyph drawn over the same
  glyph a moment before: fake bold, or digits of a number stacked on one spot).

Otherwise the page is also read by pypdf (as before) and its text is pypdf's, followed by what PDFium read that
pypdf's text does not contain (an ActualText, for example): never less than pypdf read. PDFium failing on a page or
on the document is an `error` (Chinese), never a silent fallback to less.
"""

from __future__ import annotations

import ctypes
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from reviewer.errors import ExtractionError
from reviewer.extract.workload import Work

_SPACE = re.compile(r"\s+")
_PAGEOBJ_TEXT = 1
_PAGEOBJ_FORM = 5
_MAX_DEPTH = 64  # forms in forms: workload.MAX_FORM_DEPTH (24) refused deeper ones before PDFium opened the file


@dataclass(slots=True)
class PageText:
    text: str
    why_pypdf: str = ""  # empty: PDFium's text is complete; else why pypdf reads the page too


def _objects(raw: Any, page: Any) -> Iterator[Any]:
    """Every page object, forms entered (depth-first, in painting order)."""
    stack = [(raw.FPDFPage_CountObjects(page), raw.FPDFPage_GetObject, page, 0)]
    while stack:
        count, get, holder, depth = stack.pop()
        for i in range(count):
            obj = get(holder, i)
            yield obj
            if raw.FPDFPageObj_GetType(obj) == _PAGEOBJ_FORM and depth < _MAX_DEPTH:
                stack.append((raw.FPDFFormObj_CountObjects(obj), raw.FPDFFormObj_GetObject, obj, depth + 1))


def _has_actual_text(raw: Any, obj: Any) -> bool:
    for m in range(raw.FPDFPageObj_CountMarks(obj)):
        mark = raw.FPDFPageObj_GetMark(obj, m)
        if mark and raw.FPDFPageObjMark_GetParamValueType(mark, b"ActualText") != 0:  # 0: FPDF_OBJECT_UNKNOWN
            return True
    return False


def _address(handle: Any) -> int:
    return ctypes.cast(handle, ctypes.c_void_p).value or 0


def read_page(pdfium_page: Any, work: Work) -> PageText:
    """PDFium's text of one page and whether it is complete (see the module docstring). `work`: what the tokeniser
    counted on the page (forms expanded): text-showing operators, those in a font without a usable Unicode mapping,
    and the character codes they show."""
    import pypdfium2.raw as raw

    page = pdfium_page.raw
    objects: set[int] = set()
    actual = False
    for obj in _objects(raw, page):
        if raw.FPDFPageObj_GetType(obj) == _PAGEOBJ_TEXT:
            objects.add(_address(obj))
            actual = actual or _has_actual_text(raw, obj)
    textpage = raw.FPDFText_LoadPage(page)
    if not textpage:
        raise ExtractionError("PDFium 无法读取该页的文字层")
    try:
        n = raw.FPDFText_CountChars(textpage)
        if n < 0:
            raise ExtractionError("PDFium 无法读取该页的文字层")
        chars: list[str] = []
        seen: set[int] = set()
        mapping_error = False
        drawn = 0  # characters from the glyphs drawn (not the spaces and line ends PDFium generates)
        get_unicode, get_object, generated = raw.FPDFText_GetUnicode, raw.FPDFText_GetTextObject, raw.FPDFText_IsGenerated
        for i in range(n):
            code = get_unicode(textpage, i)
            if code == 2 or code == 0xFFFE:  # a hyphen PDFium joined across a line end
                code = 0x2D
            chars.append(chr(code) if 0 < code < 0x110000 and not 0xD800 <= code < 0xE000 else "\ufffd")
            obj = get_object(textpage, i)
            if obj:
                seen.add(_address(obj))
            if generated(textpage, i) == 0:
                drawn += 1
            if raw.FPDFText_HasUnicodeMapError(textpage, i):
                mapping_error = True
    finally:
        raw.FPDFText_ClosePage(textpage)
    text = "".join(chars).replace("\r\n", "\n")
    why = ""
    if len(objects) != work.shows:
        why = f"PDFium 读到 {len(objects)} 个文字对象，内容流中有 {work.shows} 个显示文字的操作"
    elif objects - seen:
        why = f"{len(objects - seen)} 个文字对象没有进入 PDFium 的文字层（宽度为零或与前一个重复）"
    elif actual:
        why = "有 ActualText 替代文字"
    elif mapping_error or work.unmapped:
        why = "有字没有 Unicode 映射"
    elif drawn < work.codes:
        why = f"PDFium 读到 {drawn} 个字，内容流显示 {work.codes} 个（重叠的相同字形被合并）"
    return PageText(text, why)


def union(pypdf_text: str, pdfium_text: str) -> str:
    """pypdf's text, then every line PDFium read that pypdf's text does not contain (whitespace ignored)."""
    have = _SPACE.sub("", pypdf_text)
    extra = [line for line in pdfium_text.splitlines() if line.strip() and _SPACE.sub("", line) not in have]
    return "\n".join([pypdf_text, *extra]) if extra else pypdf_text
