"""The monitor against a local website on loopback: every kind of page comes out with the right status, item and
findings; the crawl never leaves the site and sends GET only; the offline mirror gives the same answers."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from reviewer.monitor.fetch import Politeness
from reviewer.monitor.model import Report, Status
from reviewer.monitor.run import Options, monitor
from reviewer.scan.model import Verdict
from reviewer.scan.scanner import Scanner
from tests.monitor import site

FAST = Politeness(concurrency=4, interval=0.0, timeout=5.0)


@pytest.fixture(scope="module")
def scanner() -> Scanner:
    return Scanner.load()


@pytest.fixture(scope="module")
def site_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return site.write(tmp_path_factory.mktemp("site"), site.pages())


@pytest.fixture(scope="module")
def served(site_root: Path) -> Iterator[site.Server]:
    with site.serve(site_root) as server:
        yield server


@pytest.fixture(scope="module")
def report(served: site.Server, scanner: Scanner) -> Report:
    return monitor([served.base + "/"], site.APPROVED, scanner, options=Options(politeness=FAST, render=False))


def _by_path(report: Report, base: str) -> dict[str, tuple[str, int | None]]:
    return {r.url.replace(base, ""): (str(r.status), r.item_id) for r in report.resources}


def test_every_page_and_attachment_has_its_status(report: Report, served: site.Server) -> None:
    assert _by_path(report, served.base) == site.EXPECTED
    assert report.summary() == {"pages": 11, "attachments": 3, "signed": 4, "changed": 3, "unsigned": 6, "unreadable": 1}
    assert report.exit_code() == 2


def test_changed_page_says_what_differs(report: Report, served: site.Server) -> None:
    edited = next(r for r in report.resources if r.url.endswith("/a2.html"))
    assert any("4月1日" in d.signed and "5月1日" in d.live for d in edited.differences)
    assert len(edited.differences) == 1  # only the date: the shared "特此通知。" is not reported as deleted
    assert edited.signers == ("审查员2",)
    home = report.resources[0]  # the start URL comes first
    assert home.url == served.base + "/" and home.status is Status.UNSIGNED and "列表页" in home.reason
    assert "列表页" not in next(r for r in report.resources if r.url.endswith("/a3.html")).reason
    retitled = next(r for r in report.resources if r.url.endswith("/a8.html"))
    assert "标题" in retitled.reason and "紧急情况通报" in retitled.reason


def test_leaks_are_found_in_content_but_the_footer_hotline_is_not(report: Report) -> None:
    leak = next(r for r in report.resources if r.url.endswith("/a4.html"))
    assert leak.verdict is Verdict.BLOCK and any(f.rule == "classification-marking" for f in leak.findings)
    unsigned_list = next(r for r in report.resources if r.url.endswith("/mingdan.docx"))
    assert unsigned_list.verdict is Verdict.BLOCK
    for r in report.resources:
        assert not any(site.HOTLINE in f.match or site.HOTLINE in f.context for f in r.findings), r.url
        assert site.HOTLINE not in r.live_text, r.url


def test_signed_page_with_a_term_the_current_rules_block(served: site.Server, scanner: Scanner, tmp_path: Path) -> None:
    """Signed under old rules, the same bytes now hold a listed term: still `signed`, but the verdict blocks."""
    rules = tmp_path / "rules"
    rules.mkdir()
    (rules / "forest-secret.yaml").write_text(
        "id: forest-secret\ntitle: 新列入的涉密词\nkind: terms\ncategory: 涉密词\nseverity: block\n"
        "message: 新列入的涉密词\nboundary: any\nterms:\n  - 巡护责任\n", encoding="utf-8")
    newer = Scanner.load(str(rules))
    rep = monitor([served.base + "/xwdt/2024/a1.html"], site.APPROVED, newer,
                  options=Options(politeness=FAST, render=False, max_pages=1, sitemap=False))
    page = rep.resources[0]
    assert (page.status, page.item_id, page.verdict) == (Status.SIGNED, 1, Verdict.BLOCK)
    assert rep.exit_code() == 1


def test_unreadable_is_never_signed_and_always_has_a_reason(report: Report) -> None:
    for r in report.resources:
        if r.status is Status.UNREADABLE:
            assert r.verdict is Verdict.ERROR and r.reason and r.item_id is None


def test_crawler_stays_on_site_and_sends_only_get(report: Report, served: site.Server) -> None:
    assert {m for m, _p, _t in served.log} == {"GET"}
    assert set(report.external) == {"https://www.gov.cn/", "http://www.example.org/"}
    assert not any(r.url.startswith(("https://www.gov.cn", "http://www.example.org")) for r in report.resources)


def test_offline_mirror_gives_the_same_answers(site_root: Path, tmp_path: Path, scanner: Scanner) -> None:
    """`wget --mirror` keeps the host (and port) as the first folder."""
    import shutil

    mirror = tmp_path / "mirror"
    shutil.copytree(site_root, mirror / "www.example.gov.cn")
    rep = monitor(["http://www.example.gov.cn/"], site.APPROVED, scanner, from_dir=mirror,
                  options=Options(render=False))
    assert _by_path(rep, "http://www.example.gov.cn") == site.EXPECTED


def test_max_pages_is_a_limit_and_the_rest_is_reported(served: site.Server, scanner: Scanner) -> None:
    rep = monitor([served.base + "/"], site.APPROVED, scanner, options=Options(politeness=FAST, render=False, max_pages=3))
    assert rep.summary()["pages"] == 3
    assert rep.not_checked


def test_mirror_query_pages_and_redirected_pages(tmp_path: Path, scanner: Scanner) -> None:
    """wget keeps `news?id=9` as a file of that name (no suffix): it is read as the page it is. A page reached
    through a redirect resolves its relative links from where it was served."""
    signed = site.APPROVED[5]
    mirror = tmp_path / "m" / "www.example.gov.cn"
    site.write(mirror, {
        "/index.html": site.news_page("首页", ["欢迎。"], extra='<a href="/news?id=9">公示</a>').encode("utf-8"),
        "/news?id=9": site.gov_page(signed.title, site.BODY_9, "9").encode("utf-8"),
    })
    rep = monitor(["http://www.example.gov.cn/"], site.APPROVED, scanner, from_dir=tmp_path / "m",
                  options=Options(render=False))
    page = next(r for r in rep.resources if r.url.endswith("/news?id=9"))
    assert (page.kind, page.status, page.item_id) == ("page", Status.SIGNED, 9)

    root = site.write(tmp_path / "live", {
        "/index.html": b'<html><body><a href="/old/">old</a></body></html>',
        "/new/index.html": b'<html><body><a href="leaf.html">leaf</a></body></html>',
        "/new/leaf.html": site.news_page(signed.title, site.BODY_9).encode("utf-8"),
    })
    with site.serve(root, redirects={"/old/": "/new/"}) as srv:
        rep = monitor([srv.base + "/"], site.APPROVED, scanner, options=Options(politeness=FAST, render=False))
        asked = [p for _m, p, _t in srv.log]
    leaf = next(r for r in rep.resources if r.url.endswith("/new/leaf.html"))
    assert leaf.status is Status.SIGNED and "/old/leaf.html" not in asked
    assert asked.count("/new/") == 1  # the redirect's target is not fetched a second time as a page of its own


def test_a_draft_submitted_as_the_whole_page_with_its_chrome(tmp_path: Path, scanner: Scanner) -> None:
    """Some CMSs submit the page as it will be published, header and footer included: the site's chrome in the draft
    does not stop the page from being the signed version; an edit still shows."""
    title = "关于开展城乡环境卫生整治行动的通知"
    draft = site.news_page(title, site.BODY_6, date="2024-01-01").encode("utf-8")
    whole = site.item(21, title, draft)
    root = site.write(tmp_path, {
        "/index.html": site.news_page("首页", ["欢迎。"], extra='<a href="/w.html">一</a><a href="/e.html">二</a>').encode(),
        "/w.html": site.news_page(title, site.BODY_6, date="2024-03-15").encode("utf-8"),
        "/e.html": site.news_page(title, [*site.BODY_6[:-1], "另加的一句话。", site.BODY_6[-1]]).encode("utf-8"),
    })
    with site.serve(root) as srv:
        rep = monitor([srv.base + "/"], [whole], scanner, options=Options(politeness=FAST, render=False))
    got = {r.url.replace(srv.base, ""): (str(r.status), r.item_id) for r in rep.resources}
    assert got["/w.html"] == ("signed", 21) and got["/e.html"] == ("changed", 21)


def test_hidden_text_anywhere_outside_the_chrome_is_scanned(tmp_path: Path, scanner: Scanner) -> None:
    """A marking hidden beside the article (not in its container) and one in a comment: the page is read like a
    draft, so both are found; malformed links neither crash the run nor are fetched."""
    signed = site.APPROVED[0]
    page = site.news_page(signed.title, site.BODY_1).replace(
        '<div class="footer">', '<div style="display:none">机密★10年</div><!-- 绝密★长期 --><a href="http://[::1">x</a>'
                                '<div class="footer">')
    root = site.write(tmp_path / "www.example.gov.cn", {"/index.html": page.encode("utf-8")})
    rep = monitor(["http://www.example.gov.cn/"], site.APPROVED, scanner, from_dir=tmp_path, options=Options(render=False))
    r = rep.resources[0]
    assert r.verdict is Verdict.BLOCK
    hits = [f for f in r.findings if f.rule == "classification-marking"]
    assert len(hits) >= 2, [(f.rule, f.location) for f in r.findings]
    assert root.is_dir()


def test_a_retitled_heading_shows_even_when_the_home_page_links_the_new_title(tmp_path: Path, scanner: Scanner) -> None:
    """The home page lists the article under its (new) title: that link text is not the article's heading repeated,
    so the changed heading is content, and the page is `changed` — also when <title> was left alone."""
    signed = site.APPROVED[4]  # 一季度全市经济运行情况
    new = "一季度全市经济运行情况（修订）"
    page = site.news_page(new, site.BODY_8).replace(f"<title>{new}", f"<title>{signed.title}")
    root = site.write(tmp_path, {
        "/index.html": site.news_page("首页", ["欢迎。"], extra=f'<ul><li><a href="/a.html">{new}</a></li></ul>').encode(),
        "/list.html": site.news_page("列表", ["列表。"], extra=f'<ul><li><a href="/a.html">{new}</a></li></ul>').encode(),
        "/a.html": page.encode("utf-8"),
    })
    with site.serve(root) as srv:
        rep = monitor([srv.base + "/", srv.base + "/list.html"], site.APPROVED, scanner,
                      options=Options(politeness=FAST, render=False))
    r = next(x for x in rep.resources if x.url.endswith("/a.html"))
    assert (r.status, r.item_id) == (Status.CHANGED, 8) and "标题" in r.reason
