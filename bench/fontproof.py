"""Font outline proof (reviewer/render/fontproof.py): how many distinct (font, character) pairs of a PDF prove, the
cost of loading the installed faces, and CPU per proves() call once loaded.

    .venv/bin/python bench/fontproof.py [PDF ...]

Without arguments: the LibreOffice-printed work reports bench/render.py --reports caches in /tmp/reviewer-bench-reports
(gwr-0070, gwr-0059, gwr-0062, gwr-0067), each checked with one Session (one document's load budget), in one process
(faces loaded for the first stay loaded for the next). Not a timed test."""

from __future__ import annotations

import ctypes
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from reviewer.render import fontproof  # noqa: E402

DEFAULT = [f"/tmp/reviewer-bench-reports/{n}-14pt.pdf" for n in ("gwr-0070", "gwr-0059", "gwr-0062", "gwr-0067")]


def pairs_of(doc: object, pages: list[object]) -> dict[tuple[int, str], object]:
    """Distinct (font, character) pairs; the pages are kept open in `pages` (a font handle dies with its page)."""
    import pypdfium2.raw as raw

    out: dict[tuple[int, str], object] = {}
    for i in range(len(doc)):  # type: ignore[arg-type]
        page = doc[i]  # type: ignore[index]
        textpage = page.get_textpage()
        pages += [page, textpage]
        for c in range(raw.FPDFText_CountChars(textpage.raw)):
            obj = raw.FPDFText_GetTextObject(textpage.raw, c)
            if obj:
                font = raw.FPDFTextObj_GetFont(obj)
                key = (ctypes.cast(font, ctypes.c_void_p).value or 0, chr(raw.FPDFText_GetUnicode(textpage.raw, c)))
                out.setdefault(key, font)
    return out


def main(paths: list[str]) -> None:
    import pypdfium2 as pdfium

    trusted = fontproof.TrustedFonts()
    for path in paths:
        if not Path(path).exists():
            print(f"{path}: 不存在（先运行 bench/render.py --reports 生成）")
            continue
        doc = pdfium.PdfDocument(path)
        pages: list[object] = []
        pairs = pairs_of(doc, pages)
        loads, load_s = trusted.loads, trusted.load_seconds
        session = trusted.session()
        started = time.process_time()
        result: Counter[tuple[str, bool]] = Counter()
        for (_key, ch), font in pairs.items():
            kind = "汉字" if "\u4e00" <= ch <= "\u9fff" else "其他"
            result[(kind, session.proves(font, ch))] += 1
        cold = time.process_time() - started
        proven = [(font, ch) for (_key, ch), font in pairs.items() if session.proves(font, ch)]
        again = trusted.session()  # a new session: no answer cached, the faces loaded
        started = time.process_time()
        for font, ch in proven:
            again.proves(font, ch)
        warm = (time.process_time() - started) / max(1, len(proven)) * 1e6
        print(f"{Path(path).name}: {len(doc)} 页，{len(pairs)} 个不同的（字体, 字）；汉字 {result[('汉字', True)]}/"
              f"{result[('汉字', True)] + result[('汉字', False)]} 证明，其他 {result[('其他', True)]}/"
              f"{result[('其他', True)] + result[('其他', False)]}；首次 CPU {cold:.2f} s（载入 {trusted.loads - loads} 个字面，"
              f"{trusted.load_seconds - load_s:.2f} s）；已载入后每次 {warm:.0f} µs")
        del pages
        doc.close()


if __name__ == "__main__":
    main(sys.argv[1:] or DEFAULT)
