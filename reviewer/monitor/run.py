"""One 巡检 run: crawl (or read the mirror), then read every page against the whole site's chrome, match and scan.

Two passes over the pages: the first fetches, renders script-written pages, follows links and counts what repeats
across the site; the second cuts each page into main content and chrome, matches it with the approved versions and
scans it. Attachments are matched by bytes and scanned as they arrive. Nothing is skipped: every resource that cannot
be read completely is reported `unreadable` with the reason."""

from __future__ import annotations

import hashlib
import logging
from collections import deque
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import PurePosixPath
from typing import TYPE_CHECKING
from urllib.parse import unquote, urlsplit
from urllib.robotparser import RobotFileParser

from reviewer.errors import ExtractionError
from reviewer.monitor.chrome import SiteProfile, cut, is_metadata
from reviewer.monitor.fetch import ROBOTS_AGENT, DirSource, HttpSource, Politeness, Source, canonical, origin
from reviewer.monitor.match import Index
from reviewer.monitor.model import Approved, Fetched, Report, Resource, Status
from reviewer.monitor.page import Block, Page, decode, parse
from reviewer.scan.model import Finding, ScanResult, Severity, Verdict, verdict_of

if TYPE_CHECKING:  # pragma: no cover
    from pathlib import Path

    from reviewer.scan.scanner import Scanner

_log = logging.getLogger(__name__)
DEFAULT_MAX_PAGES = 2000
ATTACHMENT_SUFFIXES = frozenset({
    ".pdf", ".doc", ".docx", ".docm", ".dot", ".dotx", ".xls", ".xlsx", ".xlsm", ".ppt", ".pptx", ".wps", ".et", ".dps",
    ".odt", ".ods", ".odp", ".rtf", ".txt", ".csv", ".ofd", ".zip", ".rar", ".7z", ".gz", ".tgz", ".tar",
    ".jpg", ".jpeg", ".png", ".gif", ".bmp", ".tif", ".tiff", ".webp", ".json", ".xml", ".md",
})  # fmt: skip
_HTML_TYPES = ("text/html", "application/xhtml+xml")
CHROME_LOCATION = "网站公共部分（页眉、导航、页脚、侧栏等多页相同的内容）"


@dataclass(frozen=True, slots=True)
class Options:
    max_pages: int = DEFAULT_MAX_PAGES
    politeness: Politeness = Politeness()
    render: bool = True  # script-written pages in Chromium (False: they are reported unreadable); and attachments no
    # reviewer signed read as the render check reads them (OCR of scans and images: render.check.scan_rendered)
    sitemap: bool = True


@dataclass(slots=True)
class _Pending:
    url: str
    guess: str  # page | attachment
    linked_from: str


@dataclass(slots=True)
class _Crawl:
    site: SiteProfile = field(default_factory=SiteProfile)
    pages: list[tuple[Page, bool, str]] = field(default_factory=list)  # page (blocks, no tree), rendered, linked from
    slots: dict[str, Resource | None] = field(default_factory=dict)  # canonical url -> result (None: page for pass 2)
    order: list[str] = field(default_factory=list)


def _suffix(url: str) -> str:
    return PurePosixPath(unquote(urlsplit(url).path)).suffix.lower()


_UNSIGNED = "附件与任何批准的文件都不相同（未经审查签署，或签署后被替换）"


def _file_name(url: str) -> str:
    return PurePosixPath(unquote(urlsplit(url).path)).name or "index.html"


class Monitor:
    def __init__(self, start_urls: list[str], approved: list[Approved], scanner: Scanner, *, source: Source | None = None,
                 from_dir: Path | None = None, options: Options = Options(),
                 progress: Callable[[str], None] | None = None) -> None:
        self.starts = [u.strip() for u in start_urls]
        self.origins = {origin(u) for u in self.starts}
        self.options = options
        self.scanner = scanner
        self.index = Index(approved)
        if source is None:
            source = DirSource(from_dir, options.politeness.max_bytes) if from_dir is not None \
                else HttpSource(self.origins, options.politeness)
        self.source = source
        self.progress = progress or (lambda _m: None)
        self.robots: dict[str, RobotFileParser | str | None] = {}
        self.report = Report(rules_version=scanner.rules_version)
        self._scripts: dict[str, str | None] = {}
        self._browser: object = None
        self._chrome_seen: set[str] = set()

    # -- pass 1 -----------------------------------------------------------------------------------------------------
    def run(self) -> Report:
        self.report.started_at = datetime.now(UTC).isoformat(timespec="seconds")
        try:
            crawl = self._crawl()
            for page, rendered, linked_from in crawl.pages:
                try:
                    crawl.slots[canonical(page.url)] = self._page(page, rendered, linked_from, crawl.site)
                except Exception as exc:  # noqa: BLE001 - fail closed per resource, with the cause named
                    crawl.slots[canonical(page.url)] = _unreadable(page.url, "page", _bug(exc), linked_from)
            self.report.resources = [r for r in (crawl.slots[u] for u in crawl.order) if r is not None]
        finally:
            self.source.close()
            if self._browser is not None:
                self._browser.close()  # type: ignore[attr-defined]
        self.report.finished_at = datetime.now(UTC).isoformat(timespec="seconds")
        return self.report

    def _robots(self, url: str) -> str | None:
        """None when robots.txt allows the URL, else the Chinese reason."""
        key = origin(url)
        if key not in self.robots:
            got = self.source.get(key + "/robots.txt")
            if got.error and got.status in (404, 410, 401, 403) or (got.error and isinstance(self.source, DirSource)):
                self.robots[key] = None
                self.report.robots.append(f"{key}：没有 robots.txt，全部可抓取")
            elif got.error:
                self.robots[key] = f"robots.txt 无法读取（{got.error}），按规范视为全站禁止抓取，未能检查"
                self.report.robots.append(f"{key}：robots.txt 无法读取，按规范视为全站禁止抓取")
            else:
                parser = RobotFileParser()
                parser.parse(got.body.decode("utf-8", "replace").splitlines())
                self.robots[key] = parser
                delay = parser.crawl_delay(ROBOTS_AGENT)
                if delay:
                    self.source.set_interval(min(float(delay), 10.0))  # type: ignore[attr-defined]
                self.report.robots.append(f"{key}：已遵守 robots.txt" + (f"（抓取间隔 {delay} 秒）" if delay else ""))
        rule = self.robots[key]
        if isinstance(rule, str):
            return rule
        if rule is not None and not rule.can_fetch(ROBOTS_AGENT, url):
            return "网站的 robots.txt 不允许抓取此地址，未能检查（如需巡检，请在 robots.txt 中为 SecrecyReviewMonitor 放行）"
        return None

    def _sitemap_urls(self) -> list[str]:
        found: list[str] = []
        queue = [o + "/sitemap.xml" for o in sorted(self.origins)]
        for key in sorted(self.origins):
            rule = self.robots.get(key)
            if isinstance(rule, RobotFileParser):
                queue += [u for u in (rule.site_maps() or []) if origin(u) in self.origins]
        seen: set[str] = set()
        import re

        while queue and len(seen) < 20:
            url = queue.pop(0)
            if url in seen or self._robots(url):
                continue
            seen.add(url)
            got = self.source.get(url)
            if got.error:
                continue
            locs = re.findall(rb"<loc>\s*([^<\s]+)\s*</loc>", got.body[:5_000_000])
            for raw in locs:
                loc = raw.decode("utf-8", "replace").replace("&amp;", "&")
                if origin(loc) not in self.origins:
                    continue
                if b"<sitemapindex" in got.body[:2000] or loc.endswith(".xml"):
                    queue.append(loc)
                else:
                    found.append(loc)
        return found

    def _crawl(self) -> _Crawl:
        crawl = _Crawl()
        frontier: deque[_Pending] = deque()
        seen: set[str] = set()

        def add(url: str, linked_from: str, guess: str | None = None) -> None:
            if origin(url) not in self.origins:
                if url not in self.report.external:
                    self.report.external.append(url)
                return
            key = canonical(url)
            if key in seen:
                return
            seen.add(key)
            if guess == "seen":
                return
            frontier.append(_Pending(url, guess or ("attachment" if _suffix(url) in ATTACHMENT_SUFFIXES else "page"),
                                     linked_from))

        for url in self.starts:
            add(url, "", "page")
        if self.options.sitemap:
            for url in self.starts[:1]:
                self._robots(url)
            for url in self._sitemap_urls():
                add(url, "sitemap.xml")
        pages = 0
        workers = max(1, self.options.politeness.concurrency)
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="monitor") as pool:
            while frontier:
                batch: list[_Pending] = []
                while frontier and len(batch) < workers * 2:
                    item = frontier.popleft()
                    if item.guess == "page":
                        if pages >= self.options.max_pages:
                            self.report.not_checked.append(item.url)
                            continue
                        pages += 1
                    batch.append(item)
                blocked = [self._robots(p.url) for p in batch]
                futures = [pool.submit(self.source.get, p.url) if why is None else None for p, why in zip(batch, blocked, strict=True)]
                for p, why, fut in zip(batch, blocked, futures, strict=True):
                    key = canonical(p.url)
                    crawl.order.append(key)
                    got = Fetched(p.url, error=why) if fut is None else fut.result()
                    try:
                        crawl.slots[key] = self._first(p, got, crawl, add)
                    except Exception as exc:  # noqa: BLE001 - fail closed per resource, with the cause named
                        crawl.slots[key] = _unreadable(p.url, p.guess, _bug(exc), p.linked_from)
                self.progress(f"已读取 {len(crawl.order)} 个地址")
        return crawl

    def _first(self, p: _Pending, got: Fetched, crawl: _Crawl, add: Callable[..., None]) -> Resource | None:
        is_html = got.content_type in _HTML_TYPES or (not got.content_type and p.guess == "page")
        kind = "page" if (p.guess == "page" and (got.error or is_html)) else "attachment"
        if got.error:
            return _unreadable(p.url, kind, got.error, p.linked_from)
        if kind == "attachment":
            return self._attachment(p.url, got.body, p.linked_from)
        base = got.final_url or p.url  # links are relative to where the page was served after any redirect
        if canonical(base) != canonical(p.url):
            add(base, p.linked_from, "seen")  # the redirect's target is this page, not another one to fetch
        try:
            html, encoding = decode(got.body, got.charset)
            page = parse(p.url, html, encoding, base=base)
            rendered = False
            if self._needs_render(page):
                if not self.options.render:
                    raise ExtractionError("网页内容由脚本生成，本次未启用浏览器渲染，未能读取")
                html = self._browser_for().render(base, got.body, got.content_type)  # type: ignore[attr-defined]
                page = parse(p.url, html, encoding, base=base)
                rendered = True
        except ExtractionError as exc:
            return _unreadable(p.url, "page", exc.message, p.linked_from)
        for link, tag in page.links:
            add(link, p.url, "page" if tag in ("iframe", "frame") and _suffix(link) not in ATTACHMENT_SUFFIXES else None)
        crawl.site.add(page)
        page.drop_tree()
        crawl.pages.append((page, rendered, p.linked_from))
        return None

    def _needs_render(self, page: Page) -> bool:
        from reviewer.monitor.script import written_by_scripts

        return written_by_scripts(page, self._script)

    def _script(self, url: str) -> str | None:
        if origin(url) not in self.origins:
            return None
        if url not in self._scripts:
            got = self.source.get(url) if self._robots(url) is None else Fetched(url, error="robots")
            self._scripts[url] = None if got.error else got.body[:2_000_000].decode("utf-8", "replace")
        return self._scripts[url]

    def _browser_for(self) -> object:
        if self._browser is None:
            from reviewer.monitor.script import Browser

            self._browser = Browser(self.source, self.origins, self.options.politeness.timeout)
        return self._browser

    # -- reading ----------------------------------------------------------------------------------------------------
    def _attachment(self, url: str, data: bytes, linked_from: str) -> Resource:
        from reviewer.document import scan_document

        name = _file_name(url)
        sha = hashlib.sha256(data).hexdigest()
        item = self.index.attachment(data)
        # an attachment no reviewer signed is read as a reader of the site sees it, as the render check reads it (OCR
        # too); that reading includes the text scan of the same extraction, so the file is extracted once
        rendered = self._rendered(data, name) if item is None and self.options.render else None
        if rendered is not None:
            if rendered.error:
                return Resource(url, "attachment", Status.UNREADABLE, Verdict.ERROR, rendered.findings, None,
                                f"附件无法完整读取或其显示内容无法完整核对：{rendered.error}", sha256=sha,
                                linked_from=linked_from)
            return Resource(url, "attachment", Status.UNSIGNED, rendered.verdict, rendered.findings, None, _UNSIGNED,
                            sha256=sha, linked_from=linked_from)
        result = scan_document(self.scanner, data, name)
        if result.error:
            return Resource(url, "attachment", Status.UNREADABLE, Verdict.ERROR, result.findings,
                            item.item_id if item else None, f"附件无法完整读取：{result.error}", sha256=sha,
                            linked_from=linked_from)
        if item is not None:
            return Resource(url, "attachment", Status.SIGNED, result.verdict, result.findings, item.item_id,
                            "附件与批准的文件逐字节相同", item.title, signers=item.signers, sha256=sha, linked_from=linked_from)
        return Resource(url, "attachment", Status.UNSIGNED, result.verdict, result.findings, None, _UNSIGNED, sha256=sha,
                        linked_from=linked_from)

    def _rendered(self, data: bytes, name: str) -> ScanResult | None:
        """The render check's reading of an attachment (None: not a kind it renders)."""
        from reviewer.render.check import kind_of, scan_rendered

        if kind_of(data, name) is None:
            return None
        try:
            result, _report = scan_rendered(self.scanner, data, name)
        except Exception as exc:  # noqa: BLE001 - fail closed: an attachment not read is never clean
            return ScanResult(rules_version=self.scanner.rules_version, error=f"渲染核对异常（{type(exc).__name__}）")
        return result

    def _page(self, page: Page, rendered: bool, linked_from: str, site: SiteProfile) -> Resource:
        from reviewer.document import scan_document

        url, html = page.url, page.html
        region = cut(page, site)
        match = self.index.page(url, page, region, site)
        page.tree()
        try:
            result = scan_document(self.scanner, _main_html(page, region).encode("utf-8"), "page.html")
        finally:
            page.drop_tree()
        findings = list(result.findings) + self._chrome_findings(region.chrome, site)
        live = "\n".join(b.text for b in region.main)
        sha = hashlib.sha256(html.encode("utf-8")).hexdigest()
        v = match.version
        if match.status is Status.SIGNED and v is not None:
            reason = "正文与批准的版本一致" + ("（标题一致）" if v.title else "")
        elif match.status is Status.UNSIGNED and _list_page(region.candidate):
            reason = "栏目或列表页：正文只有链接和页面信息，没有对应的签署版本"
        elif match.status is Status.UNSIGNED:
            reason = "正文与任何批准的版本都不相同：未经审查签署（或改动过多）"
        else:
            reason = match.reason
        if result.error:
            return Resource(url, "page", Status.UNREADABLE, Verdict.ERROR, findings, None,
                            f"网页正文无法完整读取：{result.error}", region.shown_title, live_text=live, sha256=sha,
                            rendered=rendered, linked_from=linked_from)
        signed_text = ""
        if v is not None:
            signed_text = v.approved.title + "\n" + v.body if v.approved.title else v.body
        return Resource(url, "page", match.status, verdict_of(findings), findings, v.approved.item_id if v else None,
                        reason, region.shown_title, match.differences, live, signed_text,
                        v.approved.signers if v else (), sha, rendered, linked_from)

    def _chrome_findings(self, chrome: list, site: SiteProfile) -> list[Finding]:  # type: ignore[type-arg]
        """The chrome is scanned once for the whole site, on the first page that carries each block. Only `block`
        findings count there (a classification marking in a footer): the unit's hotline or office address in the footer
        is the site's published contact, not a finding on every page."""
        fresh = [b for b in chrome if b.norm not in self._chrome_seen]
        if not fresh:
            return []
        self._chrome_seen.update(b.norm for b in fresh)
        text = "\n".join(b.text for b in fresh)
        return [replace(f, location=CHROME_LOCATION) for f in self.scanner.scan(text).findings
                if f.severity is Severity.BLOCK]


def _main_html(page: Page, region: object) -> str:
    """The page as HTML without its chrome, for the same intake as a draft: the head's title and meta, and the body
    with every chrome-only element removed — so hidden text, comments, attributes and scripts anywhere outside the
    chrome are read as they are in a draft, not only inside the main content's container."""
    import lxml.html

    root = page.root
    head = root.find(".//head")  # type: ignore[attr-defined]
    head_html = ""
    if head is not None:
        keep = [el for el in head if getattr(el, "tag", None) == "title"
                or (getattr(el, "tag", None) == "meta" and el.get("charset") is None and el.get("http-equiv") is None)]
        head_html = "".join(lxml.html.tostring(el, encoding="unicode") for el in keep)
    body = root.find(".//body")  # type: ignore[attr-defined]
    if body is None:
        return f"<html><head><meta charset=\"utf-8\">{head_html}</head><body></body></html>"
    main_paths = {x for b in region.main for x in b.path}  # type: ignore[attr-defined]
    drop: dict[int, object] = {}
    for b in region.chrome:  # type: ignore[attr-defined]
        for el_id in b.path:  # the outermost element that holds chrome and no main content
            if el_id not in main_paths:
                drop.setdefault(el_id, page.elements[el_id])
                break
    for el in drop.values():
        if el is not body and el.getparent() is not None:  # type: ignore[attr-defined]
            el.drop_tree()  # type: ignore[attr-defined]
    body_html = lxml.html.tostring(body, encoding="unicode")
    return f"<html><head><meta charset=\"utf-8\">{head_html}</head>{body_html}</html>"


def _list_page(blocks: list[Block]) -> bool:
    """A 栏目 page: what is not a link list is at most a few short lines (its heading, page information)."""
    own = [b for b in blocks if not (b.link_dense or is_metadata(b))]
    return any(b.link_dense for b in blocks) and sum(len(b.norm) for b in own) <= 60


def _bug(exc: Exception) -> str:
    """An unexpected failure on one resource: it is reported (never skipped, never signed) and logged with its cause."""
    _log.exception("巡检：处理某个地址时发生意外错误，该地址记为未能检查（异常详情如下）")
    return f"巡检程序处理此地址时出错（{type(exc).__name__}），未能检查；请把日志交给维护人员"


def _unreadable(url: str, kind: str, reason: str, linked_from: str = "") -> Resource:
    return Resource(url, kind, Status.UNREADABLE, Verdict.ERROR, [], None, reason, linked_from=linked_from)


def monitor(start_urls: list[str], approved: list[Approved], scanner: Scanner, **kwargs: object) -> Report:
    return Monitor(start_urls, approved, scanner, **kwargs).run()  # type: ignore[arg-type]
