"""Extraction speed: DOCX and PDF built from the public-gov corpus, read and scanned, in MB/s of source file.

    .venv/bin/python bench/extract_throughput.py [--corpus DIR] [--mb 2]

PDF page text, pypdf against PDFium (issue 19), on corpus reports printed by LibreOffice and by Chromium (cached in
--cache, built on first use; --long adds the 300-page report of bench/render.py --long):

    .venv/bin/python bench/extract_throughput.py --pages [--long]

prints, per PDF, pypdf's `extract_text` and PDFium's text page with its completeness checks (pdftext.read_page) in
CPU ms a page, how many pages PDFium could not read alone (read by pypdf too), and the whole `extract()` before
(page text by pypdf, as the code did) and after, in CPU s.

`lines(scanner)` is also printed by bench/scan_throughput.py, so a slow extractor shows next to the scanner figures.
The documents are generated in a temporary directory at bench time (nothing large is committed)."""

from __future__ import annotations

import argparse
import io
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

REPO = Path(__file__).resolve().parent.parent
CORPUS = REPO.parent / "shared" / "corpus" / "public-gov"
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "scripts" / "samples"))

from pdfgen import Page, make_pdf  # noqa: E402

from reviewer.document import scan_extraction  # noqa: E402
from reviewer.extract import Limits, extract  # noqa: E402

LIMITS = Limits(max_seconds=600)


def corpus_lines(directory: Path = CORPUS, chars: int = 4_000_000) -> list[str]:
    out: list[str] = []
    total = 0
    for path in sorted(directory.glob("*.txt")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                out.append(line.strip())
                total += len(line)
        if total >= chars:
            break
    return out


def make_docx(lines: list[str], target_bytes: int) -> bytes:
    """A DOCX made like Word makes one (python-docx's template), its body paragraphs and a table every 50 paragraphs
    written as XML directly: python-docx's API is too slow for megabytes of text."""
    import zipfile

    import docx

    buf = io.BytesIO()
    docx.Document().save(buf)
    template = zipfile.ZipFile(io.BytesIO(buf.getvalue()))
    w = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
    body: list[str] = []
    size = 0
    i = 0
    while size < target_bytes * 4.5:  # document.xml deflates about 4.5:1 for this text
        line = escape(lines[i % len(lines)])
        if i % 50 == 49:
            cells = "".join(f"<w:tc><w:p><w:r><w:t>{escape(lines[(i + c) % len(lines)][:30])}</w:t></w:r></w:p></w:tc>" for c in range(3))
            piece = f"<w:tbl><w:tr>{cells}</w:tr></w:tbl>"
        else:
            piece = f'<w:p><w:pPr><w:jc w:val="both"/></w:pPr><w:r><w:rPr><w:rFonts w:hint="eastAsia"/></w:rPr><w:t>{line}</w:t></w:r></w:p>'
        body.append(piece)
        size += len(piece.encode())
        i += 1
    document = f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><w:document xmlns:w="{w}"><w:body>{"".join(body)}</w:body></w:document>'
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        for info in template.infolist():
            data = document.encode() if info.filename == "word/document.xml" else template.read(info.filename)
            zf.writestr(info.filename, data)
    return out.getvalue()


def make_pdf_doc(lines: list[str], target_bytes: int) -> bytes:
    pages: list[Page] = []
    size = 0
    i = 0
    while size < target_bytes:
        page = Page([lines[(i + k) % len(lines)][:40] for k in range(45)])
        size += sum(len(line) * 4 + 8 for line in page.lines) + 200
        pages.append(page)
        i += 45
    return make_pdf(pages, info={"Title": "基准测试文档"})


def _median(fn: Callable[[], Any], reps: int) -> float:
    times = []
    for _ in range(reps):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return sorted(times)[len(times) // 2]


def lines(scanner: Any, corpus: Path = CORPUS, mb: float = 2.0, reps: int = 3) -> list[str]:
    """Printable lines: extraction alone and extraction + scan, MB/s of source file, for a DOCX and a PDF."""
    if not corpus.is_dir():
        return [f"提取速度：未找到语料目录 {corpus}，跳过"]
    text = corpus_lines(corpus)
    out: list[str] = []
    with tempfile.TemporaryDirectory(prefix="reviewer-bench-") as tmp:
        for kind, build in (("DOCX", make_docx), ("PDF", make_pdf_doc)):
            data = build(text, int(mb * 1024 * 1024))
            path = Path(tmp) / f"bench.{kind.lower()}"
            path.write_bytes(data)
            source_mb = len(data) / (1024 * 1024)
            start = time.perf_counter()
            extraction = extract(data, path.name, LIMITS)
            first = time.perf_counter() - start
            if extraction.error:
                out.append(f"提取 {kind}：失败（{extraction.error}）")
                continue
            chars = sum(len(p.text) for p in extraction.parts)
            n = reps if first < 5 else 1  # a slow extractor is measured once: the figure is what matters
            t_extract = _median(lambda: extract(data, path.name, LIMITS), n) if n > 1 else first
            t_both = _median(lambda: scan_extraction(scanner, extract(data, path.name, LIMITS)), n)
            out.append(
                f"提取 {kind}（{source_mb:.1f} MB 源文件，{chars / 1e6:.1f} M 字）：仅提取 {source_mb / t_extract:6.2f} MB/s"
                f"（{t_extract:.2f} s）；提取+扫描 {source_mb / t_both:6.2f} MB/s（{t_both:.2f} s）"
            )
    return out


def _pypdf_page_text(doc: Any, n: int, page: Any, work: Any, cmaps: Any, order: Any, captured: Any) -> str:
    """The page text as it was read before issue 19: pypdf alone."""
    return page.extract_text() or ""


def page_text_lines(pdfs: dict[str, bytes]) -> list[str]:
    """pypdf against PDFium on each PDF: page text CPU per page, fallback pages, whole extraction before/after."""
    import warnings

    import pypdfium2 as pdfium
    from pypdf import PdfReader

    from reviewer.extract import pdf as pdf_module
    from reviewer.extract.pdftext import read_page
    from reviewer.extract.workload import check_pdf
    from reviewer.scan.normalize import fold

    warnings.simplefilter("ignore")
    fold("预热")  # the scanner's folding table, built once per process (a scan builds it anyway)
    first = next(iter(pdfs.values()), None)
    if first is not None:  # imports and caches of both readers, paid once per process, outside the figures
        extract(first, "warm.pdf", LIMITS)
        PdfReader(io.BytesIO(first)).pages[0].extract_text()
    out = []
    for name, data in pdfs.items():
        reader = PdfReader(io.BytesIO(data))
        captured: dict[int, Any] = {}
        works = check_pdf(reader, len(data), LIMITS, None, captured)
        n = len(reader.pages)
        c0 = time.process_time()
        for page in reader.pages:
            page.extract_text()
        t_pypdf = time.process_time() - c0
        doc = pdfium.PdfDocument(data)
        c0 = time.process_time()
        cmaps: dict[int, Any] = {}
        why = [read_page(doc[i], works[i], lambda i=i: pdf_module.decoded_shows(reader.pages[i], works[i], cmaps, captured)).why_pypdf
               for i in range(n)]
        t_pdfium = time.process_time() - c0
        doc.close()
        fallback = [i + 1 for i, w in enumerate(why) if w]
        original = pdf_module._page_text
        pdf_module._page_text = _pypdf_page_text  # type: ignore[assignment]
        try:
            c0 = time.process_time()
            before = extract(data, f"{name}.pdf", LIMITS)
            t_before = time.process_time() - c0
        finally:
            pdf_module._page_text = original  # type: ignore[assignment]
        c0 = time.process_time()
        after = extract(data, f"{name}.pdf", LIMITS)
        t_after = time.process_time() - c0
        assert not before.error and not after.error, (before.error, after.error)
        out.append(f"  {name}（{n} 页）：页面文字 pypdf {t_pypdf / n * 1000:5.1f} ms/页，PDFium（含完整性检查）"
                   f"{t_pdfium / n * 1000:4.1f} ms/页，{t_pypdf / t_pdfium:4.1f} 倍；PDFium 不能独立读完、由 pypdf 补读的页 "
                   f"{len(fallback)} 个{('（' + next(w for w in why if w) + '）') if fallback else ''}；整份提取 "
                   f"{t_before:.2f} → {t_after:.2f} CPU s（{t_before / t_after:.1f} 倍）")
    return out


def corpus_pdfs(cache: Path, long: bool) -> dict[str, bytes]:
    """Work reports of the corpus printed by LibreOffice (bench/render.py's builders) and by Chromium."""
    sys.path.insert(0, str(REPO / "bench"))
    import render as render_bench

    from tests.render.make import corpus_pdf

    pdfs: dict[str, bytes] = {}
    for name in ("gwr-0070", "gwr-0059"):
        pdfs[f"{name} LibreOffice"] = render_bench.report_pdf(name, cache)
    for name in ("gwr-0062", "law-0107"):
        out = cache / f"{name}-chromium.pdf"
        if not out.exists():
            text = (render_bench.CORPUS / f"{name}.txt").read_text(encoding="utf-8")[:render_bench.REPORT_CHARS]
            cache.mkdir(parents=True, exist_ok=True)
            out.write_bytes(corpus_pdf(text))
        pdfs[f"{name} Chromium"] = out.read_bytes()
    if long:
        pdfs["300 页报告 LibreOffice"] = render_bench.long_report_pdf(cache)
    return pdfs


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--pages", action="store_true", help="PDF page text: pypdf against PDFium on printed reports")
    ap.add_argument("--long", action="store_true", help="with --pages: the 300-page report too")
    ap.add_argument("--cache", type=Path, default=Path("/tmp/reviewer-bench-reports"))
    ap.add_argument("--corpus", type=Path, default=CORPUS)
    ap.add_argument("--mb", type=float, default=2.0, help="size of each generated document")
    ap.add_argument("--reps", type=int, default=3)
    args = ap.parse_args()
    if args.pages:
        print(f"PDF 页面文字：pypdf 与 PDFium（CPU 时间；负载 {__import__('os').getloadavg()[0]:.1f}）")
        for line in page_text_lines(corpus_pdfs(args.cache, args.long)):
            print(line, flush=True)
        return
    from reviewer import Scanner

    scanner = Scanner.load()
    for line in lines(scanner, args.corpus, args.mb, args.reps):
        print(line)


if __name__ == "__main__":
    main()
