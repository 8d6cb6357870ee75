"""Links in web pages and Markdown (issue 22): paths and queries raw and percent-encoded (UTF-8, GBK), mailto: subjects
and bodies; Markdown text cut by character references, inline tags or comments is read as rendered."""

from __future__ import annotations

from urllib.parse import quote

import pytest

from reviewer.extract import extract
from tests.extract.places import CLEAN, PLANTS, counting, hits, scan

ENCODINGS = {"raw": lambda t: t, "utf-8": lambda t: quote(t, safe=""), "gbk": lambda t: quote(t.encode("gbk"), safe="")}
HTML = '<html><body><p>{clean}</p><a href="{url}">附件</a></body></html>'
LINKS = {
    "path": "http://www.example.gov.cn/files/{t}/notice.pdf",
    "query": "http://www.example.gov.cn/search?dept=1&q={t}",
    "mailto subject": "mailto:office@example.gov.cn?subject={t}&body=%E8%AF%B7%E6%9F%A5%E6%94%B6",
    "mailto body": "mailto:office@example.gov.cn?subject=hi&body={t}",
}


@pytest.mark.parametrize("enc", list(ENCODINGS))
@pytest.mark.parametrize("link", list(LINKS))
@pytest.mark.parametrize("plant", list(PLANTS))
def test_web_page_links_are_read(enc: str, link: str, plant: str) -> None:
    text, rule = PLANTS[plant]
    url = LINKS[link].format(t=ENCODINGS[enc](f"说明：{text}"))
    found = hits(scan(HTML.format(clean=CLEAN, url=url).encode(), "a.html"), rule)
    assert found and found[0].location == "链接地址（href，<a>）", (url, found)
    clean_url = LINKS[link].format(t=ENCODINGS[enc](CLEAN))
    assert counting(scan(HTML.format(clean=CLEAN, url=clean_url).encode(), "a.html")) == []


def test_utf8_path_and_gbk_query_in_one_link() -> None:
    url = "/d/" + quote("玄鸟工程") + "?q=" + quote("秘密★10年".encode("gbk"))
    result = scan(HTML.format(clean=CLEAN, url=url).encode(), "a.html")
    assert hits(result, "org-project-codes") and hits(result, "classification-marking")


MD_CUTS = {
    "character reference": lambda t: f"&#{ord(t[0])};{t[1:]}",
    "hex reference": lambda t: f"{t[:1]}&#x{ord(t[1]):x};{t[2:]}",
    "inline tag": lambda t: f"{t[:1]}<span>{t[1:2]}</span>{t[2:]}",
    "comment": lambda t: f"{t[:1]}<!-- 批注 -->{t[1:]}",
    "emphasis": lambda t: f"{t[:1]}**{t[1:2]}**{t[2:]}",
}


@pytest.mark.parametrize("cut", list(MD_CUTS))
@pytest.mark.parametrize("plant", list(PLANTS))
def test_markdown_text_is_read_as_rendered(cut: str, plant: str) -> None:
    text, rule = PLANTS[plant]
    md = f"# 会议通知\n\n{CLEAN}。\n\n附：{MD_CUTS[cut](text)}\n"
    plain = hits(scan(md.encode(), "a.txt"), rule)  # read as plain text, the cut hides it (at most a mention)
    assert cut == "emphasis" or all(str(f.severity) == "info" for f in plain)  # the scanner folds `*` itself
    found = [f for f in hits(scan(md.encode(), "通知.md"), rule) if str(f.severity) != "info"]
    assert "Markdown显示文字 第5行" in [f.location for f in found], found
    clean = f"# 会议通知\n\n{MD_CUTS[cut](CLEAN)}\n"
    assert counting(scan(clean.encode(), "通知.md")) == []


@pytest.mark.parametrize("enc", ["utf-8", "gbk"])
@pytest.mark.parametrize("plant", list(PLANTS))
def test_markdown_link_targets_and_mailto(enc: str, plant: str) -> None:
    text, rule = PLANTS[plant]
    coded = ENCODINGS[enc](f"说明：{text}")
    for md in (f"见[附件](http://x.gov.cn/f/{coded}.pdf)", f"[联系](mailto:a@x.gov.cn?subject={coded})",
               f"<http://x.gov.cn/?q={coded}>", f"[1]: http://x.gov.cn/{coded}"):
        found = hits(scan(f"# 通知\n{md}\n".encode(), "a.md"), rule)
        assert found and found[0].location == "Markdown链接 第2行", (md, found)
    clean = f"见[附件](http://x.gov.cn/f/{ENCODINGS[enc](CLEAN)}.pdf)"
    assert counting(scan(f"# 通知\n{clean}\n".encode(), "a.md")) == []


def test_markdown_comment_over_lines_and_unchanged_text_once() -> None:
    md = "通知\n机<!--\n多行\n-->密★10年\n"
    assert hits(scan(md.encode(), "a.md"), "classification-marking")
    plain = f"附：{PLANTS['marking'][0]}\n"
    assert len(hits(scan(plain.encode(), "a.md"), "classification-marking")) == 1  # not again as "rendered"


def test_javascript_and_data_links_keep_their_own_places() -> None:
    page = '<a href="javascript:alert(\'x\')">x</a>'
    assert not [p for p in extract(page.encode(), "a.html").parts if p.location == "链接地址"]


def test_object_data_and_srcset_links() -> None:
    coded = quote("说明：玄鸟工程")
    for tag in (f'<object data="/f/{coded}.pdf"></object>', f'<img alt="图" srcset="/i/{coded}.png 1x, /i/b.png 2x">'):
        page = f"<html><body><p>{CLEAN}</p>{tag}</body></html>".encode()
        assert hits(scan(page, "a.html"), "org-project-codes"), tag


def test_markdown_reading_stays_linear_on_hostile_input() -> None:
    """Bracket and space runs that would make the link patterns backtrack (quadratic or worse): each is read in a
    bounded time (the 60 s extraction deadline would otherwise make such a draft an error)."""
    import time

    for hostile in ("[a](x" + " " * 50000 + "y", "[a]: x" + " \t" * 30000 + "z", "![" + "\\[" * 20000, "<a " * 20000,
                    ("[" + "a" * 400 + "](") * 2000, "<!--" * 20000, "[x](<" * 20000):
        started = time.monotonic()
        assert extract(hostile.encode(), "a.md").error is None
        assert time.monotonic() - started < 10
