"""Small builders for test documents: DOCX/XLSX packages from raw XML, PDFs through scripts/samples/pdfgen.py."""

from __future__ import annotations

import io
import sys
import zipfile
from pathlib import Path

from reviewer.extract import Extraction

SAMPLES = Path(__file__).resolve().parents[2] / "samples" / "formats"
sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "scripts" / "samples"))

from pdfgen import Annotation, Page, make_pdf  # noqa: E402

__all__ = ["Annotation", "Page", "make_pdf", "SAMPLES", "docx_with_body", "zip_of", "locations_of"]

W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"


def zip_of(files: dict[str, bytes | str]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, content in files.items():
            zf.writestr(name, content)
    return out.getvalue()


def docx_with_body(body_xml: str, extra: dict[str, bytes | str] | None = None) -> bytes:
    document = f'<?xml version="1.0" encoding="UTF-8"?><w:document xmlns:w="{W_NS}"><w:body>{body_xml}</w:body></w:document>'
    return zip_of({"word/document.xml": document, **(extra or {})})


def locations_of(extraction: Extraction, text: str) -> list[str]:
    """Where each occurrence of `text` is reported (None-located duplicates left out)."""
    out: list[str] = []
    for part in extraction.parts:
        i = part.text.find(text)
        while i >= 0:
            where = part.locate(i, i + len(text))
            if where is not None:
                out.append(where)
            i = part.text.find(text, i + 1)
    return out
