"""Pages whose text is written by scripts, read as a browser shows them: headless Chromium (the same engine and flags
as reviewer/render), scripts on, every request answered by the monitor's own polite fetcher and only for GET requests
to the start origins — anything else is aborted, so the browser can neither leave the site nor post anything."""

from __future__ import annotations

import os
import re
from typing import Any

from reviewer.errors import ExtractionError
from reviewer.monitor.fetch import Source, origin
from reviewer.monitor.page import Page

_WRITES = re.compile(
    r"document\.write|innerHTML|outerHTML|insertAdjacentHTML|textContent|innerText|createTextNode|appendChild|"
    r"\.html\(|\.append\(|\.text\(|fetch\(|XMLHttpRequest|\$\.(?:get|ajax|getJSON)|\.load\(",
)
_LIBRARY = re.compile(r"(?:jquery|bootstrap|vue|react|angular|layui|swiper|echarts|lodash|polyfill|analytics|gtag|"
                      r"hm\.js|stat|count)[^/]*\.js", re.I)
MIN_TEXT = 40


def written_by_scripts(page: Page, fetch_script: Any) -> bool:
    """Whether the page's text may come from its scripts: an inline script or a same-site script (not a known library)
    writes into the page, or the page has scripts and almost no text of its own."""
    if not page.scripts and not page.script_srcs:
        return False
    if any(_WRITES.search(s) for s in page.scripts):
        return True
    text = sum(len(b.norm) for b in page.blocks)
    if text < MIN_TEXT:
        return True
    for src in page.script_srcs:
        if _LIBRARY.search(src.rsplit("/", 1)[-1]):
            continue
        body = fetch_script(src)
        if body is not None and _WRITES.search(body):
            return True
    return False


class Browser:
    """One Chromium for the whole run, started on first use."""

    def __init__(self, source: Source, origins: set[str], timeout: float = 20.0) -> None:
        self.source = source
        self.origins = origins
        self.timeout = timeout
        self._pw: Any = None
        self._browser: Any = None
        self.blocked: list[str] = []

    def _start(self) -> Any:
        if self._browser is None:
            from reviewer.render import engines

            if not os.access(engines.CHROMIUM, os.X_OK):
                raise ExtractionError(f"网页内容由脚本生成，但本机未安装 Chromium（{engines.CHROMIUM}），未能读取")
            try:
                from playwright.sync_api import sync_playwright
            except ImportError as exc:
                raise ExtractionError("网页内容由脚本生成，但本机未安装 playwright，无法驱动 Chromium，未能读取") from exc
            self._pw = sync_playwright().start()
            self._browser = self._pw.chromium.launch(executable_path=engines.CHROMIUM, args=engines.CHROMIUM_ARGS,
                                                     timeout=self.timeout * 1000)
        return self._browser

    def close(self) -> None:
        if self._browser is not None:
            self._browser.close()
            self._pw.stop()
            self._browser = self._pw = None

    def render(self, url: str, body: bytes, content_type: str) -> str:
        """The page's HTML after its scripts ran (load + 0.5 s of timers)."""
        from playwright.sync_api import Error as PlaywrightError

        browser = self._start()
        ctx = browser.new_context(java_script_enabled=True, service_workers="block", accept_downloads=False)
        missing: list[str] = []  # same-site scripts and data the page asked for and did not get

        def route(r: Any) -> None:
            req = r.request
            target = req.url.split("#")[0]
            if req.method != "GET" or origin(target) not in self.origins:
                self.blocked.append(target)
                r.abort()
                return
            if target == url.split("#")[0]:
                r.fulfill(status=200, body=body, headers={"content-type": content_type or "text/html"})
                return
            got = self.source.get(target)
            if got.error:
                if req.resource_type in ("script", "xhr", "fetch", "document"):
                    missing.append(got.error)
                r.abort()
                return
            r.fulfill(status=200, body=got.body, headers={"content-type": got.content_type or "application/octet-stream"})

        try:
            ctx.route("**/*", route)
            page = ctx.new_page()
            page.set_default_timeout(self.timeout * 1000)
            page.on("dialog", lambda d: d.dismiss())
            page.goto(url, wait_until="load", timeout=self.timeout * 1000)
            page.wait_for_timeout(500)
            html = str(page.content())
        except PlaywrightError as exc:
            first = (str(exc).strip().splitlines() or ["未知错误"])[0]
            if "imeout" in first:
                raise ExtractionError(f"网页由脚本生成，Chromium 在 {self.timeout:.0f} 秒内未能显示完，未能读取") from exc
            raise ExtractionError(f"网页由脚本生成，Chromium 无法显示该网页（{first[:120]}），未能读取") from exc
        finally:
            ctx.close()
        if missing:  # what the scripts would have written is not all there: fail closed
            raise ExtractionError(f"网页由脚本生成，但脚本需要的本站资源未能取得（{missing[0][:80]}），未能完整读取")
        return html
