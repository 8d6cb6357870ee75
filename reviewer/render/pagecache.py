"""Pages already checked (docs/render.md, “新版本只核对变化的页”): a new version of a draft re-reads only the pages
whose rendering changed.

A page's check (which stretches were read by OCR, what they read, what only the pixels show) is a function of what
the page draws and what its text layer claims. The cache key is a hash of exactly that — the rendered pixels, every
character the text layer claims with its boxes, the images, shapes, annotations and invisible text found on the page,
how the draft is read (its kind, whether its fonts are the draft's own) and how OCR is configured — so a stored result
is only ever reused for the very same page: a page that looks the same but claims other text (a lying ToUnicode map)
has another key and is read again. Entries are written by the render check itself (a draft cannot choose what is
stored under a key) to files in the deployment's data directory, written whole and renamed; an entry that cannot be
read is a miss (the page is checked again), never a pass. Scanning the visible text and comparing it with the
extracted text are not cached: they run on every check with the rules and the extraction of that version.
"""

from __future__ import annotations

import hashlib
import json
import os
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from reviewer.render.model import Line
from reviewer.render.pages import PdfPage

CACHE_DIR = "render-pages"  # beside the glyph memory in the data directory
VERSION = 3  # of the check's reading of a page: a change to how pages are read must change this (3: near twins are read)
MAX_ENTRIES = 50_000  # about 10 KB each; the oldest go first


@dataclass(slots=True)
class CheckedPage:
    """What steps 1–2 of check._check_page found on a page: the lines a reader sees, and where the text layer and
    the pixels disagreed (stretch, start, end, claimed, read), and where they differ by only one or two characters
    (stretch, start, end, read: the check scans what those characters make the line say, render/lies.py)."""

    final: list[Line]
    mismatches: list[tuple[Line, int, int, str, str]]
    near: list[tuple[Line, int, int, str]] = field(default_factory=list)


def page_key(page: PdfPage, png_sha256: str, kind: str, verify: bool, full_ocr: bool) -> str:
    """The page's pixels (the SHA-256 of its lossless PNG: other bytes for the same pixels only cost a miss) and
    everything else its check depends on."""
    import numpy as np

    h = hashlib.sha256()
    h.update(json.dumps([VERSION, kind, verify, full_ocr, "RGB" if page.picture is None else page.picture.mode, list(page.size), page.images,
                         page.shapes, page.invisible_text, page.annotations, round(page.image_area, 6),
                         [list(r) for r in page.regions],
                         os.environ.get("REVIEWER_OCR_MAX_SIDE", "")]).encode())
    # every claimed character (one code point each) with its box and loose box, as arrays (formatting them as text
    # cost more than the rest of the key)
    nan = (float("nan"),) * 4
    h.update(len(page.glyphs).to_bytes(8, "big"))
    h.update("".join(g.ch for g in page.glyphs).encode("utf-8", "surrogatepass"))
    h.update(np.array([g.box for g in page.glyphs], dtype=np.int64).tobytes())
    h.update(np.array([g.loose or nan for g in page.glyphs], dtype=np.float64).tobytes())
    h.update(b"\x02" + png_sha256.encode())
    return h.hexdigest()


def _line(x: Any) -> Line:
    text, boxes, source, score = x
    return Line(str(text), [tuple(int(v) for v in b) for b in boxes], str(source), float(score))  # type: ignore[misc]


def _raw(ln: Line) -> list[Any]:
    return [ln.text, [list(b) for b in ln.boxes], ln.source, ln.score]


class PageCache:
    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self._puts = 0

    def _path(self, key: str) -> Path:
        return self.directory / key[:2] / f"{key}.json.z"

    def get(self, key: str) -> CheckedPage | None:
        try:
            raw = json.loads(zlib.decompress(self._path(key).read_bytes()).decode("utf-8"))
            if raw["key"] != key or raw["version"] != VERSION:
                return None
            final = [_line(x) for x in raw["final"]]
            mismatches = [(_line(s), int(a), int(b), str(c), str(r)) for s, a, b, c, r in raw["mismatches"]]
            near = [(_line(s), int(a), int(b), str(r)) for s, a, b, r in raw["near"]]
        except (OSError, ValueError, KeyError, TypeError, zlib.error, UnicodeDecodeError):
            return None  # no entry, or a damaged one: the page is checked again
        for ln in [*final, *(m[0] for m in mismatches), *(n[0] for n in near)]:
            if len(ln.text) != len(ln.boxes):
                return None
        return CheckedPage(final, mismatches, near)

    def put(self, key: str, page: CheckedPage) -> None:
        body = {"key": key, "version": VERSION, "final": [_raw(ln) for ln in page.final],
                "mismatches": [[_raw(s), a, b, c, r] for s, a, b, c, r in page.mismatches],
                "near": [[_raw(s), a, b, r] for s, a, b, r in page.near]}
        path = self._path(key)
        try:
            self.directory.mkdir(mode=0o700, parents=True, exist_ok=True)  # entries hold a page's visible text
            path.parent.mkdir(mode=0o700, exist_ok=True)
            tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
            tmp.write_bytes(zlib.compress(json.dumps(body, ensure_ascii=False).encode("utf-8"), 1))
            os.chmod(tmp, 0o600)
            os.replace(tmp, path)
        except OSError:  # a read-only or full data directory costs a re-check next time, nothing else
            return
        self._puts += 1
        if self._puts % 500 == 1:  # listing the directory on every page would cost more than the pages
            self._trim()

    def _trim(self) -> None:
        try:
            files = [p for d in self.directory.iterdir() if d.is_dir() for p in d.iterdir()]
        except OSError:
            return
        if len(files) <= MAX_ENTRIES:
            return
        try:
            files.sort(key=lambda p: p.stat().st_mtime)
        except OSError:
            return
        for p in files[: len(files) - MAX_ENTRIES]:
            try:
                p.unlink()
            except OSError:
                pass


def forget_before(directory: Path, before_epoch: float) -> int:
    """Remove the entries written before `before_epoch` (seconds since the epoch): the retention purge's part of the
    cache, whose entries hold pages' visible text. Entries are keyed by page, not by draft, so the purge goes by
    age — a page still shared with a newer draft only costs a re-check. Returns how many entries were removed."""
    removed = 0
    if not directory.is_dir():
        return 0
    for path in directory.glob("*/*.json.z"):
        try:
            if path.stat().st_mtime < before_epoch:
                path.unlink()
                removed += 1
        except OSError:
            continue
    return removed

