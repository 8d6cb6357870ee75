"""Render check speed (reviewer.render): pages per minute for scanned sparse pages, dense text pages, HTML pages and
DOCX pages, with 1 and 2 worker processes (medians over --runs), and the extra latency the render check adds to a
typical 3-page DOCX notice (render check time minus the text scan's time, measured in the same run).

    .venv/bin/python bench/render.py [--runs 3] [--docs 4]

Each worker process loads the OCR models once (as a Celery worker does) and checks whole documents; pages/minute =
pages checked / wall time. The drafts are generated in memory from the public-gov corpus (nothing is committed).
Targets (issue 10): sparse scanned >= 30 pages/min with 2 workers; 3-page DOCX notice fully checked <= 15 s.

    .venv/bin/python bench/render.py --reports [--no-walls]

Text PDF reports (issue 19): two 30+ page work reports of the corpus printed to PDF by LibreOffice, checked by one
process with an empty glyph memory (cold), then two more from the same producer (steady); render check CPU against
PDFium's own cost of rendering the same pages at 150 dpi and reading their text layers, then the wall time of the
cold batch with 1 and 2 worker processes (--no-walls: not). Targets: <= 20x cold, <= 5x steady.

    .venv/bin/python bench/render.py --long        a 300-page report within the default limits (issue 19)
    .venv/bin/python bench/render.py --scanned [--modes before,after]

Sparse scanned pages and images (issue 19): CPU per page, the OCR share (detection, angle classifier, recognition),
pages/min with 2 workers by the wall clock and as implied by the CPU time on 2 idle cores, the load average while it
ran; "before" reads every page by RapidOCR's whole-page call as the code did before the sparse-page change, "after"
is the code as it is, both in one run. Target: >= 60 pages/min with 2 workers.

    .venv/bin/python bench/render.py --recall 40 [--seed 2]

Recall of the sparse-page path: random sparse pages read by RapidOCR's whole-page call and by ocr.read_page, the
characters of the drawn text each finds (not a speed figure)."""

from __future__ import annotations

import argparse
import io
import os
import statistics
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
# the shared corpus beside the main checkout (/work/main) or beside a worktree's parent (/work/wt/<name>)
CORPUS = next((p for p in (REPO.parent / "shared" / "corpus" / "public-gov",
                           REPO.parent.parent / "shared" / "corpus" / "public-gov") if p.exists()),
              REPO.parent / "shared" / "corpus" / "public-gov")
sys.path.insert(0, str(REPO))

from tests.render import make as m  # noqa: E402

_SCANNER = None
READ = {"alone": 0, "context": 0}  # glyphs this process sent to OCR: alone in synthetic lines, in context windows


def _count_reads() -> None:
    """Count the glyphs the render check sends to OCR (wrapping its two places that choose them)."""
    from reviewer.render import check, glyphs

    line, windows = glyphs._synthetic_line, check._windows
    if getattr(line, "counted", False):
        return

    def counted_line(picture: object, gs: list[object], module: object) -> object:
        READ["alone"] += len(gs)
        return line(picture, gs, module)  # type: ignore[arg-type]

    def counted_windows(*a: object) -> object:
        out = windows(*a)  # type: ignore[arg-type]
        READ["context"] += sum(w.end - w.start for w in out)
        return out

    counted_line.counted = True  # type: ignore[attr-defined]
    glyphs._synthetic_line, check._windows = counted_line, counted_windows  # type: ignore[assignment]


def _init() -> None:
    global _SCANNER
    os.environ.setdefault("REVIEWER_OCR_THREADS", "1")  # one core per worker process, as with two Celery children
    from reviewer.render import ocr
    from reviewer.scan.scanner import Scanner

    _SCANNER = Scanner.load()
    ocr.engine()
    _count_reads()


def _check(job: tuple[bytes, str]) -> tuple[int, float, float, float]:
    """(pages, seconds of the whole check, seconds of the text scan alone, CPU seconds of this process for the check;
    LibreOffice and Chromium run in child processes and are not in the CPU figure)."""
    from reviewer.document import scan_document
    from reviewer.render import scan_rendered

    data, name = job
    t0 = time.perf_counter()
    scan_document(_SCANNER, data, name)
    text = time.perf_counter() - t0
    t0, c0 = time.perf_counter(), time.process_time()
    _result, report = scan_rendered(_SCANNER, data, name)
    if report.error:
        raise SystemExit(f"{name}: {report.error}")
    return len(report.pages), time.perf_counter() - t0, text, time.process_time() - c0


def _text(n: int, offset: int = 0) -> str:
    files = sorted(CORPUS.glob("*.txt"))
    out = ""
    for f in files[offset:] + files[:offset]:
        out += f.read_text(encoding="utf-8")
        if len(out) >= n:
            break
    return "".join(out.split())[:n]


def _paragraphs(n: int, offset: int = 0) -> list[str]:
    body = _text(n, offset)
    return ["关于做好春季防汛工作的通知"] + [body[i : i + 150] for i in range(0, len(body), 150)]


def docx_notice(chars: int = 3300, offset: int = 0) -> bytes:
    import docx

    d = docx.Document()
    d.add_heading("关于做好春季防汛工作的通知", 1)
    body = _text(chars, offset)
    for i in range(0, len(body), 160):
        d.add_paragraph(body[i : i + 160])
    buf = io.BytesIO()
    d.save(buf)
    return buf.getvalue()


def dense_pdf(offset: int = 0) -> bytes:
    body = _text(2880, offset)
    lines = [body[i : i + 48] for i in range(0, len(body), 48)]
    return m.make_pdf([m.PdfPage([m.Text(40, 800 - k * 12.5, ln, 10) for k, ln in enumerate(lines)])])


def jobs(kind: str, docs: int) -> list[tuple[bytes, str]]:
    if kind == "scanned sparse":
        return [(m.scan_pdf([["关于做好春季防汛工作的通知", "各区县人民政府：", _text(24, i), "特此通知。"]]), "s.pdf")
                for i in range(docs)]
    if kind == "dense text (PDF)":
        return [(dense_pdf(i * 7), "d.pdf") for i in range(docs)]
    if kind == "HTML":
        return [(m.corpus_html("\n".join(_paragraphs(1800, i * 5))), "h.html") for i in range(docs)]
    return [(docx_notice(3300, i * 3), "n.docx") for i in range(docs)]


# ------------------------------------------------------------------------------------ text PDF reports (issue 19)
COLD = ("gwr-0070", "gwr-0059")  # the longest work reports: two different drafts checked by one command
STEADY = ("gwr-0062", "gwr-0067")  # a second batch from the same producer (LibreOffice, same fonts and size)
REPORT_CHARS = 32_000  # at 14 pt: 30+ pages each


def report_pdf(name: str, cache: Path) -> bytes:
    """A work report of the public corpus printed to PDF by LibreOffice (14 pt, 四号), cached between runs."""
    out = cache / f"{name}-14pt.pdf"
    if out.exists():
        return out.read_bytes()
    import docx
    from docx.shared import Pt

    from reviewer.render.convert import office_to_pdf

    d = docx.Document()
    d.styles["Normal"].font.size = Pt(14)
    body = (CORPUS / f"{name}.txt").read_text(encoding="utf-8")[:REPORT_CHARS]
    for para in body.splitlines():
        if para.strip():
            d.add_paragraph(para.strip())
    buf = io.BytesIO()
    d.save(buf)
    pdf = office_to_pdf(buf.getvalue(), ".docx", 300)
    cache.mkdir(parents=True, exist_ok=True)
    out.write_bytes(pdf)
    return pdf


def floor_cpu(pdf: bytes, dpi: int = 150) -> tuple[int, float]:
    """PDFium's own cost: render every page at `dpi` and read its text layer (CPU seconds)."""
    import pypdfium2 as pdfium

    c0 = time.process_time()
    doc = pdfium.PdfDocument(pdf)
    n = len(doc)
    for i in range(n):
        page = doc[i]
        page.render(scale=dpi / 72).to_pil()
        tp = page.get_textpage()
        tp.get_text_range()
        for c in range(tp.count_chars()):
            tp.get_charbox(c)
        tp.close()
        page.close()
    doc.close()
    return n, time.process_time() - c0


def _render_only(job: tuple[bytes, str, str | None]) -> tuple[int, float, float, float]:
    """(pages, CPU s of the render check alone, CPU s of scan_rendered (text scan + render check), wall s)."""
    from reviewer.document import scan_document
    from reviewer.extract import extract
    from reviewer.render import render_check
    from reviewer.render.check import RenderLimits

    data, name, memory = job
    # no wall-clock limit here: the figure is CPU, and the shared machine's load must not end the run
    extra = {"glyph_memory": memory} if "glyph_memory" in RenderLimits.__dataclass_fields__ else {}
    limits = RenderLimits(max_seconds=7200, **extra)  # type: ignore[arg-type]
    READ.update(alone=0, context=0)
    w0, c0 = time.perf_counter(), time.process_time()
    extraction = extract(data, name)
    result = scan_document(_SCANNER, data, name)
    c1 = time.process_time()
    report = render_check(_SCANNER, data, name, extraction, result.findings, limits)
    c2 = time.process_time()
    if report.error:
        raise SystemExit(f"{name}: {report.error}")
    return len(report.pages), c2 - c1, c2 - c0, time.perf_counter() - w0


def reports(cache: Path, walls: bool, cold_names: list[str], steady_names: list[str], warm: int = 0) -> None:
    import tempfile

    _init()
    cold = [(report_pdf(n, cache), f"{n}.pdf") for n in cold_names]
    steady = [(report_pdf(n, cache), f"{n}.pdf") for n in steady_names]
    # --warm N: N more of the corpus's longest work reports checked between the two batches (the memory of a unit
    # that has published a few more reports); 0, the definition: the steady batch right after the cold one
    others = sorted((f for f in CORPUS.glob("gwr-*.txt") if f.stem not in {*cold_names, *steady_names}),
                    key=lambda f: (-f.stat().st_size, f.name))
    more = [(report_pdf(f.stem, cache), f"{f.stem}.pdf") for f in others[:warm]]
    steady_label = "steady (same producer, fonts verified)" if not warm else \
        f"steady after {warm} more reports ({', '.join(n[:-4] for _d, n in more)})"
    with tempfile.TemporaryDirectory() as tmp:
        memory = str(Path(tmp) / "glyph-memory.npz")
        for label, batch in (("cold (nothing verified before)", cold), (f"warm-up ({warm} reports)", more),
                             (steady_label, steady)):
            if not batch:
                continue
            pages = render = full = floor = 0.0
            for data, name in batch:
                n, f = floor_cpu(data)
                p, r, t, _w = _render_only((data, name, memory))
                print(f"    {name}: {p} pages, render check {r:.1f} CPU s ({r / p:.2f}/page), text scan + render "
                      f"{t:.1f} CPU s, PDFium floor {f:.2f} CPU s ({f / n * 1000:.0f} ms/page) -> {r / f:.1f}x floor; "
                      f"glyphs read by OCR: {READ['alone']} alone, {READ['context']} in context", flush=True)
                pages, render, full, floor = pages + p, render + r, full + t, floor + f
            print(f"  {label}: {pages:.0f} pages, render check {render / pages:.2f} CPU s/page = {render / floor:.1f}x "
                  f"PDFium floor ({floor / pages * 1000:.0f} ms/page); with the text scan {full / floor:.1f}x", flush=True)
    if walls:  # cold, each process its own memory file (as two fresh workers)
        for workers in (1, 2):
            with tempfile.TemporaryDirectory() as tmp:
                jobs_ = [(d, n, str(Path(tmp) / f"m{i}.npz")) for i, (d, n) in enumerate(cold)]
                t0 = time.perf_counter()
                with ProcessPoolExecutor(workers, initializer=_init) as pool:
                    out = list(pool.map(_render_only, jobs_))
                print(f"  wall, {workers} process(es), the two cold reports ({sum(o[0] for o in out)} pages): "
                      f"{time.perf_counter() - t0:.0f} s (load average {os.getloadavg()[0]:.1f})", flush=True)


LONG_PAGES = 300


def long_report_pdf(cache: Path, pages: int = LONG_PAGES) -> bytes:
    """A work report of about `pages` pages: the corpus's work reports (gwr-*) joined in order, 14 pt, printed to PDF
    by LibreOffice (cached between runs)."""
    out = cache / f"long-{pages}-14pt.pdf"
    if out.exists():
        return out.read_bytes()
    import docx
    from docx.shared import Pt

    from reviewer.render.convert import office_to_pdf

    d = docx.Document()
    d.styles["Normal"].font.size = Pt(14)
    chars = 0
    for f in sorted(CORPUS.glob("gwr-*.txt")):
        for para in f.read_text(encoding="utf-8").splitlines():
            if para.strip():
                d.add_paragraph(para.strip())
                chars += len(para.strip())
        if chars >= pages * 775:  # about 775 characters a page at 14 pt with these short paragraphs
            break
    buf = io.BytesIO()
    d.save(buf)
    pdf = office_to_pdf(buf.getvalue(), ".docx", 1200)
    cache.mkdir(parents=True, exist_ok=True)
    out.write_bytes(pdf)
    return pdf


def long_report(cache: Path) -> None:
    """The 300-page report, checked as a worker checks it: the default limits (time and pages) of the settings, a
    deployment glyph memory that starts empty (cold); wall and CPU of the text scan plus the render check."""
    import tempfile

    from reviewer.document import scan_document
    from reviewer.render import scan_rendered
    from reviewer.render.check import RenderLimits
    from reviewer.settings import Settings

    _init()
    data = long_report_pdf(cache)
    n, floor = floor_cpu(data)
    settings = Settings.from_env()
    with tempfile.TemporaryDirectory() as tmp:
        limits = RenderLimits(max_seconds=settings.render_time_limit, max_pages=settings.render_max_pages,
                              glyph_memory=str(Path(tmp) / "glyph-memory.npz"))
        w0, c0 = time.perf_counter(), time.process_time()
        text = scan_document(_SCANNER, data, "long.pdf")
        c1, w1 = time.process_time(), time.perf_counter()
        _result, report = scan_rendered(_SCANNER, data, "long.pdf", limits)
        c2, w2 = time.process_time(), time.perf_counter()
    verdict = f"error: {report.error}" if report.error else "checked"
    print(f"  {n}-page report (corpus work reports joined, 14 pt, LibreOffice): text scan {c1 - c0:.1f} CPU s "
          f"({w1 - w0:.1f} s wall, verdict {text.verdict.value}); text scan + render check {c2 - c1:.1f} CPU s, "
          f"{w2 - w1:.1f} s wall, {verdict}; limits {limits.max_seconds:.0f} s / {limits.max_pages} pages; text scan + "
          f"render check {(c2 - c1) / max(1, len(report.pages)):.2f} CPU s/page = {(c2 - c1) / floor:.1f}x PDFium floor "
          f"({floor / n * 1000:.0f} ms/page); load average "
          f"{os.getloadavg()[0]:.1f}", flush=True)


SCANNED_KINDS = ("scan.pdf", "photo.jpg", "a4-300dpi.png")


def scanned_jobs(docs: int) -> list[tuple[bytes, str]]:
    """Sparse one-page scans, by turns: a scanner's PDF (150 dpi JPEG page, no text layer), a JPEG image at 150 dpi,
    an A4 page at 300 dpi as a PNG (2480 × 3508: scaled down before reading, as every large image is)."""
    out = []
    for i in range(docs):
        lines = ["关于做好春季防汛工作的通知", "各区县人民政府：", _text(24, i), "特此通知。"]
        kind = SCANNED_KINDS[i % len(SCANNED_KINDS)]
        if kind == "scan.pdf":
            out.append((m.scan_pdf([lines]), kind))
        elif kind == "photo.jpg":
            out.append((m.image_bytes(m.page_image(lines, size=40), "JPEG"), kind))
        else:
            out.append((m.image_bytes(m.page_image(lines, size=80, width=2480, height=3508), "PNG"), kind))
    return out


def _init_scanned(mode: str) -> None:
    """A worker of the --scanned bench: "after" is the code as it is; "before" reads every page by RapidOCR's own
    whole-page call (detection on the whole page, recognition in batches of 6) with onnxruntime's memory arena off,
    as before the sparse-page change (issue 19), so both are measured in one run under the same load."""
    from reviewer.render import ocr, sparse

    if mode == "before":
        sparse.read = lambda *_a: None  # type: ignore[assignment]
        ocr._with_arena = lambda make, kwargs: make(**kwargs)  # type: ignore[assignment]
    _init()


def _scanned(job: tuple[bytes, str]) -> tuple[int, float, dict[str, float]]:
    """(pages, CPU s of the whole check in this worker process, CPU s inside OCR and its parts, pages read on crops)."""
    from reviewer.render import ocr, scan_rendered, sparse

    spent = {"ocr": 0.0, "det": 0.0, "cls": 0.0, "rec": 0.0, "crops": 0.0, "whole": 0.0}

    def timed(key: str, f: object) -> object:
        def inner(*a: object, **k: object) -> object:
            c = time.process_time()
            try:
                return f(*a, **k)  # type: ignore[operator]
            finally:
                spent[key] += time.process_time() - c
        return inner

    def counted(key: str, f: object) -> object:
        def inner(*a: object) -> object:
            out = f(*a)  # type: ignore[operator]
            if out is not None:
                spent[key] += 1
            return out
        return inner

    eng = ocr.engine()
    real = (ocr.read_page, ocr.read_crops, eng.text_det.infer, eng.text_cls, eng.text_rec, sparse.sparse_lines,
            sparse.whole_page_lines)
    ocr.read_page, ocr.read_crops = timed("ocr", real[0]), timed("ocr", real[1])  # type: ignore[assignment]
    eng.text_det.infer, eng.text_cls, eng.text_rec = timed("det", real[2]), timed("cls", real[3]), timed("rec", real[4])
    sparse.sparse_lines = counted("crops", real[5])  # type: ignore[assignment]
    sparse.whole_page_lines = counted("whole", real[6])  # type: ignore[assignment]
    try:
        c0 = time.process_time()
        _result, report = scan_rendered(_SCANNER, *job)
        if report.error:
            raise SystemExit(f"{job[1]}: {report.error}")
        return len(report.pages), time.process_time() - c0, spent
    finally:
        ocr.read_page, ocr.read_crops = real[0], real[1]  # type: ignore[assignment]
        eng.text_det.infer, eng.text_cls, eng.text_rec = real[2], real[3], real[4]
        sparse.sparse_lines, sparse.whole_page_lines = real[5], real[6]  # type: ignore[assignment]


class _Load:
    """The machine's 1-minute load average, sampled every second while a measurement runs (the machine is shared)."""

    def __init__(self) -> None:
        import threading

        self.samples: list[float] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.samples.append(os.getloadavg()[0])
            self._stop.wait(1.0)

    def __enter__(self) -> _Load:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        self._thread.join()


def scanned(docs: int, runs: int, modes: list[str]) -> None:
    """Sparse scanned pages and images (whole-page OCR) with 2 worker processes, before and after the sparse-page change
    in one run (alternating, so both see the same load): CPU per page, the OCR share and its parts, pages/minute by the
    wall clock and as implied by the CPU time on 2 idle cores, and the load average while it ran."""
    work = scanned_jobs(docs)
    results: dict[str, list[tuple[float, float, float, dict[str, float], list[float]]]] = {mode: [] for mode in modes}
    pools = {mode: ProcessPoolExecutor(2, initializer=_init_scanned, initargs=(mode,)) for mode in modes}
    try:
        for mode in modes:
            list(pools[mode].map(_scanned, work[:2]))  # warm-up: models loaded
        for _ in range(runs):
            for mode in modes:
                with _Load() as load:
                    t0 = time.perf_counter()
                    out = list(pools[mode].map(_scanned, work))
                    wall = time.perf_counter() - t0
                pages = sum(p for p, _c, _s in out)
                cpu = sum(c for _p, c, _s in out)
                parts = {k: sum(s[k] for _p, _c, s in out) for k in out[0][2]}
                results[mode].append((pages / wall * 60, cpu / pages, pages, parts, load.samples))
    finally:
        for pool in pools.values():
            pool.shutdown()
    for mode in modes:
        rows = results[mode]
        rate = statistics.median(r[0] for r in rows)
        cpu = statistics.median(r[1] for r in rows)
        parts = {k: sum(r[3][k] for r in rows) for k in rows[0][3]}
        total = sum(r[1] * r[2] for r in rows)
        loads = [x for r in rows for x in r[4]]
        print(f"  {mode:6s} {len(work)} sparse pages ({', '.join(SCANNED_KINDS)} by turns), 2 workers: "
              f"{cpu:.2f} CPU s/page (median of {len(rows)} runs); OCR {parts['ocr'] / total * 100:.0f}% of the workers' "
              f"CPU (detection {parts['det'] / total * 100:.0f}%, angle classifier {parts['cls'] / total * 100:.1f}%, "
              f"recognition {parts['rec'] / total * 100:.0f}%); pages detected on their crops {parts['crops']:.0f}, "
              f"on the whole page {sum(r[2] for r in rows) - parts['crops']:.0f}", flush=True)
        print(f"         {rate:.1f} pages/min by the wall clock (runs: {', '.join(f'{r[0]:.1f}' for r in rows)}; "
              f"target >= 60) at load average {statistics.mean(loads):.1f} (max {max(loads):.1f}); "
              f"{2 * 60 / cpu:.0f} pages/min implied by the CPU time on 2 idle cores", flush=True)
    if len(modes) == 2:
        b, a = (statistics.median(r[1] for r in results[mode]) for mode in modes)
        print(f"  CPU per page {modes[0]} / {modes[1]}: {b / a:.1f}x", flush=True)


def recall(pages: int, seed: int) -> None:
    """Recall of the sparse-page path against what was drawn: random sparse pages (1-6 stretches of corpus text, 12-40
    pixels, black to light grey, red or blue, anywhere on the page; three in ten turned 90/180/270 degrees), each read
    by RapidOCR's own whole-page call (before) and by ocr.read_page (after). Characters of the drawn text found in
    order in the page's reading (NFKC, letters and digits), over all pages."""
    import difflib
    import random
    import unicodedata

    import numpy as np
    from PIL import Image, ImageDraw, ImageFont

    from reviewer.render import ocr, sparse

    os.environ.setdefault("REVIEWER_OCR_THREADS", "1")
    eng = ocr.engine()
    corpus = sorted(CORPUS.glob("*.txt"))
    rnd = random.Random(seed)

    def fold(text: str) -> str:
        return "".join(ch for ch in unicodedata.normalize("NFKC", text) if ch.isalnum())

    def found(truth: str, text: str) -> int:
        return sum(b.size for b in difflib.SequenceMatcher(None, truth, text, autojunk=False).get_matching_blocks())

    whole = [0]
    real = sparse.whole_page_lines

    def counted(*a: object) -> object:
        whole[0] += 1
        return real(*a)  # type: ignore[arg-type]

    sparse.whole_page_lines = counted  # type: ignore[assignment]
    drawn = before = after = 0
    for _ in range(pages):
        text = "".join(rnd.choice(corpus).read_text(encoding="utf-8").split())
        img = Image.new("RGB", (1240, 1754), "white")
        draw = ImageDraw.Draw(img)
        truths = []
        for _k in range(rnd.randint(1, 6)):
            size = rnd.choice([12, 14, 16, 20, 24, 30, 40])
            g = rnd.choice([0, 20, 60, 120, 180, 210, 225])
            n = rnd.randint(3, max(4, min(40, 1000 // size)))
            start = rnd.randrange(max(1, len(text) - n))
            draw.text((rnd.randrange(0, 1240 - size * 2), rnd.randrange(0, 1754 - size)), text[start : start + n],
                      fill=rnd.choice([(g, g, g), (220, 40, 40), (40, 40, 200)]), font=ImageFont.truetype(m.FONT, size))
            truths.append(fold(text[start : start + n]))
        if rnd.random() < 0.3:
            img = img.rotate(rnd.choice([90, 180, 270]), expand=True)
        old, _ = eng(np.asarray(img)[:, :, ::-1].copy())
        old_text = fold("".join(str(t) for _q, t, score in old or [] if float(score) >= ocr.MIN_SCORE))
        new_text = fold("".join(ln.text for ln in ocr.read_page(img)))
        for truth in truths:
            drawn += len(truth)
            before += found(truth, old_text)
            after += found(truth, new_text)
    sparse.whole_page_lines = real  # type: ignore[assignment]
    print(f"  {pages} random sparse pages (seed {seed}), {drawn} characters drawn: found by the whole-page call "
          f"{before} ({before / drawn * 100:.2f}%), by read_page {after} ({after / drawn * 100:.2f}%); "
          f"read_page detected {pages - whole[0]} pages on their crops, {whole[0]} on the whole page", flush=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--reports", action="store_true", help="text PDF reports: render check CPU vs PDFium's floor")
    ap.add_argument("--walls", action="store_true", help="(the default) with --reports: wall time with 1 and 2 processes")
    ap.add_argument("--no-walls", action="store_true", help="with --reports: only the CPU figures")
    ap.add_argument("--warm", type=int, default=0, help="with --reports: N more corpus reports checked before the "
                    "steady batch (0: the issue's definition)")
    ap.add_argument("--cache", default="/tmp/reviewer-bench-reports")
    ap.add_argument("--cold", default=",".join(COLD), help="corpus names of the cold batch")
    ap.add_argument("--steady", default=",".join(STEADY), help="corpus names of the steady batch ('' for none)")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--docs", type=int, default=4, help="documents per measurement")
    ap.add_argument("--kinds", default="scanned sparse,dense text (PDF),HTML,DOCX")
    ap.add_argument("--long", action="store_true", help=f"a {LONG_PAGES}-page report within the default limits")
    ap.add_argument("--scanned", action="store_true", help="scanned pages/min with 2 workers and the OCR share")
    ap.add_argument("--modes", default="before,after", help="with --scanned: before,after (one run) or one of them")
    ap.add_argument("--recall", type=int, default=0, metavar="PAGES",
                    help="random sparse pages: characters found, whole-page call vs read_page")
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    if args.recall:
        recall(args.recall, args.seed)
        return
    if args.long or args.scanned:
        print(f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}")
        if args.scanned:
            scanned(args.docs * 3, args.runs, [x for x in args.modes.split(",") if x])
        if args.long:
            long_report(Path(args.cache))
        return
    if args.reports:
        print(f"text PDF reports, {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}")
        reports(Path(args.cache), not args.no_walls, [n for n in args.cold.split(",") if n],
                [n for n in args.steady.split(",") if n], args.warm)
        return
    print(f"render check, {os.cpu_count()} cores (wall figures depend on what else runs: see the load average), load average {os.getloadavg()[0]:.1f}; medians of {args.runs} runs")
    notice = None
    for kind in args.kinds.split(","):
        work = jobs(kind, args.docs)
        for workers in (1, 2):
            rates = []
            with ProcessPoolExecutor(workers, initializer=_init) as pool:
                list(pool.map(_check, work[:workers]))  # warm-up: models loaded, LibreOffice profile made
                for _ in range(args.runs):
                    t0 = time.perf_counter()
                    out = list(pool.map(_check, work))
                    wall = time.perf_counter() - t0
                    rates.append(sum(p for p, _s, _t, _c in out) / wall * 60)
                    cpu = sum(c for _p, _s, _t, c in out) / max(1, sum(p for p, _s, _t, _c in out))
                    if kind == "DOCX" and workers == 1:
                        notice = out
            print(f"  {kind:18s} {workers} worker(s): {statistics.median(rates):7.1f} pages/min "
                  f"(runs: {', '.join(f'{r:.1f}' for r in rates)}; {cpu:.2f} CPU s/page in the worker)", flush=True)
    if notice:
        pages = statistics.median(p for p, _s, _t, _c in notice)
        extra = statistics.median(s - t for _p, s, t, _c in notice)
        text = statistics.median(t for _p, _s, t, _c in notice)
        print(f"  3-page DOCX notice ({pages:.0f} pages): text scan {text * 1000:.0f} ms, render check adds "
              f"{extra:.1f} s (median of {len(notice)}; target <= 15 s)")


if __name__ == "__main__":
    main()
