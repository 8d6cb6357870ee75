"""Bad input and limits: time-outs, redirect loops, redirects off the site, huge pages, binary served as HTML, broken
charsets, robots rules — each is `unreadable` with a Chinese reason, never skipped, never signed. And politeness:
the rate limit and the concurrency bound hold."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from reviewer.monitor.fetch import Politeness
from reviewer.monitor.model import Report, Status
from reviewer.monitor.run import Options, monitor
from reviewer.scan.model import Verdict
from reviewer.scan.scanner import Scanner
from tests.monitor import site


@pytest.fixture(scope="module")
def scanner() -> Scanner:
    return Scanner.load()


def _site(root: Path, links: list[str], extra: dict[str, bytes] | None = None) -> Path:
    home = site.news_page("首页", ["欢迎访问。"], extra="".join(f'<a href="{u}">链接{n}</a>' for n, u in enumerate(links)))
    files = {"/index.html": home.encode("utf-8"), **(extra or {})}
    return site.write(root, files)


def _one(report: Report, suffix: str):  # type: ignore[no-untyped-def]
    return next(r for r in report.resources if r.url.endswith(suffix))


def test_every_bad_resource_is_unreadable_with_a_reason(tmp_path: Path, scanner: Scanner) -> None:
    signed = site.APPROVED[0]
    page = site.news_page(signed.title, site.BODY_1)
    extra = {
        "/binary.html": b"\x00\x01\x02PK\x03\x04" + bytes(range(256)) * 20,
        "/badutf8.html": site.news_page(signed.title, site.BODY_1).replace('charset="utf-8"', 'charset="utf-8"').encode("gbk"),
        "/gbk-undeclared.html": page.replace('<meta charset="utf-8">', "").encode("gbk"),
        "/gbk-header.html": page.replace('<meta charset="utf-8">', "").encode("gbk"),
        "/header-wins.html": page.replace('<meta charset="utf-8">', '<meta charset="gbk">').encode("gbk"),
        "/private/secret.html": page.encode("utf-8"),
        "/robots.txt": b"User-agent: *\nDisallow: /private/\n",
    }
    root = _site(tmp_path, ["/slow.html", "/loop1.html", "/away.html", "/huge.html", "/binary.html", "/badutf8.html",
                            "/gbk-undeclared.html", "/gbk-header.html", "/header-wins.html", "/private/secret.html",
                            "/missing.html"], extra)
    headers = {"/gbk-header.html": {"Content-Type": "text/html; charset=GBK"},
               "/header-wins.html": {"Content-Type": "text/html; charset=utf-8"}}
    with site.serve(root, delays={"/slow.html": 3.0}, endless={"/huge.html"}, headers=headers,
                    redirects={"/loop1.html": "/loop2.html", "/loop2.html": "/loop1.html",
                               "/away.html": "http://203.0.113.9/x.html"}) as srv:
        rep = monitor([srv.base + "/"], site.APPROVED, scanner, options=Options(
            render=False, politeness=Politeness(interval=0.0, timeout=1.0, max_bytes=2 * 1024 * 1024)))
        asked = [p for _m, p, _t in srv.log]
    reasons = {
        "/slow.html": "超时", "/loop1.html": "重定向循环", "/away.html": "以外", "/huge.html": "大小上限",
        "/binary.html": "二进制", "/badutf8.html": "无法按该字符集解码", "/private/secret.html": "robots.txt",
        "/missing.html": "404", "/header-wins.html": "服务器（HTTP 头）声明的字符集为 utf-8",
    }
    for path, words in reasons.items():
        r = _one(rep, path)
        assert (r.status, r.verdict, r.item_id) == (Status.UNREADABLE, Verdict.ERROR, None), path
        assert words in r.reason, (path, r.reason)
    assert "/private/secret.html" not in asked  # robots respected: not even requested
    assert not any(p.startswith("http://203.0.113.9") for p in asked)
    # a GBK page that does not say so is still read (and is the signed version)
    assert _one(rep, "/gbk-undeclared.html").status is Status.SIGNED
    assert _one(rep, "/gbk-header.html").status is Status.SIGNED  # the charset in the HTTP header
    assert rep.exit_code() == 2
    assert any("robots.txt" in note for note in rep.robots)


def test_rate_limit_and_concurrency_bound(tmp_path: Path, scanner: Scanner) -> None:
    links = [f"/p{i}.html" for i in range(12)]
    extra = {u: site.news_page(f"页面{u}", [f"内容{u}。"]).encode("utf-8") for u in links}
    root = _site(tmp_path, links, extra)
    with site.serve(root, delays={u: 0.15 for u in links}) as srv:
        started = time.monotonic()
        rep = monitor([srv.base + "/"], [], scanner,
                      options=Options(render=False, sitemap=False, politeness=Politeness(concurrency=2, interval=0.1)))
        elapsed = time.monotonic() - started
        times = sorted(t for _m, p, t in srv.log if p.startswith("/p"))
    assert rep.summary()["pages"] == 16  # home, 12 pages, and the 3 section links of the chrome (404 here)
    assert 1 <= srv.max_active <= 2  # bounded concurrency: never more than 2 requests at once
    # one request start every 0.1 s at most, across both slots: 12 requests span at least 1.1 s (measured where
    # they arrive, so the bound is on the whole run, not on each gap, which a loaded machine can squeeze)
    assert times[-1] - times[0] >= 11 * 0.1 * 0.95
    # 12 pages of 0.15 s each with at most 2 at a time take at least 0.9 s
    assert elapsed >= 0.9


def test_sitemap_pages_are_crawled_and_other_origins_are_not(tmp_path: Path, scanner: Scanner) -> None:
    extra = {
        "/orphan.html": site.news_page("只在站点地图中", ["孤立页面。"]).encode("utf-8"),
        "/sitemap.xml": b'<?xml version="1.0"?><urlset><url><loc>PLACEHOLDER/orphan.html</loc></url>'
                        b"<url><loc>http://203.0.113.9/elsewhere.html</loc></url></urlset>",
    }
    root = _site(tmp_path, [], extra)
    with site.serve(root) as srv:
        (root / "sitemap.xml").write_bytes(extra["/sitemap.xml"].replace(b"PLACEHOLDER", srv.base.encode()))
        rep = monitor([srv.base + "/"], [], scanner, options=Options(render=False))
    assert any(r.url.endswith("/orphan.html") for r in rep.resources)
    assert not any("203.0.113.9" in r.url for r in rep.resources)
