"""file -> pages as a reader sees them (PDFium, LibreOffice, Chromium) -> OCR where needed -> visible text with boxes;
the visible text is scanned with the same Scanner and compared with the extracted text (docs/render.md).

Imports nothing from store, workflow, audit, accounts, api, web or workers (tests/test_layering.py)."""

from reviewer.render.check import (
    DEFAULT_RENDER_LIMITS,
    MISMATCH,
    MISMATCH_RULE,
    RenderLimits,
    kind_of,
    merge,
    render_check,
    scan_rendered,
)
from reviewer.render.engines import missing, missing_message
from reviewer.render.model import RenderedPage, RenderReport

__all__ = ["render_check", "scan_rendered", "merge", "kind_of", "RenderLimits", "DEFAULT_RENDER_LIMITS", "RenderReport", "RenderedPage",
           "missing", "missing_message", "MISMATCH", "MISMATCH_RULE"]
