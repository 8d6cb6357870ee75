"""The glyph memory of the render check: which drawings of which characters were read by OCR and agreed with the
character a PDF's text layer claims for them (docs/render.md, “读哪些页、怎么读”).

A PDF's own fonts may lie (a ToUnicode map that calls the drawing of 公 密). Each glyph is therefore read once — in
synthetic lines, many distinct glyphs per recognition call — and remembered by (claimed character, size) with its
signature (the pixels of its loose box at SIG × SIG). A later glyph is trusted only when it looks like a verified
drawing *of the character it claims*: a drawing verified as one character is never trusted for another, so a memory
shared across pages, documents and restarts (a file in the data directory) cannot be poisoned by a draft — a draft can
only add drawings that OCR read as the very character they claim.

The signature's mean difference cannot tell characters that differ by one short stroke or a dot (未/末 0.018,
土/士 0.016 against the limit of 0.04; measured over the 6,763 GB 2312 hanzi, a third of them have another character
that close). A verified drawing therefore stands for a glyph only when, besides, the glyph's fine signature (FINE ×
FINE, less blurred) differs from that same drawing's in no cell by FINE_SAME or more: a missing or longer stroke is a
patch of cells far apart, while the same glyph at another sub-pixel position differs a little along every edge.
The few characters that another one comes close to even so (刺/剌, 进/迸, 而/面 at 10.5 pt: render/twins.py, keyed on
the claimed character) are trusted only as a pixel-identical copy of a drawing OCR read as that character.
"""

from __future__ import annotations

import json
import logging
import os
import re
import threading
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from reviewer.render.pages import FINE, SIG, Glyph
from reviewer.render.twins import exact_only
from reviewer.render.visible import fold

GLYPH_MEMORY_FILE = "glyph-memory.npz"  # in the data directory (REVIEWER_DATA_DIR)
# mean grey-level difference of two signatures below which they are one glyph: calibrated with the blurred signature
# (pages.SIG_BLUR) so that no more pairs of different characters fall below it than with the unblurred one at 0.08,
# while far fewer sub-pixel variants of one glyph need reading (docs/render.md)
SAME_GLYPH = 0.04
INK = 0.85  # a signature whose darkest cell is lighter than this shows no glyph (blank, white or nearly white text)
# largest difference of one cell of the fine signatures below which a drawing that passes SAME_GLYPH is the same glyph
# (scripts/measure_glyph_twins.py: the same glyph at another sub-pixel position differs by up to 0.22 from its nearest
# of six drawings — fewer drawings kept than the memory keeps —, 未/末 by 0.38, 土/士 0.34, 0/O 0.30, 胄/胃 0.22)
FINE_SAME = 0.2
EXACT_PER_CHAR = 1024  # pixel-identical verified drawings kept per twin-prone character (beyond: only more reading)
VERSION = 3  # of the signature: a memory file of another version is not used (its drawings were measured otherwise)
EXEMPLARS = 64  # verified drawings kept per (character, size): subpixel placement gives many variants of a glyph
CROPS = 1_000_000  # exact pictures of verified glyphs a process keeps (16-byte digests: about 100 MB at most)
SIZE_SLACK = 1  # a glyph is compared with the verified drawings of its character at its size and the sizes ±1 px
_log = logging.getLogger(__name__)
_PUA = re.compile("[\ue000-\uf8ff\ufffd]")


class GlyphMemory:
    """Glyphs whose pixels were read by OCR and agreed with the character the text layer claims for them, by
    (claimed character, size). A glyph that looks like a verified drawing of its claimed character needs no reading;
    a lying ToUnicode map draws another character's picture under the claim, so its glyph is never 'known' and is
    read. Cost: about the number of distinct glyphs of the draft, not its length."""

    def __init__(self) -> None:
        self._seen: dict[tuple[str, int], Any] = {}
        self._fine: dict[tuple[str, int], Any] = {}  # the fine signatures of the drawings of _seen, in the same order
        self._exact: dict[str, set[bytes]] = {}  # twin-prone character -> hashes of its verified exact drawings
        self._near: dict[tuple[str, int], Any] = {}  # _exemplars() by (character, size), dropped when those change
        # (character, size) -> the verified drawing of that character that a glyph of that key last matched: tried
        # first, for a whole page in one array operation (most glyphs of a page match it)
        self._hint: dict[tuple[str, int], Any] = {}
        # claimed character -> digests of the exact pixels of glyphs verified as it (pages.Glyph.crop): the same
        # picture again needs no signature; kept by the process only (CROPS at most), never saved
        self._crops: dict[str, set[bytes]] = {}
        self._crop_count = 0
        self.added = 0  # drawings learnt since loaded or saved
        self._synced = -1.0  # modification time of the file as this memory last read or wrote it

    def __len__(self) -> int:
        return sum(len(v) for v in self._seen.values()) + sum(len(v) for v in self._exact.values())

    def known(self, glyph: Glyph) -> bool:
        import numpy as np

        if glyph.verified:  # a memory only grows: once known, known for the rest of the page
            return True
        if glyph.sig is None or glyph.fine is None:
            return False
        if exact_only(glyph.ch):  # a twin-prone character: only a pixel-identical verified drawing of it
            glyph.verified = glyph.exact is not None and glyph.exact in self._exact.get(glyph.ch, ())
            return glyph.verified
        near = self._exemplars(glyph.ch, glyph.size)
        if near is None:
            return False
        got, fine = near
        # mean absolute difference per exemplar, without numpy's mean() wrapper (called for every glyph of a page)
        diff = np.add.reduce(np.abs(got - glyph.sig).reshape(len(got), -1), axis=1)
        close = np.nonzero(diff < SAME_GLYPH * SIG * SIG)[0]
        glyph.verified = bool(len(close)) and _fine_match(fine[close], glyph.fine)
        return glyph.verified

    def mark_known(self, glyphs: list[Glyph]) -> None:
        """known() for a page's glyphs at once (the same test, the same threshold): first every glyph against the
        drawing of its character that its (character, size) last matched, in one array operation for the page; the
        rest with one array operation per (character, size)."""
        import numpy as np

        limit = SAME_GLYPH * SIG * SIG
        todo = []
        for g in glyphs:
            if g.sig is None or g.fine is None or g.verified:
                continue
            if exact_only(g.ch):
                self.known(g)
            else:
                todo.append(g)
        hinted = [g for g in todo if (g.ch, g.size) in self._hint]
        if hinted:
            sigs = np.stack([g.sig for g in hinted])
            sigs -= np.stack([self._hint[(g.ch, g.size)][0] for g in hinted])
            np.abs(sigs, out=sigs)
            fines = np.stack([g.fine for g in hinted])
            fines -= np.stack([self._hint[(g.ch, g.size)][1] for g in hinted])
            np.abs(fines, out=fines)
            far = fines.reshape(len(hinted), -1).max(axis=1).tolist()
            for g, d, f in zip(hinted, sigs.reshape(len(hinted), -1).sum(axis=1).tolist(), far, strict=True):
                g.verified = d < limit and f < FINE_SAME
        by_key: dict[tuple[str, int], list[Glyph]] = {}
        for g in todo:
            if not g.verified:
                by_key.setdefault((g.ch, g.size), []).append(g)
        for key, group in by_key.items():
            near = self._exemplars(*key)
            if near is None:
                continue
            got, fine = near
            sigs = np.stack([g.sig for g in group])
            diff = np.abs(sigs[:, None] - got[None]).reshape(len(group), len(got), -1).sum(axis=2)
            hit = None
            for g, row in zip(group, diff < limit, strict=True):
                close = np.nonzero(row)[0]
                if not len(close):
                    continue
                far = np.abs(fine[close] - g.fine).reshape(len(close), -1).max(axis=1)
                k = int(far.argmin())
                g.verified = bool(far[k] < FINE_SAME)
                if g.verified:
                    hit = int(close[k])
            if hit is not None:  # a verified drawing of this very character (_exemplars)
                self._hint[key] = (got[hit], fine[hit])

    def mark_crops(self, glyphs: list[Glyph]) -> None:
        """Verify the glyphs whose exact pixels are those of a glyph verified as the same claimed character."""
        for g in glyphs:
            if not g.verified and g.crop is not None and g.crop in self._crops.get(g.ch, ()):
                g.verified = True

    def remember_crops(self, glyphs: list[Glyph]) -> None:
        """Remember the exact pixels of the verified glyphs (mark_crops)."""
        for g in glyphs:
            if g.verified and g.crop is not None and self._crop_count < CROPS:
                got = self._crops.setdefault(g.ch, set())
                if g.crop not in got:
                    got.add(g.crop)
                    self._crop_count += 1

    def _exemplars(self, ch: str, size: int) -> Any:
        """The verified drawings of `ch` at `size` and the sizes next to it (SIZE_SLACK), or None. The size is the
        loose box's height rounded to a pixel, and PDFium's loose box of one glyph of one font at one point size is
        26.2–27.0 px high from one document's font subset to another's: the same drawing fell on either side of a
        rounding edge and was read again. Only drawings verified as `ch` itself are ever compared."""
        import numpy as np

        key = (ch, size)
        if key in self._near:
            return self._near[key]
        keys = [k for d in range(-SIZE_SLACK, SIZE_SLACK + 1) if (k := (ch, size + d)) in self._seen]
        if not keys:
            return None  # not kept: a draft's many unseen characters must not grow the cache
        if len(keys) == 1:
            out = (self._seen[keys[0]], self._fine[keys[0]])
        else:
            out = (np.concatenate([self._seen[k] for k in keys]), np.concatenate([self._fine[k] for k in keys]))
        self._near[key] = out
        return out

    def _set(self, key: tuple[str, int], sigs: Any, fines: Any) -> None:
        self._seen[key] = sigs
        self._fine[key] = fines
        for d in range(-SIZE_SLACK, SIZE_SLACK + 1):
            self._near.pop((key[0], key[1] + d), None)

    def learn(self, glyph: Glyph) -> None:
        if exact_only(glyph.ch):
            if glyph.exact is not None:
                self._add_exact(glyph.ch, glyph.exact)
            return
        if glyph.sig is not None and glyph.fine is not None:
            self._add((glyph.ch, glyph.size), glyph.sig, glyph.fine)

    def _add_exact(self, ch: str, digest: bytes) -> None:
        got = self._exact.setdefault(ch, set())
        if digest not in got and len(got) < EXACT_PER_CHAR:
            got.add(digest)
            self.added += 1

    def _add(self, key: tuple[str, int], sig: Any, fine: Any) -> None:
        import numpy as np

        got = self._seen.get(key)
        if got is None:
            self._set(key, sig[None, :, :], fine[None, :, :])
        elif len(got) < EXEMPLARS:
            # kept unless a kept drawing is within half the limit: the drawings a glyph is compared with then cover
            # the sub-pixel positions without gaps (with the limit itself, a drawing 0.19 from the one kept was not
            # kept, and a glyph 0.26 from that one but 0.1 from it was read again)
            close = np.nonzero(np.abs(got - sig).mean(axis=(1, 2)) < SAME_GLYPH)[0]
            if len(close) and _fine_match(self._fine[key][close], fine, FINE_SAME / 2):
                return
            self._set(key, np.concatenate([got, sig[None, :, :]]), np.concatenate([self._fine[key], fine[None, :, :]]))
        else:
            return
        self.added += 1

    # ------------------------------------------------------------------------------------------- persistence
    @classmethod
    def load(cls, path: Path) -> GlyphMemory:
        """The memory saved at `path` (empty when there is none or it cannot be read: a damaged file only costs
        OCR, it never trusts anything)."""
        memory = cls()
        memory._merge_file(path)
        memory.added = 0
        return memory

    def _merge_file(self, path: Path) -> None:
        import numpy as np

        try:
            with np.load(path, allow_pickle=False) as f:
                if "version" not in f.files or int(f["version"]) != VERSION:
                    return  # signatures measured another way: nothing in it can be compared, nothing is trusted
                keys = json.loads(bytes(f["keys"]).decode("utf-8"))
                sigs = f["sigs"]
                fines = f["fines"]
                exact_keys = json.loads(bytes(f["exact_keys"]).decode("utf-8"))
                exact = f["exact"]
        except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile, UnicodeDecodeError):
            return  # no file, or a damaged one: nothing is trusted from it
        if sigs.ndim != 3 or sigs.shape[1:] != (SIG, SIG) or fines.shape != (len(sigs), FINE, FINE):
            return
        if exact.ndim != 2 or exact.shape[1] != 16:
            return
        i = 0
        try:
            for ch, count in exact_keys:
                for digest in exact[i : i + int(count)]:
                    self._add_exact(str(ch), bytes(digest))
                i += int(count)
        except (TypeError, ValueError):
            return  # a damaged key list: what was read before it stays, nothing else
        i = 0
        try:
            for ch, size, count in keys:
                key, theirs = (str(ch), int(size)), sigs[i : i + int(count)].astype(np.float32) / 255.0
                their_fines = fines[i : i + int(count)].astype(np.float32) / 255.0
                i += int(count)
                if key not in self._seen:  # most keys of another process's file: taken whole
                    self._set(key, theirs[:EXEMPLARS], their_fines[:EXEMPLARS])
                    continue
                for sig, fine in zip(theirs, their_fines, strict=True):
                    self._add(key, sig, fine)
        except (TypeError, ValueError):  # a damaged key list: what was read before it stays, nothing else
            return
        try:
            self._synced = path.stat().st_mtime
        except OSError:
            pass

    def save(self, path: Path) -> None:
        """Merge this memory into the file at `path` (other worker processes save there too), under a lock, written
        to a temporary file and renamed so that a reader never sees half a file."""
        import fcntl

        import numpy as np

        if not self.added:
            return
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        with os.fdopen(os.open(path.with_suffix(".lock"), os.O_WRONLY | os.O_CREAT, 0o600), "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                changed = path.stat().st_mtime != self._synced
            except OSError:
                changed = False
            if changed:  # another process saved since: keep what it learnt
                self._merge_file(path)
            keys = [[ch, size, len(v)] for (ch, size), v in self._seen.items()]
            sigs = np.concatenate(list(self._seen.values())) if self._seen else np.zeros((0, SIG, SIG))
            fines = np.concatenate([self._fine[k] for k in self._seen]) if self._seen else np.zeros((0, FINE, FINE))
            exact_keys = [[ch, len(v)] for ch, v in self._exact.items()]
            exact = np.frombuffer(b"".join(d for v in self._exact.values() for d in sorted(v)), dtype=np.uint8)
            tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
            with open(tmp, "wb") as out:
                np.savez(out, version=np.array(VERSION), keys=np.frombuffer(json.dumps(keys, ensure_ascii=False).encode("utf-8"), dtype=np.uint8),
                         sigs=np.round(sigs * 255).astype(np.uint8), fines=np.round(fines * 255).astype(np.uint8),
                         exact_keys=np.frombuffer(json.dumps(exact_keys, ensure_ascii=False).encode("utf-8"), dtype=np.uint8),
                         exact=exact.reshape(-1, 16))
            os.chmod(tmp, 0o600)
            os.replace(tmp, path)
            self._synced = path.stat().st_mtime
        self.added = 0


_SHARED: dict[str, tuple[float, GlyphMemory]] = {}
_LOCK = threading.Lock()


def shared(path: Path | None) -> GlyphMemory:
    """The process's memory for the deployment file `path` (loaded once, reloaded when another process saved),
    or a fresh memory for one document when there is no file."""
    if path is None:
        return GlyphMemory()
    with _LOCK:
        try:
            mtime = path.stat().st_mtime
        except OSError:
            mtime = 0.0
        got = _SHARED.get(str(path))
        if got is None:
            got = (mtime, GlyphMemory.load(path))
            _SHARED[str(path)] = got
        elif mtime and mtime != got[1]._synced:  # another process saved: take in what it learnt
            got[1]._merge_file(path)
        return got[1]


BATCH = 16  # glyphs per synthetic line (one OCR crop)
SPLIT = 4  # a synthetic line not read glyph for glyph is read again in parts of this many
LINE_HEIGHT = 48  # recognition works on lines scaled to this height (RapidOCR's input height)


def _same_drawing(a: Glyph, b: Glyph) -> bool:
    import numpy as np

    if exact_only(a.ch):  # a twin-prone character: one reading stands only for the very same pixels
        return a.exact == b.exact
    return bool(np.abs(a.sig - b.sig).mean() < SAME_GLYPH) and _fine_match(b.fine[None], a.fine)


def _fine_match(fines: Any, fine: Any, limit: float = FINE_SAME) -> bool:
    """Whether one of the drawings' fine signatures (N × FINE × FINE) differs from `fine` in no cell by `limit`."""
    import numpy as np

    return bool(np.abs(fines - fine).reshape(len(fines), -1).max(axis=1).min() < limit)


def prove_fonts(redraw: Any, glyphs: list[Glyph], page_glyphs: list[Glyph], memory: GlyphMemory,
                proven: set[tuple[int, int, str]]) -> int:
    """Verify the page's unverified glyphs that show exactly what their font draws for their claimed character
    (pages.PdfPage.redraw: the same pixels as that drawing, nothing else there) when that very drawing — the font's
    glyph for the character — is proven to show the character (`proven`, by (document, font, character), filled here
    and in verify_glyphs): its outline is the character's in a font installed on the server (render/fontproof.py);
    or the same drawing alone at another sub-pixel position looks like a drawing the glyph memory verified as the
    character; or a glyph of this document that is exactly that drawing was read by OCR as the character. A font
    draws one glyph for one character wherever it draws it, so its sub-pixel variants across the pages need no
    further reading. A lying font is never proven: its drawing for 公 that shows 密 is never verified as 公.
    Returns the glyphs verified here."""
    try:
        return _prove_fonts(redraw, glyphs, page_glyphs, memory, proven)
    except Exception as exc:  # noqa: BLE001 - PDFium on a hostile draft: nothing proven, the glyphs are read
        _log.warning("字体证明出错（%s）：本页尚未核对的字形都不以字体证明，改由 OCR 识读", type(exc).__name__)
        for g in glyphs:
            g.faithful = False
        return 0


def _prove_fonts(redraw: Any, glyphs: list[Glyph], page_glyphs: list[Glyph], memory: GlyphMemory,
                 proven: set[tuple[int, int, str]]) -> int:
    todo = [g for g in glyphs if _needs_reading(g, memory)]
    if not todo:
        return 0
    by_index = {g.index: g for g in page_glyphs if g.index >= 0}
    # the neighbours are drawn too: their antialiased edges reach into the targets' boxes
    also = [n for g in todo for n in (by_index.get(g.index - 1), by_index.get(g.index + 1)) if n is not None]
    redraw(todo, also)
    open_: dict[tuple[int, int, str], Glyph] = {}  # one glyph per font drawing not yet proven
    for g in todo:
        if g.faithful and g.font is not None and (key := (*g.font, g.ch)) not in proven and key not in open_:
            open_[key] = g
    # the font's drawing has the outline of the character in a font installed on the server (render/fontproof.py)
    for key, g in list(open_.items()):
        if redraw.proves(g):
            proven.add(key)
            del open_[key]
    if open_:  # the same drawing, alone, at a few other sub-pixel positions, against the memory
        drawn = redraw.copies(list(open_.values()), SHIFTS)
        memory.mark_known([c for copies in drawn for c in copies])  # one pass for the page
        for key, copies in zip(open_, drawn, strict=True):
            if any(c.verified for c in copies):
                proven.add(key)
    done = 0
    for g in todo:
        if g.faithful and g.font is not None and (*g.font, g.ch) in proven:
            memory.learn(g)
            g.verified = True
            done += 1
    return done


# prove_fonts: sub-pixel positions (x, y) a font's drawing is tried at against the memory's verified drawings
SHIFTS = [(dx, dy) for dy in (0.0, 0.33, 0.67) for dx in (0.0, 0.2, 0.4, 0.6, 0.8)]


def _needs_reading(g: Glyph, memory: GlyphMemory) -> bool:
    """An unverified glyph with ink whose claimed character can be read (verify_glyphs' own test)."""
    if g.sig is None or g.fine is None or g.loose is None or memory.known(g) or (g.exact is None and exact_only(g.ch)):
        return False
    return not _PUA.search(g.ch) and len(fold(g.ch)) <= 1 and float(g.sig.min()) <= INK


def verify_glyphs(image: Callable[[], Any], glyphs: list[Glyph], memory: GlyphMemory, redraw: Any = None,
                  page_glyphs: list[Glyph] | None = None, proven: set[tuple[int, int, str]] | None = None) -> int:
    """Learn the page's unverified glyphs: prepare_glyphs, then read_glyphs on this page alone. Returns the glyphs
    learnt by reading. `image` gives the page's RGB image; it is asked for only when something is read."""
    prepare_glyphs(glyphs, memory, redraw, page_glyphs, proven)
    return read_glyphs([(image, glyphs)], memory, proven)


def prepare_glyphs(glyphs: list[Glyph], memory: GlyphMemory, redraw: Any = None,
                   page_glyphs: list[Glyph] | None = None, proven: set[tuple[int, int, str]] | None = None) -> None:
    """What needs the page open (its redraw): the glyphs the memory knows, then the font proofs (prove_fonts)."""
    memory.mark_known(glyphs)
    if redraw is not None and proven is not None:
        prove_fonts(redraw, glyphs, page_glyphs or glyphs, memory, proven)


def read_glyphs(pages: list[tuple[Callable[[], Any], list[Glyph]]], memory: GlyphMemory,
                proven: set[tuple[int, int, str]] | None = None) -> int:
    """Learn the unverified glyphs of one or more pages (each with a function giving its RGB image, asked for only
    when one of its glyphs is read) by reading them in synthetic lines: one drawing of each distinct glyph, BATCH of
    them side by side on a white line, many lines per recognition call — the lines of several pages together (a page
    of a verified draft often has one new glyph: a line of its own costs a recognition run of 16). Returns the glyphs
    learnt.

    Only a glyph read as exactly its claimed character at exactly its position is learnt: a line is trusted glyph
    for glyph only when the reading has as many characters as the line has glyphs, and no character is claimed twice
    in one line (so a reading can never be matched to the wrong glyph). A lying drawing (a glyph for 密 that draws
    公) reads as what it draws and is never learnt; whatever is not learnt here is read in context as before."""
    from PIL import Image

    from reviewer.render import ocr

    held: dict[tuple[int, int, str], list[Glyph]] = {}  # faithful glyphs waiting for their font's drawing to be read
    reps: list[Glyph] = []
    marks: list[Glyph] = []  # punctuation and symbols (folded away): verified by reading as nothing legible
    by_key: dict[tuple[str, int], list[Glyph]] = {}
    alike: dict[int, list[Glyph]] = {}  # id of a glyph read -> the glyphs of the pages that are the same drawing
    source: dict[int, Callable[[], Any]] = {}  # id of a glyph read -> its page's image
    for image, glyphs in pages:
        for g in glyphs:
            if g.sig is None or g.fine is None or g.loose is None or memory.known(g) or (g.exact is None and exact_only(g.ch)) or _PUA.search(g.ch) or len(fold(g.ch)) > 1:
                continue
            if float(g.sig.min()) > INK:  # no ink in its box: nothing drawn to verify
                continue
            if g.faithful and g.font is not None and proven is not None:
                key = (*g.font, g.ch)
                if key in held:  # one drawing of this font's glyph is read; its reading stands for this one
                    held[key].append(g)
                    continue
                held[key] = []
            twins = by_key.setdefault((g.ch, g.size), [])
            same = next((t for t in twins if _same_drawing(t, g)), None)
            if same is not None:
                alike.setdefault(id(same), []).append(g)
                continue
            twins.append(g)
            source[id(g)] = image
            (reps if fold(g.ch) else marks).append(g)
    if not reps and not marks:
        return 0
    reps.sort(key=lambda g: g.size)
    marks.sort(key=lambda g: g.size)
    lines: list[list[Glyph]] = []
    for g in reps:  # a new line when full, when sizes differ by half, or when its character is already on it
        placed = False
        # the drawings of a twin-prone character at other sub-pixel positions each need a line without that character
        for line in (lines if exact_only(g.ch) else lines[-4:]):
            if len(line) < BATCH and g.size <= 1.5 * line[0].size and all(x.ch != g.ch for x in line):
                line.append(g)
                placed = True
                break
        if not placed:
            lines.append([g])
    lines.extend(marks[i : i + BATCH] for i in range(0, len(marks), BATCH))
    pictures: dict[int, Any] = {}  # id of an image function -> the image (made once)

    def picture(g: Glyph) -> Any:
        make = source[id(g)]
        if id(make) not in pictures:
            pictures[id(make)] = make()
        return pictures[id(make)]

    learnt = 0
    for attempt in range(2):
        readings = ocr.read_crops([_synthetic_line(picture, line, Image) for line in lines])
        retry: list[list[Glyph]] = []
        for line, (read, _score) in zip(lines, readings, strict=True):
            got = fold(read)
            if not fold(line[0].ch):  # a line of punctuation: learnt when nothing legible is read on it
                if not got:
                    for g in line:
                        learnt += _learnt(memory, g, alike, proven)
                elif attempt == 0 and len(line) > SPLIT:
                    retry.extend(line[i : i + SPLIT] for i in range(0, len(line), SPLIT))
            elif len(got) == len(line):
                for g, c in zip(line, got, strict=True):
                    if fold(g.ch) == c:
                        learnt += _learnt(memory, g, alike, proven)
            elif attempt == 0 and len(line) > SPLIT:
                retry.extend(line[i : i + SPLIT] for i in range(0, len(line), SPLIT))
        if not retry:
            break
        lines = retry
    if proven is not None:
        for key, waiting in held.items():
            if key in proven:  # its font's drawing was read as the character just now
                for g in waiting:
                    memory.learn(g)
                    g.verified = True
    return learnt


def _learnt(memory: GlyphMemory, g: Glyph, alike: dict[int, list[Glyph]],
            proven: set[tuple[int, int, str]] | None = None) -> int:
    """A glyph read as its claimed character: learnt, and so are the page's glyphs that are the same drawing (same
    test as known(), against this very drawing), so that the memory keeps their sub-pixel variants too. A glyph
    that is exactly its font's drawing of the character proves that drawing (prove_fonts)."""
    memory.learn(g)
    g.verified = True  # read just now, even if the memory is full for its character
    if proven is not None and g.faithful and g.font is not None:
        proven.add((*g.font, g.ch))
    for other in alike.get(id(g), ()):
        memory.learn(other)
        other.verified = True
        if proven is not None and other.faithful and other.font is not None:
            proven.add((*other.font, other.ch))
    return 1


def _synthetic_line(picture: Callable[[Glyph], Any], line: list[Glyph], image_module: Any) -> Any:
    """The glyphs' loose boxes (what their signatures show; `picture(g)`: g's page image) side by side at
    LINE_HEIGHT on white."""
    crops = []
    for g in line:
        assert g.loose is not None
        x0, y0, x1, y1 = g.loose
        crop = picture(g).crop((int(x0), int(y0), int(x1 + 0.999), int(y1 + 0.999)))
        scale = LINE_HEIGHT / max(1, crop.size[1])
        crops.append(crop.resize((max(1, int(crop.size[0] * scale)), LINE_HEIGHT)))
    gap = LINE_HEIGHT // 12  # the loose boxes hold the side bearings: 4 px keep glyphs apart (16 px read the same)
    margin = LINE_HEIGHT // 4
    width = sum(c.size[0] for c in crops) + gap * (len(crops) - 1) + 2 * margin
    canvas = image_module.new("RGB", (width, LINE_HEIGHT + 2 * margin), "white")
    x = margin
    for c in crops:
        canvas.paste(c, (x, margin))
        x += c.size[0] + gap
    return canvas


