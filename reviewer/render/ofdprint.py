"""An OFD printed to PDF as a reader shows it: the SVG pages of ofd.py in one HTML document (each page its own size,
the package's own fonts as web fonts), printed by the Chromium the render check already drives. The PDF then goes
through the PDF render check (PDFium, glyph verification against the pixels, OCR of images and shapes), one PDF page
per OFD page. A package font that Chromium refuses would silently fall back to a system font and hide what the
font draws: any font that does not load, or a page count that does not match, fails the check."""

from __future__ import annotations

import base64
from dataclasses import dataclass

from reviewer.render.convert import RenderError, abort_network, chromium
from reviewer.render.ofd import Hidden, draw
from reviewer.scan.model import Finding, Severity


@dataclass(slots=True)
class OfdRendering:
    pdf: bytes
    pages: int
    hidden: list[Hidden]


def ofd_to_pdf(data: bytes, timeout: float, max_pages: int) -> OfdRendering:
    drawing = draw(data, max_pages)
    faces = "".join(f'@font-face{{font-family:"{name}";src:url(data:font/ttf;base64,{base64.b64encode(font).decode()})}}'
                    for name, font in drawing.fonts.items())
    sizes: dict[tuple[float, float], str] = {}
    pages: list[str] = []
    for i, page in enumerate(drawing.pages):
        name = sizes.setdefault((page.width, page.height), f"s{len(sizes)}")
        last = i == len(drawing.pages) - 1
        pages.append(f'<div class="{name}" style="{"" if last else "break-after:page;"}">{page.svg}</div>')
    css = faces + "".join(f"@page {n}{{size:{w:g}mm {h:g}mm;margin:0}} .{n}{{page:{n};width:{w:g}mm;height:{h:g}mm;"
                          "overflow:hidden;position:relative}" for (w, h), n in sizes.items())
    html = (f"<!doctype html><html><head><meta charset=utf-8><style>html,body{{margin:0;padding:0}}{css}</style></head>"
            f"<body>{''.join(pages)}</body></html>")
    pdf = _print(html, timeout)
    import pypdfium2 as pdfium

    count = len(pdfium.PdfDocument(pdf))
    if count != len(drawing.pages):
        raise RenderError(f"OFD 共 {len(drawing.pages)} 页，打印出 {count} 页，页面无法一一对应，未能核对显示内容，不得视为通过")
    return OfdRendering(pdf, count, drawing.hidden)


_LOAD_FONTS = """async () => {
  let bad = 0;
  for (const f of document.fonts) { try { await f.load(); } catch (e) { bad++; } if (f.status !== 'loaded') bad++; }
  await document.fonts.ready;
  return bad;
}"""


def _print(html: str, timeout: float) -> bytes:
    with chromium(timeout, renders="渲染 OFD 页面", draws="绘制 OFD 页面", fails="绘制该 OFD 文件",
                  log="（绘制 OFD 文件时）") as (browser, ms):
        # our own document (every text escaped, no script from the file): scripts only to ask the font loader
        ctx = browser.new_context(java_script_enabled=True, offline=True)
        ctx.route("**/*", abort_network)
        page = ctx.new_page()
        page.set_default_timeout(ms)
        page.set_content(html, wait_until="load", timeout=ms)
        if page.evaluate(_LOAD_FONTS):
            raise RenderError("OFD 文件内嵌的字体无法加载（字体文件损坏或格式不受支持），阅读器画出的字形无法核对，"
                              "未能核对显示内容，不得视为通过")
        pdf: bytes = page.pdf(prefer_css_page_size=True, print_background=True,
                              margin={"top": "0", "bottom": "0", "left": "0", "right": "0"})
        ctx.close()
    return pdf


def hidden_findings(hidden: list[Hidden]) -> list[Finding]:
    """Text the file holds on a page that no reader shows: a render finding (review), like text a PDF draws nowhere."""
    from reviewer.render.check import MISMATCH, MISMATCH_RULE

    out: list[Finding] = []
    for h in hidden:
        shown = h.text if len(h.text) <= 60 else h.text[:60] + "…"
        out.append(Finding(
            MISMATCH_RULE, MISMATCH, Severity.REVIEW, 0, 0, shown, h.text[:200], MISMATCH,
            f"文件中写有“{shown}”，但阅读器不会显示它（{h.reason}）；提取出的文本含有读者看不到的文字，"
            "复制或转换文件时会被读出，请删除或改为可见后重新提交", f"第{h.page}页（不显示的文字）", h.page, None))
    return out
