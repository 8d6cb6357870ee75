"""Getting a URL, politely: GET only, one request at a time per slot (bounded concurrency), a minimum interval between
requests (rate limit), a time limit per request, a size limit per response, redirects followed by hand only within the
start origins (loops and chains cut off). `DirSource` reads an offline mirror (`wget --mirror` layout) instead.

Every failure is a `Fetched` with a Chinese `error`: the resource is reported `unreadable`, never skipped."""

from __future__ import annotations

import mimetypes
import os
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol
from urllib.parse import unquote, urljoin, urlsplit

from reviewer.monitor.model import Fetched

USER_AGENT = "SecrecyReviewMonitor/1.0 (secrecy review website inspection)"
ROBOTS_AGENT = "SecrecyReviewMonitor"


@dataclass(frozen=True, slots=True)
class Politeness:
    concurrency: int = 2
    interval: float = 0.1  # seconds between the starts of two requests (all slots together): at most 10 a second
    timeout: float = 15.0  # per request, connect to last byte
    max_bytes: int = 20 * 1024 * 1024
    max_redirects: int = 5

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Politeness:
        """REVIEWER_MONITOR_CONCURRENCY, _INTERVAL (seconds), _TIMEOUT (seconds), _MAX_MB; bad values fall back to the
        defaults' safe side (a value can slow the crawl down or bound it, never remove a bound)."""
        env = os.environ if env is None else env
        base = cls()

        def num(name: str, default: float, low: float, high: float) -> float:
            try:
                return min(high, max(low, float(env.get(name, default))))
            except ValueError:
                return default

        return cls(concurrency=int(num("REVIEWER_MONITOR_CONCURRENCY", base.concurrency, 1, 8)),
                   interval=num("REVIEWER_MONITOR_INTERVAL", base.interval, 0.0, 60.0),
                   timeout=num("REVIEWER_MONITOR_TIMEOUT", base.timeout, 1.0, 300.0),
                   max_bytes=int(num("REVIEWER_MONITOR_MAX_MB", base.max_bytes / 1048576, 1, 500) * 1048576))


def origin(url: str) -> str:
    """scheme://host[:port]; a malformed address gets an origin of its own that matches no site."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return "invalid:" + url[:200]
    scheme = parts.scheme.lower()
    default = {"http": 80, "https": 443}.get(scheme)
    host = (parts.hostname or "").lower()
    return f"{scheme}://{host}" + (f":{port}" if port and port != default else "")


def canonical(url: str) -> str:
    """One spelling per resource: no fragment, lower-case origin, `/x/` and `/x/index.html` the same."""
    parts = urlsplit(url)
    path = parts.path or "/"
    for index in ("index.html", "index.htm", "index.shtml"):
        if path.endswith("/" + index):
            path = path[: -len(index)]
    return origin(url) + path + (f"?{parts.query}" if parts.query else "")


def content_type(header: str) -> tuple[str, str | None]:
    kind, _, params = header.partition(";")
    charset = None
    for param in params.split(";"):
        key, _, value = param.strip().partition("=")
        if key.strip().lower() == "charset" and value.strip():
            charset = value.strip().strip("\"'").lower()
    return kind.strip().lower(), charset


class Source(Protocol):
    def get(self, url: str) -> Fetched: ...

    def close(self) -> None: ...


class _Pace:
    """The minimum interval between the starts of requests, across threads."""

    def __init__(self, interval: float) -> None:
        self.interval = interval
        self._next = 0.0
        self._lock = threading.Lock()

    def wait(self) -> None:
        with self._lock:
            now = time.monotonic()
            start = max(now, self._next)
            self._next = start + self.interval
        if start > now:
            time.sleep(start - now)


class HttpSource:
    def __init__(self, origins: set[str], politeness: Politeness = Politeness()) -> None:
        import httpx

        self.origins = origins
        self.politeness = politeness
        self.pace = _Pace(politeness.interval)
        self.requests = 0
        self.methods: set[str] = set()
        # trust_env=False: a proxy from the environment must not see the site's pages (set REVIEWER_MONITOR_PROXY to use one)
        proxy = os.environ.get("REVIEWER_MONITOR_PROXY") or None
        self._client = httpx.Client(
            follow_redirects=False, trust_env=False, proxy=proxy, headers={"User-Agent": USER_AGENT},
            timeout=httpx.Timeout(politeness.timeout), limits=httpx.Limits(max_connections=politeness.concurrency),
        )

    def set_interval(self, seconds: float) -> None:
        self.pace.interval = max(self.pace.interval, seconds)

    def close(self) -> None:
        self._client.close()

    def get(self, url: str) -> Fetched:
        import httpx

        seen = [url]
        current = url
        started = time.monotonic()
        for _hop in range(self.politeness.max_redirects + 1):
            if origin(current) not in self.origins:
                return Fetched(url, error=f"重定向到本单位网站以外的地址（{origin(current)}），未跟随，未能检查")
            self.pace.wait()
            self.requests += 1
            self.methods.add("GET")
            try:
                with self._client.stream("GET", current) as response:
                    if response.status_code in (301, 302, 303, 307, 308) and "location" in response.headers:
                        target = urljoin(current, response.headers["location"])
                        if canonical(target) in {canonical(s) for s in seen}:
                            return Fetched(url, status=response.status_code,
                                           error=f"重定向循环（{len(seen)} 次跳转后回到已访问的地址），未能读取")
                        seen.append(target)
                        current = target
                        continue
                    kind, charset = content_type(response.headers.get("content-type", ""))
                    declared = response.headers.get("content-length")
                    if declared and declared.isdigit() and int(declared) > self.politeness.max_bytes:
                        return Fetched(url, status=response.status_code, content_type=kind,
                                       error=f"内容大小 {int(declared) / 1048576:.1f} MB 超过上限 "
                                             f"{self.politeness.max_bytes / 1048576:.0f} MB，未完整读取")
                    chunks: list[bytes] = []
                    size = 0
                    for chunk in response.iter_bytes():
                        size += len(chunk)
                        if size > self.politeness.max_bytes:
                            return Fetched(url, status=response.status_code, content_type=kind,
                                           error=f"内容超过大小上限 {self.politeness.max_bytes / 1048576:.0f} MB，未完整读取")
                        if time.monotonic() - started > self.politeness.timeout:
                            return Fetched(url, error=f"读取超时（{self.politeness.timeout:.0f} 秒内未取得完整内容）")
                        chunks.append(chunk)
                    if response.status_code != 200:
                        return Fetched(url, status=response.status_code, content_type=kind,
                                       error=f"服务器返回 HTTP {response.status_code}，未取得内容")
                    return Fetched(url, status=200, content_type=kind, charset=charset, body=b"".join(chunks),
                                   final_url=current, seconds=time.monotonic() - started)
            except httpx.TimeoutException:
                return Fetched(url, error=f"请求超时（{self.politeness.timeout:.0f} 秒内未取得完整内容）")
            except httpx.DecodingError:
                return Fetched(url, error="服务器返回的压缩内容无法解开，未能读取")
            except httpx.HTTPError as exc:
                return Fetched(url, error=f"无法取得内容（{type(exc).__name__}：{str(exc)[:120]}）")
        return Fetched(url, error=f"重定向超过 {self.politeness.max_redirects} 次，未能读取")


_HTML_SUFFIXES = (".html", ".htm", ".shtml", ".xhtml")


class DirSource:
    """An offline mirror as `wget --mirror` leaves it: DIR/host[:port]/path, a directory URL stored as index.html,
    a query string kept in the file name (`page.html?id=3`). DIR may also be the host folder itself."""

    def __init__(self, root: Path, max_bytes: int = 20 * 1024 * 1024) -> None:
        self.root = root
        self.max_bytes = max_bytes
        self.requests = 0
        self.methods: set[str] = {"GET"}

    def close(self) -> None:
        pass

    def set_interval(self, seconds: float) -> None:
        pass

    def _file(self, url: str) -> Path | None:
        parts = urlsplit(url)
        host = parts.hostname or ""
        hosts = [f"{host}:{parts.port}", host] if parts.port else [host]
        bases = [self.root / h for h in hosts if h and (self.root / h).is_dir()] or [self.root]
        path = unquote(parts.path or "/")
        names = [path.lstrip("/")]
        if path.endswith("/") or not path.strip("/"):
            names = [path.lstrip("/") + "index.html"]
        if parts.query:
            names = [n + "?" + unquote(parts.query) for n in names] + names
        root = self.root.resolve()
        for base in bases:
            for name in names:
                candidate = (base / name).resolve()
                if root != candidate and root not in candidate.parents:
                    return None  # `..` in the URL: never outside the mirror
                if candidate.is_file():
                    return candidate
                if candidate.is_dir() and (candidate / "index.html").is_file():
                    return candidate / "index.html"
        return None

    def get(self, url: str) -> Fetched:
        self.requests += 1
        path = self._file(url)
        if path is None:
            return Fetched(url, status=404, error="离线镜像中没有该地址的文件（镜像不完整或链接已失效），未能检查")
        size = path.stat().st_size
        if size > self.max_bytes:
            return Fetched(url, error=f"内容超过大小上限 {self.max_bytes / 1048576:.0f} MB，未完整读取")
        from reviewer.extract.sniff import looks_like_html

        name = path.name.split("?")[0].lower()
        body = path.read_bytes()
        if name.endswith(_HTML_SUFFIXES):
            kind = "text/html"
        else:
            kind = mimetypes.guess_type(name)[0] or ""
            if not kind:  # `news?id=3` as wget saved it: no suffix, so the content says what it is
                kind = "text/html" if looks_like_html(body[:4096]) else "application/octet-stream"
        return Fetched(url, status=200, content_type=kind, body=body, final_url=url)
