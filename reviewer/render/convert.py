"""A draft -> the PDF a reader's program would print: LibreOffice headless for Office formats, Chromium (scripts off,
network off, screen media) for HTML. PDFs are used as they are; images become pages directly (pages.py)."""

from __future__ import annotations

import logging
import os
import re
import shutil
import signal
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from reviewer.errors import ExtractionError
from reviewer.render import engines

_log = logging.getLogger(__name__)


class RenderError(ExtractionError):
    """The draft could not be rendered (engine missing, crash, time limit): the check fails closed."""


_SCRIPTED = re.compile(r"<script\b|\son[a-z]+\s*=|javascript:", re.I)
_PROFILE: Path | None = None


def _lo_profile() -> Path:
    """One LibreOffice profile per process (a fresh one per call costs seconds; a shared one between processes locks)."""
    global _PROFILE
    if _PROFILE is None:
        _PROFILE = Path(tempfile.gettempdir()) / f"reviewer-lo-{os.getuid()}-{os.getpid()}"
    return _PROFILE


def office_to_pdf(data: bytes, suffix: str, timeout: float) -> bytes:
    exe = engines.soffice()
    if exe is None:
        raise RenderError("本机未安装 LibreOffice（libreoffice-writer-nogui 等），无法渲染 Office 文档，不得视为通过")
    with tempfile.TemporaryDirectory(prefix="reviewer-render-") as tmp:
        src = Path(tmp) / f"draft{suffix}"
        src.write_bytes(data)
        cmd = [exe, "--headless", "--norestore", "--nolockcheck", "--nodefault", "--nologo",
               f"-env:UserInstallation=file://{_lo_profile()}", "--convert-to", "pdf", "--outdir", tmp, str(src)]
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True,
                                env={**os.environ, "HOME": tmp, "SAL_USE_VCLPLUGIN": "svp"})
        try:
            _out, err = proc.communicate(timeout=max(1.0, timeout))
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.communicate()
            raise RenderError(f"LibreOffice 渲染超过时间上限 {timeout:.0f} 秒，未能核对显示内容，不得视为通过")
        finally:
            if proc.poll() is None:  # pragma: no cover - communicate() returned, the group may linger
                os.killpg(proc.pid, signal.SIGKILL)
        out = Path(tmp) / "draft.pdf"
        if proc.returncode != 0 or not out.exists() or out.stat().st_size == 0:
            detail = err.decode("utf-8", "replace").strip().splitlines()[-1:] or [f"退出码 {proc.returncode}"]
            raise RenderError(f"LibreOffice 无法渲染该文档（{detail[0][:200]}），未能核对显示内容，不得视为通过")
        return out.read_bytes()


@dataclass(slots=True)
class HtmlRendering:
    pdf: bytes
    text_without_scripts: str
    text_with_scripts: str | None  # None: the page has no scripts


def abort_network(route) -> None:  # type: ignore[no-untyped-def]
    url = route.request.url
    if url.startswith(("data:", "about:")):
        route.continue_()
    else:
        route.abort()


@contextmanager
def chromium(timeout: float, *, renders: str, draws: str, fails: str, log: str) -> Iterator[tuple[Any, float]]:
    """Debian's Chromium driven by Playwright: yields (browser, timeout in ms) and closes the browser. A missing engine,
    a time-out or a browser failure is a RenderError in Chinese (fail closed); the words name what was being drawn:
    `renders` (本机未安装…无法{renders}), `draws` (Chromium {draws}超过时间上限), `fails` (Chromium 无法{fails})."""
    if not os.access(engines.CHROMIUM, os.X_OK):
        raise RenderError(f"本机未安装 Chromium（{engines.CHROMIUM}），无法{renders}，不得视为通过")
    try:
        from playwright.sync_api import Error as PlaywrightError
        from playwright.sync_api import sync_playwright
    except ImportError:
        raise RenderError(f"本机未安装 playwright（pip install playwright），无法驱动 Chromium {renders}，不得视为通过")
    ms = max(1000.0, timeout * 1000)
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=engines.CHROMIUM, args=engines.CHROMIUM_ARGS, timeout=ms)
            try:
                yield browser, ms
            finally:
                browser.close()
    except PlaywrightError as exc:
        first = str(exc).strip().splitlines()[:1] or ["未知错误"]
        if "Timeout" in first[0] or "timeout" in first[0]:
            raise RenderError(f"Chromium {draws}超过时间上限 {timeout:.0f} 秒，未能核对显示内容，不得视为通过")
        _log.warning("Chromium 出错%s：%s；未能核对显示内容，本次渲染核对按出错处理", log, first[0][:200])
        raise RenderError(f"浏览器（Chromium）无法{fails}，未能核对显示内容，不得视为通过（原因已记入服务日志）")


def html_to_pdf(html: str, timeout: float) -> HtmlRendering:
    """Print the page as a screen reader of the site sees it, with JavaScript and the network off. When the page has
    scripts it is laid out a second time with scripts on (still offline) to see whether they change the text."""
    with chromium(timeout, renders="渲染网页", draws="渲染网页", fails="渲染该网页", log="") as (browser, ms):
        ctx = browser.new_context(java_script_enabled=False, offline=True, viewport={"width": 794, "height": 1123})
        ctx.route("**/*", abort_network)
        page = ctx.new_page()
        page.set_default_timeout(ms)
        page.emulate_media(media="screen")
        page.set_content(html, wait_until="load", timeout=ms)
        pdf = page.pdf(format="A4", print_background=True, margin={"top": "10mm", "bottom": "10mm",
                                                                  "left": "10mm", "right": "10mm"})
        ctx.close()
        plain, scripted = "", None
        if _SCRIPTED.search(html):
            # both readings with scripts enabled (so <noscript> is hidden in both): the page without its
            # scripts and handlers, and the page as it is
            plain = _scripted_text(browser, _strip_scripts(html), ms)
            scripted = _scripted_text(browser, html, ms)
    return HtmlRendering(pdf, plain, scripted)


_SCRIPT_ELEMENT = re.compile(r"<script\b.*?(?:</script\s*>|$)", re.I | re.S)
_HANDLER = re.compile(r"(\s)on([a-z]+\s*=)", re.I)


def _strip_scripts(html: str) -> str:
    return _HANDLER.sub(r"\1data-off-\2", _SCRIPT_ELEMENT.sub("", html)).replace("javascript:", "about:blank#")


def _scripted_text(browser, html: str, ms: float) -> str:  # type: ignore[no-untyped-def]
    """The body text after the page's own scripts ran (offline, 0.5 s of timers); a crash or hang counts as changed."""
    from playwright.sync_api import Error as PlaywrightError

    ctx = browser.new_context(java_script_enabled=True, offline=True)
    try:
        ctx.route("**/*", abort_network)
        page = ctx.new_page()
        page.set_default_timeout(min(ms, 10000))
        page.on("dialog", lambda d: d.dismiss())
        page.set_content(html, wait_until="load", timeout=min(ms, 10000))
        page.wait_for_timeout(500)
        return str(page.evaluate("() => document.body ? document.body.innerText : ''"))
    except PlaywrightError:
        return "\x00脚本运行失败或超时"
    finally:
        ctx.close()


def have_soffice() -> bool:
    return shutil.which("soffice") is not None
