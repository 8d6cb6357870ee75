"""Which rendering engines this machine has, and what to install when one is missing (all from Debian or PyPI;
scripts/setup.sh installs them). Nothing here downloads anything."""

from __future__ import annotations

import importlib.util
import os
import shutil

CHROMIUM = os.environ.get("REVIEWER_CHROMIUM", "/usr/bin/chromium")
# Without the background-networking flags Chromium keeps trying to reach hosts this closed network refuses.
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage"]


def soffice() -> str | None:
    return shutil.which(os.environ.get("REVIEWER_SOFFICE", "soffice"))


def _module(name: str) -> bool:
    return importlib.util.find_spec(name) is not None


def missing() -> list[str]:
    """One Chinese line per missing engine, naming the package that brings it."""
    out: list[str] = []
    if not _module("pypdfium2"):
        out.append("PDF 渲染引擎 PDFium：pip install pypdfium2")
    if not _module("rapidocr_onnxruntime"):
        out.append("文字识别（OCR）引擎：pip install rapidocr-onnxruntime")
    if not _module("PIL"):
        out.append("图像库：pip install Pillow")
    if soffice() is None:
        out.append("Office 文档渲染引擎 LibreOffice：apt-get install --no-install-recommends "
                   "libreoffice-writer-nogui libreoffice-calc-nogui libreoffice-impress-nogui")
    if not os.access(CHROMIUM, os.X_OK):
        out.append(f"网页渲染引擎 Chromium（{CHROMIUM}）：apt-get install chromium")
    if not _module("playwright"):
        out.append("Chromium 驱动：pip install playwright（使用系统的 Chromium，不需要 playwright install）")
    return out


def missing_message() -> str | None:
    gone = missing()
    if not gone:
        return None
    return "无法进行渲染核对：本机缺少以下渲染引擎，请先安装（或运行 bash scripts/setup.sh）：\n  " + "\n  ".join(gone)
