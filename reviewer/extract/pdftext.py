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
* every one of them gave the text page at least one character, or is proven blank: its string decodes through its
  font's ToUnicode map to white space only (a space drawn alone has no ink, and PDFium drops it);
* an ActualText could be set aside: PDFium then reads the page a second time, and the glyphs (what pypdf reads) are
  the page text, followed by the ActualText lines they do not contain;
* no character is unmapped (FPDFText_HasUnicodeMapError) and no font the page shows text in lacks a ToUnicode map
  while its codes are not standard (Type3, /Differences, Identity or embedded CMaps: workload.Work.unmapped);
* it gave characters at at least as many places as the strings hold character codes (PDFium merges a glyph drawn
  over the same glyph a moment before: fake bold, or digits of a number stacked on one spot; the characters of one
  glyph, a ligature or a code mapped to a phrase, count once).

PDFium gives a line's objects in reading order (left to right), pypdf in the order the stream shows them: where the
two differ, the stream order is kept too (`PageText.stream_order`, a `spans_only` part in pdf.py), so that a term
the stream spells but the page shows scrambled is still found.

Otherwise the page is also read by pypdf (as before) and its text is pypdf's, followed by what PDFium read that
pypdf's text does not contain (an ActualText, for example): never less than pypdf read. PDFium failing on a page or
on the document is an `error` (Chinese), never a silent fallback to less.
"""

from __future__ import annotations

import ctypes
import re
import sys
import unicodedata
from array import array
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from reviewer.errors import ExtractionError
from reviewer.extract.workload import Work

_PAGEOBJ_TEXT = 1
_PAGEOBJ_FORM = 5
_MAX_DEPTH = 64  # forms in forms: workload.MAX_FORM_DEPTH (24) refused deeper ones before PDFium opened the file


@dataclass(slots=True)
class PageText:
    text: str
    why_pypdf: str = ""  # empty: PDFium's text is complete; else why pypdf reads the page too
    # The drawn characters in the order the content stream shows them, when PDFium's reading order differs (text
    # objects placed out of order): (text, join out of place?) pieces; a term read in stream order (as pypdf
    # reads) that crosses an out-of-place join is not contiguous in PDFium's text.
    stream_order: list[tuple[str, bool]] = field(default_factory=list)


@dataclass(slots=True)
class _Reading:
    """One text page of PDFium: its text, the text objects it drew characters from, the characters drawn (not
    generated spaces and line ends), and whether a character had no Unicode mapping."""

    text: str
    seen: set[int]
    drawn: int
    mapping_error: bool
    by_object: dict[int, list[str]]  # drawn characters of each text object, in the order PDFium gives them


# Each show operator of the page as the tokeniser read it, decoded by its font's ToUnicode map: (text, character
# codes). None: the page's shows could not be listed or decoded (pdf.py's decoded_shows: text in forms, a font
# without a ToUnicode map, a code the map does not name).
Shows = list[tuple[str, int]] | None


def _objects(raw: Any, holder: Any, form: bool = False, depth: int = 0) -> Iterator[tuple[Any, bool]]:
    """Every page object in painting order, forms entered where they are painted; with whether it sits in a form."""
    count = raw.FPDFFormObj_CountObjects(holder) if form else raw.FPDFPage_CountObjects(holder)
    get = raw.FPDFFormObj_GetObject if form else raw.FPDFPage_GetObject
    for i in range(count):
        obj = get(holder, i)
        yield obj, form
        if raw.FPDFPageObj_GetType(obj) == _PAGEOBJ_FORM and depth < _MAX_DEPTH:
            yield from _objects(raw, obj, True, depth + 1)


def _actual_text_marks(raw: Any, obj: Any) -> list[Any]:
    marks = []
    for m in range(raw.FPDFPageObj_CountMarks(obj)):
        mark = raw.FPDFPageObj_GetMark(obj, m)
        if mark and raw.FPDFPageObjMark_GetParamValueType(mark, b"ActualText") != 0:  # 0: FPDF_OBJECT_UNKNOWN
            marks.append(mark)
    return marks


def _address(handle: Any) -> int:
    return ctypes.cast(handle, ctypes.c_void_p).value or 0


_VOID, _INT = ctypes.c_void_p, ctypes.c_int
_FAST: dict[str, Any] = {}


def _fast(raw: Any, name: str, restype: Any) -> Any:
    """pypdfium2's function `name` called through a prototype that takes and returns plain integers: the per-character
    calls then cost no pointer objects (a page has thousands of characters)."""
    fn = _FAST.get(name)
    if fn is None:
        address = ctypes.cast(getattr(raw, name), _VOID).value
        if not address:
            raise ExtractionError(f"PDFium 缺少函数 {name}")
        fn = _FAST[name] = ctypes.CFUNCTYPE(restype, _VOID, _INT)(address)
    return fn


def _origin(raw: Any) -> Any:
    fn = _FAST.get("FPDFText_GetCharOrigin")
    if fn is None:
        address = ctypes.cast(raw.FPDFText_GetCharOrigin, _VOID).value
        if not address:
            raise ExtractionError("PDFium 缺少函数 FPDFText_GetCharOrigin")
        double = ctypes.POINTER(ctypes.c_double)
        fn = _FAST["FPDFText_GetCharOrigin"] = ctypes.CFUNCTYPE(_INT, _VOID, _INT, double, double)(address)
    return fn


def _read(raw: Any, page: Any) -> _Reading:
    textpage = raw.FPDFText_LoadPage(page)
    if not textpage:
        raise ExtractionError("PDFium 无法读取该页的文字层")
    try:
        n = raw.FPDFText_CountChars(textpage)
        if n < 0:
            raise ExtractionError("PDFium 无法读取该页的文字层")
        chars: list[str] = []
        seen: set[int] = set()
        drawn = 0
        mapping_error = False
        get_unicode = _fast(raw, "FPDFText_GetUnicode", ctypes.c_uint)
        get_object = _fast(raw, "FPDFText_GetTextObject", _VOID)
        generated = _fast(raw, "FPDFText_IsGenerated", _INT)
        map_error = _fast(raw, "FPDFText_HasUnicodeMapError", _INT)
        origin = _origin(raw)
        x, y = ctypes.c_double(), ctypes.c_double()
        px, py = ctypes.byref(x), ctypes.byref(y)
        last: tuple[int, float, float] = (0, 0.0, 0.0)
        by_object: dict[int, list[str]] = {}
        tp = _address(textpage)
        for i in range(n):
            code = get_unicode(tp, i)
            if code == 2 or code == 0xFFFE:  # a hyphen PDFium joined across a line end
                code = 0x2D
            chars.append(chr(code) if 0 < code < 0x110000 and not 0xD800 <= code < 0xE000 else "\ufffd")
            obj = get_object(tp, i)
            if obj:
                seen.add(obj)
            if generated(tp, i) == 0:
                # one glyph gives several characters (a ligature, a code mapped to a phrase) at one origin: count
                # it once, so that those characters cannot stand in for glyphs PDFium merged elsewhere
                origin(tp, i, px, py)
                here = (obj or 0, x.value, y.value)
                if here != last:
                    drawn += 1
                last = here
                if obj:
                    by_object.setdefault(obj, []).append(chars[-1])
            if map_error(tp, i) == 1:
                mapping_error = True
    finally:
        raw.FPDFText_ClosePage(textpage)
    return _Reading("".join(chars).replace("\r\n", "\n"), seen, drawn, mapping_error, by_object)


def _stream_order(painted: list[int], reading: _Reading) -> list[tuple[str, bool]]:
    """The drawn characters object by object in painting order, when PDFium read the objects in another order.
    Where two objects follow each other in the stream but not in PDFium's text, a line break marked as out of
    place joins them: only a term that crosses such a join is new (the rest PDFium's text already holds)."""
    shown = [a for a in painted if a in reading.by_object]
    rank = {a: i for i, a in enumerate(reading.by_object)}  # dicts keep insertion order: PDFium's order
    if all(rank[a] == i for i, a in enumerate(shown)):
        return []
    pieces: list[tuple[str, bool]] = []
    for k, a in enumerate(shown):
        if k and rank[a] != rank[shown[k - 1]] + 1:
            pieces.append(("\n", True))
        text = "".join(reading.by_object[a])
        if pieces and not pieces[-1][1]:
            pieces[-1] = (pieces[-1][0] + text, False)
        else:
            pieces.append((text, False))
    return pieces


def read_page(pdfium_page: Any, work: Work, decoded_shows: Callable[[], Shows]) -> PageText:
    """PDFium's text of one page and whether it is complete (see the module docstring). `work`: what the tokeniser
    counted on the page (forms expanded): text-showing operators, those in a font without a usable Unicode mapping,
    and the character codes they show. `decoded_shows`: the page's own shows decoded by our own reading of the
    fonts' ToUnicode maps (pdf.py)."""
    import pypdfium2.raw as raw

    page = pdfium_page.raw
    texts: list[tuple[int, bool, Any]] = []  # (address, in a form, handle) of every text object, in painting order
    for obj, in_form in _objects(raw, page):
        if raw.FPDFPageObj_GetType(obj) == _PAGEOBJ_TEXT:
            texts.append((_address(obj), in_form, obj))
    first = _read(raw, page)
    glyphs, text, why = first, first.text, ""
    marked = [(obj, mark) for _a, _f, obj in texts for mark in _actual_text_marks(raw, obj)]
    if marked:
        # PDFium puts an ActualText in place of the glyphs it covers. Set the ActualText aside (in memory) and read
        # the page again: the glyphs are what pypdf reads; the ActualText lines not already there are kept too.
        for obj, mark in marked:
            raw.FPDFPageObjMark_RemoveParam(obj, mark, b"ActualText")
        if any(_actual_text_marks(raw, obj) for _a, _f, obj in texts):
            why = "有 ActualText 替代文字无法暂时移开"
        glyphs = _read(raw, page)
        text = union(glyphs.text, first.text)
    objects = {a for a, _f, _o in texts}
    dropped = [k for k, (a, _f, _o) in enumerate(texts) if a not in glyphs.seen]
    blank_codes = 0
    shows = decoded_shows() if not why else None
    if shows is not None and len(shows) != len(texts):
        shows = None  # text in forms (or a count that differs, reported below): not compared
    if dropped and not why:
        if shows is None or any(texts[k][1] or shows[k][0].strip() for k in dropped):
            why = f"{len(dropped)} 个文字对象没有进入 PDFium 的文字层（宽度为零、与前一个重复或替代文字不可打印）"
        else:
            blank_codes = sum(shows[k][1] for k in dropped)
    if not why and shows is not None and \
            _letter_counts("".join(t for t, _n in shows)) != _letter_counts("".join("".join(c) for c in glyphs.by_object.values())):
        why = "PDFium 读到的字与按 ToUnicode 映射解出的内容流文字不同"
    if why:
        pass
    elif len(objects) != work.shows:
        why = f"PDFium 读到 {len(objects)} 个文字对象，内容流中有 {work.shows} 个显示文字的操作"
    elif glyphs.mapping_error or work.unmapped:
        why = "有字没有 Unicode 映射"
    elif glyphs.drawn + blank_codes < work.codes:
        why = f"PDFium 读到 {glyphs.drawn} 个字，内容流显示 {work.codes} 个（重叠的相同字形被合并）"
    return PageText(text, why, [] if why else _stream_order([a for a, _f, _o in texts], glyphs))


def union(primary: str, other: str) -> str:
    """`primary`, then every line of `other` whose letters and digits it does not contain (folded as the scanner
    folds text: width, radicals, variants). Punctuation is left out of the comparison: a line that differs from
    `primary` only in where its quotation marks sit is not repeated (its terms would be reported twice); what
    `primary` read is kept whole either way."""
    have = _letters(primary)
    extra = [line for line in other.splitlines() if line.strip() and _letters(line) not in have]
    return "\n".join([primary, *extra]) if extra else primary


def _letter_counts(text: str) -> Counter[str]:
    """Letters and digits (NFKC, case folded) with their counts: what two readings of the same strings share
    whatever their order, spacing and punctuation handling."""
    counts = Counter(unicodedata.normalize("NFKC", text).casefold())
    for c in [c for c in counts if not c.isalnum()]:
        del counts[c]
    return counts


def _letters(text: str) -> str:
    from reviewer.scan.normalize import fold

    return "".join(c for c in fold(text) if c.isalnum())


_CODESPACE = re.compile(rb"begincodespacerange\s*<([0-9A-Fa-f]+)>")
_BFCHAR = re.compile(rb"beginbfchar(.*?)endbfchar", re.S)
_BFRANGE = re.compile(rb"beginbfrange(.*?)endbfrange", re.S)
_HEX = re.compile(rb"<([0-9A-Fa-f\s]*)>")
_RANGE = re.compile(rb"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>\s*(<[0-9A-Fa-f\s]*>|\[[^\]]*\])")
_MAX_RANGE = 65536


def tounicode(cmap: bytes) -> tuple[int, dict[int, str]] | None:
    """A ToUnicode CMap as (bytes of a code, code -> text); None when it is not one this reader is sure of (mixed
    code lengths, usecmap, a range too large): the caller then reads the page with pypdf."""
    if b"usecmap" in cmap:
        return None
    lengths = {len(m.group(1)) // 2 for m in _CODESPACE.finditer(cmap)}
    for block in re.findall(rb"begincodespacerange(.*?)endcodespacerange", cmap, re.S):
        lengths |= {len(h) // 2 for h in re.findall(rb"<([0-9A-Fa-f]+)>", block)}
    if len(lengths) != 1:
        return None
    size = lengths.pop()
    out: dict[int, str] = {}

    def text(hexes: bytes) -> str:
        digits = re.sub(rb"\s", b"", hexes)
        return bytes.fromhex(digits.decode("ascii")).decode("utf-16-be", "replace")

    for block in _BFCHAR.findall(cmap):
        pairs = _HEX.findall(block)
        for src, dst in zip(pairs[::2], pairs[1::2], strict=False):
            out[int(src, 16)] = text(dst)
    for block in _BFRANGE.findall(cmap):
        for lo_h, hi_h, dst in _RANGE.findall(block):
            lo, hi = int(lo_h, 16), int(hi_h, 16)
            if hi < lo or hi - lo > _MAX_RANGE:
                return None
            if dst.startswith(b"["):
                for code, item in zip(range(lo, hi + 1), _HEX.findall(dst), strict=False):
                    out[code] = text(item)
            else:
                start = bytes.fromhex(re.sub(rb"\s", b"", dst[1:-1]).decode("ascii"))
                if not start:
                    return None
                base = int.from_bytes(start, "big")
                for code in range(lo, hi + 1):
                    value = (base + code - lo).to_bytes(len(start), "big")
                    out[code] = value.decode("utf-16-be", "replace")
    return size, out


def decode(shown: bytes, cmap: tuple[int, dict[int, str]]) -> str | None:
    """The text a string shows through a ToUnicode map; None when a code is not in the map."""
    size, table = cmap
    if len(shown) % size:
        return None
    if size == 1:
        codes: Any = shown
    elif size == 2:
        codes = array("H", shown)
        if sys.byteorder == "little":
            codes.byteswap()
    else:
        codes = [int.from_bytes(shown[i : i + size], "big") for i in range(0, len(shown), size)]
    try:
        return "".join([table[c] for c in codes])
    except KeyError:
        return None
