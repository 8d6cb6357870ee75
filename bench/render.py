"""Render check speed (reviewer.render): pages per minute for scanned sparse pages, dense text pages, HTML pages and
DOCX pages, with 1 and 2 worker processes (medians over --runs), and the extra latency the render check adds to a
typical 3-page DOCX notice (render check time minus the text scan's time, measured in the same run).

    .venv/bin/python bench/render.py [--runs 3] [--docs 4]

Each worker process loads the OCR models once (as a Celery worker does) and checks whole documents; pages/minute =
pages checked / wall time. The drafts are generated in memory from the public-gov corpus (nothing is committed).
Targets (issue 10): sparse scanned >= 30 pages/min with 2 workers; 3-page DOCX notice fully checked <= 15 s."""

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
CORPUS = REPO.parent / "shared" / "corpus" / "public-gov"
sys.path.insert(0, str(REPO))

from tests.render import make as m  # noqa: E402

_SCANNER = None


def _init() -> None:
    global _SCANNER
    os.environ.setdefault("REVIEWER_OCR_THREADS", "1")  # one core per worker process, as with two Celery children
    from reviewer.render import ocr
    from reviewer.scan.scanner import Scanner

    _SCANNER = Scanner.load()
    ocr.engine()


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


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--docs", type=int, default=4, help="documents per measurement")
    ap.add_argument("--kinds", default="scanned sparse,dense text (PDF),HTML,DOCX")
    args = ap.parse_args()
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
