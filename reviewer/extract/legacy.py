"""Legacy .doc/.wps/.et/.xls/.ppt/.dps, RTF and OpenDocument (.odt/.ods/.odp): converted to DOCX/XLSX/PPTX by
LibreOffice headless, then read as such (a deck as a deck: slides, hidden slides, notes, masters and layouts).

Without LibreOffice on PATH the document is an error (fail closed), never skipped.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

from reviewer.errors import ExtractionError, LimitExceeded
from reviewer.extract.context import Context
from reviewer.extract.model import Extraction
from reviewer.extract.ooxml import Package
from reviewer.extract.sniff import LEGACY_SUFFIXES, OLE_MAGIC, is_zip


def soffice() -> str | None:
    return shutil.which("soffice") or shutil.which("libreoffice")


def _target(data: bytes, suffix: str) -> str:
    """What to convert to: by content when it says (the streams of an OLE file, an OpenDocument mimetype), so that a
    renamed deck is still read as a deck; else by the file name."""
    if data.startswith(OLE_MAGIC):
        found = {t for t, names in _OLE_TARGETS.items() if any(n in data for n in names)}
        if len(found) == 1:
            return found.pop()
    elif is_zip(data):
        head = data[:200]
        for kind, target in ((b"opendocument.presentation", "pptx"), (b"opendocument.spreadsheet", "xlsx"),
                             (b"opendocument.text", "docx")):
            if kind in head:
                return target
    if suffix in LEGACY_SUFFIXES:
        return LEGACY_SUFFIXES[suffix]
    return "docx"


_OLE_TARGETS = {
    "docx": ("WordDocument".encode("utf-16-le"),),
    "xlsx": ("Workbook".encode("utf-16-le"), "Book".encode("utf-16-le")),
    "pptx": ("PowerPoint Document".encode("utf-16-le"),),
}
_OLE_STREAMS = tuple(name.encode("utf-16-le") for name in ("WordDocument", "Workbook", "Book", "PowerPoint Document"))


def _check_container(data: bytes, ctx: Context) -> None:
    """LibreOffice imports what it cannot parse as plain text (a damaged .doc becomes a page of byte garbage that
    scans clean), so the container is checked first: an OLE file must hold a Word or Excel stream, an OpenDocument
    zip must inflate completely within the limits."""
    if data.startswith(OLE_MAGIC):
        if not any(name in data for name in _OLE_STREAMS):
            raise ExtractionError(
                "文件是 OLE 复合文档，但其中没有 Word/Excel/PowerPoint 内容流（文件可能已损坏或不是 Office 文档），无法审查")
    elif is_zip(data):
        Package(data, ctx.budget, "OpenDocument 文档")


def extract_legacy(data: bytes, suffix: str, ctx: Context) -> Extraction:
    _check_container(data, ctx)
    program = soffice()
    if program is None:
        raise ExtractionError(
            "旧版 Office/WPS/OpenDocument 文档需要 LibreOffice 转换，但本机未安装 LibreOffice，无法审查；"
            "请另存为 .docx/.xlsx 后提交，或由管理员安装 LibreOffice"
        )
    target = _target(data, suffix)
    with tempfile.TemporaryDirectory(prefix="reviewer-legacy-") as tmp:
        src = Path(tmp) / f"input{suffix or '.bin'}"
        src.write_bytes(data)
        outdir = Path(tmp) / "out"
        command = [
            program,
            f"-env:UserInstallation=file://{tmp}/profile",  # a private profile: parallel conversions do not lock each other
            "--headless",
            "--convert-to",
            target,
            "--outdir",
            str(outdir),
            str(src),
        ]
        try:
            subprocess.run(command, capture_output=True, timeout=max(1.0, ctx.budget.remaining_seconds()), check=False)
        except subprocess.TimeoutExpired as exc:
            raise LimitExceeded("LibreOffice 转换旧版文档超时，无法审查") from exc
        except OSError as exc:
            raise ExtractionError("无法启动 LibreOffice 转换旧版文档，无法审查") from exc
        converted = outdir / f"input.{target}"
        if not converted.is_file():
            raise ExtractionError("LibreOffice 无法转换该文档（文件可能已损坏或已加密），无法审查")
        out_data = converted.read_bytes()
    from reviewer.extract import docx, pptx, xlsx

    if target == "pptx":
        result = pptx.extract_pptx(out_data, ctx)
    else:
        result = docx.extract_docx(out_data, ctx) if target == "docx" else xlsx.extract_xlsx(out_data, ctx)
    result.kind = suffix.lstrip(".") or "legacy"
    return result
