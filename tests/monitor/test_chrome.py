"""Chrome detection on pages with different chrome variants: div-and-class layouts, HTML5 header/nav/footer, and an old
table layout with no names at all (recognised only because it repeats). The main content keeps every paragraph of
the article, including those many articles share ("特此通知。"), and nothing of the chrome."""

from __future__ import annotations

from reviewer.monitor.chrome import SiteProfile, cut
from reviewer.monitor.page import parse
from tests.monitor import site

BANNER = "某某县人民政府欢迎您"
MENU = ["首页", "政务公开", "办事服务", "互动交流"]
COPYRIGHT = "版权所有 某某县人民政府 技术支持：某某网络公司 联系电话：0771-1234567"


def table_page(title: str, body: list[str]) -> str:
    """An old CMS: one big table, nothing named."""
    menu = "".join(f'<a href="/m{i}.html">{m}</a><br>' for i, m in enumerate(MENU))
    paras = "".join(f"<p>{p}</p>" for p in body)
    return (f"<html><head><title>{title}</title></head><body><table>"
            f"<tr><td colspan=2><font size=5>{BANNER}</font></td></tr>"
            f"<tr><td width=150>{menu}</td><td><b>{title}</b><br>{paras}</td></tr>"
            f"<tr><td colspan=2>{COPYRIGHT}</td></tr></table></body></html>")


PAGES = {
    "/n1.html": site.news_page("关于做好春季森林防火工作的通知", site.BODY_1),
    "/n2.html": site.news_page("全民健身运动会圆满落幕", site.BODY_3),
    "/n3.html": site.news_page("一季度全市经济运行情况", site.BODY_8),
    "/g1.html": site.gov_page("关于开展城乡环境卫生整治行动的通知", site.BODY_6, "1"),
    "/g2.html": site.gov_page("2024年度城市更新项目公示", site.BODY_9, "2"),
    "/g3.html": site.gov_page("关于政务服务中心延时服务的通知", site.BODY_2, "3"),
    "/t1.html": table_page("防汛通知", site.BODY_JS),
    "/t2.html": table_page("运动会通知", site.BODY_3),
    "/t3.html": table_page("延时服务通知", site.BODY_2),
}
BODIES = {"/n1.html": site.BODY_1, "/n2.html": site.BODY_3, "/n3.html": site.BODY_8, "/g1.html": site.BODY_6,
          "/g2.html": site.BODY_9, "/g3.html": site.BODY_2, "/t1.html": site.BODY_JS, "/t2.html": site.BODY_3,
          "/t3.html": site.BODY_2}
CHROME_TEXTS = [site.HOTLINE, "栏目导航", "主办单位", "网站标识码", "当前位置", "门户网站", "友情链接", BANNER, "技术支持",
                "办事服务", "版权所有"]


def _profile() -> tuple[SiteProfile, dict[str, object]]:
    profile = SiteProfile()
    parsed = {path: parse("http://x" + path, html) for path, html in PAGES.items()}
    for page in parsed.values():
        profile.add(page)
    return profile, parsed


def test_main_content_keeps_the_article_and_drops_every_chrome_variant() -> None:
    profile, parsed = _profile()
    for path, page in parsed.items():
        region = cut(page, profile)  # type: ignore[arg-type]
        main = "".join(b.text for b in region.main)
        for paragraph in BODIES[path]:
            assert paragraph in main, (path, paragraph)
        for chrome in CHROME_TEXTS:
            assert chrome not in main, (path, chrome)


def test_the_title_shown_is_the_heading_or_the_title_less_the_site_name() -> None:
    profile, parsed = _profile()
    assert cut(parsed["/n1.html"], profile).shown_title == "关于做好春季森林防火工作的通知"  # type: ignore[arg-type]
    assert cut(parsed["/g2.html"], profile).shown_title == "2024年度城市更新项目公示"  # type: ignore[arg-type]


def test_a_single_page_without_repetition_still_drops_marked_chrome() -> None:
    """One page alone: nothing repeats, so only what the page marks as chrome (footer, nav, header …) goes."""
    profile = SiteProfile()
    page = parse("http://x/g1.html", PAGES["/g1.html"])
    profile.add(page)
    main = "".join(b.text for b in cut(page, profile).main)
    assert all(p in main for p in site.BODY_6)
    assert site.HOTLINE not in main and "门户网站" not in main
