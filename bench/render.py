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
    .venv/bin/python bench/render.py --scanned     sparse scanned pages/min with 2 workers, OCR share (target >= 60)"""

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

    def counted_line(image: object, gs: list[object], module: object) -> object:
        READ["alone"] += len(gs)
        return line(image, gs, module)  # type: ignore[arg-type]

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


def _scanned(job: tuple[bytes, str]) -> tuple[int, float, float]:
    """(pages, CPU s of the whole check, CPU s inside OCR calls) in this worker process."""
    from reviewer.render import ocr, scan_rendered

    spent = [0.0]

    def timed(f: object) -> object:
        def inner(*a: object) -> object:
            c = time.process_time()
            try:
                return f(*a)  # type: ignore[operator]
            finally:
                spent[0] += time.process_time() - c
        return inner

    real = (ocr.read_page, ocr.read_crops)
    ocr.read_page, ocr.read_crops = timed(real[0]), timed(real[1])  # type: ignore[assignment]
    try:
        c0 = time.process_time()
        _result, report = scan_rendered(_SCANNER, *job)
        if report.error:
            raise SystemExit(f"{job[1]}: {report.error}")
        return len(report.pages), time.process_time() - c0, spent[0]
    finally:
        ocr.read_page, ocr.read_crops = real  # type: ignore[assignment]


def scanned(docs: int, runs: int) -> None:
    """Sparse scanned pages (no text layer: whole-page OCR) with 2 worker processes: pages/minute and the share of the
    workers' CPU spent inside OCR."""
    work = jobs("scanned sparse", docs)
    with ProcessPoolExecutor(2, initializer=_init) as pool:
        list(pool.map(_scanned, work[:2]))  # warm-up: models loaded
        rates, shares, cpus = [], [], []
        for _ in range(runs):
            t0 = time.perf_counter()
            out = list(pool.map(_scanned, work))
            wall = time.perf_counter() - t0
            pages = sum(p for p, _c, _o in out)
            rates.append(pages / wall * 60)
            shares.append(sum(o for _p, _c, o in out) / max(1e-9, sum(c for _p, c, _o in out)))
            cpus.append(sum(c for _p, c, _o in out) / pages)
    print(f"  scanned sparse pages, 2 workers: {statistics.median(rates):.1f} pages/min (runs: "
          f"{', '.join(f'{r:.1f}' for r in rates)}; target >= 60), {statistics.median(cpus):.2f} CPU s/page, OCR "
          f"{statistics.median(shares) * 100:.0f}% of the workers' CPU; load average {os.getloadavg()[0]:.1f}",
          flush=True)


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
    args = ap.parse_args()
    if args.long or args.scanned:
        print(f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}")
        if args.scanned:
            scanned(args.docs * 3, args.runs)
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
