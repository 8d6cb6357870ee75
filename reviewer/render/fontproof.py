"""Does a draft font's glyph for a character draw that character? Proved by outline, against the fonts installed on
the server (docs/render.md, “字体轮廓证明”).

The render check trusts a glyph of a PDF when its pixels are exactly what the PDF's own font draws for the claimed
character at that position (pages/glyphs/check). What remains for a character never verified before is whether that
font's glyph for `ch` really draws `ch` — a font may carry the outline of 密 under the code its ToUnicode map calls
公. `proves(font, ch)` answers it without OCR: the outline PDFium loads for `ch` from the draft font
(`FPDFFont_GetGlyphPath`, which maps `ch` to a code through the font's own ToUnicode map exactly as `FPDFText_SetText`
does — the pixel proof must re-draw through that same mapping) must equal, segment for segment within TOLERANCE em,
the outline of `ch` in a font installed on the server (loaded with `FPDFText_LoadFont`; a face of a TrueType
collection is first copied out into a font file of its own).

    session = fontproof.shared().session()      # one per open draft document (one load budget)
    session.proves(font, ch)                    # font: raw.FPDFTextObj_GetFont(...) of that document

The trust root is the installed fonts: a file fontconfig lists that is owned by root and writable by nobody else,
whose cmap is Unicode. The draft font's names only choose which installed faces to compare with (its PostScript
name, the other faces of that file, its family name, then faces already loaded; at most MAX_FACES_PER_FONT): a lying
name costs time, never trust. Loading a face costs ~0.7 s; a document may make a worker load MAX_LOADS_PER_DOCUMENT
faces, a process keeps MAX_LOADED_FACES (least recently used closed). The outline is what FreeType loads without
hinting; PDFium renders an SFNT font *with* its hinting, and a TrueType program can move points at the size drawn, so
a draft font whose program may move points noticeably (TrueType instructions, CFF blue zones taller than
MAX_BLUE_ZONE em, CFF2, Type 42, anything unrecognised) proves nothing. Every failure (PDFium, fontTools, a file that
cannot be read) answers False and is logged: the glyph is then read by OCR, as before.
"""

from __future__ import annotations

import ctypes
import hashlib
import logging
import re
import threading
from collections import OrderedDict
from typing import Any

import numpy as np

from reviewer.render.fontfiles import Face, face_bytes, hinting_risk, installed_faces

_log = logging.getLogger(__name__)

TOLERANCE = 0.002  # em, per coordinate: PDFium gives outlines in 1/4096 em; a re-encoded copy (CFF -> Type 1) rounds
MAX_FACES_PER_FONT = 6  # installed faces one draft font is compared with (and may load, without a Session)
MAX_LOADS_PER_DOCUMENT = 8  # faces one draft document may make a worker load (~0.7 s each for CJK)
MAX_LOADED_FACES = 10  # faces a process keeps loaded (a Noto CJK face costs ~45 MB in PDFium); then LRU
MAX_OUTLINES_PER_FACE = 8192  # cached per loaded face (~1-2 KB each); beyond, the cache starts again
MAX_SEGMENTS = 4000  # of one glyph outline (a CJK glyph has ~20-300)
_SUBSET = re.compile(r"^[A-Z]{6}\+")
# suffixes producers append to a PostScript name: a CMap or a CFF sub-font of a CID font (LibreOffice: -VKana)
_SUFFIX = re.compile(r"(-(Identity|UniGB|UniCNS|UniJIS|UniKS|GBK|GB|ETen|90ms)[-A-Za-z0-9]*|-[A-Z][A-Za-z]*"
                     r"(Kana|Ideographs|Generic|Alphabetic|Digits|Dingbats|Width|Hangul|Bopomofo|CJK)[A-Za-z]*)$")

Outline = tuple[bytes, np.ndarray]  # (segment types with the close flag, coordinates (n, 2) in em)


def _norm(name: str) -> str:
    return re.sub(r"[^0-9a-z]", "", name.lower())


def draft_names(base: str, family: str) -> list[str]:
    """Normalised names to look up for a draft font: its BaseFont without a subset tag and producer suffixes, and its
    family name."""
    out = []
    for name in (base, family):
        name = _SUBSET.sub("", name.split(",")[0].strip())
        while True:
            stripped = _SUFFIX.sub("", name)
            if stripped == name:
                break
            name = stripped
        if _norm(name) and _norm(name) not in out:
            out.append(_norm(name))
    return out


def _raw() -> Any:
    import pypdfium2.raw as raw

    return raw


class _Calls:
    """The PDFium calls of the outline loop with plain pointer arguments: pypdfium2's own prototypes convert typed
    pointers on every call (~6 us a segment against ~2 us). Same functions, same library (their addresses)."""

    def __init__(self) -> None:
        raw = _raw()
        vp, f32 = ctypes.c_void_p, ctypes.POINTER(ctypes.c_float)

        def proto(fn: Any, restype: Any, *argtypes: Any) -> Any:
            address = ctypes.cast(fn, vp).value
            if not address:
                raise OSError("PDFium function missing")
            return ctypes.CFUNCTYPE(restype, *argtypes)(address)

        self.path = proto(raw.FPDFFont_GetGlyphPath, vp, vp, ctypes.c_uint32, ctypes.c_float)
        self.count = proto(raw.FPDFGlyphPath_CountGlyphSegments, ctypes.c_int, vp)
        self.segment = proto(raw.FPDFGlyphPath_GetGlyphPathSegment, vp, vp, ctypes.c_int)
        self.point = proto(raw.FPDFPathSegment_GetPoint, ctypes.c_int, vp, f32, f32)
        self.kind = proto(raw.FPDFPathSegment_GetType, ctypes.c_int, vp)
        self.closed = proto(raw.FPDFPathSegment_GetClose, ctypes.c_int, vp)
        self.kinds = (raw.FPDF_SEGMENT_LINETO, raw.FPDF_SEGMENT_BEZIERTO, raw.FPDF_SEGMENT_MOVETO)
        self.lineto = raw.FPDF_SEGMENT_LINETO
        self.known = np.zeros(256, dtype=bool)  # by segment type: one of self.kinds (_points: a whole array at once)
        self.known[list(self.kinds)] = True


_CALLS: _Calls | None = None


def outline(font: Any, ch: str) -> Outline | None:
    """The outline PDFium loads for `ch` from `font` (an FPDF_FONT), normalised (zero-length segments dropped), or
    None when the font has none. Callers hold the lock of their TrustedFonts (PDFium is not thread-safe)."""
    global _CALLS
    if len(ch) != 1 or not font:
        return None
    calls = _CALLS = _CALLS or _Calls()
    path = calls.path(ctypes.cast(font, ctypes.c_void_p).value, ord(ch), 1.0)
    if not path:
        return None
    n = calls.count(path)
    if n <= 0 or n > MAX_SEGMENTS:
        return None
    got = _points(calls, path, n) if _FAST.on else None
    if got is None:
        got = _segments(calls, path, n)
    elif _FAST.checks < FAST_CHECKS:  # the first outlines of the process are read both ways and must agree
        _FAST.checks += 1
        slow = _segments(calls, path, n)
        if slow is None or got[0] != slow[0] or not np.array_equal(got[1], slow[1], equal_nan=True):
            _FAST.on = False
            _log.warning("字体轮廓证明：PDFium 给出的轮廓点排列与预期不符，本进程此后改为逐段读取轮廓（较慢）")
            got = slow
    if got is None:
        return None
    kinds, coords = got
    if not np.isfinite(coords).all():
        return None
    return _normalise(kinds, coords, calls.lineto)


def _segments(calls: _Calls, path: int, n: int) -> tuple[bytes, np.ndarray] | None:
    """The path's segments (kind | 8 when closing, coordinates), four PDFium calls each."""
    x, y = ctypes.c_float(), ctypes.c_float()
    px, py = ctypes.byref(x), ctypes.byref(y)
    kinds = bytearray()
    pts = []
    segment, point, kind, closed, allowed = calls.segment, calls.point, calls.kind, calls.closed, calls.kinds
    for i in range(n):
        seg = segment(path, i)
        if not seg or not point(seg, px, py):
            return None
        t = kind(seg)
        if t not in allowed:
            return None
        kinds.append(t | (8 if closed(seg) else 0))
        pts.append((x.value, y.value))
    return bytes(kinds), np.asarray(pts, dtype=np.float64).reshape(-1, 2)


# PDFium's glyph path is an array of CFX_Path::Point {float x, y; uint8 type; bool close} (12 bytes): a segment
# handle is the address of one of them. Read whole (one copy instead of four calls a segment, 0.2 ms an outline of a
# CJK glyph against 0.01 ms) only where the handles show that array and the calls agree with what was read.
POINT_SIZE = 12
FAST_CHECKS = 16  # outlines per process read both ways (all segments compared) before the fast read is used alone


class _Fast:
    on = True
    checks = 0


_FAST = _Fast()


def _memory(address: int, size: int) -> bytes:
    return ctypes.string_at(address, size)


def _points(calls: _Calls, path: int, n: int) -> tuple[bytes, np.ndarray] | None:
    """The path's segments read as one array, or None (then read one call at a time) unless: the n segment handles
    are n consecutive 12-byte records (first, second and last handle), every type is one PDFium reports and every
    close flag 0 or 1, and the first, middle and last segments read by PDFium's own calls are exactly what was read."""
    first, last = calls.segment(path, 0), calls.segment(path, n - 1)
    if not first or not last or last - first != (n - 1) * POINT_SIZE:
        return None
    if n > 1 and calls.segment(path, 1) != first + POINT_SIZE:
        return None
    raw = np.frombuffer(_memory(first, n * POINT_SIZE), dtype=np.uint8).reshape(n, POINT_SIZE)
    xy = raw[:, :8].view("<f4")  # (n, 2): x, y
    types, closes = raw[:, 8], raw[:, 9]
    if not calls.known[types].all() or int(closes.max()) > 1:
        return None
    x, y = ctypes.c_float(), ctypes.c_float()
    for i in {0, n // 2, n - 1}:
        seg = first + i * POINT_SIZE
        if calls.segment(path, i) != seg or not calls.point(seg, ctypes.byref(x), ctypes.byref(y)):
            return None
        if x.value != float(xy[i, 0]) or y.value != float(xy[i, 1]) or calls.kind(seg) != int(types[i]) or \
                bool(calls.closed(seg)) != bool(closes[i]):
            return None
    return (types | (closes << 3)).tobytes(), xy.astype(np.float64)


def _normalise(kinds: bytes, coords: np.ndarray, lineto: int) -> Outline:
    """Drop line segments of zero length (a re-encoded font may close a contour with an explicit line back to its
    start): they draw nothing, so the outline's drawing is unchanged. The close flag moves to the segment kept before."""
    types = np.frombuffer(kinds, dtype=np.uint8)
    drop = np.zeros(len(kinds), dtype=bool)
    drop[1:] = ((types[1:] & 7) == lineto) & (np.abs(np.diff(coords, axis=0)).max(axis=1) < 1e-6)
    if not drop.any():
        return kinds, coords
    out = types.copy()
    for i in np.flatnonzero(drop):
        j = i - 1
        while drop[j]:
            j -= 1
        out[j] |= types[i] & 8
    return out[~drop].tobytes(), coords[~drop]


def same(a: Outline, b: Outline, tolerance: float = TOLERANCE) -> bool:
    """Same segments (count, types, closes) and every point within `tolerance` em."""
    return a[0] == b[0] and a[1].shape == b[1].shape and bool(np.abs(a[1] - b[1]).max(initial=0.0) <= tolerance)


class _Loaded:
    """An installed face loaded into a scratch PDFium document of its own (closing it frees the face), with its
    outlines by character."""

    def __init__(self, face: Face, doc: Any, handle: Any) -> None:
        self.face = face
        self.doc = doc
        self.handle = handle
        self.outlines: dict[str, Outline | None] = {}

    def outline(self, ch: str) -> Outline | None:
        if ch not in self.outlines:
            if len(self.outlines) >= MAX_OUTLINES_PER_FACE:
                self.outlines.clear()
            self.outlines[ch] = outline(self.handle, ch)
        return self.outlines[ch]

    def close(self) -> None:
        raw = _raw()
        raw.FPDFFont_Close(self.handle)
        raw.FPDF_CloseDocument(self.doc)


class Budget:
    """How many installed faces may still be loaded on behalf of one draft (a load is ~0.7 s for a CJK face)."""

    def __init__(self, loads: int) -> None:
        self.loads = loads


class DraftFont:
    """One font of one open draft, ready to answer `proves(ch)` for its characters. Hold it only while the draft's
    document is open (the handle dies with it)."""

    def __init__(self, trusted: TrustedFonts, handle: Any, candidates: list[Face], refusal: str | None,
                 budget: Budget) -> None:
        self._trusted = trusted
        self._handle = handle
        self._budget = budget
        self.candidates = candidates
        self.refusal = refusal  # why this font can prove nothing (None: it can)
        self._answers: dict[str, bool] = {}

    def proves(self, ch: str) -> bool:
        """Does this font's glyph for `ch` have the outline of `ch` in an installed font? False on any doubt."""
        if self.refusal is not None:
            return False
        if ch not in self._answers:  # the font and its document do not change while this object is used
            self._answers[ch] = self._trusted._proves(self._handle, ch, self.candidates, self._budget)
        return self._answers[ch]


class Session:
    """The fonts of one open draft document: one load budget for all of them (MAX_LOADS_PER_DOCUMENT), each font
    examined once. Create one per document, use it only while that document — and the page whose text object gave
    a font handle: FPDFTextObj_GetFont does not own the font — is open, from one thread at a time."""

    def __init__(self, trusted: TrustedFonts, loads: int) -> None:
        self._trusted = trusted
        self._budget = Budget(loads)
        self._drafts: dict[int, DraftFont] = {}

    def draft(self, font: Any) -> DraftFont:
        key = ctypes.cast(font, ctypes.c_void_p).value or 0
        if key not in self._drafts:
            self._drafts[key] = self._trusted.draft(font, self._budget)
        return self._drafts[key]

    def proves(self, font: Any, ch: str) -> bool:
        return self.draft(font).proves(ch)


class TrustedFonts:
    """The installed fonts as reference outlines (process-wide via `shared()`; thread-safe: every PDFium call made
    here holds one lock). Faces are loaded lazily and kept, outlines cached per (face, character); beyond
    MAX_LOADED_FACES the least recently used face is closed. Loads are paid from the caller's budget."""

    def __init__(self, faces: list[Face] | None = None) -> None:
        self._faces = faces
        self._lock = threading.RLock()
        self._loaded: OrderedDict[Face, _Loaded] = OrderedDict()
        self._unloadable: set[Face] = set()
        self._programs: dict[bytes, str | None] = {}
        self.loads = 0  # faces loaded so far (bench/report)
        self.load_seconds = 0.0

    # ------------------------------------------------------------------------------------------------ public
    def session(self, loads: int | None = None) -> Session:
        """A session for one draft document (see Session)."""
        return Session(self, MAX_LOADS_PER_DOCUMENT if loads is None else loads)

    def proves(self, font: Any, ch: str) -> bool:
        """True when the outline `font` (an FPDF_FONT of an open draft) draws for `ch` equals the outline of `ch` in
        an installed font. Never raises: any failure is False (logged)."""
        return self.draft(font).proves(ch)

    def draft(self, font: Any, budget: Budget | None = None) -> DraftFont:
        """Everything about `font` that does not depend on the character (its candidate faces, whether its program
        can prove anything), worked out once. Without a budget the font may load MAX_FACES_PER_FONT faces."""
        budget = budget if budget is not None else Budget(MAX_FACES_PER_FONT)
        try:
            with self._lock:
                refusal = self._refusal(font)
                candidates = [] if refusal is not None else self._candidates(font)
        except Exception as exc:  # noqa: BLE001 — fail closed: the glyph is read by OCR
            _log.warning("字体轮廓证明：无法检查稿件中的字体（%s），该字体的字形都不以轮廓证明，改由字形记忆或 OCR 核对",
                         type(exc).__name__)
            return DraftFont(self, font, [], "字体无法检查", budget)
        return DraftFont(self, font, candidates, refusal, budget)

    def faces(self) -> list[Face]:
        with self._lock:
            if self._faces is None:
                self._faces = installed_faces()
            return self._faces

    def loaded(self) -> list[Face]:
        with self._lock:
            return list(self._loaded)

    # ------------------------------------------------------------------------------------------------ inside
    def _proves(self, font: Any, ch: str, candidates: list[Face], budget: Budget) -> bool:
        try:
            with self._lock:
                mine = outline(font, ch)
                if mine is None:
                    return False
                for face in candidates:
                    loaded = self._load(face, budget)
                    theirs = loaded.outline(ch) if loaded is not None else None
                    if theirs is not None and same(mine, theirs):
                        return True
                return False
        except Exception as exc:  # noqa: BLE001 — fail closed: the glyph is read by OCR
            _log.warning("字体轮廓证明：字形轮廓比对失败（%s），该字不以轮廓证明，改由字形记忆或 OCR 核对", type(exc).__name__)
            return False

    def _refusal(self, font: Any) -> str | None:
        raw = _raw()
        if not font:
            return "没有字体"
        if not raw.FPDFFont_GetIsEmbedded(font):
            return None  # PDFium draws an installed font for it: its program is a trust root
        size = ctypes.c_size_t(0)
        if not raw.FPDFFont_GetFontData(font, None, 0, ctypes.byref(size)) or size.value == 0:
            return "没有字体程序"
        buf = (ctypes.c_uint8 * size.value)()
        if not raw.FPDFFont_GetFontData(font, buf, size.value, ctypes.byref(size)):
            return "没有字体程序"
        data = bytes(buf)
        key = hashlib.sha256(data).digest()
        if key not in self._programs:
            if len(self._programs) >= 4096:
                self._programs.clear()
            self._programs[key] = hinting_risk(data)
        return self._programs[key]

    def _candidates(self, font: Any) -> list[Face]:
        raw = _raw()
        names = []
        for getter in (raw.FPDFFont_GetBaseFontName, raw.FPDFFont_GetFamilyName):
            buf = ctypes.create_string_buffer(256)
            n = getter(font, buf, 256)
            names.append(buf.value.decode("utf-8", "replace") if 0 < n <= 256 else "")
        base, family = draft_names(names[0], ""), draft_names("", names[1])
        faces = self.faces()

        def score(wanted: list[str], keys: list[str]) -> int:
            best = 0
            for w in wanted:
                for k in keys:
                    if k and (w == k or w.startswith(k) or k.startswith(w)):
                        best = max(best, len(k) + (1000 if w == k else 0))
            return best

        # the face named like the draft font, then the other faces of its file (a collection's regional faces: a
        # document's glyph is often the zh-CN form of a font named after its Japanese face), the same for the family
        # name (a font PDFium substitutes for a missing one is named by its family), then faces this process has
        # loaded already (no load cost)
        out: list[Face] = []
        for wanted, keys in ((base, lambda f: [_norm(f.psname)]), (family, lambda f: [_norm(x) for x in f.families])):
            # among equal names, the regular weight first (a family name says nothing of the weight)
            ranked = sorted(((score(wanted, keys(f)), f) for f in faces),
                            key=lambda s: (-s[0], not s[1].psname.endswith("-Regular"), s[1].path, s[1].index))
            named = [f for sc, f in ranked if sc]
            if named:
                for f in [named[0]] + [f for f in faces if f.path == named[0].path] + named:
                    if f not in out:
                        out.append(f)
        out += [f for f in reversed(self._loaded) if f not in out]
        return out[:MAX_FACES_PER_FONT]

    def _load(self, face: Face, budget: Budget) -> _Loaded | None:
        if face in self._loaded:
            self._loaded.move_to_end(face)
            return self._loaded[face]
        if face in self._unloadable or budget.loads <= 0:
            return None
        budget.loads -= 1
        import time

        raw = _raw()
        started = time.perf_counter()
        loaded = None
        try:
            data = face_bytes(face)
            if data is not None:
                doc = raw.FPDF_CreateNewDocument()
                # PDFium copies the program (into the document's font stream and its own face): the buffer may go
                buf = (ctypes.c_uint8 * len(data)).from_buffer_copy(data)
                handle = raw.FPDFText_LoadFont(doc, buf, len(data), raw.FPDF_FONT_TRUETYPE, 1)
                del buf, data
                if handle:
                    loaded = _Loaded(face, doc, handle)
                else:
                    raw.FPDF_CloseDocument(doc)
                    _log.warning("字体轮廓证明：PDFium 无法加载已安装的字体 %s（序号 %d），该字体不作比对依据", face.path,
                                 face.index)
        except Exception as exc:  # noqa: BLE001 — an unreadable installed font is simply not a reference
            _log.warning("字体轮廓证明：未能加载已安装的字体 %s（序号 %d：%s），该字体不作比对依据", face.path, face.index,
                         type(exc).__name__)
        self.loads += 1
        self.load_seconds += time.perf_counter() - started
        if loaded is None:
            self._unloadable.add(face)
            return None
        self._loaded[face] = loaded
        while len(self._loaded) > MAX_LOADED_FACES:
            _face, oldest = self._loaded.popitem(last=False)
            oldest.close()
        return loaded


_SHARED: TrustedFonts | None = None
_SHARED_LOCK = threading.Lock()


def shared() -> TrustedFonts:
    """The process's trusted fonts (built on first use)."""
    global _SHARED
    with _SHARED_LOCK:
        if _SHARED is None:
            _SHARED = TrustedFonts()
        return _SHARED


def proves(font: Any, ch: str) -> bool:
    """Does the glyph that `font` (an FPDF_FONT of an open draft) draws for `ch` have the outline of `ch` in a font
    installed on the server? False on any doubt."""
    return shared().proves(font, ch)
